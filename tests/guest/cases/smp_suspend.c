/*
 * tests/guest/cases/smp_suspend.c - save and restore with several vCPUs,
 * ten times in a row (scenario guest-save-cycles, VCPUS=4; dom0's side is
 * tests/xen/dom0/save-restore's restore mode, one ON_LINE rule a cycle).
 *
 *   suspend_smp_cycles  before the first cycle the guest notes what it
 *                       holds: grant references in use (the kit's
 *                       grant stats), event channel ports bound (Xen's
 *                       view: EVTCHNOP_status of each port, by kind),
 *                       free pages of its page allocator (every page
 *                       the kit takes comes from there) and free bytes
 *                       of its heap. Then each cycle: "ready for xl
 *                       save #N"; dom0 saves and restores; the guest's
 *                       before() took CPUs 1..3 down through the kit,
 *                       its after() started them again (in the new
 *                       domain the kit initialised them from scratch).
 *                       Checked after each: resumed in a new domain;
 *                       every CPU online again; an IPI reaches each
 *                       (its kit counter goes up); on each CPU work runs
 *                       there and its own one-shot timer fires there
 *                       (that CPU's expiry count goes up); a grant is
 *                       written and ended in the new table; and the
 *                       four counts equal the ones noted before the
 *                       first cycle. Before the first cycle CPU 0
 *                       loads a GDT page of its own through
 *                       pvk_load_gdt() (any real kernel does), so that
 *                       every restart passes a GDT frame to
 *                       VCPUOP_initialise; each CPU's run checks it
 *                       sees that table's entry (a frame of the old
 *                       domain would fail the start or show another
 *                       page, review s11-smp M1). One line a cycle with the counts,
 *                       the downtime by the guest's clock (the kit's,
 *                       across the hypercall) and dom0's (xl save's
 *                       start to xl restore's return, which the script
 *                       writes to data/save-result).
 *
 * Each wait is bounded; the downtimes are printed, never asserted.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/event_channel.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "grant_dom0.h"
#include "smp_helpers.h"

#ifdef CONFIG_PVK_XENBUS

#define MS			(1000ULL * 1000)
#define CYCLES			10
#define SUSPEND_WAIT_NS		(120ULL * 1000 * MS)
#define WAIT_STEP_NS		(500ULL * MS)
#define RUN_TIMEOUT_NS		(10ULL * 1000 * MS)
#define FIRE_TIMEOUT_NS		(2ULL * 1000 * MS)
#define IPI_TIMEOUT_NS		(2ULL * 1000 * MS)
#define DOM0_RESULT_S		30
/* Present, DPL 3, writable data: visible to lar at CPL 3 (our kernel's
 * ring on Xen) in entry 1, selector 0x0b. */
#define GDT_DATA_DPL3		0x00cff2000000ffffULL
#define GDT_SEL			0x0bUL
#define GDT_ENTRIES		4
/* Ports below this are looked at: the guest binds a dozen. */
#define PORT_SCAN		256

struct counts {
	uint32_t grants_in_use;		/* the kit's references handed out */
	unsigned int ports, ports_interdomain, ports_virq, ports_ipi;
	size_t free_pages, heap_free;
};

/* Xen's view of our ports: EVTCHNOP_status of each; a port past the
 * domain's table answers an error and ends the scan. */
static void take_counts(struct counts *c)
{
	struct pvk_grant_stats g;

	__builtin_memset(c, 0, sizeof(*c));
	pvk_grant_stats_snapshot(&g);
	c->grants_in_use = g.refs_total - g.refs_free;
	for (pvk_evtchn_port_t port = 1; port < PORT_SCAN; port++) {
		uint32_t status;

		if (pvk_evtchn_status(port, &status))
			break;
		if (status == PVK_EVTCHNSTAT_closed)
			continue;
		c->ports++;
		c->ports_interdomain += status == PVK_EVTCHNSTAT_interdomain;
		c->ports_virq += status == PVK_EVTCHNSTAT_virq;
		c->ports_ipi += status == PVK_EVTCHNSTAT_ipi;
	}
	c->free_pages = guest_pages_free();
	c->heap_free = guest_heap_free_bytes();
}

static void print_counts(const char *what, const struct counts *c)
{
	guest_printf("suspend smp: %s: grants in use %u, ports bound %u (%u interdomain, %u virq, %u ipi), free pages %zu, heap free %zu bytes\n",
		     what, c->grants_in_use, c->ports, c->ports_interdomain, c->ports_virq,
		     c->ports_ipi, c->free_pages, c->heap_free);
}

/* What one CPU did in its run_on. */
struct on_cpu {
	unsigned int cpu;
	int set_rc;
	uint64_t fired_before, fired_after;
	bool fired;
	bool gdt_seen;		/* our GDT page's entry, as loaded on CPU 0 */
};

/* lar: the access rights of a selector, if this CPL may see it. */
static bool gdt_entry_seen(void)
{
	unsigned long ar;
	bool ok;

	__asm__ __volatile__("lar %2, %0; setz %1" : "=r"(ar), "=qm"(ok) : "r"(GDT_SEL) : "cc");
	return ok && (ar & 0xfe00) == 0xf200;
}

static bool fired_here(void *arg)
{
	const struct on_cpu *r = arg;

	return pvk_time_timer_fired_cpu(r->cpu) > r->fired_before;
}

/* On the CPU itself: its number, and its one-shot armed and seen fire. */
static void work_here(void *arg)
{
	struct on_cpu *r = arg;

	r->cpu = pvk_port_cpu_id();
	r->gdt_seen = gdt_entry_seen();
	r->fired_before = pvk_time_timer_fired_cpu(r->cpu);
	r->set_rc = pvk_time_timer_set(pvk_clock_ns() + 2 * MS);
	r->fired = !r->set_rc && guest_wait_until(fired_here, r, FIRE_TIMEOUT_NS) == 0;
	r->fired_after = pvk_time_timer_fired_cpu(r->cpu);
}

/* An IPI to cpu (the guest's wake kind, which only counts): the kit's
 * received count of that CPU goes up, bounded. */
static bool ipi_reaches(unsigned int cpu)
{
	struct pvk_smp_stats before, now;
	uint64_t t0 = pvk_clock_ns();

	if (pvk_smp_get_stats(cpu, &before) || pvk_smp_send_ipi(cpu, GUEST_IPI_WAKE))
		return false;
	for (;;) {
		if (pvk_smp_get_stats(cpu, &now))
			return false;
		if (now.ipis_received > before.ipis_received)
			return true;
		if (pvk_clock_ns() - t0 > IPI_TIMEOUT_NS)
			return false;
		pvk_time_sleep_ns(MS);	/* our own IPI arrives in here */
	}
}

/* Waits (bounded) until the guest's after callback counted one more
 * suspend: the control watch runs in here and the kit suspends there. */
static int wait_suspended(unsigned int before)
{
	uint64_t deadline = pvk_time_now_ns() + SUSPEND_WAIT_NS;

	while (guest_suspends_done() == before) {
		if (pvk_time_now_ns() >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(WAIT_STEP_NS);
	}
	return 0;
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_smp_cycles)
{
	struct counts base, now;
	unsigned int want, cpu;
	struct pvk_cpumask online;
	pvk_grant_ref_t ref;
	uint64_t *gdt;
	void *page;
	int rc;

	guest_control_enable();
	want = smp_case_online();
	if (!want)
		return;
	PVK_CHECK_EQ(want, pvk_smp_nr_possible());
	PVK_CHECK_GE(want, 2u);
	rc = pvk_grant_init(GRANT_VA, GRANT_FRAMES);
	PVK_CHECK(rc == 0 || rc == -PVK_XEN_EINVAL);
	page = pvk_port_alloc_page();
	PVK_CHECK(page != NULL);
	/* The first grant takes the kit's free-list page: before the note. */
	PVK_CHECK_RC(pvk_grant_access_page(0, page, true, &ref), 0);
	PVK_CHECK_RC(pvk_grant_end_access(ref), 0);
	/* CPU 0's own GDT (the page stays it for the rest of the run; our
	 * selectors are Xen's): the restarts below pass it on. */
	gdt = pvk_port_alloc_page();
	PVK_CHECK(gdt != NULL);
	gdt[1] = GDT_DATA_DPL3;
	PVK_CHECK_RC(pvk_load_gdt(gdt, GDT_ENTRIES), 0);
	PVK_CHECK(gdt_entry_seen());
	take_counts(&base);
	print_counts("before the first cycle", &base);
	PVK_CHECK_GE(base.ports_ipi, want);	/* one IPI port per CPU */
	PVK_CHECK_GE(base.ports_virq, want);	/* and its VIRQ_TIMER */

	for (unsigned int n = 1; n <= CYCLES; n++) {
		struct pvk_suspend_stats st;
		struct on_cpu runs[PVK_MAX_CPUS];
		char result[96];
		char tag[16];
		unsigned int before = guest_suspends_done();

		guest_printf("suspend smp: ready for xl save #%u (dom0: save it now)\n", n);
		PVK_CHECK_RC(wait_suspended(before), 0);
		pvk_suspend_get_stats(&st);
		PVK_CHECK_EQ(guest_last_suspend_result(), (int)PVK_SUSPEND_RESUMED);
		PVK_CHECK_EQ(guest_suspend_cpus_not_back(), 0u);
		PVK_CHECK_EQ(pvk_smp_nr_online(), want);
		pvk_smp_online_mask(&online);
		pvk_for_each_cpu(cpu, &online) {
			if (!ipi_reaches(cpu))
				PVK_FAIL("cycle %u: an IPI to CPU %u did not arrive", n, cpu);
		}
		__builtin_memset(runs, 0, sizeof(runs));
		pvk_for_each_cpu(cpu, &online) {
			struct on_cpu *r = &runs[cpu];

			r->cpu = PVK_MAX_CPUS;
			PVK_CHECK_RC(guest_smp_run_on(cpu, work_here, r, RUN_TIMEOUT_NS), 0);
			PVK_CHECK_EQ(r->cpu, cpu);
			PVK_CHECK_RC(r->set_rc, 0);
			if (!r->fired)
				PVK_FAIL("cycle %u: CPU %u's one-shot did not fire on it", n, cpu);
			if (!r->gdt_seen)
				PVK_FAIL("cycle %u: CPU %u does not see the GDT CPU 0 loaded", n, cpu);
		}
		/* A grant in the new table, written and ended. */
		PVK_CHECK_RC(pvk_grant_access_page(0, page, true, &ref), 0);
		PVK_CHECK_RC(pvk_grant_end_access(ref), 0);
		/* dom0's figure for this cycle. */
		rc = wait_value("data/save-result", result, sizeof(result), DOM0_RESULT_S);
		PVK_CHECK_RC_GE(rc, 0);
		pvk_snprintf(tag, sizeof(tag), "cycle=%u ", n);
		PVK_CHECK_STR_CONTAINS(result, tag);
		take_counts(&now);
		guest_printf("suspend smp: cycle %u of %u: %u CPUs back, each took an IPI, ran work and its one-shot; grants in use %u (%u before), ports bound %u (%u), free pages %zu (%zu), heap free %zu (%zu); downtime by the guest's clock %llu ms, dom0 says \"%s\"\n",
			     n, CYCLES, pvk_smp_nr_online(), now.grants_in_use, base.grants_in_use,
			     now.ports, base.ports, now.free_pages, base.free_pages,
			     now.heap_free, base.heap_free,
			     (unsigned long long)(st.last_downtime_ns / MS), result);
		if (now.grants_in_use != base.grants_in_use || now.ports != base.ports ||
		    now.ports_interdomain != base.ports_interdomain ||
		    now.ports_virq != base.ports_virq || now.ports_ipi != base.ports_ipi ||
		    now.free_pages != base.free_pages || now.heap_free != base.heap_free) {
			print_counts("now", &now);
			PVK_FAIL("cycle %u: the counts are not back to where they started", n);
		}
	}
	pvk_port_free_page(page);
}

#endif /* CONFIG_PVK_XENBUS */
