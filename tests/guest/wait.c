/*
 * tests/guest/wait.c - pvk_port_wait_until() and pvk_port_wake().
 *
 * One vCPU, no threads: a sleeper is woken by the event whose handler
 * makes its condition true, so pvk_port_wake() has nothing to do but
 * count. Sleeping is SCHEDOP_poll on no ports with the deadline as its
 * timeout, upcalls unmasked: Xen returns at once if an upcall is pending
 * (an event that came after the condition was tested is not lost), else
 * blocks until an event needs delivery or the deadline passes. The
 * one-shot timer is not touched: it belongs to the host's tick.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/version.h>

#include "guest.h"

#define WAIT_MAGIC	0x57414954u	/* "WAIT" */

struct guest_wait {
	uint32_t magic;
	uint32_t wakes;
};
PVK_BUILD_BUG_ON(sizeof(struct guest_wait) > sizeof(struct pvk_wait));

static struct guest_wait *guest_wait(struct pvk_wait *w)
{
	struct guest_wait *gw = (struct guest_wait *)w->opaque;

	if (gw->magic != WAIT_MAGIC)
		pvk_port_panic("pvk_wait used without pvk_port_wait_init()");
	return gw;
}

void pvk_port_wait_init(struct pvk_wait *w)
{
	memset(w, 0, sizeof(*w));
	((struct guest_wait *)w->opaque)->magic = WAIT_MAGIC;
}

void pvk_port_wake(struct pvk_wait *w)
{
	guest_wait(w)->wakes++;
}

int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg),
			void *arg, uint64_t timeout_ns)
{
	struct pvk_vcpu_info *v = guest_vcpu0();
	uint8_t saved = PVK_READ_ONCE(v->evtchn_upcall_mask);
	uint64_t deadline = pvk_time_now_ns() + timeout_ns;
	struct pvk_sched_poll poll = { .ports = NULL, .nr_ports = 0 };
	int rc;

	guest_wait(w);
	if (!guest_events_enabled())
		pvk_port_panic("pvk_port_wait_until before guest_events_enable()");
	for (;;) {
		PVK_WRITE_ONCE(v->evtchn_upcall_mask, 1);
		pvk_barrier();
		if (cond(arg)) {
			rc = 0;
			break;
		}
		if (pvk_time_now_ns() >= deadline) {
			rc = -PVK_XEN_ETIMEDOUT;
			break;
		}
		PVK_WRITE_ONCE(v->evtchn_upcall_mask, 0);
		pvk_barrier();
		poll.timeout = deadline;
		rc = (int)pvk_hyp_sched_op(PVK_SCHEDOP_poll, &poll);
		if (rc)
			break;
	}
	PVK_WRITE_ONCE(v->evtchn_upcall_mask, saved);
	pvk_barrier();
	if (!saved && PVK_READ_ONCE(v->evtchn_upcall_pending))
		pvk_hyp_xen_version(PVK_XENVER_version, NULL);
	return rc;
}
