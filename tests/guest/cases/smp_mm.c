/*
 * tests/guest/cases/smp_mm.c - the PV MMU and the grant table with several
 * CPUs (mm/), on Xen with 4 vCPUs. Natively there is no PV MMU and no
 * grant table: every test here needs Xen. With one CPU they run on CPU 0
 * alone (the three flush tests need CPU 1 and pass at once without it).
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
 *   smp_pt_freed_flushed   CPU 1 reads through a mapping (its TLB and
 *                          paging-structure caches now hold it); CPU 0
 *                          unmaps it, which frees the page tables of the
 *                          region, takes the freed L1 back from the page
 *                          allocator and writes into it a "PTE" to frame
 *                          B, then maps the address again, to frame C
 *                          (new tables). CPU 1, which did not flush
 *                          anything itself, must read C: A is a stale TLB
 *                          entry, B a walk through the freed, reused
 *                          table. It would read one of them if the kit
 *                          gave the tables back before flushing CPU 1.
 *                          (On Xen the tables' change of type back to
 *                          writable makes Xen flush the domain's CPUs
 *                          too: this case would pass on Xen's flush
 *                          alone. The next test has no such help.)
 *   smp_page_unmapped_flushed  the same for a page whose L1 stays (a
 *                          neighbour keeps it): CPU 1 reads A through
 *                          the address, CPU 0 unmaps it (no table freed:
 *                          only the kit's flush reaches CPU 1), maps the
 *                          address to C in the same L1; CPU 1 must read
 *                          C, not A through a stale TLB entry (whose
 *                          frame the caller may have reused by then)
 *                          (With the kit's flushes removed, CPU 1 still
 *                          read the new frame on the harness's Xen under
 *                          TCG, in all three tests: something in Xen or
 *                          QEMU flushed it too. So each test also counts
 *                          the kit's shootdowns, pvk_smp_get_stats()
 *                          flushes, which the broken code does not make.)
 *   smp_va_run_flushed     the same through pvk_mmu_update_va_run() with
 *                          a local invlpg (update_va_mapping, which Xen
 *                          flushes only where asked): CPU 1 must read the
 *                          new frame after the run returns
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

struct reader {
	unsigned long va;
	unsigned int stage;	/* 1: first read done; 2: read again */
	uint64_t first, second;
	bool timed_out;
};

/*
 * On CPU 1: read, let CPU 0 work, read again without flushing anything.
 * The wait spins on memory only, bounded by a count, not by the clock:
 * reading the clock may enter Xen (an emulated rdtsc), and an entry into
 * Xen could flush this vCPU's TLB behind the kit's back, hiding a missing
 * flush from the test.
 */
#define READER_SPINS	2000000000UL

/* pvk_smp_flush_tlb() calls made from this CPU so far. */
static uint64_t flushes_here(void)
{
	struct pvk_smp_stats st = { 0 };

	pvk_smp_get_stats(pvk_port_cpu_id(), &st);
	return st.flushes;
}

static void reader_here(void *arg)
{
	struct reader *rd = arg;
	unsigned long spins = 0;

	rd->first = *(volatile uint64_t *)rd->va;
	__atomic_store_n(&rd->stage, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&rd->stage, __ATOMIC_SEQ_CST) != 2) {
		if (++spins > READER_SPINS) {
			rd->timed_out = true;
			return;
		}
		__builtin_ia32_pause();
	}
	rd->second = *(volatile uint64_t *)rd->va;
}

static bool reader_ready(void *arg)
{
	return __atomic_load_n(&((struct reader *)arg)->stage, __ATOMIC_SEQ_CST) == 1;
}

PVK_GUEST_TEST(smp_pt_freed_flushed)
{
	static struct guest_smp_run run;
	static struct reader rd;
	int ready_rc;
	uint64_t *fa, *fb, *fc, *reused = NULL, *table_va;
	void *taken[PT_ALLOC_TRIES];
	unsigned int ntaken = 0;
	struct pvk_mmu_stats a, b;
	uint64_t fl0, fl1;
	pvk_mfn_t l1;
	int rc;

	if (!cpus_up())
		return;
	if (!pvk_smp_cpu_online(1)) {
		/* No other CPU whose TLB could be stale (as the guest's other
		 * SMP tests, it passes on one CPU). */
		guest_printf("smp: one CPU online: no other CPU's TLB to check\n");
		return;
	}
	fa = pvk_port_alloc_page();
	fb = pvk_port_alloc_page();
	fc = pvk_port_alloc_page();
	PVK_CHECK(fa && fb && fc);
	if (!fa || !fb || !fc)
		return;
	fa[0] = MARK_A;
	fb[0] = MARK_B;
	fc[0] = MARK_C;
	PVK_CHECK_EQ(pvk_mmu_lookup(PT_VA), 0);
	pvk_mmu_stats_snapshot(&a);
	PVK_CHECK_RC(pvk_mmu_map_range(PT_VA, pvk_port_virt_to_pfn(fa), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);
	l1 = table_of(PT_VA, 1);
	table_va = guest_pfn_to_virt_or_null(pvk_mfn_to_pfn(l1));
	PVK_CHECK(table_va != NULL);
	if (!table_va)
		return;

	rd = (struct reader){ .va = PT_VA };
	PVK_CHECK_RC(guest_smp_run_on_start(&run, 1, reader_here, &rd), 0);
	ready_rc = guest_wait_until(reader_ready, &rd, STAGE_TIMEOUT_NS);

	/* Unmap: the L1, L2 and L3 of the region are empty and go back,
	 * each level's after a flush of the online CPUs, then the range's
	 * own flush of them: 4 shootdowns. */
	fl0 = flushes_here();
	PVK_CHECK_RC(pvk_mmu_unmap_range(PT_VA, 1), 0);
	fl1 = flushes_here();
	pvk_mmu_stats_snapshot(&b);
	/* Take the L1 back (freed pages are reused first) and write into it
	 * what a walk through it would take for the PTE of PT_VA. */
	for (; ntaken < PT_ALLOC_TRIES && !reused; ntaken++) {
		taken[ntaken] = pvk_port_alloc_page();
		if (taken[ntaken] == table_va)
			reused = taken[ntaken];
	}
	if (reused)
		reused[pvk_pt_index(PT_VA, 1)] =
			pvk_pte(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(fb)), PVK_PTE_KERNEL_RW);
	/* Map the address again, to C, through new tables. */
	rc = pvk_mmu_map_range(PT_VA, pvk_port_virt_to_pfn(fc), 1, PVK_PTE_KERNEL_RW | PVK_PTE_NX);

	/* CPU 1 reads again before any check can end the test. */
	__atomic_store_n(&rd.stage, 2, __ATOMIC_SEQ_CST);
	PVK_CHECK_RC(guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS), 0);
	PVK_CHECK_RC(ready_rc, 0);
	PVK_CHECK_EQ(rd.first, MARK_A);
	PVK_CHECK_EQ(b.tables_freed - a.tables_freed, 3);
	PVK_CHECK_EQ(fl1 - fl0, 4);
	PVK_CHECK(reused != NULL);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_NE(pvk_mfn_raw(table_of(PT_VA, 1)), pvk_mfn_raw(l1));
	PVK_CHECK(!rd.timed_out);
	guest_printf("smp: CPU 1 read 0x%llx through the address before CPU 0 freed its page tables and reused the L1, 0x%llx after it was mapped again (%s)\n",
		     (unsigned long long)rd.first, (unsigned long long)rd.second,
		     rd.second == MARK_C ? "the new mapping" :
		     rd.second == MARK_A ? "a STALE TLB entry" :
		     rd.second == MARK_B ? "a walk through the FREED table" : "?");
	PVK_CHECK_EQ(rd.second, MARK_C);

	PVK_CHECK_RC(pvk_mmu_unmap_range(PT_VA, 1), 0);
	for (unsigned int i = 0; i < ntaken; i++)
		pvk_port_free_page(taken[i]);
	pvk_port_free_page(fa);
	pvk_port_free_page(fb);
	pvk_port_free_page(fc);
}

PVK_GUEST_TEST(smp_page_unmapped_flushed)
{
	static struct guest_smp_run run;
	static struct reader rd;
	int ready_rc;
	uint64_t *fa, *fc, *fn, fl0, fl1;
	struct pvk_mmu_stats a, b;
	int rc;

	if (!cpus_up())
		return;
	if (!pvk_smp_cpu_online(1)) {
		/* No other CPU whose TLB could be stale (as the guest's other
		 * SMP tests, it passes on one CPU). */
		guest_printf("smp: one CPU online: no other CPU's TLB to check\n");
		return;
	}
	fa = pvk_port_alloc_page();
	fc = pvk_port_alloc_page();
	fn = pvk_port_alloc_page();
	PVK_CHECK(fa && fc && fn);
	if (!fa || !fc || !fn)
		return;
	fa[0] = MARK_A;
	fc[0] = MARK_C;
	PVK_CHECK_EQ(pvk_mmu_lookup(LEAF_VA), 0);
	/* The neighbour keeps the L1 alive through the whole test. */
	PVK_CHECK_RC(pvk_mmu_map_range(LEAF_VA + PVK_PAGE_SIZE, pvk_port_virt_to_pfn(fn), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);
	PVK_CHECK_RC(pvk_mmu_map_range(LEAF_VA, pvk_port_virt_to_pfn(fa), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);

	rd = (struct reader){ .va = LEAF_VA };
	PVK_CHECK_RC(guest_smp_run_on_start(&run, 1, reader_here, &rd), 0);
	ready_rc = guest_wait_until(reader_ready, &rd, STAGE_TIMEOUT_NS);

	pvk_mmu_stats_snapshot(&a);
	fl0 = flushes_here();
	PVK_CHECK_RC(pvk_mmu_unmap_range(LEAF_VA, 1), 0);
	fl1 = flushes_here();
	pvk_mmu_stats_snapshot(&b);
	rc = pvk_mmu_map_range(LEAF_VA, pvk_port_virt_to_pfn(fc), 1, PVK_PTE_KERNEL_RW | PVK_PTE_NX);

	__atomic_store_n(&rd.stage, 2, __ATOMIC_SEQ_CST);
	PVK_CHECK_RC(guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS), 0);
	PVK_CHECK_RC(ready_rc, 0);
	PVK_CHECK_EQ(rd.first, MARK_A);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(b.tables_freed, a.tables_freed);	/* no table changed type */
	PVK_CHECK_EQ(fl1 - fl0, 1);	/* the range's shootdown of every CPU */
	PVK_CHECK(!rd.timed_out);
	guest_printf("smp: CPU 1 read 0x%llx through the address before CPU 0 unmapped it, 0x%llx after it was mapped to another frame (%s)\n",
		     (unsigned long long)rd.first, (unsigned long long)rd.second,
		     rd.second == MARK_C ? "the new mapping" :
		     rd.second == MARK_A ? "a STALE TLB entry" : "?");
	PVK_CHECK_EQ(rd.second, MARK_C);

	PVK_CHECK_RC(pvk_mmu_unmap_range(LEAF_VA, 2), 0);
	pvk_port_free_page(fa);
	pvk_port_free_page(fc);
	pvk_port_free_page(fn);
}

PVK_GUEST_TEST(smp_va_run_flushed)
{
	static struct guest_smp_run run;
	static struct reader rd;
	int ready_rc;
	struct pvk_mmu_va_update u;
	uint64_t *fa, *fc, fl0, fl1;
	int rc;

	if (!cpus_up())
		return;
	if (!pvk_smp_cpu_online(1)) {
		/* No other CPU whose TLB could be stale (as the guest's other
		 * SMP tests, it passes on one CPU). */
		guest_printf("smp: one CPU online: no other CPU's TLB to check\n");
		return;
	}
	fa = pvk_port_alloc_page();
	fc = pvk_port_alloc_page();
	PVK_CHECK(fa && fc);
	if (!fa || !fc)
		return;
	fa[0] = MARK_A;
	fc[0] = MARK_C;
	PVK_CHECK_EQ(pvk_mmu_lookup(RUN_VA), 0);
	PVK_CHECK_RC(pvk_mmu_map_range(RUN_VA, pvk_port_virt_to_pfn(fa), 1,
				       PVK_PTE_KERNEL_RW | PVK_PTE_NX), 0);

	rd = (struct reader){ .va = RUN_VA };
	PVK_CHECK_RC(guest_smp_run_on_start(&run, 1, reader_here, &rd), 0);
	ready_rc = guest_wait_until(reader_ready, &rd, STAGE_TIMEOUT_NS);

	u.va = RUN_VA;
	u.pte = pvk_pte(pvk_pfn_to_mfn(pvk_port_virt_to_pfn(fc)), PVK_PTE_KERNEL_RW | PVK_PTE_NX);
	fl0 = flushes_here();
	rc = pvk_mmu_update_va_run(&u, 1, PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
	fl1 = flushes_here();

	__atomic_store_n(&rd.stage, 2, __ATOMIC_SEQ_CST);
	PVK_CHECK_RC(guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS), 0);
	PVK_CHECK_RC(ready_rc, 0);
	PVK_CHECK_EQ(rd.first, MARK_A);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(fl1 - fl0, 1);	/* the others' shootdown */
	PVK_CHECK(!rd.timed_out);
	guest_printf("smp: CPU 1 read 0x%llx through the address before CPU 0's update_va_mapping run, 0x%llx after it (%s)\n",
		     (unsigned long long)rd.first, (unsigned long long)rd.second,
		     rd.second == MARK_C ? "the new mapping" :
		     rd.second == MARK_A ? "a STALE TLB entry" : "?");
	PVK_CHECK_EQ(rd.second, MARK_C);

	PVK_CHECK_RC(pvk_mmu_unmap_range(RUN_VA, 1), 0);
	pvk_port_free_page(fa);
	pvk_port_free_page(fc);
}
