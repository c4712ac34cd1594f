/*
 * tests/lint/sample.S - known privileged instructions for pv-lint's
 * self-test (run.sh): some marked, some allowed by sample.allow, the rest
 * findings that expected.txt lists. Never run; only disassembled.
 */
#include <pvkit/pv_lint.h>

	.text
	.globl	_start
	.type	_start, @function
_start:					/* unmarked: every line here but the */
	cli				/* legal ones is a finding */
	mov	%cr3, %rax
	mov	%rax, %cr0
	mov	%db7, %rax
	wrmsr
	rdmsr
	lgdt	(%rax)
	lidt	(%rax)
	lldt	%ax
	ltr	%ax
	invlpg	(%rax)
	invpcid	(%rax), %rax
	hlt
	swapgs
	sysretq
	iretq
	inb	$0x80, %al
	outw	%ax, %dx
	rep insb
	outsl
	wbinvd
	invd
	clts
	lmsw	%ax
	xsetbv
	popfq
	pushfq
	sgdt	(%rax)
	str	%ax
	smsw	%ax
	/* legal in ring 3: not findings */
	rdtsc
	cpuid
	pushq	%rax
	popq	%rax
	int	$0x80
	syscall
	inc	%eax
	/* Xen's forced-emulation prefix: objdump decodes "xen" as js; outsb */
	ud2
	.ascii	"xen"
	cpuid
	ret
	.size	_start, . - _start

	.type	marked, @function
marked:
	cli
	wrmsr
	ret
	.size	marked, . - marked
	PVK_NATIVE_ONLY(marked)

	.type	emulated, @function
emulated:
	mov	%cr0, %rax
	ret
	.size	emulated, . - emulated
	PVK_XEN_EMULATED(emulated)

	/* a label without .size: its range ends at the next symbol */
unsized:
	hlt
	ret
	PVK_NATIVE_ONLY(unsized)
after_unsized:
	sti				/* finding: after the unsized label */

	.type	stretch, @function
stretch:
	nop
	PVK_NATIVE_ONLY_BEGIN
	sti
	hlt
	PVK_NATIVE_ONLY_END
	cli				/* finding: just past END */
	ret
	.size	stretch, . - stretch

	.type	allowed_fn, @function
allowed_fn:
	outb	%al, $0x80
	ret
	.size	allowed_fn, . - allowed_fn

	.section .note.GNU-stack, "", @progbits
