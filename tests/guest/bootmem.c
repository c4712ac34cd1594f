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
 * (xen.h, "Start-of-day memory layout"). This file works out where Xen
 * stopped allocating and where the mapping ends, and translates between
 * the three frame numbers: pfn <-> virt (the 1:1 offset), pfn -> mfn (the
 * p2m list Xen gave us) and mfn -> pfn (Xen's read-only machine-to-phys
 * table, mapped in every PV guest at MACH2PHYS_VIRT_START).
 *
 * At boot, guest_bootmem_map_rest() extends that 1:1 mapping over the rest
 * of the domain's frames through the kit's PV MMU (pvk_mmu_map_range: new
 * page tables come from the page allocator and are made read-only before
 * they are hooked in, the entries go in batches), a chunk at a time, and
 * hands each chunk to the page allocator: the tables for the next chunk
 * then come from memory the previous one mapped, so the few pages Xen left
 * after its bootstrap area are enough for any domain size.
 *
 * The top SCRATCH_PAGES frames stay unmapped and out of the allocator
 * (guest_unmapped_pfns()): the mm tests map them at addresses of their
 * own. mm_address_space and the bench map up to 4096 of them at once,
 * mm_balloon releases the last 256 and needs the 4096 below them free.
 * pvk_mmu_init() reads page tables through guest_pfn_to_virt_or_null().
 */
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/xen/arch-x86.h>

#include "guest.h"

#define PAD_AFTER_BOOTSTRAP	(512UL * 1024)	/* xen.h rule 7 */
#define AREA_ALIGN		(4UL << 20)	/* xen.h rule 2 */
#define SCRATCH_PAGES		(4096UL + 256)	/* see above */
#define MAP_CHUNK		4096UL		/* 16 MiB: 8 L1 tables */
/* The 1:1 area ends at the top of the address space: 2 GiB of frames. */
#define MAX_MAPPED_PAGES	((0UL - PVK_GUEST_VIRT_BASE) / PVK_PAGE_SIZE)

unsigned long guest_free_start, guest_free_end;
unsigned long guest_boot_mapped_pages;

static const pvk_xen_pfn_t *p2m;	/* mfn_list: pfn -> mfn */
static unsigned long nr_pages;
static unsigned long mapped_end;	/* end of the start-of-day mapping */

static unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

void guest_bootmem_init(const struct pvk_start_info *si,
			unsigned long boot_stack_top)
{
	unsigned long used = (unsigned long)__image_end;

	p2m = (const pvk_xen_pfn_t *)si->mfn_list;
	nr_pages = si->nr_pages;

	/* The highest byte Xen used: the last bootstrap element is the stack,
	 * but take every element into account rather than trust the order. */
	used = max_ul(used, si->mfn_list + nr_pages * sizeof(*p2m));
	used = max_ul(used, (unsigned long)si + PVK_PAGE_SIZE);
	if (si->mod_len && !(si->flags & PVK_SIF_MOD_START_PFN))
		used = max_ul(used, si->mod_start + si->mod_len);
	used = max_ul(used, si->pt_base + si->nr_pt_frames * PVK_PAGE_SIZE);
	used = max_ul(used, boot_stack_top);
	used = GUEST_ROUND_UP(used, PVK_PAGE_SIZE);

	/* The region ends on a 4 MiB boundary at least 512 KiB past `used`. */
	mapped_end = GUEST_ROUND_UP(used + PAD_AFTER_BOOTSTRAP, AREA_ALIGN);
	if (mapped_end > PVK_GUEST_VIRT_BASE + nr_pages * PVK_PAGE_SIZE)
		mapped_end = PVK_GUEST_VIRT_BASE + nr_pages * PVK_PAGE_SIZE;
	if (mapped_end <= used)
		pvk_port_panic("bootmem: no free page after the bootstrap area");

	guest_free_start = used;
	guest_free_end = mapped_end;
}

void guest_bootmem_map_rest(void)
{
	unsigned long mapped = (mapped_end - PVK_GUEST_VIRT_BASE) / PVK_PAGE_SIZE;
	unsigned long limit = nr_pages > SCRATCH_PAGES ? nr_pages - SCRATCH_PAGES : 0;

	if (limit > MAX_MAPPED_PAGES) {
		guest_printf("bootmem: only the first %lu of %lu frames fit the 1:1 area\n",
			     MAX_MAPPED_PAGES, nr_pages);
		limit = MAX_MAPPED_PAGES;
	}
	while (mapped < limit) {
		unsigned long n = limit - mapped < MAP_CHUNK ? limit - mapped : MAP_CHUNK;
		int rc = pvk_mmu_map_range(mapped_end, pvk_pfn(mapped), n, PVK_PTE_KERNEL_RW);

		if (rc) {
			guest_printf("bootmem: mapping pfns 0x%lx-0x%lx at %p failed: %d\n",
				     mapped, mapped + n - 1, (void *)mapped_end, rc);
			pvk_port_panic("bootmem: cannot map the domain's memory");
		}
		/* Mapped, so translatable and the allocator's, in that order. */
		mapped += n;
		guest_boot_mapped_pages += n;
		mapped_end += n * PVK_PAGE_SIZE;
		guest_free_end = mapped_end;
		guest_page_alloc_extend(mapped_end);
	}
}

bool guest_pfn_is_mapped(pvk_pfn_t pfn)
{
	return pvk_pfn_raw(pfn) < (mapped_end - PVK_GUEST_VIRT_BASE) / PVK_PAGE_SIZE;
}

void *guest_pfn_to_virt(pvk_pfn_t pfn)
{
	if (!guest_pfn_is_mapped(pfn))
		pvk_port_panic("bootmem: pfn outside the start-of-day mapping");
	return (void *)(PVK_GUEST_VIRT_BASE + pvk_pfn_raw(pfn) * PVK_PAGE_SIZE);
}

bool guest_virt_is_mapped(unsigned long va, size_t len)
{
	return va >= PVK_GUEST_VIRT_BASE && va < mapped_end &&
	       len <= mapped_end - va;
}

pvk_pfn_t pvk_port_virt_to_pfn(const void *va)
{
	unsigned long v = (unsigned long)va;

	/* The shared_info page (shared_info.c) is the one exception: its
	 * virtual address now maps Xen's frame, not the pfn computed here. */
	if (!guest_virt_is_mapped(v, 1))
		pvk_port_panic("pvk_port_virt_to_pfn: address outside the start-of-day mapping");
	return pvk_pfn((v - PVK_GUEST_VIRT_BASE) / PVK_PAGE_SIZE);
}

pvk_mfn_t guest_pfn_to_mfn(pvk_pfn_t pfn)
{
	if (pvk_pfn_raw(pfn) >= nr_pages)
		return pvk_mfn(PVK_INVALID_RAW_FRAME);
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
	if (pvk_pfn_raw(pfn) >= nr_pages || !pvk_mfn_eq(guest_pfn_to_mfn(pfn), mfn)) {
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
	unsigned long mapped = (mapped_end - PVK_GUEST_VIRT_BASE) / PVK_PAGE_SIZE;

	*first = pvk_pfn(mapped);
	*count = nr_pages - mapped;
}
