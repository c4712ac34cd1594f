/*
 * pvkit/hypercall.h - calling Xen: the hypercall page, raw calls, typed wrappers.
 *
 * A 64-bit PV guest never executes SYSCALL into Xen itself: Xen writes one
 * 32-byte stub per hypercall number into a page of the guest's text (the
 * hypercall page, see hypercall/page.S) and the guest CALLs stub nr. The
 * register convention (x86-64 PV ABI):
 *
 *	rax	hypercall number in, result out
 *	rdi	argument 1
 *	rsi	argument 2
 *	rdx	argument 3
 *	r10	argument 4
 *	r8	argument 5
 *	rcx, r11 and the argument registers may be clobbered.
 *
 * Everything the kit does with Xen goes through the pvk_hyp_*() wrappers
 * below: each one counts the call (pvkit/hypercall_stats.h) and, with
 * CONFIG_PVK_TRACE, logs its name, arguments and result. The raw
 * pvk_hypercall0..5() macros are for code that must not be counted or
 * traced; prefer the wrappers.
 *
 * Results are Xen's: 0 or a positive value on success, -PVK_XEN_E* on
 * failure (pvkit/xen/errno.h).
 */
#ifndef PVKIT_HYPERCALL_H
#define PVKIT_HYPERCALL_H

/* The page holds PVK_HYPERCALL_SLOTS stubs of PVK_HYPERCALL_SLOT_SIZE bytes. */
#define PVK_HYPERCALL_SLOT_SIZE 32
#define PVK_HYPERCALL_SLOTS     128
#define PVK_HYPERCALL_SLOT(nr)  ((nr) * PVK_HYPERCALL_SLOT_SIZE)

#ifndef __ASSEMBLY__

#include <pvkit/frame.h>
#include <pvkit/types.h>
#include <pvkit/xen/xen.h>

/* The page itself; Xen overwrites it when it builds the domain. */
extern uint8_t pvk_hypercall_page[PVK_HYPERCALL_SLOTS * PVK_HYPERCALL_SLOT_SIZE];

/* ---- The hypercall page ------------------------------------------------ */

/*
 * True once Xen has filled the page. Until then every slot holds
 * "movl $nr, %eax; ud2", so a hypercall made too early raises #UD inside the
 * page instead of returning garbage. Call this early at boot and panic if it
 * is false: the guest's ELF notes or linker script are wrong.
 */
bool pvk_hypercall_page_filled(void);

/*
 * For a fault handler: the hypercall number whose slot contains rip, or -1
 * when rip is outside the hypercall page. A #UD with rip in slot nr of an
 * unfilled page means "hypercall nr was called but Xen never filled the
 * hypercall page" (%rax also holds nr at that point).
 */
int pvk_hypercall_page_slot_of(unsigned long rip);

/* "mmu_update" for PVK_HYPERVISOR_mmu_update; "unknown" for numbers the kit
 * has no name for. For logs and error reports. */
const char *pvk_hypercall_name(unsigned int nr);

/* How many arguments hypercall nr takes on x86-64 (6 when unknown, so that
 * a report shows everything). */
unsigned int pvk_hypercall_nargs(unsigned int nr);

/* "EINVAL" for -PVK_XEN_EINVAL (or PVK_XEN_EINVAL); NULL when the value is
 * not one of Xen's error codes. */
const char *pvk_xen_errno_name(long err);

/* True when a hypercall result is one of Xen's errors (-4095..-1). Results
 * outside that range are values (counts, versions, register contents). */
static inline bool pvk_hypercall_failed(long result)
{
	return result < 0 && result >= -4095;
}

/* ---- Raw calls --------------------------------------------------------- */

/*
 * pvk_hypercallN(nr, args...) -> long. nr must be a compile-time constant
 * (it becomes the call's displacement into the page). The arguments are
 * evaluated into ordinary temporaries first, then moved into their
 * registers, so an argument expression that calls a function cannot
 * clobber a register already loaded. Not counted, not traced.
 */
#define PVK_HYPERCALL_ASM "call pvk_hypercall_page + %c[slot]"

#define pvk_hypercall0(nr) ({						\
	long __res;							\
	__asm__ __volatile__(PVK_HYPERCALL_ASM				\
			     : "=a" (__res)				\
			     : [slot] "i" (PVK_HYPERCALL_SLOT(nr))	\
			     : "rcx", "r11", "memory");			\
	__res;								\
})

#define pvk_hypercall1(nr, a1) ({					\
	unsigned long __v1 = (unsigned long)(a1);			\
	register unsigned long __r1 __asm__("rdi") = __v1;		\
	long __res;							\
	__asm__ __volatile__(PVK_HYPERCALL_ASM				\
			     : "=a" (__res), "+r" (__r1)		\
			     : [slot] "i" (PVK_HYPERCALL_SLOT(nr))	\
			     : "rcx", "r11", "memory");			\
	__res;								\
})

#define pvk_hypercall2(nr, a1, a2) ({					\
	unsigned long __v1 = (unsigned long)(a1);			\
	unsigned long __v2 = (unsigned long)(a2);			\
	register unsigned long __r1 __asm__("rdi") = __v1;		\
	register unsigned long __r2 __asm__("rsi") = __v2;		\
	long __res;							\
	__asm__ __volatile__(PVK_HYPERCALL_ASM				\
			     : "=a" (__res), "+r" (__r1), "+r" (__r2)	\
			     : [slot] "i" (PVK_HYPERCALL_SLOT(nr))	\
			     : "rcx", "r11", "memory");			\
	__res;								\
})

#define pvk_hypercall3(nr, a1, a2, a3) ({				\
	unsigned long __v1 = (unsigned long)(a1);			\
	unsigned long __v2 = (unsigned long)(a2);			\
	unsigned long __v3 = (unsigned long)(a3);			\
	register unsigned long __r1 __asm__("rdi") = __v1;		\
	register unsigned long __r2 __asm__("rsi") = __v2;		\
	register unsigned long __r3 __asm__("rdx") = __v3;		\
	long __res;							\
	__asm__ __volatile__(PVK_HYPERCALL_ASM				\
			     : "=a" (__res), "+r" (__r1), "+r" (__r2),	\
			       "+r" (__r3)				\
			     : [slot] "i" (PVK_HYPERCALL_SLOT(nr))	\
			     : "rcx", "r11", "memory");			\
	__res;								\
})

#define pvk_hypercall4(nr, a1, a2, a3, a4) ({				\
	unsigned long __v1 = (unsigned long)(a1);			\
	unsigned long __v2 = (unsigned long)(a2);			\
	unsigned long __v3 = (unsigned long)(a3);			\
	unsigned long __v4 = (unsigned long)(a4);			\
	register unsigned long __r1 __asm__("rdi") = __v1;		\
	register unsigned long __r2 __asm__("rsi") = __v2;		\
	register unsigned long __r3 __asm__("rdx") = __v3;		\
	register unsigned long __r4 __asm__("r10") = __v4;		\
	long __res;							\
	__asm__ __volatile__(PVK_HYPERCALL_ASM				\
			     : "=a" (__res), "+r" (__r1), "+r" (__r2),	\
			       "+r" (__r3), "+r" (__r4)			\
			     : [slot] "i" (PVK_HYPERCALL_SLOT(nr))	\
			     : "rcx", "r11", "memory");			\
	__res;								\
})

#define pvk_hypercall5(nr, a1, a2, a3, a4, a5) ({			\
	unsigned long __v1 = (unsigned long)(a1);			\
	unsigned long __v2 = (unsigned long)(a2);			\
	unsigned long __v3 = (unsigned long)(a3);			\
	unsigned long __v4 = (unsigned long)(a4);			\
	unsigned long __v5 = (unsigned long)(a5);			\
	register unsigned long __r1 __asm__("rdi") = __v1;		\
	register unsigned long __r2 __asm__("rsi") = __v2;		\
	register unsigned long __r3 __asm__("rdx") = __v3;		\
	register unsigned long __r4 __asm__("r10") = __v4;		\
	register unsigned long __r5 __asm__("r8") = __v5;		\
	long __res;							\
	__asm__ __volatile__(PVK_HYPERCALL_ASM				\
			     : "=a" (__res), "+r" (__r1), "+r" (__r2),	\
			       "+r" (__r3), "+r" (__r4), "+r" (__r5)	\
			     : [slot] "i" (PVK_HYPERCALL_SLOT(nr))	\
			     : "rcx", "r11", "memory");			\
	__res;								\
})

/* ---- Typed wrappers: CPU state ------------------------------------------ */

/* Install the guest's trap table (zero-terminated array of trap_info; the
 * entry with address 0 ends it). NULL clears it. */
long pvk_hyp_set_trap_table(const struct pvk_trap_info *table);

/* Point the GDT at `entries` descriptors in the (read-only mapped) frames. */
long pvk_hyp_set_gdt(const pvk_mfn_t *frames, unsigned int entries);

/* Tell Xen which kernel stack (ss:rsp) to use on the next guest kernel
 * entry from user mode. */
long pvk_hyp_stack_switch(unsigned long ss, unsigned long rsp);

/* Set (set != 0) or clear CR0.TS. */
long pvk_hyp_fpu_taskswitch(int set);

/* Write debug register reg (0..7). */
long pvk_hyp_set_debugreg(int reg, unsigned long value);

/*
 * Read debug register reg. Xen's interface is defective: for a bad reg it
 * returns (unsigned long)-EINVAL, indistinguishable from a register value.
 * So this wrapper refuses reg > 7 itself, returning -PVK_XEN_EINVAL, and
 * stores the register's value in *value on success.
 */
long pvk_hyp_get_debugreg(int reg, unsigned long *value);

/* Write an 8-byte descriptor at machine address maddr (in a GDT/LDT page). */
long pvk_hyp_update_descriptor(uint64_t maddr, uint64_t desc);

/* Load an FS/GS base (which: PVK_SEGBASE_*). */
long pvk_hyp_set_segment_base(unsigned int which, unsigned long base);

/*
 * Return from an exception or interrupt through Xen: restores the frame in
 * *ctx (layout struct pvk_iret_context; flags may hold
 * PVK_VGCF_in_syscall). Never returns. The frame is copied onto the current
 * stack first, so ctx may live anywhere readable. Assembly exception paths
 * that already have the frame on their stack jump straight to
 * pvk_hypercall_page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_iret) instead
 * (those returns are then not counted).
 */
__pvk_noreturn void pvk_hyp_iret(const struct pvk_iret_context *ctx);

/* VCPU operations (PVK_VCPUOP_*) on virtual CPU vcpu. */
long pvk_hyp_vcpu_op(int cmd, unsigned int vcpu, void *arg);

/* Register or unregister event/failsafe/syscall/NMI callbacks
 * (PVK_CALLBACKOP_*). */
long pvk_hyp_callback_op(int cmd, const void *arg);

/*
 * Scheduler operations (PVK_SCHEDOP_*): yield, block, poll, shutdown...
 * A successful PVK_SCHEDOP_shutdown does not return.
 */
long pvk_hyp_sched_op(int cmd, void *arg);

/* One-shot timer at absolute Xen system time `timeout` (ns); 0 cancels. */
long pvk_hyp_set_timer_op(uint64_t timeout);

/* Enable or disable a VM assist (cmd PVK_VMASST_CMD_*, type PVK_VMASST_TYPE_*). */
long pvk_hyp_vm_assist(unsigned int cmd, unsigned int type);

/* ---- Typed wrappers: memory --------------------------------------------- */

/*
 * Apply count page-table updates on behalf of domid (PVK_DOMID_SELF for
 * our own). *done (may be NULL) receives how many were applied; on error
 * the first *done succeeded and entry *done failed.
 */
long pvk_hyp_mmu_update(const struct pvk_mmu_update *req, unsigned int count,
			unsigned int *done, pvk_domid_t domid);

/* Extended MMU operations (pin/unpin tables, new base pointer, TLB
 * flushes...); *done as for mmu_update. */
long pvk_hyp_mmuext_op(const struct pvk_mmuext_op *op, unsigned int count,
		       unsigned int *done, pvk_domid_t domid);

/* Write the PTE mapping virtual address va, then flush per flags
 * (PVK_UVMF_*). */
long pvk_hyp_update_va_mapping(unsigned long va, uint64_t pte,
			       unsigned long flags);

/* Memory reservation and physmap operations (PVK_XENMEM_*). Some commands
 * return a count or a frame number rather than 0. */
long pvk_hyp_memory_op(unsigned int cmd, void *arg);

/* Grant table operations (PVK_GNTTABOP_*) on an array of count ops. */
long pvk_hyp_grant_table_op(unsigned int cmd, void *ops, unsigned int count);

/* ---- Typed wrappers: events, devices, information ------------------------ */

/* Event channel operations (PVK_EVTCHNOP_*). */
long pvk_hyp_event_channel_op(int cmd, void *arg);

/* Physical device operations (PVK_PHYSDEVOP_*). */
long pvk_hyp_physdev_op(int cmd, void *arg);

/* Xen version and feature queries (PVK_XENVER_*); PVK_XENVER_version
 * returns (major << 16) | minor. */
long pvk_hyp_xen_version(int cmd, void *arg);

/* Xen's own console (PVK_CONSOLEIO_write / _read) on count bytes at buf. */
long pvk_hyp_console_io(int cmd, unsigned int count, char *buf);

/*
 * Issue nr_calls hypercalls as one. Returns the multicall's own status;
 * each entry's result is in entries[i].result. Counted as one hypercall
 * plus nr_calls multicall entries. Most code wants the batcher in
 * pvkit/multicall.h rather than this.
 */
long pvk_hyp_multicall(struct pvk_multicall_entry *entries,
		       unsigned int nr_calls);

#endif /* !__ASSEMBLY__ */
#endif /* PVKIT_HYPERCALL_H */
