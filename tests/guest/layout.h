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
