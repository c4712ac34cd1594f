/*
 * pvkit/multicall.h - batching hypercalls into one HYPERVISOR_multicall.
 *
 * Each transition into Xen costs far more than the work most hypercalls do,
 * so code that makes many small calls in a row (page-table updates, event
 * channel sends) queues them here and the batcher issues them as one
 * multicall: when the queue is full (CONFIG_PVK_MULTICALL_BATCH entries) or
 * when the caller flushes.
 *
 * After every flush the batcher checks each entry's result. Every failed
 * entry is logged with pvk_err (index, hypercall name and number, arguments,
 * Xen's error); the first one is returned to the caller, in detail through
 * struct pvk_multicall_failure. Then each entry's completion callback, if
 * it has one, runs with that entry's own result, in queue order.
 *
 * Ordering: queued calls reach Xen only at the flush. Code that makes a
 * direct hypercall depending on queued ones must flush first.
 *
 * Context: one queue per CPU (pvk_port_cpu_id()); each call acts on the
 * calling CPU's with upcalls masked, so an event handler never finds it
 * half-filled. What one CPU queued is issued by that CPU only: flush on
 * the CPU that queued. Callbacks run with upcalls masked: they must not
 * queue multicalls or flush (refused, -PVK_XEN_EDEADLK), nor sleep.
 */
#ifndef PVKIT_MULTICALL_H
#define PVKIT_MULTICALL_H

#include <pvkit/types.h>
#include <pvkit/xen/xen.h>

/* Arguments a multicall entry carries (struct pvk_multicall_entry.args). */
#define PVK_MULTICALL_MAX_ARGS 6

/* pvk_multicall_failure.index when the multicall itself failed, not an
 * entry. */
#define PVK_MULTICALL_WHOLE_BATCH (~0u)

/*
 * Completion callback: runs after the batch holding the entry was issued
 * and checked. result is the entry's own result (negative Xen error on
 * failure; the multicall's error if Xen never ran the entry).
 */
typedef void (*pvk_multicall_done_fn)(void *ctx, long result);

/* One queued hypercall. Unused trailing args must be 0. */
struct pvk_multicall_op {
	unsigned int op;				/* PVK_HYPERVISOR_* */
	unsigned long args[PVK_MULTICALL_MAX_ARGS];
	pvk_multicall_done_fn done;			/* may be NULL */
	void *ctx;					/* passed to done */
};

/* The first failure of a flush, for the caller to act on or report. */
struct pvk_multicall_failure {
	unsigned int index;		/* entry in its batch, or PVK_MULTICALL_WHOLE_BATCH */
	unsigned int batch_size;	/* entries in that batch */
	unsigned int failed;		/* how many entries of the batch failed */
	unsigned int op;		/* PVK_HYPERVISOR_* of the entry */
	unsigned long args[PVK_MULTICALL_MAX_ARGS];
	long result;			/* Xen's error, -PVK_XEN_E* */
};

/* Set up the queue. Call once at boot, before any other function here. */
void pvk_multicall_init(void);

/*
 * Queue one hypercall. If the queue is already full it is flushed first,
 * and that flush's outcome is what this returns (0, or the first failing
 * entry's error with *fail filled in when fail is not NULL); op is queued
 * either way. Refuses PVK_HYPERVISOR_multicall (Xen forbids nesting) and
 * PVK_HYPERVISOR_iret (it does not return) with -PVK_XEN_EINVAL, queueing
 * nothing.
 */
int pvk_multicall_add(const struct pvk_multicall_op *op,
		      struct pvk_multicall_failure *fail);

/*
 * Issue everything queued as one multicall, check the results, run the
 * callbacks. Returns 0 when every entry succeeded (or the queue was empty),
 * else the first failure's error, described in *fail when fail is not NULL.
 */
int pvk_multicall_flush(struct pvk_multicall_failure *fail);

/* Entries queued on the calling CPU and not yet issued. */
unsigned int pvk_multicall_pending(void);

#endif /* PVKIT_MULTICALL_H */
