/*
 * tests/guest/wait.c - pvk_port_wait_until() and pvk_port_wake(), and the
 * guest's background work.
 *
 * No threads: a sleeper is the CPU that called pvk_port_wait_until(), woken
 * by the event whose handler makes its condition true. Sleeping is
 * SCHEDOP_poll on no ports with the deadline as its timeout, upcalls of
 * this vCPU unmasked (its own vcpu_info, pvk_xen_vcpu_info()): Xen returns
 * at once if an upcall is pending (an event that came before the poll is
 * not lost), else blocks until an event needs delivery or the deadline
 * passes. An event delivered in the few instructions between unmasking and
 * the poll hypercall runs its handler there and leaves the poll waiting
 * for the next one: no poll lasts more than POLL_SLICE_NS, which bounds
 * that late wake-up. The one-shot timer is not touched: it belongs to the
 * host's tick.
 *
 * Several CPUs: the event that ends a wait may arrive on another CPU than
 * the sleeper's (a port bound to CPU 0, a waiter on CPU 2). Each wait
 * records its sleepers, one bit per CPU, set before every test of the
 * condition; pvk_port_wake() reads them after the condition was made true
 * (a full barrier on each side, so one of the two always sees the other)
 * and sends each sleeping CPU but its own the guest's wake IPI
 * (GUEST_IPI_WAKE, smp.c), whose event ends that CPU's poll. A waker on
 * the sleeper's own CPU runs in an upcall that interrupted the sleeper,
 * and that upcall already ended the poll.
 *
 * Natively the guest has no event to sleep on (interrupts are off between
 * tests, the local APIC timer belongs to the kit): a wait polls its
 * condition with interrupts on, bounded by the clock, and wakes need no
 * IPI.
 *
 * Background work (pvk_port_schedule_work(), port.h) is what a kernel would
 * run in a worker thread: the kit's work that must not run in an event
 * handler because it sleeps or takes long (watch callbacks, the balloon
 * driver). Event handlers schedule it; CPU 0's idle time - its waits - runs it, in the
 * waiter's context, before each test of the wait's condition (so a wait
 * that the work itself satisfies ends without sleeping). Only CPU 0 runs
 * it: the items were written for one worker, and CPU 0 is the CPU that
 * waits the most (the tests run there).
 * A work item may wait itself (a xenstore read); the waits inside it do
 * not run background work again. An item that asks to run again is
 * rescheduled and the wait sleeps at most RETRY_SLICE_NS before the next
 * turn, so an item that cannot progress yet never makes the wait spin.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>

#include "guest.h"

#define WAIT_MAGIC	0x57414954u	/* "WAIT" */
#define POLL_SLICE_NS	(100ULL * 1000 * 1000)
#define RETRY_SLICE_NS	(1ULL * 1000 * 1000)

/* The host's part of struct pvk_work. */
struct work_state {
	struct pvk_work *next;
	bool pending;
};
PVK_BUILD_BUG_ON(sizeof(struct work_state) > sizeof(((struct pvk_work *)0)->opaque));

static struct pvk_work *work_list;	/* pending, newest first */
static struct pvk_lock work_lock;
static bool work_lock_ready, in_work;
static unsigned int work_held;

static struct work_state *state(struct pvk_work *w)
{
	return (struct work_state *)w->opaque;
}

struct guest_wait {
	uint32_t magic;
	uint32_t wakes;
	uint64_t sleepers;	/* bit n: CPU n is in pvk_port_wait_until() */
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
	struct guest_wait *gw = guest_wait(w);
	struct pvk_cpumask others;

	__atomic_fetch_add(&gw->wakes, 1, __ATOMIC_RELAXED);
	if (!guest_smp_started())
		return;
	/* The caller made the condition true before calling us: that store
	 * must be visible before we read who sleeps (the sleeper sets its
	 * bit, then reads the condition). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	others.bits = __atomic_load_n(&gw->sleepers, __ATOMIC_RELAXED);
	pvk_cpumask_clear(&others, pvk_port_cpu_id());
	if (!pvk_cpumask_empty(&others))
		guest_smp_kick(&others);
}

uint64_t guest_wait_sleepers(struct pvk_wait *w)
{
	return __atomic_load_n(&guest_wait(w)->sleepers, __ATOMIC_RELAXED);
}

void pvk_port_schedule_work(struct pvk_work *work)
{
	if (!work_lock_ready)
		pvk_port_panic("pvk_port_schedule_work before guest_work_init()");
	pvk_port_lock(&work_lock);
	if (!state(work)->pending) {
		state(work)->pending = true;
		state(work)->next = work_list;
		work_list = work;
	}
	pvk_port_unlock(&work_lock);
}

void guest_work_hold(bool hold)
{
	pvk_port_lock(&work_lock);
	work_held += hold ? 1 : -1U;
	pvk_port_unlock(&work_lock);
}

void guest_work_init(void)
{
	pvk_port_lock_init(&work_lock);
	work_lock_ready = true;
}

static bool work_pending(void)
{
	return !in_work && !PVK_READ_ONCE(work_held) && PVK_READ_ONCE(work_list) &&
	       pvk_port_cpu_id() == 0;
}

/*
 * Runs each item pending now once; what it reschedules waits a turn. An
 * item stays marked pending until it is unlinked here, so scheduling it
 * again meanwhile (from an event handler) leaves the local list intact.
 */
static void run_background_work(void)
{
	struct pvk_work *list, *w;

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
		list = state(w)->next;
		state(w)->pending = false;
		pvk_port_unlock(&work_lock);
		if (w->fn(w))
			pvk_port_schedule_work(w);
	}
	in_work = false;
}

/* Natively (native.c's world): poll cond with interrupts on (see the top),
 * bounded by the pvops clock (pvk_time_now_ns() is Xen's pvclock: 0 here). */
int guest_native_wait_until(__pvk_unused struct pvk_wait *w, bool (*cond)(void *arg),
			    void *arg, uint64_t timeout_ns)
{
	unsigned long flags = pvk_save_fl();
	uint64_t deadline = pvk_clock_ns() + timeout_ns;
	int rc = -PVK_XEN_ETIMEDOUT;

	pvk_irq_enable();
	for (;;) {
		pvk_irq_disable();
		if (cond(arg)) {
			rc = 0;
			break;
		}
		pvk_irq_enable();
		if (pvk_clock_ns() >= deadline)
			break;
		__asm__ __volatile__("pause" ::: "memory");
	}
	pvk_restore_fl(flags);
	return rc;
}

int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg),
			void *arg, uint64_t timeout_ns)
{
	return guest_world->wait_until(w, cond, arg, timeout_ns);
}

/* On Xen (boot.c's world). */
int guest_xen_wait_until(struct pvk_wait *w, bool (*cond)(void *arg),
			 void *arg, uint64_t timeout_ns)
{
	struct guest_wait *gw = guest_wait(w);
	unsigned int cpu = pvk_port_cpu_id();
	uint64_t bit = 1ULL << cpu;
	struct pvk_vcpu_info *v;
	unsigned long flags;
	uint64_t deadline;
	struct pvk_sched_poll poll = { .ports = NULL, .nr_ports = 0 };
	int rc;

	if (!guest_events_enabled())
		pvk_port_panic("pvk_port_wait_until before guest_events_enable()");
	v = pvk_xen_vcpu_info(cpu);
	flags = pvk_save_fl();
	deadline = pvk_time_now_ns() + timeout_ns;
	for (;;) {
		uint64_t now, wake;

		run_background_work();
		PVK_WRITE_ONCE(v->evtchn_upcall_mask, 1);
		pvk_barrier();
		/* Every turn: a nested wait on w (background work) cleared it.
		 * A locked op: the bit is visible before cond is read. */
		__atomic_fetch_or(&gw->sleepers, bit, __ATOMIC_SEQ_CST);
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
		wake = now + (work_pending() ? RETRY_SLICE_NS : POLL_SLICE_NS);
		if (wake > deadline)
			wake = deadline;
		/* Xen's clock, not the kit's: after a resume whose rebase is
		 * R, the kit's time is R ahead of Xen's, and a timeout in the
		 * kit's would fire R late (review s10-16 #7). */
		poll.timeout = pvk_time_to_xen_ns(wake);
		rc = (int)pvk_hyp_sched_op(PVK_SCHEDOP_poll, &poll);
		if (rc)
			break;
	}
	__atomic_fetch_and(&gw->sleepers, ~bit, __ATOMIC_RELAXED);
	pvk_restore_fl(flags);
	return rc;
}
