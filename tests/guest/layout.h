/*
 * tests/guest/layout.h - where the reference guest lives in virtual memory.
 *
 * Shared by the linker script, the ELF notes and the C code, so it holds
 * plain numbers only (it is included from assembly and from guest.lds.S).
 *
 * The kit is compiled with -mcmodel=kernel, so every kit symbol must sit in
 * the top 2 GiB of the address space. The guest therefore links at
 * 0xffffffff80000000 and tells Xen (XEN_ELFNOTE_VIRT_BASE) to map
 * pseudo-physical frame 0 there: the whole start-of-day area (image,
 * p2m list, start_info, ring pages, bootstrap page tables and stack) is then
 * at virt = PVK_GUEST_VIRT_BASE + pfn * 4096.
 */
#ifndef PVK_GUEST_LAYOUT_H
#define PVK_GUEST_LAYOUT_H

#define PVK_GUEST_VIRT_BASE	0xffffffff80000000

/*
 * The top 2 GiB hold the 1:1 map of the first 2 GiB of pfns only (the
 * image is pfn 0 on), but for the very last page: its end would be 2^64,
 * which no range end can say. The rest of a larger domain's memory is
 * mapped 1:1 one level lower: pfn at PVK_GUEST_HIGH_MAP + pfn * 4096 for
 * pfns from PVK_GUEST_LOW_PAGES up (no pfn is mapped twice, so a page
 * made read-only for a page table has no writable alias). That is L4
 * slot 272, the first the guest may use after Xen's own (256-271),
 * 512 GiB: the most the kit's p2m covers.
 */
#define PVK_GUEST_LOW_PAGES	0x7ffff		/* 2 GiB of 4 KiB pages, less one */
#define PVK_GUEST_HIGH_MAP	0xffff880000000000
#define PVK_GUEST_HIGH_END	0xffff888000000000	/* one L4 slot */

/* Where the image sits in physical memory when booted natively (PVH):
 * p_paddr = virtual - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS. 2 MiB,
 * so one 2 MiB page maps the start of the image, above the BIOS areas.
 * Xen's PV loader is told the same offset (XEN_ELFNOTE_PADDR_OFFSET) and
 * so still places pseudo-physical frame 0 at PVK_GUEST_VIRT_BASE. */
#define PVK_GUEST_LOAD_PHYS	0x200000
#define PVK_GUEST_PADDR_OFFSET	PVK_GUEST_LOAD_PHYS

/* The guest's own boot stack (Xen's bootstrap stack is only one page). */
#define PVK_GUEST_STACK_SIZE	(32 * 1024)

#endif /* PVK_GUEST_LAYOUT_H */
