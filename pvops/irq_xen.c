/*
 * pvops/irq_xen.c - "interrupts" on Xen: the event upcall mask of this
 * vCPU's vcpu_info (1 = masked), and CR2 as Xen saved it there.
 *
 * Xen checks the mask only when it is about to deliver an upcall, which it
 * does on its way back to the guest. So enabling with an upcall already
 * pending (evtchn_upcall_pending set while masked) would leave it waiting
 * until some unrelated entry into Xen: irq_enable makes a cheap hypercall
 * instead, on whose return Xen delivers it. Clearing the mask before
 * reading pending closes the window: an event arriving after the read is
 * delivered on Xen's next exit because the mask is already 0.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/xen/version.h>
#include <pvkit/xen/xen.h>

#include "pvops_internal.h"

static struct pvk_vcpu_info *vcpu;

void pvk_xen_set_vcpu(struct pvk_vcpu_info *v)
{
	vcpu = v;
}

struct pvk_vcpu_info *pvk_xen_vcpu(void)
{
	if (!vcpu)
		pvk_port_panic("pvops xen: irq op before pvk_pvops_xen_set_shared_info()");
	return vcpu;
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
