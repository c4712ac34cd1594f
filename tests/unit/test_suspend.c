/*
 * tests/unit/test_suspend.c - pvk_suspend()'s refusals (suspend/suspend.c):
 * which of the host's callbacks run when the suspend does not happen, and
 * that every refusal lets the next suspend in (its busy flag released).
 *
 * Only the paths that end before the first step that touches Xen run
 * here; the kit parts suspend.c calls on the way to the hypercall and
 * after it are stand-ins that fail the test if reached (a refusal that
 * went on would reach them). smp/cpus.c is the real one: its own
 * suspend flag, held by the test, is the refusal of
 * pvk_smp_suspend_begin() (a CPU left up refuses through the same
 * return; test_smp.c covers which CPUs refuse). The whole sequence runs
 * on Xen (tests/guest/cases/suspend.c, smp_suspend.c); the order of its
 * steps after the hypercall is pinned by test_suspend_order.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <pvkit/boot.h>
#include <pvkit/console.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/hypercall.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>
#include "fake_kit.h"
#include "unit.h"

/* ---- Stand-ins: the kit parts of the real sequence ------------------ */

static __attribute__((noreturn)) void reached(const char *what)
{
	fprintf(stderr, "unit: suspend went on to %s after a refusal\n", what);
	abort();
}

static struct pvk_shared_info shared;
uint8_t pvk_hypercall_page[PVK_HYPERCALL_SLOTS * PVK_HYPERCALL_SLOT_SIZE];

struct pvk_shared_info *pvk_xen_shared_info(void) { return &shared; }
/* Published: pvk_suspend_init() publishes nothing. */
bool pvk_p2m_published(void) { return true; }
int pvk_p2m_publish(struct pvk_shared_info *s) { (void)s; reached("p2m publish"); }
int pvk_p2m_republish(struct pvk_shared_info *s) { (void)s; reached("p2m republish"); }
int pvk_evtchn_resume(const pvk_evtchn_port_t *given, unsigned int nr_given)
{
	(void)given; (void)nr_given;
	reached("events resume");
}
int pvk_evtchn_rebind_all(void) { reached("events rebind"); }
/* xenstore's quiesce: what it answers (its own refusal releases what it
 * held, xenstore.c). */
static int xs_suspend_rc;
static unsigned int xs_suspends;
int (*unit_suspend_xs_hook)(void);
int pvk_xs_suspend(uint64_t timeout_ns)
{
	(void)timeout_ns;
	xs_suspends++;
	if (unit_suspend_xs_hook)
		xs_suspend_rc = unit_suspend_xs_hook();
	if (!xs_suspend_rc)
		reached("past xenstore's quiesce");
	return xs_suspend_rc;
}
void pvk_xs_suspend_cancel(void) { reached("xenstore cancel"); }
int pvk_grant_resume(void) { reached("grant resume"); }
int pvk_grant_suspend(void) { reached("grant suspend"); }
long pvk_hyp_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	(void)cmd; (void)vcpu; (void)arg;
	reached("a vcpu op");
}
pvk_pfn_t pvk_mfn_to_pfn(pvk_mfn_t mfn) { (void)mfn; reached("mfn_to_pfn"); }
pvk_mfn_t pvk_pfn_to_mfn(pvk_pfn_t pfn) { (void)pfn; reached("pfn_to_mfn"); }
pvk_pfn_t pvk_port_virt_to_pfn(const void *va) { (void)va; reached("virt_to_pfn"); }
void pvk_mmu_cpu_base_set(unsigned int cpu, pvk_mfn_t l4)
{
	(void)cpu; (void)l4;
	reached("the MMU's base");
}
pvk_mfn_t pvk_mmu_kernel_base(void) { reached("the MMU's base"); }
int pvk_time_resume(bool new_domain) { (void)new_domain; reached("time resume"); }
void pvk_xen_console_early_set_port(uint32_t port) { (void)port; reached("console port"); }
bool pvk_xen_console_flush(void) { reached("console flush"); }
int pvk_xen_smp_resume(void) { reached("smp resume"); }
int pvk_xs_resume(pvk_evtchn_port_t port, uint64_t *lost)
{
	(void)port; (void)lost;
	reached("xenstore resume");
}
int pvk_xs_rewatch_all(void) { reached("xenstore watches"); }

/* ---- The host ------------------------------------------------------- */

static struct {
	unsigned int befores, afters;
	enum pvk_suspend_result last_after;
	int before_rc;		/* what before() answers */
	bool reenter;		/* before() calls pvk_suspend() itself */
	int reentered_rc;
	unsigned int before_role;	/* the worker role's depth in before() */
} h;

static int host_before(void *arg)
{
	(void)arg;
	h.befores++;
	h.before_role = unit_fake_worker_depth();
	if (h.reenter)
		h.reentered_rc = pvk_suspend();
	return h.before_rc;
}

static void host_after(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	h.afters++;
	h.last_after = result;
}

static uint64_t fake_clock_ns(void)
{
	return 0;
}

static int cpu1_rc;

static void *suspends_on_cpu1(void *arg)
{
	(void)arg;
	unit_fake_cpu = 1;
	cpu1_rc = pvk_suspend();
	return NULL;
}

UNIT_TEST(suspend_refusals_call_the_right_callbacks_and_release)
{
	static struct pvk_start_info *si = (struct pvk_start_info *)&shared;
	const struct pvk_suspend_host host = {
		.start_info = si, .before = host_before, .after = host_after,
	};
	struct pvk_suspend_stats st;
	pthread_t t;

	if (!pvk_pvops.name)
		pvk_pvops.name = "unit";
	pvk_pvops.time.clock_ns = fake_clock_ns;
	unit_fake_cpu = 0;
	/* No host yet: refused, nothing called. */
	CHECK_EQ(pvk_suspend(), -PVK_XEN_ENODEV);
	CHECK_EQ(pvk_suspend_init(&host), 0);
	CHECK_EQ(pvk_smp_init(), 0);

	/* Not on CPU 0: refused before before() (S2), no after(). */
	CHECK_EQ(pthread_create(&t, NULL, suspends_on_cpu1, NULL), 0);
	pthread_join(t, NULL);
	CHECK_EQ(cpu1_rc, -PVK_XEN_EINVAL);
	CHECK_EQ(h.befores, 0);
	CHECK_EQ(h.afters, 0);

	/* The host refuses: its errno, no after(). */
	h.before_rc = -PVK_XEN_EAGAIN;
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EAGAIN);
	CHECK_EQ(h.befores, 1);
	CHECK_EQ(h.afters, 0);

	/* A second suspend from inside the first (before()): -EBUSY, and
	 * neither callback runs for it. */
	h.reenter = true;
	unit_log_clear();
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EAGAIN);
	CHECK_EQ(h.reentered_rc, -PVK_XEN_EBUSY);
	CHECK(unit_log_has("a suspend is already under way"));
	CHECK_EQ(h.befores, 2);
	CHECK_EQ(h.afters, 0);
	h.reenter = false;

	/* before() agrees, pvk_smp_suspend_begin() refuses (smp's suspend
	 * flag held here): after(CANCELLED) once, undoing before(). */
	h.before_rc = 0;
	CHECK_EQ(pvk_smp_suspend_begin(), 0);
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	CHECK_EQ(h.befores, 3);
	CHECK_EQ(h.afters, 1);
	CHECK_EQ(h.last_after, PVK_SUSPEND_CANCELLED);

	/* Released: the next one gets past the busy flag to before() and
	 * to smp again (refused there once more, as it still holds). */
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	CHECK_EQ(h.befores, 4);
	CHECK_EQ(h.afters, 2);
	pvk_smp_suspend_end(false);

	/* A positive refusal by the host is -EBUSY, never a result. */
	h.before_rc = 1;
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	CHECK_EQ(h.afters, 2);
	h.before_rc = 0;

	/* xenstore cannot be quiesced: after(CANCELLED), CPU starts allowed
	 * again (a second one would be refused by smp's flag otherwise),
	 * busy released. */
	xs_suspend_rc = -PVK_XEN_EBUSY;
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	CHECK_EQ(xs_suspends, 1);
	CHECK_EQ(h.afters, 3);
	CHECK_EQ(h.last_after, PVK_SUSPEND_CANCELLED);
	CHECK_EQ(pvk_smp_suspend_begin(), 0);	/* smp's flag was released */
	pvk_smp_suspend_end(false);
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);	/* and busy too */
	CHECK_EQ(xs_suspends, 2);
	pvk_suspend_get_stats(&st);
	/* ENODEV, CPU 1, host, re-entry and its host's, smp twice, the
	 * positive one, xenstore twice */
	CHECK_EQ(st.refused, 10);
	CHECK_EQ(st.suspends, 0);
}

/* ---- The xenbus worker role across the sequence (review s11-int #1) --- */

static struct {
	bool callback_ran;		/* the queued watch callback */
	bool ran_before_resume;		/* ... when the part's resume ran */
	unsigned int resumes;
} role_seen;

static void queued_watch_callback(void)
{
	role_seen.callback_ran = true;
}

/* A watch event arrives while the part quiesces: its callback is queued
 * for the worker, which another CPU or background work would run as soon
 * as the role is free (the played role of test_blkfront.c: at the next
 * moment the code under test does not hold it). */
static void part_quiesce(void *arg)
{
	(void)arg;
	unit_fake_worker_elsewhere(queued_watch_callback);
}

static void part_resume(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	(void)result;
	role_seen.resumes++;
	role_seen.ran_before_resume = role_seen.callback_ran;
}

/*
 * A host calls pvk_suspend() itself, from no watch callback: the sequence
 * takes the xenbus worker role, so no watch callback runs before the
 * parts have resumed (a frontend must forget its old backend before any
 * callback of its runs). Played on the refusal after the parts quiesced
 * (xenstore's quiesce refuses), the one path past the parts the unit
 * tests reach: the parts resume(CANCELLED) with the role still held.
 */
UNIT_TEST(suspend_outside_a_callback_holds_watch_callbacks_until_the_parts_resumed)
{
	static struct pvk_start_info *si = (struct pvk_start_info *)&shared;
	static struct pvk_suspend_part part = {
		.name = "role-test", .quiesce = part_quiesce, .resume = part_resume,
	};
	const struct pvk_suspend_host host = { .start_info = si, .after = host_after };

	if (!pvk_pvops.name)
		pvk_pvops.name = "unit";
	pvk_pvops.time.clock_ns = fake_clock_ns;
	unit_fake_cpu = 0;
	CHECK_EQ(pvk_suspend_init(&host), 0);
	CHECK_EQ(pvk_smp_init(), 0);
	CHECK_EQ(pvk_suspend_register(&part), 0);
	xs_suspend_rc = -PVK_XEN_EBUSY;
	CHECK_EQ(unit_fake_worker_depth(), 0);		/* not in a callback */
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	CHECK_EQ(role_seen.resumes, 1);
	CHECK(!role_seen.ran_before_resume);
	CHECK_EQ(h.afters, 1);
	CHECK_EQ(unit_fake_worker_depth(), 0);		/* given back */
	/* Delivered once the role is free. */
	CHECK_EQ(pvk_xenbus_worker_enter(0), 0);
	pvk_xenbus_worker_leave();
	CHECK(role_seen.callback_ran);
}

/*
 * Review s12 N9: the sequence takes the worker role only once every
 * other CPU is down (pvk_smp_suspend_begin()), after before(): a host
 * thread of another CPU waiting for the role must not keep before() from
 * moving it. A role kept by another holder then refuses as the other
 * CPUs' refusal does: after(CANCELLED), CPU starts allowed again, busy
 * released.
 */
static unsigned int counted_quiesces, counted_resumes;

static void counted_quiesce(void *arg)
{
	(void)arg;
	counted_quiesces++;
}

static void counted_resume(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	(void)result;
	counted_resumes++;
}

UNIT_TEST(suspend_takes_the_worker_role_after_before_and_smp)
{
	static struct pvk_start_info *si = (struct pvk_start_info *)&shared;
	static struct pvk_suspend_part part = {
		.name = "counted", .quiesce = counted_quiesce, .resume = counted_resume,
	};
	const struct pvk_suspend_host host = {
		.start_info = si, .before = host_before, .after = host_after,
	};
	unsigned int xs0;

	if (!pvk_pvops.name)
		pvk_pvops.name = "unit";
	pvk_pvops.time.clock_ns = fake_clock_ns;
	unit_fake_cpu = 0;
	CHECK_EQ(pvk_suspend_init(&host), 0);
	CHECK_EQ(pvk_smp_init(), 0);
	CHECK_EQ(pvk_suspend_register(&part), 0);
	h = (__typeof__(h)){ .before_role = 99 };
	xs_suspend_rc = -PVK_XEN_EBUSY;
	CHECK_EQ(unit_fake_worker_depth(), 0);
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);	/* xenstore's refusal */
	CHECK_EQ(h.befores, 1);
	CHECK_EQ(h.before_role, 0);		/* not taken yet in before() */
	CHECK_EQ(counted_quiesces, 1);
	CHECK_EQ(counted_resumes, 1);

	/* The role kept elsewhere: refused after before(), undone; the
	 * parts and xenstore never quiesced, so nothing to resume (review
	 * s13 N8). */
	xs0 = xs_suspends;
	unit_fake_worker_busy(true);
	unit_log_clear();
	CHECK_EQ(pvk_suspend(), -PVK_XEN_ETIMEDOUT);
	unit_fake_worker_busy(false);
	CHECK(unit_log_has("the xenbus worker role is busy"));
	CHECK_EQ(counted_quiesces, 1);
	CHECK_EQ(counted_resumes, 1);
	CHECK_EQ(xs_suspends, xs0);
	CHECK_EQ(h.befores, 2);
	CHECK_EQ(h.afters, 2);
	CHECK_EQ(h.last_after, PVK_SUSPEND_CANCELLED);
	CHECK_EQ(pvk_smp_suspend_begin(), 0);	/* smp's flag was released */
	pvk_smp_suspend_end(false);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);	/* busy released */
	CHECK_EQ(h.befores, 3);
}
