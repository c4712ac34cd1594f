/*
 * tests/guest/cases/smp_mm.c - the PV MMU and the grant table with several
 * CPUs (mm/), on Xen with 4 vCPUs. Natively there is no PV MMU and no
 * grant table: every test here needs Xen. With one CPU they run on CPU 0
 * alone.
 *
 *   smp_grant_concurrent   every online CPU at once allocates GRANT_HOLD
 *                          references, grants a page through each, ends
 *                          and frees them, GRANT_ROUNDS times: no
 *                          allocation fails, no reference is held by two
 *                          CPUs at once (a shared bitmap, test-and-set),
 *                          and the counts add up: granted and ended grow
 *                          by the number of grants, free references are
 *                          as many as before
 *   smp_map_concurrent     every online CPU at once maps pages into one
 *                          fresh 512 GiB region (all need the same new
 *                          L3 and L2 tables) and unmaps them: every map
 *                          succeeds and reads back its own frame, and the
 *                          tables added and freed balance
 *   smp_page_unmapped_flushed, smp_va_run_flushed, smp_pt_freed_flushed
 *                          CPU 1 spins reading an address mapped to frame
 *                          A; CPU 0 points the PTE elsewhere with no
 *                          flush and CPU 1 must still read A (proof that
 *                          its TLB holds the entry: a round without it
 *                          does not count, none at all fails the test);
 *                          then CPU 0 runs the kit's operation (unmap of
 *                          a page whose L1 stays / an update_va_mapping
 *                          run with a local invlpg / unmap of the last
 *                          page of a region, which frees its tables),
 *                          writes other data into the old frame (and the
 *                          freed L1, taken back from the allocator) and
 *                          maps the address to C: CPU 1 must read C,
 *                          never A's new data through its old entry.
 *                          The first two are paths Xen does not flush for
 *                          (an L1 entry changed, no type change); freed
 *                          tables change type back to writable, and Xen
 *                          then flushes the domain's dirty CPUs itself,
 *                          so the third one passes on Xen even without
 *                          the kit's gather flush (the kit's order is
 *                          checked by the unit test
 *                          smp_gather_frees_only_after_a_flush).
 *                          One CPU: the same operations on CPU 0 alone.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"
#include "smp_helpers.h"

#define MS			(1000ULL * 1000)
#define RUN_TIMEOUT_NS		(30ULL * 1000 * MS)
#define STAGE_TIMEOUT_NS	(10ULL * 1000 * MS)
#define GRANT_VA		0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES		4
#define GRANT_HOLD		16
#define GRANT_ROUNDS		200
#define MAP_VA			0xffff998000000000UL	/* L4 slot 307: fresh */
#define MAP_PAGES		8
#define MAP_ROUNDS		10
#define PT_VA			0xffff9a0000005000UL	/* L4 slot 308, slot 5 of its L1 */
#define PT_ALLOC_TRIES		16
#define LEAF_VA			0xffff9a0000a03000UL	/* L4 slot 308, another L1 */
#define RUN_VA			0xffff9a0001403000UL	/* L4 slot 308, a third L1 */
#define MARK_A			0xa1a1a1a1a1a1a1a1ULL
#define MARK_B			0xb2b2b2b2b2b2b2b2ULL
#define MARK_C			0xc3c3c3c3c3c3c3c3ULL

/* ---- smp_grant_concurrent --------------------------------------------- */

/* ref_held covers every reference the table can ever hold (an earlier
 * test in the same boot, pvkit.test=...,defaults, may have grown it past
 * GRANT_FRAMES); a ref is in range only below the table's size at the
 * test's start (refs_limit), as tight as when the array was that size. */
#define REFS_MAX	(PVK_GRANT_WINDOW_FRAMES * 512)

static uint8_t ref_held[REFS_MAX];	/* 1 while some CPU holds it */
static uint32_t refs_limit;		/* refs_total + reserved, at the start */

struct grant_report {
	bool met;
	unsigned int allocs, alloc_failed, doubles, end_failed, out_of_range;
	void *page;
};

static void grant_here(void *arg)
{
	struct grant_report *r = arg;
	pvk_grant_ref_t refs[GRANT_HOLD];

	r->met = smp_case_meet(STAGE_TIMEOUT_NS);
	for (unsigned int round = 0; round < GRANT_ROUNDS; round++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < GRANT_HOLD; i++) {
			if (pvk_grant_alloc(&refs[n])) {
				r->alloc_failed++;
				continue;
			}
			r->allocs++;
			if (refs[n] >= refs_limit) {
				r->out_of_range++;
				continue;	/* kept: the counts will say so */
			}
			if (__atomic_exchange_n(&ref_held[refs[n]], 1, __ATOMIC_SEQ_CST))
				r->doubles++;
			pvk_grant_access(refs[n], 0,
					 pvk_pfn_to_gfn(pvk_port_virt_to_pfn(r->page)), true);
			n++;
		}
		for (unsigned int i = 0; i < n; i++) {
			__atomic_store_n(&ref_held[refs[i]], 0, __ATOMIC_SEQ_CST);
			if (pvk_grant_end_access(refs[i]))
				r->end_failed++;
		}
	}
}

PVK_GUEST_TEST(smp_grant_concurrent)
{
	static struct grant_report r[PVK_MAX_CPUS];
	struct pvk_grant_stats a, b;
	struct pvk_cpumask online;
	unsigned int cpu, n, allocs = 0;

	if (!(n = smp_case_online()))
		return;
	pvk_grant_stats_snapshot(&a);
	if (a.refs_total == 0) {
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
		pvk_grant_stats_snapshot(&a);
	}
	PVK_CHECK_LE(a.refs_total + PVK_GNTTAB_NR_RESERVED_ENTRIES, REFS_MAX);
	/* The table does not grow during the test: n * GRANT_HOLD refs are free. */
	refs_limit = a.refs_total + PVK_GNTTAB_NR_RESERVED_ENTRIES;
	PVK_CHECK_GE(a.refs_free, n * GRANT_HOLD);
	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(cpu, &online) {
		r[cpu] = (struct grant_report){ .page = pvk_port_alloc_page() };
		PVK_CHECK(r[cpu].page != NULL);
	}
	PVK_CHECK_RC(smp_case_run_everywhere(grant_here, r, sizeof(r[0]), RUN_TIMEOUT_NS), 0);
	pvk_grant_stats_snapshot(&b);
	pvk_for_each_cpu(cpu, &online) {
		PVK_CHECK(r[cpu].met);
		PVK_CHECK_EQ(r[cpu].alloc_failed, 0);
		PVK_CHECK_EQ(r[cpu].out_of_range, 0);
		PVK_CHECK_EQ(r[cpu].doubles, 0);
		PVK_CHECK_EQ(r[cpu].end_failed, 0);
		PVK_CHECK_EQ(r[cpu].allocs, GRANT_ROUNDS * GRANT_HOLD);
		allocs += r[cpu].allocs;
		pvk_port_free_page(r[cpu].page);
	}
	guest_printf("smp: %u CPUs at once: %u grant references allocated, granted, ended and freed (%u held at a time each); free before %u, after %u\n",
		     n, allocs, GRANT_HOLD, a.refs_free, b.refs_free);
	PVK_CHECK_EQ(b.granted - a.granted, allocs);
	PVK_CHECK_EQ(b.ended - a.ended, allocs);
	PVK_CHECK_EQ(b.refs_free, a.refs_free);
	PVK_CHECK_EQ(b.refs_total, a.refs_total);
}

/* ---- smp_map_concurrent ----------------------------------------------- */

struct map_report {
	bool met;
	int map_rc, unmap_rc;
	unsigned int wrong;
	void *frames[MAP_PAGES];
};

/* CPU cpu's pages: its own 2 MiB (its own L1) in the common L2 and L3. */
static unsigned long map_va(unsigned int cpu, unsigned int i)
{
	return MAP_VA + cpu * (2UL << 20) + i * PVK_PAGE_SIZE;
}

static void map_here(void *arg)
{
	struct map_report *r = arg;
	unsigned int cpu = pvk_port_cpu_id();

	r->met = smp_case_meet(STAGE_TIMEOUT_NS);
	for (unsigned int round = 0; round < MAP_ROUNDS && !r->map_rc && !r->unmap_rc; round++) {
		for (unsigned int i = 0; i < MAP_PAGES && !r->map_rc; i++)
			r->map_rc = pvk_mmu_map_range(map_va(cpu, i),
						      pvk_port_virt_to_pfn(r->frames[i]), 1,
						      PVK_PTE_KERNEL_RW | PVK_PTE_NX);
		for (unsigned int i = 0; i < MAP_PAGES && !r->map_rc; i++)
			if (*(volatile uint64_t *)map_va(cpu, i) != (((uint64_t)cpu << 32) | i))
				r->wrong++;
		/* Everything this CPU mapped: the empty tables go. */
		r->unmap_rc = pvk_mmu_unmap_range(map_va(cpu, 0), MAP_PAGES);
	}
}

PVK_GUEST_TEST(smp_map_concurrent)
{
	static struct map_report r[PVK_MAX_CPUS];
	struct pvk_mmu_stats a, b;
	struct pvk_cpumask online;
	unsigned int cpu, n;

	if (!(n = smp_case_online()))
		return;
	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(cpu, &online) {
		r[cpu] = (struct map_report){ 0 };
		for (unsigned int i = 0; i < MAP_PAGES; i++) {
			r[cpu].frames[i] = pvk_port_alloc_page();
			PVK_CHECK(r[cpu].frames[i] != NULL);
			if (!r[cpu].frames[i])
				return;
			*(uint64_t *)r[cpu].frames[i] = ((uint64_t)cpu << 32) | i;
		}
	}
	PVK_CHECK_EQ(pvk_mmu_lookup(MAP_VA), 0);
	pvk_mmu_stats_snapshot(&a);
	PVK_CHECK_RC(smp_case_run_everywhere(map_here, r, sizeof(r[0]), RUN_TIMEOUT_NS), 0);
	pvk_mmu_stats_snapshot(&b);
	pvk_for_each_cpu(cpu, &online) {
		PVK_CHECK(r[cpu].met);
		PVK_CHECK_RC(r[cpu].map_rc, 0);
		PVK_CHECK_RC(r[cpu].unmap_rc, 0);
		PVK_CHECK_EQ(r[cpu].wrong, 0);
		for (unsigned int i = 0; i < MAP_PAGES; i++) {
			PVK_CHECK_EQ(pvk_mmu_lookup(map_va(cpu, i)), 0);
			pvk_port_free_page(r[cpu].frames[i]);
		}
	}
	guest_printf("smp: %u CPUs mapped and unmapped %u pages %u times at once in one fresh region: %llu page tables added, %llu freed\n",
		     n, MAP_PAGES, MAP_ROUNDS,
		     (unsigned long long)(b.tables_added - a.tables_added),
		     (unsigned long long)(b.tables_freed - a.tables_freed));
	PVK_CHECK_GE(b.tables_added - a.tables_added, 3);	/* L3, L2, an L1 at least */
	PVK_CHECK_EQ(b.tables_added - a.tables_added, b.tables_freed - a.tables_freed);
	PVK_CHECK_EQ(b.refused, a.refused);
}

/* ---- smp_pt_freed_flushed --------------------------------------------- */

/*
 * The flush tests. A reader on CPU 1 spins reading the address (so that
 * its TLB keeps the translation) and records what it reads in each phase
 * CPU 0 sets:
 *   PRIME  the address maps frame A: the reader reads MARK_A;
 *   PROBE  CPU 0 points the PTE at frame P with no flush at all (an L1
 *          entry writable -> writable: Xen flushes nothing): the reader
 *          still reading MARK_A at the end of this phase proves its TLB
 *          holds the old entry right before the kit's operation (a round
 *          without that proof does not count);
 *   HOLD   the reader stops touching the address (it may be unmapped:
 *          a read would fault) while CPU 0 runs the kit's operation, then
 *          reuses the old frame (A, or the freed L1) for other data;
 *   AFTER  the reader reads again: only MARK_C (the new mapping) is
 *          right. MARK_B is old data through the reused frame, MARK_A or
 *          MARK_P a stale entry: the kit did not flush CPU 1.
 * The reader spins on memory only, bounded by a count, not the clock
 * (reading the clock may enter Xen).
 */
enum { PH_PRIME, PH_PROBE, PH_HOLD, PH_AFTER, PH_STOP, PH_N };

#define READER_SPINS	2000000000UL
#define PHASE_READS	64		/* reads before CPU 0 moves on: short, so that
					 * nothing flushes CPU 1 meanwhile */
#define FLUSH_ROUNDS	4		/* rounds with the proof, per test */
#define FLUSH_TRIES	40		/* rounds tried at most */
#define MARK_P			0xd4d4d4d4d4d4d4d4ULL

static struct {
	unsigned long va;
	unsigned int phase;
	unsigned int held;		/* the reader saw PH_HOLD */
	uint64_t last[PH_N];		/* last value read in each phase */
	uint64_t reads[PH_N];
	uint64_t wrong_after;		/* reads in PH_AFTER other than C */
	uint64_t first_wrong;
	bool timed_out;
} rd;

static void reader_here(void *arg)
{
	unsigned long spins = 0;
	unsigned int ph;

	(void)arg;
	while ((ph = __atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE)) != PH_STOP) {
		if (++spins > READER_SPINS) {
			rd.timed_out = true;
			return;
		}
		if (ph == PH_HOLD) {
			__atomic_store_n(&rd.held, 1, __ATOMIC_RELEASE);
		} else {
			uint64_t v = *(volatile uint64_t *)rd.va;

			if (ph == PH_AFTER && v != MARK_C && !rd.wrong_after++)
				rd.first_wrong = v;
			rd.last[ph] = v;
			__atomic_store_n(&rd.reads[ph], rd.reads[ph] + 1, __ATOMIC_RELEASE);
		}
		__builtin_ia32_pause();
	}
}

/* CPU 0: spins (bounded by the clock) until cond holds. */
static bool spin_until(bool (*cond)(void))
{
	uint64_t until = pvk_clock_ns() + STAGE_TIMEOUT_NS;

	while (!cond()) {
		if (pvk_clock_ns() > until || rd.timed_out)
			return false;
		__builtin_ia32_pause();
	}
	return true;
}

static bool phase_read(void)
{
	unsigned int ph = __atomic_load_n(&rd.phase, __ATOMIC_ACQUIRE);

	return __atomic_load_n(&rd.reads[ph], __ATOMIC_ACQUIRE) >= PHASE_READS;
}

static bool reader_held(void)
{
	return __atomic_load_n(&rd.held, __ATOMIC_ACQUIRE);
}

/* pvk_smp_flush_tlb() calls made from this CPU so far. */
static uint64_t flushes_here(void)
{
	struct pvk_smp_stats st = { 0 };

	pvk_smp_get_stats(pvk_port_cpu_id(), &st);
	return st.flushes;
}

/*
 * A flush test. Its op is what CPU 0 does in PH_HOLD: the kit's operation
 * on va (whose old frame is fa), then the old frame reused for other data,
 * then va mapped to fc; 0 or an error, and *reused tells whether the old
 * frame was taken back and overwritten (op_tables: the freed L1).
 */
struct flush_test {
	const char *name;
	int (*op)(struct flush_test *t, bool *reused);
	unsigned long va;
	bool neighbour;		/* a page mapped next to va keeps its L1 */
	uint64_t *fa, *fp, *fc;
	/* Results over the rounds. */
	unsigned int tried, proved, wrong, no_reuse;
	uint64_t first_wrong;
	struct pvk_mmu_stats before, after;	/* around the rounds */
};

static int point_to(unsigned long va, const void *frame, unsigned long flags)
{
	struct pvk_mmu_va_update u = {
		.va = va,
		.pte = pvk_pte(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(frame)),
			       PVK_PTE_KERNEL_RW | PVK_PTE_NX),
	};

	return pvk_mmu_update_va_run(&u, 1, flags);
}

/* Unmaps va, the region's last page: its L1, L2 and L3 are freed. */
static int op_tables(struct flush_test *t, bool *reused)
{
	void *taken[PT_ALLOC_TRIES];
	unsigned int ntaken = 0;
	uint64_t *table_va;
	int rc;

	*reused = false;
	table_va = guest_pfn_to_virt_or_null(pvk_mfn_to_pfn(smp_case_table_of(t->va, 1)));
	rc = pvk_mmu_unmap_range(t->va, 1);
	if (rc || !table_va)
		return rc ? rc : -PVK_XEN_EINVAL;
	/* Take the L1 back (freed pages are reused first) and write into it
	 * what a walk through it would take for va's PTE. */
	for (; ntaken < PT_ALLOC_TRIES && !*reused; ntaken++) {
		taken[ntaken] = pvk_port_alloc_page();
		if (taken[ntaken] == table_va) {
			table_va[pvk_pt_index(t->va, 1)] = pvk_pte(
				pvk_pfn_to_mfn(pvk_port_virt_to_pfn(t->fa)),
				PVK_PTE_KERNEL_RW);
			*reused = true;
		}
	}
	t->fa[0] = MARK_B;	/* and the old frame's data too */
	rc = pvk_mmu_map_range(t->va, pvk_port_virt_to_pfn(t->fc), 1,
			       PVK_PTE_KERNEL_RW | PVK_PTE_NX);
	for (unsigned int i = 0; i < ntaken; i++)
		if (taken[i] != table_va || !*reused)
			pvk_port_free_page(taken[i]);
	/* The reused L1 stays taken until the reader has read: it is freed
	 * in the round's cleanup (kept in t->fp's slot 1). */
	if (*reused)
		t->fp[1] = (uint64_t)(unsigned long)table_va;
	return rc;
}

/* Unmaps va; its L1 stays (the neighbour): no table changes type. */
static int op_page(struct flush_test *t, bool *reused)
{
	int rc = pvk_mmu_unmap_range(t->va, 1);

	*reused = false;
	if (rc)
		return rc;
	t->fa[0] = MARK_B;
	*reused = true;
	return pvk_mmu_map_range(t->va, pvk_port_virt_to_pfn(t->fc), 1,
				 PVK_PTE_KERNEL_RW | PVK_PTE_NX);
}

/* Points va at fc with an update_va_mapping run and a local invlpg. */
static int op_va_run(struct flush_test *t, bool *reused)
{
	int rc = point_to(t->va, t->fc, PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);

	*reused = !rc;
	if (!rc)
		t->fa[0] = MARK_B;
	return rc;
}

/* Counts a round that ran: proved, the proof of the old entry held;
 * wrong, reads of va after the operation other than MARK_C (first). */
static void round_count(struct flush_test *t, bool reused, bool proved,
			uint64_t wrong, uint64_t first)
{
	t->tried++;
	if (!reused)
		t->no_reuse++;
	if (!proved)
		return;
	t->proved++;
	if (wrong && !t->wrong++)
		t->first_wrong = first;
}

/* A round's middle with CPU 1 reading: 0 or an error. */
static int reader_round(struct flush_test *t)
{
	static struct guest_smp_run run;
	bool reused = false, proved;
	uint64_t fl0, fl1;
	int rc, wrc;

	__builtin_memset(&rd, 0, sizeof(rd));
	rd.va = t->va;
	rd.phase = PH_PRIME;
	rc = guest_smp_run_on_start(&run, 1, reader_here, NULL);
	if (rc)
		return rc;
	if (!spin_until(phase_read))
		rc = -PVK_XEN_ETIMEDOUT;
	if (!rc)
		rc = point_to(t->va, t->fp, PVK_UVMF_NONE);	/* no flush anywhere */
	if (!rc) {
		__atomic_store_n(&rd.phase, PH_PROBE, __ATOMIC_RELEASE);
		if (!spin_until(phase_read))
			rc = -PVK_XEN_ETIMEDOUT;
	}
	if (!rc) {
		__atomic_store_n(&rd.phase, PH_HOLD, __ATOMIC_RELEASE);
		if (!spin_until(reader_held))
			rc = -PVK_XEN_ETIMEDOUT;
	}
	proved = !rc && rd.last[PH_PRIME] == MARK_A && rd.last[PH_PROBE] == MARK_A;
	fl0 = flushes_here();
	if (!rc)
		rc = t->op(t, &reused);
	fl1 = flushes_here();
	if (!rc) {
		__atomic_store_n(&rd.phase, PH_AFTER, __ATOMIC_RELEASE);
		if (!spin_until(phase_read))
			rc = -PVK_XEN_ETIMEDOUT;
	}
	/* The reader is released before anything can end the round. */
	__atomic_store_n(&rd.phase, PH_STOP, __ATOMIC_RELEASE);
	wrc = guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS);
	rc = rc ? rc : wrc;
	if (!rc && rd.timed_out)
		rc = -PVK_XEN_ETIMEDOUT;
	if (!rc)
		round_count(t, reused, proved, rd.wrong_after, rd.first_wrong);
	if (!rc && proved && rd.wrong_after)
		guest_printf("smp: %s: CPU 1 read 0x%llx (%s) %llu times after the kit's operation (%llu flushes made)\n",
			     t->name, (unsigned long long)rd.first_wrong,
			     rd.first_wrong == MARK_B ? "old data through the REUSED frame" :
			     rd.first_wrong == MARK_A ? "a STALE entry" :
			     rd.first_wrong == MARK_P ? "a STALE entry (the probe's)" : "?",
			     (unsigned long long)rd.wrong_after,
			     (unsigned long long)(fl1 - fl0));
	return rc;
}

/* A round's middle on one CPU: no other TLB. CPU 0 reads fa through va,
 * runs the kit's operation and must read fc afterwards (its own
 * flushes). 0 or an error. */
static int one_cpu_round(struct flush_test *t)
{
	bool reused = false;
	uint64_t before = *(volatile uint64_t *)t->va, after;
	int rc = t->op(t, &reused);

	if (!rc) {
		after = *(volatile uint64_t *)t->va;
		round_count(t, reused, before == MARK_A, after != MARK_C, after);
	}
	return rc;
}

/*
 * One round: the marks written and va mapped to fa, then middle (which
 * runs t->op), then va unmapped and the L1 op_tables took back freed. 0
 * or an error (then the test stops).
 */
static int flush_round(struct flush_test *t, int (*middle)(struct flush_test *t))
{
	int rc, urc;

	t->fa[0] = MARK_A;
	t->fp[0] = MARK_P;
	t->fp[1] = 0;
	t->fc[0] = MARK_C;
	rc = pvk_mmu_map_range(t->va, pvk_port_virt_to_pfn(t->fa), 1,
			       PVK_PTE_KERNEL_RW | PVK_PTE_NX);
	if (rc)
		return rc;
	rc = middle(t);
	urc = pvk_mmu_unmap_range(t->va, 1);
	if (t->fp[1])
		pvk_port_free_page((void *)(unsigned long)t->fp[1]);
	t->fp[1] = 0;
	return rc ? rc : urc;
}

/*
 * The rounds of t (with CPU 1 reading, or CPU 0 alone), until
 * FLUSH_ROUNDS proved or FLUSH_TRIES tried, then the verdict. The MMU's
 * counters are kept around the rounds (t->before, t->after) for the
 * test's own checks.
 */
static void run_flush_test(struct flush_test *t)
{
	int (*middle)(struct flush_test *t);
	void *pages[4] = { NULL };	/* fa, fp, fc, the neighbour's */
	unsigned int npages = t->neighbour ? 4 : 3;
	bool two, have = true, neighbour_mapped = false;
	int rc = 0, urc;

	if (!smp_case_online())
		return;
	two = pvk_smp_cpu_online(1);
	middle = two ? reader_round : one_cpu_round;
	for (unsigned int i = 0; i < npages; i++)
		have &= (pages[i] = pvk_port_alloc_page()) != NULL;
	t->fa = pages[0];
	t->fp = pages[1];
	t->fc = pages[2];
	/* The neighbour keeps va's L1 alive through the whole test: no
	 * table changes type, so Xen flushes nothing by itself. */
	if (have && t->neighbour) {
		rc = pvk_mmu_map_range(t->va + PVK_PAGE_SIZE, pvk_port_virt_to_pfn(pages[3]), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX);
		neighbour_mapped = !rc;
	}
	if (have && !rc && pvk_mmu_lookup(t->va)) {
		guest_printf("smp: %s: 0x%lx is mapped already\n", t->name, t->va);
		rc = -PVK_XEN_EEXIST;
	}
	if (have && !rc) {
		pvk_mmu_stats_snapshot(&t->before);
		while (!rc && t->proved < FLUSH_ROUNDS && t->tried < FLUSH_TRIES)
			rc = flush_round(t, middle);
		pvk_mmu_stats_snapshot(&t->after);
		guest_printf("smp: %s: %u rounds, %s proven to hold the old entry before the kit's operation in %u, read other than the new mapping afterwards in %u\n",
			     t->name, t->tried, two ? "CPU 1's TLB" : "one CPU: CPU 0's TLB",
			     t->proved, t->wrong);
	}
	if (neighbour_mapped) {
		urc = pvk_mmu_unmap_range(t->va + PVK_PAGE_SIZE, 1);
		rc = rc ? rc : urc;
	}
	for (unsigned int i = 0; i < npages; i++)
		if (pages[i])
			pvk_port_free_page(pages[i]);
	PVK_CHECK(have);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(t->no_reuse, 0);
	PVK_CHECK_EQ(t->wrong, 0);
	if (!t->proved)
		guest_test_fail(__FILE__, __LINE__, "could not prove the TLB held the entry");
}

PVK_GUEST_TEST(smp_pt_freed_flushed)
{
	struct flush_test t = { .name = "page tables freed", .op = op_tables, .va = PT_VA };

	run_flush_test(&t);
	/* Each round freed the region's L1, L2 and L3 twice (the
	 * operation and the round's cleanup). */
	PVK_CHECK_EQ(t.after.tables_freed - t.before.tables_freed,
		     t.after.tables_added - t.before.tables_added);
	PVK_CHECK(t.after.tables_freed - t.before.tables_freed >= 3);
}

PVK_GUEST_TEST(smp_page_unmapped_flushed)
{
	struct flush_test t = { .name = "page unmapped", .op = op_page, .va = LEAF_VA,
				.neighbour = true };

	run_flush_test(&t);
	PVK_CHECK_EQ(t.after.tables_freed, t.before.tables_freed);	/* no table changed type */
}

PVK_GUEST_TEST(smp_va_run_flushed)
{
	struct flush_test t = { .name = "update_va_mapping run", .op = op_va_run, .va = RUN_VA,
				.neighbour = true };

	run_flush_test(&t);
}
