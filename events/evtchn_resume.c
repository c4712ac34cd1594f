/*
 * events/evtchn_resume.c - the event channel state after a resume in a new
 * domain (suspend/).
 *
 * A restored domain has no event channel at all: Xen and the toolstack
 * bound only start_info's xenstore and console ports, under numbers that
 * may differ from the old ones. So every record of the port table is
 * forgotten (the pages of slots stay), the per-CPU dispatch state and the
 * 2-level CPU sets start over, and on FIFO the control block and event
 * array pages are given to Xen again (evtchn_fifo.c). The owners of ports
 * then bind what they need again (time/, smp's IPIs, xenstore, console);
 * a frontend's interdomain ports are its own to reconnect. Runs on CPU 0
 * with upcalls masked, nothing else running.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

int pvk_evtchn_resume(void)
{
	struct pvk_shared_info *si = pvk_evtchn_si;

	if (!si)
		return -PVK_XEN_ENODEV;
	/* The toolstack masked every port of the new shared_info already;
	 * we do not rely on it. */
	pvk_evtchn_forget_all(si);
#ifdef CONFIG_PVK_EVTCHN_FIFO
	if (pvk_evtchn_abi == &pvk_evtchn_fifo)
		return pvk_evtchn_fifo_resume();
#endif
	return 0;
}
