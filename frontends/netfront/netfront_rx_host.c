/*
 * frontends/netfront/netfront_rx_host.c - receive driven by the host: a
 * host with its own poll loop (Linux's NAPI) sets hooks->rx_ready, is told
 * when a queue has work instead of the kit consuming it in the event
 * handler, and takes it with pvk_netfront_rx_poll() within its budget;
 * and a host that hands received pages up its stack takes them with
 * pvk_netfront_rx_take_page(), giving a page of its own in their place,
 * instead of copying the frame out.
 *
 * A taken page was answered, so its grant ended before the hook ran
 * (netfront_rx.c reads no page the backend can still write): nothing of
 * the backend's reaches it any more. The fresh page is zeroed before it is
 * granted unless the backend is trusted, as the transmit bounce pages are.
 */
#include <pvkit/xen/errno.h>

#include "netfront_internal.h"

static bool host_drives_rx(void)
{
	return netfront_hooks && netfront_hooks->rx_ready;
}

bool netfront_rx_kick(struct netfront_queue *q)
{
	bool work;

	if (!host_drives_rx())
		return netfront_rx_process(q);
	pvk_port_lock(&q->lock);
	if (q->rx_running) {
		/* A poll of the host's runs: it goes round once more before
		 * it ends (and arms the event), so nothing waits unseen. */
		q->rx_again = true;
		pvk_port_unlock(&q->lock);
		return true;
	}
	work = q->live && !PVK_READ_ONCE(q->dev->broken) &&
	       (q->rx_due || q->rx_refill_due ||
		pvk_ring_has_unconsumed(&q->rx.sring->rsp_prod, q->rx.rsp_cons));
	pvk_port_unlock(&q->lock);
	if (work)
		netfront_hooks->rx_ready(q->dev, q->index);
	return work;
}

unsigned int pvk_netfront_rx_poll(struct pvk_netfront *dev, unsigned int queue,
				  unsigned int budget)
{
	struct netfront_queue *q;
	unsigned int frames;
	bool found;

	if (!budget || !host_drives_rx() || !PVK_READ_ONCE(dev->queues) ||
	    queue >= PVK_READ_ONCE(dev->info.nr_queues))
		return 0;
	q = &dev->queues[queue];
	frames = netfront_rx_process_budget(q, budget, &found);
	netfront_broken_stop(dev);
	/* Work the kit's own step budget left gets no event: poll again. */
	if (PVK_READ_ONCE(q->rx_due))
		return budget;
	return frames;
}

void *pvk_netfront_rx_take_page(struct pvk_netfront *dev, const struct pvk_net_rx *frame,
				unsigned int i, void *fresh)
{
	struct netfront_queue *q;
	struct netfront_rx_buf *b;
	uintptr_t piece;
	void *taken = NULL;

	if (!fresh || !frame || i >= frame->nr_frags || !PVK_READ_ONCE(dev->queues) ||
	    frame->queue >= PVK_READ_ONCE(dev->info.nr_queues))
		return NULL;
	q = &dev->queues[frame->queue];
	pvk_port_lock(&q->lock);
	/* Only the frame the hook has now: its buffers are held, not posted. */
	if (q->rx_frame == frame) {
		b = &q->rxb[q->rx_frame_ids[i]];
		piece = (uintptr_t)frame->frags[i].buf;
		/* Taken already, if the piece is no longer in its page. */
		if (b->held && b->page && piece - (uintptr_t)b->page < NETFRONT_PAGE) {
			taken = b->page;
			b->page = fresh;
		}
	}
	pvk_port_unlock(&q->lock);
	/*
	 * Zeroed after the unlock, though b->page already names it: nothing
	 * can grant, post or free it before this returns. b->held keeps the
	 * buffer out of the refill, and out of a queue setup or teardown
	 * while the hook runs (rx_running); the one repost of this buffer
	 * is rx_deliver_locked's (netfront_rx.c), on this thread, after the
	 * hook has returned; its page is freed only by release, never beside
	 * a running hook. (Zeroing first would wipe a page the host keeps
	 * when the take is refused.)
	 */
	if (taken && !PVK_READ_ONCE(dev->info.trusted))
		__builtin_memset(fresh, 0, NETFRONT_PAGE);
	return taken;
}
