/*
 * tests/guest/cases/mm_pvops_mmu.c - the pvops MMU group's page-table ops
 * (pvkit/pvops.h: make_pte, pte_pfn, alloc_pt, release_pt, activate_mm,
 * lazy mode), in both worlds, with the same code: natively they are plain
 * stores and one %cr3, on Xen machine frames, read-only pinned tables,
 * two base pointers and batched mmu_updates.
 *
 *   mmu_pte_roundtrip    make_pte names the frame the kernel's own tables
 *                        map the page to (machine on Xen, physical
 *                        natively), keeps the flags, and pte_pfn undoes it
 *   mmu_address_space    a small tree (L3, L2, L1, two data pages) under a
 *                        user-half slot, with a kernel top (the kernel's L4
 *                        plus that slot) and a user top (that slot only),
 *                        each given to alloc_pt; activate_mm with both, the
 *                        pages read through the new slot, a third entry
 *                        added with set_pte in lazy mode, back to the boot
 *                        tables, everything released and freed. On Xen
 *                        also: a pinned top cannot be pinned again and a
 *                        table in the tree cannot be made writable (the
 *                        pin's type references), and both are ordinary
 *                        pages again after release_pt; natively: the user
 *                        top got the kernel half.
 *
 * While the new tables are active, upcalls and interrupts are off and no
 * check returns early: the natively active user top has no low-half
 * kernel mappings (the APIC page), and a failed check must not leave the
 * CPU on tables about to be freed. Observations are recorded, the boot
 * tables restored, and then checked.
 */
#include <pvkit/hypercall_stats.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>

#include "../test.h"

#define TEST_SLOT	1UL			/* user half; unused by the guest */
#define TEST_VA		(TEST_SLOT << 39)	/* 0x0000008000000000 */
#define MAGIC0		0x6d6d755f70766f70ULL
#define MAGIC1		0x0123456789abcdefULL
#define MAGIC2		0xfedcba9876543210ULL
/* Xen's own L4 slots (256-271): never copied into a new top (Xen fills
 * them in the tops it validates; natively the guest leaves them empty). */
#define XEN_SLOT_FIRST	256
#define XEN_SLOT_LAST	271

static uint64_t *zeroed(void)
{
	uint64_t *p = pvk_port_alloc_page();

	if (p)
		memset(p, 0, PVK_PAGE_SIZE);
	return p;
}

static uint64_t entry_of(const void *page, uint64_t flags)
{
	return pvk_make_pte(pvk_port_virt_to_pfn(page), flags);
}

/* The raw frame bits of the kernel's own leaf entry for va (large pages:
 * the 4 KiB frame inside), by a walk of %cr3's tables; 0 if none. */
static uint64_t kernel_leaf_frame(unsigned long va)
{
	const uint64_t *table = guest_pfn_to_virt_any(pvk_pte_pfn(pvk_read_cr3()));

	for (unsigned int level = 4; level >= 1 && table; level--) {
		uint64_t e = table[pvk_pt_index(va, level)];
		uint64_t span = 1ULL << (PVK_PAGE_SHIFT + 9 * (level - 1));

		if (!(e & PVK_PTE_PRESENT))
			return 0;
		if (level == 1 || (level < 4 && (e & PVK_PTE_PSE)))
			return ((e & PVK_PTE_MFN_MASK & ~(span - 1)) + (va & (span - 1))) &
			       ~(uint64_t)(PVK_PAGE_SIZE - 1);
		table = guest_pfn_to_virt_any(pvk_pte_pfn(e));
	}
	return 0;
}

PVK_GUEST_TEST(mmu_pte_roundtrip)
{
	uint64_t *page = zeroed();
	const uint64_t flags = PVK_PTE_KERNEL_RW | PVK_PTE_NX;
	pvk_pfn_t pfn;
	uint64_t e, kernel;

	PVK_CHECK(page != NULL);
	pfn = pvk_port_virt_to_pfn(page);
	e = pvk_make_pte(pfn, flags);
	kernel = kernel_leaf_frame((unsigned long)page);
	guest_printf("mmu: %s: pfn 0x%llx -> entry 0x%llx (the kernel maps the page at frame bits 0x%llx)\n",
		     pvk_pvops_name(), (unsigned long long)pvk_pfn_raw(pfn),
		     (unsigned long long)e, (unsigned long long)kernel);
	pvk_port_free_page(page);
	PVK_CHECK_EQ(e & ~PVK_PTE_MFN_MASK, flags);
	PVK_CHECK_NE(kernel, 0);
	PVK_CHECK_EQ(e & PVK_PTE_MFN_MASK, kernel);
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_pte_pfn(e)), pvk_pfn_raw(pfn));
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_pte_pfn(e | PVK_PTE_DIRTY)), pvk_pfn_raw(pfn));
}

enum { L1, L2, L3, KTOP, UTOP, NR_TABLES };	/* allocation order */

static unsigned int level_of(unsigned int t)
{
	return t < KTOP ? t + 1 : 4;
}

/* What was seen while the new tables were active. */
struct seen {
	int activate, lazy_leave, back;
	uint64_t read0, read1, read2;
	unsigned long cr3;
	uint64_t mu_in_lazy, mu_after_lazy;
	bool kernel_half_copied;
};

static void while_active(uint64_t **t, uint64_t *const *data, struct seen *s)
{
	uint64_t mu0;

	s->cr3 = pvk_read_cr3();
	s->read0 = PVK_READ_ONCE(*(volatile uint64_t *)TEST_VA);
	s->read1 = PVK_READ_ONCE(*(volatile uint64_t *)(TEST_VA + PVK_PAGE_SIZE));
	s->kernel_half_copied = true;
	for (unsigned int slot = PVK_PT_ENTRIES / 2; slot < PVK_PT_ENTRIES; slot++)
		if (t[UTOP][slot] != t[KTOP][slot])
			s->kernel_half_copied = false;
	/* A new entry in an active, allocated L1: lazy mode, then read. */
	mu0 = pvk_hypercall_count(PVK_HYPERVISOR_mmu_update);
	pvk_lazy_mmu_enter();
	pvk_set_pte(&t[L1][2], entry_of(data[2], PVK_PTE_KERNEL_RW));
	pvk_set_pte(&t[L1][3], 0);
	s->mu_in_lazy = pvk_hypercall_count(PVK_HYPERVISOR_mmu_update) - mu0;
	s->lazy_leave = pvk_lazy_mmu_leave();
	s->mu_after_lazy = pvk_hypercall_count(PVK_HYPERVISOR_mmu_update) - mu0;
	s->read2 = PVK_READ_ONCE(*(volatile uint64_t *)(TEST_VA + 2 * PVK_PAGE_SIZE));
}

PVK_GUEST_TEST(mmu_address_space)
{
	uint64_t *t[NR_TABLES] = { NULL }, *data[3] = { NULL };
	uint64_t *boot_top;
	unsigned long boot_cr3 = pvk_read_cr3(), flags;
	struct seen s = { .activate = -1, .lazy_leave = -1, .back = -1 };
	unsigned int allocated = 0, released = 0;
	int rc_pin_again = 0, rc_l1_writable = 0, rc_release[NR_TABLES] = { 0 };
	uint64_t ktop_frame = 0, utop_frame = 0;
	bool ok = true;

	boot_top = guest_pfn_to_virt_any(pvk_pte_pfn(boot_cr3));
	PVK_CHECK(boot_top != NULL);
	PVK_CHECK_EQ(boot_top[TEST_SLOT], 0);
	for (unsigned int i = 0; i < NR_TABLES; i++)
		ok = ok && (t[i] = zeroed()) != NULL;
	for (unsigned int i = 0; i < 3; i++)
		ok = ok && (data[i] = zeroed()) != NULL;
	if (!ok)
		goto free;
	data[0][0] = MAGIC0;
	data[1][0] = MAGIC1;
	data[2][0] = MAGIC2;

	/* Filled with plain stores while they are ordinary pages. */
	t[L1][0] = entry_of(data[0], PVK_PTE_KERNEL_RW);
	t[L1][1] = entry_of(data[1], PVK_PTE_KERNEL_RO);
	t[L2][0] = entry_of(t[L1], PVK_PTE_TABLE);
	t[L3][0] = entry_of(t[L2], PVK_PTE_TABLE);
	for (unsigned int slot = 0; slot < PVK_PT_ENTRIES; slot++)
		if (slot < XEN_SLOT_FIRST || slot > XEN_SLOT_LAST)
			t[KTOP][slot] = PVK_READ_ONCE(boot_top[slot]);
	t[KTOP][TEST_SLOT] = entry_of(t[L3], PVK_PTE_TABLE);
	t[UTOP][TEST_SLOT] = entry_of(t[L3], PVK_PTE_TABLE);
	ktop_frame = entry_of(t[KTOP], 0);
	utop_frame = entry_of(t[UTOP], 0);

	/* Bottom up, the tops last. */
	for (; allocated < NR_TABLES; allocated++) {
		int rc = pvk_alloc_pt(level_of(allocated), t[allocated]);

		if (rc) {
			guest_test_fail(__FILE__, __LINE__, "alloc_pt(%u) of table %u: %d",
					level_of(allocated), allocated, rc);
			goto release;
		}
	}
	if (!guest_native_boot) {
		/* The pin's effects: a second pin is refused, and a table in
		 * the pinned tree cannot get a writable mapping. */
		rc_pin_again = pvk_mmu_pin(4, pvk_pte_mfn(entry_of(t[UTOP], 0)));
		rc_l1_writable = pvk_mmu_make_writable(t[L1]);
	}

	flags = pvk_irq_save();
	s.activate = pvk_activate_mm(t[KTOP], t[UTOP]);
	if (!s.activate)
		while_active(t, data, &s);
	/* Back to the boot tables even after a refusal: a refused user top
	 * leaves the new kernel top in place, and the tables are released
	 * below. */
	if (!s.activate || pvk_read_cr3() != boot_cr3)
		s.back = pvk_activate_mm(boot_top, NULL);
	pvk_restore_fl(flags);

release:
	/* Tops first: on Xen their unpin drops the tree's type references. */
	for (unsigned int i = NR_TABLES; i-- > 0;) {
		if (i >= allocated)
			continue;
		rc_release[i] = pvk_release_pt(level_of(i), t[i]);
		if (rc_release[i]) {
			guest_printf("mmu: release_pt of table %u: %d: the page is leaked\n",
				     i, rc_release[i]);
			t[i] = NULL;
		}
		released++;
	}
	/* Ordinary writable pages again (on Xen a fault here if not). */
	for (unsigned int i = 0; i < NR_TABLES; i++)
		if (t[i] && i < allocated)
			PVK_WRITE_ONCE(t[i][PVK_PT_ENTRIES - 1], 0x1234);
free:
	for (unsigned int i = 0; i < NR_TABLES; i++)
		if (t[i])
			pvk_port_free_page(t[i]);
	for (unsigned int i = 0; i < 3; i++)
		if (data[i])
			pvk_port_free_page(data[i]);
	PVK_CHECK(ok);
	if (guest_test_ended())
		return;

	guest_printf("mmu: %s: activate %d, cr3 0x%lx (boot 0x%lx), reads 0x%llx 0x%llx 0x%llx, lazy: %llu mmu_update inside, %llu after leave; back %d\n",
		     pvk_pvops_name(), s.activate, s.cr3, boot_cr3,
		     (unsigned long long)s.read0, (unsigned long long)s.read1,
		     (unsigned long long)s.read2, (unsigned long long)s.mu_in_lazy,
		     (unsigned long long)s.mu_after_lazy, s.back);
	PVK_CHECK_EQ(allocated, NR_TABLES);
	PVK_CHECK_EQ(released, NR_TABLES);
	for (unsigned int i = 0; i < NR_TABLES; i++)
		PVK_CHECK_RC(rc_release[i], 0);
	PVK_CHECK_RC(s.activate, 0);
	PVK_CHECK_RC(s.back, 0);
	PVK_CHECK_EQ(s.read0, MAGIC0);
	PVK_CHECK_EQ(s.read1, MAGIC1);
	PVK_CHECK_RC(s.lazy_leave, 0);
	PVK_CHECK_EQ(s.read2, MAGIC2);
	PVK_CHECK_EQ(s.mu_in_lazy, 0);		/* queued (Xen) or plain stores */
	PVK_CHECK_LE(s.mu_after_lazy, 1);	/* both entries in one batch */
	PVK_CHECK_EQ(pvk_read_cr3(), boot_cr3);
	if (guest_native_boot) {
		/* One %cr3: the user top, carrying the kernel half. */
		PVK_CHECK_EQ(s.cr3 & PVK_PTE_MFN_MASK, utop_frame);
		PVK_CHECK(s.kernel_half_copied);
	} else {
		/* Kernel mode on the kernel top; the user one is Xen's. */
		PVK_CHECK_EQ(s.cr3 & PVK_PTE_MFN_MASK, ktop_frame);
		PVK_CHECK_EQ(s.mu_after_lazy, 1);
		PVK_CHECK_NE(rc_pin_again, 0);
		PVK_CHECK_NE(rc_l1_writable, 0);
	}
}
