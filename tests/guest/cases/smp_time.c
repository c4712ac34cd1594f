/*
 * tests/guest/cases/smp_time.c - time and the per-CPU batch queues on
 * several CPUs (time/, hypercall/multicall.c, mm/mmu_queue.c), on Xen
 * (VCPUS=4) and natively (-smp 4). With one CPU they run on CPU 0 alone.
 *
 *   smp_timer_per_cpu     on each CPU, its one-shot: the host's deadline
 *                         set there expires there (that CPU's count goes
 *                         up by one, no other CPU's does) and the kit's
 *                         deadline's fn runs there (it records
 *                         pvk_port_cpu_id())
 *   smp_clock_agree       each CPU's own clock (pvk_clock_ns_here(): Xen
 *                         its vcpu_info's record, natively its TSC, no
 *                         cross-CPU maximum) lies within the bracket CPU
 *                         0's own clock gives around it in a spinning
 *                         shared-memory handshake (a few µs): the largest
 *                         skew (signed: behind or ahead) is printed and
 *                         checked against 100 us; the TSC read directly
 *                         on both sides is compared the same way (checked
 *                         natively, printed on Xen); pvk_clock_ns() read
 *                         in sequence across CPUs never goes back. One
 *                         CPU: its own clock and the kit's in order
 *   smp_clock_concurrent  every CPU reads the clock at once, 20,000 times
 *                         each, and checks each value against the largest
 *                         one any CPU had returned before the read
 *                         started: never below
 *   smp_batches_all_cpus  Xen: every CPU at once fills its own multicall
 *                         queue (xen_version calls, checked results and
 *                         callbacks) and its own lazy-MMU queue (PTE
 *                         rewrites of its own pages): every batch
 *                         succeeds, each CPU's callbacks ran on it, and
 *                         the PTEs hold what the last batch wrote
 *
 * Work on the other CPUs runs through guest_smp_run_on(); its results are
 * checked here, on CPU 0.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/multicall.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/version.h>
#include <pvkit/xen/xen.h>

#include "../test.h"
#include "smp_helpers.h"

#define MS			(1000ULL * 1000)
#define RUN_TIMEOUT_NS		(10ULL * 1000 * MS)
#define FIRE_TIMEOUT_NS		(2ULL * 1000 * MS)
#define CLOCK_BOUND_NS		(100ULL * 1000)	/* 100 us: Xen keeps its records within µs */
#define CLOCK_ROUNDS		200
#define CONCURRENT_READS	20000
#define BARRIER_TIMEOUT_NS	(5ULL * 1000 * MS)
#define MC_ROUNDS		50
#define MC_PER_ROUND		(CONFIG_PVK_MULTICALL_BATCH + 3)	/* one full batch and more */
#define LAZY_PAGES		16
#define LAZY_ROUNDS		20
#define SMP_TIME_VA		0xffff990000000000UL	/* L4 slot 306, per CPU 2 MiB */

/* ---- smp_timer_per_cpu ------------------------------------------------ */

struct timer_report {
	unsigned int cpu;		/* where the work ran */
	int set_rc, kit_rc;
	uint64_t fired_before[PVK_MAX_CPUS], fired_after[PVK_MAX_CPUS];
	unsigned int kit_fn_cpu;	/* where the kit's fn ran */
	bool kit_fired;
	bool host_seen;
	int64_t host_late_ns;		/* seen after the deadline by */
};

static bool host_fired_here(void *arg)
{
	const struct timer_report *r = arg;

	return pvk_time_timer_fired_cpu(r->cpu) > r->fired_before[r->cpu];
}

static void kit_fn(void *arg)
{
	struct timer_report *r = arg;

	r->kit_fn_cpu = pvk_port_cpu_id();
	PVK_WRITE_ONCE(r->kit_fired, true);
}

static bool kit_fired(void *arg)
{
	return PVK_READ_ONCE(((struct timer_report *)arg)->kit_fired);
}

static void timer_here(void *arg)
{
	struct timer_report *r = arg;
	uint64_t deadline;

	r->cpu = pvk_port_cpu_id();
	for (unsigned int c = 0; c < PVK_MAX_CPUS; c++)
		r->fired_before[c] = pvk_time_timer_fired_cpu(c);
	deadline = pvk_clock_ns() + 2 * MS;
	r->set_rc = pvk_time_timer_set(deadline);
	r->host_seen = !r->set_rc &&
		       guest_wait_until(host_fired_here, r, FIRE_TIMEOUT_NS) == 0;
	r->host_late_ns = (int64_t)(pvk_clock_ns() - deadline);
	for (unsigned int c = 0; c < PVK_MAX_CPUS; c++)
		r->fired_after[c] = pvk_time_timer_fired_cpu(c);
	/* The kit's own deadline (the flood hold-off's), briefly borrowed:
	 * no flood is on during the test. */
	r->kit_fn_cpu = PVK_MAX_CPUS;
	r->kit_rc = pvk_time_kit_timer_set(pvk_clock_ns() + 1 * MS, kit_fn, r);
	if (!r->kit_rc)
		guest_wait_until(kit_fired, r, FIRE_TIMEOUT_NS);

}

PVK_GUEST_TEST(smp_timer_per_cpu)
{
	struct pvk_cpumask online;
	unsigned int cpu;

	if (!smp_case_online())
		return;
	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(cpu, &online) {
		static struct timer_report r;

		r = (struct timer_report){ .cpu = PVK_MAX_CPUS };
		PVK_CHECK_RC(guest_smp_run_on(cpu, timer_here, &r, RUN_TIMEOUT_NS), 0);
		PVK_CHECK_EQ(r.cpu, cpu);
		PVK_CHECK_RC(r.set_rc, 0);
		PVK_CHECK(r.host_seen);
		/* Its expiry was counted on it, and on no other CPU (nobody
		 * else arms a one-shot while the test runs). */
		for (unsigned int c = 0; c < PVK_MAX_CPUS; c++)
			PVK_CHECK_EQ(r.fired_after[c] - r.fired_before[c], c == cpu ? 1 : 0);
		PVK_CHECK_RC(r.kit_rc, 0);
		PVK_CHECK(r.kit_fired);
		PVK_CHECK_EQ(r.kit_fn_cpu, cpu);
		guest_printf("smp: CPU %u: its one-shot fired on it, seen %lld us after the deadline; the kit's deadline's fn ran on CPU %u\n",
			     cpu, (long long)(r.host_late_ns / 1000), r.kit_fn_cpu);
	}
}

/* ---- smp_clock_agree -------------------------------------------------- */

/*
 * CPU 0 and CPU n meet through shared memory only (both spin, no IPI, no
 * block), so a round's bracket is a few µs: CPU 0 reads its own clock
 * (before), raises ping; CPU n, spinning on ping, reads its own clock and
 * raises pong; CPU 0, spinning on pong, reads its own clock again (after).
 * The clocks are pvk_clock_ns_here(): each CPU's own, without the kit's
 * cross-CPU maximum (which would absorb a CPU running ahead). CPU n's value
 * must lie in [before, after]; by how much it lies outside is its skew.
 * The TSC, read directly on both sides (a source the kit does not
 * compute), is compared the same way; natively it is checked too.
 */
struct handshake {
	unsigned int ping, pong;	/* round numbers */
	uint64_t here, kit, tsc;	/* CPU n's reads in the round */
	bool timed_out;
};

static struct handshake hs;

#define HS_SPINS	200000000UL

static inline uint64_t tsc_now(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) :: "memory");
	return (uint64_t)hi << 32 | lo;
}

static void clock_partner(void *arg)
{
	unsigned int rounds = *(unsigned int *)arg;

	for (unsigned int k = 1; k <= rounds; k++) {
		unsigned long spins = 0;

		while (__atomic_load_n(&hs.ping, __ATOMIC_ACQUIRE) != k) {
			if (++spins > HS_SPINS) {
				hs.timed_out = true;
				return;
			}
			__builtin_ia32_pause();
		}
		hs.here = pvk_clock_ns_here();
		hs.tsc = tsc_now();
		hs.kit = pvk_clock_ns();
		__atomic_store_n(&hs.pong, k, __ATOMIC_RELEASE);
	}
}

/* How far v lies outside [lo, hi] (signed; 0 inside). */
static int64_t outside(uint64_t v, uint64_t lo, uint64_t hi)
{
	if ((int64_t)(lo - v) > 0)
		return -(int64_t)(lo - v);	/* behind */
	if ((int64_t)(v - hi) > 0)
		return (int64_t)(v - hi);	/* ahead */
	return 0;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

PVK_GUEST_TEST(smp_clock_agree)
{
	static struct guest_smp_run run;
	unsigned int rounds = CLOCK_ROUNDS, cpu, measured = 0, worst_cpu = 0, tsc_worst_cpu = 0;
	int64_t worst = 0, tsc_worst = 0, narrowest = INT64_MAX, mid_worst = 0;
	struct pvk_cpumask online;
	uint64_t ns0, tsc0, ns1, tsc1, tsc_bound;
	unsigned int kit_back = 0;

	if (!smp_case_online())
		return;
	pvk_smp_online_mask(&online);
	ns0 = pvk_clock_ns_here();
	tsc0 = tsc_now();
	if (pvk_cpumask_weight(&online) == 1) {
		/* One CPU: its own clock against itself, and the kit's clock
		 * never below a value of its own read before it. */
		for (unsigned int i = 0; i < CLOCK_ROUNDS * 100; i++) {
			uint64_t a = pvk_clock_ns_here(), k = pvk_clock_ns(), b = pvk_clock_ns_here();

			PVK_CHECK_GE((int64_t)(b - a), 0);
			PVK_CHECK_GE((int64_t)(k - a), 0);
		}
		guest_printf("smp: one CPU: CPU 0's own clock and the kit's in order over %u reads\n",
			     CLOCK_ROUNDS * 100);
		return;
	}
	pvk_for_each_cpu(cpu, &online) {
		int rc, wrc;

		if (cpu == pvk_port_cpu_id())
			continue;
		__builtin_memset(&hs, 0, sizeof(hs));
		rc = guest_smp_run_on_start(&run, cpu, clock_partner, &rounds);
		PVK_CHECK_RC(rc, 0);
		if (rc)
			return;
		for (unsigned int k = 1; k <= rounds && !rc; k++) {
			unsigned long flags = pvk_irq_save();	/* a tight bracket */
			uint64_t until, before, after, tb, ta, kb, ka;
			int64_t off, toff;

			kb = pvk_clock_ns();
			tb = tsc_now();
			before = pvk_clock_ns_here();
			until = before + RUN_TIMEOUT_NS;
			__atomic_store_n(&hs.ping, k, __ATOMIC_RELEASE);
			while (__atomic_load_n(&hs.pong, __ATOMIC_ACQUIRE) != k) {
				if ((int64_t)(pvk_clock_ns_here() - until) > 0 || hs.timed_out) {
					rc = -PVK_XEN_ETIMEDOUT;
					break;
				}
				__builtin_ia32_pause();
			}
			after = pvk_clock_ns_here();
			ta = tsc_now();
			ka = pvk_clock_ns();
			pvk_restore_fl(flags);
			if (rc)
				break;
			off = outside(hs.here, before, after);

			toff = outside(hs.tsc, tb, ta);
			/* Printed: the offset from the narrowest bracket's
			 * midpoint (a measurement, within half that bracket
			 * plus the skew; wide brackets, a vCPU descheduled,
			 * say nothing). */
			if ((int64_t)(after - before) < narrowest)
				mid_worst = (int64_t)(hs.here - before) - (int64_t)(after - before) / 2;
			if ((int64_t)(after - before) < narrowest)
				narrowest = (int64_t)(after - before);
			if (abs64(off) > abs64(worst)) {
				worst = off;
				worst_cpu = cpu;
			}
			if (abs64(toff) > abs64(tsc_worst)) {
				tsc_worst = toff;
				tsc_worst_cpu = cpu;
			}
			/* The kit's clock in sequence: CPU 0, cpu, CPU 0. */
			if ((int64_t)(hs.kit - kb) < 0 || (int64_t)(ka - hs.kit) < 0)
				kit_back++;
		}
		/* Wait for the partner before any check can end the test. */
		if (rc)
			__atomic_store_n(&hs.ping, rounds + 1, __ATOMIC_RELEASE);
		wrc = guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS);
		PVK_CHECK_RC(rc, 0);
		PVK_CHECK_RC(wrc, 0);
		PVK_CHECK(!hs.timed_out);
		measured++;
	}
	ns1 = pvk_clock_ns_here();
	tsc1 = tsc_now();
	/* The bound in TSC cycles, at the rate CPU 0 saw over the test. */
	tsc_bound = (tsc1 - tsc0) / ((ns1 - ns0) / 1000 + 1) * (CLOCK_BOUND_NS / 1000);
	guest_printf("smp: %u CPUs' own clocks against CPU %u's over %u handshakes each: largest skew %lld ns (CPU %u, negative: behind), narrowest bracket %lld ns, offset from its midpoint %lld ns; TSC read directly: largest skew %lld cycles (CPU %u, bound %llu cycles); bound %llu ns\n",
		     measured, pvk_port_cpu_id(), rounds, (long long)worst, worst_cpu, (long long)narrowest, (long long)mid_worst,
		     (long long)tsc_worst, tsc_worst_cpu, (unsigned long long)tsc_bound,
		     (unsigned long long)CLOCK_BOUND_NS);
	PVK_CHECK_EQ(measured, pvk_cpumask_weight(&online) - 1);
	PVK_CHECK_EQ(kit_back, 0);
	PVK_CHECK_LE(abs64(worst), (int64_t)CLOCK_BOUND_NS);
	/* Natively the TSC is the clock's source: checked too. (On Xen the
	 * pvclock records carry each pCPU's TSC offset: printed only.) */
	if (guest_native_boot)
		PVK_CHECK_LE((uint64_t)abs64(tsc_worst), tsc_bound);
}

/* ---- smp_clock_concurrent --------------------------------------------- */

static uint64_t clock_published;	/* the largest value any CPU returned */

struct concurrent_report {
	unsigned int backwards;		/* reads below what was published */
	int64_t worst_ns;		/* by how much, at most */
	uint64_t reads;
	bool met;
};

static void clock_race_here(void *arg)
{
	struct concurrent_report *r = arg;

	r->met = smp_case_meet(BARRIER_TIMEOUT_NS);
	for (unsigned int i = 0; i < CONCURRENT_READS; i++) {
		uint64_t seen = __atomic_load_n(&clock_published, __ATOMIC_SEQ_CST);
		uint64_t now = pvk_clock_ns();
		uint64_t cur = seen;

		r->reads++;
		if ((int64_t)(seen - now) > 0) {
			r->backwards++;
			if ((int64_t)(seen - now) > r->worst_ns)
				r->worst_ns = (int64_t)(seen - now);
		}
		while ((int64_t)(now - cur) > 0 &&
		       !__atomic_compare_exchange_n(&clock_published, &cur, now, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			;
	}
}

PVK_GUEST_TEST(smp_clock_concurrent)
{
	static struct concurrent_report r[PVK_MAX_CPUS];
	struct pvk_cpumask online;
	unsigned int cpu, backwards = 0;
	uint64_t reads = 0;
	int64_t worst = 0;

	if (!smp_case_online())
		return;
	for (cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		r[cpu] = (struct concurrent_report){ 0 };
	__atomic_store_n(&clock_published, 0, __ATOMIC_SEQ_CST);
	PVK_CHECK_RC(smp_case_run_everywhere(clock_race_here, r, sizeof(r[0]), RUN_TIMEOUT_NS), 0);
	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(cpu, &online) {
		PVK_CHECK(r[cpu].met);
		PVK_CHECK_EQ(r[cpu].reads, CONCURRENT_READS);
		backwards += r[cpu].backwards;
		reads += r[cpu].reads;
		if (r[cpu].worst_ns > worst)
			worst = r[cpu].worst_ns;
	}
	guest_printf("smp: %llu clock reads on %u CPUs at once: %u below a value already returned (worst by %lld ns)\n",
		     (unsigned long long)reads, pvk_smp_nr_online(), backwards,
		     (long long)worst);
	PVK_CHECK_EQ(backwards, 0);
}

/* ---- smp_batches_all_cpus (Xen) ---------------------------------------- */

struct batch_report {
	unsigned int cpu;
	int mc_rc, lazy_rc, map_rc;
	unsigned int callbacks, callbacks_elsewhere, bad_results;
	unsigned int pending_after;
	uint64_t expect_version;
	unsigned int pte_wrong;
	bool met;
};

static void mc_done(void *ctx, long result)
{
	struct batch_report *r = ctx;

	if (pvk_port_cpu_id() != r->cpu)
		r->callbacks_elsewhere++;
	if ((uint64_t)result != r->expect_version)
		r->bad_results++;
	r->callbacks++;
}

/* This CPU's pages: LAZY_PAGES at SMP_TIME_VA + cpu * 2 MiB. */
static unsigned long cpu_va(unsigned int cpu, unsigned int i)
{
	return SMP_TIME_VA + cpu * (2UL << 20) + i * PVK_PAGE_SIZE;
}

static void *lazy_frames[PVK_MAX_CPUS][LAZY_PAGES];

static void batches_here(void *arg)
{
	struct batch_report *r = arg;
	struct pvk_multicall_op op = {
		.op = PVK_HYPERVISOR_xen_version,
		.args = { PVK_XENVER_version, 0 },
		.done = mc_done,
		.ctx = r,
	};
	unsigned int cpu = pvk_port_cpu_id();
	pvk_mfn_t table;
	uint64_t flags;
	int rc;

	r->cpu = cpu;
	r->met = smp_case_meet(BARRIER_TIMEOUT_NS);
	for (unsigned int round = 0; round < MC_ROUNDS && !r->mc_rc; round++) {
		for (unsigned int i = 0; i < MC_PER_ROUND && !r->mc_rc; i++)
			r->mc_rc = pvk_multicall_add(&op, NULL);
		rc = pvk_multicall_flush(NULL);
		if (rc && !r->mc_rc)
			r->mc_rc = rc;
	}
	r->pending_after = pvk_multicall_pending();

	/* The L1 that maps this CPU's pages (mapped by CPU 0 beforehand). */
	table = smp_case_table_of(cpu_va(cpu, 0), 1);
	for (unsigned int round = 0; round < LAZY_ROUNDS && !r->lazy_rc; round++) {
		flags = round & 1 ? PVK_PTE_KERNEL_RO : PVK_PTE_KERNEL_RW;
		pvk_mmu_lazy_enter();
		for (unsigned int i = 0; i < LAZY_PAGES; i++) {
			pvk_mfn_t mfn = pvk_pfn_to_mfn(pvk_port_virt_to_pfn(lazy_frames[cpu][i]));

			pvk_mmu_set_entry(table, pvk_pt_index(cpu_va(cpu, i), 1),
					  pvk_pte(mfn, flags | PVK_PTE_NX));
		}
		r->lazy_rc = pvk_mmu_lazy_leave();
		pvk_mmu_flush_tlb_local();
	}
	/* LAZY_ROUNDS is even: the last round wrote read-only entries. */
	for (unsigned int i = 0; i < LAZY_PAGES; i++) {
		uint64_t pte = pvk_mmu_lookup(cpu_va(cpu, i));

		if ((pte & (PVK_PTE_PRESENT | PVK_PTE_RW)) != PVK_PTE_PRESENT ||
		    pvk_mfn_raw(pvk_pte_mfn(pte)) !=
		    pvk_mfn_raw(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(lazy_frames[cpu][i]))))
			r->pte_wrong++;
	}
}

PVK_GUEST_TEST_XEN(smp_batches_all_cpus)
{
	static struct batch_report r[PVK_MAX_CPUS];
	struct pvk_cpumask online;
	unsigned int cpu;
	long version;

	if (!smp_case_online())
		return;
	version = pvk_hyp_xen_version(PVK_XENVER_version, NULL);
	pvk_smp_online_mask(&online);
	/* Each CPU's pages mapped by CPU 0 first (the tables are shared). */
	pvk_for_each_cpu(cpu, &online) {
		r[cpu] = (struct batch_report){ .expect_version = (uint64_t)version };
		for (unsigned int i = 0; i < LAZY_PAGES; i++) {
			lazy_frames[cpu][i] = pvk_port_alloc_page();
			PVK_CHECK(lazy_frames[cpu][i] != NULL);
			if (!lazy_frames[cpu][i])
				return;
			PVK_CHECK_RC(pvk_mmu_map_range(cpu_va(cpu, i),
						       pvk_port_virt_to_pfn(lazy_frames[cpu][i]),
						       1, PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);
		}
	}
	PVK_CHECK_RC(smp_case_run_everywhere(batches_here, r, sizeof(r[0]), RUN_TIMEOUT_NS), 0);
	pvk_for_each_cpu(cpu, &online) {
		PVK_CHECK_EQ(r[cpu].cpu, cpu);
		PVK_CHECK(r[cpu].met);
		PVK_CHECK_RC(r[cpu].mc_rc, 0);
		PVK_CHECK_EQ(r[cpu].callbacks, MC_ROUNDS * MC_PER_ROUND);
		PVK_CHECK_EQ(r[cpu].callbacks_elsewhere, 0);
		PVK_CHECK_EQ(r[cpu].bad_results, 0);
		PVK_CHECK_EQ(r[cpu].pending_after, 0);
		PVK_CHECK_RC(r[cpu].lazy_rc, 0);
		PVK_CHECK_EQ(r[cpu].pte_wrong, 0);
		guest_printf("smp: CPU %u: %u multicall entries in %u rounds, %u lazy-MMU batches of %u PTEs, all applied\n",
			     cpu, r[cpu].callbacks, MC_ROUNDS, LAZY_ROUNDS, LAZY_PAGES);
		for (unsigned int i = 0; i < LAZY_PAGES; i++) {
			PVK_CHECK_RC(pvk_mmu_unmap_range(cpu_va(cpu, i), 1), 0);
			pvk_port_free_page(lazy_frames[cpu][i]);
		}
	}
}
