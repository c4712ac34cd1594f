/*
 * hypercall/multicall.c - the kit's multicall batcher: one locked queue.
 *
 * The public API of pvkit/multicall.h over one struct pvk_multicall_queue
 * (multicall_queue.c holds the logic), plus pvk_multicall_issue(), the one
 * place a batch is handed to Xen. The lock masks upcalls, so an event
 * handler cannot find the queue half-filled on its own CPU.
 */
#include <pvkit/hypercall.h>
#include <pvkit/multicall.h>
#include <pvkit/port.h>
#include "multicall_queue.h"

static struct {
	struct pvk_lock lock;
	bool ready;
	struct pvk_multicall_queue queue;
} batcher;

long pvk_multicall_issue(struct pvk_multicall_entry *entries, unsigned int n)
{
	return pvk_hyp_multicall(entries, n);
}

void pvk_multicall_init(void)
{
	pvk_port_lock_init(&batcher.lock);
	pvk_multicall_queue_init(&batcher.queue);
	batcher.ready = true;
}

static void lock(void)
{
	if (!batcher.ready)
		pvk_port_panic("pvkit: multicall batcher used before pvk_multicall_init()");
	pvk_port_lock(&batcher.lock);
}

int pvk_multicall_add(const struct pvk_multicall_op *op,
		      struct pvk_multicall_failure *fail)
{
	int rc;

	lock();
	rc = pvk_multicall_queue_add(&batcher.queue, op, fail);
	pvk_port_unlock(&batcher.lock);
	return rc;
}

int pvk_multicall_flush(struct pvk_multicall_failure *fail)
{
	int rc;

	lock();
	rc = pvk_multicall_queue_flush(&batcher.queue, fail);
	pvk_port_unlock(&batcher.lock);
	return rc;
}

unsigned int pvk_multicall_pending(void)
{
	unsigned int n;

	lock();
	n = batcher.queue.count;
	pvk_port_unlock(&batcher.lock);
	return n;
}
