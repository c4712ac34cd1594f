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
	guest_world->crash_hard();
}

/* Xen's: boot.c's world. */
__pvk_noreturn void guest_xen_crash_hard(void)
{
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
	guest_world->crash_now();
}

/* Xen's (boot.c's world): no console drain, the way out of a panic. */
__pvk_noreturn void guest_xen_crash_now(void)
{
	struct pvk_sched_shutdown arg = { .reason = PVK_SHUTDOWN_crash };

	pvk_hyp_sched_op(PVK_SCHEDOP_shutdown, &arg);
	guest_xen_crash_hard();	/* still running: the hypercall failed */
}

__pvk_noreturn void guest_shutdown(unsigned int reason)
{
	guest_world->stop(reason);
}

/* Xen's stop (boot.c's world); natively native.c's: QEMU's isa-debug-exit. */
__pvk_noreturn void guest_xen_stop(unsigned int reason)
{
	static const char lost[] =
		"pvkit-guest: console backend did not drain the ring; output may be lost\n";
	struct pvk_sched_shutdown arg = { .reason = reason };
	long rc;

	if (!guest_console_flush())
		guest_console_io_write(lost, sizeof(lost) - 1);
	rc = pvk_hyp_sched_op(PVK_SCHEDOP_shutdown, &arg);
	/* SCHEDOP_shutdown does not return when it succeeds. */
	guest_printf("pvkit-guest: SCHEDOP_shutdown(%u) returned %ld\n", reason, rc);
	guest_xen_crash_now();
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
