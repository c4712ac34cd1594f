/*
 * pvkit/pvops_patch.h - patch sites: the hottest pvops (the irq group) are
 * not called through the table but from a few bytes of code that the kit
 * rewrites once, when a world is selected, so that natively an irq save or
 * restore costs what the bare instructions cost, and on Xen a direct call
 * instead of an indirect one. What pvops/patch.c owns.
 *
 * A site, as the inlines of pvkit/pvops.h emit it:
 *
 *	771:	call pvk_pvops_thunk_OP		(5 bytes, a direct call)
 *		.nops LEN - 5			(the room the native bytes need)
 *	772:
 *
 * and a record in section .pvk_pvops_sites (struct pvk_pvops_site): the
 * site's address, length, op and clobber set.
 *
 * The clobber contract. The site declares to the compiler only what the op
 * itself may change: its result register (save_fl: %rax) and the
 * arithmetic flags ("cc"), plus "memory" (an irq op is a compiler
 * barrier); an argument (restore_fl: %rdi) is kept. Both paths keep it:
 * - Unpatched (before selection, or a site the patcher never saw): the
 *   call goes to the op's thunk (pvops/patch.c), which saves every register
 *   the C ABI lets a callee change (%rax unless it is the result, %rcx,
 *   %rdx, %rsi, %rdi, %r8-%r11), aligns the stack to 16 bytes and calls
 *   the op through the table (pvk_pvops.irq.OP): before selection that is
 *   the op that panics naming itself, as without patching.
 * - Native (pvk_pvops_select_native()): the op's template (pvops/
 *   irq_native.c), padded with NOPs:
 *	save_fl      pushfq; popq %rax; andl $0x200, %eax          rax, cc  7
 *	restore_fl   bt $9, %edi; jnc 1f; sti; jmp 2f; 1: cli; 2:  cc       10
 *	irq_disable  cli                                           -        5
 *	irq_enable   sti                                           -        5
 *   (clobbers, site bytes). The patcher refuses a template whose clobbers
 *   are not within its site's record. restore_fl restores IF alone, as the
 *   C op does: a popf of save_fl's result (IF or 0) would also clear IOPL
 *   (which set_iopl keeps in RFLAGS natively), AC and the rest.
 * - Xen (pvk_pvops_select_xen()): the call is redirected to the Xen op's
 *   own thunk (pvops/irq_xen.c), so the indirect call through the table
 *   is gone. While CPU 0 is the only CPU that may run kernel code, the
 *   thunk does the op in a few instructions on CPU 0's vcpu_info (the
 *   upcall mask byte); otherwise it saves as the table's thunk does and
 *   calls the C op directly, which finds the calling CPU's vcpu_info
 *   through the host's pvk_port_cpu_id() (hence no inline bytes at the
 *   site on Xen).
 *
 * What the host must give (checked where the kit can):
 * - Kernel C built non-PIC (-mcmodel=kernel), with -mno-red-zone (the
 *   site's call and the native pushfq write below %rsp; every x86-64
 *   kernel is built so, since interrupts push on the current stack) and
 *   without SSE/x87 (-mno-sse -mno-mmx -mno-80387 or -mgeneral-regs-only:
 *   the thunks save the general registers only).
 * - Its linker script places PVK_LDS_PVOPS_SITES (pvkit/pvkit.lds.h);
 *   without it the link fails on pvk_pvops_sites_start rather than leaving
 *   the sites unpatched in silence.
 * - The kernel text is writable, through the mapping the kernel runs on,
 *   when a world is selected. On Xen PV the domain builder maps the whole
 *   initial image writable (only the page tables it built are read-only),
 *   and selection is the boot's first step (boot/xen_boot.c); natively it
 *   is the host's page tables (the reference guest's pvh.S maps the image
 *   read-write). A host that wants its text read-only protects it after
 *   selecting.
 * - Selection runs on the boot CPU with interrupts off, before any other
 *   CPU is started (asserted: pvk_smp_tlb_mask() must be CPU 0 alone;
 *   natively RFLAGS.IF is checked), and not from inside an irq op: no site
 *   may be executing while it is rewritten. Kernel code is not copied
 *   elsewhere after its record was made.
 * After the writes the patcher executes cpuid (serialising), so that the
 * CPU runs the new bytes.
 *
 * Hosted builds (__STDC_HOSTED__: the kit's unit tests), Linux's modules
 * (PVK_HOST_LINUX) and a host that defines PVK_PVOPS_NO_PATCH get plain C
 * calls through the table instead (pvkit/pvops.h).
 */
#ifndef PVKIT_PVOPS_PATCH_H
#define PVKIT_PVOPS_PATCH_H

#include <pvkit/types.h>

/* The ops with sites (struct pvk_pvops_site.op); 0 is no op. */
#define PVK_PVOPS_OP_SAVE_FL		1
#define PVK_PVOPS_OP_RESTORE_FL		2
#define PVK_PVOPS_OP_IRQ_DISABLE	3
#define PVK_PVOPS_OP_IRQ_ENABLE		4
#define PVK_PVOPS_OPS			5	/* ids are below this */

/* The bytes of an op's site: room for the call (5) or the native bytes. */
#define PVK_PVOPS_SITE_CALL_LEN		5
#define PVK_PVOPS_SITE_LEN(op)						\
	((op) == PVK_PVOPS_OP_SAVE_FL ? 7 :				\
	 (op) == PVK_PVOPS_OP_RESTORE_FL ? 10 : PVK_PVOPS_SITE_CALL_LEN)
#define PVK_PVOPS_SITE_MAX_LEN		10

/* What a site lets the op change besides memory (struct pvk_pvops_site
 * .clobbers); every other general register is kept. */
#define PVK_PVOPS_CLOBBER_RAX		0x1u
#define PVK_PVOPS_CLOBBER_CC		0x2u	/* arithmetic flags */

struct pvk_pvops_site {
	uint64_t addr;		/* the site's first byte */
	uint8_t len;		/* its bytes: PVK_PVOPS_SITE_LEN(op) */
	uint8_t op;		/* PVK_PVOPS_OP_* */
	uint16_t clobbers;	/* PVK_PVOPS_CLOBBER_* */
	uint32_t reserved;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_pvops_site) != 16);

/* The records, from the host's linker script (PVK_LDS_PVOPS_SITES). */
extern const struct pvk_pvops_site pvk_pvops_sites_start[];
extern const struct pvk_pvops_site pvk_pvops_sites_end[];

/*
 * Where a site's call goes, per op: the table's thunks (unpatched) and the
 * Xen ops' thunks (patched on Xen). Not C functions (they keep registers C
 * does not): only call sites in assembly call them.
 */
extern const char pvk_pvops_thunk_save_fl[], pvk_pvops_thunk_restore_fl[];
extern const char pvk_pvops_thunk_irq_disable[], pvk_pvops_thunk_irq_enable[];
extern const char pvk_xen_thunk_save_fl[], pvk_xen_thunk_restore_fl[];
extern const char pvk_xen_thunk_irq_disable[], pvk_xen_thunk_irq_enable[];

/* What the selection did: sites found and rewritten, and for which world
 * (NULL before selection). */
struct pvk_pvops_patch_stats {
	unsigned int sites;
	unsigned int patched;
	const char *world;
};
void pvk_pvops_patch_stats(struct pvk_pvops_patch_stats *out);

/*
 * One site, in an asm statement whose operands include
 * PVK_PVOPS_SITE_ARGS(op, clobbers); thunk is the op's pvk_pvops_thunk_*.
 * The record's length is the assembler's (772b - 771b): the patcher
 * checks it against PVK_PVOPS_SITE_LEN(op).
 */
#define PVK_PVOPS_SITE(thunk)						\
	"771:\n\t"							\
	"call " thunk "\n\t"						\
	".nops %c[pvk_site_len] - 5\n"					\
	"772:\n\t"							\
	".pushsection .pvk_pvops_sites, \"a\", @progbits\n\t"		\
	".balign 8\n\t"							\
	".quad 771b\n\t"						\
	".byte 772b - 771b, %c[pvk_site_op]\n\t"			\
	".short %c[pvk_site_clobbers]\n\t"				\
	".long 0\n\t"							\
	".popsection"

#define PVK_PVOPS_SITE_ARGS(op, clobbers)				\
	[pvk_site_op] "i"(op),						\
	[pvk_site_len] "i"(PVK_PVOPS_SITE_LEN(op)),			\
	[pvk_site_clobbers] "i"(clobbers)

#endif /* PVKIT_PVOPS_PATCH_H */
