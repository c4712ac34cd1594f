/*
 * pvkit/pvkit.lds.h - what a host's linker script must place for the kit,
 * as C preprocessor macros for a linker script run through cpp.
 *
 *   PVK_LDS_HYPERCALL_PAGE  inside the host's .text output section: the
 *                           hypercall page (hypercall/page.S), a page of
 *                           code Xen fills before the first instruction
 *                           runs (page-aligned by its own .balign);
 *   PVK_LDS_XEN_NOTES       inside an output section the host assigns to a
 *                           PT_NOTE program header (and to a loadable
 *                           segment, as Xen's loader does not care and
 *                           some tools do): the ELF notes Xen's builder
 *                           reads (pvkit/asm/elfnote.h, hypercall/page.S);
 *   PVK_LDS_SYMTAB          last in a read-only output section placed after
 *                           all code: the symbol table scripts/pvk-symtab
 *                           makes for the crash report (pvkit/crash.h),
 *                           whose size differs between the two links.
 *   PVK_LDS_PVOPS_SITES     inside a read-only data output section (the
 *                           host's .rodata): the records of the irq ops'
 *                           patch sites, between the symbols
 *                           pvk_pvops_sites_start and pvk_pvops_sites_end
 *                           (pvkit/pvops_patch.h). The kit patches the
 *                           sites in the kernel text at pvops selection:
 *                           the text must be writable then, through the
 *                           mapping the kernel runs on (on Xen PV the
 *                           domain builder maps the image writable; natively
 *                           the host's page tables); protect it afterwards.
 *
 * Example (tests/guest/guest.lds.S):
 *
 *   PHDRS { text PT_LOAD FLAGS(5); note PT_NOTE FLAGS(4); ... }
 *   .text : { *(.text.head) PVK_LDS_HYPERCALL_PAGE *(.text .text.*) } :text
 *   .note : { PVK_LDS_XEN_NOTES } :text :note
 *   .rodata : { *(.rodata .rodata.*) PVK_LDS_PVOPS_SITES } :text
 *
 * KEEP: the notes and site records are never referenced by name, so
 * --gc-sections would drop them.
 */
#ifndef PVKIT_PVKIT_LDS_H
#define PVKIT_PVKIT_LDS_H

#define PVK_LDS_HYPERCALL_PAGE	KEEP(*(.text.pvk_hypercall_page))
#define PVK_LDS_XEN_NOTES	KEEP(*(.note.Xen))
#define PVK_LDS_SYMTAB		. = ALIGN(8); KEEP(*(.pvk_symtab))
#define PVK_LDS_PVOPS_SITES						\
	. = ALIGN(8);							\
	pvk_pvops_sites_start = .;					\
	KEEP(*(.pvk_pvops_sites))					\
	pvk_pvops_sites_end = .;

#endif /* PVKIT_PVKIT_LDS_H */
