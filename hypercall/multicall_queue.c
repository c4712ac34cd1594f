/*
 * hypercall/multicall_queue.c - filling, issuing and checking a multicall batch.
 *
 * Pure logic (see multicall_queue.h): no lock, no Xen except through
 * pvk_multicall_issue(). The host unit tests compile this very file.
 *
 * A flush runs in three passes over the batch, in this order:
 *   1. poison every result, issue the batch;
 *   2. check every entry's result, log each failure, remember the first;
 *   3. run every completion callback with its entry's own result.
 * Callbacks therefore see a batch that is completely checked, and run in
 * queue order even when entries failed.
 */
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>
#include "multicall_queue.h"

void pvk_multicall_queue_init(struct pvk_multicall_queue *q)
{
	q->count = 0;
	q->busy = false;
}

static const char *errname(long err)
{
	const char *name = pvk_xen_errno_name(err);

	return name ? name : "not a Xen error code";
}

static int refuse_reentry(const char *what)
{
	pvk_err("multicall: %s called from a completion callback, while its batch is still completing",
		what);
	return -PVK_XEN_EDEADLK;
}

static bool refused_op(unsigned int op, const char **why)
{
	if (op == PVK_HYPERVISOR_multicall) {
		*why = "Xen refuses nested multicalls";
		return true;
	}
	if (op == PVK_HYPERVISOR_iret) {
		*why = "iret does not return, and cannot be batched";
		return true;
	}
	return false;
}

int pvk_multicall_queue_add(struct pvk_multicall_queue *q,
			    const struct pvk_multicall_op *op,
			    struct pvk_multicall_failure *fail)
{
	struct pvk_multicall_entry *e;
	const char *why;

	if (q->busy)
		return refuse_reentry("pvk_multicall_add");
	if (refused_op(op->op, &why)) {
		pvk_err("multicall: refusing to queue %s (hypercall %u): %s",
			pvk_hypercall_name(op->op), op->op, why);
		return -PVK_XEN_EINVAL;
	}

	e = &q->entries[q->count];
	e->op = op->op;
	e->result = 0;
	for (unsigned int i = 0; i < PVK_MULTICALL_MAX_ARGS; i++)
		e->args[i] = op->args[i];
	q->done[q->count].fn = op->done;
	q->done[q->count].ctx = op->ctx;

	if (++q->count < PVK_MULTICALL_QUEUE_SIZE)
		return 0;
	return pvk_multicall_queue_flush(q, fail);
}

/* What entry i achieved: Xen's result, or, if Xen never ran it, why not. */
static long entry_result(const struct pvk_multicall_queue *q, unsigned int i,
			 long status)
{
	unsigned long r = q->entries[i].result;

	if (r != PVK_MULTICALL_NOT_RUN)
		return (long)r;
	return pvk_hypercall_failed(status) ? status : -PVK_XEN_EIO;
}

static void report_entry(const struct pvk_multicall_queue *q, unsigned int i,
			 long result, long status)
{
	const struct pvk_multicall_entry *e = &q->entries[i];
	unsigned int op = (unsigned int)e->op;
	unsigned int nargs = pvk_hypercall_nargs(op);
	char args[PVK_MULTICALL_MAX_ARGS * 20 + 8];
	size_t len = 0;

	args[0] = '\0';
	for (unsigned int a = 0; a < nargs && len < sizeof(args); a++)
		len += (size_t)pvk_snprintf(args + len, sizeof(args) - len,
					    "%s0x%lx", a ? ", " : "",
					    (unsigned long)e->args[a]);

	if (e->result != PVK_MULTICALL_NOT_RUN)
		pvk_err("multicall: entry %u of %u failed: %s#%u(%s) = %ld (%s)",
			i, q->count, pvk_hypercall_name(op), op, args,
			result, errname(result));
	else if (status != 0)
		pvk_err("multicall: entry %u of %u not run: %s#%u(%s): the multicall failed with %ld (%s)",
			i, q->count, pvk_hypercall_name(op), op, args,
			status, errname(status));
	else
		pvk_err("multicall: entry %u of %u not run: %s#%u(%s): Xen reported success but never wrote its result",
			i, q->count, pvk_hypercall_name(op), op, args);
}

static void describe(struct pvk_multicall_failure *fail,
		     const struct pvk_multicall_queue *q, unsigned int index,
		     unsigned int failed, long result)
{
	fail->index = index;
	fail->batch_size = q->count;
	fail->failed = failed;
	fail->result = result;
	if (index == PVK_MULTICALL_WHOLE_BATCH) {
		fail->op = PVK_HYPERVISOR_multicall;
		for (unsigned int a = 0; a < PVK_MULTICALL_MAX_ARGS; a++)
			fail->args[a] = 0;
		return;
	}
	fail->op = (unsigned int)q->entries[index].op;
	for (unsigned int a = 0; a < PVK_MULTICALL_MAX_ARGS; a++)
		fail->args[a] = (unsigned long)q->entries[index].args[a];
}

/* The first failed entry is this CPU's latest refusal, for a crash report
 * (the multicall itself returned 0, so its wrapper did not see one). */
static void note_refused(const struct pvk_multicall_queue *q, unsigned int i,
			 long result)
{
	const struct pvk_multicall_entry *e = &q->entries[i];
	unsigned long args[PVK_MULTICALL_MAX_ARGS];
	unsigned int op = (unsigned int)e->op;
	unsigned int nargs = pvk_hypercall_nargs(op);

	if (nargs > PVK_MULTICALL_MAX_ARGS)
		nargs = PVK_MULTICALL_MAX_ARGS;
	for (unsigned int a = 0; a < nargs; a++)
		args[a] = (unsigned long)e->args[a];
	pvk_hypercall_note_refused_entry(op, args, nargs, result);
}

int pvk_multicall_queue_flush(struct pvk_multicall_queue *q,
			      struct pvk_multicall_failure *fail)
{
	unsigned int n = q->count, failed = 0, first = 0;
	long status, err = 0;

	if (q->busy)
		return refuse_reentry("pvk_multicall_flush");
	if (n == 0)
		return 0;
	q->busy = true;

	/* 1. Issue. */
	for (unsigned int i = 0; i < n; i++)
		q->entries[i].result = PVK_MULTICALL_NOT_RUN;
	status = pvk_multicall_issue(q->entries, n);
	if (status != 0)
		pvk_err("multicall: HYPERVISOR_multicall of %u entries failed: %ld (%s)",
			n, status, errname(status));

	/* 2. Check. */
	for (unsigned int i = 0; i < n; i++) {
		long r = entry_result(q, i, status);

		if (!pvk_hypercall_failed(r))
			continue;
		report_entry(q, i, r, status);
		if (failed++ == 0) {
			first = i;
			err = r;
		}
	}
	if (failed)
		pvk_hypercall_account_entry_errors(failed);
	if (failed && status == 0)
		note_refused(q, first, err);
	if (status != 0) {
		/* The batch as a whole failed: that is the error to act on. */
		err = pvk_hypercall_failed(status) ? status : -PVK_XEN_EIO;
		if (fail)
			describe(fail, q, PVK_MULTICALL_WHOLE_BATCH, failed, err);
	} else if (failed && fail) {
		describe(fail, q, first, failed, err);
	}

	/* 3. Complete. */
	for (unsigned int i = 0; i < n; i++)
		if (q->done[i].fn)
			q->done[i].fn(q->done[i].ctx, entry_result(q, i, status));

	q->count = 0;
	q->busy = false;
	return (int)err;
}
