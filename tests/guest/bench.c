/*
 * tests/guest/bench.c - microbenchmarks of the pvops table and the PV MMU,
 * the same code on Xen and natively: the explicit test "bench"
 * (cases/bench.c), chosen with pvkit.test=bench (xl extra= on Xen, QEMU
 * -append natively, see guest_pvh_cmdline()).
 *
 * Each benchmark times many iterations with the pvops clock and prints one
 * raw line that tests/bench/bench.sh pairs with the other world's:
 *
 *   bench-raw NAME WORLD ps/op=P hc/op=H iters=N
 *
 * P is picoseconds per operation, H is thousandths of a hypercall per
 * operation (the kit's counters, pvkit/hypercall_stats.h); integers, so
 * the guest needs no floating point. Nothing here judges a timing: a
 * benchmark fails only when an operation it times fails. A row that
 * compares two ways of doing one operation in the same boot (issue 15's
 * patched irq sites against the bare instructions) prints
 *
 *   bench-vs NAME_vs_BASE WORLD ps/op=P base-ps/op=B iters=N rounds=R
 *
 * which bench.sh shows on its own, as the ratio P/B of that world.
 *
 * The ring-3 round trips (syscall, page fault) run the benchmark programs
 * of user/program.S, which mark the clock with a syscall before and after
 * their loop: the same programs, address space and handlers as the
 * usermode tests, in both worlds.
 *
 * A second L4 to switch to is the same code in both worlds (the pvops
 * alloc_pt / release_pt, write_cr3 with make_pte's frame). The
 * world-specific parts are building page tables for N pages, the two
 * benchmarks guest_world names (boot.c, native.c): on Xen the kit's PV
 * MMU does it (pinned, read-only tables, batched mmu_update); natively
 * plain stores through the pvops set_pte into static tables, the way a
 * native kernel builds them. The world also says what the kit's counters
 * miss (Xen's HYPERVISOR_iret) and adds its notes.
 */
#include <pvkit/hypercall_stats.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_patch.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "guest.h"
#include "layout.h"
#include "user/user.h"

#define IRQ_ITERS	100000u
#define CLOCK_ITERS	100000u
#define CR3_ITERS	2000u		/* each is two switches */
#define PTE_PAGES	4096u		/* Xen: one address space of this size */
#define PTE_NATIVE_ITERS 64u		/* native: 1000-PTE batches */
#define FORK_PAGES	1024u		/* 4 MiB, two L1 tables */
#define FORK_ITERS	5u
#define IPI_ITERS	2000u		/* CPU 0 -> CPU 1 -> CPU 0 */
#define SHOOT_ITERS	2000u		/* one shootdown of 4 CPUs */
#define SMP_CPUS	4u
#define BENCH_IPI_KIND	6u		/* the guest has 1-2 (guest.h) */
#define IPI_WAIT_NS	(2ULL * 1000 * 1000 * 1000)

#define BENCH_VA	0xffff960000000000UL	/* L4 slot 300: unused */
#define BENCH_L4_SLOT	300u
/* Native: source frames of the fork copy, identity-mapped by pvh.S. */
#define NATIVE_FORK_SRC_PHYS	(32UL << 20)

uint64_t guest_hypercalls_made(void)
{
	uint64_t n = 0;

	for (unsigned int i = 0; i < PVK_HYPERCALL_SLOTS; i++)
		n += pvk_hypercall_count(i);
	return n;
}

static const char *world(void)
{
	return guest_world->name;
}

static void report(const char *name, uint64_t ns, uint64_t hc, uint64_t ops)
{
	guest_printf("bench-raw %s %s ps/op=%llu hc/op=%llu iters=%llu\n", name, world(),
		     (unsigned long long)(ns * 1000 / ops),
		     (unsigned long long)(hc * 1000 / ops), (unsigned long long)ops);
}

static void fail(const char *name, const char *why, long rc)
{
	guest_printf("bench-fail %s %s: %s (%ld)\n", name, world(), why, rc);
}

static bool bench_irq(void)
{
	uint64_t h0 = guest_hypercalls_made(), t0 = pvk_clock_ns(), t1;

	for (unsigned int i = 0; i < IRQ_ITERS; i++) {
		unsigned long flags = pvk_irq_save();

		pvk_restore_fl(flags);
	}
	t1 = pvk_clock_ns();
	report("irq_save_restore", t1 - t0, guest_hypercalls_made() - h0, IRQ_ITERS);
	return true;
}

/*
 * Issue 15's row: the irq sites as patched (natively the bare instructions
 * padded with NOPs, on Xen a direct call of the Xen op's thunk) against,
 * in the same boot, natively the same instructions written inline (what a
 * kernel without pvops would run), and in both worlds the unpatched path
 * (a call of the table's thunk, which calls the op through the table: what
 * every site runs before patching), and the table called from C (what the
 * kit's irq calls were before they had sites). The loops run in turns, ROUNDS
 * times, and each reports its fastest round: the least disturbed one (a
 * host interrupt or another QEMU thread only ever adds time).
 */
#define VS_ROUNDS	5u

static uint64_t irq_loop_sites(void)
{
	uint64_t t0 = pvk_clock_ns();

	for (unsigned int i = 0; i < IRQ_ITERS; i++) {
		unsigned long flags = pvk_irq_save();

		pvk_restore_fl(flags);
	}
	return pvk_clock_ns() - t0;
}

/* The native templates' instructions (pvkit/pvops_patch.h), inline. */
__attribute__((noinline)) static uint64_t irq_loop_bare(void)
{
	uint64_t t0;

	PVK_NATIVE_ONLY(irq_loop_bare);
	t0 = pvk_clock_ns();
	for (unsigned int i = 0; i < IRQ_ITERS; i++) {
		unsigned long flags;

		__asm__ __volatile__("pushfq; popq %0; andl $0x200, %k0; cli"
				     : "=r"(flags) : : "cc", "memory");
		__asm__ __volatile__("btl $9, %k0; jnc 1f; sti; jmp 2f; 1: cli; 2:"
				     : : "r"(flags) : "cc", "memory");
	}
	return pvk_clock_ns() - t0;
}

/* The unpatched sites: the same calls of the table's thunks, in asm that
 * has no site record, so no selection rewrote them. */
static uint64_t irq_loop_unpatched(void)
{
	uint64_t t0 = pvk_clock_ns();

	for (unsigned int i = 0; i < IRQ_ITERS; i++) {
		unsigned long flags;

		__asm__ __volatile__("call pvk_pvops_thunk_save_fl" : "=a"(flags) : : "cc", "memory");
		__asm__ __volatile__("call pvk_pvops_thunk_irq_disable" : : : "cc", "memory");
		__asm__ __volatile__("call pvk_pvops_thunk_restore_fl" : : "D"(flags) : "cc", "memory");
	}
	return pvk_clock_ns() - t0;
}

/* The table called from C, as every pvk_*() irq call was before the
 * sites: an indirect call with the C ABI's clobbers, no thunk. */
static uint64_t irq_loop_table(void)
{
	uint64_t t0 = pvk_clock_ns();

	for (unsigned int i = 0; i < IRQ_ITERS; i++) {
		unsigned long flags = pvk_pvops.irq.save_fl();

		pvk_pvops.irq.irq_disable();
		pvk_pvops.irq.restore_fl(flags);
	}
	return pvk_clock_ns() - t0;
}

static uint64_t min_ns(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static void report_vs(const char *name, uint64_t ns, uint64_t base_ns)
{
	guest_printf("bench-vs %s %s ps/op=%llu base-ps/op=%llu iters=%u rounds=%u\n", name,
		     world(), (unsigned long long)(ns * 1000 / IRQ_ITERS),
		     (unsigned long long)(base_ns * 1000 / IRQ_ITERS), IRQ_ITERS, VS_ROUNDS);
}

static bool bench_irq_patched(void)
{
	uint64_t sites = ~0ULL, bare = ~0ULL, unpatched = ~0ULL, table = ~0ULL;
	uint64_t h0 = guest_hypercalls_made();
	struct pvk_pvops_patch_stats st;

	pvk_pvops_patch_stats(&st);
	if (!st.world || st.patched != st.sites) {
		fail("irq_patched", "the irq sites were not all patched", (long)st.patched);
		return false;
	}
	for (unsigned int r = 0; r < VS_ROUNDS; r++) {
		sites = min_ns(sites, irq_loop_sites());
		if (guest_native_boot)
			bare = min_ns(bare, irq_loop_bare());
		unpatched = min_ns(unpatched, irq_loop_unpatched());
		table = min_ns(table, irq_loop_table());
	}
	if (guest_native_boot)
		report_vs("irq_patched_vs_bare", sites, bare);
	report_vs("irq_patched_vs_unpatched", sites, unpatched);
	report_vs("irq_patched_vs_table", sites, table);
	guest_printf("bench-note irq_patched: %u sites patched for %s; %llu hypercalls in the loops\n",
		     st.patched, st.world, (unsigned long long)(guest_hypercalls_made() - h0));
	return true;
}

/*
 * The Xen clock reads the TSC: whether Xen emulates rdtsc for us (vtsc,
 * a trap per read) explains most of its cost. Xen's CPUID leaf base + 3,
 * subleaf 0: EAX bit 0 = vtsc, EBX = tsc_mode, ECX = guest TSC kHz.
 */
#define XEN_CPUID_BASE		0x40000000u
#define XEN_CPUID_TIME		(XEN_CPUID_BASE + 3)

void guest_bench_note_xen_tsc(void)
{
	struct pvk_cpuid_regs r;

	pvk_cpuid(XEN_CPUID_BASE, 0, &r);
	if (memcmp(&r.ebx, "XenV", 4) || r.eax < XEN_CPUID_TIME) {
		guest_printf("bench-note clock_ns: no Xen time leaf at 0x%x\n", XEN_CPUID_TIME);
		return;
	}
	pvk_cpuid(XEN_CPUID_TIME, 0, &r);
	guest_printf("bench-note clock_ns: Xen TSC leaf: vtsc=%u (rdtsc %s) tsc_mode=%u, %u kHz\n",
		     r.eax & 1, (r.eax & 1) ? "emulated by Xen, a trap per read" : "native",
		     r.ebx, r.ecx);
}

static bool bench_clock(void)
{
	uint64_t h0 = guest_hypercalls_made(), t0 = pvk_clock_ns(), t1, last = t0;

	for (unsigned int i = 0; i < CLOCK_ITERS; i++) {
		uint64_t now = pvk_clock_ns();

		if (now < last) {
			fail("clock_ns", "clock went backwards", (long)(last - now));
			return false;
		}
		last = now;
	}
	t1 = pvk_clock_ns();
	report("clock_ns", t1 - t0, guest_hypercalls_made() - h0, CLOCK_ITERS);
	guest_world->bench_clock_note();
	return true;
}

/* ---- Ring 3 -> kernel -> ring 3 ---------------------------------------- */

#define SYSCALL_RUNS	2
#define FAULT_RUNS	8

/*
 * runs fresh address spaces, each running entry once: ops_per_run round
 * trips between its two marks. On Xen each round trip also leaves the
 * kernel through HYPERVISOR_iret, a jump into the hypercall page that the
 * kit's counters (its pvk_hyp_* wrappers) do not see: it is added, one per
 * round trip, so hypercalls/op counts every entry into Xen the kernel made.
 */
static bool bench_user(const char *name, const char *entry, unsigned int runs,
		       unsigned int ops_per_run)
{
	static struct guest_user_result res;
	uint64_t ns = 0, hc = 0, ops = (uint64_t)runs * ops_per_run;
	int rc, rc_destroy;

	for (unsigned int r = 0; r < runs; r++) {
		rc = guest_uspace_create();
		if (rc) {
			fail(name, "no user address space", rc);
			return false;
		}
		rc = guest_user_run(entry, &res);
		rc_destroy = guest_uspace_destroy();
		if (rc || rc_destroy || res.exit_code != USER_EXIT_OK || res.marks != 2) {
			fail(name, "the program did not run through",
			     rc ? rc : rc_destroy ? rc_destroy : res.exit_code);
			return false;
		}
		ns += res.mark_ns[1] - res.mark_ns[0];
		hc += res.mark_hc[1] - res.mark_hc[0];
	}
	hc += ops * guest_world->user_return_hypercalls;
	report(name, ns, hc, ops);
	return true;
}

static bool bench_syscall(void)
{
	return bench_user("syscall_roundtrip", guest_user_bench_syscall, SYSCALL_RUNS,
			  USER_BENCH_SYSCALLS);
}

static bool bench_fault(void)
{
	bool ok = bench_user("pagefault_roundtrip", guest_user_bench_fault, FAULT_RUNS,
			     USER_ZERO_PAGES);

	if (ok)
		guest_printf("bench-note pagefault_roundtrip: a ring-3 read of an unmapped page; the kernel maps the shared zero page read-only (%s) and returns (%s)\n",
			     guest_world->bench_set_pte_how, guest_world->bench_user_return_how);
	return ok;
}

/* ---- Native address-space primitives ---------------------------------- */

static uint64_t native_l3[PVK_PT_ENTRIES] __attribute__((aligned(PVK_PAGE_SIZE)));
static uint64_t native_l2[PVK_PT_ENTRIES] __attribute__((aligned(PVK_PAGE_SIZE)));
static uint64_t native_l1[PTE_PAGES / PVK_PT_ENTRIES][PVK_PT_ENTRIES]
	__attribute__((aligned(PVK_PAGE_SIZE)));

/* pvh.S identity-maps the first GiB, where its page tables are. */
static uint64_t *native_current_l4(void)
{
	return (uint64_t *)(pvk_read_cr3() & PVK_PTE_MFN_MASK);
}

/* Map n pages of physical memory from phys at BENCH_VA (slot 300 of the
 * current L4), every entry through the pvops set_pte. */
static void native_map(unsigned long phys, unsigned int n)
{
	uint64_t *l4 = native_current_l4();

	for (unsigned int i = 0; i < n; i++)
		pvk_set_pte(&native_l1[i / PVK_PT_ENTRIES][i % PVK_PT_ENTRIES],
			    (phys + i * PVK_PAGE_SIZE) | PVK_PTE_KERNEL_RW);
	for (unsigned int t = 0; t < (n + PVK_PT_ENTRIES - 1) / PVK_PT_ENTRIES; t++)
		pvk_set_pte(&native_l2[pvk_pt_index(BENCH_VA, 2) + t],
			    guest_image_phys(native_l1[t]) | PVK_PTE_TABLE);
	pvk_set_pte(&native_l3[pvk_pt_index(BENCH_VA, 3)],
		    guest_image_phys(native_l2) | PVK_PTE_TABLE);
	pvk_set_pte(&l4[BENCH_L4_SLOT], guest_image_phys(native_l3) | PVK_PTE_TABLE);
	pvk_flush_tlb_local();
}

static void native_unmap(void)
{
	pvk_set_pte(&native_current_l4()[BENCH_L4_SLOT], 0);
	pvk_flush_tlb_local();
}

/* ---- Address-space switch --------------------------------------------- */

/* Xen's own L4 slots: never copied (Xen fills them in an L4 it
 * validates; natively the guest leaves them empty). */
#define XEN_SLOT_FIRST	256
#define XEN_SLOT_LAST	271

/* A second L4 with the kernel's mappings (a copy of the running one), a
 * page table to the pvops (on Xen read-only and pinned); its CR3 value in
 * *cr3 (make_pte's frame: machine on Xen, physical natively). */
static uint64_t *second_l4(unsigned long *cr3)
{
	const uint64_t *cur = guest_pfn_to_virt_any(pvk_pte_pfn(pvk_read_cr3()));
	uint64_t *l4;

	if (!cur)
		return NULL;
	l4 = pvk_port_alloc_page();
	if (!l4)
		return NULL;
	memset(l4, 0, PVK_PAGE_SIZE);
	for (unsigned int i = 0; i < PVK_PT_ENTRIES; i++) {
		if (i < XEN_SLOT_FIRST || i > XEN_SLOT_LAST)
			l4[i] = cur[i];
	}
	if (pvk_alloc_pt(4, l4)) {
		pvk_port_free_page(l4);
		return NULL;
	}
	*cr3 = pvk_make_pte(pvk_port_virt_to_pfn(l4), 0);
	return l4;
}

static bool bench_cr3(void)
{
	unsigned long a = pvk_read_cr3(), b;
	uint64_t *l4 = second_l4(&b);
	uint64_t h0, t0, t1;
	int rc;

	if (!l4) {
		fail("cr3_switch", "no second L4", 0);
		return false;
	}
	h0 = guest_hypercalls_made();
	t0 = pvk_clock_ns();
	for (unsigned int i = 0; i < CR3_ITERS; i++) {
		pvk_write_cr3(b);
		pvk_write_cr3(a);
	}
	t1 = pvk_clock_ns();
	report("cr3_switch", t1 - t0, guest_hypercalls_made() - h0, 2 * CR3_ITERS);
	rc = pvk_release_pt(4, l4);
	if (rc) {
		fail("cr3_switch", "cannot release the second L4", rc);
		return false;
	}
	pvk_port_free_page(l4);
	return true;
}

/* ---- PTE updates: one op = 1,000 of them ------------------------------ */

static bool bench_pte(void)
{
	return guest_world->bench_pte();
}

/* native.c's world: 1,000 stores at a time through set_pte, into the
 * static L1s of native_map(). */
bool guest_native_bench_pte(void)
{
	uint64_t t0, t1;

	t0 = pvk_clock_ns();
	for (unsigned int r = 0; r < PTE_NATIVE_ITERS; r++)
		for (unsigned int i = 0; i < 1000; i++)
			pvk_set_pte(&native_l1[i / PVK_PT_ENTRIES][i % PVK_PT_ENTRIES],
				    ((uint64_t)(r * 1000 + i) << 12) | PVK_PTE_KERNEL_RW);
	t1 = pvk_clock_ns();
	report("pte_update_x1000", t1 - t0, 0, PTE_NATIVE_ITERS);
	return true;
}

/* boot.c's world: build a PTE_PAGES address space, tables and all. */
bool guest_xen_bench_pte(void)
{
	struct pvk_mmu_stats s0, s1;
	uint64_t h0, t0, t1, mu, uvm, ext;
	unsigned long avail;
	pvk_pfn_t first;
	int rc;

	guest_unmapped_pfns(&first, &avail);
	if (avail < PTE_PAGES) {
		fail("pte_update_x1000", "not enough unmapped frames", (long)avail);
		return false;
	}
	pvk_mmu_stats_snapshot(&s0);
	mu = pvk_hypercall_count(PVK_HYPERVISOR_mmu_update);
	uvm = pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping);
	ext = pvk_hypercall_count(PVK_HYPERVISOR_mmuext_op);
	h0 = guest_hypercalls_made();
	t0 = pvk_clock_ns();
	rc = pvk_mmu_map_range(BENCH_VA, first, PTE_PAGES, PVK_PTE_KERNEL_RW);
	t1 = pvk_clock_ns();
	h0 = guest_hypercalls_made() - h0;
	pvk_mmu_stats_snapshot(&s1);
	if (rc) {
		fail("pte_update_x1000", "map_range", rc);
		return false;
	}
	/* Where the hypercalls went: the batches of entries, and one
	 * update_va_mapping per new table frame (made read-only). */
	guest_printf("bench-note pte_update_x1000: %llu entries (%llu new tables), %llu hypercalls: %llu mmu_update (batch %d), %llu update_va_mapping, %llu mmuext_op\n",
		     (unsigned long long)(s1.updates - s0.updates),
		     (unsigned long long)(s1.tables_added - s0.tables_added),
		     (unsigned long long)h0,
		     (unsigned long long)(pvk_hypercall_count(PVK_HYPERVISOR_mmu_update) - mu),
		     CONFIG_PVK_MMU_UPDATE_BATCH,
		     (unsigned long long)(pvk_hypercall_count(PVK_HYPERVISOR_update_va_mapping) - uvm),
		     (unsigned long long)(pvk_hypercall_count(PVK_HYPERVISOR_mmuext_op) - ext));
	/* Per 1,000 entries written, tables included. */
	report("pte_update_x1000", (t1 - t0) * 1000, h0 * 1000, s1.updates - s0.updates);
	rc = pvk_mmu_unmap_range(BENCH_VA, PTE_PAGES);
	if (rc) {
		fail("pte_update_x1000", "unmap_range", rc);
		return false;
	}
	return true;
}

/* ---- Fork-like copy: map FORK_PAGES fresh frames and copy into them ---- */

static bool bench_fork(void)
{
	return guest_world->bench_fork();
}

/* native.c's world. */
bool guest_native_bench_fork(void)
{
	uint64_t ns = 0, hc = 0, t0, h0;
	const char *src;

	/* Source: identity-mapped RAM; copy: frames right after it. */
	src = (const char *)NATIVE_FORK_SRC_PHYS;
	for (unsigned int r = 0; r < FORK_ITERS; r++) {
		h0 = guest_hypercalls_made();
		t0 = pvk_clock_ns();
		native_map(NATIVE_FORK_SRC_PHYS + FORK_PAGES * PVK_PAGE_SIZE, FORK_PAGES);
		memcpy((void *)BENCH_VA, src, FORK_PAGES * PVK_PAGE_SIZE);
		ns += pvk_clock_ns() - t0;
		hc += guest_hypercalls_made() - h0;
		native_unmap();
	}
	report("fork_copy_1024p", ns, hc, FORK_ITERS);
	return true;
}

/* boot.c's world: the source is the first FORK_PAGES unmapped frames,
 * mapped above the copy's range; the copy gets the next FORK_PAGES. */
bool guest_xen_bench_fork(void)
{
	uint64_t ns = 0, hc = 0, t0, h0;
	unsigned long avail;
	const char *src;
	pvk_pfn_t first;
	int rc;

	guest_unmapped_pfns(&first, &avail);
	if (avail < 2 * FORK_PAGES) {
		fail("fork_copy_1024p", "not enough unmapped frames", (long)avail);
		return false;
	}
	src = (const char *)(BENCH_VA + (1UL << 30));
	rc = pvk_mmu_map_range((unsigned long)src, first, FORK_PAGES, PVK_PTE_KERNEL_RW);
	if (rc) {
		fail("fork_copy_1024p", "map source", rc);
		return false;
	}
	for (unsigned int r = 0; r < FORK_ITERS && !rc; r++) {
		h0 = guest_hypercalls_made();
		t0 = pvk_clock_ns();
		rc = pvk_mmu_map_range(BENCH_VA, pvk_pfn(pvk_pfn_raw(first) + FORK_PAGES),
				       FORK_PAGES, PVK_PTE_KERNEL_RW);
		if (rc)
			break;
		memcpy((void *)BENCH_VA, src, FORK_PAGES * PVK_PAGE_SIZE);
		ns += pvk_clock_ns() - t0;
		hc += guest_hypercalls_made() - h0;
		rc = pvk_mmu_unmap_range(BENCH_VA, FORK_PAGES);
	}
	if (!rc)
		rc = pvk_mmu_unmap_range((unsigned long)src, FORK_PAGES);
	if (rc) {
		fail("fork_copy_1024p", "map/unmap", rc);
		return false;
	}
	report("fork_copy_1024p", ns, hc, FORK_ITERS);
	return true;
}

/*
 * The SMP benchmarks need the guest's 4 CPUs (Xen: bench-smp.scn's
 * VCPUS=4, natively bench.sh's second QEMU boot with -smp 4); SMP comes
 * up with the timer. They are a boot of their own (pvkit.test=bench_smp):
 * with more than one CPU the guest's pvk_port_cpu_id() natively reads the
 * APIC, on every lock, which would change the one-CPU rows' figures.
 */
static bool smp_ready(const char *name)
{
	guest_timer_prepare();
	if (!guest_smp_started() || pvk_smp_nr_online() < SMP_CPUS) {
		fail(name, "fewer CPUs online than the 4 it needs", (long)pvk_smp_nr_online());
		return false;
	}
	return true;
}

/* Round trip: the handler on CPU 1 sends the kind back to its origin,
 * where the same handler counts the answer. */
static unsigned int pongs;

static void ping_pong(unsigned int kind, void *arg)
{
	unsigned int origin = (unsigned int)(unsigned long)arg;

	if (pvk_port_cpu_id() != origin)
		pvk_smp_send_ipi(origin, kind);
	else
		__atomic_fetch_add(&pongs, 1, __ATOMIC_RELEASE);
}

static bool bench_ipi(void)
{
	unsigned int self = pvk_port_cpu_id(), target = self ? 0 : 1;
	uint64_t t0, h0, ns, hc, w;
	unsigned long flags;
	int rc = 0;

	if (!smp_ready("ipi_roundtrip"))
		return false;
	pongs = 0;
	rc = pvk_smp_set_ipi_handler(BENCH_IPI_KIND, ping_pong, (void *)(unsigned long)self);
	if (rc) {
		fail("ipi_roundtrip", "set_ipi_handler", rc);
		return false;
	}
	/* Our answer arrives as an IPI: irqs on while we wait. */
	flags = pvk_save_fl();
	pvk_irq_enable();
	h0 = guest_hypercalls_made();
	t0 = pvk_clock_ns();
	for (unsigned int i = 0; i < IPI_ITERS && !rc; i++) {
		rc = pvk_smp_send_ipi(target, BENCH_IPI_KIND);
		for (w = pvk_clock_ns(); !rc && __atomic_load_n(&pongs, __ATOMIC_ACQUIRE) <= i;)
			if (pvk_clock_ns() - w > IPI_WAIT_NS)
				rc = -PVK_XEN_ETIMEDOUT;
	}
	ns = pvk_clock_ns() - t0;
	hc = guest_hypercalls_made() - h0;
	pvk_restore_fl(flags);
	pvk_smp_set_ipi_handler(BENCH_IPI_KIND, NULL, NULL);
	if (rc) {
		fail("ipi_roundtrip", "no answer from CPU 1", rc);
		return false;
	}
	report("ipi_roundtrip", ns, hc, IPI_ITERS);
	return true;
}

static uint64_t shoot_target;	/* a mapped page every CPU may cache */

static bool bench_shoot(const char *name, unsigned long va)
{
	struct pvk_cpumask cpus = PVK_CPUMASK_NONE;
	uint64_t t0, h0;
	int rc = 0;

	if (!smp_ready(name))
		return false;
	for (unsigned int cpu = 0; cpu < SMP_CPUS; cpu++)
		pvk_cpumask_set(&cpus, cpu);
	h0 = guest_hypercalls_made();
	t0 = pvk_clock_ns();
	for (unsigned int i = 0; i < SHOOT_ITERS && !rc; i++)
		rc = pvk_smp_flush_tlb(&cpus, va);
	t0 = pvk_clock_ns() - t0;
	h0 = guest_hypercalls_made() - h0;
	if (rc) {
		fail(name, "pvk_smp_flush_tlb", rc);
		return false;
	}
	report(name, t0, h0, SHOOT_ITERS);
	return true;
}

static bool bench_shoot_page(void)
{
	return bench_shoot("tlb_shootdown_4cpu_page", (unsigned long)&shoot_target);
}

static bool bench_shoot_all(void)
{
	return bench_shoot("tlb_shootdown_4cpu_all", PVK_TLB_FLUSH_ALL);
}

unsigned int guest_bench_run(void)
{
	bool (*const benches[])(void) = {
		bench_syscall, bench_fault, bench_irq, bench_irq_patched, bench_clock, bench_cr3,
		bench_pte, bench_fork,
	};
	unsigned int failed = 0;

	guest_printf("bench: %s, pvops %s, clock by pvops time.clock_ns\n", world(),
		     pvk_pvops_name());
	for (size_t i = 0; i < PVK_ARRAY_SIZE(benches); i++)
		failed += !benches[i]();
	guest_printf("bench: done, %u failed\n", failed);
	return failed;
}

unsigned int guest_bench_smp_run(void)
{
	bool (*const benches[])(void) = { bench_ipi, bench_shoot_page, bench_shoot_all };
	unsigned int failed = 0;

	guest_printf("bench: %s, pvops %s, SMP rows on %u CPUs\n", world(),
		     pvk_pvops_name(), SMP_CPUS);
	for (size_t i = 0; i < PVK_ARRAY_SIZE(benches); i++)
		failed += !benches[i]();
	guest_printf("bench: done, %u failed\n", failed);
	return failed;
}

/*
 * Native: the PVH command line (QEMU -append), so that pvkit.test= chooses
 * tests as it does on Xen ("make bench" runs pvkit.test=bench both ways).
 * The hvm_start_info and the string are in pvh.S's identity-mapped first
 * GiB; "" when there is none.
 */
#define HVM_START_CMDLINE_OFFSET	24	/* cmdline_paddr, a u64 */

const char *guest_pvh_cmdline(unsigned long hvm_start_info)
{
	uint64_t cmdline;

	if (!hvm_start_info || hvm_start_info >= (1UL << 30))
		return "";
	cmdline = *(const uint64_t *)(hvm_start_info + HVM_START_CMDLINE_OFFSET);
	if (!cmdline || cmdline >= (1UL << 30) - PVK_PAGE_SIZE)
		return "";
	return (const char *)cmdline;
}
