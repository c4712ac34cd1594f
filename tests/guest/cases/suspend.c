/*
 * tests/guest/cases/suspend.c - the whole guest saved and restored by
 * dom0's xl while it runs (tests/xen/scenarios/guest-save-*.scn and
 * tests/xen/dom0/save-restore).
 *
 * While it waits for the toolstack the guest keeps xenstore busy: one
 * transaction after another increments data/txn-counter (with a short
 * sleep between them that runs no watch callback), and a heartbeat line
 * (a counter and its monotonic clock) is printed every half second. The
 * suspend request arrives as a watch event, which the kit answers from
 * the watch callback run by background work inside one of those
 * transactions' waits: the suspend always happens with a transaction
 * open or a request outstanding (review s10-16 #4). Then, in whichever
 * domain it finds itself:
 *  - the outcome is the one the scenario asked for;
 *  - xenstore answers on the new ring (the domain's name and id; the id
 *    changed in a new domain and did not after a cancelled suspend);
 *  - every CPU the guest's before() took down is online again and runs
 *    work;
 *  - the transactions: every one that returned 0 was applied exactly
 *    once (the counter equals their number at each heartbeat and after
 *    a few more on the new ring; a new domain has a new home in
 *    xenstore, so there the count starts over from the resume), none
 *    failed but with EIO, and only the one open at a resume in a new
 *    domain may (the old -EAGAIN made pvk_xs_transaction() run a
 *    committed one twice; a transaction of before sent to the new
 *    xenstored fails with ENOENT): cancelled, none failed;
 *  - VIRQ_DEBUG, bound before the suspend after an unbound port (which
 *    nobody binds again), is bound again by the kit in a new domain
 *    (EVTCHNOP_status of its new number says VIRQ_DEBUG, vCPU 0), and
 *    dom0's `xl debug-keys q` after the resume reaches its handler on
 *    that number; an old number Xen now calls closed is refused (EBADF)
 *    (review s10-16 #5);
 *  - the wall clock agrees with dom0's `date +%s`, written by the
 *    scenario's rule after the resume, within wide bounds (a rebase that
 *    leaked into the wall clock, review s10-16 #2 and #6, puts it ahead
 *    by the rebase);
 *  - a watch registered before the suspend fires for a write of dom0's
 *    after it, and the suite goes on to a clean poweroff.
 * The downtime by the guest's clock is printed (never asserted: the
 * harness's host is shared and slow), and dom0's figure with the value it
 * writes. After a checkpoint that value also carries dom0's verdict on
 * the second copy it restored from the image ("copy=resumed": the copy
 * said it resumed in a new domain and read its own name), which the
 * original checks.
 *
 * The cycle is suspend_cycle() (suspend_cycle.h).
 *
 * Each wait is bounded; a wait whose clock stopped is bounded by the
 * harness's TIMEOUT.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "grant_dom0.h"
#include "suspend_cycle.h"

#ifdef CONFIG_PVK_XENBUS

#define MS			(1000ULL * 1000)
#define SUSPEND_WAIT_NS		(120ULL * 1000 * MS)
#define HEARTBEAT_NS		(500ULL * MS)
#define TXN_GAP_NS		(100ULL * MS)	/* light on xenstored: xl save uses it too */
#define WATCH_WAIT_NS		(60ULL * 1000 * MS)
#define RUN_TIMEOUT_NS		(10ULL * 1000 * MS)
#define VIRQ_WAIT_NS		(30ULL * 1000 * MS)
#define TXN_AFTER		5	/* transactions on the new ring */
#define COUNTER			"data/txn-counter"
/* The wall clock against dom0's whole-second date, read after dom0 wrote
 * it (the rule's xenstore write, the watch, a slow shared host): wide. */
#define WALL_BEHIND_NS		(3000 * MS)
#define WALL_AHEAD_NS		(30000 * MS)

static char after_value[128];
static unsigned int after_events;
static unsigned int cycle;	/* this boot's suspends asked for, from 1 */

static void on_after_write(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	after_events++;
	if (pvk_xs_read(PVK_XBT_NIL, "data/after-resume", after_value,
			sizeof(after_value)) < 0)
		after_value[0] = '\0';
}

static void note_cpu(void *arg)
{
	*(unsigned int *)arg = pvk_port_cpu_id();
}

static bool after_value_seen(void)
{
	return after_value[0] != '\0';
}

/* VIRQ_DEBUG's handler: calls and the port it was called for. */
static unsigned int dbg_calls;
static pvk_evtchn_port_t dbg_port;

static bool dbg_event(pvk_evtchn_port_t port, void *arg)
{
	(void)arg;
	PVK_WRITE_ONCE(dbg_port, port);
	PVK_WRITE_ONCE(dbg_calls, dbg_calls + 1);
	return true;
}

/* The transactions' outcome. */
struct txn_load {
	uint64_t committed, eio, other;
	int other_rc;
	uint64_t mismatches;	/* heartbeats whose counter read != committed */
	uint64_t base;		/* committed in an old domain's store */
};

static int incr(pvk_xs_transaction_t t, void *arg)
{
	unsigned long v;
	char buf[24];
	int rc;

	(void)arg;
	rc = pvk_xs_read_ulong(t, COUNTER, &v);
	if (rc)
		return rc;
	pvk_snprintf(buf, sizeof(buf), "%lu", v + 1);
	return pvk_xs_write(t, COUNTER, buf);
}

static void txn_once(struct txn_load *l)
{
	int rc = pvk_xs_transaction(incr, NULL, NULL);

	if (!rc) {
		l->committed++;
	} else if (rc == -PVK_XEN_EIO) {
		l->eio++;
	} else {
		l->other++;
		l->other_rc = rc;
	}
}

struct beat {
	uint64_t count, last_ns;
};

/* Transactions and heartbeats until the kit's after callback counted one
 * more suspend; -ETIMEDOUT past the bound. */
static int beat_until_suspended(struct beat *b, unsigned int before, struct txn_load *l)
{
	uint64_t deadline = pvk_time_now_ns() + SUSPEND_WAIT_NS;
	uint64_t next_beat = 0;

	while (guest_suspends_done() == before) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		/* dom0 writes its value before any suspend only when it gave
		 * up (a migration refused): no use waiting for it. */
		if (after_value_seen())
			return -PVK_XEN_ECONNREFUSED;
		if (now >= next_beat) {
			unsigned long v;

			/* Before the suspend the store is this domain's: each
			 * committed transaction counted once (a read that a
			 * resume in a new domain ends finds no node). */
			if (!pvk_xs_read_ulong(PVK_XBT_NIL, COUNTER, &v) &&
			    v != l->committed - l->base)
				l->mismatches++;
			b->count++;
			b->last_ns = now;
			next_beat = now + HEARTBEAT_NS;
			guest_printf("suspend: heartbeat %llu t=%llu ms, %llu transactions committed\n",
				     (unsigned long long)b->count, (unsigned long long)(now / MS),
				     (unsigned long long)l->committed);
		}
		/* The heartbeat's read may have run the suspend: a new
		 * domain has no counter node. */
		if (guest_suspends_done() != before)
			break;
		/* The suspend happens in here: watch callbacks run only as
		 * background work of a xenstore wait, and the sleep runs
		 * none. */
		txn_once(l);
		pvk_time_sleep_ns(TXN_GAP_NS);
	}
	return 0;
}

static int wait_after_value(void)
{
	uint64_t deadline = pvk_time_now_ns() + WATCH_WAIT_NS;

	while (!after_value_seen()) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(deadline - now);
	}
	return 0;
}

static bool name_ends_with(const char *name, const char *tail)
{
	size_t n = __builtin_strlen(name), t = __builtin_strlen(tail);

	return n >= t && !__builtin_memcmp(name + n - t, tail, t);
}

/* EVTCHNOP_status of port, all of it. */
static int port_status(pvk_evtchn_port_t port, struct pvk_evtchn_status *st)
{
	*st = (struct pvk_evtchn_status){ .dom = PVK_DOMID_SELF, .port = port };
	return (int)pvk_hyp_event_channel_op(PVK_EVTCHNOP_status, st);
}

/* VIRQ_DEBUG after the suspend: bound (again, in a new domain) on *now,
 * and an old number Xen calls closed refused. */
static void check_virq(enum pvk_suspend_result result, pvk_evtchn_port_t unbound,
		       pvk_evtchn_port_t before, pvk_evtchn_port_t *now)
{
	struct pvk_evtchn_status st;
	pvk_evtchn_port_t old[2] = { unbound, before };
	unsigned int refused = 0;
	int rc;

	rc = pvk_evtchn_resumed_port(before, now);
	if (result == PVK_SUSPEND_CANCELLED) {
		PVK_CHECK_RC(rc, -PVK_XEN_ENOENT);	/* nothing bound again */
		*now = before;
	} else {
		PVK_CHECK_RC(rc, 0);
	}
	PVK_CHECK_RC(port_status(*now, &st), 0);
	PVK_CHECK_EQ(st.status, PVK_EVTCHNSTAT_virq);
	PVK_CHECK_EQ(st.u.virq, PVK_VIRQ_DEBUG);
	PVK_CHECK_EQ(st.vcpu, 0);
	if (result == PVK_SUSPEND_CANCELLED)
		return;
	for (unsigned int i = 0; i < 2; i++) {
		if (old[i] == *now)
			continue;
		PVK_CHECK_RC(port_status(old[i], &st), 0);
		if (st.status != PVK_EVTCHNSTAT_closed)
			continue;
		/* A number of before that the new domain gave nobody. */
		PVK_CHECK_RC(pvk_evtchn_send(old[i]), -PVK_XEN_EBADF);
		PVK_CHECK_RC(pvk_evtchn_close(old[i]), -PVK_XEN_EBADF);
		refused++;
	}
	guest_printf("suspend: VIRQ_DEBUG bound again on port %u (port %u before, unbound port %u before); %u old numbers refused\n",
		     *now, before, unbound, refused);
	/* unbound (port n) and VIRQ_DEBUG (n + 1): the rebind takes the
	 * lowest free number, so at least one old number is free now. */
	PVK_CHECK_GE(refused, 1);
}

static int wait_dbg(unsigned int calls)
{
	uint64_t deadline = pvk_time_now_ns() + VIRQ_WAIT_NS;

	while (PVK_READ_ONCE(dbg_calls) <= calls) {
		if (pvk_time_now_ns() >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_time_sleep_ns(10 * MS);
	}
	return 0;
}

/* The wall clock against dom0's date, written just before the watch's
 * value by the scenario's rule. Absent: not checked, said so (the
 * scenarios of this file write it; their EXPECT_REGEX wants the line). */
static void check_wallclock(void)
{
	struct pvk_wallclock wc;
	unsigned long dom0_s;
	uint64_t wall_ns, dom0_ns;
	int rc;

	pvk_time_wallclock(&wc);
	rc = pvk_xs_read_ulong(PVK_XBT_NIL, "data/dom0-date", &dom0_s);
	if (rc == -PVK_XEN_ENOENT) {
		guest_printf("suspend: no data/dom0-date from dom0: the wall clock is not checked\n");
		return;
	}
	PVK_CHECK_RC(rc, 0);
	wall_ns = wc.sec * PVK_NSEC_PER_SEC + wc.nsec;
	dom0_ns = (uint64_t)dom0_s * PVK_NSEC_PER_SEC;
	guest_printf("suspend: wall clock after the resume %lld ms from dom0's date (%lu)\n",
		     (long long)((int64_t)(wall_ns - dom0_ns) / (int64_t)MS), dom0_s);
	PVK_CHECK_GE(wall_ns + WALL_BEHIND_NS, dom0_ns);
	PVK_CHECK_LE(wall_ns, dom0_ns + WALL_AHEAD_NS);
}

/*
 * One suspend, then the checks (suspend_cycle.h). c->want: the outcome
 * this domain must see; a domain whose name ends in "-copy" is the
 * checkpoint's second copy (dom0 restored it from the image `xl save -c`
 * left) and must see itself resumed in a new domain.
 */
void suspend_cycle(const struct suspend_cycle *c)
{
	enum pvk_suspend_result want = c->want;
	char domid_before[16];
	static struct pvk_xs_watch w = { .path = "data/after-resume", .cb = on_after_write };
	struct pvk_suspend_stats st;
	struct beat b = { 0, 0 };
	struct txn_load load = { 0, 0, 0, 0, 0, 0 };
	char name[64], domid[16];
	unsigned int before, dbg_seen, cpus_before;
	uint64_t t_after, here, beat_gap;
	unsigned long counter;
	pvk_evtchn_port_t unbound, dbg_before, dbg_now;
	int result, rc;
	pvk_grant_ref_t ref;
	void *page;

	guest_control_enable();
	/* A grant table in use across the suspend (the kit unmaps and maps
	 * it again): one that another test left is fine too. */
	rc = pvk_grant_init(GRANT_VA, GRANT_FRAMES);
	PVK_CHECK(rc == 0 || rc == -PVK_XEN_EINVAL);
	page = pvk_port_alloc_page();
	PVK_CHECK(page != NULL);
	PVK_CHECK_RC(pvk_grant_access_page(0, page, true, &ref), 0);
	PVK_CHECK_RC(pvk_grant_end_access(ref), 0);
	/* An unbound port (not bound again by anyone after a resume), then
	 * VIRQ_DEBUG (bound again by the kit). */
	PVK_CHECK_RC(pvk_evtchn_alloc_unbound(0, NULL, NULL, &unbound), 0);
	PVK_CHECK_RC(pvk_evtchn_bind_virq(PVK_VIRQ_DEBUG, 0, dbg_event, NULL, &dbg_before), 0);
	after_value[0] = '\0';
	after_events = 0;
	/* An earlier cycle's writes must not count for this one. */
	rc = pvk_xs_rm(PVK_XBT_NIL, "data/after-resume");
	PVK_CHECK(rc == 0 || rc == -PVK_XEN_ENOENT);
	rc = pvk_xs_rm(PVK_XBT_NIL, "data/dom0-date");
	PVK_CHECK(rc == 0 || rc == -PVK_XEN_ENOENT);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, COUNTER, "0"), 0);
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	pvk_xs_run_watches();	/* the registration event: node absent */
	PVK_CHECK(!after_value_seen());
	PVK_CHECK(pvk_xs_read(PVK_XBT_NIL, "name", name, sizeof(name)) > 0);
	PVK_CHECK(pvk_xs_read(PVK_XBT_NIL, "domid", domid_before, sizeof(domid_before)) > 0);
	guest_printf("suspend: this is %s domid %s before the suspend; VIRQ_DEBUG on port %u\n",
		     name, domid_before, dbg_before);
	before = guest_suspends_done();
	cpus_before = pvk_smp_nr_online();
	cycle++;
	guest_printf("suspend: ready for xl save #%u (dom0: save it now)\n", cycle);
	rc = beat_until_suspended(&b, before, &load);
	if (rc == -PVK_XEN_ECONNREFUSED) {
		guest_printf("suspend: dom0 gave up before any suspend: \"%s\"\n", after_value);
		PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
		PVK_FAIL("dom0 did not suspend the guest (its value above says why)");
	}
	PVK_CHECK_RC(rc, 0);

	/* What the kit did, by its own account and by our clock. */
	result = guest_last_suspend_result();
	pvk_suspend_get_stats(&st);
	t_after = pvk_time_now_ns();
	here = pvk_time_now_ns_here();
	beat_gap = t_after - b.last_ns;
	guest_printf("suspend: back: %s (suspends %llu, resumed %llu, cancelled %llu)\n",
		     result == PVK_SUSPEND_RESUMED ? "resumed in a new domain" :
		     result == PVK_SUSPEND_CANCELLED ? "cancelled, same domain" : "?",
		     (unsigned long long)st.suspends, (unsigned long long)st.resumed,
		     (unsigned long long)st.cancelled);
	/* Printed, not checked: on one host none of these can go back
	 * (the kit's clock is clamped to what it said, Xen's runs on); the
	 * wall clock against dom0's below is the clock's check. */
	guest_printf("suspend: downtime by the guest's clock %llu ms (kit: %llu us; last heartbeat %llu ms before the resume's first line; this vCPU's unclamped clock %llu ms, the kit's note before %llu ms)\n",
		     (unsigned long long)(st.last_downtime_ns / MS),
		     (unsigned long long)(st.last_downtime_ns / 1000),
		     (unsigned long long)(beat_gap / MS), (unsigned long long)(here / MS),
		     (unsigned long long)(st.last_before_ns / MS));
	PVK_CHECK(st.suspends >= 1);

	/* xenstore on the (new) ring: who are we now. */
	PVK_CHECK(pvk_xs_read(PVK_XBT_NIL, "name", name, sizeof(name)) > 0);
	PVK_CHECK(pvk_xs_read(PVK_XBT_NIL, "domid", domid, sizeof(domid)) > 0);
	guest_printf("suspend: xenstore says name %s domid %s\n", name, domid);
	if (name_ends_with(name, "-copy"))
		want = PVK_SUSPEND_RESUMED;
	PVK_CHECK_EQ(result, (int)want);
	/* A new domain has a new id; a cancelled suspend kept ours. */
	if (result == PVK_SUSPEND_RESUMED)
		PVK_CHECK(guest_strncmp(domid, domid_before, sizeof(domid)) != 0);
	else
		PVK_CHECK(guest_strncmp(domid, domid_before, sizeof(domid)) == 0);
	PVK_CHECK_EQ(st.lost_xs_requests, 0);
	/* The grant table is mapped again: an entry written and ended. */
	PVK_CHECK_RC(pvk_grant_access_page(0, page, true, &ref), 0);
	PVK_CHECK(!pvk_grant_in_use(ref));
	PVK_CHECK_RC(pvk_grant_end_access_page(ref, page), 0);

	/* The CPUs the guest's before() took down are back (with VCPUS=2:
	 * guest-save-checkpoint, where Xen kept the stopped vCPU, and its
	 * copy, a new domain that initialised it anew), each running work. */
	PVK_CHECK_EQ(guest_suspend_cpus_not_back(), 0u);
	PVK_CHECK_EQ(pvk_smp_nr_online(), cpus_before);
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		unsigned int ran_on = PVK_MAX_CPUS;

		if (!pvk_smp_cpu_online(cpu))
			continue;
		PVK_CHECK_RC(guest_smp_run_on(cpu, note_cpu, &ran_on, RUN_TIMEOUT_NS), 0);
		PVK_CHECK_EQ(ran_on, cpu);
	}
	guest_printf("suspend: %u CPU%s online again, each ran work\n", cpus_before,
		     cpus_before == 1 ? "" : "s");

	/* The transactions. A new domain has a new home in xenstore: the
	 * counter of before went with the old domain (its commits were
	 * checked at each heartbeat), and counting starts over. Then a few
	 * more on the new ring, and the count. */
	if (result == PVK_SUSPEND_RESUMED) {
		PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, COUNTER, &counter), -PVK_XEN_ENOENT);
		load.base = load.committed;
		PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, COUNTER, "0"), 0);
	}
	for (unsigned int i = 0; i < TXN_AFTER; i++)
		txn_once(&load);
	PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, COUNTER, &counter), 0);
	guest_printf("suspend: %llu transactions committed, counter %lu (%llu committed in the old domain's store, %llu heartbeats' counters wrong); %llu failed with EIO, %llu otherwise (last %d)\n",
		     (unsigned long long)load.committed, counter,
		     (unsigned long long)load.base, (unsigned long long)load.mismatches,
		     (unsigned long long)load.eio, (unsigned long long)load.other,
		     load.other_rc);
	PVK_CHECK_EQ(counter, load.committed - load.base);
	PVK_CHECK_EQ(load.mismatches, 0);
	PVK_CHECK_EQ(load.other, 0);
	PVK_CHECK_LE(load.eio, result == PVK_SUSPEND_RESUMED ? 1 : 0);

	/* VIRQ_DEBUG: bound again (new domain) or kept (cancelled). */
	check_virq((enum pvk_suspend_result)result, unbound, dbg_before, &dbg_now);
	dbg_seen = PVK_READ_ONCE(dbg_calls);

	/* A watch of before the suspend hears dom0's write of after it. */
	guest_printf("suspend: ready for a watch write #%u (dom0: xl debug-keys q, write data/dom0-date and data/after-resume now)\n",
		     cycle);
	PVK_CHECK_RC(wait_after_value(), 0);
	check_wallclock();
	guest_printf("suspend: watch fired after the resume, value \"%s\"\n", after_value);
	PVK_CHECK_STR_CONTAINS(after_value, "hello-after-resume");
	/* dom0's verdict on the checkpoint's copy (dom0/save-restore). */
	if (want == PVK_SUSPEND_CANCELLED)
		PVK_CHECK_STR_CONTAINS(after_value, "copy=resumed");
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
	/* dom0 pressed 'q' before its writes: VIRQ_DEBUG's handler ran on
	 * the port the kit reported. */
	PVK_CHECK_RC(wait_dbg(dbg_seen), 0);
	PVK_CHECK_EQ(PVK_READ_ONCE(dbg_port), dbg_now);
	guest_printf("suspend: VIRQ_DEBUG delivered after the resume on port %u\n", dbg_now);
	PVK_CHECK_RC(pvk_evtchn_close(dbg_now), 0);
	/* The unbound port: ours to close if the domain is the same, gone
	 * with the old one (forgotten, not closed) if not. */
	if (result == PVK_SUSPEND_CANCELLED)
		PVK_CHECK_RC(pvk_evtchn_close(unbound), 0);
}

const char *suspend_cycle_dom0_value(void)
{
	return after_value;
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_save_restore)
{
	static const struct suspend_cycle c = { .want = PVK_SUSPEND_RESUMED };

	suspend_cycle(&c);
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_checkpoint)
{
	static const struct suspend_cycle c = { .want = PVK_SUSPEND_CANCELLED };

	suspend_cycle(&c);
}

#endif /* CONFIG_PVK_XENBUS */
