/*
 * pvops/xen_callbacks.c - registers the syscall and failsafe callbacks
 * (pvops_callbacks.h), gives a new vCPU the same ones and the event
 * upcall (Xen's callbacks are per vCPU), and decodes a failsafe callback.
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/callback.h>
#include <pvkit/xen/errno.h>

#include "pvops_internal.h"

pvk_syscall_handler_t pvk_xen_syscall_handler;

/* The boot vCPU has the failsafe callback: new vCPUs get it too. */
static bool failsafe_registered;

static int register_one(uint16_t type, const char *name, void (*entry)(void))
{
	struct pvk_callback_register cb = {
		.type = type,
		.flags = PVK_CALLBACKF_mask_events,
		.address = (pvk_xen_callback_t)(unsigned long)entry,
	};
	long rc = pvk_hyp_callback_op(PVK_CALLBACKOP_register, &cb);

	if (rc)
		pvk_err("callbacks: CALLBACKOP_register(%s) failed: %ld (%s)",
			name, rc, pvk_xen_errno_name(rc));
	return (int)rc;
}

int pvk_xen_callbacks_register(pvk_syscall_handler_t handler)
{
	int rc;

	if (!handler) {
		pvk_err("callbacks: no syscall handler given");
		return -PVK_XEN_EINVAL;
	}
	pvk_xen_syscall_handler = handler;
	rc = register_one(PVK_CALLBACKTYPE_syscall, "syscall", pvk_xen_syscall_entry);
	if (rc)
		return rc;
	rc = register_one(PVK_CALLBACKTYPE_failsafe, "failsafe", pvk_xen_failsafe_entry);
	if (!rc)
		PVK_WRITE_ONCE(failsafe_registered, true);
	return rc;
}

/* The boot vCPU registered them with CALLBACKOP_register; a new vCPU gets
 * the same ones in its VCPUOP_initialise context (smp_xen.c sets the
 * matching "disables events" flags): the failsafe callback if the boot
 * vCPU registered it, the syscall callback if the host gave a handler
 * (without one a syscall from user mode is Xen's #GP, as on the boot
 * vCPU). */
void pvk_xen_callbacks_fill_context(struct pvk_vcpu_guest_context *c)
{
	c->event_callback_eip = pvk_evtchn_upcall_address();
	if (PVK_READ_ONCE(failsafe_registered))
		c->failsafe_callback_eip = (uint64_t)(unsigned long)pvk_xen_failsafe_entry;
	if (pvk_xen_syscall_handler)
		c->syscall_callback_eip = (uint64_t)(unsigned long)pvk_xen_syscall_entry;
}

/*
 * The frame's cs word is laid out as in struct pvk_cpu_user_regs: the
 * selector, padding, then the saved upcall mask (one byte).
 */
#define UPCALL_MASK_SHIFT \
	(8 * (offsetof(struct pvk_cpu_user_regs, saved_upcall_mask) - \
	      offsetof(struct pvk_cpu_user_regs, cs)))

void pvk_xen_failsafe(const struct pvk_failsafe_frame *f)
{
	unsigned int rpl = f->cs & 3;

	pvk_err("FAILSAFE: Xen could not return to the guest: reloading one of these data segment selectors faulted");
	pvk_err("FAILSAFE: selectors ds=0x%04llx es=0x%04llx fs=0x%04llx gs=0x%04llx",
		(unsigned long long)f->ds, (unsigned long long)f->es,
		(unsigned long long)f->fs, (unsigned long long)f->gs);
	pvk_err("FAILSAFE: to %s mode: rip=0x%016llx cs=0x%04llx ss=0x%04llx rsp=0x%016llx",
		rpl == 3 ? "user" : "kernel", (unsigned long long)f->rip,
		(unsigned long long)(f->cs & 0xffff), (unsigned long long)(f->ss & 0xffff),
		(unsigned long long)f->rsp);
	pvk_err("FAILSAFE: rflags=0x%llx upcall mask=%llu rcx=0x%llx r11=0x%llx",
		(unsigned long long)f->rflags, (unsigned long long)(uint8_t)(f->cs >> UPCALL_MASK_SHIFT),
		(unsigned long long)f->rcx, (unsigned long long)f->r11);
	pvk_port_panic("Xen failsafe callback");
}
