/*
 * pvops/patch.h - how a world tells the patcher (patch.c) what to put at
 * each op's sites, and the thunks' shape, shared by patch.c (the table's
 * thunks) and irq_xen.c (the Xen ops' thunks). Not part of the kit's API;
 * the site format and the contract are pvkit/pvops_patch.h's.
 */
#ifndef PVK_PVOPS_PATCH_INTERNAL_H
#define PVK_PVOPS_PATCH_INTERNAL_H

#include <pvkit/pvops_patch.h>

/* One op in one world: either bytes (a native template, padded with NOPs)
 * or a direct call to a thunk (padding kept). */
struct pvk_pvops_patch_op {
	const uint8_t *bytes;
	size_t len;
	unsigned int clobbers;	/* what bytes change: PVK_PVOPS_CLOBBER_* */
	const void *call;	/* when bytes is NULL */
};

struct pvk_pvops_patch_world {
	const char *name;
	struct pvk_pvops_patch_op op[PVK_PVOPS_OPS];	/* by PVK_PVOPS_OP_* */
};

/* Rewrites every site for w; panics on a record or site that does not
 * match (pvkit/pvops_patch.h says when it may be called). */
void pvk_pvops_patch_sites(const struct pvk_pvops_patch_world *w);

/* irq_native.c: the native templates (checks RFLAGS.IF is clear). */
const struct pvk_pvops_patch_world *pvk_native_irq_patch(void);
/* irq_xen.c: direct calls to the Xen ops' thunks. */
const struct pvk_pvops_patch_world *pvk_xen_irq_patch(void);

/*
 * A thunk, as text for an asm statement with operands (hence %%): keeps
 * every general register the C ABI lets a callee change except the
 * result's, aligns the stack to 16 bytes for the C op it calls (the site
 * may be anywhere in a function) and returns. call is the call
 * instruction, e.g. "call *%c0(%%rip)" (through the table) or "call %c0".
 * Its own section, so that neither the table's nor Xen's thunks sit
 * inside a function pv-lint or a backtrace would name.
 */
#define PVK_PVOPS_THUNK_SAVE						\
	"pushq %%rcx\n\tpushq %%rdx\n\tpushq %%rsi\n\tpushq %%rdi\n\t"	\
	"pushq %%r8\n\tpushq %%r9\n\tpushq %%r10\n\tpushq %%r11\n\t"
#define PVK_PVOPS_THUNK_RESTORE						\
	"popq %%r11\n\tpopq %%r10\n\tpopq %%r9\n\tpopq %%r8\n\t"	\
	"popq %%rdi\n\tpopq %%rsi\n\tpopq %%rdx\n\tpopq %%rcx\n\t"

#define PVK_PVOPS_THUNK_(name, call, push_rax, pop_rax, saved_bytes)	\
	".pushsection .text.pvk_pvops_thunks, \"ax\", @progbits\n\t"	\
	".balign 16\n\t"						\
	".globl " name "\n\t"						\
	".type " name ", @function\n"					\
	name ":\n\t"							\
	"pushq %%rbp\n\t"						\
	"movq %%rsp, %%rbp\n\t"						\
	push_rax PVK_PVOPS_THUNK_SAVE					\
	"andq $-16, %%rsp\n\t"						\
	call "\n\t"							\
	"leaq -" saved_bytes "(%%rbp), %%rsp\n\t"			\
	PVK_PVOPS_THUNK_RESTORE pop_rax					\
	"popq %%rbp\n\t"						\
	"ret\n\t"							\
	".size " name ", . - " name "\n\t"				\
	".popsection\n\t"

/* An op that returns its result in %rax, and one that returns nothing
 * (%rax kept too). */
#define PVK_PVOPS_THUNK_RET(name, call)					\
	PVK_PVOPS_THUNK_(name, call, "", "", "64")
#define PVK_PVOPS_THUNK_VOID(name, call)				\
	PVK_PVOPS_THUNK_(name, call, "pushq %%rax\n\t", "popq %%rax\n\t", "72")

#endif /* PVK_PVOPS_PATCH_INTERNAL_H */
