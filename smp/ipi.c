/*
 * smp/ipi.c - inter-processor interrupts: the kinds pending on each CPU,
 * the host's handlers, sending, and what runs when one arrives.
 *
 * Each CPU has one word of pending kinds. A sender ORs the kind's bit into
 * the target's word, then raises the world's one IPI (Xen: an event on the
 * target's IPI port; natively a fixed vector). The target takes the whole
 * word with one exchange and runs each kind once: kinds sent twice before
 * it looked run once, like a pending interrupt. The bit is set before the
 * IPI is raised, and the target clears the word before it runs the
 * handlers, so a kind sent while handlers run raises a new IPI that finds
 * it: none is lost.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "smp_internal.h"

struct ipi_handler {
	pvk_ipi_handler_t fn;
	void *arg;
};

/* One word per CPU, each on its own cache line: senders to different
 * CPUs do not share a line. */
static struct {
	uint32_t kinds;
} __attribute__((aligned(64))) pending[PVK_MAX_CPUS];

#define IPI_PASSES	4

static struct ipi_handler handlers[PVK_IPI_KINDS];
static uint64_t dropped[PVK_IPI_KINDS];		/* kinds without a handler */

int pvk_smp_set_ipi_handler(unsigned int kind, pvk_ipi_handler_t fn, void *arg)
{
	if (kind == PVK_IPI_KIT || kind >= PVK_IPI_KINDS) {
		pvk_err("smp: IPI kind %u is not the host's (1..%u)", kind, PVK_IPI_KINDS - 1);
		return -PVK_XEN_EINVAL;
	}
	/* arg first, fn last with release; the receiver reads fn with
	 * acquire, then arg: a new fn always sees its own arg. A handler
	 * replaced while an IPI of its kind is being handled may run once
	 * more with the old fn and the new arg: a host that changes arg
	 * replaces the handler only while no IPI of that kind is sent. */
	PVK_WRITE_ONCE(handlers[kind].arg, arg);
	__atomic_store_n(&handlers[kind].fn, fn, __ATOMIC_RELEASE);
	return 0;
}

/* Marks kind pending on each CPU of *targets and raises the IPI there.
 * targets holds online CPUs only. */
static int raise(const struct pvk_cpumask *targets, unsigned int kind)
{
	struct pvk_smp_stats *st = pvk_smp_stats_of(pvk_port_cpu_id());
	unsigned int cpu;
	int rc;

	pvk_for_each_cpu(cpu, targets) {
		__atomic_fetch_or(&pending[cpu].kinds, 1U << kind, __ATOMIC_SEQ_CST);
		pvk_smp_count(&st->ipis_sent);
	}
	rc = pvk_pvops.smp.send_ipi(targets);
	if (rc)
		pvk_err("smp: IPI kind %u to CPUs 0x%llx: %s send_ipi failed: %d", kind,
			(unsigned long long)targets->bits, pvk_pvops_name(), rc);
	return rc;
}

int pvk_smp_send_ipi(unsigned int cpu, unsigned int kind)
{
	struct pvk_cpumask one = pvk_cpumask_of(cpu);

	if (kind >= PVK_IPI_KINDS)
		return -PVK_XEN_EINVAL;
	if (!pvk_smp_cpu_online(cpu))
		return -PVK_XEN_ENODEV;
	return raise(&one, kind);
}

int pvk_smp_send_ipi_mask(const struct pvk_cpumask *cpus, unsigned int kind)
{
	struct pvk_cpumask online = { cpus->bits & pvk_smp_online_bits() };
	int rc = 0;

	if (kind >= PVK_IPI_KINDS)
		return -PVK_XEN_EINVAL;
	if (!pvk_cpumask_empty(&online))
		rc = raise(&online, kind);
	if (!rc && online.bits != cpus->bits)
		rc = -PVK_XEN_ENODEV;
	return rc;
}

void pvk_smp_ipi_received(void)
{
	unsigned int cpu = pvk_port_cpu_id();
	struct pvk_smp_stats *st = pvk_smp_stats_of(cpu);
	uint32_t kinds;

	pvk_smp_count(&st->ipis_received);
	/* A few passes, not until the word stays empty: under a steady
	 * stream from other CPUs that would never end in interrupt context.
	 * What is left raises a new IPI here, taken after this one. */
	for (unsigned int pass = 0; pass <= IPI_PASSES; pass++) {
		kinds = __atomic_exchange_n(&pending[cpu].kinds, 0, __ATOMIC_SEQ_CST);
		if (!kinds)
			break;
		if (pass == IPI_PASSES) {
			struct pvk_cpumask self = pvk_cpumask_of(cpu);

			__atomic_fetch_or(&pending[cpu].kinds, kinds, __ATOMIC_SEQ_CST);
			if (!pvk_pvops.smp.send_ipi(&self))
				break;
			/* Cannot re-raise: run what was left once more (the
			 * last pass, so that a steady stream cannot keep us
			 * here); what comes after waits for the next IPI. */
			kinds = __atomic_exchange_n(&pending[cpu].kinds, 0,
						    __ATOMIC_SEQ_CST);
		}
		for (unsigned int kind = 0; kind < PVK_IPI_KINDS; kind++) {
			pvk_ipi_handler_t fn;

			if (!(kinds & (1U << kind)))
				continue;
			if (kind == PVK_IPI_KIT) {
				pvk_smp_count(&st->ipi_kinds_run);
				pvk_smp_call_serve();
				continue;
			}
			fn = __atomic_load_n(&handlers[kind].fn, __ATOMIC_ACQUIRE);
			if (fn) {
				pvk_smp_count(&st->ipi_kinds_run);
				fn(kind, PVK_READ_ONCE(handlers[kind].arg));
			} else {
				pvk_smp_count(&dropped[kind]);
			}
		}
	}
}

/* cpu is being started again: the host's kinds sent to it while it was
 * down are dropped (counted). The kit's kind stays: it only says "look
 * at your call inbox", which a caller may have filled for the CPU as it
 * went down and came back, and serving an empty inbox costs nothing. */
void pvk_smp_ipi_forget(unsigned int cpu)
{
	uint32_t kinds = __atomic_fetch_and(&pending[cpu].kinds, 1U << PVK_IPI_KIT,
					    __ATOMIC_SEQ_CST);

	for (unsigned int kind = 1; kind < PVK_IPI_KINDS; kind++)
		if (kinds & (1U << kind))
			pvk_smp_count(&dropped[kind]);
}
