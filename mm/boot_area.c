/*
 * mm/boot_area.c - what Xen's domain builder mapped at boot, and where the
 * kernel can map the rest of its memory from there.
 *
 * Xen's start-of-day layout (public xen.h): one virtual region from
 * XEN_ELFNOTE_VIRT_BASE, mapped 1:1 onto the first pfns, holding in order
 * the kernel image, the initrd (unless given by pfn), the p2m list (unless
 * XEN_ELFNOTE_INIT_P2M placed it elsewhere), start_info, the xenstore and
 * console rings, the bootstrap page tables (read-only) and a one-page
 * stack; at least 512 KiB after the last of them, the region ends on a
 * 4 MiB boundary. Its size therefore grows with memory only through the
 * p2m list (2 MiB per GiB). Everything is counted in pages from
 * VIRT_BASE: with VIRT_BASE in the top 2 GiB, as a kernel built with
 * -mcmodel=kernel has it, a region end address can be 2^64, which does not
 * fit a 64-bit address (the reference guest of 2 GiB once wrapped to 0).
 *
 * pvk_mmu_map_memory() maps the rest of memory a chunk at a time and hands
 * each chunk to the host's allocator before the next: the page tables of
 * one chunk come from the memory the chunks before it mapped, so the few
 * pages Xen leaves after its bootstrap area are enough for any size.
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/xen/errno.h>

#define PAD_AFTER_BOOTSTRAP	(512UL * 1024)	/* xen.h rule 7 */
#define AREA_ALIGN		(4UL << 20)	/* xen.h rule 2 */
#define MAP_CHUNK		4096UL		/* 16 MiB: 8 L1 tables */

/* Pages from base to the end of [va, va + len), if it is in the region. */
static unsigned long pages_to(unsigned long base, unsigned long va, unsigned long len)
{
	if (va < base)
		return 0;
	return (va - base + len + PVK_PAGE_SIZE - 1) / PVK_PAGE_SIZE;
}

static unsigned long max_ul(unsigned long a, unsigned long b)
{
	return a > b ? a : b;
}

int pvk_boot_area(const struct pvk_start_info *si, unsigned long virt_base,
		  unsigned long image_end, unsigned long stack_top,
		  struct pvk_boot_area *area)
{
	unsigned long used, mapped, room = (0UL - virt_base) / PVK_PAGE_SIZE;

	if (virt_base & (AREA_ALIGN - 1) || (unsigned long)si < virt_base)
		return -PVK_XEN_EINVAL;
	/* Every element, rather than trust the order. */
	used = pages_to(virt_base, image_end, 0);
	used = max_ul(used, pages_to(virt_base, si->mfn_list, si->nr_pages * sizeof(pvk_xen_pfn_t)));
	used = max_ul(used, pages_to(virt_base, (unsigned long)si, PVK_PAGE_SIZE));
	if (si->mod_len && !(si->flags & PVK_SIF_MOD_START_PFN))
		used = max_ul(used, pages_to(virt_base, si->mod_start, si->mod_len));
	used = max_ul(used, pages_to(virt_base, si->pt_base, si->nr_pt_frames * PVK_PAGE_SIZE));
	used = max_ul(used, pages_to(virt_base, stack_top, 0));

	mapped = ((used * PVK_PAGE_SIZE + PAD_AFTER_BOOTSTRAP + AREA_ALIGN - 1) &
		  ~(AREA_ALIGN - 1)) / PVK_PAGE_SIZE;
	if (mapped > si->nr_pages)
		mapped = si->nr_pages;
	if (mapped > room)
		mapped = room;
	if (mapped <= used) {
		pvk_err("boot: no free page after the bootstrap area (%lu pages used of %lu)",
			used, mapped);
		return -PVK_XEN_ENOMEM;
	}
	*area = (struct pvk_boot_area){ .used = used, .mapped = mapped };
	if (si->mfn_list < virt_base && si->nr_p2m_frames) {
		/* XEN_ELFNOTE_INIT_P2M: the list and its page tables. */
		area->p2m_first = si->first_p2m_pfn;
		area->p2m_frames = si->nr_p2m_frames;
	}
	return 0;
}

int pvk_mmu_map_memory(pvk_pfn_t first, unsigned long n,
		       unsigned long (*va_of)(pvk_pfn_t pfn),
		       void (*add)(unsigned long va, unsigned long pages, void *arg),
		       void *arg, unsigned long *done)
{
	*done = 0;
	while (*done < n) {
		uint64_t pfn = pvk_pfn_raw(first) + *done;
		unsigned long va = va_of(pvk_pfn(pfn)), k = 1;
		int rc;

		/* A chunk the host maps contiguously. */
		while (k < MAP_CHUNK && *done + k < n &&
		       va_of(pvk_pfn(pfn + k)) == va + k * PVK_PAGE_SIZE)
			k++;
		rc = pvk_mmu_map_range(va, pvk_pfn(pfn), k, PVK_PTE_KERNEL_RW);
		if (rc) {
			pvk_err("boot: mapping pfns 0x%llx-0x%llx at 0x%lx failed: %d",
				(unsigned long long)pfn, (unsigned long long)(pfn + k - 1), va, rc);
			return rc;
		}
		/* Mapped: the host can translate and allocate them, in that
		 * order, before the next chunk needs page tables. */
		*done += k;
		add(va, k, arg);
	}
	return 0;
}
