/*
 * events/callback.c - tells Xen where event upcalls land (upcall.S): the
 * calling vCPU with CALLBACKOP_register; other vCPUs get the same address
 * in the context they start with (pvk_evtchn_upcall_address()).
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/xen/callback.h>

void pvk_evtchn_upcall_entry(void);

unsigned long pvk_evtchn_upcall_address(void)
{
	return (unsigned long)pvk_evtchn_upcall_entry;
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
	return (int)rc;
}
