/*
 * tests/guest/user/uspace.c - the user address space (layout in user.h).
 *
 * Its page tables are a separate L4: Xen runs user mode on the L4 given
 * with MMUEXT_NEW_USER_BASEPTR and kernel mode on the kernel's, switching
 * on every kernel entry and exit, so the kernel half is simply absent from
 * user mode. The four table frames are filled while still writable, made
 * read-only in the kernel's mapping (Xen refuses writable page tables),
 * and pinned as one L4, which validates the whole tree. From then on every
 * change (a demand-zero page) is an mmu_update on the pinned L1 through
 * the kit's PV MMU.
 *
 * Teardown reverses it: user base pointer 0, unpin (Xen drops its type
 * references on the whole tree), tables writable again, every frame freed.
 */
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "../guest.h"
#include "user.h"

#define USER_PTE_RO	(PVK_PTE_PRESENT | PVK_PTE_USER | PVK_PTE_ACCESSED)
#define USER_PTE_RW	(USER_PTE_RO | PVK_PTE_RW | PVK_PTE_DIRTY | PVK_PTE_NX)

enum { T_L4, T_L3, T_L2, T_L1, NR_TABLES };

static struct {
	bool live;
	uint64_t *table[NR_TABLES];	/* kernel mappings (read-only once pinned) */
	void *code, *tls, *stack;
	void *demand[USER_DEMAND_PAGES];
} us;

static pvk_mfn_t mfn_of(const void *va)
{
	return pvk_pfn_to_mfn(pvk_port_virt_to_pfn(va));
}

static void *zeroed_page(void)
{
	void *p = pvk_port_alloc_page();

	if (p)
		memset(p, 0, PVK_PAGE_SIZE);
	return p;
}

static void free_page_if(void **p)
{
	if (*p)
		pvk_port_free_page(*p);
	*p = NULL;
}

static void free_data_pages(void)
{
	free_page_if(&us.code);
	free_page_if(&us.tls);
	free_page_if(&us.stack);
	for (unsigned int i = 0; i < USER_DEMAND_PAGES; i++)
		free_page_if(&us.demand[i]);
}

/* Tables writable again (they are unpinned or were never pinned) and freed. */
static int free_tables(unsigned int nr_readonly)
{
	int rc = 0, r;

	for (unsigned int t = 0; t < NR_TABLES; t++) {
		if (!us.table[t])
			continue;
		if (t < nr_readonly) {
			r = pvk_mmu_make_writable(us.table[t]);
			if (r) {
				/* Still a page table to Xen: leak it, loudly. */
				guest_printf("user: table %u cannot be made writable: %d\n", t, r);
				rc = rc ? rc : r;
				us.table[t] = NULL;
				continue;
			}
		}
		pvk_port_free_page(us.table[t]);
		us.table[t] = NULL;
	}
	return rc;
}

int guest_uspace_create(void)
{
	unsigned int ro = 0;
	int rc = -PVK_XEN_ENOMEM;
	uint64_t *l1;

	if (us.live)
		return -PVK_XEN_EBUSY;
	for (unsigned int t = 0; t < NR_TABLES; t++)
		if (!(us.table[t] = zeroed_page()))
			goto undo;
	us.code = zeroed_page();
	us.tls = zeroed_page();
	us.stack = zeroed_page();
	if (!us.code || !us.tls || !us.stack)
		goto undo;
	memcpy(us.code, guest_user_blob, (size_t)(guest_user_blob_end - guest_user_blob));

	us.table[T_L4][pvk_pt_index(USER_CODE_VA, 4)] = pvk_pte(mfn_of(us.table[T_L3]), PVK_PTE_TABLE);
	us.table[T_L3][pvk_pt_index(USER_CODE_VA, 3)] = pvk_pte(mfn_of(us.table[T_L2]), PVK_PTE_TABLE);
	us.table[T_L2][pvk_pt_index(USER_CODE_VA, 2)] = pvk_pte(mfn_of(us.table[T_L1]), PVK_PTE_TABLE);
	l1 = us.table[T_L1];
	l1[pvk_pt_index(USER_CODE_VA, 1)] = pvk_pte(mfn_of(us.code), USER_PTE_RO);
	l1[pvk_pt_index(USER_TLS_VA, 1)] = pvk_pte(mfn_of(us.tls), USER_PTE_RW);
	l1[pvk_pt_index(USER_STACK_VA, 1)] = pvk_pte(mfn_of(us.stack), USER_PTE_RW);

	for (ro = 0; ro < NR_TABLES; ro++) {
		rc = pvk_mmu_make_readonly(us.table[ro]);
		if (rc)
			goto undo;
	}
	rc = pvk_mmu_pin(4, mfn_of(us.table[T_L4]));
	if (rc)
		goto undo;
	rc = pvk_mmu_new_user_baseptr(mfn_of(us.table[T_L4]));
	if (rc) {
		pvk_mmu_unpin(mfn_of(us.table[T_L4]));
		goto undo;
	}
	us.live = true;
	return 0;

undo:
	guest_printf("user: address space setup failed: %d\n", rc);
	free_data_pages();
	free_tables(ro);
	return rc;
}

int guest_uspace_destroy(void)
{
	int rc;

	if (!us.live)
		return -PVK_XEN_EINVAL;
	rc = pvk_mmu_new_user_baseptr(pvk_mfn(0));
	if (rc) {
		guest_printf("user: clearing the user base pointer failed: %d\n", rc);
		return rc;
	}
	rc = pvk_mmu_unpin(mfn_of(us.table[T_L4]));
	if (rc) {
		guest_printf("user: unpinning the user L4 failed: %d\n", rc);
		return rc;
	}
	us.live = false;
	rc = free_tables(NR_TABLES);
	/* The data pages are no longer mapped anywhere Xen counts. */
	free_data_pages();
	return rc;
}

int guest_uspace_demand_map(unsigned long va)
{
	unsigned int i = (unsigned int)((va - USER_DEMAND_VA) / PVK_PAGE_SIZE);
	void *page;
	int rc;

	if (!us.live || va < USER_DEMAND_VA || i >= USER_DEMAND_PAGES || us.demand[i])
		return -PVK_XEN_EINVAL;
	page = zeroed_page();
	if (!page)
		return -PVK_XEN_ENOMEM;
	rc = pvk_mmu_set_entry(mfn_of(us.table[T_L1]), pvk_pt_index(va, 1),
			       pvk_pte(mfn_of(page), USER_PTE_RW));
	if (rc) {
		pvk_port_free_page(page);
		return rc;
	}
	us.demand[i] = page;
	return 0;
}

/* Walks the user tables as Xen would for a user access. */
void *guest_uspace_ptr(unsigned long va, size_t len)
{
	const uint64_t *table;
	uint64_t e = 0;

	if (!us.live || len > PVK_PAGE_SIZE - (va & (PVK_PAGE_SIZE - 1)))
		return NULL;
	table = us.table[T_L4];
	for (unsigned int level = 4; level >= 1; level--) {
		e = table[pvk_pt_index(va, level)];
		if (!(e & PVK_PTE_PRESENT) || !(e & PVK_PTE_USER) || (e & PVK_PTE_PSE))
			return NULL;
		if (level > 1)
			table = guest_pfn_to_virt(pvk_mfn_to_pfn(pvk_pte_mfn(e)));
	}
	return (char *)guest_pfn_to_virt(pvk_mfn_to_pfn(pvk_pte_mfn(e))) +
	       (va & (PVK_PAGE_SIZE - 1));
}

unsigned int guest_uspace_frames(void)
{
	unsigned int n = 0;

	if (!us.live)
		return 0;
	n = NR_TABLES + 3;
	for (unsigned int i = 0; i < USER_DEMAND_PAGES; i++)
		n += us.demand[i] != NULL;
	return n;
}
