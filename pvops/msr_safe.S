/*
 * pvops/msr_safe.S - rdmsr/wrmsr that report a #GP instead of dying of it.
 *
 * int pvk_pvops_rdmsr_safe(uint32_t msr %edi, uint64_t *val %rsi)
 * int pvk_pvops_wrmsr_safe(uint32_t msr %edi, uint64_t val %rsi)
 *
 * Both return 0, or -PVK_XEN_EIO when the instruction faulted: the host's
 * #GP handler finds the instruction in pvk_pvops_fixups (fixup.c) and
 * resumes at its pair, with the stack as at the fault (still inside the
 * function, so its ret works). Natively the CPU raises #GP for an unknown
 * MSR; on Xen the PV emulator does the same for MSRs it does not offer.
 */
#include <pvkit/pv_lint.h>
#include <pvkit/xen/errno.h>

	.text

	.globl	pvk_pvops_rdmsr_safe
	.type	pvk_pvops_rdmsr_safe, @function
pvk_pvops_rdmsr_safe:
	movl	%edi, %ecx
.Lrdmsr:
	rdmsr
	shlq	$32, %rdx
	movl	%eax, %eax
	orq	%rdx, %rax
	movq	%rax, (%rsi)
	xorl	%eax, %eax
	ret
.Lrdmsr_fail:
	movl	$-PVK_XEN_EIO, %eax
	ret
	.size	pvk_pvops_rdmsr_safe, . - pvk_pvops_rdmsr_safe
	/* Both worlds: on Xen the PV emulator serves (or refuses) the MSR. */
	PVK_XEN_EMULATED(pvk_pvops_rdmsr_safe)

	.globl	pvk_pvops_wrmsr_safe
	.type	pvk_pvops_wrmsr_safe, @function
pvk_pvops_wrmsr_safe:
	movl	%edi, %ecx
	movl	%esi, %eax
	movq	%rsi, %rdx
	shrq	$32, %rdx
.Lwrmsr:
	wrmsr
	xorl	%eax, %eax
	ret
.Lwrmsr_fail:
	movl	$-PVK_XEN_EIO, %eax
	ret
	.size	pvk_pvops_wrmsr_safe, . - pvk_pvops_wrmsr_safe
	PVK_XEN_EMULATED(pvk_pvops_wrmsr_safe)

	/* struct pvk_fixup { insn, resume } pairs (fixup.c). */
	.section .rodata
	.balign	8
	.globl	pvk_pvops_fixups, pvk_pvops_fixups_end
pvk_pvops_fixups:
	.quad	.Lrdmsr, .Lrdmsr_fail
	.quad	.Lwrmsr, .Lwrmsr_fail
pvk_pvops_fixups_end:

	.section .note.GNU-stack, "", @progbits
