/*
 * tests/guest/cases/bench_net.c - the kit's side of the network benchmark
 * of "make bench" (scenario bench-netfront, explicit test bench_netfront).
 *
 * Runs the UDP cases of tests/bench/netbench.h through the kit's netfront
 * on vif 0 against dom0 (10.0.0.1 on xenbr0), whose side is
 * tests/xen/dom0-tools/pvk-net-udp, as Linux's side does with sockets
 * (tests/xen/domu/netbench.c, scenario bench-netfront-linux): the same
 * datagrams in the same frames (Ethernet, IPv4 with DF, UDP), the same
 * dom0 commands, asked for by the same console lines
 * ("bench-net-want CASE: ARGS", run by the scenario's ON_LINE rules).
 * The guest is 10.0.0.4 (Linux's side 10.0.0.2: dom0's neighbour cache
 * never mixes the two MACs up).
 *
 * The frames are built here, frame by frame, as a host's network stack
 * would hand them to the driver: an Ethernet + IPv4 + UDP header and the
 * datagram's 8-byte header in one piece, the payload a second piece
 * pointing into the pattern table (the driver copies both into its pages,
 * as Linux copies a datagram from user space into its buffer once). The
 * UDP checksum is left to the backend (PVK_NET_TX_CSUM_PARTIAL) when
 * checksum offload was negotiated, as Linux's netfront does, and computed
 * here otherwise. Transmit batches: PVK_NET_TX_MORE on every frame but
 * one in BATCH, and a pvk_netfront_kick() when the ring is full, so the
 * backend is notified at most once a batch (and only when it asked).
 *
 * Receive: the rx hook (event context) checks every frame addressed to us
 * (IPv4 header checksum, UDP, the checksum unless the backend validated
 * it, and every payload byte with netb_udp_check, as Linux's side does in
 * user space) and counts it; a frame in several pieces (sg) is gathered
 * first. It also answers dom0's ARP requests for our address and takes
 * the datagrams dom0's sink sends to NETB_PORT_NOTIFY ("ready", then its
 * result line).
 *
 * Per case one line, paired by tests/bench/bench.sh with Linux's:
 *   bench-net CASE pvkit ops=N bytes=B ns=T irqs=I notify=S grants=G
 *             eagain=E [lost=L dup=D]
 * ops, bytes, ns as Linux's line (datagrams, payload bytes, first to last
 * sent or received); irqs (events received), notify (events sent), grants
 * (issued) and eagain (xmits refused: ring full) are the driver's
 * statistics over the case. A case that needs sg when the backend did not
 * offer it prints "bench-net CASE pvkit skipped: REASON".
 * Timings are printed, never judged: the test fails only when a case
 * cannot run, a datagram we received is damaged, or dom0 found one of ours
 * damaged.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "../../bench/netbench.h"

#ifdef CONFIG_PVK_NETFRONT

#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define SEC		(1000ULL * 1000 * 1000)
#define CONNECT_NS	(30 * SEC)
#define WAIT_NS		(45 * SEC)	/* for dom0: its ON_LINE turn comes between polls */
#define IDLE_NS		(3 * SEC)	/* rx: the stream ended */
#define BATCH		32		/* frames per notification at most */
#define TXPOOL		1024		/* > any ring: a request is the host's until done() */
#define MAX_COUNT	20000u
#define HDRS		(14u + 20u + 8u)	/* Ethernet, IPv4, UDP */
#define MSG_MAX		256

static const uint8_t our_ip[4] = { 10, 0, 0, 4 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

static uint8_t pat[2 * NETB_PAT_LEN];
static struct pvk_netfront *nf;
static const uint8_t *our_mac;
static uint8_t dom0_mac[6];
static bool have_dom0_mac;
static struct pvk_wait wq;

/* ---- checksums ---- */

/* One's-complement sum of len bytes, the words loaded little-endian (the
 * sum does not depend on byte order but for a final swap), added to sum. */
static uint64_t csum_add(const uint8_t *p, size_t len, uint64_t sum)
{
	for (; len >= 4; p += 4, len -= 4) {
		uint32_t w;

		__builtin_memcpy(&w, p, 4);
		sum += w;
	}
	if (len >= 2) {
		sum += (uint32_t)p[0] | (uint32_t)p[1] << 8;
		p += 2;
		len -= 2;
	}
	if (len)
		sum += p[0];
	return sum;
}

/* The folded sum in network order. */
static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)(sum >> 8 | (sum & 0xff) << 8);
}

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The UDP pseudo-header's sum (addresses, protocol, UDP length). */
static uint64_t pseudo_sum(const uint8_t *src, const uint8_t *dst, unsigned int ulen)
{
	uint8_t ph[12];

	__builtin_memcpy(ph, src, 4);
	__builtin_memcpy(ph + 4, dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, ulen);
	return csum_add(ph, sizeof(ph), 0);
}

/* ---- receive (event context) ---- */

/* The case being received: set by the main thread before it asks dom0. */
static struct {
	unsigned int port, count;
	unsigned int got, dup, bad;
	uint64_t bytes, first, last;
} rx;
static uint8_t seen[MAX_COUNT];
static uint8_t gather[65536];	/* a frame in pieces, put together */
static char msg[MSG_MAX];	/* last datagram to NETB_PORT_NOTIFY */
static unsigned int msgs, arp_answered, rx_other;

static uint8_t arp_out[42];
static struct pvk_net_frag arp_frag;
static struct pvk_net_tx arp_tx;
static bool arp_busy;

static void arp_done(struct pvk_net_tx *tx, int status)
{
	(void)tx;
	(void)status;
	arp_busy = false;
}

static void build_arp(uint8_t *f, unsigned int op, const uint8_t *dst_mac,
		      const uint8_t *tha, const uint8_t *tpa)
{
	__builtin_memcpy(f, dst_mac, 6);
	__builtin_memcpy(f + 6, our_mac, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);
	put16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	__builtin_memcpy(f + 22, our_mac, 6);
	__builtin_memcpy(f + 28, our_ip, 4);
	__builtin_memcpy(f + 32, tha, 6);
	__builtin_memcpy(f + 38, tpa, 4);
}

/* An ARP frame: dom0 asks for us (answered, one reply in flight at most:
 * dom0 asks again) or answers our question for 10.0.0.1. */
static void on_arp(const uint8_t *f, size_t len)
{
	if (len < 42 || get16(f + 14) != 1 || get16(f + 16) != 0x0800)
		return;
	if (get16(f + 20) == 2 && !__builtin_memcmp(f + 28, dom0_ip, 4) &&
	    !__builtin_memcmp(f + 38, our_ip, 4)) {
		__builtin_memcpy(dom0_mac, f + 22, 6);
		PVK_WRITE_ONCE(have_dom0_mac, true);
		pvk_port_wake(&wq);
		return;
	}
	if (get16(f + 20) != 1 || __builtin_memcmp(f + 38, our_ip, 4) || arp_busy)
		return;
	build_arp(arp_out, 2, f + 22, f + 22, f + 28);
	arp_frag = (struct pvk_net_frag){ arp_out, sizeof(arp_out) };
	arp_tx = (struct pvk_net_tx){ .frags = &arp_frag, .nr_frags = 1, .done = arp_done };
	arp_busy = true;
	if (pvk_netfront_xmit(nf, &arp_tx))
		arp_busy = false;
	else
		arp_answered++;
}

/* A datagram of the case: checked, counted. */
static void on_datagram(const uint8_t *d, unsigned int len)
{
	uint64_t now = pvk_time_now_ns();
	uint32_t seq;

	if (!rx.first)
		rx.first = now;
	rx.last = now;
	if (netb_udp_check(d, len, &seq, pat) || seq >= rx.count) {
		rx.bad++;
		return;
	}
	if (seen[seq]) {
		rx.dup++;
		return;
	}
	seen[seq] = 1;
	rx.bytes += len;
	PVK_WRITE_ONCE(rx.got, rx.got + 1);
	if (rx.got == 1 || rx.got == rx.count)
		pvk_port_wake(&wq);	/* the waits of udp_rx() */
}

static void on_rx(struct pvk_netfront *dev, const struct pvk_net_rx *fr)
{
	const uint8_t *f = fr->frags[0].buf;
	size_t len = fr->len;
	unsigned int ihl, ulen, dport;

	(void)dev;
	if (fr->nr_frags > 1) {
		if (len > sizeof(gather)) {
			rx_other++;
			return;
		}
		for (size_t i = 0, off = 0; i < fr->nr_frags; off += fr->frags[i++].len)
			__builtin_memcpy(gather + off, fr->frags[i].buf, fr->frags[i].len);
		f = gather;
	}
	if (len >= 14 && get16(f + 12) == 0x0806) {
		on_arp(f, len);
		return;
	}
	/* IPv4, no options, not a fragment, UDP, to us, lengths that add up,
	 * a header checksum that adds up (as Linux's ip_rcv checks). */
	if (len < HDRS || get16(f + 12) != 0x0800 || f[14] != 0x45 || f[23] != 17 ||
	    __builtin_memcmp(f + 30, our_ip, 4) || (get16(f + 20) & 0x3fff) ||
	    get16(f + 16) < 28 || get16(f + 16) > len - 14 ||
	    csum_fold(csum_add(f + 14, 20, 0)) != 0xffff) {
		rx_other++;
		return;
	}
	ihl = 20;
	ulen = get16(f + 14 + ihl + 4);
	if (ulen < 8 || ulen > get16(f + 16) - ihl) {
		rx_other++;
		return;
	}
	/* The UDP checksum, unless the backend vouched for the data (as
	 * Linux's netfront trusts data_validated / csum_blank). */
	if (fr->csum == PVK_NET_CSUM_NONE && get16(f + 14 + ihl + 6) &&
	    csum_fold(csum_add(f + 14 + ihl, ulen, pseudo_sum(f + 26, f + 30, ulen))) != 0xffff) {
		if (get16(f + 14 + ihl + 2) == rx.port)
			rx.bad++;
		else
			rx_other++;
		return;
	}
	dport = get16(f + 14 + ihl + 2);
	if (dport == NETB_PORT_NOTIFY) {
		unsigned int n = ulen - 8 < MSG_MAX - 1 ? ulen - 8 : MSG_MAX - 1;

		__builtin_memcpy(msg, f + HDRS, n);
		msg[n] = 0;
		PVK_WRITE_ONCE(msgs, msgs + 1);
		pvk_port_wake(&wq);
		return;
	}
	if (dport == rx.port && rx.port)
		on_datagram(f + HDRS, ulen - 8);
	else
		rx_other++;
}

static const struct pvk_netfront_hooks hooks = { .rx = on_rx };

/* ---- transmit ---- */

static struct pvk_net_tx txs[TXPOOL];
static bool tx_busy[TXPOOL];
static unsigned int tx_ok, tx_bad;

static void tx_done(struct pvk_net_tx *tx, int status)
{
	if (status)
		tx_bad++;
	else
		tx_ok++;
	PVK_WRITE_ONCE(tx_busy[tx - txs], false);
}

static bool flag_set(void *arg)
{
	return PVK_READ_ONCE(*(bool *)arg);
}

static bool msgs_changed(void *arg)
{
	return PVK_READ_ONCE(msgs) != *(unsigned int *)arg;
}

/* Ethernet + IPv4 + UDP headers of a datagram of size bytes to port. */
static void build_headers(uint8_t *h, unsigned int port, unsigned int size,
			  unsigned int ip_id, bool offload)
{
	__builtin_memcpy(h, dom0_mac, 6);
	__builtin_memcpy(h + 6, our_mac, 6);
	put16(h + 12, 0x0800);
	h[14] = 0x45;
	h[15] = 0;
	put16(h + 16, 28 + size);
	put16(h + 18, ip_id);
	put16(h + 20, 0x4000);		/* DF, as Linux's connected UDP socket */
	h[22] = 64;
	h[23] = 17;
	put16(h + 24, 0);
	__builtin_memcpy(h + 26, our_ip, 4);
	__builtin_memcpy(h + 30, dom0_ip, 4);
	put16(h + 24, (unsigned int)(uint16_t)~csum_fold(csum_add(h + 14, 20, 0)));
	put16(h + 34, 40000);		/* source port: any */
	put16(h + 36, port);
	put16(h + 38, 8 + size);
	/* With offload the field holds the pseudo-header's sum (not
	 * inverted) and the backend finishes it; else filled in by send_one. */
	put16(h + 40, offload ? csum_fold(pseudo_sum(our_ip, dom0_ip, 8 + size)) : 0);
}

/*
 * Sends datagram seq of size bytes: headers and the netbench header in
 * one piece, the payload from the pattern table in another. more: leave
 * it for the next kick. 0 or an xmit error.
 */
static int send_one(const struct netb_case *c, uint32_t seq, bool offload, bool more,
		    unsigned int *eagain_waits)
{
	static uint8_t hdr[HDRS + NETB_HDR_LEN];
	static struct pvk_net_frag frags[TXPOOL][2];
	unsigned int k = seq % TXPOOL;
	struct pvk_net_tx *tx = &txs[k];
	int rc;

	/* A request is the host's until done(): TXPOOL exceeds what the
	 * ring holds, so this waits only if completions are late. */
	if (PVK_READ_ONCE(tx_busy[k])) {
		for (uint64_t end = pvk_time_now_ns() + WAIT_NS; PVK_READ_ONCE(tx_busy[k]);) {
			if (pvk_time_now_ns() >= end)
				return -PVK_XEN_ETIMEDOUT;
			pvk_netfront_poll(nf);
		}
	}
	build_headers(hdr, c->port, c->size, seq, offload);
	/* netbench.h's datagram header: seq, length, check, little endian
	 * (netb_udp_fill's first 8 bytes; the payload is the second piece). */
	for (int b = 0; b < 4; b++)
		hdr[HDRS + b] = (uint8_t)(seq >> (8 * b));
	hdr[HDRS + 4] = (uint8_t)c->size;
	hdr[HDRS + 5] = (uint8_t)(c->size >> 8);
	hdr[HDRS + 6] = (uint8_t)netb_hdr_check(seq, (uint16_t)c->size);
	hdr[HDRS + 7] = (uint8_t)(netb_hdr_check(seq, (uint16_t)c->size) >> 8);
	frags[k][0] = (struct pvk_net_frag){ hdr, sizeof(hdr) };
	frags[k][1] = (struct pvk_net_frag){ pat + netb_udp_start(seq), c->size - NETB_HDR_LEN };
	if (!offload) {
		uint64_t s = pseudo_sum(our_ip, dom0_ip, 8 + c->size);
		uint16_t u;

		s = csum_add(hdr + 34, 8 + NETB_HDR_LEN, s);
		s = csum_add(frags[k][1].buf, frags[k][1].len, s);
		u = (uint16_t)~csum_fold(s);
		put16(hdr + 40, u ? u : 0xffff);
	}
	*tx = (struct pvk_net_tx){
		.frags = frags[k],
		.nr_frags = 2,
		.flags = more ? PVK_NET_TX_MORE : 0,
		.done = tx_done,
	};
	if (offload) {
		tx->flags |= PVK_NET_TX_CSUM_PARTIAL;
		tx->csum_start = 34;
		tx->csum_offset = 6;
	}
	/* Busy before the xmit: its completion may come at once. */
	PVK_WRITE_ONCE(tx_busy[k], true);
	for (;;) {
		rc = pvk_netfront_xmit(nf, tx);
		if (rc != -PVK_XEN_EAGAIN)
			break;
		/* Ring full: what was queued goes now, then wait for room. */
		pvk_netfront_kick(nf, 0);
		(*eagain_waits)++;
		rc = pvk_netfront_wait_tx(nf, 0, WAIT_NS);
		if (rc)
			break;
	}
	if (rc)
		PVK_WRITE_ONCE(tx_busy[k], false);
	return rc;
}

static void report(const struct netb_case *c, unsigned int ops, uint64_t bytes, uint64_t ns,
		   const struct pvk_netfront_stats *s0, const struct pvk_netfront_stats *s1,
		   const char *extra)
{
	guest_printf("bench-net %s pvkit ops=%u bytes=%llu ns=%llu irqs=%llu notify=%llu grants=%llu eagain=%llu%s\n",
		     c->name, ops, (unsigned long long)bytes, (unsigned long long)ns,
		     (unsigned long long)(s1->notify_recv - s0->notify_recv),
		     (unsigned long long)(s1->notify_sent - s0->notify_sent),
		     (unsigned long long)(s1->grants - s0->grants),
		     (unsigned long long)(s1->tx_eagain - s0->tx_eagain), extra);
}

/* Waits for the next datagram to NETB_PORT_NOTIFY after *seen_msgs. */
static int wait_msg(unsigned int *seen_msgs)
{
	int rc = pvk_port_wait_until(&wq, msgs_changed, seen_msgs, WAIT_NS);

	*seen_msgs = PVK_READ_ONCE(msgs);
	return rc;
}

static int udp_tx(const struct netb_case *c, bool offload)
{
	struct pvk_netfront_stats s0, s1;
	unsigned int seen_msgs = PVK_READ_ONCE(msgs), waits = 0;
	unsigned long long bad = 1;
	const char *b;
	uint64_t t0, t1;

	guest_printf("bench-net-want %s: sink %u %u 25 10.0.0.4 %u\n", c->name, c->port,
		     c->count, NETB_PORT_NOTIFY);
	if (wait_msg(&seen_msgs)) {
		guest_printf("bench-net: FAIL %s: dom0's sink did not say it was ready\n", c->name);
		return -PVK_XEN_ETIMEDOUT;
	}
	tx_ok = tx_bad = 0;
	pvk_netfront_get_stats(nf, &s0);
	t0 = pvk_time_now_ns();
	for (uint32_t s = 0; s < c->count; s++) {
		bool more = (s + 1) % BATCH && s + 1 < c->count;
		int rc = send_one(c, s, offload, more, &waits);

		if (rc) {
			guest_printf("bench-net: FAIL %s: xmit of datagram %u: %d\n", c->name, s, rc);
			return rc;
		}
	}
	t1 = pvk_time_now_ns();
	pvk_netfront_get_stats(nf, &s1);
	report(c, c->count, (uint64_t)c->count * c->size, t1 - t0, &s0, &s1, "");
	/* dom0's verdict: its sink's line ("ok: ..." or "fail: ... bad B").
	 * Loss is a figure of the benchmark; a damaged datagram is not. */
	if (wait_msg(&seen_msgs)) {
		guest_printf("bench-net: FAIL %s: no result from dom0's sink\n", c->name);
		return -PVK_XEN_ETIMEDOUT;
	}
	guest_printf("bench-net-dom0-said %s %s\n", c->name, msg);
	b = guest_strstr(msg, ", bad ");
	if (b) {
		bad = 0;
		for (b += 6; *b >= '0' && *b <= '9'; b++)
			bad = bad * 10 + (unsigned long long)(*b - '0');
	}
	guest_printf("bench-net-note pvkit: %s: %u completed ok, %u with an error, %u waits for ring room\n",
		     c->name, PVK_READ_ONCE(tx_ok), PVK_READ_ONCE(tx_bad), waits);
	if (bad) {
		guest_printf("bench-net: FAIL %s: dom0 received damaged datagrams\n", c->name);
		return -PVK_XEN_EIO;
	}
	return 0;
}

struct progress {
	unsigned int count;
};

static bool all_received(void *arg)
{
	return PVK_READ_ONCE(rx.got) >= ((struct progress *)arg)->count;
}

static bool any_received(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(rx.got) != 0;
}

static int udp_rx(const struct netb_case *c)
{
	struct pvk_netfront_stats s0, s1;
	struct progress p = { c->count };
	char extra[64];
	unsigned int before;

	if (c->count > MAX_COUNT)
		return -PVK_XEN_EINVAL;
	__builtin_memset(seen, 0, c->count);
	rx.count = c->count;
	rx.got = rx.dup = rx.bad = 0;
	rx.bytes = rx.first = rx.last = 0;
	pvk_netfront_get_stats(nf, &s0);
	PVK_WRITE_ONCE(rx.port, c->port);
	guest_printf("bench-net-want %s: source 10.0.0.4 %u %u %u\n", c->name, c->port,
		     c->count, c->size);
	/* Until all came, or nothing came for IDLE_NS after the first (or
	 * for WAIT_NS before it), as Linux's side: the rx hook counts. */
	if (pvk_port_wait_until(&wq, any_received, NULL, WAIT_NS)) {
		PVK_WRITE_ONCE(rx.port, 0);
		guest_printf("bench-net: FAIL %s: no datagram from dom0\n", c->name);
		return -PVK_XEN_ETIMEDOUT;
	}
	do {
		before = PVK_READ_ONCE(rx.got);
	} while (pvk_port_wait_until(&wq, all_received, &p, IDLE_NS) &&
		 PVK_READ_ONCE(rx.got) != before);
	PVK_WRITE_ONCE(rx.port, 0);
	pvk_netfront_get_stats(nf, &s1);
	pvk_snprintf(extra, sizeof(extra), " lost=%u dup=%u", c->count - rx.got, rx.dup);
	report(c, rx.got, rx.bytes, rx.last - rx.first, &s0, &s1, extra);
	if (rx.bad) {
		guest_printf("bench-net: FAIL %s: %u datagrams not intact\n", c->name, rx.bad);
		return -PVK_XEN_EIO;
	}
	return 0;
}

/* Asks who has 10.0.0.1 until dom0 answers (its bridge may learn of the
 * port a moment after the link came up). */
static int arp_dom0(void)
{
	static uint8_t req[42];
	static const uint8_t zero[6];
	/* Static: the request is the driver's until its done() ran, which
	 * may be after dom0's answer ended this function. */
	static struct pvk_net_frag fr = { req, sizeof(req) };
	static struct pvk_net_tx tx = { .frags = &fr, .nr_frags = 1, .done = arp_done };

	build_arp(req, 1, bcast, zero, dom0_ip);
	for (unsigned int tries = 0; tries < 10; tries++) {
		/* The request is ours again once the rx side is done with it. */
		for (uint64_t end = pvk_time_now_ns() + SEC; PVK_READ_ONCE(arp_busy) &&
		     pvk_time_now_ns() < end;)
			pvk_netfront_poll(nf);
		if (PVK_READ_ONCE(arp_busy))
			continue;
		arp_busy = true;
		if (pvk_netfront_xmit(nf, &tx))
			arp_busy = false;
		if (!pvk_port_wait_until(&wq, flag_set, &have_dom0_mac, SEC))
			return 0;
	}
	return -PVK_XEN_ETIMEDOUT;
}

PVK_GUEST_TEST_XEN_EXPLICIT(bench_netfront)
{
	const struct pvk_netfront_info *info;
	struct pvk_netfront_stats st;
	struct pvk_grant_stats gs;
	unsigned int mtu_asked = 0;
	bool offload;
	int failed = 0;

	guest_events_enable();
	pvk_port_wait_init(&wq);
	netb_fill_pattern(pat);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	/* One queue, as Linux's netfront with one vCPU. */
	PVK_CHECK_RC(pvk_netfront_option("queues", "1"), 0);
	PVK_CHECK_RC(pvk_netfront_init(&hooks), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &nf), 0);
	info = pvk_netfront_info(nf);
	our_mac = info->mac;
	offload = info->csum_offload;
	guest_printf("bench-net-note pvkit: vif 0 mac %02x:%02x:%02x:%02x:%02x:%02x queues=%u tx_depth=%u rx_buffers=%u max_frame=%zu sg=%d gso=%d/%d csum=%d split=%d trusted=%d heap_free=%zu\n",
		     our_mac[0], our_mac[1], our_mac[2], our_mac[3], our_mac[4], our_mac[5],
		     info->nr_queues, info->tx_depth, info->rx_buffers, info->max_frame,
		     info->sg, info->gso_tcpv4, info->gso_tcpv6, info->csum_offload,
		     info->split_evtchn, info->trusted, guest_heap_free_bytes());
	PVK_CHECK_RC(arp_dom0(), 0);
	for (unsigned int i = 0; i < NETB_NR_CASES; i++) {
		const struct netb_case *c = &netb_cases[i];
		int rc;

		if (c->tcp)
			continue;	/* no TCP in the reference guest: Linux's only */
		if (c->size + HDRS > info->max_frame) {
			guest_printf("bench-net %s pvkit skipped: a %u-byte frame is more than the device's %zu (sg %d)\n",
				     c->name, c->size + HDRS, info->max_frame, info->sg);
			continue;
		}
		/* dom0's vif and bridge (the scenario's rule for this line
		 * runs before the case's own); frames need no MTU here. */
		if (c->mtu && c->mtu != mtu_asked) {
			guest_printf("bench-net-want mtu: %u\n", c->mtu);
			mtu_asked = c->mtu;
		}
		rc = c->rx ? udp_rx(c) : udp_tx(c, offload);
		failed |= rc != 0;
	}
	pvk_netfront_get_stats(nf, &st);
	guest_printf("bench-net-note pvkit: after the cases: tx %llu rx %llu packets, tx errors %llu, rx drops error %llu empty %llu nobuf %llu toolong %llu, %u ARP requests answered, %u other frames, grants held %u, broken %d\n",
		     (unsigned long long)st.tx_packets, (unsigned long long)st.rx_packets,
		     (unsigned long long)st.tx_errors, (unsigned long long)st.rx_drop_error,
		     (unsigned long long)st.rx_drop_empty, (unsigned long long)st.rx_drop_nobuf,
		     (unsigned long long)st.rx_drop_toolong, arp_answered, rx_other,
		     pvk_netfront_grants_held(nf), pvk_netfront_broken(nf));
	PVK_CHECK(!pvk_netfront_broken(nf));
	PVK_CHECK_EQ(failed, 0);
	guest_printf("bench-net: done\n");
}

#endif /* CONFIG_PVK_NETFRONT */
