/*
 * tests/guest/guest.lds.S - linker script of the reference guest (run through
 * the C preprocessor for the numbers in layout.h).
 *
 * One ELF, two loadable segments (code+read-only data, then data+bss) and
 * one PT_NOTE segment holding the Xen ELF notes the domain builder reads.
 * The p_paddr of every section is where a native (PVH) boot loads it
 * (virtual address - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS); Xen's PV
 * loader subtracts XEN_ELFNOTE_PADDR_OFFSET = PVK_GUEST_LOAD_PHYS to get
 * the pseudo-physical address (layout.h).
 *
 * Order matters for the symbol table (see scripts/pvk-symtab): everything after
 * .text may change size between the two links, .text and the notes may not,
 * so the symbol table goes after them and only code symbols are in it.
 */
#include <pvkit/pvkit.lds.h>
#include "layout.h"

#define PHYS(sec) AT(ADDR(sec) - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS)

OUTPUT_FORMAT("elf64-x86-64")
OUTPUT_ARCH(i386:x86-64)
ENTRY(_start)

PHDRS
{
	text PT_LOAD FLAGS(5);		/* R-X */
	data PT_LOAD FLAGS(6);		/* RW- */
	note PT_NOTE FLAGS(4);
}

SECTIONS
{
	. = PVK_GUEST_VIRT_BASE;
	__image_start = .;

	/* head.S first, so the entry point is the first byte of the image. The
	 * hypercall page (hypercall/page.S, section .text.pvk_hypercall_page)
	 * is a page-aligned part of .text: Xen fills it before we start. */
	.text : PHYS(.text) {
		__text_start = .;
		*(.text.head)
		PVK_LDS_HYPERCALL_PAGE
		*(.text .text.*)
		__text_end = .;
	} :text

	/* Xen's loader finds these through the PT_NOTE program header. */
	.note : PHYS(.note) {
		PVK_LDS_XEN_NOTES
	} :text :note

	.rodata : PHYS(.rodata) {
		*(.rodata .rodata.*)
		/* The irq ops' patch sites, rewritten at pvops selection. */
		PVK_LDS_PVOPS_SITES
		/* The in-guest tests, in link order (test.h). */
		. = ALIGN(8);
		__start_pvk_guest_tests = .;
		KEEP(*(.pvk_guest_tests))
		__stop_pvk_guest_tests = .;
		/* Last in the segment: its size differs between the two links. */
		PVK_LDS_SYMTAB
	} :text

	. = ALIGN(4096);
	.data : PHYS(.data) {
		*(.data .data.*)
	} :data

	.bss : PHYS(.bss) {
		__bss_start = .;
		*(.bss.page_aligned)
		*(.bss .bss.*)
		*(COMMON)
		. = ALIGN(4096);
		__bss_end = .;
	} :data

	__image_end = .;

	/DISCARD/ : {
		*(.eh_frame*)
		*(.comment)
		*(.note.GNU-stack)
		*(.note.gnu.property)
		*(.note.gnu.build-id)
	}
}
