/*
 * pvops/irq_xen.c - "interrupts" on Xen: the event upcall mask of the
 * calling vCPU's vcpu_info (1 = masked), CR2 as Xen saved it there, and
 * where each vCPU's vcpu_info lives.
 *
 * Xen checks the mask only when it is about to deliver an upcall, which it
 * does on its way back to the guest. So enabling with an upcall already
 * pending (evtchn_upcall_pending set while masked) would leave it waiting
 * until some unrelated entry into Xen: irq_enable makes a cheap hypercall
 * instead, on whose return Xen delivers it. Clearing the mask before
 * reading pending closes the window: an event arriving after the read is
 * delivered on Xen's next exit because the mask is already 0.
 *
 * Per CPU: vcpus[cpu] is the vcpu_info that CPU uses. At first it is
 * shared_info's legacy slot (the first PVK_XEN_LEGACY_MAX_VCPUS vCPUs
 * have one); pvk_xen_vcpu_info_prepare() moves it into one kit page
 * (VCPUOP_register_vcpu_info), where every vCPU, also those beyond the
 * legacy slots, has its 64 bytes at offset cpu * 64. The irq ops find
 * theirs with pvk_port_cpu_id() and one index: no lock, no atomic, as
 * fast as the single-vCPU kit was.
 *
 * The ops' sites are patched to direct calls of thunks here (bottom of the
 * file; pvkit/pvops_patch.h), which keep the registers the site's
 * contract keeps: with one CPU running, the op in a few instructions;
 * else a direct call of the op itself, not through the table.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/vcpu.h>
#include <pvkit/xen/version.h>
#include <pvkit/xen/xen.h>

#include "pvops_internal.h"
#include "patch.h"
#include "../smp/smp_internal.h"

/* One page holds the registered vcpu_info of every CPU the kit can have. */
PVK_BUILD_BUG_ON(PVK_MAX_CPUS * sizeof(struct pvk_vcpu_info) > PVK_PAGE_SIZE);

static struct pvk_vcpu_info *vcpus[PVK_MAX_CPUS];
static struct pvk_vcpu_info *placed_page;	/* the kit page, once */
static uint64_t placed;				/* bit cpu: registered */
static struct pvk_shared_info *legacy_page;	/* its slots, for forget */
/* Serialises prepare (page allocation, a registration per CPU). */
static struct pvk_lock place_lock;
static bool place_lock_ready;

void pvk_xen_set_shared_info_vcpus(struct pvk_shared_info *shared)
{
	if (!place_lock_ready) {
		pvk_port_lock_init(&place_lock);
		place_lock_ready = true;
	}
	legacy_page = shared;
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		/* A CPU whose vcpu_info Xen moved keeps it there: Xen no
		 * longer updates the legacy slot. */
		if (placed & (1ULL << cpu))
			continue;
		vcpus[cpu] = shared && cpu < PVK_XEN_LEGACY_MAX_VCPUS ?
			     &shared->vcpu_info[cpu] : NULL;
	}
}

struct pvk_vcpu_info *pvk_xen_vcpu_info(unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS ? PVK_READ_ONCE(vcpus[cpu]) : NULL;
}

struct pvk_vcpu_info *pvk_xen_vcpu(void)
{
	unsigned int cpu = pvk_port_cpu_id();
	/* One compare: a host's id beyond the array panics below, not reads
	 * past it. */
	struct pvk_vcpu_info *v = cpu < PVK_MAX_CPUS ? vcpus[cpu] : NULL;

	if (!v)
		pvk_port_panic("pvops xen: irq op before pvk_pvops_xen_set_shared_info() (or on a CPU without vcpu_info)");
	return v;
}

/* Registration with Xen; place_lock held. */
static int place(unsigned int cpu)
{
	struct pvk_vcpu_register_vcpu_info info;
	struct pvk_vcpu_info *slot;
	unsigned long flags = 0;
	bool self = cpu == pvk_port_cpu_id();
	long rc;

	if (self && !vcpus[cpu])
		return -PVK_XEN_ENODEV;	/* no shared_info: nothing to move */
	if (!placed_page) {
		placed_page = pvk_port_alloc_page();
		if (!placed_page)
			return -PVK_XEN_ENOMEM;
	}
	slot = &placed_page[cpu];
	info.mfn = pvk_mfn_raw(pvk_port_pfn_to_mfn(pvk_port_virt_to_pfn(placed_page)));
	info.offset = (uint32_t)(cpu * sizeof(struct pvk_vcpu_info));
	info.rsvd = 0;
	/*
	 * On the calling CPU, upcalls stay masked across the move: Xen copies
	 * the old vcpu_info (mask 1 included) into the new place, and the
	 * mask we restore afterwards must be written to the new one.
	 */
	if (self)
		flags = pvk_irq_save();
	rc = pvk_hyp_vcpu_op(PVK_VCPUOP_register_vcpu_info, cpu, &info);
	if (!rc) {
		PVK_WRITE_ONCE(vcpus[cpu], slot);
		placed |= 1ULL << cpu;
	}
	if (self)
		pvk_restore_fl(flags);
	if (rc)
		pvk_err("pvops xen: VCPUOP_register_vcpu_info for vCPU %u refused: %ld",
			cpu, rc);
	return (int)rc;
}

int pvk_xen_vcpu_info_prepare(unsigned int cpu)
{
	int rc = 0;

	if (cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	if (!place_lock_ready) {
		pvk_err("pvops xen: vcpu_info of vCPU %u prepared before pvk_pvops_xen_set_shared_info()",
			cpu);
		return -PVK_XEN_ENODEV;
	}
	pvk_port_lock(&place_lock);
	/* Xen refuses a second registration: -EINVAL up to 4.17 (Debian
	 * 12's; map_vcpu_info: vcpu_info_mfn already set), -EBUSY from
	 * 4.18 (map_guest_area). Done is done: never asked twice. */
	if (!(placed & (1ULL << cpu)))
		rc = place(cpu);
	pvk_port_unlock(&place_lock);
	return rc;
}

void pvk_xen_vcpu_info_forget(unsigned int cpu)
{
	if (cpu == 0 || cpu >= PVK_MAX_CPUS || !place_lock_ready)
		return;
	pvk_port_lock(&place_lock);
	/* The new domain's Xen has no registration for it: back to the
	 * legacy slot (or none), as before its first prepare. Its slot in
	 * the kit page stays its own and is registered again. */
	placed &= ~(1ULL << cpu);
	PVK_WRITE_ONCE(vcpus[cpu], legacy_page && cpu < PVK_XEN_LEGACY_MAX_VCPUS ?
				   &legacy_page->vcpu_info[cpu] : NULL);
	pvk_port_unlock(&place_lock);
}

static unsigned long xen_save_fl(void)
{
	return PVK_READ_ONCE(pvk_xen_vcpu()->evtchn_upcall_mask) ? 0 : PVK_X86_EFLAGS_IF;
}

static void xen_irq_disable(void)
{
	PVK_WRITE_ONCE(pvk_xen_vcpu()->evtchn_upcall_mask, 1);
	pvk_barrier();
}

static void xen_irq_enable(void)
{
	struct pvk_vcpu_info *v = pvk_xen_vcpu();

	pvk_barrier();
	PVK_WRITE_ONCE(v->evtchn_upcall_mask, 0);
	pvk_barrier();
	if (PVK_READ_ONCE(v->evtchn_upcall_pending))
		pvk_hyp_xen_version(PVK_XENVER_version, NULL);
}

static void xen_restore_fl(unsigned long flags)
{
	if (flags & PVK_X86_EFLAGS_IF)
		xen_irq_enable();
	else
		xen_irq_disable();
}

unsigned long pvk_xen_read_cr2(void)
{
	return PVK_READ_ONCE(pvk_xen_vcpu()->arch.cr2);
}

const struct pvk_pvops_irq pvk_xen_irq_ops = {
	.save_fl = xen_save_fl,
	.restore_fl = xen_restore_fl,
	.irq_disable = xen_irq_disable,
	.irq_enable = xen_irq_enable,
};

/*
 * The Xen ops' thunks, where the patched sites call. While CPU 0 is the
 * only CPU that may run kernel code (pvk_smp_translating is bit 0 alone:
 * a CPU's bit is set before it is started and cleared only once it is
 * seen down, so a CPU that reads 1 there is CPU 0), the thunk does the op
 * in a few instructions on vcpus[0], keeping every register but the
 * result (save_fl: %rax) and the arithmetic flags. Otherwise, or without
 * a vcpu_info yet (the op's panic), or to force a pending upcall on
 * enable, it jumps to the slow thunk: every caller-clobbered register
 * saved and a direct call of the C op above, which finds the calling
 * CPU's vcpu_info with pvk_port_cpu_id(). Only the text the asm adds to
 * another section; this function is never called.
 */
#define XEN_FAST_VCPU(slow)						\
	"cmpq $1, %c[translating](%%rip)\n\t"				\
	"jne " slow "\n\t"						\
	"movq %c[vcpus](%%rip), %%rax\n\t"				\
	"testq %%rax, %%rax\n\t"					\
	"jz " slow "\n\t"

__attribute__((used)) static void xen_thunks(void)
{
	__asm__(PVK_PVOPS_THUNK_RET("pvk_xen_thunk_save_fl_slow", "call %c[save_fl]")
		PVK_PVOPS_THUNK_VOID("pvk_xen_thunk_irq_disable_slow", "call %c[disable]")
		PVK_PVOPS_THUNK_VOID("pvk_xen_thunk_irq_enable_slow", "call %c[enable]")
		".pushsection .text.pvk_pvops_thunks, \"ax\", @progbits\n\t"
		/* mask ? 0 : IF; mov keeps the flags of the cmpb. */
		".balign 16\n\t"
		".globl pvk_xen_thunk_save_fl\n\t"
		".type pvk_xen_thunk_save_fl, @function\n"
		"pvk_xen_thunk_save_fl:\n\t"
		XEN_FAST_VCPU("pvk_xen_thunk_save_fl_slow")
		"cmpb $0, %c[mask](%%rax)\n\t"
		"movl $0, %%eax\n\t"
		"jne 1f\n\t"
		"movl $%c[if_flag], %%eax\n"
		"1:\tret\n\t"
		".size pvk_xen_thunk_save_fl, . - pvk_xen_thunk_save_fl\n\t"
		/* mask = 1; %rax kept. */
		".balign 16\n\t"
		".globl pvk_xen_thunk_irq_disable\n\t"
		".type pvk_xen_thunk_irq_disable, @function\n"
		"pvk_xen_thunk_irq_disable:\n\t"
		"pushq %%rax\n\t"
		XEN_FAST_VCPU("2f")
		"movb $1, %c[mask](%%rax)\n\t"
		"popq %%rax\n\t"
		"ret\n"
		"2:\tpopq %%rax\n\t"
		"jmp pvk_xen_thunk_irq_disable_slow\n\t"
		".size pvk_xen_thunk_irq_disable, . - pvk_xen_thunk_irq_disable\n\t"
		/* mask = 0, then an upcall already pending needs the C op's
		 * hypercall (which unmasks again, harmlessly); %rax kept. */
		".balign 16\n\t"
		".globl pvk_xen_thunk_irq_enable\n\t"
		".type pvk_xen_thunk_irq_enable, @function\n"
		"pvk_xen_thunk_irq_enable:\n\t"
		"pushq %%rax\n\t"
		XEN_FAST_VCPU("3f")
		"movb $0, %c[mask](%%rax)\n\t"
		"cmpb $0, %c[pending](%%rax)\n\t"
		"jne 3f\n\t"
		"popq %%rax\n\t"
		"ret\n"
		"3:\tpopq %%rax\n\t"
		"jmp pvk_xen_thunk_irq_enable_slow\n\t"
		".size pvk_xen_thunk_irq_enable, . - pvk_xen_thunk_irq_enable\n\t"
		/* IF in %rdi (kept): enable, else disable. */
		".balign 16\n\t"
		".globl pvk_xen_thunk_restore_fl\n\t"
		".type pvk_xen_thunk_restore_fl, @function\n"
		"pvk_xen_thunk_restore_fl:\n\t"
		"testl $%c[if_flag], %%edi\n\t"
		"jnz pvk_xen_thunk_irq_enable\n\t"
		"jmp pvk_xen_thunk_irq_disable\n\t"
		".size pvk_xen_thunk_restore_fl, . - pvk_xen_thunk_restore_fl\n\t"
		".popsection"
		: : [save_fl] "i"(xen_save_fl), [disable] "i"(xen_irq_disable),
		    [enable] "i"(xen_irq_enable), [translating] "i"(&pvk_smp_translating),
		    [vcpus] "i"(vcpus),
		    [mask] "i"(__builtin_offsetof(struct pvk_vcpu_info, evtchn_upcall_mask)),
		    [pending] "i"(__builtin_offsetof(struct pvk_vcpu_info, evtchn_upcall_pending)),
		    [if_flag] "i"(PVK_X86_EFLAGS_IF));
}

const struct pvk_pvops_patch_world *pvk_xen_irq_patch(void)
{
	/* Direct calls: the thunks keep every register but the result's, so
	 * they change at most what each site allows (%rax for save_fl). */
	static const struct pvk_pvops_patch_world w = {
		.name = "xen",
		.op = {
			[PVK_PVOPS_OP_SAVE_FL] = { .call = pvk_xen_thunk_save_fl,
						   .clobbers = PVK_PVOPS_CLOBBER_RAX |
							       PVK_PVOPS_CLOBBER_CC },
			[PVK_PVOPS_OP_RESTORE_FL] = { .call = pvk_xen_thunk_restore_fl,
						      .clobbers = PVK_PVOPS_CLOBBER_CC },
			[PVK_PVOPS_OP_IRQ_DISABLE] = { .call = pvk_xen_thunk_irq_disable,
						       .clobbers = PVK_PVOPS_CLOBBER_CC },
			[PVK_PVOPS_OP_IRQ_ENABLE] = { .call = pvk_xen_thunk_irq_enable,
						      .clobbers = PVK_PVOPS_CLOBBER_CC },
		},
	};

	return &w;
}
