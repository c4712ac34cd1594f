/*
 * events/cpu.c - ports and vCPUs: which vCPU each port is delivered to,
 * moving a port (EVTCHNOP_bind_vcpu), a vCPU's event state before it
 * starts, and its ports when it goes offline.
 *
 * Xen delivers a port to one vCPU (its notify vCPU): vCPU 0 for
 * interdomain and unbound ports, the vCPU named for IPIs and VIRQs. The
 * kit records it in the port's slot (evtchn.c at bind); the 2-level ABI
 * also keeps it as a bitmap per CPU, which its scan uses as a filter, and
 * the FIFO ABI has a control block and queues per vCPU.
 *
 * Moving a port follows Linux's rebind: mask it (remembering whether it
 * was masked), EVTCHNOP_bind_vcpu, update the record, wait until the old
 * CPU can no longer start its handler (below), wait until a handler still
 * running anywhere has finished, and unmask it if it was unmasked.
 *
 * Waiting for `dispatching` alone is not enough: the old CPU's scan may
 * have read the port as pending, unmasked and its own just before the
 * move, and be about to dispatch it without having named it yet. The
 * mover has that CPU run an empty function (pvk_smp_call(), an IPI that
 * is itself an event there): scans and handlers run with upcalls masked,
 * one handler at a time, so by the time the call is served there, a
 * dispatch of the port that scan had already begun is over (or still
 * running: the wait for `dispatching` that follows covers it), and every
 * later dispatch decision there sees the new state. 2-level: the scan
 * checks each port's owner and mask bits again right before dispatching
 * it, after any earlier handler of the same snapshot ran, so a port moved
 * by a call served from that snapshot (even through an IPI event that was
 * already pending before the move, which the mover's send does not make
 * any newer) is seen gone. FIFO: the owner is read for each event
 * consumed. A caller on the old CPU itself runs the call directly: no
 * scan of its own is in progress (the move is refused from a handler:
 * -EINVAL); an old CPU that is offline runs no scan either.
 *
 * The target must be online, checked under the bind lock; a CPU going
 * down clears its online bit first and then, in pvk_evtchn_cpu_dead(),
 * reads each port's vCPU under that same lock, so a move to it either
 * sees it offline (refused) or is seen by that scan (moved back to 0).
 *
 * A timeout leaves the port masked: its handler may still run on the old
 * vCPU, and an unmask would let the new one run it at the same time.
 *
 * The final unmask is what re-raises an event that was pending
 * during the move on the new CPU: 2-level, the old CPU's selector bit no
 * longer names it for anyone, so a port pending there is raised by
 * EVTCHNOP_unmask on the new one; FIFO, an event still linked on the old
 * CPU's queue is found there by that CPU's scan, which sees that the port
 * is no longer its own and has Xen link it again on the new one. A port
 * that was masked at the start (by its old CPU's dispatch, say) and is
 * unmasked and pending by the end is raised again through Xen
 * (redeliver() below).
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

unsigned int pvk_evtchn_port_cpu(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_slot *s = pvk_evtchn_slot(port);

	if (!pvk_evtchn_si || port >= pvk_evtchn_abi->nr_ports || !s ||
	    !(PVK_READ_ONCE(s->flags) & PVK_EVTCHN_SLOT_BOUND))
		return PVK_MAX_CPUS;
	return PVK_READ_ONCE(s->cpu);
}

static void upcall_boundary(void *arg)
{
	(void)arg;	/* running at all is the point (see the top) */
}

/* The old vCPU has nothing to do but take an IPI, yet on an overcommitted
 * host it may not be run for a second or more: pvk_smp_call() warns after
 * 1 s, and this fails only after 10 s, as the kit's other cross-CPU waits
 * (a CPU start, run_on) do. */
#define BOUNDARY_WAIT_NS	(10000ULL * 1000 * 1000)

/* Returns once CPU from has taken its upcalls since the move (see the
 * top); -ETIMEDOUT (logged) when it did not answer in 10 s. */
static int wait_upcall_boundary(pvk_evtchn_port_t port, unsigned int from)
{
	struct pvk_cpumask old = pvk_cpumask_of(from);
	int rc;

	/* Offline (pvk_evtchn_cpu_dead() runs on it, irqs off): no scan.
	 * One going offline meanwhile is left out by the call itself. */
	if (!pvk_smp_cpu_online(from))
		return 0;
	rc = pvk_smp_call(&old, upcall_boundary, NULL, BOUNDARY_WAIT_NS);
	if (rc)
		pvk_err("evtchn: port %u moved to its new vCPU in Xen, but its old vCPU %u did not take its upcalls for 10 s (%d): it may still dispatch the port once",
			port, from, rc);
	return rc;
}

/*
 * A port that was masked when the move began is left for its masker to
 * unmask. That masker may be the old CPU's dispatch of the port: its
 * 2-level unmask read the port as still its own just before the move and
 * cleared the mask locally, raising the pending event in its own
 * selector, where its next scan skips it (no longer its own), and Xen
 * does not raise a port that is pending already: the event would wait
 * for the next move. So once the old CPU can no longer dispatch it, a
 * port found unmasked and pending is masked again and unmasked through
 * Xen, which raises it on the vCPU it is bound to now. Exactly once: a
 * dispatch on the new CPU that got in first cleared the pending bit (then
 * Xen raises nothing) or finds it masked and leaves it to Xen's raise;
 * one that masked it meanwhile (test_and_mask true) unmasks it itself,
 * on its own CPU's path, which is right by now. FIFO has no such local
 * raise (a pending port is always unmasked through Xen, and an event
 * linked on the old CPU's queue is moved by that CPU's scan): there this
 * is a harmless extra unmask.
 */
static void redeliver(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_unmask op = { .port = port };

	if (pvk_evtchn_abi->is_masked(port) || !pvk_evtchn_abi->is_pending(port))
		return;
	if (pvk_evtchn_abi->test_and_mask(port))
		return;
	pvk_hyp_event_channel_op(PVK_EVTCHNOP_unmask, &op);
}

int pvk_evtchn_bind_vcpu(pvk_evtchn_port_t port, unsigned int cpu)
{
	struct pvk_evtchn_bind_vcpu op = { .port = port, .vcpu = cpu };
	struct pvk_evtchn_slot *s = pvk_evtchn_slot(port);
	unsigned int from = 0;
	bool was_masked, in_handler;
	unsigned long flags;
	long rc;

	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (port >= pvk_evtchn_abi->nr_ports || cpu >= PVK_MAX_CPUS || !s)
		return -PVK_XEN_EINVAL;
	/* Not from a handler (see the top): the boundary call would find
	 * this CPU's scan in progress. Irqs off for the look, so that the
	 * CPU read is the one whose state is read. */
	flags = pvk_irq_save();
	in_handler = PVK_READ_ONCE(pvk_evtchn_cpus[pvk_port_cpu_id()].dispatching) != PVK_EVTCHN_NONE;
	pvk_restore_fl(flags);
	if (in_handler) {
		pvk_err("evtchn: port %u: pvk_evtchn_bind_vcpu() from an event handler", port);
		return -PVK_XEN_EINVAL;
	}
	pvk_port_lock(&pvk_evtchn_bind_lock);
	/* Under the lock that pvk_evtchn_cpu_dead() reads each port's vCPU
	 * with (see the top). */
	if (!pvk_smp_cpu_online(cpu)) {
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		return -PVK_XEN_EINVAL;
	}
	if (!(s->flags & PVK_EVTCHN_SLOT_BOUND)) {
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		return -PVK_XEN_EINVAL;
	}
	if (s->flags & PVK_EVTCHN_SLOT_PINNED) {
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		pvk_err("evtchn: port %u is an IPI or per-vCPU VIRQ: it cannot move to vCPU %u",
			port, cpu);
		return -PVK_XEN_EINVAL;
	}
	if (s->cpu == cpu) {
		pvk_port_unlock(&pvk_evtchn_bind_lock);
		return 0;
	}
	was_masked = pvk_evtchn_abi->test_and_mask(port);
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_bind_vcpu, &op);
	if (!rc) {
		from = s->cpu;
		pvk_evtchn_abi->moved(port, from, cpu);
		PVK_WRITE_ONCE(s->cpu, (uint8_t)cpu);
	}
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	if (rc) {
		pvk_err("evtchn: EVTCHNOP_bind_vcpu(port %u, vCPU %u) refused: %ld",
			port, cpu, rc);
	} else {
		/* Moved; -ETIMEDOUT (logged) when the old CPU did not take
		 * its upcalls in 10 s, or a handler still runs after 1 s: then the
		 * port stays masked (see the top). A running handler is
		 * waited for in either case. */
		int boundary = wait_upcall_boundary(port, from);
		int running = pvk_evtchn_wait_dispatch_end(port);

		rc = boundary ? boundary : running;
		if (rc) {
			if (!was_masked)
				pvk_err("evtchn: port %u left masked after its move to vCPU %u (%ld): unmask it once its old vCPU answers",
					port, cpu, rc);
			return (int)rc;
		}
	}
	if (!was_masked)
		pvk_evtchn_unmask(port);
	else if (!rc)
		redeliver(port);
	return (int)rc;
}

int pvk_evtchn_cpu_prepare(unsigned int cpu)
{
	if (!pvk_evtchn_si)
		return -PVK_XEN_ENODEV;
	if (cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	return pvk_evtchn_abi->cpu_prepare(cpu);
}

void pvk_evtchn_cpu_dead(unsigned int cpu)
{
	unsigned long flags;

	if (!pvk_evtchn_si || !cpu || cpu >= PVK_MAX_CPUS)
		return;
	for (size_t pg = 0; pg < PVK_EVTCHN_SLOT_PAGES; pg++) {
		struct pvk_evtchn_slot *slots = PVK_READ_ONCE(pvk_evtchn_slot_pages[pg]);

		if (!slots)
			continue;
		for (size_t i = 0; i < PVK_EVTCHN_SLOTS_PER_PAGE; i++) {
			pvk_evtchn_port_t port = (pvk_evtchn_port_t)(pg * PVK_EVTCHN_SLOTS_PER_PAGE + i);
			struct pvk_evtchn_slot *s = &slots[i];
			uint8_t f = PVK_READ_ONCE(s->flags);
			bool here;

			if (!(f & PVK_EVTCHN_SLOT_BOUND))
				continue;
			/* Under the bind lock, after our online bit went: a
			 * move to us either is seen here or saw us offline
			 * (see the top). */
			pvk_port_lock(&pvk_evtchn_bind_lock);
			f = s->flags;
			here = (f & PVK_EVTCHN_SLOT_BOUND) && s->cpu == cpu;
			pvk_port_unlock(&pvk_evtchn_bind_lock);
			if (!here)
				continue;
			if (f & PVK_EVTCHN_SLOT_PINNED)
				/* Stays with cpu, masked until it is back
				 * (its owner unmasks it then). */
				pvk_evtchn_mask(port);
			else
				pvk_evtchn_bind_vcpu(port, 0);
		}
	}
	/* What is still linked on cpu's FIFO queues goes where it belongs. */
	flags = pvk_irq_save();
	pvk_evtchn_fifo_drain(cpu);
	pvk_restore_fl(flags);
	/* Its held ports (moved to CPU 0 above, still masked) are released
	 * now: its kit timer that would have is gone. */
	pvk_evtchn_release_cpu(cpu);
}
