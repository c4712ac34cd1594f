/*
 * pvkit/pv_lint.h - marks that tell scripts/pv-lint which code may execute
 * privileged instructions: code that only runs natively, and code that runs
 * on Xen but executes an instruction Xen traps and emulates on purpose.
 *
 * pv-lint disassembles the linked kernel image and reports every privileged
 * instruction (cli, sti, mov %crN, wrmsr, lgdt, in/out, iretq, popf...) that
 * no mark covers: under Xen PV the kernel runs in ring 3, where each of them
 * faults or, worse, silently does something else (popf keeps IF). The marks
 * are records in the non-allocated section .pvk_lint: nothing is loaded or
 * run, the host's linker script needs no line for them (it must only not
 * discard .pvk_lint), and the final link fills in their addresses.
 *
 * In C, as a statement inside a function (conventionally its first line):
 *	PVK_NATIVE_ONLY(fn);	fn runs only on bare hardware
 *	PVK_XEN_EMULATED(fn);	fn runs on Xen too; its privileged instructions
 *				are meant to trap into Xen's emulator (CR0/CR4
 *				reads, wbinvd, rdmsr/wrmsr, a test of the trap)
 * The mark covers fn's whole symbol, the parts GCC splits off it (fn.cold,
 * fn.part.N, fn.constprop.N, fn.isra.N) and, where the image has debug
 * info (-g), fn's copies inlined into other functions: the mark says fn is
 * only ever called natively, wherever its code ends up. Without debug info
 * an inlined copy is reported in its caller: mark the caller too. Taking
 * fn's address ("i"; the kernel must be built non-PIC, as x86-64 kernels
 * are) keeps an out-of-line fn in the image.
 *
 * In assembly (.S, through the C preprocessor), anywhere in the file:
 *	PVK_NATIVE_ONLY(sym)		the symbol sym (its .size, else up to the
 *	PVK_XEN_EMULATED(sym)		next symbol)
 *	PVK_NATIVE_ONLY_BEGIN ... PVK_NATIVE_ONLY_END	a stretch of code
 * (BEGIN/END do not nest; pv-lint checks that they pair up.)
 *
 * Whole files and functions of the host that cannot carry a mark go in the
 * host's allow-list file, one per line with the reason (scripts/pv-lint -h).
 */
#ifndef PVKIT_PV_LINT_H
#define PVKIT_PV_LINT_H

/* One record: .quad address; .long kind; .long why (scripts/pv-lint reads
 * these numbers). */
#define PVK_LINT_KIND_SYMBOL	1	/* the symbol starting at address */
#define PVK_LINT_KIND_BEGIN	2	/* a stretch of code starts at address */
#define PVK_LINT_KIND_END	3	/* ... and ends (exclusive) at address */
#define PVK_LINT_WHY_NATIVE	1
#define PVK_LINT_WHY_XEN_EMULATED 2

#ifdef __ASSEMBLY__

#define PVK_LINT_RECORD(addr, kind, why)				\
	.pushsection .pvk_lint, "", @progbits;				\
	.balign 8;							\
	.quad addr;							\
	.long kind, why;						\
	.popsection

#define PVK_NATIVE_ONLY(sym)						\
	PVK_LINT_RECORD(sym, PVK_LINT_KIND_SYMBOL, PVK_LINT_WHY_NATIVE)
#define PVK_XEN_EMULATED(sym)						\
	PVK_LINT_RECORD(sym, PVK_LINT_KIND_SYMBOL, PVK_LINT_WHY_XEN_EMULATED)
#define PVK_NATIVE_ONLY_BEGIN						\
	6610: PVK_LINT_RECORD(6610b, PVK_LINT_KIND_BEGIN, PVK_LINT_WHY_NATIVE)
#define PVK_NATIVE_ONLY_END						\
	6611: PVK_LINT_RECORD(6611b, PVK_LINT_KIND_END, PVK_LINT_WHY_NATIVE)

#else /* C */

#define PVK_LINT_STR_(x) #x
#define PVK_LINT_STR(x) PVK_LINT_STR_(x)
/* "i": fn's link-time address, printed bare by %c0; no code is emitted. */
#define PVK_LINT_RECORD_FN(fn, why)					\
	__asm__ __volatile__(						\
		".pushsection .pvk_lint, \"\", @progbits\n\t"		\
		".balign 8\n\t"						\
		".quad %c0\n\t"						\
		".long " PVK_LINT_STR(PVK_LINT_KIND_SYMBOL) ", "	\
			PVK_LINT_STR(why) "\n\t"			\
		".popsection" : : "i"(fn))

#define PVK_NATIVE_ONLY(fn)	PVK_LINT_RECORD_FN(fn, PVK_LINT_WHY_NATIVE)
#define PVK_XEN_EMULATED(fn)	PVK_LINT_RECORD_FN(fn, PVK_LINT_WHY_XEN_EMULATED)

#endif /* __ASSEMBLY__ */

#endif /* PVKIT_PV_LINT_H */
