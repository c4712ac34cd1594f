/*
 * tests/guest/notes.S - the Xen ELF notes that make this ELF a PV kernel.
 *
 * Xen's domain builder (libelf) reads them from the PT_NOTE segment before
 * it loads anything: who we are, which loader protocol we speak ("generic"
 * with Xen 3.0+ PV ABI), where the image wants to be mapped and where to
 * jump. The hypercall page note is emitted by the kit (hypercall/page.S)
 * next to the page itself.
 *
 * Note layout (ELF): namesz, descsz, type (4 bytes each), the name "Xen\0"
 * and the descriptor, each padded to 4 bytes. Numbers are 8 bytes wide.
 */
#include <pvkit/xen/elfnote.h>
#include "layout.h"

/* One note: \desc is the descriptor's directive and operand. */
.macro XEN_NOTE type, desc:vararg
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

XEN_NOTE PVK_XEN_ELFNOTE_GUEST_OS,	.asciz "pvkit-guest"
XEN_NOTE PVK_XEN_ELFNOTE_GUEST_VERSION,	.asciz "0.1"
XEN_NOTE PVK_XEN_ELFNOTE_XEN_VERSION,	.asciz "xen-3.0"
XEN_NOTE PVK_XEN_ELFNOTE_LOADER,	.asciz "generic"
XEN_NOTE PVK_XEN_ELFNOTE_VIRT_BASE,	.quad PVK_GUEST_VIRT_BASE
XEN_NOTE PVK_XEN_ELFNOTE_PADDR_OFFSET,	.quad PVK_GUEST_PADDR_OFFSET
XEN_NOTE PVK_XEN_ELFNOTE_ENTRY,		.quad _start
/* Native boot (PVH, e.g. qemu -kernel): 32-bit entry at a physical address. */
XEN_NOTE PVK_XEN_ELFNOTE_PHYS32_ENTRY,	.long pvh_start32 - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS
