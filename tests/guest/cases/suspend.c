/*
 * tests/guest/cases/suspend.c - the whole guest saved and restored by
 * dom0's xl while it runs (tests/xen/scenarios/guest-save-*.scn and
 * tests/xen/dom0/save-restore).
 *
 * The guest prints a heartbeat (a counter and its monotonic clock) while
 * it waits for the toolstack: the suspend request arrives as a watch
 * event, which the kit answers from the watch callback run by this
 * test's wait, so the test sees the suspend as its own wait returning
 * with the guest's after callback counted. Then, in whichever domain it
 * finds itself: the outcome is the one the scenario asked for, the
 * clock did not go back (the kit's and this vCPU's own reading, against
 * what the kit noted just before the hypercall) and still runs, xenstore
 * answers on the new ring (the domain's name and id; the id changed in a
 * new domain and did not after a cancelled suspend), every CPU the
 * guest's before() took down is online again and runs work, a watch registered
 * before the suspend fires for a write of dom0's after it, and the
 * suite goes on to a clean poweroff. The downtime by the guest's clock
 * is printed (never asserted: the harness's host is shared and slow), and
 * dom0's figure with the value it writes. After a checkpoint that value
 * also carries dom0's verdict on the second copy it restored from the
 * image ("copy=resumed": the copy said it resumed in a new domain and
 * read its own name), which the original checks.
 *
 * The cycle is suspend_cycle() (suspend_cycle.h), also run by
 * cases/migrate.c with the guest dirtying memory while it waits.
 *
 * Each wait is bounded; a wait whose clock stopped is bounded by the
 * harness's TIMEOUT.
 */
#define PVK_GUEST_XEN_ONLY_FILE

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
#define WATCH_WAIT_NS		(60ULL * 1000 * MS)
#define RUN_TIMEOUT_NS		(10ULL * 1000 * MS)

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

struct beat {
	uint64_t count, last_ns;
};

/* Heartbeats until the kit's after callback counted one more suspend;
 * -ETIMEDOUT past the bound. With c->busy, the wait is cut into slices of
 * c->busy_wait_ns with busy() run between them (the guest works while
 * the toolstack copies it); the heartbeat still comes every HEARTBEAT_NS. */
static int beat_until_suspended(struct beat *b, unsigned int before,
				const struct suspend_cycle *c)
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
			b->count++;
			b->last_ns = now;
			next_beat = now + HEARTBEAT_NS;
			guest_printf("suspend: heartbeat %llu t=%llu ms\n",
				     (unsigned long long)b->count,
				     (unsigned long long)(now / MS));
		}
		if (c->busy)
			c->busy(c->arg);
		/* Runs the watch callbacks: the suspend happens in here. */
		pvk_xs_wait_watches(c->busy ? c->busy_wait_ns : HEARTBEAT_NS);
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
	char name[64], domid[16];
	unsigned int before, cpus_before;
	uint64_t t_after, here, beat_gap;
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
	after_value[0] = '\0';
	after_events = 0;
	/* An earlier cycle's write must not count for this one. */
	rc = pvk_xs_rm(PVK_XBT_NIL, "data/after-resume");
	PVK_CHECK(rc == 0 || rc == -PVK_XEN_ENOENT);
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	pvk_xs_run_watches();	/* the registration event: node absent */
	PVK_CHECK(!after_value_seen());
	PVK_CHECK(pvk_xs_read(PVK_XBT_NIL, "name", name, sizeof(name)) > 0);
	PVK_CHECK(pvk_xs_read(PVK_XBT_NIL, "domid", domid_before, sizeof(domid_before)) > 0);
	guest_printf("suspend: this is %s domid %s before the suspend\n", name, domid_before);
	before = guest_suspends_done();
	cpus_before = pvk_smp_nr_online();
	cycle++;
	guest_printf("suspend: ready for %s #%u (dom0: %s now)\n",
		     c->what ? c->what : "xl save", cycle, c->what ? "do it" : "save it");
	rc = beat_until_suspended(&b, before, c);
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
	guest_printf("suspend: downtime by the guest's clock %llu ms (kit: %llu us; last heartbeat %llu ms before the resume's first line)\n",
		     (unsigned long long)(st.last_downtime_ns / MS),
		     (unsigned long long)(st.last_downtime_ns / 1000),
		     (unsigned long long)(beat_gap / MS));
	PVK_CHECK(st.suspends >= 1);
	/* The clock: never behind what it said before the hypercall, both
	 * the kit's maximum and this vCPU's own reading of Xen's record. */
	PVK_CHECK(st.last_after_ns >= st.last_before_ns);
	PVK_CHECK(t_after >= st.last_before_ns);
	PVK_CHECK(here >= st.last_before_ns);
	PVK_CHECK(t_after > b.last_ns);

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

	/* The clock still runs: two heartbeats a wait apart. */
	b.count++;
	guest_printf("suspend: heartbeat %llu t=%llu ms (after)\n",
		     (unsigned long long)b.count, (unsigned long long)(t_after / MS));
	pvk_xs_wait_watches(HEARTBEAT_NS);
	PVK_CHECK(pvk_time_now_ns() > t_after);

	/* A watch of before the suspend hears dom0's write of after it. */
	guest_printf("suspend: ready for a watch write #%u (dom0: write data/after-resume now)\n",
		     cycle);
	PVK_CHECK_RC(wait_after_value(), 0);
	guest_printf("suspend: watch fired after the resume, value \"%s\"\n", after_value);
	PVK_CHECK_STR_CONTAINS(after_value, "hello-after-resume");
	/* dom0's verdict on the checkpoint's copy (dom0/save-restore). */
	if (want == PVK_SUSPEND_CANCELLED)
		PVK_CHECK_STR_CONTAINS(after_value, "copy=resumed");
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
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

/* A second save and restore in the same run (guest-save-restore-twice):
 * everything the first resume set up again is set up once more. */
PVK_GUEST_TEST_XEN_EXPLICIT(suspend_save_restore_again)
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
