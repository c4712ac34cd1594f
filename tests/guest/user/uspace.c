/*
 * tests/guest/user/uspace.c - the user address space (layout in user.h):
 * four tables of our own (L4, L3, L2, L1) on the path to the program's
 * pages, the same code in both worlds through the pvops MMU group
 * (pvkit/pvops.h): entries from make_pte, tables given to alloc_pt once
 * filled and to release_pt before they are freed, the space switched to
 * and from with activate_mm, every later entry written with set_pte.
 *
 * What the ops do underneath (their comments say it in full):
 *
 * Xen: the user top is a separate L4. Xen runs user mode on the L4 given
 * with MMUEXT_NEW_USER_BASEPTR and kernel mode on the kernel's, switching
 * on every kernel entry and exit, so the kernel half is simply absent
 * from user mode. alloc_pt makes the filled tables read-only (Xen refuses
 * writable page tables) and pins the L4, which validates the whole tree;
 * from then on every change (a demand-zero page) is an mmu_update through
 * the kit's PV MMU. release_pt reverses it (unpin, writable again).
 *
 * Native: the CPU has one CR3, and the kernel must stay mapped while the
 * program's syscalls and exceptions run, including what the kernel maps
 * after the program started. activate_mm copies the kernel half of the
 * kernel's L4 (slots 256-511, which point at the kernel's own L3 tables)
 * into the user L4 and loads it, so a kernel mapping made later under any
 * of those tables is there for the program at once: it is the same table.
 * A new kernel L4 entry made while a program's space exists goes through
 * guest_kernel_l4_set(), which writes it and activates the space again
 * when it is active (the way a kernel keeps its top-level kernel entries
 * in every address space).
 *
 * The low half (L4 slot 0) is the program's. The kernel's boot-time
 * mappings there (natively pvh.S's identity map and the APIC page, made
 * before any program) are carried into the program's L3 and L2 on the path
 * to its window; the kernel makes no later mapping in the low half (it
 * would not reach a running program). On Xen the kernel maps nothing in
 * the low half (layout.h), so there is nothing to carry. The kernel's
 * entries lack the user bit natively, so user mode cannot use them.
 *
 * Frames: the entries name the host's pfns (pvk_port_virt_to_pfn, through
 * make_pte), and an entry read back names one through pte_pfn; where the
 * kernel maps a pfn is guest_pfn_to_virt_any() (the world's 1:1 map).
 */
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>

#include "../guest.h"
#include "user.h"

#define USER_PTE_RO	(PVK_PTE_PRESENT | PVK_PTE_USER | PVK_PTE_ACCESSED)
#define USER_PTE_RW	(USER_PTE_RO | PVK_PTE_RW | PVK_PTE_DIRTY)
#define LARGE(level)	(1UL << (PVK_PAGE_SHIFT + 9 * ((level) - 1)))

enum { T_L4, T_L3, T_L2, T_L1, NR_TABLES };

static unsigned int level_of(unsigned int t)
{
	return 4 - t;
}

static struct {
	bool live;
	bool active;			/* activate_mm'd with the user top */
	uint64_t *table[NR_TABLES];	/* kernel mappings (read-only on Xen once allocated) */
	unsigned int nr_alloc;		/* tables given to alloc_pt, from T_L1 up */
	void *code, *tls, *stack, *zero;
	void *demand[USER_DEMAND_PAGES];
	uint64_t *kernel_top;		/* the kernel's L4, while live */
} us;

/* The entry mapping one of our pages with flags. */
static uint64_t entry_for(const void *page, uint64_t flags)
{
	return pvk_make_pte(pvk_port_virt_to_pfn(page), flags);
}

/* Where the kernel maps the frame entry e names, NULL if not ours. */
static void *entry_virt(uint64_t e)
{
	return guest_pfn_to_virt_any(pvk_pte_pfn(e));
}

/* NX is a reserved bit natively unless cpu.c could turn EFER.NXE on
 * (guest_user_nx: set by the world's user set-up). */
static uint64_t data_flags(uint64_t flags)
{
	return flags | (guest_user_nx ? PVK_PTE_NX : 0);
}

static void set_entry(unsigned int t, unsigned int slot, uint64_t val)
{
	pvk_set_pte(&us.table[t][slot], val);
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
	free_page_if(&us.zero);
	for (unsigned int i = 0; i < USER_DEMAND_PAGES; i++)
		free_page_if(&us.demand[i]);
}

/* Tables released (those alloc_pt took, top first: on Xen the unpin drops
 * the type references of the whole tree before the pages are made
 * writable) and freed. */
static int free_tables(void)
{
	int rc = 0, r;

	for (unsigned int t = 0; t < NR_TABLES; t++) {
		if (!us.table[t])
			continue;
		if (NR_TABLES - t <= us.nr_alloc) {
			r = pvk_release_pt(level_of(t), us.table[t]);
			if (r) {
				/* Still a page table: leak it, loudly. */
				guest_printf("user: table %u cannot be released: %d\n", t, r);
				rc = rc ? rc : r;
				us.table[t] = NULL;
				continue;
			}
		}
		pvk_port_free_page(us.table[t]);
		us.table[t] = NULL;
	}
	us.nr_alloc = 0;
	return rc;
}

/* The kernel's L4: the table %cr3 names while no program's space is
 * active (on Xen always: read_cr3 is the kernel base pointer). */
static uint64_t *kernel_l4(void)
{
	return us.active ? us.kernel_top : entry_virt(pvk_read_cr3());
}

/* The program's L3 and L2 start as the kernel's low-half tables on the
 * path to its window (boot-time mappings: see the top). */
static void copy_kernel_low_path(void)
{
	const uint64_t *k = us.kernel_top;
	uint64_t e;

	for (unsigned int level = 4; level > 1 && k; level--) {
		e = k[pvk_pt_index(USER_CODE_VA, level)];
		k = (e & PVK_PTE_PRESENT) && !(e & PVK_PTE_PSE) ? entry_virt(e) : NULL;
		if (k && level > 2)
			memcpy(us.table[5 - level], k, PVK_PAGE_SIZE);
	}
}

int guest_kernel_l4_set(unsigned int slot, uint64_t entry)
{
	uint64_t *k;

	if (slot < PVK_PT_ENTRIES / 2 || slot >= PVK_PT_ENTRIES)
		return -PVK_XEN_EINVAL;	/* the kernel half only */
	k = kernel_l4();
	if (!k)
		return -PVK_XEN_EFAULT;
	pvk_set_pte(&k[slot], entry);
	/* An active user top gets the kernel half again (activate_mm). */
	return us.active ? pvk_activate_mm(us.kernel_top, us.table[T_L4]) : 0;
}

bool guest_cr3_maps(unsigned long va)
{
	const uint64_t *table = entry_virt(pvk_read_cr3());

	for (unsigned int level = 4; level >= 1 && table; level--) {
		uint64_t e = table[pvk_pt_index(va, level)];

		if (!(e & PVK_PTE_PRESENT))
			return false;
		if (level == 1 || (level < 4 && (e & PVK_PTE_PSE)))
			return true;
		table = entry_virt(e);
	}
	return false;
}

int guest_uspace_create(void)
{
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

	us.kernel_top = kernel_l4();
	rc = -PVK_XEN_EFAULT;
	if (!us.kernel_top)
		goto undo;
	copy_kernel_low_path();
	/* Filled with plain stores while the pages are ordinary ones. */
	us.table[T_L4][pvk_pt_index(USER_CODE_VA, 4)] = entry_for(us.table[T_L3], PVK_PTE_TABLE);
	us.table[T_L3][pvk_pt_index(USER_CODE_VA, 3)] = entry_for(us.table[T_L2], PVK_PTE_TABLE);
	us.table[T_L2][pvk_pt_index(USER_CODE_VA, 2)] = entry_for(us.table[T_L1], PVK_PTE_TABLE);
	l1 = us.table[T_L1];
	l1[pvk_pt_index(USER_CODE_VA, 1)] = entry_for(us.code, USER_PTE_RO);
	l1[pvk_pt_index(USER_TLS_VA, 1)] = entry_for(us.tls, data_flags(USER_PTE_RW));
	l1[pvk_pt_index(USER_STACK_VA, 1)] = entry_for(us.stack, data_flags(USER_PTE_RW));

	/* Page tables from the bottom up: the top last (on Xen its pin
	 * validates the tree below, already read-only). */
	for (unsigned int t = NR_TABLES; t-- > 0; us.nr_alloc++) {
		rc = pvk_alloc_pt(level_of(t), us.table[t]);
		if (rc)
			goto undo;
	}
	us.live = true;
	return 0;

undo:
	guest_printf("user: address space setup failed: %d\n", rc);
	free_data_pages();
	free_tables();
	us.kernel_top = NULL;
	return rc;
}

int guest_uspace_destroy(void)
{
	int rc;

	if (!us.live)
		return -PVK_XEN_EINVAL;
	rc = guest_uspace_deactivate();
	if (rc)
		return rc;
	us.live = false;
	us.kernel_top = NULL;
	rc = free_tables();
	/* The data pages are no longer mapped anywhere (Xen counts none). */
	free_data_pages();
	return rc;
}

int guest_uspace_activate(void)
{
	int rc;

	if (!us.live)
		return -PVK_XEN_EINVAL;
	if (us.active)
		return 0;
	rc = pvk_activate_mm(us.kernel_top, us.table[T_L4]);
	if (rc)
		guest_printf("user: activating the address space failed: %d\n", rc);
	us.active = !rc;
	return rc;
}

int guest_uspace_deactivate(void)
{
	int rc;

	if (!us.active)
		return 0;
	rc = pvk_activate_mm(us.kernel_top, NULL);
	if (rc)
		guest_printf("user: back to the kernel's tables alone failed: %d\n", rc);
	us.active = rc != 0;
	return rc;
}

int guest_uspace_demand_map(unsigned long va)
{
	unsigned int i = (unsigned int)((va - USER_DEMAND_VA) / PVK_PAGE_SIZE);
	void *page;

	if (!us.live || va < USER_DEMAND_VA || i >= USER_DEMAND_PAGES || us.demand[i])
		return -PVK_XEN_EINVAL;
	page = zeroed_page();
	if (!page)
		return -PVK_XEN_ENOMEM;
	set_entry(T_L1, pvk_pt_index(va, 1), entry_for(page, data_flags(USER_PTE_RW)));
	us.demand[i] = page;
	return 0;
}

int guest_uspace_zero_map(unsigned long va)
{
	if (!us.live || va < USER_ZERO_VA || va >= USER_ZERO_VA + USER_ZERO_PAGES * PVK_PAGE_SIZE)
		return -PVK_XEN_EINVAL;
	if (!us.zero && !(us.zero = zeroed_page()))
		return -PVK_XEN_ENOMEM;
	set_entry(T_L1, pvk_pt_index(va, 1), entry_for(us.zero, data_flags(USER_PTE_RO)));
	return 0;
}

/* The user tables' last-level entry for va, as the CPU walks them for a
 * user access (user bit at every level, no large pages), or 0. */
static uint64_t user_leaf(unsigned long va)
{
	const uint64_t *table;
	uint64_t e = 0;

	if (!us.live)
		return 0;
	table = us.table[T_L4];
	for (unsigned int level = 4; level >= 1; level--) {
		if (!table)
			return 0;
		e = table[pvk_pt_index(va, level)];
		if (!(e & PVK_PTE_PRESENT) || !(e & PVK_PTE_USER) || (e & PVK_PTE_PSE))
			return 0;
		if (level > 1)
			table = entry_virt(e);
	}
	return e;
}

void *guest_uspace_ptr(unsigned long va, size_t len)
{
	uint64_t e;
	char *page;

	if (len > PVK_PAGE_SIZE - (va & (PVK_PAGE_SIZE - 1)))
		return NULL;
	e = user_leaf(va);
	page = e ? entry_virt(e) : NULL;
	return page ? page + (va & (PVK_PAGE_SIZE - 1)) : NULL;
}

unsigned int guest_uspace_frames(void)
{
	unsigned int n = 0;

	if (!us.live)
		return 0;
	n = NR_TABLES + 3 + (us.zero != NULL);
	for (unsigned int i = 0; i < USER_DEMAND_PAGES; i++)
		n += us.demand[i] != NULL;
	return n;
}

/* The kernel's tables (kernel_l4()), large pages included: the pfn
 * behind va, or PVK_INVALID_RAW_FRAME. */
static uint64_t kernel_pfn(unsigned long va)
{
	const uint64_t *table = kernel_l4();
	uint64_t e;

	for (unsigned int level = 4; level >= 1 && table; level--) {
		e = table[pvk_pt_index(va, level)];
		if (!(e & PVK_PTE_PRESENT))
			break;
		if (level == 1 || (level < 4 && (e & PVK_PTE_PSE)))
			return pvk_pfn_raw(pvk_pte_pfn(e & ~((LARGE(level) - 1) & PVK_PTE_MFN_MASK))) +
			       ((va & (LARGE(level) - 1)) >> PVK_PAGE_SHIFT);
		table = entry_virt(e);
	}
	return PVK_INVALID_RAW_FRAME;
}

bool guest_uspace_kernel_maps(unsigned long va)
{
	uint64_t user = user_leaf(va);

	return user && kernel_pfn(va) == pvk_pfn_raw(pvk_pte_pfn(user));
}
