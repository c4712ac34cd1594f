/*
 * pvkit/pvops_callbacks.h - the Xen PV callbacks a kernel with user mode
 * needs besides the event upcall: SYSCALL from 64-bit user space and the
 * failsafe callback.
 *
 * A 64-bit PV kernel runs in ring 3 like its programs, so a user SYSCALL
 * traps into Xen, which switches to the kernel's page tables (the L4 of
 * MMUEXT_NEW_BASEPTR; user mode runs on the one of MMUEXT_NEW_USER_BASEPTR)
 * and to the stack of the last stack_switch, and bounces to the syscall
 * callback (pvops/xen_syscall.S: the frame, the return). The kit's entry
 * saves every register in struct pvk_syscall_regs, calls the host's
 * handler, and returns to user space with HYPERVISOR_iret and
 * VGCF_in_syscall (SYSRET semantics: %rcx and %r11 are clobbered, as the
 * user program expects from SYSCALL).
 *
 * The failsafe callback (pvops/xen_failsafe.S) is where Xen goes when it
 * cannot put the guest's own data segments back: switching to a vCPU, Xen
 * reloads its saved %ds/%es/%fs/%gs selectors (load_segments), and one of
 * them faulted, e.g. a selector made invalid by a GDT/LDT change while the
 * vCPU was descheduled, or given in VCPUOP_initialise (the guest test
 * usermode_failsafe does that). A faulting IRET to the guest frame is not
 * a failsafe case on the Xen we test on: the guest gets a #GP instead. The
 * kit prints a decoded report and panics: there is no state to return to.
 */
#ifndef PVKIT_PVOPS_CALLBACKS_H
#define PVKIT_PVOPS_CALLBACKS_H

#include <pvkit/asm/frame.h>
#include <pvkit/types.h>

/* What the syscall entry saved, lowest address first (see xen_syscall.S). */
struct pvk_syscall_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;	/* rax: number, then result */
	uint64_t iret_flags;	/* the entry sets PVK_VGCF_in_syscall */
	uint64_t rip;		/* where the program resumes (its %rcx at SYSCALL) */
	uint64_t cs;		/* not meaningful: the entry returns with FLAT_USER_CS */
	uint64_t rflags;	/* the program's (its %r11 at SYSCALL) */
	uint64_t rsp;		/* the program's stack */
	uint64_t ss;		/* not meaningful: the entry returns with FLAT_USER_SS */
};
PVK_ALL_REGS_LAYOUT_CHECK(struct pvk_syscall_regs, iret_flags);

/* The failsafe frame Xen builds, lowest address first. */
struct pvk_failsafe_frame {
	uint64_t rcx, r11;
	uint64_t ds, es, fs, gs;	/* the selectors Xen tried to load */
	uint64_t rip, cs, rflags, rsp, ss;
};

/*
 * Called by the syscall entry with events masked, on the kernel stack of
 * the last stack_switch. May change any field (rax is the result) and
 * return, or never return (the program exits): the entry keeps nothing on
 * the stack that must be unwound.
 */
typedef void (*pvk_syscall_handler_t)(struct pvk_syscall_regs *regs);

/*
 * Registers the kit's syscall entry (CALLBACKTYPE_syscall, events masked)
 * calling handler, and the failsafe entry (CALLBACKTYPE_failsafe). 0 or the
 * negative Xen error of the first refused registration (logged).
 * Host: calls it once before the first return to user mode, and sets the
 * kernel stack for user entries with pvk_stack_switch().
 */
int pvk_xen_callbacks_register(pvk_syscall_handler_t handler);

/* The handler the syscall entry calls (NULL before registration). */
extern pvk_syscall_handler_t pvk_xen_syscall_handler;

/* Entry points (assembly), for the registration and for reports. */
void pvk_xen_syscall_entry(void);
void pvk_xen_failsafe_entry(void);

/* The failsafe entry's C part: report, then pvk_port_panic(). */
__pvk_noreturn void pvk_xen_failsafe(const struct pvk_failsafe_frame *frame);

#endif /* PVKIT_PVOPS_CALLBACKS_H */
