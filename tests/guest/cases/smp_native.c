/*
 * tests/guest/cases/smp_native.c - the kit's CPUs seen from each CPU, in
 * both worlds, written for the native bring-up (pvops/smp_native.c) and
 * run natively with QEMU -smp 4 (tests/native/run.sh) as on Xen.
 *
 *   smp_call_identity  every possible CPU is online (natively: as many as
 *                     ACPI's MADT lists); pvk_smp_call() on all runs once
 *                     on each, and each answers pvk_port_cpu_id() with its
 *                     own number (natively: its local APIC id is the one
 *                     the table gives that number, all distinct)
 *   smp_ipi_each      an IPI of a test kind to each online CPU in turn
 *                     runs its handler on that CPU (and only there); the
 *                     kit counts one more IPI received on it
 *   smp_flush_set     a mapping read on every CPU (so each may cache it)
 *                     is changed without a flush, then pvk_smp_flush_tlb()
 *                     of the online set: every CPU then reads the new
 *                     page. Natively: a 4 KiB page table hooked into a
 *                     free 2 MiB slot of pvh.S's identity map; on Xen:
 *                     pvk_mmu_map_range() then update_va_mapping with no
 *                     flush. How many CPUs still read the old page before
 *                     the flush is printed (the TLB may or may not keep it).
 *   smp_cpu_restart   the last online CPU stopped and started again answers
 *                     a call with its number (natively: a second
 *                     INIT-SIPI-SIPI of a CPU halted in stop_self)
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/xen.h>

#include "../guest.h"
#include "../test.h"

#define CALL_TIMEOUT_NS		(2ULL * 1000 * 1000 * 1000)
#define IPI_TIMEOUT_NS		(2ULL * 1000 * 1000 * 1000)
/* The last IPI kind: the guest's own start at 1, tests use the top one. */
#define TEST_IPI_KIND		(PVK_IPI_KINDS - 1)

/* ---- smp_call_identity ------------------------------------------------ */

struct identity {
	unsigned int runs[PVK_MAX_CPUS];	/* indexed by the answer */
	uint32_t apic[PVK_MAX_CPUS];
};

static void report_identity(void *arg)
{
	struct identity *id = arg;
	unsigned int cpu = pvk_port_cpu_id();

	if (cpu >= PVK_MAX_CPUS)
		return;
	__atomic_fetch_add(&id->runs[cpu], 1, __ATOMIC_RELAXED);
	if (guest_native_boot)
		id->apic[cpu] = guest_native_apic_id();
}

PVK_GUEST_TEST(smp_call_identity)
{
	static struct identity id;
	struct pvk_cpumask online;
	unsigned int n = pvk_smp_nr_possible();

	if (guest_native_boot)
		PVK_CHECK_EQ(n, guest_native_smp_cpus());
	PVK_CHECK_EQ(pvk_smp_nr_online(), n);
	guest_printf("smp: %u of %u CPUs online (%s)\n", pvk_smp_nr_online(), n,
		     pvk_pvops_name());
	__builtin_memset(&id, 0, sizeof(id));
	pvk_smp_online_mask(&online);
	PVK_CHECK_RC(pvk_smp_call(&online, report_identity, &id, CALL_TIMEOUT_NS), 0);
	for (unsigned int cpu = 0; cpu < n; cpu++) {
		PVK_CHECK_EQ(id.runs[cpu], 1);
		if (!guest_native_boot)
			continue;
		PVK_CHECK_EQ(id.apic[cpu], guest_native_smp_apic_id_of(cpu));
		for (unsigned int other = 0; other < cpu; other++)
			PVK_CHECK_NE(id.apic[cpu], id.apic[other]);
		guest_printf("smp: CPU %u has APIC id %u\n", cpu, id.apic[cpu]);
	}
	for (unsigned int cpu = n; cpu < PVK_MAX_CPUS; cpu++)
		PVK_CHECK_EQ(id.runs[cpu], 0);
}

/* ---- smp_ipi_each ---------------------------------------------------- */

static unsigned int ipi_seen[PVK_MAX_CPUS];

static void test_ipi(unsigned int kind, void *arg)
{
	unsigned int cpu = pvk_port_cpu_id();

	(void)kind;
	(void)arg;
	if (cpu < PVK_MAX_CPUS)
		__atomic_fetch_add(&ipi_seen[cpu], 1, __ATOMIC_RELEASE);
}

/* Waits (bounded) until CPU cpu ran the handler `want` times. */
static bool ipi_arrived(unsigned int cpu, unsigned int want)
{
	uint64_t t0 = pvk_clock_ns();
	unsigned long flags = pvk_save_fl();
	bool ok;

	/* Our own IPI is taken when interrupts are on. */
	pvk_irq_enable();
	while (__atomic_load_n(&ipi_seen[cpu], __ATOMIC_ACQUIRE) < want &&
	       pvk_clock_ns() - t0 < IPI_TIMEOUT_NS)
		__asm__ __volatile__("pause");
	ok = __atomic_load_n(&ipi_seen[cpu], __ATOMIC_ACQUIRE) >= want;
	pvk_restore_fl(flags);
	return ok;
}

PVK_GUEST_TEST(smp_ipi_each)
{
	struct pvk_cpumask online;
	unsigned int cpu;

	__builtin_memset(ipi_seen, 0, sizeof(ipi_seen));
	pvk_smp_online_mask(&online);
	PVK_CHECK_RC(pvk_smp_set_ipi_handler(TEST_IPI_KIND, test_ipi, NULL), 0);
	pvk_for_each_cpu(cpu, &online) {
		struct pvk_smp_stats before, after;
		bool arrived;

		PVK_CHECK_RC(pvk_smp_get_stats(cpu, &before), 0);
		PVK_CHECK_RC(pvk_smp_send_ipi(cpu, TEST_IPI_KIND), 0);
		arrived = ipi_arrived(cpu, 1);
		PVK_CHECK_RC(pvk_smp_get_stats(cpu, &after), 0);
		if (!arrived)
			pvk_smp_set_ipi_handler(TEST_IPI_KIND, NULL, NULL);
		PVK_CHECK(arrived);
		PVK_CHECK_GT(after.ipis_received, before.ipis_received);
		/* Only the target ran it. */
		for (unsigned int other = 0; other < PVK_MAX_CPUS; other++)
			PVK_CHECK_EQ(PVK_READ_ONCE(ipi_seen[other]), other <= cpu &&
				     pvk_cpumask_test(&online, other) ? 1u : 0u);
	}
	PVK_CHECK_RC(pvk_smp_set_ipi_handler(TEST_IPI_KIND, NULL, NULL), 0);
	guest_printf("smp: an IPI reached each of %u CPUs\n", pvk_cpumask_weight(&online));
}

/* ---- smp_flush_set ----------------------------------------------------- */

#define MAGIC_OLD	0x6f6c64706167650aULL
#define MAGIC_NEW	0x6e65777061676521ULL

struct reads {
	unsigned long va;
	uint64_t seen[PVK_MAX_CPUS];
};

static void read_va(void *arg)
{
	struct reads *r = arg;
	unsigned int cpu = pvk_port_cpu_id();

	if (cpu < PVK_MAX_CPUS)
		r->seen[cpu] = *(volatile uint64_t *)r->va;
}

/* Reads r->va on every CPU of set; how many saw want. */
static int read_everywhere(struct reads *r, const struct pvk_cpumask *set,
			   uint64_t want, unsigned int *matched)
{
	unsigned int cpu;
	int rc;

	__builtin_memset(r->seen, 0, sizeof(r->seen));
	rc = pvk_smp_call(set, read_va, r, CALL_TIMEOUT_NS);
	*matched = 0;
	pvk_for_each_cpu(cpu, set)
		if (r->seen[cpu] == want)
			(*matched)++;
	return rc;
}

/* Natively: pvh.S's identity PD (PML4[0] -> PDPT[0] -> PD); its last
 * 2 MiB (just below 1 GiB, beyond the RAM QEMU gives) is borrowed. */
#define NATIVE_SLOT		511
#define NATIVE_VA		((unsigned long)NATIVE_SLOT << 21)
#define PTE_P_RW		(PVK_PTE_PRESENT | PVK_PTE_RW)
#define PTE_ADDR		0x000ffffffffff000ULL

static uint8_t native_pages[2][PVK_PAGE_SIZE] __attribute__((aligned(PVK_PAGE_SIZE)));
static uint64_t native_pt[512] __attribute__((aligned(PVK_PAGE_SIZE)));

static uint64_t *native_identity_pd(void)
{
	uint64_t *pml4 = (uint64_t *)(pvk_read_cr3() & PTE_ADDR), *pdpt;

	/* pvh.S's tables are in the image, below 1 GiB: their physical
	 * address is also a virtual one in the identity map. */
	if (!(pml4[0] & PVK_PTE_PRESENT))
		return NULL;
	pdpt = (uint64_t *)(pml4[0] & PTE_ADDR);
	if (!(pdpt[0] & PVK_PTE_PRESENT) || (pdpt[0] & PVK_PTE_PSE))
		return NULL;
	return (uint64_t *)(pdpt[0] & PTE_ADDR);
}

/* Xen: a VA slot nothing else uses (the tests' are 300-304). */
#define XEN_VA			0xffff9b0000000000UL	/* L4 slot 310 */

PVK_GUEST_TEST(smp_flush_set)
{
	static struct reads r;
	struct pvk_cpumask online;
	unsigned int first_old = 0, old_before = 0, new_after = 0, n;
	uint64_t *pd = NULL, saved = 0;
	pvk_pfn_t first = pvk_pfn(0);
	int rc;

	pvk_smp_online_mask(&online);
	n = pvk_cpumask_weight(&online);
	if (guest_native_boot) {
		pd = native_identity_pd();
		PVK_CHECK(pd != NULL);
		saved = pd[NATIVE_SLOT];
		*(volatile uint64_t *)native_pages[0] = MAGIC_OLD;
		*(volatile uint64_t *)native_pages[1] = MAGIC_NEW;
		native_pt[0] = guest_image_phys(native_pages[0]) | PTE_P_RW;
		pvk_set_pte(&pd[NATIVE_SLOT], guest_image_phys(native_pt) | PTE_P_RW);
		r.va = NATIVE_VA;
	} else {
		unsigned long avail;

		guest_unmapped_pfns(&first, &avail);
		PVK_CHECK_GE(avail, 2);
		PVK_CHECK_RC(pvk_mmu_map_range(XEN_VA, first, 2, PVK_PTE_KERNEL_RW), 0);
		*(volatile uint64_t *)XEN_VA = MAGIC_OLD;
		*(volatile uint64_t *)(XEN_VA + PVK_PAGE_SIZE) = MAGIC_NEW;
		r.va = XEN_VA;
	}
	/* Every CPU starts from the old page, cached or not. */
	rc = pvk_smp_flush_tlb(&online, PVK_TLB_FLUSH_ALL);
	if (!rc)
		rc = read_everywhere(&r, &online, MAGIC_OLD, &first_old);
	if (!rc && first_old == n) {
		/* The new page, without a flush anywhere. */
		if (guest_native_boot) {
			pvk_set_pte(&native_pt[0], guest_image_phys(native_pages[1]) | PTE_P_RW);
		} else {
			struct pvk_mmu_va_update u = {
				.va = XEN_VA,
				.pte = pvk_pte(pvk_pfn_to_mfn(pvk_pfn(pvk_pfn_raw(first) + 1)),
					       PVK_PTE_KERNEL_RW),
			};

			rc = pvk_mmu_update_va_run(&u, 1, PVK_UVMF_NONE);
		}
		if (!rc)
			rc = read_everywhere(&r, &online, MAGIC_OLD, &old_before);
		guest_printf("smp: before the flush %u of %u CPUs still read the old page\n",
			     old_before, n);
		if (!rc)
			rc = pvk_smp_flush_tlb(&online, r.va);
		if (!rc)
			rc = read_everywhere(&r, &online, MAGIC_NEW, &new_after);
	}
	/* Put things back before checking. */
	if (guest_native_boot) {
		pvk_set_pte(&pd[NATIVE_SLOT], saved);
		(void)pvk_smp_flush_tlb(&online, PVK_TLB_FLUSH_ALL);
	} else {
		PVK_CHECK_RC(pvk_mmu_unmap_range(XEN_VA, 2), 0);
	}
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(first_old, n);
	PVK_CHECK_EQ(new_after, n);
}

/* ---- smp_cpu_restart --------------------------------------------------- */

/*
 * The last online CPU is stopped (natively: the halt loop of stop_self,
 * the kit's "down" once it is there; on Xen VCPUOP_down) and started
 * again (natively INIT-SIPI-SIPI into the trampoline once more), then runs
 * a call and answers its number. With one CPU there is nothing to stop:
 * the test checks that CPU 0 cannot be.
 */
PVK_GUEST_TEST(smp_cpu_restart)
{
	static struct identity id;
	struct pvk_smp_stats before, after;
	struct pvk_cpumask online, one;
	unsigned int cpu = 0, c;

	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(c, &online)
		cpu = c;
	if (cpu == 0) {
		PVK_CHECK_RC(guest_smp_cpu_down(0), -PVK_XEN_EINVAL);
		return;
	}
	PVK_CHECK_RC(pvk_smp_get_stats(cpu, &before), 0);
	PVK_CHECK_RC(guest_smp_cpu_down(cpu), 0);
	PVK_CHECK(!pvk_smp_cpu_online(cpu));
	PVK_CHECK_RC(pvk_smp_send_ipi(cpu, TEST_IPI_KIND), -PVK_XEN_ENODEV);
	PVK_CHECK_RC(guest_smp_cpu_up(cpu), 0);
	PVK_CHECK(pvk_smp_cpu_online(cpu));
	PVK_CHECK_RC(pvk_smp_get_stats(cpu, &after), 0);
	PVK_CHECK_EQ(after.stops, before.stops + 1);
	PVK_CHECK_EQ(after.starts, before.starts + 1);
	__builtin_memset(&id, 0, sizeof(id));
	one = pvk_cpumask_of(cpu);
	PVK_CHECK_RC(pvk_smp_call(&one, report_identity, &id, CALL_TIMEOUT_NS), 0);
	PVK_CHECK_EQ(id.runs[cpu], 1);
	if (guest_native_boot)
		PVK_CHECK_EQ(id.apic[cpu], guest_native_smp_apic_id_of(cpu));
	guest_printf("smp: CPU %u stopped and started again (%s)\n", cpu, pvk_pvops_name());
}
