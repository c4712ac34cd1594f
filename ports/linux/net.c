/*
 * ports/linux/net.c - the Linux network driver of pvk-netfront.ko: each
 * vif the kit's netfront (include/pvkit/netfront.h) negotiates becomes a
 * net_device (ethN) with one NAPI context per queue.
 *
 * Contexts, as the Linux port runs the kit: a link-down and done() run in
 * hard-irq context (the kit's event handlers) or inside our own calls of
 * the kit (softirq, or a thread); the rx hook only inside
 * pvk_netfront_rx_poll() of a queue's NAPI poll (softirq); added, link-up
 * and removed in the xenwatch thread (link-up only there: it follows the
 * backend's Connected), or in rmmod's thread at module exit.
 *
 * Receive is driven by NAPI, as Linux's own drivers do: the kit's rx event
 * (hooks->rx_ready) only schedules the queue's NAPI; its poll takes up to
 * its budget of frames with pvk_netfront_rx_poll(), which asks for the
 * next event only once the ring is empty, and refills the ring with one
 * notification a poll at most. Each frame is handed to GRO in the hook.
 * A frame of at most LNET_RX_COPY_MAX bytes is copied into the skb's head;
 * a larger one is not copied: its headers are pulled into the head and the
 * kit's pages become the skb's (pvk_netfront_rx_take_page), a fresh page
 * of ours taking each one's place on the ring. Work that gets no event
 * (a refill that failed: netback, short of buffers, sends none) is found
 * by a timer polling the kit while the device is open: every
 * LNET_POLL_PERIOD while polls find work, backing off to LNET_POLL_IDLE
 * when they find none. While it is down, frames wait on the rings (NAPI is off) and are
 * taken at the next open.
 *
 * Transmit: the kit copies the frame, so the skb is freed as soon as
 * pvk_netfront_xmit() returns; only the request (struct pvk_net_tx) lives
 * on, in a per-queue pool, until done(). A queue stops before the kit
 * could refuse a frame for room (our count of ring slots in flight), and
 * on a refusal all the same; done() wakes it, and the stop re-checks, so
 * no wake-up is lost. Each stop kicks the kit first: it pushes what waits
 * and takes the answers an event's budget left (no event comes for them,
 * and a stopped queue sends nothing that would).
 *
 * The net_device is registered at the first link-up: the MAC, the number
 * of queues and the offloads are known only once the kit negotiated. A
 * reconnect keeps it (queues and offloads updated); the vif's removal
 * unregisters it, and once the kit's device left xenbus (closed with the
 * backend) a delayed work item releases the kit's device and frees the
 * net_device (lnet_release_work). The kit refuses (-EBUSY) while the
 * backend still maps a page of the vif (a slow backend, or one that
 * never lets go): the work then tries again after 1 s, the wait doubling
 * up to LNET_RELEASE_MAX_DELAY, for as long as the module is loaded; only
 * the first refusal is logged, and the release that follows says after
 * how many tries. Module exit cancels these works and releases what is
 * left once (a device still refused then stays allocated for good).
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/if_ether.h>
#include <linux/if_vlan.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/llist.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/netdevice.h>
#include <linux/rcupdate.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <net/tcp.h>

#include <pvkit/netfront.h>
#include <pvkit/xen/errno.h>

#include "net.h"
#include "port_linux.h"

/* netfront.queues= takes 1..8 (include/pvkit/netfront.h). */
#define LNET_MAX_QUEUES		8
/* The kit cuts a transmit frame into slots of one 4 KiB page each. */
#define LNET_TX_SLOT		4096u
/* While open, how often the kit is polled without an event. */
#define LNET_POLL_PERIOD	(HZ / 10)
/* ... and at most, once polls found no work (the period doubles each). */
#define LNET_POLL_IDLE		HZ
/* A frame up to this size is copied whole into the skb's head (a page
 * for it would cost more than the copy); a larger one gets a head of
 * LNET_RX_PULL bytes of its first piece (its headers) and the kit's pages
 * themselves, or copied pages when it has more pieces than an skb takes. */
#define LNET_RX_COPY_MAX	256u
#define LNET_RX_PULL		256u
/* At unload, how long the backends get to close (and unmap our pages)
 * before the devices are unbound anyway. */
#define LNET_CLOSE_TIMEOUT_NS	(10 * NSEC_PER_SEC)
/* A detached vif's release, refused while the backend still maps a page
 * of it, is tried again after LNET_RELEASE_FIRST_DELAY, the wait doubling
 * up to LNET_RELEASE_MAX_DELAY: a backend that lets go late (seconds) is
 * met soon, one that never does costs a try a minute. */
#define LNET_RELEASE_FIRST_DELAY	HZ
#define LNET_RELEASE_MAX_DELAY		(60 * HZ)
/* Transmit offloads the kit can be asked for; RXCSUM is ours alone. */
#define LNET_TX_OFFLOADS	(NETIF_F_SG | NETIF_F_IP_CSUM | NETIF_F_IPV6_CSUM | \
				 NETIF_F_TSO | NETIF_F_TSO6)

/* The largest received frame (65,535 bytes with sg) in pages after its head. */
static_assert(DIV_ROUND_UP(65535 - LNET_RX_PULL, PAGE_SIZE) <= MAX_SKB_FRAGS);
/* The kit's pages are the host's pages (pvk_netfront_rx_take_page). */
static_assert(PAGE_SIZE == 4096);
/* A frame is at most the skb's head and its MAX_SKB_FRAGS pieces. */
static_assert(MAX_SKB_FRAGS + 1 <= PVK_NET_MAX_FRAGS);

struct lnet_queue;

/* One frame handed to the kit, until its done(). */
struct lnet_txreq {
	struct pvk_net_tx tx;
	struct lnet_queue *q;
	unsigned int cost;		/* ring slots it takes, at most */
	struct llist_node node;		/* in the pool while free */
};

struct lnet_queue {
	struct lnet *net;
	unsigned int index;
	struct napi_struct napi;
	/* The transmit pool: done() (any context) gives requests back on
	 * free; ndo_start_xmit (under this queue's xmit lock) takes them
	 * from local, refilled from free at once. */
	struct lnet_txreq *reqs;
	struct llist_head free;
	struct llist_node *local;
	atomic_t ring_used;		/* slots of the frames in flight */
	atomic_t completions;		/* done() calls: the stop's re-check */
	bool more_pending;		/* a frame went with PVK_NET_TX_MORE */
	/* What the kit's counters do not see. */
	atomic_long_t rx_dropped;	/* no memory, backlog full, down */
	atomic_long_t rx_length_errors;	/* shorter than an Ethernet header */
	atomic_long_t rx_csum_errors;	/* a partial checksum we cannot place */
	atomic_long_t tx_dropped;	/* refused by the kit, or unsendable */
	atomic_long_t tx_errors;	/* done() with an error */
	/* Where receive time goes (logged when the net_device goes). */
	atomic_long_t rx_hook_frames;	/* frames the kit's rx hook gave us */
	atomic_long_t rx_copied;	/* bytes copied out of the kit's pages */
	atomic_long_t rx_lent;		/* pages of the kit's handed up instead */
	atomic_long_t rx_truesize;	/* memory of the skbs handed to GRO */
	atomic_long_t rx_skb_bytes;	/* and the bytes they carry */
	atomic_long_t napi_polls;	/* lnet_poll calls */
	atomic_long_t napi_frames;	/* frames they handed to GRO */
};

struct lnet {
	struct list_head link;		/* lnet_devices (RCU for the hooks) */
	struct net_device *ndev;
	struct pvk_netfront *kdev;
	unsigned int id;		/* device/vif/<id> */
	/* Under rtnl; read locklessly by the hooks, which an unregister
	 * waits for (synchronize_rcu) after clearing it. */
	bool registered;
	bool removed;			/* no registering any more */
	unsigned int nr_queues;		/* queues with a pool (real_num) */
	unsigned int tx_depth;		/* ring slots per queue */
	unsigned int tx_max_cost;	/* slots of the largest frame */
	size_t max_frame;		/* the kit's largest frame */
	netdev_features_t negotiated;	/* what fix_features lets through */
	struct timer_list poll_timer;	/* while open: see LNET_POLL_PERIOD */
	unsigned long poll_period;	/* the timer's next period (jiffies) */
	bool poll_found;		/* lnet_rx_ready ran since the timer's poll */
	/* The vif left xenbus: lnet_release_work frees it all, trying
	 * again while the kit refuses (under lnet_devices_lock: the tries
	 * so far and the next wait). */
	struct delayed_work release_work;
	unsigned int release_tries;
	unsigned long release_delay;
	struct lnet_queue q[LNET_MAX_QUEUES];
};

/* Every struct lnet of ours: added from the xenwatch thread, freed by its
 * release work once its vif left xenbus, or at module exit. The hooks
 * look their device up under RCU. */
static LIST_HEAD(lnet_devices);
static DEFINE_MUTEX(lnet_devices_lock);
/* Module exit has begun (under lnet_devices_lock): the release works
 * leave every device to it. */
static bool lnet_exiting;
/* The release works; module exit drains it before freeing what is left. */
static struct workqueue_struct *lnet_wq;

static struct lnet *lnet_find(struct pvk_netfront *kdev)
{
	struct lnet *net, *found = NULL;

	rcu_read_lock();
	list_for_each_entry_rcu(net, &lnet_devices, link) {
		if (net->kdev == kdev) {
			found = net;
			break;
		}
	}
	rcu_read_unlock();
	/* Never freed while the kit may call a hook of its device. */
	return found;
}

/* ---- transmit ---------------------------------------------------------- */

/* Whether the largest frame might not fit: the queue must stop. */
static bool lnet_tx_full(const struct lnet *net, struct lnet_queue *q)
{
	return atomic_read(&q->ring_used) + net->tx_max_cost > net->tx_depth;
}

static struct lnet_txreq *lnet_tx_get(struct lnet_queue *q)
{
	struct llist_node *n = q->local;

	if (!n)
		n = llist_del_all(&q->free);
	if (!n)
		return NULL;
	q->local = n->next;
	return llist_entry(n, struct lnet_txreq, node);
}

static void lnet_tx_unget(struct lnet_queue *q, struct lnet_txreq *req)
{
	req->node.next = q->local;
	q->local = &req->node;
}

/* The kit is done with a frame (event context, or inside one of our calls
 * of the kit, or xenwatch when the link goes down). */
static void lnet_tx_done(struct pvk_net_tx *tx, int status)
{
	struct lnet_txreq *req = container_of(tx, struct lnet_txreq, tx);
	struct lnet_queue *q = req->q;
	struct lnet *net = q->net;
	struct netdev_queue *txq;

	if (status)
		atomic_long_inc(&q->tx_errors);
	atomic_sub(req->cost, &q->ring_used);
	llist_add(&req->node, &q->free);
	atomic_inc(&q->completions);
	/* Pairs with the barrier after a stop in ndo_start_xmit: either it
	 * sees this room, or we see its stop. */
	smp_mb__after_atomic();
	rcu_read_lock();
	if (READ_ONCE(net->registered)) {
		txq = netdev_get_tx_queue(net->ndev, q->index);
		if (netif_tx_queue_stopped(txq) && netif_running(net->ndev) &&
		    netif_carrier_ok(net->ndev) && !lnet_tx_full(net, q))
			netif_tx_wake_queue(txq);
	}
	rcu_read_unlock();
}

/* After a frame went with PVK_NET_TX_MORE, one that does not go must push
 * the others: the stack sends nothing more to tell us. */
static void lnet_tx_flush(struct lnet *net, struct lnet_queue *q)
{
	if (q->more_pending) {
		q->more_pending = false;
		pvk_netfront_kick(net->kdev, q->index);
	}
}

/* Stops the queue (its xmit lock held) until done() makes room, unless
 * room is there after all. The kick pushes frames queued with MORE and
 * takes answers an event's budget left for a poll: those done()s come
 * with no event, and while the queue is stopped nothing else asks. The
 * barrier pairs with done()'s: either it sees the stop, or the re-check
 * sees its room. */
static void lnet_tx_stop(struct lnet *net, struct lnet_queue *q,
			 struct netdev_queue *txq, bool (*has_room)(struct lnet *, struct lnet_queue *))
{
	netif_tx_stop_queue(txq);
	smp_mb();
	q->more_pending = false;
	pvk_netfront_kick(net->kdev, q->index);
	if (has_room(net, q))
		netif_tx_start_queue(txq);
}

static bool lnet_tx_has_room(struct lnet *net, struct lnet_queue *q)
{
	return !lnet_tx_full(net, q);
}

static bool lnet_tx_has_req(struct lnet *net, struct lnet_queue *q)
{
	return !llist_empty(&q->free);
}

static netdev_tx_t lnet_tx_drop(struct lnet *net, struct lnet_queue *q,
				struct sk_buff *skb)
{
	atomic_long_inc(&q->tx_dropped);
	lnet_tx_flush(net, q);
	dev_kfree_skb_any(skb);
	return NETDEV_TX_OK;
}

static netdev_tx_t lnet_start_xmit(struct sk_buff *skb, struct net_device *ndev)
{
	struct lnet *net = netdev_priv(ndev);
	unsigned int qi = skb_get_queue_mapping(skb), nr = 0, comp;
	struct pvk_net_frag frags[PVK_NET_MAX_FRAGS];
	struct skb_shared_info *sh;
	struct netdev_queue *txq;
	struct lnet_txreq *req;
	struct lnet_queue *q;
	bool more = netdev_xmit_more();
	int rc;

	q = &net->q[qi];
	txq = netdev_get_tx_queue(ndev, qi);
	/* A reconnect with fewer queues, until real_num follows: another
	 * queue's pool, and its kit queue (the index is taken modulo), are
	 * not ours to touch (their xmit lock is not held). */
	if (unlikely(qi >= READ_ONCE(net->nr_queues))) {
		atomic_long_inc(&q->tx_dropped);
		dev_kfree_skb_any(skb);
		return NETDEV_TX_OK;
	}
	/* Longer than the kit takes: a tagged frame at full MTU without sg
	 * (max_mtu leaves room for a tag only with sg), or a reconnect that
	 * lost sg while a larger MTU was in use. */
	if (unlikely(skb->len > READ_ONCE(net->max_frame) && !skb_is_gso(skb))) {
		net_warn_ratelimited("%s: frame of %u bytes dropped: the vif takes %zu at most (a VLAN over it needs an MTU %zu lower)\n",
				     ndev->name, skb->len, READ_ONCE(net->max_frame),
				     (size_t)VLAN_HLEN);
		return lnet_tx_drop(net, q, skb);
	}
	sh = skb_shinfo(skb);
	/* The head and each page piece are one frag of the kit's each. */
	if (sh->nr_frags + 1 > PVK_NET_MAX_FRAGS && skb_linearize(skb))
		return lnet_tx_drop(net, q, skb);
	req = lnet_tx_get(q);
	if (unlikely(!req)) {
		/* Every request in flight: done() gives one back and wakes. */
		lnet_tx_stop(net, q, txq, lnet_tx_has_req);
		return NETDEV_TX_BUSY;
	}
	if (skb_headlen(skb))
		frags[nr++] = (struct pvk_net_frag){ skb->data, skb_headlen(skb) };
	for (unsigned int i = 0; i < sh->nr_frags; i++)
		frags[nr++] = (struct pvk_net_frag){ skb_frag_address(&sh->frags[i]),
						     skb_frag_size(&sh->frags[i]) };
	req->tx = (struct pvk_net_tx){
		.frags = frags,
		.nr_frags = nr,
		.queue = qi,
		.gso_type = PVK_NET_GSO_NONE,
		.done = lnet_tx_done,
	};
	if (skb->ip_summed == CHECKSUM_PARTIAL) {
		req->tx.flags |= PVK_NET_TX_CSUM_PARTIAL;
		req->tx.csum_start = (u16)skb_checksum_start_offset(skb);
		req->tx.csum_offset = skb->csum_offset;
	}
	if (skb_is_gso(skb)) {
		if (sh->gso_type & SKB_GSO_TCPV4) {
			req->tx.gso_type = PVK_NET_GSO_TCPV4;
		} else if (sh->gso_type & SKB_GSO_TCPV6) {
			req->tx.gso_type = PVK_NET_GSO_TCPV6;
		} else {
			/* Not a feature of ours: the stack segments those. */
			lnet_tx_unget(q, req);
			return lnet_tx_drop(net, q, skb);
		}
		req->tx.gso_size = sh->gso_size;
	}
	if (more)
		req->tx.flags |= PVK_NET_TX_MORE;
	req->cost = DIV_ROUND_UP(skb->len, LNET_TX_SLOT) +
		    (req->tx.gso_type != PVK_NET_GSO_NONE);
	for (int tries = 0;; tries++) {
		/* Counted before the call: done() may run before it returns. */
		atomic_add(req->cost, &q->ring_used);
		comp = atomic_read(&q->completions);
		rc = pvk_netfront_xmit(net->kdev, &req->tx);
		if (likely(!rc)) {
			/* The kit copied the frame: the skb is ours to free. */
			q->more_pending = more;
			if (lnet_tx_full(net, q))
				lnet_tx_stop(net, q, txq, lnet_tx_has_room);
			dev_consume_skb_any(skb);
			return NETDEV_TX_OK;
		}
		atomic_sub(req->cost, &q->ring_used);
		/* Refused for room: the kit pushed what was queued and took
		 * the answers waiting. If that freed frames (done() ran during
		 * the call), there may be room now: once more at once. */
		if (rc != -PVK_XEN_EAGAIN || tries ||
		    atomic_read(&q->completions) == comp)
			break;
	}
	lnet_tx_unget(q, req);
	if (rc == -PVK_XEN_EAGAIN &&
	    (atomic_read(&q->ring_used) > 0 || atomic_read(&q->completions) != comp)) {
		/* Frames in flight will make room: the stack keeps the skb
		 * and sends it again once done() woke the queue. Our count
		 * may see room the kit does not (it refused): only a done()
		 * since the call restarts the queue now, else a refusal would
		 * be retried in a loop. */
		netif_tx_stop_queue(txq);
		smp_mb();
		q->more_pending = false;
		pvk_netfront_kick(net->kdev, q->index);
		if (atomic_read(&q->completions) != comp)
			netif_tx_start_queue(txq);
		return NETDEV_TX_BUSY;
	}
	/* Link down (-ENODEV), a broken device (-EIO), a frame the kit
	 * would not take (what features_check let through: a bug), no
	 * memory, or no room with nothing in flight to make any. */
	if (rc != -PVK_XEN_ENODEV)
		net_warn_ratelimited("%s: transmit refused: %d (len %u, frags %u, csum %d, gso %d)\n",
				    ndev->name, rc, skb->len, nr,
				    skb->ip_summed == CHECKSUM_PARTIAL, skb_is_gso(skb));
	return lnet_tx_drop(net, q, skb);
}

/* What the kit would refuse to offload (pvk_net_tx's CSUM_PARTIAL rules,
 * netback's own parsing): TCP or UDP straight after an untagged Ethernet
 * header, over IPv4 (no fragment) or IPv6 (no extension header). */
static bool lnet_tx_csum_placeable(struct sk_buff *skb)
{
	unsigned int start = skb_checksum_start_offset(skb), l4;
	__be16 proto_buf, *proto;
	u8 buf[40], *ip, l4proto;

	proto = skb_header_pointer(skb, 12, sizeof(proto_buf), &proto_buf);
	if (!proto)
		return false;
	if (*proto == htons(ETH_P_IP)) {
		ip = skb_header_pointer(skb, ETH_HLEN, sizeof(struct iphdr), buf);
		if (!ip || ip[0] >> 4 != 4 || (ip[0] & 0xf) < 5 ||
		    (get_unaligned_be16(ip + 6) & 0x3fff))
			return false;
		l4 = ETH_HLEN + (ip[0] & 0xf) * 4;
		l4proto = ip[9];
	} else if (*proto == htons(ETH_P_IPV6)) {
		ip = skb_header_pointer(skb, ETH_HLEN, sizeof(struct ipv6hdr), buf);
		if (!ip || ip[0] >> 4 != 6)
			return false;
		l4 = ETH_HLEN + sizeof(struct ipv6hdr);
		l4proto = ip[6];
	} else {
		return false;
	}
	if (start != l4)
		return false;
	return (l4proto == IPPROTO_TCP && skb->csum_offset == offsetof(struct tcphdr, check)) ||
	       (l4proto == IPPROTO_UDP && skb->csum_offset == offsetof(struct udphdr, check));
}

/* Per frame: offloads the kit would refuse are done by the stack instead. */
static netdev_features_t lnet_features_check(struct sk_buff *skb, struct net_device *ndev,
					     netdev_features_t features)
{
	struct lnet *net = netdev_priv(ndev);

	if (skb->ip_summed == CHECKSUM_PARTIAL && !lnet_tx_csum_placeable(skb))
		features &= ~(NETIF_F_CSUM_MASK | NETIF_F_GSO_MASK);
	/* A GSO frame longer than the kit takes (a forwarded one): the
	 * stack segments it. */
	if (skb_is_gso(skb) && skb->len > READ_ONCE(net->max_frame))
		features &= ~NETIF_F_GSO_MASK;
	return features;
}

/* The offloads the stack may use: what was negotiated (fix_features runs
 * on registering and on each netdev_update_features). */
static netdev_features_t lnet_fix_features(struct net_device *ndev,
					   netdev_features_t features)
{
	struct lnet *net = netdev_priv(ndev);

	return features & (net->negotiated | ~LNET_TX_OFFLOADS);
}

static void lnet_tx_timeout(struct net_device *ndev, unsigned int txqueue)
{
	struct lnet *net = netdev_priv(ndev);
	struct lnet_queue *q = &net->q[txqueue < LNET_MAX_QUEUES ? txqueue : 0];

	/* Answers the kit left for a poll free the room; then wake. */
	netdev_warn(ndev, "transmit queue %u stuck (%d ring slots in flight): polling the kit\n",
		    txqueue, atomic_read(&q->ring_used));
	pvk_netfront_poll(net->kdev);
	if (!lnet_tx_full(net, q) && netif_carrier_ok(ndev))
		netif_tx_wake_queue(netdev_get_tx_queue(ndev, q->index));
}

/* ---- receive ----------------------------------------------------------- */

/* Reads a received frame's pieces in order. */
struct lnet_rx_cursor {
	const struct pvk_net_rx *f;
	unsigned int i;
	size_t off;
};

static void lnet_rx_copy(struct lnet_rx_cursor *c, void *dst, size_t n)
{
	while (n && c->i < c->f->nr_frags) {
		const struct pvk_net_frag *p = &c->f->frags[c->i];
		size_t k = min(n, p->len - c->off);

		memcpy(dst, (const u8 *)p->buf + c->off, k);
		dst += k;
		n -= k;
		c->off += k;
		if (c->off == p->len) {
			c->i++;
			c->off = 0;
		}
	}
}

/* A copy of the whole frame: a small one into the skb's head, one of more
 * pieces than an skb takes into a head and pages. */
static struct sk_buff *lnet_rx_skb_copy(struct lnet_queue *q, const struct pvk_net_rx *f)
{
	struct lnet_rx_cursor c = { .f = f };
	size_t head = f->len <= LNET_RX_COPY_MAX ? f->len : LNET_RX_PULL;
	size_t rest = f->len - head;
	struct sk_buff *skb = napi_alloc_skb(&q->napi, head);

	if (!skb)
		return NULL;
	lnet_rx_copy(&c, skb_put(skb, head), head);
	for (int i = 0; rest; i++) {
		size_t n = min_t(size_t, rest, PAGE_SIZE);
		struct page *page = dev_alloc_page();

		if (!page) {
			kfree_skb(skb);
			return NULL;
		}
		lnet_rx_copy(&c, page_address(page), n);
		skb_add_rx_frag(skb, i, page, 0, n, PAGE_SIZE);
		rest -= n;
	}
	atomic_long_add(f->len, &q->rx_copied);
	return skb;
}

/* No copy: the headers (up to LNET_RX_PULL bytes of the first piece) go
 * into the skb's head, and each piece's page becomes the skb's, the kit
 * taking a fresh page of ours in its place (pvk_netfront_rx_take_page).
 * The stack frees the pages with the skb. */
static struct sk_buff *lnet_rx_skb_lend(struct lnet *net, struct lnet_queue *q,
					const struct pvk_net_rx *f)
{
	size_t pull = min_t(size_t, f->frags[0].len, LNET_RX_PULL);
	struct sk_buff *skb = napi_alloc_skb(&q->napi, pull);
	unsigned int nr = 0;

	if (!skb)
		return NULL;
	skb_put_data(skb, f->frags[0].buf, pull);
	for (unsigned int i = 0; i < f->nr_frags; i++) {
		size_t skip = i ? 0 : pull, len = f->frags[i].len - skip;
		struct page *fresh;
		void *taken;

		if (!len)
			continue;	/* all of it in the head: the kit keeps it */
		/* Not from the emergency reserves: it stays on the ring. */
		fresh = alloc_page(GFP_ATOMIC | __GFP_NOWARN);
		if (!fresh)
			goto fail;
		taken = pvk_netfront_rx_take_page(net->kdev, f, i, page_address(fresh));
		if (!taken) {
			/* Not ours to have (cannot happen inside rx): */
			__free_page(fresh);
			goto fail;
		}
		skb_add_rx_frag(skb, nr++, virt_to_page(taken),
				(const u8 *)f->frags[i].buf + skip - (const u8 *)taken, len,
				PAGE_SIZE);
		atomic_long_inc(&q->rx_lent);
	}
	atomic_long_add(pull, &q->rx_copied);
	return skb;
fail:
	kfree_skb(skb);		/* with the pages taken so far */
	return NULL;
}

/* A frame arrived: inside pvk_netfront_rx_poll() of its queue's NAPI poll
 * (softirq), never from the event (the kit calls lnet_rx_ready there). */
static void lnet_rx(struct pvk_netfront *kdev, const struct pvk_net_rx *f)
{
	struct lnet *net = lnet_find(kdev);
	struct lnet_queue *q;
	struct sk_buff *skb;

	if (!net || f->queue >= LNET_MAX_QUEUES)
		return;
	q = &net->q[f->queue];
	atomic_long_inc(&q->rx_hook_frames);
	if (WARN_ON_ONCE(in_hardirq() || !in_softirq())) {
		atomic_long_inc(&q->rx_dropped);
		return;
	}
	if (!READ_ONCE(net->registered) || !netif_running(net->ndev)) {
		atomic_long_inc(&q->rx_dropped);
		return;
	}
	if (f->len < ETH_HLEN) {
		atomic_long_inc(&q->rx_length_errors);
		return;
	}
	if (f->len <= LNET_RX_COPY_MAX || f->nr_frags > MAX_SKB_FRAGS)
		skb = lnet_rx_skb_copy(q, f);
	else
		skb = lnet_rx_skb_lend(net, q, f);
	if (!skb) {
		/* No memory: the kit posts its pages again as they were. */
		atomic_long_inc(&q->rx_dropped);
		return;
	}
	if (f->csum == PVK_NET_CSUM_PARTIAL)
		skb->ip_summed = CHECKSUM_PARTIAL;	/* placed below */
	else if (f->csum == PVK_NET_CSUM_VALID && (net->ndev->features & NETIF_F_RXCSUM))
		skb->ip_summed = CHECKSUM_UNNECESSARY;
	/* The backend chooses the pieces: a first piece shorter than the
	 * Ethernet header leaves the header across pieces, and
	 * eth_type_trans() reads it from the skb's head only. */
	if (!pskb_may_pull(skb, ETH_HLEN)) {
		kfree_skb(skb);
		atomic_long_inc(&q->rx_length_errors);
		return;
	}
	skb->protocol = eth_type_trans(skb, net->ndev);
	skb_reset_network_header(skb);
	if (f->gso_type != PVK_NET_GSO_NONE) {
		struct skb_shared_info *sh = skb_shinfo(skb);

		sh->gso_size = f->gso_size;
		/* The backend's word: the stack checks the headers. */
		sh->gso_type = (f->gso_type == PVK_NET_GSO_TCPV4 ? SKB_GSO_TCPV4 : SKB_GSO_TCPV6) |
			       SKB_GSO_DODGY;
		sh->gso_segs = 0;
	}
	/* The checksum is blank: say where it goes so the stack can finish
	 * it. A GSO frame must be CHECKSUM_PARTIAL: one the backend did not
	 * say so of gets its pseudo-header sum computed (recalculate). */
	if (skb->ip_summed == CHECKSUM_PARTIAL || skb_is_gso(skb)) {
		bool recalc = skb->ip_summed != CHECKSUM_PARTIAL;

		skb->ip_summed = CHECKSUM_PARTIAL;
		if (skb_checksum_setup(skb, recalc)) {
			atomic_long_inc(&q->rx_csum_errors);
			kfree_skb(skb);
			return;
		}
	}
	/* A reconnect whose real_num_rx_queues could not follow: RPS warns
	 * for a queue above it. */
	if (q->index < net->ndev->real_num_rx_queues)
		skb_record_rx_queue(skb, q->index);
	atomic_long_add(skb->truesize, &q->rx_truesize);
	atomic_long_add(skb->len, &q->rx_skb_bytes);
	napi_gro_receive(&q->napi, skb);
}

/* The kit says a queue has receive work (hard irq, or inside one of our
 * calls of the kit): its NAPI takes it. One not enabled (the device down)
 * takes it at open. */
static void lnet_rx_ready(struct pvk_netfront *kdev, unsigned int queue)
{
	struct lnet *net = lnet_find(kdev);

	if (!net || queue >= LNET_MAX_QUEUES)
		return;
	if (!READ_ONCE(net->poll_found))
		WRITE_ONCE(net->poll_found, true);
	napi_schedule(&net->q[queue].napi);
}

static int lnet_poll(struct napi_struct *napi, int budget)
{
	struct lnet_queue *q = container_of(napi, struct lnet_queue, napi);
	struct lnet *net = q->net;
	unsigned int done = pvk_netfront_rx_poll(net->kdev, q->index, budget);

	atomic_long_inc(&q->napi_polls);
	atomic_long_add(done, &q->napi_frames);
	if (done >= budget)
		return budget;
	/* The ring was empty and the kit armed its event: a frame after
	 * this calls lnet_rx_ready (NAPI's missed-schedule bit covers one
	 * that comes before the completion). */
	napi_complete_done(napi, done);
	return done;
}

/* ---- the net_device ---------------------------------------------------- */

/* While open: the kit is polled now and then. A failed refill leaves no
 * buffer to fill and netback then sends no event, and what a budget left
 * gets none either: the poll takes transmit answers and calls
 * lnet_rx_ready for a queue with receive work (a refill due is some). */
static void lnet_poll_timer(struct timer_list *t)
{
	struct lnet *net = from_timer(net, t, poll_timer);

	if (!netif_running(net->ndev))
		return;		/* lnet_stop's del_timer_sync ends it */
	WRITE_ONCE(net->poll_found, false);
	pvk_netfront_poll(net->kdev);
	/* Work found (lnet_rx_ready ran: a refill due, say): soon again;
	 * none: less often, down to LNET_POLL_IDLE. */
	if (READ_ONCE(net->poll_found))
		net->poll_period = LNET_POLL_PERIOD;
	else
		net->poll_period = min_t(unsigned long, net->poll_period * 2, LNET_POLL_IDLE);
	mod_timer(&net->poll_timer, jiffies + net->poll_period);
}

static int lnet_open(struct net_device *ndev)
{
	struct lnet *net = netdev_priv(ndev);

	/* netif_running() is already true: frames are taken from here on.
	 * What waited on the rings while NAPI was off (lnet_rx_ready could
	 * not schedule it) is taken now. */
	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++)
		napi_enable(&net->q[i].napi);
	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++)
		napi_schedule(&net->q[i].napi);
	if (netif_carrier_ok(ndev))
		netif_tx_start_all_queues(ndev);
	net->poll_period = LNET_POLL_PERIOD;
	mod_timer(&net->poll_timer, jiffies + net->poll_period);
	return 0;
}

static int lnet_stop(struct net_device *ndev)
{
	struct lnet *net = netdev_priv(ndev);

	/* netif_running() is false already: the timer does not rearm. */
	del_timer_sync(&net->poll_timer);
	netif_tx_stop_all_queues(ndev);
	/* Frames arriving while down wait on the rings (netback holds
	 * them, then drops): nothing of ours is pinned. */
	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++)
		napi_disable(&net->q[i].napi);
	return 0;
}

static void lnet_get_stats64(struct net_device *ndev, struct rtnl_link_stats64 *st)
{
	struct lnet *net = netdev_priv(ndev);
	struct pvk_netfront_stats ks;

	pvk_netfront_get_stats(net->kdev, &ks);
	st->rx_packets = ks.rx_packets;
	st->rx_bytes = ks.rx_bytes;
	st->tx_packets = ks.tx_packets;
	st->tx_bytes = ks.tx_bytes;
	st->rx_errors = ks.rx_drop_error + ks.rx_drop_toolong + ks.rx_drop_empty;
	st->rx_length_errors = ks.rx_drop_toolong + ks.rx_drop_empty;
	st->rx_dropped = ks.rx_drop_nobuf;
	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++) {
		struct lnet_queue *q = &net->q[i];
		unsigned long len = atomic_long_read(&q->rx_length_errors);
		unsigned long csum = atomic_long_read(&q->rx_csum_errors);

		st->rx_dropped += atomic_long_read(&q->rx_dropped);
		st->rx_length_errors += len;
		/* A bad checksum offload request, not an FCS error. */
		st->rx_errors += len + csum;
		st->tx_dropped += atomic_long_read(&q->tx_dropped);
		st->tx_errors += atomic_long_read(&q->tx_errors);
	}
}

static const struct net_device_ops lnet_netdev_ops = {
	.ndo_open = lnet_open,
	.ndo_stop = lnet_stop,
	.ndo_start_xmit = lnet_start_xmit,
	.ndo_features_check = lnet_features_check,
	.ndo_fix_features = lnet_fix_features,
	.ndo_get_stats64 = lnet_get_stats64,
	.ndo_tx_timeout = lnet_tx_timeout,
	.ndo_validate_addr = eth_validate_addr,
};

static void lnet_get_drvinfo(struct net_device *ndev, struct ethtool_drvinfo *info)
{
	struct lnet *net = netdev_priv(ndev);

	strscpy(info->driver, "pvk-vif", sizeof(info->driver));
	snprintf(info->bus_info, sizeof(info->bus_info), "vif-%u", net->id);
}

static const struct ethtool_ops lnet_ethtool_ops = {
	.get_drvinfo = lnet_get_drvinfo,
	.get_link = ethtool_op_get_link,
};

/* ---- the kit's hooks ----------------------------------------------------- */

static void lnet_release_work(struct work_struct *work);

/* A vif is negotiating (xenwatch): its net_device waits for the link. */
static void lnet_added(struct pvk_netfront *kdev)
{
	unsigned int id = pvk_netfront_info(kdev)->id;
	struct net_device *ndev;
	struct lnet *net;

	ndev = alloc_etherdev_mqs(sizeof(*net), LNET_MAX_QUEUES, LNET_MAX_QUEUES);
	if (!ndev) {
		pr_err("pvk-netfront: vif %u: no memory for its net_device: not usable\n", id);
		return;
	}
	net = netdev_priv(ndev);
	net->ndev = ndev;
	net->kdev = kdev;
	net->id = id;
	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++) {
		struct lnet_queue *q = &net->q[i];

		q->net = net;
		q->index = i;
		init_llist_head(&q->free);
		netif_napi_add(ndev, &q->napi, lnet_poll);
	}
	timer_setup(&net->poll_timer, lnet_poll_timer, 0);
	INIT_DELAYED_WORK(&net->release_work, lnet_release_work);
	ndev->netdev_ops = &lnet_netdev_ops;
	ndev->ethtool_ops = &lnet_ethtool_ops;
	ndev->watchdog_timeo = 5 * HZ;
	ndev->hw_features = LNET_TX_OFFLOADS | NETIF_F_RXCSUM;
	ndev->features = ndev->hw_features;
	/* Tagged frames: no checksum offload (the kit refuses it). */
	ndev->vlan_features = NETIF_F_SG;
	/* Off until the kit says the link is up. */
	netif_carrier_off(ndev);
	mutex_lock(&lnet_devices_lock);
	list_add_tail_rcu(&net->link, &lnet_devices);
	mutex_unlock(&lnet_devices_lock);
}

/* Each queue the kit negotiated gets its transmit pool (once). */
static unsigned int lnet_alloc_pools(struct lnet *net, const struct pvk_netfront_info *info)
{
	unsigned int nq = clamp_t(unsigned int, info->nr_queues, 1, LNET_MAX_QUEUES);

	for (unsigned int i = 0; i < nq; i++) {
		struct lnet_queue *q = &net->q[i];

		if (q->reqs)
			continue;
		q->reqs = kcalloc(info->tx_depth, sizeof(*q->reqs), GFP_KERNEL);
		if (!q->reqs)
			return i;
		for (unsigned int k = 0; k < info->tx_depth; k++) {
			q->reqs[k].q = q;
			llist_add(&q->reqs[k].node, &q->free);
		}
	}
	return nq;
}

static netdev_features_t lnet_negotiated(const struct pvk_netfront_info *info)
{
	netdev_features_t f = NETIF_F_RXCSUM;

	if (info->sg)
		f |= NETIF_F_SG;
	if (info->csum_offload)
		f |= NETIF_F_IP_CSUM;
	if (info->ipv6_csum_offload)
		f |= NETIF_F_IPV6_CSUM;
	if (info->gso_tcpv4)
		f |= NETIF_F_TSO;
	if (info->gso_tcpv6)
		f |= NETIF_F_TSO6;
	return f;
}

/* With sg a frame over a VLAN at full MTU (MTU + 18 bytes) fits within
 * the kit's largest frame. Without sg (1,514 bytes) the untagged MTU
 * stays Ethernet's 1,500: a tagged full-size frame is refused in xmit,
 * with a warning saying the VLAN's MTU must be 4 bytes lower. */
static unsigned int lnet_max_mtu(const struct pvk_netfront_info *info)
{
	return info->sg ? info->max_frame - VLAN_ETH_HLEN : info->max_frame - ETH_HLEN;
}

/* The link is up (xenwatch thread): the first time the net_device is
 * registered with what was negotiated; later (a reconnect) its queues and
 * offloads follow the new negotiation. */
static void lnet_link_up(struct lnet *net)
{
	const struct pvk_netfront_info *info = pvk_netfront_info(net->kdev);
	struct net_device *ndev = net->ndev;
	unsigned int nq = lnet_alloc_pools(net, info);
	int rc;

	if (!nq) {
		pr_err("pvk-netfront: vif %u: no memory for the transmit requests: link left down\n",
		       net->id);
		return;
	}
	rtnl_lock();
	if (net->removed)
		goto out;
	net->tx_depth = info->tx_depth;
	net->tx_max_cost = DIV_ROUND_UP(info->max_frame, LNET_TX_SLOT) + 1;
	WRITE_ONCE(net->max_frame, info->max_frame);
	net->negotiated = lnet_negotiated(info);
	if (!net->registered) {
		eth_hw_addr_set(ndev, info->mac);
		ndev->min_mtu = ETH_MIN_MTU;
		ndev->max_mtu = lnet_max_mtu(info);
		/* Room for the headers within the kit's largest frame. */
		netif_set_tso_max_size(ndev, info->max_frame - MAX_TCP_HEADER);
		netif_set_real_num_tx_queues(ndev, nq);
		netif_set_real_num_rx_queues(ndev, nq);
		WRITE_ONCE(net->nr_queues, nq);
		rc = register_netdevice(ndev);
		if (rc) {
			pr_err("pvk-netfront: vif %u: register_netdevice: %d: not usable\n",
			       net->id, rc);
			net->removed = true;
			goto out;
		}
		WRITE_ONCE(net->registered, true);
		netdev_info(ndev, "pvk-netfront vif %u: %pM, %u queue%s, sg %d tso %d/%d csum %d/%d\n",
			    net->id, ndev->dev_addr, nq, nq == 1 ? "" : "s", info->sg,
			    info->gso_tcpv4, info->gso_tcpv6, info->csum_offload,
			    info->ipv6_csum_offload);
	} else {
		if (!ether_addr_equal(ndev->dev_addr, info->mac))
			netdev_warn(ndev, "vif %u reconnected with mac %pM: %pM kept\n",
				    net->id, info->mac, ndev->dev_addr);
		if (nq != net->nr_queues &&
		    (netif_set_real_num_tx_queues(ndev, nq) ||
		     netif_set_real_num_rx_queues(ndev, nq)))
			netdev_warn(ndev, "cannot follow the new number of queues %u\n", nq);
		else
			WRITE_ONCE(net->nr_queues, nq);
		/* sg may have gone: the MTU in use must still fit. */
		ndev->max_mtu = lnet_max_mtu(info);
		netif_set_tso_max_size(ndev, info->max_frame - MAX_TCP_HEADER);
		if (ndev->mtu > ndev->max_mtu) {
			netdev_warn(ndev, "vif %u reconnected taking %zu-byte frames: MTU %u lowered to %u\n",
				    net->id, info->max_frame, ndev->mtu, ndev->max_mtu);
			rc = dev_set_mtu(ndev, ndev->max_mtu);
			if (rc)
				netdev_warn(ndev, "cannot lower the MTU: %d: larger frames are dropped\n",
					    rc);
		}
		netdev_update_features(ndev);
	}
	netif_carrier_on(ndev);
	if (netif_running(ndev))
		netif_tx_wake_all_queues(ndev);
out:
	rtnl_unlock();
}

static void lnet_link(struct pvk_netfront *kdev, bool up)
{
	struct lnet *net = lnet_find(kdev);

	if (!net)
		return;
	if (up) {
		/* Only after the backend's Connected, in the xenwatch thread. */
		if (!WARN_ON_ONCE(!in_task()))
			lnet_link_up(net);
		return;
	}
	/* Any context: no sleeping, no rtnl. */
	rcu_read_lock();
	if (READ_ONCE(net->registered)) {
		netif_carrier_off(net->ndev);
		netif_tx_stop_all_queues(net->ndev);
	}
	rcu_read_unlock();
}

/* What the receive path did over the device's life (bench notes). */
static void lnet_log_totals(struct lnet *net)
{
	unsigned long frames = 0, lent = 0, copied = 0, polls = 0, pframes = 0, drops = 0;
	unsigned long truesize = 0, bytes = 0;
	struct pvk_netfront_stats ks;

	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++) {
		struct lnet_queue *q = &net->q[i];

		frames += atomic_long_read(&q->rx_hook_frames);
		lent += atomic_long_read(&q->rx_lent);
		copied += atomic_long_read(&q->rx_copied);
		polls += atomic_long_read(&q->napi_polls);
		pframes += atomic_long_read(&q->napi_frames);
		truesize += atomic_long_read(&q->rx_truesize);
		bytes += atomic_long_read(&q->rx_skb_bytes);
		drops += atomic_long_read(&q->rx_dropped) +
			 atomic_long_read(&q->rx_length_errors) +
			 atomic_long_read(&q->rx_csum_errors);
	}
	pvk_netfront_get_stats(net->kdev, &ks);
	netdev_info(net->ndev, "rx totals: %lu frames from the kit, %lu pages lent up, %lu bytes copied, %lu NAPI polls (%lu frames, %lu.%02lu a poll), %lu dropped here, skbs of %lu bytes in %lu of memory; kit: %llu rx %llu tx packets, %llu events received, %llu sent, %llu grants, drops nobuf %llu error %llu\n",
		    frames, lent, copied, polls, pframes, polls ? pframes / polls : 0,
		    polls ? pframes * 100 / polls % 100 : 0, drops, bytes, truesize, ks.rx_packets, ks.tx_packets,
		    ks.notify_recv, ks.notify_sent, ks.grants, ks.rx_drop_nobuf, ks.rx_drop_error);
}

/* No more ethN for net (thread context). */
static void lnet_unregister(struct lnet *net)
{
	bool was;

	rtnl_lock();
	was = net->registered;
	WRITE_ONCE(net->registered, false);
	net->removed = true;
	rtnl_unlock();
	if (!was)
		return;
	lnet_log_totals(net);
	/* Hooks that saw it registered (hard irq too) are over. */
	synchronize_rcu();
	unregister_netdev(net->ndev);
}

/* The vif is gone for good (xenwatch, or our module exit). */
static void lnet_removed(struct pvk_netfront *kdev)
{
	struct lnet *net = lnet_find(kdev);

	if (!net)
		return;
	if (READ_ONCE(net->registered))
		netdev_info(net->ndev, "vif %u removed\n", net->id);
	lnet_unregister(net);
}

static const struct pvk_netfront_hooks lnet_hooks = {
	.added = lnet_added,
	.link = lnet_link,
	.rx = lnet_rx,
	.removed = lnet_removed,
	.rx_ready = lnet_rx_ready,
};

static void lnet_free(struct lnet *net)
{
	for (unsigned int i = 0; i < LNET_MAX_QUEUES; i++)
		kfree(net->q[i].reqs);
	free_netdev(net->ndev);
}

/*
 * A detached vif's net_device and kit device go (system thread, after
 * lnet_left): unregistered (the removed hook did, unless it never ran),
 * the kit's device released, then ours freed. The xenbus role, taken
 * before lnet_devices_lock as the added hook takes them, keeps every kit
 * callback out while the kit frees its device and ours leaves the list:
 * a vif attached again meanwhile (a new kit device, perhaps at the same
 * address) is added only after, so lnet_find never takes it for this one.
 * While the backend still maps a page of it (-EBUSY) the work queues
 * itself again, LNET_RELEASE_FIRST_DELAY then doubling up to
 * LNET_RELEASE_MAX_DELAY, logging the first refusal only; under
 * lnet_devices_lock and only before module exit began, so exit's
 * cancel_delayed_work_sync leaves none queued. One that runs after exit
 * began leaves its device to the exit.
 */
static void lnet_release_work(struct work_struct *work)
{
	struct lnet *net = container_of(to_delayed_work(work), struct lnet, release_work);
	unsigned long retry_in = 0;
	unsigned int tries = 0;
	bool released = false;
	int rc = 0;

	lnet_unregister(net);
	pvk_linux_xenbus_enter();
	mutex_lock(&lnet_devices_lock);
	if (!lnet_exiting) {
		rc = pvk_netfront_release(net->kdev);
		tries = ++net->release_tries;
		if (!rc) {
			list_del_rcu(&net->link);
			released = true;
		} else if (rc == -PVK_XEN_EBUSY) {
			retry_in = net->release_delay;
			net->release_delay = min(2 * retry_in, (unsigned long)LNET_RELEASE_MAX_DELAY);
			queue_delayed_work(lnet_wq, &net->release_work, retry_in);
		}
	}
	mutex_unlock(&lnet_devices_lock);
	pvk_linux_xenbus_leave();
	if (rc && retry_in && tries == 1)
		pr_err("pvk-netfront: vif %u: the kit refuses to release it (%d, %u grants still held): trying again after %u ms, the wait doubling up to %u s, until unload\n",
		       net->id, rc, pvk_netfront_grants_held(net->kdev), jiffies_to_msecs(retry_in),
		       jiffies_to_msecs(LNET_RELEASE_MAX_DELAY) / 1000);
	else if (rc && !retry_in)
		pr_err("pvk-netfront: vif %u: the kit refuses to release it (%d, %u grants still held): left until unload\n",
		       net->id, rc, pvk_netfront_grants_held(net->kdev));
	if (!released)
		return;
	/* A hook that found it before list_del_rcu is over. */
	synchronize_rcu();
	pr_info("pvk-netfront: vif %u: detached, its net_device freed (released at try %u)\n",
		net->id, tries);
	lnet_free(net);
}

/*
 * A kit device left xenbus (pvk-xen's hook, worker role held, after the
 * kit's remove, which unregistered its ethN). Its release, which may wait
 * for ethN's last user, goes to a work item. One without a net_device of
 * ours (its alloc failed) is released here, as nothing else would.
 */
static void lnet_left(void *priv)
{
	struct pvk_netfront *kdev = priv;
	unsigned int id = pvk_netfront_info(kdev)->id;
	struct lnet *net;
	int rc;

	net = lnet_find(kdev);
	if (net) {
		mutex_lock(&lnet_devices_lock);
		if (!lnet_exiting) {
			net->release_tries = 0;
			net->release_delay = LNET_RELEASE_FIRST_DELAY;
			queue_delayed_work(lnet_wq, &net->release_work, 0);
		}
		mutex_unlock(&lnet_devices_lock);
		return;
	}
	rc = pvk_netfront_release(kdev);
	if (rc)
		pr_err("pvk-netfront: vif %u (no net_device): the kit refuses to release it (%d, %u grants still held): its memory is left allocated for good\n",
		       id, rc, pvk_netfront_grants_held(kdev));
	else
		pr_info("pvk-netfront: vif %u (no net_device): released\n", id);
}

int pvk_lnet_init(void)
{
	int rc;

	lnet_wq = alloc_workqueue("pvk-netfront", 0, 0);
	if (!lnet_wq)
		return -ENOMEM;
	rc = pvk_linux_xenbus_set_left_hook("vif", lnet_left);
	if (!rc) {
		rc = pvk_netfront_init(&lnet_hooks);
		if (rc)
			pvk_linux_xenbus_set_left_hook("vif", NULL);
	}
	if (rc)
		destroy_workqueue(lnet_wq);
	return rc;
}

void pvk_lnet_exit(void)
{
	struct lnet *net, *tmp;
	LIST_HEAD(gone);
	int rc;

	/* No ethN any more (a vif added meanwhile is unregistered by its
	 * removed hook below). This takes lnet_devices_lock before the
	 * xenbus role (enter below), where xenwatch's added hook takes them
	 * the other way round: safe only because the vif driver is
	 * unregistered before the role is taken here. */
	mutex_lock(&lnet_devices_lock);
	lnet_exiting = true;
	list_for_each_entry(net, &lnet_devices, link)
		lnet_unregister(net);
	mutex_unlock(&lnet_devices_lock);
	/* The kit's devices leave xenbus: each ends its grants, and no hook
	 * of ours runs after (their event channels are closed). */
	rc = pvk_linux_xenbus_unregister_class("vif", LNET_CLOSE_TIMEOUT_NS);
	if (rc)
		pr_err("pvk-netfront: the vif driver would not unregister: %d\n", rc);
	pvk_linux_xenbus_set_left_hook("vif", NULL);
	/* Release works queued before lnet_exiting (they take the xenbus role
	 * before lnet_devices_lock, below the other way round) are cancelled
	 * or over, and none freed a device still listed: none queues itself
	 * again now (lnet_exiting), and the list changes no more (no vif
	 * driver, and a work that runs now leaves its device listed), so it
	 * is walked without the lock, which a running work takes. A work that
	 * released its device before exit began is off the list: the
	 * workqueue's destruction waits for it. */
	list_for_each_entry(net, &lnet_devices, link)
		cancel_delayed_work_sync(&net->release_work);
	destroy_workqueue(lnet_wq);
	mutex_lock(&lnet_devices_lock);
	/* release walks the kit's device list: as a xenbus callback would. */
	pvk_linux_xenbus_enter();
	list_for_each_entry(net, &lnet_devices, link) {
		rc = pvk_netfront_release(net->kdev);
		if (rc)
			pr_err("pvk-netfront: vif %u: the kit refuses to release it (%d, %u grants still held): its memory is left allocated for good\n",
			       net->id, rc, pvk_netfront_grants_held(net->kdev));
	}
	pvk_linux_xenbus_leave();
	list_splice_init(&lnet_devices, &gone);
	mutex_unlock(&lnet_devices_lock);
	synchronize_rcu();
	list_for_each_entry_safe(net, tmp, &gone, link)
		lnet_free(net);
}
