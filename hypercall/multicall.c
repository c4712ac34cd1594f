/*
 * hypercall/multicall.c - the kit's multicall batcher: one queue per CPU.
 *
 * The public API of pvkit/multicall.h over one struct pvk_multicall_queue
 * per CPU (multicall_queue.c holds the logic), plus pvk_multicall_issue(),
 * the one place a batch is handed to Xen. A queue is only ever touched by
 * its own CPU, so it needs no lock: masking upcalls (pvk_irq_save()) is
 * enough to keep an event handler on that CPU from finding it half-filled.
 * Batches of different CPUs go to Xen independently; ordering holds per
 * CPU, as it does for the caller's own code.
 */
#include <pvkit/hypercall.h>
#include <pvkit/multicall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include "multicall_queue.h"

static bool ready;
static struct pvk_multicall_queue queues[PVK_MAX_CPUS];

long pvk_multicall_issue(struct pvk_multicall_entry *entries, unsigned int n)
{
	return pvk_hyp_multicall(entries, n);
}

void pvk_multicall_init(void)
{
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		pvk_multicall_queue_init(&queues[cpu]);
	ready = true;
}

/* Masks upcalls and returns the calling CPU's queue (it stays on it). */
static struct pvk_multicall_queue *get(unsigned long *flags)
{
	unsigned int cpu;

	if (!ready)
		pvk_port_panic("pvkit: multicall batcher used before pvk_multicall_init()");
	*flags = pvk_irq_save();
	cpu = pvk_port_cpu_id();
	if (cpu >= PVK_MAX_CPUS)
		pvk_port_panic("pvkit: multicall from a CPU beyond PVK_MAX_CPUS");
	return &queues[cpu];
}

int pvk_multicall_add(const struct pvk_multicall_op *op,
		      struct pvk_multicall_failure *fail)
{
	unsigned long flags;
	struct pvk_multicall_queue *q = get(&flags);
	int rc = pvk_multicall_queue_add(q, op, fail);

	pvk_restore_fl(flags);
	return rc;
}

int pvk_multicall_flush(struct pvk_multicall_failure *fail)
{
	unsigned long flags;
	struct pvk_multicall_queue *q = get(&flags);
	int rc = pvk_multicall_queue_flush(q, fail);

	pvk_restore_fl(flags);
	return rc;
}

unsigned int pvk_multicall_pending(void)
{
	unsigned long flags;
	struct pvk_multicall_queue *q = get(&flags);
	unsigned int n = q->count;

	pvk_restore_fl(flags);
	return n;
}
