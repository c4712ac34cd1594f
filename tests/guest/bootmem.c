/*
 * tests/guest/bootmem.c - the start-of-day mapped area and frame translation.
 *
 * Xen's domain builder maps one contiguous virtual region starting at
 * XEN_ELFNOTE_VIRT_BASE, 1:1 onto the first pseudo-physical frames:
 *
 *   VIRT_BASE  kernel image | p2m list (mfn_list) | start_info | xenstore
 *              ring | console ring | bootstrap page tables (read-only) |
 *              bootstrap stack | >= 512 KiB unused | end, 4 MiB aligned
 *
 * (xen.h, "Start-of-day memory layout"). The kit works out where Xen
 * stopped allocating and where the mapping ends (pvk_boot_area(), in
 * pages: an end address can be 2^64); this file translates between
 * the three frame numbers: pfn <-> virt (the 1:1 offset), pfn -> mfn (the
 * p2m list Xen gave us) and mfn -> pfn (Xen's read-only machine-to-phys
 * table, mapped in every PV guest at MACH2PHYS_VIRT_START).
 *
 * At boot, guest_bootmem_map_rest() extends that 1:1 mapping over the rest
 * of the domain's frames through the kit (pvk_mmu_map_memory: new page
 * tables come from the page allocator and are made read-only before
 * they are hooked in, the entries go in batches), a chunk at a time, and
 * hands each chunk to the page allocator: the tables for the next chunk
 * then come from memory the previous one mapped, so the few pages Xen left
 * after its bootstrap area are enough for any domain size. The top 2 GiB
 * of the address space hold only 2 GiB of frames: pfns from
 * PVK_GUEST_LOW_PAGES up go to PVK_GUEST_HIGH_MAP + pfn * 4 KiB
 * (layout.h), so pfn <-> virt stays one subtraction in either window.
 * (The old single window's end, VIRT_BASE + nr_pages * 4 KiB, wrapped to
 * 0 for a 2 GiB domain, which then panicked before its first line.)
 *
 * When the balloon grows the domain past its boot size, the new pfns
 * (from nr_pages up, in order) are mapped the same way and given to the
 * allocator (guest_bootmem_add_new()).
 *
 * The top SCRATCH_PAGES frames stay unmapped and out of the allocator
 * (guest_unmapped_pfns()): the mm tests map them at addresses of their
 * own. mm_address_space and the bench map up to 4096 of them at once,
 * mm_balloon releases the last 256 and needs the 4096 below them free.
 * pvk_mmu_init() reads page tables through guest_pfn_to_virt_or_null().
 */
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/errno.h>

#include "guest.h"

#define SCRATCH_PAGES		(4096UL + 256)	/* see above */
#define HIGH_PAGES		((PVK_GUEST_HIGH_END - PVK_GUEST_HIGH_MAP) / PVK_PAGE_SIZE)

unsigned long guest_free_start, guest_free_end;
unsigned long guest_boot_mapped_pages;

static const pvk_xen_pfn_t *p2m;	/* mfn_list: pfn -> mfn */
static unsigned long nr_pages;		/* start_info.nr_pages */
static unsigned long boot_mapped;	/* pfns [0, boot_mapped) are mapped */
static unsigned long new_end;		/* and [nr_pages, new_end), grown into */

static unsigned long min_ul(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/* The 1:1 address of pfn, mapped or not. */
static unsigned long pfn_va(unsigned long pfn)
{
	if (pfn < PVK_GUEST_LOW_PAGES)
		return PVK_GUEST_VIRT_BASE + pfn * PVK_PAGE_SIZE;
	return PVK_GUEST_HIGH_MAP + pfn * PVK_PAGE_SIZE;
}

/* The pfn whose 1:1 address va is, mapped or not; ~0UL outside both. */
static unsigned long va_pfn(unsigned long va)
{
	/* Not the top page: pfn PVK_GUEST_LOW_PAGES lives in the high window. */
	if (va >= PVK_GUEST_VIRT_BASE &&
	    va < PVK_GUEST_VIRT_BASE + PVK_GUEST_LOW_PAGES * PVK_PAGE_SIZE)
		return (va - PVK_GUEST_VIRT_BASE) / PVK_PAGE_SIZE;
	if (va >= PVK_GUEST_HIGH_MAP + PVK_GUEST_LOW_PAGES * PVK_PAGE_SIZE &&
	    va < PVK_GUEST_HIGH_END)
		return (va - PVK_GUEST_HIGH_MAP) / PVK_PAGE_SIZE;
	return ~0UL;
}

void guest_bootmem_init(const struct pvk_start_info *si,
			unsigned long boot_stack_top)
{
	struct pvk_boot_area area;

	p2m = (const pvk_xen_pfn_t *)si->mfn_list;
	nr_pages = new_end = si->nr_pages;
	/* The kit reads the start-of-day layout (pvkit/mmu.h). */
	if (pvk_boot_area(si, PVK_GUEST_VIRT_BASE, (unsigned long)__image_end,
			  boot_stack_top, &area))
		pvk_port_panic("bootmem: no free page after the bootstrap area");
	boot_mapped = min_ul(area.mapped, PVK_GUEST_LOW_PAGES);
	guest_free_start = pfn_va(area.used);
	guest_free_end = pfn_va(boot_mapped - 1) + PVK_PAGE_SIZE;
}

static unsigned long va_of(pvk_pfn_t pfn)
{
	return pfn_va(pvk_pfn_raw(pfn));
}

/* After each chunk the kit mapped: translatable first, then allocatable. */
static void chunk_mapped(unsigned long va, unsigned long pages, void *arg)
{
	unsigned long end = va_pfn(va) + pages;

	(void)arg;
	if (end <= nr_pages)
		boot_mapped = end;
	else
		new_end = end;
	guest_page_alloc_add(va, va + pages * PVK_PAGE_SIZE);
}

void guest_bootmem_map_rest(void)
{
	unsigned long limit = nr_pages > SCRATCH_PAGES ? nr_pages - SCRATCH_PAGES : 0, done;

	if (limit <= boot_mapped)
		return;
	if (limit > HIGH_PAGES)
		pvk_port_panic("bootmem: more memory than the two windows hold");
	if (pvk_mmu_map_memory(pvk_pfn(boot_mapped), limit - boot_mapped, va_of,
			       chunk_mapped, NULL, &done))
		pvk_port_panic("bootmem: cannot map the domain's memory");
	guest_boot_mapped_pages = done;
	guest_free_end = pfn_va(min_ul(boot_mapped, PVK_GUEST_LOW_PAGES) - 1) + PVK_PAGE_SIZE;
}

int guest_bootmem_add_new(pvk_pfn_t first, unsigned long n)
{
	unsigned long done;

	if (pvk_pfn_raw(first) != new_end) {
		guest_printf("bootmem: new pfn 0x%llx, expected 0x%lx\n",
			     (unsigned long long)pvk_pfn_raw(first), new_end);
		return -PVK_XEN_EINVAL;
	}
	if (new_end + n > HIGH_PAGES)
		return -PVK_XEN_ENOSPC;
	return pvk_mmu_map_memory(first, n, va_of, chunk_mapped, NULL, &done);
}

bool guest_pfn_is_mapped(pvk_pfn_t pfn)
{
	unsigned long p = pvk_pfn_raw(pfn);

	return p < boot_mapped || (p >= nr_pages && p < new_end);
}

bool guest_pfn_is_new(pvk_pfn_t pfn)
{
	return pvk_pfn_raw(pfn) >= new_end;
}

void *guest_pfn_to_virt(pvk_pfn_t pfn)
{
	if (!guest_pfn_is_mapped(pfn))
		pvk_port_panic("bootmem: pfn outside the 1:1 mapping");
	return (void *)pfn_va(pvk_pfn_raw(pfn));
}

bool guest_virt_is_mapped(unsigned long va, size_t len)
{
	unsigned long first = va_pfn(va), last;

	if (!len)
		len = 1;
	if (va + len - 1 < va)
		return false;
	last = va_pfn(va + len - 1);
	/* Both ends mapped, in one window, with no hole between them. */
	if (first == ~0UL || last == ~0UL || last < first ||
	    last - first != (va + len - 1) / PVK_PAGE_SIZE - va / PVK_PAGE_SIZE)
		return false;
	return (last < boot_mapped) || (first >= nr_pages && last < new_end);
}

/* The world's 1:1 map (boot.c: the one below, native.c: the image's). */
pvk_pfn_t pvk_port_virt_to_pfn(const void *va)
{
	return guest_world->virt_to_pfn(va);
}

void *guest_pfn_to_virt_any(pvk_pfn_t pfn)
{
	if (pvk_pfn_raw(pfn) == PVK_INVALID_RAW_FRAME)
		return NULL;
	return guest_world->pfn_to_virt(pfn);
}

pvk_pfn_t guest_xen_virt_to_pfn(const void *va)
{
	unsigned long pfn = va_pfn((unsigned long)va);

	/* The shared_info page (shared_info.c) is the one exception: its
	 * virtual address now maps Xen's frame, not the pfn computed here. */
	if (pfn == ~0UL || !guest_pfn_is_mapped(pvk_pfn(pfn)))
		pvk_port_panic("pvk_port_virt_to_pfn: address outside the 1:1 mapping");
	return pvk_pfn(pfn);
}

pvk_mfn_t guest_pfn_to_mfn(pvk_pfn_t pfn)
{
	/* Xen's own list for the boot memory; past it, the kit's p2m. */
	if (pvk_pfn_raw(pfn) >= nr_pages)
		return pvk_pfn_to_mfn(pfn);
	return pvk_mfn(p2m[pvk_pfn_raw(pfn)]);
}

pvk_pfn_t guest_mfn_to_pfn(pvk_mfn_t mfn)
{
	const unsigned long *m2p = (const unsigned long *)PVK_MACH2PHYS_VIRT_START;

	if (pvk_mfn_raw(mfn) >= PVK_MACH2PHYS_NR_ENTRIES)
		return pvk_pfn(PVK_INVALID_RAW_FRAME);
	return pvk_pfn(m2p[pvk_mfn_raw(mfn)]);
}

void *guest_mfn_to_virt(pvk_mfn_t mfn, const char *what)
{
	pvk_pfn_t pfn = guest_mfn_to_pfn(mfn);

	/* The M2P says which pfn Xen thinks the frame is; our own p2m must
	 * agree, or the frame is not ours. */
	if (pvk_pfn_raw(pfn) >= pvk_p2m_nr_pages() || !pvk_mfn_eq(guest_pfn_to_mfn(pfn), mfn)) {
		guest_printf("bootmem: %s: mfn 0x%llx is not one of our frames\n",
			     what, (unsigned long long)pvk_mfn_raw(mfn));
		pvk_port_panic("bootmem: foreign frame");
	}
	if (!guest_pfn_is_mapped(pfn)) {
		guest_printf("bootmem: %s: pfn 0x%llx is outside the mapped area\n",
			     what, (unsigned long long)pvk_pfn_raw(pfn));
		pvk_port_panic("bootmem: unmapped frame");
	}
	return guest_pfn_to_virt(pfn);
}

void *guest_pfn_to_virt_or_null(pvk_pfn_t pfn)
{
	return guest_pfn_is_mapped(pfn) ? guest_pfn_to_virt(pfn) : NULL;
}

/* After guest_bootmem_map_rest(): the scratch window at the top. */
void guest_unmapped_pfns(pvk_pfn_t *first, unsigned long *count)
{
	*first = pvk_pfn(boot_mapped);
	*count = nr_pages - boot_mapped;
}
