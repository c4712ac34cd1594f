/*
 * events/evtchn_2l.c - the 2-level event channel ABI.
 *
 * shared_info holds evtchn_pending[] and evtchn_mask[] bitmaps, one bit per
 * port (4096 ports on 64-bit). Xen sets a pending bit and, if the port is
 * unmasked, the word's bit in vcpu_info->evtchn_pending_sel and
 * evtchn_upcall_pending. Both sides update the words: locked bit ops.
 *
 * Unmasking a port that became pending while masked must not lose the
 * event: Xen only raises the selector/upcall when it sets the pending bit.
 * So after clearing the mask bit we look at the pending bit and, if set,
 * raise them ourselves (only vCPU 0 takes events, and that is us;
 * EVTCHNOP_unmask would do nothing here, as Xen only acts on a mask bit it
 * clears itself).
 *
 * Scan (vCPU 0): clear evtchn_upcall_pending, take the selector with an
 * atomic exchange, and for each selector bit w the ports pending & ~mask
 * in word w. Repeat while Xen set new selector bits, at most
 * DISPATCH_ROUNDS times; what is left then raises a fresh upcall once we
 * return, so one busy peer cannot keep us here forever.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/version.h>

#include "evtchn_internal.h"

#define DISPATCH_ROUNDS	16

static void mask_2l(pvk_evtchn_port_t port)
{
	pvk_evtchn_set_bit(pvk_evtchn_si->evtchn_mask, port);
}

static void unmask_2l(pvk_evtchn_port_t port)
{
	struct pvk_vcpu_info *v = pvk_xen_vcpu_info(0);
	pvk_xen_ulong_t sel_bit = (pvk_xen_ulong_t)1 << (port / PVK_EVTCHN_BITS);

	pvk_evtchn_clear_bit(pvk_evtchn_si->evtchn_mask, port);
	if (!pvk_evtchn_test_bit(pvk_evtchn_si->evtchn_pending, port))
		return;
	/* Pending while masked: do Xen's part (selector, then upcall_pending).
	 * If the selector bit was already set a scan is coming anyway. */
	if (__atomic_fetch_or(&v->evtchn_pending_sel, sel_bit, __ATOMIC_SEQ_CST) & sel_bit)
		return;
	PVK_WRITE_ONCE(v->evtchn_upcall_pending, 1);
	pvk_barrier();
	/* Xen delivers only on its way back to us: give it one. */
	if (!PVK_READ_ONCE(v->evtchn_upcall_mask))
		pvk_hyp_xen_version(PVK_XENVER_version, NULL);
}

static void clear_2l(pvk_evtchn_port_t port)
{
	pvk_evtchn_clear_bit(pvk_evtchn_si->evtchn_pending, port);
}

static bool is_pending_2l(pvk_evtchn_port_t port)
{
	return pvk_evtchn_test_bit(pvk_evtchn_si->evtchn_pending, port);
}

static bool is_masked_2l(pvk_evtchn_port_t port)
{
	return pvk_evtchn_test_bit(pvk_evtchn_si->evtchn_mask, port);
}

static int setup_port_2l(pvk_evtchn_port_t port)
{
	(void)port;
	return 0;
}

static void scan_2l(void)
{
	struct pvk_shared_info *si = pvk_evtchn_si;
	struct pvk_vcpu_info *v = pvk_xen_vcpu_info(0);

	for (unsigned int round = 0; round < DISPATCH_ROUNDS; round++) {
		pvk_xen_ulong_t sel;

		PVK_WRITE_ONCE(v->evtchn_upcall_pending, 0);
		sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
		if (!sel)
			break;
		while (sel) {
			unsigned int w = (unsigned int)__builtin_ctzll(sel);
			pvk_xen_ulong_t pend;

			sel &= sel - 1;
			pend = PVK_READ_ONCE(si->evtchn_pending[w]) &
			       ~PVK_READ_ONCE(si->evtchn_mask[w]);
			while (pend) {
				unsigned int b = (unsigned int)__builtin_ctzll(pend);

				pend &= pend - 1;
				pvk_evtchn_handle_port(w * PVK_EVTCHN_BITS + b);
			}
		}
	}
}

const struct pvk_evtchn_abi pvk_evtchn_2l = {
	.name = "2-level",
	.nr_ports = PVK_EVTCHN_2L_NR_CHANNELS,
	.mask = mask_2l,
	.unmask = unmask_2l,
	.clear = clear_2l,
	.is_pending = is_pending_2l,
	.is_masked = is_masked_2l,
	.setup_port = setup_port_2l,
	.scan = scan_2l,
};
