/*
 * events/callback.c - tells Xen where event upcalls land (upcall.S).
 */
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/xen/callback.h>

void pvk_evtchn_upcall_entry(void);

int pvk_evtchn_register_upcall(void)
{
	struct pvk_callback_register cb = {
		.type = PVK_CALLBACKTYPE_event,
		.address = (pvk_xen_callback_t)(unsigned long)pvk_evtchn_upcall_entry,
	};
	long rc = pvk_hyp_callback_op(PVK_CALLBACKOP_register, &cb);

	if (rc)
		pvk_err("evtchn: CALLBACKOP_register(event) failed: %ld", rc);
	return (int)rc;
}
