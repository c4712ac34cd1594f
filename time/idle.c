/*
 * time/idle.c - pvk_idle_until(): an idle CPU stops until an event or a
 * deadline (pvkit/time.h).
 *
 * The halt is the pvops safe_halt: on Xen SCHEDOP_block, which unmasks
 * upcalls and checks for pending events inside the hypercall; natively
 * sti; hlt, whose one-instruction interrupt shadow has the same effect.
 * So an event that arrived after the caller looked for work, and before
 * the halt, still ends it. The deadline is a third owner of the CPU's
 * one-shot (time/oneshot.c) with no function: its expiry is an event like
 * any other, and it only has to happen. It is dropped on the way out, so
 * an early wake-up leaves no stray expiry behind.
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

int pvk_idle_until(uint64_t deadline_ns)
{
	bool timed = deadline_ns != PVK_IDLE_FOREVER;
	int rc;

	if (pvk_save_fl())
		return -PVK_XEN_EINVAL;
	if (timed) {
		if (pvk_clock_ns() >= deadline_ns)
			return 0;
		rc = pvk_time_idle_timer_set(true, deadline_ns);
		if (rc)
			return rc;
	}
	pvk_safe_halt();
	pvk_irq_disable();
	if (timed)
		pvk_time_idle_timer_set(false, 0);
	return 0;
}
