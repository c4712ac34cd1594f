/*
 * events/evtchn_2l.c - the 2-level event channel ABI.
 *
 * shared_info holds evtchn_pending[] and evtchn_mask[] bitmaps, one bit per
 * port (4096 ports on 64-bit). Xen sets a pending bit and, if the port is
 * unmasked, the word's bit in vcpu_info->evtchn_pending_sel and
 * evtchn_upcall_pending. Both sides update the words: locked bit ops.
 *
 * Xen raises the selector and upcall flag in the vcpu_info of the port's
 * vCPU only, but the pending and mask words are shared by all: each CPU
 * keeps the set of ports delivered to it (cpu_ports, a bitmap like the
 * pending one, as Linux does) and takes only those.
 *
 * Unmasking a port that became pending while masked must not lose the
 * event: Xen only raises the selector/upcall when it sets the pending bit.
 * For a port of the calling CPU we clear the mask bit, look at the pending
 * bit and, if set, raise them ourselves in our vcpu_info (EVTCHNOP_unmask
 * would do nothing then, as Xen only acts on a mask bit it clears itself).
 * A port of another CPU is unmasked by Xen (EVTCHNOP_unmask), which
 * raises it on that vCPU.
 *
 * Scan (on CPU n): clear evtchn_upcall_pending, take the selector with an
 * atomic exchange, and for each selector bit w the ports pending & ~mask
 * & n's ports in word w. Repeat while Xen set new selector bits, at most
 * DISPATCH_ROUNDS times; what is left then raises a fresh upcall once we
 * return, so one busy peer cannot keep us here forever.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/xen/version.h>

#include "evtchn_internal.h"

#define DISPATCH_ROUNDS	16
#define WORDS		(PVK_EVTCHN_2L_NR_CHANNELS / PVK_EVTCHN_BITS)

/* Bit p of cpu_ports[n]: port p is delivered to CPU n (each port is in
 * exactly one set). Changed under the bind lock, read by the scans. */
static pvk_xen_ulong_t cpu_ports[PVK_MAX_CPUS][WORDS];

void pvk_evtchn_2l_reset_cpus(void)
{
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		for (unsigned int w = 0; w < WORDS; w++)
			PVK_WRITE_ONCE(cpu_ports[cpu][w], cpu ? 0 : ~(pvk_xen_ulong_t)0);
}

static void moved_2l(pvk_evtchn_port_t port, unsigned int from, unsigned int to)
{
	if (port >= PVK_EVTCHN_2L_NR_CHANNELS)
		return;
	pvk_evtchn_set_bit(cpu_ports[to], port);
	pvk_evtchn_clear_bit(cpu_ports[from], port);
}

static int cpu_prepare_2l(unsigned int cpu)
{
	(void)cpu;
	return 0;	/* the bitmaps are static, vcpu_info is pvops' */
}

static void mask_2l(pvk_evtchn_port_t port)
{
	pvk_evtchn_set_bit(pvk_evtchn_si->evtchn_mask, port);
}

static bool test_and_mask_2l(pvk_evtchn_port_t port)
{
	pvk_xen_ulong_t bit = pvk_evtchn_bit(port);

	return __atomic_fetch_or(&pvk_evtchn_si->evtchn_mask[port / PVK_EVTCHN_BITS],
				 bit, __ATOMIC_SEQ_CST) & bit;
}

static void unmask_2l(pvk_evtchn_port_t port)
{
	unsigned int cpu = pvk_port_cpu_id();
	struct pvk_vcpu_info *v;
	pvk_xen_ulong_t sel_bit = (pvk_xen_ulong_t)1 << (port / PVK_EVTCHN_BITS);

	if (!pvk_evtchn_test_bit(cpu_ports[cpu], port)) {
		/* Another vCPU's: Xen clears the mask and raises it there. */
		struct pvk_evtchn_unmask op = { .port = port };

		pvk_hyp_event_channel_op(PVK_EVTCHNOP_unmask, &op);
		return;
	}
	v = pvk_xen_vcpu_info(cpu);
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

static void scan_2l(unsigned int cpu)
{
	struct pvk_shared_info *si = pvk_evtchn_si;
	struct pvk_vcpu_info *v = pvk_xen_vcpu_info(cpu);
	const pvk_xen_ulong_t *mine = cpu_ports[cpu];

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
			/* The word's snapshot is only a filter: each port is
			 * checked again (owner, then mask) right before its
			 * dispatch, as Linux re-reads its active set per port.
			 * A handler run from this snapshot (an IPI: a
			 * pvk_evtchn_bind_vcpu() boundary served by it) may
			 * have moved a later port of the word away meanwhile;
			 * the re-check comes after it, so the moved port is
			 * seen gone. Two loads per dispatched port only. */
			pend = __atomic_load_n(&si->evtchn_pending[w], __ATOMIC_ACQUIRE);
			pend &= ~PVK_READ_ONCE(si->evtchn_mask[w]);
			pend &= PVK_READ_ONCE(mine[w]);
			while (pend) {
				unsigned int b = (unsigned int)__builtin_ctzll(pend);
				pvk_xen_ulong_t bit = (pvk_xen_ulong_t)1 << b;

				pend &= pend - 1;
				if (!(__atomic_load_n(&mine[w], __ATOMIC_ACQUIRE) & bit) ||
				    (PVK_READ_ONCE(si->evtchn_mask[w]) & bit))
					continue;
				pvk_evtchn_handle_port(w * PVK_EVTCHN_BITS + b, cpu);
			}
		}
	}
}

const struct pvk_evtchn_abi pvk_evtchn_2l = {
	.name = "2-level",
	.nr_ports = PVK_EVTCHN_2L_NR_CHANNELS,
	.mask = mask_2l,
	.test_and_mask = test_and_mask_2l,
	.unmask = unmask_2l,
	.clear = clear_2l,
	.is_pending = is_pending_2l,
	.is_masked = is_masked_2l,
	.setup_port = setup_port_2l,
	.moved = moved_2l,
	.cpu_prepare = cpu_prepare_2l,
	.scan = scan_2l,
};
