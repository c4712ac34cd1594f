/*
 * examples/minimal/minimal.lds.S - the minimal kernel's link: one loadable
 * segment at KBASE + 1 MiB (physical 1 MiB natively, p_paddr = p_vaddr -
 * KBASE for both loaders), the kit's hypercall page in .text and Xen's
 * notes in a PT_NOTE segment (pvkit/pvkit.lds.h).
 */
#include <pvkit/pvkit.lds.h>
#include "minimal.h"

OUTPUT_FORMAT("elf64-x86-64")
ENTRY(minimal_xen_entry)

PHDRS {
	image PT_LOAD FLAGS(7);
	note PT_NOTE FLAGS(4);
}

SECTIONS {
	. = KBASE + LOAD_PHYS;
	.text : AT(ADDR(.text) - KBASE) {
		*(.text.head) PVK_LDS_HYPERCALL_PAGE *(.text .text.*)
	} :image
	.rodata : AT(ADDR(.rodata) - KBASE) { *(.rodata .rodata.*) PVK_LDS_PVOPS_SITES } :image
	.note : AT(ADDR(.note) - KBASE) { PVK_LDS_XEN_NOTES } :image :note
	.data : AT(ADDR(.data) - KBASE) { *(.data .data.*) } :image
	.bss : AT(ADDR(.bss) - KBASE) { *(.bss .bss.*) *(COMMON) } :image
	_end = .;
	/DISCARD/ : { *(.note.gnu.* .comment .eh_frame) }
}
