/*
 * tests/guest/shutdown.c - how the guest stops: shutdown, panic, crash.
 *
 * Every way out ends in SCHEDOP_shutdown: reason poweroff when all tests
 * passed, crash otherwise, so the toolstack (xl list, the harness) sees
 * the verdict without reading the console. The console ring is drained
 * first (bounded) so the last lines reach the backend.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/xen/sched.h>

#include "guest.h"

__pvk_noreturn void guest_crash_hard(void)
{
	if (guest_native_boot)
		guest_native_exit(1);
	/*
	 * For when hypercalls themselves are broken. With %rsp = 0 Xen cannot
	 * write the exception frame for the ud2 onto our stack, and Xen
	 * crashes a PV kernel whose stack cannot take an exception frame.
	 */
	for (;;)
		__asm__ __volatile__("xorl %%esp, %%esp; ud2" ::: "memory");
}

__pvk_noreturn void guest_crash_now(void)
{
	struct pvk_sched_shutdown arg = { .reason = PVK_SHUTDOWN_crash };

	if (guest_native_boot)
		guest_native_exit(1);
	pvk_hyp_sched_op(PVK_SCHEDOP_shutdown, &arg);
	guest_crash_hard();	/* still running: the hypercall failed */
}

__pvk_noreturn void guest_shutdown(unsigned int reason)
{
	static const char lost[] =
		"pvkit-guest: console backend did not drain the ring; output may be lost\n";
	struct pvk_sched_shutdown arg = { .reason = reason };
	long rc;

	if (guest_native_boot)	/* native.c: QEMU's isa-debug-exit */
		guest_native_exit(reason == PVK_SHUTDOWN_poweroff ? 0 : 1);
	if (!guest_console_flush())
		guest_console_io_write(lost, sizeof(lost) - 1);
	rc = pvk_hyp_sched_op(PVK_SCHEDOP_shutdown, &arg);
	/* SCHEDOP_shutdown does not return when it succeeds. */
	guest_printf("pvkit-guest: SCHEDOP_shutdown(%u) returned %ld\n", reason, rc);
	guest_crash_now();
}

__pvk_noreturn void pvk_port_panic(const char *msg)
{
	static bool panicking;

	if (panicking)		/* panic while printing the panic: just stop */
		guest_crash_now();
	panicking = true;
	guest_crash_report(NULL, msg);	/* first: see fault.c */
	guest_printf("PANIC: %s\n", msg);
	guest_shutdown(PVK_SHUTDOWN_crash);
}
