/*
 * tests/guest/wait.c - pvk_port_wait_until() and pvk_port_wake(), and the
 * guest's background work.
 *
 * One vCPU, no threads: a sleeper is woken by the event whose handler
 * makes its condition true, so pvk_port_wake() has nothing to do but
 * count. Sleeping is SCHEDOP_poll on no ports with the deadline as its
 * timeout, upcalls unmasked: Xen returns at once if an upcall is pending
 * (an event that came before the poll is not lost), else blocks until an
 * event needs delivery or the deadline passes. An event delivered in the
 * few instructions between unmasking and the poll hypercall runs its
 * handler there and leaves the poll waiting for the next one: no poll
 * lasts more than POLL_SLICE_NS, which bounds that late wake-up. The
 * one-shot timer is not touched: it belongs to the host's tick.
 *
 * Background work (guest_work_schedule()) is what a kernel would run in a
 * worker thread: drivers' work that must not run in an event handler
 * because it sleeps or takes long (the balloon driver, balloon.c). Event
 * handlers schedule it; this guest's idle time - its waits - runs it, in
 * the waiter's context, before each test of the wait's condition (so a
 * wait that the work itself satisfies ends without sleeping).
 * A work item may wait itself (a xenstore read); the waits inside it do
 * not run background work again. An item that asks to run again is
 * rescheduled and the wait sleeps at most RETRY_SLICE_NS before the next
 * turn, so an item that cannot progress yet never makes the wait spin.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>

#include "guest.h"

#define WAIT_MAGIC	0x57414954u	/* "WAIT" */
#define POLL_SLICE_NS	(100ULL * 1000 * 1000)
#define RETRY_SLICE_NS	(1ULL * 1000 * 1000)

static struct guest_work *work_list;	/* pending, newest first */
static struct pvk_lock work_lock;
static bool work_lock_ready, in_work;

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

void guest_work_schedule(struct guest_work *work)
{
	if (!work_lock_ready)
		pvk_port_panic("guest_work_schedule before guest_work_init()");
	pvk_port_lock(&work_lock);
	if (!work->pending) {
		work->pending = true;
		work->next = work_list;
		work_list = work;
	}
	pvk_port_unlock(&work_lock);
}

void guest_work_init(void)
{
	pvk_port_lock_init(&work_lock);
	work_lock_ready = true;
}

static bool work_pending(void)
{
	return !in_work && PVK_READ_ONCE(work_list);
}

/*
 * Runs each item pending now once; what it reschedules waits a turn. An
 * item stays marked pending until it is unlinked here, so scheduling it
 * again meanwhile (from an event handler) leaves the local list intact.
 */
static void run_background_work(void)
{
	struct guest_work *list, *w;

	if (!work_pending())
		return;
	in_work = true;
	pvk_port_lock(&work_lock);
	list = work_list;
	work_list = NULL;
	pvk_port_unlock(&work_lock);
	while (list) {
		pvk_port_lock(&work_lock);
		w = list;
		list = w->next;
		w->pending = false;
		pvk_port_unlock(&work_lock);
		if (w->fn())
			guest_work_schedule(w);
	}
	in_work = false;
}

int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg),
			void *arg, uint64_t timeout_ns)
{
	struct pvk_vcpu_info *v = guest_vcpu0();
	unsigned long flags = pvk_save_fl();
	uint64_t deadline = pvk_time_now_ns() + timeout_ns;
	struct pvk_sched_poll poll = { .ports = NULL, .nr_ports = 0 };
	int rc;

	guest_wait(w);
	if (!guest_events_enabled())
		pvk_port_panic("pvk_port_wait_until before guest_events_enable()");
	for (;;) {
		uint64_t now;

		run_background_work();
		PVK_WRITE_ONCE(v->evtchn_upcall_mask, 1);
		pvk_barrier();
		if (cond(arg)) {
			rc = 0;
			break;
		}
		now = pvk_time_now_ns();
		if (now >= deadline) {
			rc = -PVK_XEN_ETIMEDOUT;
			break;
		}
		/* By hand, not the irq op: its forced delivery of a pending
		 * upcall is what the poll does anyway. */
		PVK_WRITE_ONCE(v->evtchn_upcall_mask, 0);
		pvk_barrier();
		poll.timeout = now + (work_pending() ? RETRY_SLICE_NS : POLL_SLICE_NS);
		if (poll.timeout > deadline)
			poll.timeout = deadline;
		rc = (int)pvk_hyp_sched_op(PVK_SCHEDOP_poll, &poll);
		if (rc)
			break;
	}
	pvk_restore_fl(flags);
	return rc;
}
