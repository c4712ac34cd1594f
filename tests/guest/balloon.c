/*
 * tests/guest/balloon.c - the guest's balloon driver: the kit's
 * (pvkit/balloon.h) following memory/target with this guest's pages.
 *
 * Started by the kit's boot (guest_boot_config.balloon, boot.c) as soon
 * as xenstore is up, and settled there (the registration event read). The watch on memory/target
 * only schedules the kit's background work (pvk_port_schedule_work(),
 * wait.c) from the xenstore event handler; pvk_balloon_work() - reading
 * the target, releasing or populating frames - runs in the guest's idle
 * time.
 *
 * Going down, the frames are pages of the page allocator
 * (pvk_port_alloc_page): nothing uses them. Their 1:1 mapping is removed
 * in one update_va_mapping run first, since Xen keeps a mapped frame
 * alive. Going up, the kit has given them new machine frames: they are
 * mapped again at their 1:1 address and freed back to the allocator.
 * Past the boot size (maxmem > memory) the kit brings pfns the guest
 * never had: bootmem.c maps them (new page tables) and adds them to the
 * allocator as a new range.
 */
#include <pvkit/balloon.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/xen.h>

#include "guest.h"

#ifdef CONFIG_PVK_XENBUS

#define UVM_FLAGS	(PVK_UVMF_INVLPG | PVK_UVMF_LOCAL)

static struct pvk_mmu_va_update run[PVK_BALLOON_CHUNK];
static unsigned long lent;	/* taken and not given back */
static unsigned long grown;	/* pfns past the boot size, added */

/* Maps each page at its 1:1 address to the frame the p2m now names and
 * frees it; a page Xen would not map is kept out of use (and said). */
static void map_and_free(const pvk_pfn_t *pfns, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		run[i].va = (unsigned long)guest_pfn_to_virt(pfns[i]);
		run[i].pte = pvk_pte(pvk_pfn_to_mfn(pfns[i]), PVK_PTE_KERNEL_RW);
	}
	pvk_mmu_update_va_run(run, n, UVM_FLAGS);	/* checked page by page */
	for (unsigned long i = 0; i < n; i++) {
		uint64_t pte = pvk_mmu_lookup(run[i].va);

		if (!(pte & PVK_PTE_PRESENT) ||
		    !pvk_mfn_eq(pvk_pte_mfn(pte), pvk_pfn_to_mfn(pfns[i]))) {
			pvk_err("balloon: pfn 0x%llx could not be mapped again: page lost",
				(unsigned long long)pvk_pfn_raw(pfns[i]));
			continue;
		}
		pvk_port_free_page((void *)run[i].va);
	}
}

static unsigned long take_frames(pvk_pfn_t *pfns, unsigned long n)
{
	unsigned long got = 0;
	void *page;

	while (got < n && (page = pvk_port_alloc_page())) {
		pfns[got] = pvk_port_virt_to_pfn(page);
		run[got].va = (unsigned long)page;
		run[got].pte = 0;
		got++;
	}
	if (got && pvk_mmu_update_va_run(run, got, UVM_FLAGS)) {
		/* Some may still be mapped: release none of them. */
		pvk_err("balloon: could not unmap %lu pages to release", got);
		map_and_free(pfns, got);
		return 0;
	}
	lent += got;
	return got;
}

static void give_frames(const pvk_pfn_t *pfns, unsigned long n)
{
	unsigned long i = 0;

	while (i < n) {
		unsigned long k = 1;
		bool fresh = guest_pfn_is_new(pfns[i]);

		/* A run of the same kind (new ones also consecutive). */
		while (i + k < n && guest_pfn_is_new(pfns[i + k]) == fresh &&
		       (!fresh || pvk_pfn_raw(pfns[i + k]) == pvk_pfn_raw(pfns[i]) + k))
			k++;
		if (!fresh) {
			lent -= k;
			map_and_free(pfns + i, k);
		} else if (guest_bootmem_add_new(pfns[i], k)) {
			pvk_err("balloon: %lu new pages from pfn 0x%llx could not be mapped: lost",
				k, (unsigned long long)pvk_pfn_raw(pfns[i]));
		} else {
			grown += k;
		}
		i += k;
	}
}

const struct pvk_balloon_host guest_balloon_host = {
	.take_frames = take_frames,
	.give_frames = give_frames,
};

unsigned long guest_balloon_lent_pages(void)
{
	return lent;
}

unsigned long guest_balloon_grown_pages(void)
{
	return grown;
}

#endif /* CONFIG_PVK_XENBUS */
