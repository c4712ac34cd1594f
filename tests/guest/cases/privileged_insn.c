/*
 * tests/guest/cases/privileged_insn.c - a privileged instruction faults
 * (explicit only: pvkit.test=privileged_insn).
 *
 * A 64-bit PV kernel runs in ring 3, so HLT raises #GP; Xen's
 * privileged-instruction emulation does not cover HLT (unlike, say, a
 * read of %cr3, which it emulates), so the #GP reaches our trap table and
 * the guest prints its fault report and crashes the domain. The harness
 * scenario guest-fault expects exactly that. Reaching the line after the
 * HLT means the guest was not deprivileged: a failure.
 */
#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

PVK_GUEST_TEST_EXPLICIT(privileged_insn)
{
	guest_printf("pvkit-guest: executing HLT directly, bypassing the kit: expect a #GP report\n");
	__asm__ __volatile__("hlt" ::: "memory");
	PVK_FAIL("HLT did not trap: the guest kernel is not running deprivileged");
}
