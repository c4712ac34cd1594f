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

/* The ELF's p_paddr fields are pseudo-physical addresses starting at 0, so
 * the offset from p_paddr to the real pseudo-physical address is 0. */
#define PVK_GUEST_PADDR_OFFSET	0

/* The guest's own boot stack (Xen's bootstrap stack is only one page). */
#define PVK_GUEST_STACK_SIZE	(32 * 1024)

#endif /* PVK_GUEST_LAYOUT_H */
