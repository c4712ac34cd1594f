/*
 * hypercall/wrappers.c - the typed pvk_hyp_*() wrappers of pvkit/hypercall.h.
 *
 * Every wrapper is the same steps: count the call, note it as this CPU's
 * latest (for a crash report), make it through the hypercall page, note
 * its result, trace it (CONFIG_PVK_TRACE). HYP_CALL() spells them out once;
 * the arguments are kept in an array so the record and the trace see them
 * as they went in (Xen may clobber the argument registers).
 */
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include "iret.h"
#include "trace.h"

#define HYP_NR(name) PVK_HYPERVISOR_##name

/* The steps around the call itself, for __a[0 .. n - 1]: count, note it
 * for a crash report (hypercall/last.c), call, note the result, trace. */
#define HYP_CALL(name, n, call) ({					\
	long __rc;							\
	unsigned long __tok;						\
	pvk_hypercall_account(HYP_NR(name));				\
	__tok = pvk_hypercall_note_call(HYP_NR(name), __a, n);		\
	__rc = (call);							\
	pvk_hypercall_note_result(__tok, HYP_NR(name), __a, n, __rc);	\
	pvk_hypercall_trace(HYP_NR(name), __a, n, __rc);		\
	__rc;								\
})

#define HYP1(name, a1) ({						\
	unsigned long __a[] = { (unsigned long)(a1) };			\
	HYP_CALL(name, 1, pvk_hypercall1(HYP_NR(name), __a[0]));	\
})

#define HYP2(name, a1, a2) ({						\
	unsigned long __a[] = { (unsigned long)(a1), (unsigned long)(a2) }; \
	HYP_CALL(name, 2, pvk_hypercall2(HYP_NR(name), __a[0], __a[1])); \
})

#define HYP3(name, a1, a2, a3) ({					\
	unsigned long __a[] = { (unsigned long)(a1), (unsigned long)(a2), \
				(unsigned long)(a3) };			\
	HYP_CALL(name, 3, pvk_hypercall3(HYP_NR(name), __a[0], __a[1], __a[2])); \
})

#define HYP4(name, a1, a2, a3, a4) ({					\
	unsigned long __a[] = { (unsigned long)(a1), (unsigned long)(a2), \
				(unsigned long)(a3), (unsigned long)(a4) }; \
	HYP_CALL(name, 4, pvk_hypercall4(HYP_NR(name), __a[0], __a[1],	\
					 __a[2], __a[3]));		\
})

/* ---- CPU state ----------------------------------------------------------- */

long pvk_hyp_set_trap_table(const struct pvk_trap_info *table)
{
	return HYP1(set_trap_table, table);
}

long pvk_hyp_set_gdt(const pvk_mfn_t *frames, unsigned int entries)
{
	/* Xen reads the list as xen_pfn_t, 8 bytes each, like pvk_mfn_t. */
	PVK_BUILD_BUG_ON(sizeof(pvk_mfn_t) != sizeof(pvk_xen_pfn_t));
	return HYP2(set_gdt, frames, entries);
}

long pvk_hyp_stack_switch(unsigned long ss, unsigned long rsp)
{
	return HYP2(stack_switch, ss, rsp);
}

long pvk_hyp_fpu_taskswitch(int set)
{
	return HYP1(fpu_taskswitch, set);
}

long pvk_hyp_set_debugreg(int reg, unsigned long value)
{
	return HYP2(set_debugreg, reg, value);
}

long pvk_hyp_get_debugreg(int reg, unsigned long *value)
{
	if (reg < 0 || reg > 7)
		return -PVK_XEN_EINVAL;
	*value = (unsigned long)HYP1(get_debugreg, reg);
	return 0;
}

long pvk_hyp_update_descriptor(uint64_t maddr, uint64_t desc)
{
	return HYP2(update_descriptor, maddr, desc);
}

long pvk_hyp_set_segment_base(unsigned int which, unsigned long base)
{
	return HYP2(set_segment_base, which, base);
}

/* The offsets iret.S uses must be the ABI structure's. */
#define IRET_AT(field, off) \
	PVK_BUILD_BUG_ON(offsetof(struct pvk_iret_context, field) != (off))
IRET_AT(rax, PVK_IRET_RAX);
IRET_AT(r11, PVK_IRET_R11);
IRET_AT(rcx, PVK_IRET_RCX);
IRET_AT(flags, PVK_IRET_FLAGS);
IRET_AT(rip, PVK_IRET_RIP);
IRET_AT(cs, PVK_IRET_CS);
IRET_AT(rflags, PVK_IRET_RFLAGS);
IRET_AT(rsp, PVK_IRET_RSP);
IRET_AT(ss, PVK_IRET_SS);
PVK_BUILD_BUG_ON(sizeof(struct pvk_iret_context) != PVK_IRET_SIZE);

void pvk_hyp_iret(const struct pvk_iret_context *ctx)
{
	unsigned long a[] = { ctx->rip, ctx->cs, ctx->rflags, ctx->rsp,
			      ctx->ss, ctx->flags };

	pvk_hypercall_account(PVK_HYPERVISOR_iret);
	pvk_hypercall_note_call(PVK_HYPERVISOR_iret, a, PVK_ARRAY_SIZE(a));
	/* iret takes no register arguments; trace the frame instead. */
	pvk_hypercall_trace_enter(PVK_HYPERVISOR_iret, a, PVK_ARRAY_SIZE(a));
	pvk_hypercall_iret_enter(ctx);
}

long pvk_hyp_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	return HYP3(vcpu_op, cmd, vcpu, arg);
}

long pvk_hyp_callback_op(int cmd, const void *arg)
{
	return HYP2(callback_op, cmd, arg);
}

long pvk_hyp_sched_op(int cmd, void *arg)
{
	/* A shutdown that works never comes back: say so before it happens. */
	if (cmd == PVK_SCHEDOP_shutdown) {
		unsigned long a[] = { (unsigned long)cmd, (unsigned long)arg };

		pvk_hypercall_trace_enter(PVK_HYPERVISOR_sched_op, a, 2);
	}
	return HYP2(sched_op, cmd, arg);
}

long pvk_hyp_set_timer_op(uint64_t timeout)
{
	return HYP1(set_timer_op, timeout);
}

long pvk_hyp_vm_assist(unsigned int cmd, unsigned int type)
{
	return HYP2(vm_assist, cmd, type);
}

/* ---- Memory -------------------------------------------------------------- */

long pvk_hyp_mmu_update(const struct pvk_mmu_update *req, unsigned int count,
			unsigned int *done, pvk_domid_t domid)
{
	return HYP4(mmu_update, req, count, done, domid);
}

long pvk_hyp_mmuext_op(const struct pvk_mmuext_op *op, unsigned int count,
		       unsigned int *done, pvk_domid_t domid)
{
	return HYP4(mmuext_op, op, count, done, domid);
}

long pvk_hyp_update_va_mapping(unsigned long va, uint64_t pte,
			       unsigned long flags)
{
	return HYP3(update_va_mapping, va, pte, flags);
}

long pvk_hyp_memory_op(unsigned int cmd, void *arg)
{
	return HYP2(memory_op, cmd, arg);
}

long pvk_hyp_grant_table_op(unsigned int cmd, void *ops, unsigned int count)
{
	return HYP3(grant_table_op, cmd, ops, count);
}

/* ---- Events, devices, information ------------------------------------------ */

long pvk_hyp_event_channel_op(int cmd, void *arg)
{
	return HYP2(event_channel_op, cmd, arg);
}

long pvk_hyp_physdev_op(int cmd, void *arg)
{
	return HYP2(physdev_op, cmd, arg);
}

long pvk_hyp_xen_version(int cmd, void *arg)
{
	return HYP2(xen_version, cmd, arg);
}

long pvk_hyp_console_io(int cmd, unsigned int count, char *buf)
{
	return HYP3(console_io, cmd, count, buf);
}

long pvk_hyp_multicall(struct pvk_multicall_entry *entries,
		       unsigned int nr_calls)
{
	pvk_hypercall_account_multicall(nr_calls);
	return HYP2(multicall, entries, nr_calls);
}
