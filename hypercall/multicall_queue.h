/*
 * hypercall/multicall_queue.h - the multicall batcher's state and pure logic.
 *
 * A queue is a plain struct with no lock and no Xen in it: the caller
 * provides mutual exclusion (multicall.c: one queue per CPU, under masked
 * upcalls), and the logic reaches Xen through exactly
 * one function, pvk_multicall_issue(). The kit defines that in multicall.c;
 * the host unit tests define their own and drive this logic directly.
 */
#ifndef PVK_HYPERCALL_MULTICALL_QUEUE_H
#define PVK_HYPERCALL_MULTICALL_QUEUE_H

#include <pvkit/multicall.h>
#include <pvkit/types.h>
#include <pvkit/xen/xen.h>

#define PVK_MULTICALL_QUEUE_SIZE CONFIG_PVK_MULTICALL_BATCH

/*
 * Written into every entry's result before the batch is issued. Xen
 * overwrites it for each entry it runs; one still there afterwards was
 * never run. No hypercall returns it: it is neither an error (-4095..-1)
 * nor a canonical address nor a count.
 */
#define PVK_MULTICALL_NOT_RUN 0x8badc0de8badc0deUL

struct pvk_multicall_queue {
	unsigned int count;	/* entries queued */
	bool busy;		/* a flush is issuing or running callbacks */
	struct pvk_multicall_entry entries[PVK_MULTICALL_QUEUE_SIZE];
	struct {
		pvk_multicall_done_fn fn;
		void *ctx;
	} done[PVK_MULTICALL_QUEUE_SIZE];
};

/* An empty queue. */
void pvk_multicall_queue_init(struct pvk_multicall_queue *q);

/* Queue op; flush when that fills the queue. Returns as pvk_multicall_add(),
 * and -PVK_XEN_EDEADLK when called from a completion callback of q. */
int pvk_multicall_queue_add(struct pvk_multicall_queue *q,
			    const struct pvk_multicall_op *op,
			    struct pvk_multicall_failure *fail);

/* Issue, check, run callbacks. Returns as pvk_multicall_flush(), and
 * -PVK_XEN_EDEADLK when called from a completion callback of q. */
int pvk_multicall_queue_flush(struct pvk_multicall_queue *q,
			      struct pvk_multicall_failure *fail);

/* Hand n entries to Xen as one HYPERVISOR_multicall; the multicall's status. */
long pvk_multicall_issue(struct pvk_multicall_entry *entries, unsigned int n);

#endif /* PVK_HYPERCALL_MULTICALL_QUEUE_H */
