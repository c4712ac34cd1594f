/*
 * pvkit/asm/elfnote.h - the Xen ELF notes that make an ELF a PV kernel:
 * one assembler macro per note, and the set every PV kernel gives.
 *
 * Xen's domain builder (libelf) reads them from the PT_NOTE segment before
 * it loads anything: who the kernel is, which loader protocol it speaks
 * ("generic", the Xen 3.0+ PV ABI), where the image wants to be mapped and
 * where to jump. The hypercall page note comes with the page itself
 * (hypercall/page.S). The notes go to section .note.Xen, which
 * pvkit/pvkit.lds.h places (PVK_LDS_XEN_NOTES) and the host's linker
 * script puts in a PT_NOTE segment.
 *
 * Use, in one .S file of the host:
 *
 *   #include <pvkit/asm/elfnote.h>
 *   PVK_XEN_NOTES "mykernel", "1.0", VIRT_BASE, PADDR_OFFSET, entry_symbol
 *
 * VIRT_BASE is where pseudo-physical frame 0 is mapped (the start-of-day
 * area is 1:1 from there); PADDR_OFFSET is subtracted from the ELF's
 * p_paddr to get pseudo-physical addresses (0 if p_paddr are already
 * VIRT_BASE-relative; the reference guest's p_paddr are its native load
 * addresses). That set is what the reference guest boots with, 32 MiB to
 * 4 GiB. A guest whose p2m list (8 bytes a page) no longer fits in the
 * start-of-day area beside the image (hundreds of GiB with a kernel in
 * the top 2 GiB) adds PVK_XEN_NOTE_INIT_P2M; that path is not yet proven
 * on Xen (README, "Memory of any size"). A kernel that also boots natively
 * through PVH adds PVK_XEN_NOTE_PHYS32_ENTRY.
 *
 * Layout of one note (ELF): namesz, descsz, type (4 bytes each), the name
 * "Xen\0" and the descriptor, each padded to 4 bytes. Numbers are 8 bytes
 * wide, but PHYS32_ENTRY's, which is 4. GNU as splits macro arguments at
 * blanks: put an expression in parentheses.
 */
#ifndef PVKIT_ASM_ELFNOTE_H
#define PVKIT_ASM_ELFNOTE_H

#include <pvkit/xen/elfnote.h>

#ifdef __ASSEMBLY__

/* One note: \desc is the descriptor's directive and operand. */
.macro PVK_XEN_NOTE type, desc:vararg
	.pushsection .note.Xen, "a", @note
	.balign 4
	.long 2f - 1f
	.long 4f - 3f
	.long \type
1:	.asciz "Xen"
2:	.balign 4
3:	\desc
4:	.balign 4
	.popsection
.endm

/* The default set (see the top). */
.macro PVK_XEN_NOTES guest_os, guest_version, virt_base, paddr_offset, entry
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_GUEST_OS,		.asciz "\guest_os"
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_GUEST_VERSION,	.asciz "\guest_version"
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_XEN_VERSION,	.asciz "xen-3.0"
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_LOADER,		.asciz "generic"
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_VIRT_BASE,		.quad \virt_base
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_PADDR_OFFSET,	.quad \paddr_offset
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_ENTRY,		.quad \entry
.endm

/* The p2m list at this virtual address (below VIRT_BASE, outside the
 * start-of-day area), for guests too large for the default placement. */
.macro PVK_XEN_NOTE_INIT_P2M va
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_INIT_P2M,		.quad \va
.endm

/* Native boot through PVH (e.g. qemu -kernel): a 32-bit entry at a
 * physical address. */
.macro PVK_XEN_NOTE_PHYS32_ENTRY phys
	PVK_XEN_NOTE PVK_XEN_ELFNOTE_PHYS32_ENTRY,	.long \phys
.endm

#endif /* __ASSEMBLY__ */
#endif /* PVKIT_ASM_ELFNOTE_H */
