/*
 * pvops/xen_failsafe.S - pvk_xen_failsafe_entry: Xen could not return to
 * the guest (CALLBACKTYPE_failsafe; when, see pvops_callbacks.h).
 *
 * Xen builds this frame on the kernel stack (struct pvk_failsafe_frame):
 *
 *   offset | contents
 *   -------+-------------------------------------------------------------
 *    +0x00 | %rcx
 *    +0x08 | %r11
 *    +0x10 | %ds selector  \
 *    +0x18 | %es selector   | the ones Xen was loading: one of them
 *    +0x20 | %fs selector   | is what faulted
 *    +0x28 | %gs selector  /
 *    +0x30 | %rip   \
 *    +0x38 | %cs     | where the guest was to resume (%cs bits 32-39:
 *    +0x40 | %rflags | the upcall mask)
 *    +0x48 | %rsp    |
 *    +0x50 | %ss    /
 *
 * There is nothing to resume: hand the frame to pvk_xen_failsafe() on an
 * aligned stack; it reports and panics.
 */
	.text
	.code64
	.globl	pvk_xen_failsafe_entry
	.type	pvk_xen_failsafe_entry, @function
pvk_xen_failsafe_entry:
	movq	%rsp, %rdi
	andq	$-16, %rsp
	call	pvk_xen_failsafe
	ud2
	.size	pvk_xen_failsafe_entry, . - pvk_xen_failsafe_entry
