/*
 * events/callback.c - tells Xen where event upcalls land: the calling vCPU
 * with CALLBACKOP_register; other vCPUs get the same address in the
 * context they start with (pvk_evtchn_upcall_address()).
 *
 * The kit's own entry (upcall.S) unless the host named one of its own
 * first (pvk_evtchn_set_upcall_entry(): a kernel with its own interrupt
 * entry code that calls pvk_evtchn_do_upcall() itself). One address for
 * every vCPU, so it is set once, before the first registration.
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/callback.h>

void pvk_evtchn_upcall_entry(void);

static unsigned long upcall_entry;
static bool upcall_registered;

/* Refused once the entry was registered: vCPU 0 would keep the old one
 * and only vCPUs started later take the new one. */
int pvk_evtchn_set_upcall_entry(void (*entry)(void))
{
	if (upcall_registered) {
		pvk_err("evtchn: upcall entry changed after it was registered");
		return -PVK_XEN_EBUSY;
	}
	upcall_entry = (unsigned long)entry;
	return 0;
}

/* PVK_XEN_TRAP_COMMON's step between the handler and the host's hook:
 * the hook runs with upcalls masked even behind a trap gate that left
 * them unmasked (pvk_trap_desc.mask_irqs false); the iret hypercall
 * takes the mask back from the frame's RFLAGS.IF. */
void pvk_trap_mask_for_exit(void)
{
	pvk_irq_disable();
}

unsigned long pvk_evtchn_upcall_address(void)
{
	return upcall_entry ? upcall_entry : (unsigned long)pvk_evtchn_upcall_entry;
}

int pvk_evtchn_register_upcall(void)
{
	struct pvk_callback_register cb = {
		.type = PVK_CALLBACKTYPE_event,
		.address = (pvk_xen_callback_t)pvk_evtchn_upcall_address(),
	};
	long rc = pvk_hyp_callback_op(PVK_CALLBACKOP_register, &cb);

	if (rc)
		pvk_err("evtchn: CALLBACKOP_register(event) failed: %ld", rc);
	else
		upcall_registered = true;
	return (int)rc;
}
