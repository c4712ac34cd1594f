/*
 * tests/guest/notes.S - the Xen ELF notes that make this ELF a PV kernel:
 * the kit's default set (pvkit/asm/elfnote.h) plus the PVH entry note of
 * the native boot (pvh.S).
 */
#include <pvkit/asm/elfnote.h>
#include "layout.h"

PVK_XEN_NOTES "pvkit-guest", "0.1", PVK_GUEST_VIRT_BASE, PVK_GUEST_PADDR_OFFSET, _start
PVK_XEN_NOTE_PHYS32_ENTRY (pvh_start32 - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS)
