/*
 * tests/guest/user/uspace.c - the user address space (layout in user.h):
 * four tables of our own (L4, L3, L2, L1) on the path to the program's
 * pages, in both worlds.
 *
 * Xen: they are a separate L4. Xen runs user mode on the L4 given with
 * MMUEXT_NEW_USER_BASEPTR and kernel mode on the kernel's, switching on
 * every kernel entry and exit, so the kernel half is simply absent from
 * user mode. The four table frames are filled while still writable, made
 * read-only in the kernel's mapping (Xen refuses writable page tables),
 * and pinned as one L4, which validates the whole tree. From then on
 * every change (a demand-zero page) is an mmu_update on the pinned L1
 * through the kit's PV MMU. Teardown reverses it: user base pointer 0,
 * unpin (Xen drops its type references on the whole tree), tables
 * writable again, every frame freed.
 *
 * Native: the CPU has one CR3, and the kernel must stay mapped while the
 * program's syscalls and exceptions run, including what the kernel maps
 * after the program started. The kernel half is therefore shared, not
 * copied: every L4 entry of the user L4 but the program's slot 0 is the
 * kernel's, pointing at the kernel's own L3 tables, so a kernel mapping
 * made later under any of them (below the image's L3, or any other
 * kernel-half table) is there for the program at once: it is the same
 * table. What the CPU cannot share is the L4 page itself: a new kernel L4
 * entry made while a program's address space exists must reach the user
 * L4 too, so it goes through guest_kernel_l4_set(), which writes both (the
 * way a kernel keeps its top-level kernel entries in every address space).
 * One written directly while no program's space exists (bench.c's native
 * slot) is picked up by guest_uspace_create(), and guest_uspace_activate()
 * copies them all again; one written directly while a space exists is
 * missed by the program until its next activation.
 * The low half (L4 slot 0) is the program's. The kernel's boot-time
 * mappings there (pvh.S's identity map, the APIC page, both made before
 * any program) are carried into the program's L3 and L2 on the path to
 * its window; the kernel makes no later mapping in the low half (it would
 * not reach a running program: kernel mappings go in the kernel half).
 * The kernel's entries lack the user bit, so user mode cannot use them.
 * guest_uspace_activate() switches CR3 with the pvops write_cr3; entries
 * change with plain stores through the pvops set_pte, and a new entry
 * needs no TLB flush (the CPU caches no translation for a not-present
 * entry). Machine frames are physical frames: the page pool is in the
 * image, at LOAD_PHYS.
 *
 * On Xen none of this arises: the kernel never runs on the user L4. Xen
 * switches to the kernel's base pointer on every entry to kernel mode
 * (syscall, exception, event) and back to the user's on the way out, so
 * the kernel sees its own, current tables, and the user L4 holds only the
 * program (Xen itself keeps its own slots in both).
 */
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>

#include "../guest.h"
#include "user.h"

#define USER_PTE_RO	(PVK_PTE_PRESENT | PVK_PTE_USER | PVK_PTE_ACCESSED)
#define USER_PTE_RW	(USER_PTE_RO | PVK_PTE_RW | PVK_PTE_DIRTY)
#define LARGE(level)	(1UL << (PVK_PAGE_SHIFT + 9 * ((level) - 1)))

enum { T_L4, T_L3, T_L2, T_L1, NR_TABLES };

static struct {
	bool live;
	uint64_t *table[NR_TABLES];	/* kernel mappings (read-only on Xen once pinned) */
	void *code, *tls, *stack, *zero;
	void *demand[USER_DEMAND_PAGES];
	unsigned long kernel_cr3;	/* native, while the user tables are active */
	uint64_t *kernel_l4;		/* native: the kernel's L4, while live */
} us;

static pvk_mfn_t frame_of(const void *va)
{
	if (guest_native_boot)
		return pvk_mfn(guest_image_phys(va) >> PVK_PAGE_SHIFT);
	return pvk_pfn_to_mfn(pvk_port_virt_to_pfn(va));
}

/* Where the kernel maps a frame of ours, NULL if it is not one. */
static void *frame_virt(pvk_mfn_t mfn)
{
	unsigned long phys = pvk_mfn_raw(mfn) << PVK_PAGE_SHIFT;

	if (!guest_native_boot)
		return guest_pfn_to_virt_or_null(pvk_mfn_to_pfn(mfn));
	if (phys < PVK_GUEST_LOAD_PHYS ||
	    phys - PVK_GUEST_LOAD_PHYS >= (unsigned long)__image_end - PVK_GUEST_VIRT_BASE)
		return NULL;
	return (void *)(phys - PVK_GUEST_LOAD_PHYS + PVK_GUEST_VIRT_BASE);
}

/* Natively NX is a reserved bit unless cpu.c could turn EFER.NXE on. */
static uint64_t data_flags(uint64_t flags)
{
	return flags | (guest_native_boot && !guest_user_nx ? 0 : PVK_PTE_NX);
}

static int set_entry(unsigned int t, unsigned int slot, uint64_t val)
{
	if (guest_native_boot) {
		pvk_set_pte(&us.table[t][slot], val);
		return 0;
	}
	return pvk_mmu_set_entry(frame_of(us.table[t]), slot, val);
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

/* Native: the kernel's L4 (CR3 while no program runs). */
static uint64_t *native_kernel_l4(void)
{
	unsigned long cr3 = us.kernel_cr3 ? us.kernel_cr3 : pvk_read_cr3();

	return frame_virt(pvk_pte_mfn(cr3));
}

/* Native: the program's L3 and L2 start as the kernel's low-half tables on
 * the path to its window (boot-time mappings: see the top). */
static void copy_kernel_low_path(void)
{
	const uint64_t *k = us.kernel_l4;
	uint64_t e;

	for (unsigned int level = 4; level > 1 && k; level--) {
		e = k[pvk_pt_index(USER_CODE_VA, level)];
		k = (e & PVK_PTE_PRESENT) && !(e & PVK_PTE_PSE) ? frame_virt(pvk_pte_mfn(e)) : NULL;
		if (k && level > 2)
			memcpy(us.table[5 - level], k, PVK_PAGE_SIZE);
	}
}

/* Native: every L4 entry but the program's is the kernel's. */
static void share_kernel_l4(void)
{
	for (unsigned int slot = 0; slot < PVK_PT_ENTRIES; slot++)
		if (slot != USER_L4_SLOT)
			pvk_set_pte(&us.table[T_L4][slot], PVK_READ_ONCE(us.kernel_l4[slot]));
}

int guest_kernel_l4_set(unsigned int slot, uint64_t entry)
{
	uint64_t *k;

	if (!guest_native_boot)
		return -PVK_XEN_ENODEV;
	if (slot >= PVK_PT_ENTRIES || slot == USER_L4_SLOT)
		return -PVK_XEN_EINVAL;
	k = native_kernel_l4();
	if (!k)
		return -PVK_XEN_EFAULT;
	pvk_set_pte(&k[slot], entry);
	if (us.live)
		pvk_set_pte(&us.table[T_L4][slot], entry);
	return 0;
}

bool guest_native_cr3_maps(unsigned long va)
{
	const uint64_t *table = frame_virt(pvk_pte_mfn(pvk_read_cr3()));

	for (unsigned int level = 4; level >= 1 && table; level--) {
		uint64_t e = table[pvk_pt_index(va, level)];

		if (!(e & PVK_PTE_PRESENT))
			return false;
		if (level == 1 || (level < 4 && (e & PVK_PTE_PSE)))
			return true;
		table = frame_virt(pvk_pte_mfn(e));
	}
	return false;
}

/* Xen: read-only, pinned, the user base pointer. */
static int xen_install(unsigned int *ro)
{
	int rc;

	for (*ro = 0; *ro < NR_TABLES; (*ro)++) {
		rc = pvk_mmu_make_readonly(us.table[*ro]);
		if (rc)
			return rc;
	}
	rc = pvk_mmu_pin(4, frame_of(us.table[T_L4]));
	if (rc)
		return rc;
	rc = pvk_mmu_new_user_baseptr(frame_of(us.table[T_L4]));
	if (rc)
		pvk_mmu_unpin(frame_of(us.table[T_L4]));
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

	if (guest_native_boot) {
		us.kernel_l4 = native_kernel_l4();
		rc = -PVK_XEN_EFAULT;
		if (!us.kernel_l4)
			goto undo;
		share_kernel_l4();
		copy_kernel_low_path();
	}
	us.table[T_L4][pvk_pt_index(USER_CODE_VA, 4)] = pvk_pte(frame_of(us.table[T_L3]), PVK_PTE_TABLE);
	us.table[T_L3][pvk_pt_index(USER_CODE_VA, 3)] = pvk_pte(frame_of(us.table[T_L2]), PVK_PTE_TABLE);
	us.table[T_L2][pvk_pt_index(USER_CODE_VA, 2)] = pvk_pte(frame_of(us.table[T_L1]), PVK_PTE_TABLE);
	l1 = us.table[T_L1];
	l1[pvk_pt_index(USER_CODE_VA, 1)] = pvk_pte(frame_of(us.code), USER_PTE_RO);
	l1[pvk_pt_index(USER_TLS_VA, 1)] = pvk_pte(frame_of(us.tls), data_flags(USER_PTE_RW));
	l1[pvk_pt_index(USER_STACK_VA, 1)] = pvk_pte(frame_of(us.stack), data_flags(USER_PTE_RW));

	if (!guest_native_boot) {
		rc = xen_install(&ro);
		if (rc)
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
	guest_uspace_deactivate();
	if (guest_native_boot) {
		us.live = false;
		us.kernel_l4 = NULL;
		free_tables(0);
		free_data_pages();
		return 0;
	}
	rc = pvk_mmu_new_user_baseptr(pvk_mfn(0));
	if (rc) {
		guest_printf("user: clearing the user base pointer failed: %d\n", rc);
		return rc;
	}
	rc = pvk_mmu_unpin(frame_of(us.table[T_L4]));
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

void guest_uspace_activate(void)
{
	if (!guest_native_boot || !us.live || us.kernel_cr3)
		return;
	share_kernel_l4();	/* guest_kernel_l4_set() keeps them after this */
	us.kernel_cr3 = pvk_read_cr3();
	pvk_write_cr3(pvk_mfn_raw(frame_of(us.table[T_L4])) << PVK_PAGE_SHIFT);
}

void guest_uspace_deactivate(void)
{
	if (!us.kernel_cr3)
		return;
	pvk_write_cr3(us.kernel_cr3);
	us.kernel_cr3 = 0;
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
	rc = set_entry(T_L1, pvk_pt_index(va, 1), pvk_pte(frame_of(page), data_flags(USER_PTE_RW)));
	if (rc) {
		pvk_port_free_page(page);
		return rc;
	}
	us.demand[i] = page;
	return 0;
}

int guest_uspace_zero_map(unsigned long va)
{
	if (!us.live || va < USER_ZERO_VA || va >= USER_ZERO_VA + USER_ZERO_PAGES * PVK_PAGE_SIZE)
		return -PVK_XEN_EINVAL;
	if (!us.zero && !(us.zero = zeroed_page()))
		return -PVK_XEN_ENOMEM;
	return set_entry(T_L1, pvk_pt_index(va, 1),
			 pvk_pte(frame_of(us.zero), data_flags(USER_PTE_RO)));
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
			table = frame_virt(pvk_pte_mfn(e));
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
	page = e ? frame_virt(pvk_pte_mfn(e)) : NULL;
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

/* Native: the kernel's tables (CR3 while no program runs), large pages
 * included; the physical frame behind va or 0. */
static uint64_t native_kernel_frame(unsigned long va)
{
	const uint64_t *table = frame_virt(pvk_pte_mfn(pvk_read_cr3()));
	uint64_t e;

	for (unsigned int level = 4; level >= 1 && table; level--) {
		e = table[pvk_pt_index(va, level)];
		if (!(e & PVK_PTE_PRESENT))
			return 0;
		if (level == 1 || (level < 4 && (e & PVK_PTE_PSE)))
			return ((e & PVK_PTE_MFN_MASK & ~(LARGE(level) - 1)) +
				(va & (LARGE(level) - 1))) >> PVK_PAGE_SHIFT;
		table = frame_virt(pvk_pte_mfn(e));
	}
	return 0;
}

bool guest_uspace_kernel_maps(unsigned long va)
{
	uint64_t user = user_leaf(va), kernel;

	if (!user)
		return false;
	if (guest_native_boot)
		return native_kernel_frame(va) == pvk_mfn_raw(pvk_pte_mfn(user));
	kernel = pvk_mmu_lookup(va);
	return kernel && pvk_mfn_eq(pvk_pte_mfn(kernel), pvk_pte_mfn(user));
}
