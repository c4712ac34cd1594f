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

/* SMP up (it comes with events on Xen); the number of online CPUs. */
static unsigned int cpus_up(void)
{
	guest_events_enable();
	if (!guest_smp_started()) {
		guest_test_fail(__FILE__, __LINE__, "events are on but SMP did not start");
		return 0;
	}
	return pvk_smp_nr_online();
}

/* fn(args[cpu]) on every online CPU at once, CPU 0 (the caller) directly. */
static int run_everywhere(void (*fn)(void *arg), void *args, size_t arg_size)
{
	static struct guest_smp_run runs[PVK_MAX_CPUS];
	struct pvk_cpumask online;
	unsigned int cpu, self = pvk_port_cpu_id();
	int rc = 0, rc2;

	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(cpu, &online) {
		if (cpu == self)
			continue;
		rc2 = guest_smp_run_on_start(&runs[cpu], cpu, fn, (char *)args + cpu * arg_size);
		if (rc2) {
			pvk_cpumask_clear(&online, cpu);
			rc = rc ? rc : rc2;
		}
	}
	fn((char *)args + self * arg_size);
	pvk_for_each_cpu(cpu, &online) {
		if (cpu == self)
			continue;
		rc2 = guest_smp_run_on_wait(&runs[cpu], RUN_TIMEOUT_NS);
		rc = rc ? rc : rc2;
	}
	return rc;
}

/* All online CPUs arrive before any goes on (bounded). */
static unsigned int arrived;

static bool all_arrive(void)
{
	uint64_t until = pvk_clock_ns() + STAGE_TIMEOUT_NS;

	__atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&arrived, __ATOMIC_SEQ_CST) < pvk_smp_nr_online()) {
		if (pvk_clock_ns() > until)
			return false;
		__builtin_ia32_pause();
	}
	return true;
}

/* ---- smp_grant_concurrent --------------------------------------------- */

#define REFS_MAX	(GRANT_FRAMES * 512)

static uint8_t ref_held[REFS_MAX];	/* 1 while some CPU holds it */

struct grant_report {
	bool met;
	unsigned int allocs, alloc_failed, doubles, end_failed, out_of_range;
	void *page;
};

static void grant_here(void *arg)
{
	struct grant_report *r = arg;
	pvk_grant_ref_t refs[GRANT_HOLD];

	r->met = all_arrive();
	for (unsigned int round = 0; round < GRANT_ROUNDS; round++) {
		unsigned int n = 0;

		for (unsigned int i = 0; i < GRANT_HOLD; i++) {
			if (pvk_grant_alloc(&refs[n])) {
				r->alloc_failed++;
				continue;
			}
			r->allocs++;
			if (refs[n] >= REFS_MAX) {
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

	if (!(n = cpus_up()))
		return;
	pvk_grant_stats_snapshot(&a);
	if (a.refs_total == 0) {
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
		pvk_grant_stats_snapshot(&a);
	}
	PVK_CHECK_LE(a.refs_total + PVK_GNTTAB_NR_RESERVED_ENTRIES, REFS_MAX);
	PVK_CHECK_GE(a.refs_free, n * GRANT_HOLD);
	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(cpu, &online) {
		r[cpu] = (struct grant_report){ .page = pvk_port_alloc_page() };
		PVK_CHECK(r[cpu].page != NULL);
	}
	__atomic_store_n(&arrived, 0, __ATOMIC_SEQ_CST);
	PVK_CHECK_RC(run_everywhere(grant_here, r, sizeof(r[0])), 0);
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

	r->met = all_arrive();
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

	if (!(n = cpus_up()))
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
	__atomic_store_n(&arrived, 0, __ATOMIC_SEQ_CST);
	PVK_CHECK_RC(run_everywhere(map_here, r, sizeof(r[0])), 0);
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

/* The table of level that maps va (present), by a walk from the L4. */
static pvk_mfn_t table_of(unsigned long va, unsigned int level)
{
	pvk_mfn_t t = pvk_mmu_kernel_base();

	for (unsigned int l = 4; l > level; l--) {
		const uint64_t *tv = guest_pfn_to_virt_or_null(pvk_mfn_to_pfn(t));
		uint64_t e = tv ? PVK_READ_ONCE(tv[pvk_pt_index(va, l)]) : 0;

		if (!(e & PVK_PTE_PRESENT))
			return pvk_mfn(PVK_INVALID_RAW_FRAME);
		t = pvk_pte_mfn(e);
	}
	return t;
}

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

/* What the test does in PH_HOLD: the kit's operation on va (its old
 * frame is fa), then the reuse of the old frame, then va mapped to fc. */
enum flush_kind { FK_TABLES, FK_PAGE, FK_VA_RUN };

struct flush_test {
	const char *name;
	enum flush_kind kind;
	unsigned long va;
	uint64_t *fa, *fp, *fc;
	/* Results over the rounds. */
	unsigned int tried, proved, wrong, no_reuse;
	int rc;
	uint64_t first_wrong;
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

/* PH_HOLD's work: returns 0 or an error; *reused tells whether the old
 * frame was taken back and overwritten (FK_TABLES: the freed L1). */
static int kit_operation(struct flush_test *t, bool *reused)
{
	void *taken[PT_ALLOC_TRIES];
	unsigned int ntaken = 0;
	uint64_t *table_va;
	int rc;

	*reused = false;
	switch (t->kind) {
	case FK_TABLES:
		table_va = guest_pfn_to_virt_or_null(pvk_mfn_to_pfn(table_of(t->va, 1)));
		rc = pvk_mmu_unmap_range(t->va, 1);	/* frees its L1, L2, L3 */
		if (rc || !table_va)
			return rc ? rc : -PVK_XEN_EINVAL;
		/* Take the L1 back (freed pages are reused first) and write
		 * into it what a walk through it would take for va's PTE. */
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
		/* The reused L1 stays taken until the reader has read: it
		 * is freed in the round's cleanup (kept in t->fp's slot 1). */
		if (*reused)
			t->fp[1] = (uint64_t)(unsigned long)table_va;
		return rc;
	case FK_PAGE:
		rc = pvk_mmu_unmap_range(t->va, 1);	/* its L1 stays */
		if (!rc) {
			t->fa[0] = MARK_B;	/* the caller reuses the frame */
			*reused = true;
			rc = pvk_mmu_map_range(t->va, pvk_port_virt_to_pfn(t->fc), 1,
					       PVK_PTE_KERNEL_RW | PVK_PTE_NX);
		}
		return rc;
	case FK_VA_RUN:
		rc = point_to(t->va, t->fc, PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
		if (!rc) {
			t->fa[0] = MARK_B;
			*reused = true;
		}
		return rc;
	}
	return -PVK_XEN_EINVAL;
}

/* One round; returns 0 or an error (then the test stops). */
static int flush_round(struct flush_test *t)
{
	static struct guest_smp_run run;
	bool reused = false, proved;
	uint64_t fl0, fl1;
	int rc, wrc;

	t->fa[0] = MARK_A;
	t->fp[0] = MARK_P;
	t->fp[1] = 0;
	t->fc[0] = MARK_C;
	rc = pvk_mmu_map_range(t->va, pvk_port_virt_to_pfn(t->fa), 1,
			       PVK_PTE_KERNEL_RW | PVK_PTE_NX);
	if (rc)
		return rc;
	__builtin_memset(&rd, 0, sizeof(rd));
	rd.va = t->va;
	rd.phase = PH_PRIME;
	rc = guest_smp_run_on_start(&run, 1, reader_here, NULL);
	if (rc)
		goto unmap;
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
		rc = kit_operation(t, &reused);
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
	t->tried++;
	if (!rc && !reused)
		t->no_reuse++;
	if (!rc && proved) {
		t->proved++;
		if (rd.wrong_after) {
			if (!t->wrong++)
				t->first_wrong = rd.first_wrong;
			guest_printf("smp: %s: CPU 1 read 0x%llx (%s) %llu times after the kit's operation (%llu flushes made)\n",
				     t->name, (unsigned long long)rd.first_wrong,
				     rd.first_wrong == MARK_B ? "old data through the REUSED frame" :
				     rd.first_wrong == MARK_A ? "a STALE entry" :
				     rd.first_wrong == MARK_P ? "a STALE entry (the probe's)" : "?",
				     (unsigned long long)rd.wrong_after,
				     (unsigned long long)(fl1 - fl0));
		}
	}
unmap:
	wrc = pvk_mmu_unmap_range(t->va, 1);
	if (t->fp[1])
		pvk_port_free_page((void *)(unsigned long)t->fp[1]);
	t->fp[1] = 0;
	return rc ? rc : wrc;
}

static void flush_test(struct flush_test *t)
{
	int rc = 0;

	t->fa = pvk_port_alloc_page();
	t->fp = pvk_port_alloc_page();
	t->fc = pvk_port_alloc_page();
	PVK_CHECK(t->fa && t->fp && t->fc);
	if (!t->fa || !t->fp || !t->fc)
		return;
	PVK_CHECK_EQ(pvk_mmu_lookup(t->va), 0);
	while (!rc && t->proved < FLUSH_ROUNDS && t->tried < FLUSH_TRIES)
		rc = flush_round(t);
	guest_printf("smp: %s: %u rounds, CPU 1's TLB proven to hold the old entry before the kit's operation in %u, read other than the new mapping afterwards in %u\n",
		     t->name, t->tried, t->proved, t->wrong);
	pvk_port_free_page(t->fa);
	pvk_port_free_page(t->fp);
	pvk_port_free_page(t->fc);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(t->no_reuse, 0);
	PVK_CHECK_EQ(t->wrong, 0);
	if (!t->proved)
		guest_test_fail(__FILE__, __LINE__, "could not prove the TLB held the entry");
}

/* One CPU: no other TLB; the kit's operations run on CPU 0 alone and
 * CPU 0 reads the new mapping afterwards (its own flushes). */
static void flush_test_one_cpu(struct flush_test *t)
{
	bool reused;

	t->fa = pvk_port_alloc_page();
	t->fp = pvk_port_alloc_page();
	t->fc = pvk_port_alloc_page();
	PVK_CHECK(t->fa && t->fp && t->fc);
	if (!t->fa || !t->fp || !t->fc)
		return;
	t->fa[0] = MARK_A;
	t->fp[1] = 0;
	t->fc[0] = MARK_C;
	PVK_CHECK_RC(pvk_mmu_map_range(t->va, pvk_port_virt_to_pfn(t->fa), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);
	PVK_CHECK_EQ(*(volatile uint64_t *)t->va, MARK_A);
	PVK_CHECK_RC(kit_operation(t, &reused), 0);
	PVK_CHECK(reused);
	PVK_CHECK_EQ(*(volatile uint64_t *)t->va, MARK_C);
	PVK_CHECK_RC(pvk_mmu_unmap_range(t->va, 1), 0);
	if (t->fp[1])
		pvk_port_free_page((void *)(unsigned long)t->fp[1]);
	pvk_port_free_page(t->fa);
	pvk_port_free_page(t->fp);
	pvk_port_free_page(t->fc);
	guest_printf("smp: %s: one CPU: CPU 0 read the new mapping after the kit's operation\n",
		     t->name);
}

static void run_flush_test(struct flush_test *t)
{
	if (!cpus_up())
		return;
	if (pvk_smp_cpu_online(1))
		flush_test(t);
	else
		flush_test_one_cpu(t);
}

PVK_GUEST_TEST(smp_pt_freed_flushed)
{
	struct flush_test t = { .name = "page tables freed", .kind = FK_TABLES, .va = PT_VA };
	struct pvk_mmu_stats a, b;

	pvk_mmu_stats_snapshot(&a);
	run_flush_test(&t);
	pvk_mmu_stats_snapshot(&b);
	/* Each round freed the region's L1, L2 and L3 twice (the
	 * operation and the round's cleanup). */
	PVK_CHECK_EQ(b.tables_freed - a.tables_freed, b.tables_added - a.tables_added);
	PVK_CHECK(b.tables_freed - a.tables_freed >= 3);
}

PVK_GUEST_TEST(smp_page_unmapped_flushed)
{
	struct flush_test t = { .name = "page unmapped", .kind = FK_PAGE, .va = LEAF_VA };
	uint64_t *fn = pvk_port_alloc_page();
	struct pvk_mmu_stats a, b;

	PVK_CHECK(fn != NULL);
	if (!fn)
		return;
	/* The neighbour keeps the L1 alive through the whole test: no
	 * table changes type, so Xen flushes nothing by itself. */
	PVK_CHECK_RC(pvk_mmu_map_range(LEAF_VA + PVK_PAGE_SIZE, pvk_port_virt_to_pfn(fn), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);
	pvk_mmu_stats_snapshot(&a);
	run_flush_test(&t);
	pvk_mmu_stats_snapshot(&b);
	PVK_CHECK_RC(pvk_mmu_unmap_range(LEAF_VA + PVK_PAGE_SIZE, 1), 0);
	pvk_port_free_page(fn);
	PVK_CHECK_EQ(b.tables_freed, a.tables_freed);	/* no table changed type */
}

PVK_GUEST_TEST(smp_va_run_flushed)
{
	struct flush_test t = { .name = "update_va_mapping run", .kind = FK_VA_RUN, .va = RUN_VA };
	uint64_t *fn = pvk_port_alloc_page();

	PVK_CHECK(fn != NULL);
	if (!fn)
		return;
	PVK_CHECK_RC(pvk_mmu_map_range(RUN_VA + PVK_PAGE_SIZE, pvk_port_virt_to_pfn(fn), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);
	run_flush_test(&t);
	PVK_CHECK_RC(pvk_mmu_unmap_range(RUN_VA + PVK_PAGE_SIZE, 1), 0);
	pvk_port_free_page(fn);
}
