/*
 * hypercall/page.S - the hypercall page, and the ELF note asking Xen to fill it.
 *
 * The domain builder reads the XEN_ELFNOTE_HYPERCALL_PAGE note (desc: the
 * page's virtual address) and writes Xen's 32-byte stubs over this page
 * before the guest's first instruction runs. Until then every slot is a
 * trap (see page.h): a hypercall made through an unfilled page raises #UD
 * at a known place with %eax = its number, rather than running into
 * whatever bytes happened to be there.
 *
 * The page lives in text (Xen writes it through its own mapping, the guest
 * only executes it). The note goes into .note.Xen, which the guest's linker
 * script must keep and place in a PT_NOTE segment.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/elfnote.h>
#include "page.h"

	.pushsection .text.pvk_hypercall_page, "ax", @progbits
	.balign 4096
	.globl	pvk_hypercall_page
	.type	pvk_hypercall_page, @object
pvk_hypercall_page:
	.set	slot, 0
	.rept	PVK_HYPERCALL_SLOTS
	.byte	PVK_UNFILLED_MOVL_EAX		/* movl $slot, %eax */
	.long	slot
	.byte	PVK_UNFILLED_UD2_0, PVK_UNFILLED_UD2_1	/* ud2 */
	.fill	PVK_HYPERCALL_SLOT_SIZE - PVK_UNFILLED_HEAD_SIZE, 1, PVK_UNFILLED_PAD
	.set	slot, slot + 1
	.endr
	.size	pvk_hypercall_page, . - pvk_hypercall_page
	.if	(. - pvk_hypercall_page) != 4096
	.error	"the hypercall page must be exactly one 4 KiB page"
	.endif
	.popsection

/*
 * struct { Elf64_Word namesz, descsz, type; char name[4]; u64 desc; }
 * Name and desc are each padded to 4 bytes, as ELF notes require.
 */
	.pushsection .note.Xen, "a", @note
	.balign	4
	.long	2f - 1f				/* namesz: "Xen\0" */
	.long	4f - 3f				/* descsz: 8 */
	.long	PVK_XEN_ELFNOTE_HYPERCALL_PAGE	/* type */
1:	.asciz	"Xen"
2:	.balign	4
3:	.quad	pvk_hypercall_page
4:	.balign	4
	.popsection
