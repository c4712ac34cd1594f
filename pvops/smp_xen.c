/*
 * pvops/smp_xen.c - the smp ops of a PV guest (vCPUs) and the Xen steps
 * of smp/'s bring-up (struct pvk_smp_world): counting the vCPUs, each
 * vCPU's vcpu_info, event state and IPI port before it starts, its
 * VCPUOP_initialise context, VCPUOP_up/down, IPIs as events on per-vCPU
 * IPI ports, and TLB shootdowns as one MMUEXT_*_MULTI.
 *
 * A vCPU is initialised once: Xen refuses a second VCPUOP_initialise
 * (-EEXIST) and a stopped vCPU keeps its context (but for a resume in a
 * new domain, where a vCPU that was down is uninitialised again:
 * xen_smp_forget()). So a vCPU stops in stop_self, which first moves to
 * the vCPU's own wake stack and there does VCPUOP_down on itself
 * (xen_cpu_park()); when VCPUOP_up wakes it, the hypercall returns on
 * that stack, it flushes its TLB and goes to xen_cpu_wake(), where its
 * first start also begins: both take the boot that cpu_start left in
 * restart[cpu] (that start's stack, GS base and entry). The dying
 * thread's stack is left before the vCPU goes down, so the host may free
 * it once the vCPU is seen down.
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/smp.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>
#include <pvkit/xen/xen.h>

#include "pvops_internal.h"
#include "../smp/smp_internal.h"

/* Xen reads the vcpumask of MMUEXT_*_MULTI as a bitmap of the domain's
 * max vCPUs: our words beyond PVK_MAX_CPUS stay 0. Domains with more
 * vCPUs than PVK_MAX_CPUS are driven with their first PVK_MAX_CPUS only;
 * beyond XEN_MAX_COUNT (exactly that many still fit) the mask would be
 * too short and init refuses (the kit then runs on one CPU, whose
 * flushes are local). */
#define XEN_MASK_WORDS	16
#define XEN_MAX_COUNT	(XEN_MASK_WORDS * 64)

/* The 64-bit PV hypervisor hole, which no guest va flush may name. */
#define XEN_HOLE_START	0xffff800000000000UL
#define XEN_HOLE_END	0xffff880000000000UL

/* The stack a new or restarted vCPU begins on holds nothing: this sets
 * up the C call (return address slot, %rsp % 16 == 8 at entry) and traps
 * if entry ever returns. %rdi = arg, %rsi = entry, %rsp = stack_top. */
void pvk_xen_cpu_entry(void);
__asm__(".pushsection .text\n"
	".globl pvk_xen_cpu_entry\n"
	".type pvk_xen_cpu_entry, @function\n"
	"pvk_xen_cpu_entry:\n"
	"	xorl %ebp, %ebp\n"
	"	call *%rsi\n"
	"	ud2\n"
	".size pvk_xen_cpu_entry, . - pvk_xen_cpu_entry\n"
	".popsection\n");

static unsigned int xen_vcpus;			/* the domain's, counted */
static pvk_evtchn_port_t ipi_port[PVK_MAX_CPUS];
static uint64_t ipi_bound;			/* bit cpu: ipi_port[cpu] valid */
static uint64_t initialised;			/* bit cpu: VCPUOP_initialise done */

/* cpu_start's boot for the vCPU it wakes; written before every
 * VCPUOP_up, read by that vCPU in xen_cpu_wake(). */
static struct pvk_cpu_boot restart[PVK_MAX_CPUS];

/* Each vCPU's own stack for going down and coming back (xen_cpu_park(),
 * xen_cpu_wake()): the kit's, so that neither a first start nor a
 * restart runs on a stack the host gave to an earlier start (it may have
 * been freed). Idle while the vCPU is online. 4 KiB: besides the
 * hypercalls, the failure paths run pvk_port_panic() on it (the host's
 * panic and log formatting). */
#define WAKE_STACK	4096
static uint8_t wake_stack[PVK_MAX_CPUS][WAKE_STACK] __attribute__((aligned(16)));

static unsigned long wake_stack_top(unsigned int cpu)
{
	return (unsigned long)&wake_stack[cpu][WAKE_STACK];
}

/*
 * Where every start of a vCPU begins, on its wake stack: the first one
 * (VCPUOP_initialise's context points here) and each restart
 * (xen_cpu_park() comes here once VCPUOP_up woke it). It takes the boot of the start that
 * woke it from restart[cpu], so a start that follows a failed VCPUOP_up
 * still runs its own boot, not the one the context was made with.
 */
static __pvk_noreturn __attribute__((used)) void xen_cpu_wake(unsigned long cpu)
{
	struct pvk_cpu_boot b;

	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	b = restart[cpu];
	/* Raw calls, as in xen_cpu_park(): the wrappers note each call in a
	 * per-CPU record found with pvk_port_cpu_id(), which reads the GS
	 * base these two calls are loading (review s10-15b #1). */
	pvk_hypercall_account(PVK_HYPERVISOR_set_segment_base);
	pvk_hypercall_account(PVK_HYPERVISOR_stack_switch);
	if (pvk_hypercall2(PVK_HYPERVISOR_set_segment_base, PVK_SEGBASE_GS_KERNEL, b.gs_base) ||
	    pvk_hypercall2(PVK_HYPERVISOR_stack_switch, PVK_FLAT_KERNEL_SS, b.stack_top))
		pvk_port_panic("smp xen: started vCPU cannot load its GS base or stack");
	__asm__ __volatile__("movq %0, %%rsp\n\t"
			     "jmp pvk_xen_cpu_entry"
			     : : "r"(b.stack_top), "D"(b.arg), "S"(b.entry) : "memory");
	__builtin_unreachable();
}

/* Big (5 KiB) and used under smp/'s start lock only: one for all. */
static struct pvk_vcpu_guest_context start_ctx;

static bool ipi_event(__pvk_unused pvk_evtchn_port_t port, __pvk_unused void *arg)
{
	pvk_smp_ipi_received();
	return true;
}

static int bind_ipi(unsigned int cpu)
{
	int rc;

	if (ipi_bound & (1ULL << cpu)) {
		/* Kept over a stop (masked by dead()): open it again. */
		pvk_evtchn_unmask(ipi_port[cpu]);
		return 0;
	}
	rc = pvk_evtchn_bind_ipi(cpu, ipi_event, NULL, &ipi_port[cpu]);
	if (rc) {
		pvk_err("smp xen: vCPU %u: EVTCHNOP_bind_ipi failed: %d", cpu, rc);
		return rc;
	}
	__atomic_fetch_or(&ipi_bound, 1ULL << cpu, __ATOMIC_RELEASE);
	return 0;
}

static int xen_smp_init(unsigned int *nr)
{
	unsigned int id;
	long rc;
	int err;

	/* VCPUOP_is_up answers 0 or 1 for each vCPU the domain has
	 * (max_vcpus of its config) and -ENOENT past the last. */
	for (id = 0; id <= XEN_MAX_COUNT; id++) {
		rc = pvk_hyp_vcpu_op(PVK_VCPUOP_is_up, id, NULL);
		if (rc == -PVK_XEN_ENOENT)
			break;
		if (rc < 0) {
			pvk_err("smp xen: VCPUOP_is_up(%u) failed: %ld", id, rc);
			return (int)rc;
		}
		if (id && rc == 1 && id < PVK_MAX_CPUS)
			pvk_warn("smp xen: vCPU %u is already up (not started by the kit)", id);
	}
	if (id > XEN_MAX_COUNT) {
		/* Xen reads a MULTI flush's vcpumask for all the domain's
		 * vCPUs: ours is XEN_MASK_WORDS words, so more vCPUs would
		 * make it read past it (XEN_MAX_COUNT of them still fit). */
		pvk_err("smp xen: more than %u vCPUs: the kit's vcpumask covers %u only; one CPU",
			XEN_MAX_COUNT, XEN_MAX_COUNT);
		return -PVK_XEN_E2BIG;
	}
	xen_vcpus = id ? id : 1;
	*nr = xen_vcpus;
	err = pvk_xen_vcpu_info_prepare(0);
	if (err) {
		pvk_err("smp xen: vCPU 0's vcpu_info cannot be placed: %d", err);
		return err;
	}
	return bind_ipi(0);
}

static int xen_smp_prepare(unsigned int cpu)
{
	struct pvk_vcpu_info *vi;
	int rc;

	rc = pvk_xen_vcpu_info_prepare(cpu);
	if (rc)
		return rc;
	/* The new vCPU starts with upcalls masked (the contract: irqs off
	 * until the host enables them). Xen resets the mask to 1 for a new
	 * vCPU; a restarted one keeps what it had when it stopped (1). */
	vi = pvk_xen_vcpu_info(cpu);
	if (!vi)
		return -PVK_XEN_EINVAL;
	PVK_WRITE_ONCE(vi->evtchn_upcall_mask, 1);
	rc = pvk_evtchn_cpu_prepare(cpu);
	if (rc)
		return rc;
	return bind_ipi(cpu);
}

static int xen_smp_up_here(unsigned int cpu)
{
	struct pvk_vcpu_info *vi = pvk_xen_vcpu_info(cpu);

	/* What Xen cannot do for us remotely is nothing: check that the
	 * host's pvk_port_cpu_id() and our state agree. */
	if (!vi || !PVK_READ_ONCE(vi->evtchn_upcall_mask)) {
		pvk_err("smp xen: vCPU %u: %s", cpu,
			vi ? "started with upcalls unmasked" : "no vcpu_info");
		return -PVK_XEN_EINVAL;
	}
	if (!(__atomic_load_n(&ipi_bound, __ATOMIC_ACQUIRE) & (1ULL << cpu)))
		return -PVK_XEN_EINVAL;
	return 0;
}

static void xen_smp_dead(unsigned int cpu)
{
	/* Its IPI port stays bound to it, masked, for its next start. */
	if (ipi_bound & (1ULL << cpu))
		pvk_evtchn_mask(ipi_port[cpu]);
	pvk_evtchn_cpu_dead(cpu);
}

static bool xen_smp_is_down(unsigned int cpu)
{
	return pvk_hyp_vcpu_op(PVK_VCPUOP_is_up, cpu, NULL) == 0;
}

/* Our vCPUs may outnumber the physical CPUs Xen gives us: yield so that
 * the one we wait for runs. */
static void xen_smp_relax(void)
{
	pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
}

/*
 * After a resume in a new domain (smp/'s pvk_smp_suspend_end(), cpu down
 * across it): the toolstack saved no vCPU that was down, so the new
 * domain has cpu uninitialised, without a registered vcpu_info or an IPI
 * port (the time and events parts forgot their own state of it in their
 * resume). Its next start initialises it again (VCPUOP_initialise with a
 * fresh context: VCPUOP_up alone is refused for an uninitialised vCPU).
 */
static void xen_smp_forget(unsigned int cpu)
{
	initialised &= ~(1ULL << cpu);
	/* pvk_xen_smp_resume() cleared every bit already; again here so
	 * that forget() alone leaves nothing of cpu (a second line). */
	__atomic_fetch_and(&ipi_bound, ~(1ULL << cpu), __ATOMIC_RELEASE);
	pvk_xen_vcpu_info_forget(cpu);
}

const struct pvk_smp_world pvk_xen_smp_world = {
	.init = xen_smp_init,
	.prepare = xen_smp_prepare,
	.up_here = xen_smp_up_here,
	.dead = xen_smp_dead,
	.is_down = xen_smp_is_down,
	.relax = xen_smp_relax,
	.forget = xen_smp_forget,
};

/*
 * The context Xen checks in arch_set_info_guest: canonical addresses,
 * VGCF_in_kernel (else a user page table is demanded), the root page
 * table it takes a root-table type reference on, the GDT frames it types
 * as descriptor pages. Not VGCF_online: Xen then leaves the vCPU down
 * until VCPUOP_up, the one way that also restarts it later.
 */
static void fill_context(struct pvk_vcpu_guest_context *c, unsigned int cpu,
			 const struct pvk_cpu_boot *boot)
{
	__builtin_memset(c, 0, sizeof(*c));
	/* The failsafe and syscall callbacks mask events on entry on the
	 * boot vCPU (CALLBACKF_mask_events); these flags say the same. */
	c->flags = PVK_VGCF_in_kernel | PVK_VGCF_failsafe_disables_events |
		   PVK_VGCF_syscall_disables_events;
	/* xen_cpu_wake(cpu) on its wake stack, as if called (%rsp % 16 ==
	 * 8 at a function's entry); it takes the boot from restart[cpu]. */
	c->user_regs.rip = (uint64_t)(unsigned long)xen_cpu_wake;
	c->user_regs.rsp = wake_stack_top(cpu) - 8;
	c->user_regs.rdi = cpu;
	c->user_regs.cs = PVK_FLAT_KERNEL_CS;
	c->user_regs.ss = PVK_FLAT_KERNEL_SS;
	/* IF is Xen's business (it forces the real one on); the guest's
	 * "interrupts" are the vcpu_info mask, which is 1. IOPL 0: the new
	 * vCPU has no port I/O until the host asks (set_iopl), like the
	 * boot vCPU of a domU. Bit 1 is the always-one flag. */
	c->user_regs.rflags = 0x2;
	c->kernel_ss = PVK_FLAT_KERNEL_SS;
	c->kernel_sp = wake_stack_top(cpu);	/* xen_cpu_wake switches it */
	/* Xen's cr3 format for 64-bit guests: the root's machine address. */
	c->ctrlreg[3] = pvk_pvops.mmu.read_cr3();
	pvk_mmu_cpu_base_set(cpu, pvk_mfn(c->ctrlreg[3] >> PVK_PAGE_SHIFT));	/* its own from now on */
	c->gs_base_kernel = boot->gs_base;
	/* Trap table and GDT: what this (the starting) vCPU loaded last. */
	pvk_xen_cpu_fill_context(c, cpu);
	pvk_xen_callbacks_fill_context(c);
}

static int xen_cpu_start(unsigned int cpu, const struct pvk_cpu_boot *boot)
{
	long rc;

	/* Its boot, taken by xen_cpu_wake() on either path. */
	restart[cpu] = *boot;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	if (!(initialised & (1ULL << cpu))) {
		fill_context(&start_ctx, cpu, boot);
		rc = pvk_hyp_vcpu_op(PVK_VCPUOP_initialise, cpu, &start_ctx);
		if (rc) {
			pvk_err("smp xen: VCPUOP_initialise(%u) failed: %ld (%s)%s", cpu, rc,
				pvk_xen_errno_name(rc),
				rc == -PVK_XEN_EEXIST ? ": initialised by someone else" : "");
			return (int)rc;
		}
		initialised |= 1ULL << cpu;
	}
	rc = pvk_hyp_vcpu_op(PVK_VCPUOP_up, cpu, NULL);
	if (rc)
		pvk_err("smp xen: VCPUOP_up(%u) failed: %ld (%s); it stays initialised, never up: a next start wakes it with its own boot",
			cpu, rc, pvk_xen_errno_name(rc));
	return (int)rc;
}

/*
 * On the vCPU's wake stack (xen_stop_self() moved there): down, and when
 * VCPUOP_up wakes it, the hypercall returns here. Nothing reloaded %cr3:
 * if the physical CPU only idled since, Xen switches back lazily, and
 * while we were down the shootdowns left us out, so our TLB and
 * paging-structure caches may name page tables and frames freed
 * meanwhile. They are flushed before anything else walks the page
 * tables.
 *
 * The rule from the wake-up until xen_cpu_wake() has loaded the new
 * boot's GS base: nothing of the host's is touched. %gs still holds the
 * base this vCPU went down with, which for a CPU that arrived after its
 * start timed out is that start's gs_base: smp.h lets the host free it
 * once the CPU is seen down. So no pvk_port_cpu_id(), no irq save (it
 * finds the vcpu_info by CPU id), no MMU queue (per CPU, by id), no log
 * (the host's): both calls are the raw hypercalls, not the wrappers,
 * whose CONFIG_PVK_TRACE line goes through the host's log, and the
 * kit's own counters are bumped by hand. Only the kit's wake stack,
 * code and globals (restart[], the counters) are used. The failure
 * branches panic through the host: the vCPU is lost then anyway.
 */
static __pvk_noreturn void xen_cpu_park(unsigned long cpu)
{
	struct pvk_mmuext_op flush = { .cmd = PVK_MMUEXT_TLB_FLUSH_LOCAL };

	pvk_hypercall_account(PVK_HYPERVISOR_vcpu_op);
	if (pvk_hypercall3(PVK_HYPERVISOR_vcpu_op, PVK_VCPUOP_down, cpu, 0))
		pvk_port_panic("smp xen: VCPUOP_down on itself failed");
	pvk_hypercall_account(PVK_HYPERVISOR_mmuext_op);
	if (pvk_hypercall4(PVK_HYPERVISOR_mmuext_op, (unsigned long)&flush, 1, 0,
			   PVK_DOMID_SELF))
		pvk_port_panic("smp xen: restarted vCPU cannot flush its TLB");
	xen_cpu_wake(cpu);
}

/* Off the dying thread's stack before going down: once the vCPU is down
 * (VCPUOP_is_up says 0, what pvk_smp_cpu_wait_down() waits for) it never
 * touches that stack again, and the host may free it. */
static __pvk_noreturn void xen_stop_self(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	/* Its address as an operand, not its name in the asm: a static
	 * function may be renamed (LTO's .lto_priv) or dropped. */
	__asm__ __volatile__("movq %0, %%rsp\n\t"
			     "call *%1"
			     : : "r"(wake_stack_top(cpu)), "r"(xen_cpu_park),
			       "D"((unsigned long)cpu) : "memory");
	__builtin_unreachable();
}

static int xen_send_ipi(const struct pvk_cpumask *cpus)
{
	uint64_t bound = __atomic_load_n(&ipi_bound, __ATOMIC_ACQUIRE);
	unsigned int cpu;
	int rc, err = 0;

	pvk_for_each_cpu(cpu, cpus) {
		if (!(bound & (1ULL << cpu))) {
			err = -PVK_XEN_ENODEV;
			continue;
		}
		rc = pvk_evtchn_send(ipi_port[cpu]);
		if (rc && !err)
			err = rc;
	}
	return err;
}

static int xen_flush_tlb(const struct pvk_cpumask *cpus, unsigned long va)
{
	uint64_t mask[XEN_MASK_WORDS] = { cpus->bits };
	struct pvk_mmuext_op op = {
		.cmd = va == PVK_TLB_FLUSH_ALL ? PVK_MMUEXT_TLB_FLUSH_MULTI :
						 PVK_MMUEXT_INVLPG_MULTI,
	};
	int rc;

	/* The entry writes this flush is for must reach Xen first. */
	if (pvk_mmu_lazy_active()) {
		rc = pvk_mmu_flush_queue();
		if (rc)
			return rc;
	}
	if (va != PVK_TLB_FLUSH_ALL) {
		/* Xen ignores (returns 0 for) an INVLPG_MULTI of a va that is
		 * not a guest address: non-canonical or in its own hole. */
		if ((unsigned long)((long)va >> 47) + 1 > 1 ||
		    (va >= XEN_HOLE_START && va < XEN_HOLE_END)) {
			pvk_err("smp xen: TLB flush of 0x%lx: not a guest address", va);
			return -PVK_XEN_EINVAL;
		}
		op.arg1.linear_addr = va;
	}
	op.arg2.vcpumask = mask;
	return (int)pvk_hyp_mmuext_op(&op, 1, NULL, PVK_DOMID_SELF);
}

const struct pvk_pvops_smp pvk_xen_smp_ops = {
	.cpu_start = xen_cpu_start,
	.stop_self = xen_stop_self,
	.send_ipi = xen_send_ipi,
	.flush_tlb = xen_flush_tlb,
};

/*
 * After a resume in a new domain (suspend/, CPU 0, upcalls masked): Xen
 * bound no IPI port for us. CPU 0's is bound again when it had one; the
 * other CPUs were offline across the suspend and forget theirs, so that
 * their next start binds new ones.
 */
int pvk_xen_smp_resume(void)
{
	bool had = ipi_bound & 1;

	__atomic_store_n(&ipi_bound, 0, __ATOMIC_RELEASE);
	return had ? bind_ipi(0) : 0;
}
