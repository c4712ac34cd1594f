/*
 * tests/guest/cases/blk_async.h - what the blkfront tests that submit
 * requests asynchronously and wait for hotplug hooks share
 * (blkfront_life.c, hostile_blk.c): a request with the record of its
 * completions, and the bounded wait for a hook's counter.
 */
#ifndef PVK_GUEST_BLK_ASYNC_H
#define PVK_GUEST_BLK_ASYNC_H

#include <pvkit/blkfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

struct blk_async {
	struct pvk_blk_req req;
	bool busy, done;		/* busy: in use by the test */
	int status;
	unsigned int completions;	/* done() calls for this request */
	struct pvk_wait *wake;		/* woken at each completion */
};

/* The request's done(): req->arg is its struct blk_async. */
static inline void blk_async_done(struct pvk_blk_req *req, int status)
{
	struct blk_async *c = req->arg;

	c->status = status;
	c->completions++;
	PVK_WRITE_ONCE(c->done, true);
	pvk_port_wake(c->wake);
}

/* Runs watches (where the hooks are called) until *counter is nonzero,
 * for timeout_ns at most: 0, or -ETIMEDOUT. */
static inline int wait_hook(const unsigned int *counter, uint64_t timeout_ns)
{
	const uint64_t slice = 1000ULL * 1000 * 1000 / 5;
	uint64_t deadline = pvk_time_now_ns() + timeout_ns;

	while (!PVK_READ_ONCE(*counter)) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(deadline - now < slice ? deadline - now : slice);
	}
	return 0;
}

#endif /* PVK_GUEST_BLK_ASYNC_H */
