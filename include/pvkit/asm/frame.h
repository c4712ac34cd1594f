/*
 * pvkit/asm/frame.h - the register frames entry code pushes around a C
 * call: assembler macros that save and restore the general registers, and
 * the offsets of what they save.
 *
 * The kit's own entry points use them (events/upcall.S, pvops/xen_syscall.S)
 * and so does the reference guest (tests/guest/entry*.S and the other
 * native stubs). A host kernel may use them in its own entry code as well:
 * they need nothing but GNU as and the C preprocessor, and every name
 * starts with PVK_. Included from C, the file gives only the offsets and
 * PVK_ALL_REGS_LAYOUT_CHECK.
 *
 * PVK_SAVE_ALL_REGS pushes the fifteen general registers (not %rsp),
 * leaving, from the new %rsp up:
 *
 *   offset | register | offset | register | offset | register
 *   -------+----------+--------+----------+--------+----------
 *    +0x00 | r15      |  +0x28 | r10      |  +0x50 | rsi
 *    +0x08 | r14      |  +0x30 | r9       |  +0x58 | rdx
 *    +0x10 | r13      |  +0x38 | r8       |  +0x60 | rcx
 *    +0x18 | r12      |  +0x40 | rbp      |  +0x68 | rbx
 *    +0x20 | r11      |  +0x48 | rdi      |  +0x70 | rax
 *    +0x78 | what was at %rsp before (PVK_REGS_SIZE)
 *
 * A C struct whose first fields are r15 ... rax in that order mirrors it
 * (PVK_ALL_REGS_LAYOUT_CHECK proves it at build time). PVK_RESTORE_ALL_REGS
 * pops them back from that frame, so a handler that changed a saved
 * register changes what the interrupted code gets back.
 *
 * PVK_SAVE_CALLER_REGS pushes only the nine registers a C function may
 * clobber (SysV x86-64 ABI): the callee-saved ones (rbx, rbp, r12-r15) the
 * C code keeps itself. 0x48 bytes, from the new %rsp up:
 *
 *   offset | register | offset | register | offset | register
 *   -------+----------+--------+----------+--------+----------
 *    +0x00 | r11      |  +0x18 | r8       |  +0x30 | rdx
 *    +0x08 | r10      |  +0x20 | rdi      |  +0x38 | rcx
 *    +0x10 | r9       |  +0x28 | rsi      |  +0x40 | rax
 *
 * Nine words: after a hardware interrupt frame without error code (five
 * words below a 16-byte aligned %rsp) they leave %rsp 16-byte aligned, as
 * a call wants. PVK_RESTORE_CALLER_REGS pops them back.
 *
 * Neither macro aligns the stack or clears RFLAGS.DF: the entry code does
 * what its frame needs (PVK_CALL_ALIGNED, cld).
 */
#ifndef PVKIT_ASM_FRAME_H
#define PVKIT_ASM_FRAME_H

/* Where PVK_SAVE_ALL_REGS leaves each register, from the new %rsp. */
#define PVK_REGS_R15	0x00
#define PVK_REGS_R14	0x08
#define PVK_REGS_R13	0x10
#define PVK_REGS_R12	0x18
#define PVK_REGS_R11	0x20
#define PVK_REGS_R10	0x28
#define PVK_REGS_R9	0x30
#define PVK_REGS_R8	0x38
#define PVK_REGS_RBP	0x40
#define PVK_REGS_RDI	0x48
#define PVK_REGS_RSI	0x50
#define PVK_REGS_RDX	0x58
#define PVK_REGS_RCX	0x60
#define PVK_REGS_RBX	0x68
#define PVK_REGS_RAX	0x70
#define PVK_REGS_SIZE	0x78

/*
 * The rest of struct pvk_regs (pvkit/regs.h) above them, as the kit's
 * entries lay it out: vector, error code, then the hardware frame. For
 * entry code that reads or changes a field (a host's own entry that tests
 * RPL 3 in the saved %cs, say).
 */
#define PVK_REGS_VECTOR		0x78
#define PVK_REGS_ERROR_CODE	0x80
#define PVK_REGS_RIP		0x88
#define PVK_REGS_CS		0x90
#define PVK_REGS_RFLAGS		0x98
#define PVK_REGS_RSP		0xa0
#define PVK_REGS_SS		0xa8
#define PVK_REGS_FRAME_SIZE	0xb0
/* The vector numbers of what is no exception, for assembly (pvkit/regs.h
 * has them for C): the event upcall, native interrupt n at BASE + n. */
#define PVK_REGS_VECTOR_UPCALL_NUM	0x100
#define PVK_REGS_VECTOR_IRQ_BASE	0x200

#ifdef __ASSEMBLY__

.macro PVK_SAVE_ALL_REGS
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
.endm

.macro PVK_RESTORE_ALL_REGS
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
.endm

.macro PVK_SAVE_CALLER_REGS
	pushq	%rax
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
.endm

.macro PVK_RESTORE_CALLER_REGS
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rax
.endm

/*
 * Calls fn (a symbol, or *%reg) on %rsp rounded down to 16 bytes, as the
 * C ABI wants at a call whatever depth the entry frame has, and puts %rsp
 * back afterwards. keep is a callee-saved register (%rbx, %rbp, %r12-%r15)
 * whose old value the entry has already saved: it holds the unrounded
 * %rsp across the call. Arguments are the caller's to load first.
 */
.macro PVK_CALL_ALIGNED fn:req, keep:req
	movq	%rsp, \keep
	andq	$-16, %rsp
	call	\fn
	movq	\keep, %rsp
.endm

#else /* !__ASSEMBLY__ */

#include <pvkit/types.h>

/*
 * For a C struct that mirrors a PVK_SAVE_ALL_REGS frame from its start
 * (fields r15 ... rax): the build fails unless each register field sits
 * where the macro pushes that register and the struct's field next, the
 * first one the entry pushed before the registers, sits right above them.
 */
#define PVK_REGS_FIELD_AT(type, field, off) \
	PVK_BUILD_BUG_ON(offsetof(type, field) != (off))
#define PVK_ALL_REGS_LAYOUT_CHECK(type, next)		\
	PVK_REGS_FIELD_AT(type, r15, PVK_REGS_R15);	\
	PVK_REGS_FIELD_AT(type, r14, PVK_REGS_R14);	\
	PVK_REGS_FIELD_AT(type, r13, PVK_REGS_R13);	\
	PVK_REGS_FIELD_AT(type, r12, PVK_REGS_R12);	\
	PVK_REGS_FIELD_AT(type, r11, PVK_REGS_R11);	\
	PVK_REGS_FIELD_AT(type, r10, PVK_REGS_R10);	\
	PVK_REGS_FIELD_AT(type, r9, PVK_REGS_R9);	\
	PVK_REGS_FIELD_AT(type, r8, PVK_REGS_R8);	\
	PVK_REGS_FIELD_AT(type, rbp, PVK_REGS_RBP);	\
	PVK_REGS_FIELD_AT(type, rdi, PVK_REGS_RDI);	\
	PVK_REGS_FIELD_AT(type, rsi, PVK_REGS_RSI);	\
	PVK_REGS_FIELD_AT(type, rdx, PVK_REGS_RDX);	\
	PVK_REGS_FIELD_AT(type, rcx, PVK_REGS_RCX);	\
	PVK_REGS_FIELD_AT(type, rbx, PVK_REGS_RBX);	\
	PVK_REGS_FIELD_AT(type, rax, PVK_REGS_RAX);	\
	PVK_REGS_FIELD_AT(type, next, PVK_REGS_SIZE)

#endif /* __ASSEMBLY__ */

#endif /* PVKIT_ASM_FRAME_H */
