/*
 * tests/guest/netstack.c - the reference guest's network responder (see
 * netstack.h): ARP, ICMPv4 echo, UDP echo, IPv6 neighbour discovery and
 * ICMPv6 echo for the link-local address, a sender and a receive queue.
 * Test equipment on the kit's netfront interface, not a TCP/IP stack.
 *
 * Context: the responder runs in the rx hook (event context or inside
 * pvk_netfront_poll): it never waits; a reply the ring cannot take is
 * dropped and counted. One frame is handled at a time (the guest runs one
 * vcpu and the driver delivers a queue's frames one by one), so the rx
 * side has one linear buffer and one reply buffer; the sender (thread
 * context) has its own.
 */
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "guest.h"
#include "netstack.h"

#include "../bench/netbench.h"

#ifdef CONFIG_PVK_NETFRONT

#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define ETH_P_IPV6	0x86dd
#define IPPROTO_ICMP	1
#define IPPROTO_UDP	17
#define IPPROTO_ICMPV6	58
#define SEND_WAIT_NS	(5ULL * 1000 * 1000 * 1000)
#define FRAME_BUF	65536u

static struct nst_if *ifs[NST_MAX_IFS];
static uint8_t pattern[2 * NETB_PAT_LEN];
static bool pattern_ready;

/* rx side: the frame made linear, the reply built. */
static uint8_t rx_lin[FRAME_BUF];
static uint8_t rx_reply[FRAME_BUF];
/* Sender side (thread context). */
static uint8_t tx_buf[FRAME_BUF];

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

uint32_t nst_csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

uint16_t nst_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

const uint8_t *nst_pattern(void)
{
	if (!pattern_ready) {
		netb_fill_pattern(pattern);
		pattern_ready = true;
	}
	return pattern;
}

/* ---- transmit requests: a pool shared by the responder and the sender ---- */

#define TXS	256
static struct pvk_net_tx txs[TXS];
static uint8_t tx_busy[TXS];
static uint32_t tx_tag[TXS];		/* the opts' tag of each send */
static unsigned int tx_next;
static struct pvk_wait tx_wait;
static bool tx_wait_ready;

static void pool_done(struct pvk_net_tx *tx, int status)
{
	struct nst_if *nif = tx->arg;

	if (status == 0)
		nif->c.tx_done_ok++;
	else
		nif->c.tx_done_err++;
	if (nif->tx_done_tag)
		nif->tx_done_tag(tx_tag[tx - txs], status);
	__atomic_store_n(&tx_busy[tx - txs], 0, __ATOMIC_RELEASE);
	pvk_port_wake(&tx_wait);
}

static struct pvk_net_tx *pool_get(void)
{
	for (unsigned int k = 0; k < TXS; k++) {
		unsigned int i = __atomic_fetch_add(&tx_next, 1, __ATOMIC_RELAXED) % TXS;

		if (!__atomic_exchange_n(&tx_busy[i], 1, __ATOMIC_ACQUIRE))
			return &txs[i];
	}
	return NULL;
}

static void pool_put(struct pvk_net_tx *tx)
{
	__atomic_store_n(&tx_busy[tx - txs], 0, __ATOMIC_RELEASE);
}

static bool pool_idle(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < TXS; i++)
		if (__atomic_load_n(&tx_busy[i], __ATOMIC_ACQUIRE))
			return false;
	return true;
}

int nst_tx_drain(uint64_t timeout_ns)
{
	return pvk_port_wait_until(&tx_wait, pool_idle, NULL, timeout_ns) ?
		-PVK_XEN_ETIMEDOUT : 0;
}

/* Cuts frame into pieces as opts says; returns how many. */
static unsigned int cut(struct pvk_net_frag *fr, const uint8_t *frame, size_t len,
			const struct nst_tx_opts *opts)
{
	size_t off = 0, piece = opts && opts->piece ? opts->piece : len;
	unsigned int n = 0;

	if (opts && opts->first_piece && opts->first_piece < len) {
		fr[n++] = (struct pvk_net_frag){ frame, opts->first_piece };
		off = opts->first_piece;
	}
	while (off < len) {
		size_t l = len - off;

		if (l > piece && n < PVK_NET_MAX_FRAGS - 1)
			l = piece;
		fr[n++] = (struct pvk_net_frag){ frame + off, l };
		off += l;
	}
	return n;
}

/* Queues frame (copied by the driver before it returns). wait: thread
 * context may wait for ring room, the responder may not. */
static int xmit(struct nst_if *nif, const uint8_t *frame, size_t len,
		const struct nst_tx_opts *opts, uint16_t csum_start,
		uint16_t csum_offset, bool wait)
{
	struct pvk_net_frag fr[PVK_NET_MAX_FRAGS];
	struct pvk_net_tx *tx;
	uint64_t end = pvk_time_now_ns() + SEND_WAIT_NS;
	unsigned int q = opts ? opts->queue : 0;
	int rc;

	for (;;) {
		tx = pool_get();
		if (tx || !wait || pvk_time_now_ns() >= end)
			break;
		pvk_port_wait_until(&tx_wait, pool_idle, NULL, SEND_WAIT_NS / 50);
	}
	if (!tx)
		return -PVK_XEN_EBUSY;
	*tx = (struct pvk_net_tx){
		.frags = fr, .nr_frags = cut(fr, frame, len, opts),
		.queue = q, .done = pool_done, .arg = nif,
	};
	tx_tag[tx - txs] = opts ? opts->tag : 0;
	if (opts && opts->more)
		tx->flags |= PVK_NET_TX_MORE;
	if (csum_offset) {
		tx->flags |= PVK_NET_TX_CSUM_PARTIAL;
		tx->csum_start = csum_start;
		tx->csum_offset = csum_offset;
	}
	for (;;) {
		rc = pvk_netfront_xmit(nif->dev, tx);
		if (rc != -PVK_XEN_EAGAIN || !wait || pvk_time_now_ns() >= end)
			break;
		pvk_netfront_wait_tx(nif->dev, q, SEND_WAIT_NS / 5);
	}
	if (rc)
		pool_put(tx);
	return rc;
}

int nst_send_frame(struct nst_if *nif, const uint8_t *frame, size_t len,
		   const struct nst_tx_opts *opts)
{
	return xmit(nif, frame, len, opts, 0, 0, true);
}

/* ---- interfaces ---- */

int nst_attach(struct nst_if *nif, struct pvk_netfront *dev,
	       const uint8_t ip[4], uint16_t echo_port)
{
	const struct pvk_netfront_info *info = pvk_netfront_info(dev);

	if (!tx_wait_ready) {
		pvk_port_wait_init(&tx_wait);
		tx_wait_ready = true;
	}
	nst_pattern();
	memset(nif, 0, sizeof(*nif));
	nif->dev = dev;
	memcpy(nif->mac, info->mac, 6);
	memcpy(nif->ip, ip, 4);
	nif->udp_echo_port = echo_port;
	/* fe80::/64 + modified EUI-64 (RFC 4291): MAC with ff:fe in the
	 * middle and the universal/local bit flipped. */
	nif->ip6_ll[0] = 0xfe;
	nif->ip6_ll[1] = 0x80;
	nif->ip6_ll[8] = nif->mac[0] ^ 2;
	nif->ip6_ll[9] = nif->mac[1];
	nif->ip6_ll[10] = nif->mac[2];
	nif->ip6_ll[11] = 0xff;
	nif->ip6_ll[12] = 0xfe;
	nif->ip6_ll[13] = nif->mac[3];
	nif->ip6_ll[14] = nif->mac[4];
	nif->ip6_ll[15] = nif->mac[5];
	nif->c.udp_echo_min = ~0UL;
	pvk_port_wait_init(&nif->wait);
	for (unsigned int i = 0; i < NST_MAX_IFS; i++)
		if (!ifs[i]) {
			PVK_WRITE_ONCE(ifs[i], nif);
			return 0;
		}
	return -PVK_XEN_ENOSPC;
}

void nst_detach(struct nst_if *nif)
{
	for (unsigned int i = 0; i < NST_MAX_IFS; i++)
		if (ifs[i] == nif)
			PVK_WRITE_ONCE(ifs[i], NULL);
}

/* ---- the responder ---- */

static void learn(struct nst_if *nif, const uint8_t *ip, const uint8_t *mac)
{
	memcpy(nif->peer_ip, ip, 4);
	memcpy(nif->peer_mac, mac, 6);
	PVK_WRITE_ONCE(nif->peer_known, true);
}

static size_t build_arp(uint8_t *f, unsigned int op, const uint8_t *dst_mac,
			const uint8_t *sha, const uint8_t *spa,
			const uint8_t *tha, const uint8_t *tpa)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, sha, 6);
	put16(f + 12, ETH_P_ARP);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, ETH_P_IP);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, sha, 6);
	memcpy(f + 28, spa, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, tpa, 4);
	return 42;
}

static bool rx_arp(struct nst_if *nif, const uint8_t *f, size_t len,
		   unsigned int queue)
{
	struct nst_tx_opts o = { .queue = queue };

	if (len < 42 || get16(f + 14) != 1 || get16(f + 16) != ETH_P_IP ||
	    f[18] != 6 || f[19] != 4 || memcmp(f + 38, nif->ip, 4))
		return false;
	learn(nif, f + 28, f + 22);
	if (get16(f + 20) != 1)
		return false;	/* a reply: the queue's (nst_resolve) */
	build_arp(rx_reply, 2, f + 22, nif->mac, nif->ip, f + 22, f + 28);
	if (xmit(nif, rx_reply, 42, &o, 0, 0, false))
		nif->c.tx_refused++;
	else
		nif->c.arp_answered++;
	return true;
}

/* Swaps the Ethernet addresses into the reply header. */
static void eth_reply(struct nst_if *nif, uint8_t *r, const uint8_t *f)
{
	memcpy(r, f + 6, 6);
	memcpy(r + 6, nif->mac, 6);
}

/* The UDP checksum of datagram u (ulen bytes, IPv4 frame f), unless the
 * backend left it blank or the sender sent none: false (counted bad) when
 * it does not add up. */
static bool udp_csum_ok(struct nst_if *nif, const uint8_t *f, const uint8_t *u,
			size_t ulen, enum pvk_net_csum csum)
{
	uint32_t s;

	if (csum == PVK_NET_CSUM_PARTIAL || !get16(u + 6))
		return true;
	s = nst_csum_add(0, f + 26, 8);	/* addresses */
	s += IPPROTO_UDP + ulen;
	if (nst_csum_fold(nst_csum_add(s, u, ulen)) != 0) {
		nif->c.rx_bad++;
		return false;
	}
	nif->c.udp_csum_verified++;
	return true;
}

static void seq_mark(struct nst_if *nif, uint32_t seq)
{
	if (seq >= NST_SEQS)
		nif->c.seq_over++;
	else if (nif->seq_seen[seq])
		nif->c.seq_dup++;
	else
		nif->seq_seen[seq] = 1;
}

/* A datagram to the sink port: checked, counted, not answered. */
static void rx_udp_sink(struct nst_if *nif, const uint8_t *f, size_t ihl,
			size_t ip_len, enum pvk_net_csum csum)
{
	const uint8_t *u = f + 14 + ihl;
	size_t ulen = get16(u + 4);
	uint32_t seq;

	if (ulen < 8 || ulen > ip_len - ihl) {
		nif->c.rx_bad++;
		return;
	}
	if (!udp_csum_ok(nif, f, u, ulen, csum))
		return;
	if (netb_udp_check(u + 8, (uint32_t)(ulen - 8), &seq, pattern) == 0) {
		nif->c.udp_sink++;
		seq_mark(nif, seq);
	} else {
		nif->c.udp_sink_bad++;
	}
}

static void rx_udp_echo(struct nst_if *nif, const uint8_t *f, size_t ihl,
			size_t ip_len, enum pvk_net_csum csum, unsigned int queue)
{
	const uint8_t *u = f + 14 + ihl;
	size_t ulen = get16(u + 4), plen;
	uint16_t cs_start = 0, cs_off = 0;
	struct nst_tx_opts o = { .queue = queue };
	uint32_t seq;

	if (ulen < 8 || ulen > ip_len - ihl) {
		nif->c.rx_bad++;
		return;
	}
	if (!udp_csum_ok(nif, f, u, ulen, csum))
		return;
	plen = ulen - 8;
	if (plen >= NETB_HDR_LEN) {
		if (netb_udp_check(u + 8, (uint32_t)plen, &seq, pattern) == 0) {
			nif->c.udp_echo_intact++;
			seq_mark(nif, seq);
		} else {
			nif->c.udp_echo_bad++;
		}
	}
	/* The reply: addresses and ports swapped. Neither changes a checksum
	 * (the sums are commutative), so the UDP checksum, or the pseudo-
	 * header sum a blank one holds, stays as it came. */
	memcpy(rx_reply, f, 14 + ihl + ulen);
	eth_reply(nif, rx_reply, f);
	memcpy(rx_reply + 26, f + 30, 4);
	memcpy(rx_reply + 30, f + 26, 4);
	put16(rx_reply + 14 + 2, (unsigned int)(ihl + ulen));
	rx_reply[14 + 8] = 64;				/* TTL */
	put16(rx_reply + 14 + 10, 0);
	put16(rx_reply + 14 + 10, nst_csum_fold(nst_csum_add(0, rx_reply + 14, ihl)));
	memcpy(rx_reply + 14 + ihl, u + 2, 2);
	memcpy(rx_reply + 14 + ihl + 2, u, 2);
	if (csum == PVK_NET_CSUM_PARTIAL && pvk_netfront_info(nif->dev)->csum_offload) {
		cs_start = (uint16_t)(14 + ihl);
		cs_off = 6;
	} else if (csum == PVK_NET_CSUM_PARTIAL) {
		/* No transmit offload to finish it (the backend would refuse
		 * the frame): the whole sum, computed here. */
		uint8_t *ur = rx_reply + 14 + ihl;
		uint32_t s = nst_csum_add(0, rx_reply + 26, 8);
		uint16_t sum;

		put16(ur + 6, 0);
		s += IPPROTO_UDP + ulen;
		sum = nst_csum_fold(nst_csum_add(s, ur, ulen));
		put16(ur + 6, sum ? sum : 0xffff);
	}
	if (xmit(nif, rx_reply, 14 + ihl + ulen, &o, cs_start, cs_off, false)) {
		nif->c.tx_refused++;
		return;
	}
	nif->c.udp_echoed++;
	if (plen < nif->c.udp_echo_min)
		nif->c.udp_echo_min = plen;
	if (plen > nif->c.udp_echo_max)
		nif->c.udp_echo_max = plen;
}

/* IPv4 to us: echo requests and UDP echo consumed, the rest queued. */
static bool rx_ipv4(struct nst_if *nif, const uint8_t *f, size_t len,
		    enum pvk_net_csum csum, unsigned int queue)
{
	size_t ihl, ip_len;
	struct nst_tx_opts o = { .queue = queue };

	if (len < 34 || (f[14] >> 4) != 4)
		return false;
	ihl = (size_t)(f[14] & 15) * 4;
	ip_len = get16(f + 16);
	if (ihl < 20 || ip_len < ihl || 14 + ip_len > len ||
	    nst_csum_fold(nst_csum_add(0, f + 14, ihl)) != 0) {
		nif->c.rx_bad++;
		return true;
	}
	if (memcmp(f + 30, nif->ip, 4))
		return false;
	if (get16(f + 20) & 0x3fff)
		return false;		/* a fragment: not ours to answer */
	if (f[23] == IPPROTO_ICMP && ip_len - ihl >= 8 && f[14 + ihl] == 8) {
		size_t il = ip_len - ihl;

		if (nst_csum_fold(nst_csum_add(0, f + 14 + ihl, il)) != 0) {
			nif->c.rx_bad++;
			return true;
		}
		memcpy(rx_reply, f, 14 + ip_len);
		eth_reply(nif, rx_reply, f);
		memcpy(rx_reply + 26, f + 30, 4);
		memcpy(rx_reply + 30, f + 26, 4);
		rx_reply[22] = 64;
		put16(rx_reply + 24, 0);
		put16(rx_reply + 24, nst_csum_fold(nst_csum_add(0, rx_reply + 14, ihl)));
		rx_reply[14 + ihl] = 0;		/* echo reply */
		put16(rx_reply + 14 + ihl + 2, 0);
		put16(rx_reply + 14 + ihl + 2,
		      nst_csum_fold(nst_csum_add(0, rx_reply + 14 + ihl, il)));
		if (xmit(nif, rx_reply, 14 + ip_len, &o, 0, 0, false))
			nif->c.tx_refused++;
		else
			nif->c.icmp_answered++;
		return true;
	}
	if (f[23] == IPPROTO_UDP && nif->udp_sink_port && ip_len - ihl >= 8 &&
	    get16(f + 14 + ihl + 2) == PVK_READ_ONCE(nif->udp_sink_port)) {
		rx_udp_sink(nif, f, ihl, ip_len, csum);
		return true;
	}
	if (f[23] == IPPROTO_UDP && nif->udp_echo_port && ip_len - ihl >= 8 &&
	    get16(f + 14 + ihl + 2) == nif->udp_echo_port) {
		rx_udp_echo(nif, f, ihl, ip_len, csum, queue);
		return true;
	}
	return false;
}

/* ICMPv6 checksum over the pseudo-header (RFC 8200 8.1). */
static uint16_t icmp6_csum(const uint8_t *ip6, const uint8_t *icmp, size_t len)
{
	uint32_t s = nst_csum_add(0, ip6 + 8, 32);	/* source, destination */

	s += (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff) + IPPROTO_ICMPV6;
	return nst_csum_fold(nst_csum_add(s, icmp, len));
}

static bool rx_ipv6(struct nst_if *nif, const uint8_t *f, size_t len,
		    unsigned int queue)
{
	static const uint8_t solicited[13] = { 0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff };
	const uint8_t *ip6 = f + 14, *icmp = f + 54;
	size_t pl;
	struct nst_tx_opts o = { .queue = queue };
	uint8_t *r = rx_reply;

	if (len < 62 || (ip6[0] >> 4) != 6 || ip6[6] != IPPROTO_ICMPV6)
		return false;
	pl = get16(ip6 + 4);
	if (pl < 8 || 54 + pl > len)
		return false;
	/* To us, or to our solicited-node multicast group. */
	if (memcmp(ip6 + 24, nif->ip6_ll, 16) &&
	    (memcmp(ip6 + 24, solicited, 13) || memcmp(ip6 + 37, nif->ip6_ll + 13, 3)))
		return false;
	if (icmp6_csum(ip6, icmp, pl) != 0) {
		nif->c.rx_bad++;
		return true;
	}
	if (icmp[0] == 135 && pl >= 24 && !memcmp(icmp + 8, nif->ip6_ll, 16)) {
		/* Neighbour advertisement: solicited, override, with our MAC. */
		eth_reply(nif, r, f);
		put16(r + 12, ETH_P_IPV6);
		memset(r + 14, 0, 8);
		r[14] = 0x60;
		put16(r + 18, 32);
		r[20] = IPPROTO_ICMPV6;
		r[21] = 255;
		memcpy(r + 22, nif->ip6_ll, 16);
		memcpy(r + 38, ip6 + 8, 16);
		memset(r + 54, 0, 32);
		r[54] = 136;
		r[58] = 0x60;
		memcpy(r + 62, nif->ip6_ll, 16);
		r[78] = 2;		/* target link-layer address option */
		r[79] = 1;
		memcpy(r + 80, nif->mac, 6);
		put16(r + 56, icmp6_csum(r + 14, r + 54, 32));
		if (xmit(nif, r, 86, &o, 0, 0, false))
			nif->c.tx_refused++;
		else
			nif->c.nd_answered++;
		return true;
	}
	if (icmp[0] == 128 && !memcmp(ip6 + 24, nif->ip6_ll, 16)) {
		memcpy(r, f, 54 + pl);
		eth_reply(nif, r, f);
		r[21] = 64;
		memcpy(r + 22, ip6 + 24, 16);
		memcpy(r + 38, ip6 + 8, 16);
		r[54] = 129;
		put16(r + 56, 0);
		put16(r + 56, icmp6_csum(r + 14, r + 54, pl));
		if (xmit(nif, r, 54 + pl, &o, 0, 0, false))
			nif->c.tx_refused++;
		else
			nif->c.icmp6_answered++;
		return true;
	}
	return false;
}

static void enqueue(struct nst_if *nif, const uint8_t *f, size_t len,
		    const struct pvk_net_rx *fr)
{
	unsigned int t = nif->q_tail;

	if (len > NST_RXQ_FRAME) {
		nif->c.rx_too_long++;
		return;
	}
	/* One slot short of full: the frame nst_wait_frame returned last
	 * stays the reader's until its next call. */
	if (t - PVK_READ_ONCE(nif->q_head) >= NST_RXQ - 1) {
		nif->c.rx_queue_full++;
		return;
	}
	memcpy(nif->q_frame[t % NST_RXQ], f, len);
	nif->q_len[t % NST_RXQ] = len;
	nif->q_queue[t % NST_RXQ] = fr->queue;
	nif->q_csum[t % NST_RXQ] = fr->csum;
	PVK_WRITE_ONCE(nif->q_tail, t + 1);
	nif->c.rx_queued++;
	pvk_port_wake(&nif->wait);
}

bool nst_rx(struct pvk_netfront *dev, const struct pvk_net_rx *fr)
{
	struct nst_if *nif = NULL;
	size_t len = 0;
	unsigned int type;
	bool done = false;

	for (unsigned int i = 0; i < NST_MAX_IFS && !nif; i++) {
		struct nst_if *n = PVK_READ_ONCE(ifs[i]);

		if (n && n->dev == dev)
			nif = n;
	}
	if (!nif)
		return false;
	nif->c.rx_frames++;
	nif->c.rx_bytes += fr->len;
	if (fr->csum == PVK_NET_CSUM_PARTIAL)
		nif->c.rx_csum_partial++;
	for (unsigned int i = 0; i < fr->nr_frags; i++) {
		if (fr->frags[i].len > FRAME_BUF - len) {
			nif->c.rx_too_long++;
			return true;
		}
		memcpy(rx_lin + len, fr->frags[i].buf, fr->frags[i].len);
		len += fr->frags[i].len;
	}
	if (len != fr->len || len < PVK_NET_ETH_HLEN) {
		nif->c.rx_bad++;
		return true;
	}
	type = get16(rx_lin + 12);
	if (type == ETH_P_ARP)
		done = rx_arp(nif, rx_lin, len, fr->queue);
	else if (type == ETH_P_IP)
		done = rx_ipv4(nif, rx_lin, len, fr->csum, fr->queue);
	else if (type == ETH_P_IPV6)
		done = rx_ipv6(nif, rx_lin, len, fr->queue);
	if (!done)
		enqueue(nif, rx_lin, len, fr);
	return true;
}

void nst_rx_hook(struct pvk_netfront *dev, const struct pvk_net_rx *frame)
{
	nst_rx(dev, frame);
}

/* ---- the receive queue ---- */

static bool q_ready(void *arg)
{
	struct nst_if *nif = arg;

	return PVK_READ_ONCE(nif->q_tail) != PVK_READ_ONCE(nif->q_head);
}

const uint8_t *nst_wait_frame(struct nst_if *nif,
			      bool (*match)(const uint8_t *f, size_t len, void *arg),
			      void *arg, size_t *len, unsigned int *other,
			      uint64_t timeout_ns)
{
	uint64_t end = pvk_time_now_ns() + timeout_ns;

	for (;;) {
		uint64_t now = pvk_time_now_ns();

		while (nif->q_head != PVK_READ_ONCE(nif->q_tail)) {
			unsigned int h = nif->q_head % NST_RXQ;

			/* The slot is ours until q_head moves past it: the
			 * frame returned stays valid until the next call. */
			PVK_WRITE_ONCE(nif->q_head, nif->q_head + 1);
			*len = nif->q_len[h];
			if (match(nif->q_frame[h], *len, arg))
				return nif->q_frame[h];
			if (other)
				(*other)++;
		}
		if (now >= end ||
		    pvk_port_wait_until(&nif->wait, q_ready, nif, end - now))
			return NULL;
	}
}

/* ---- the sender ---- */

static bool is_arp_reply_from(const uint8_t *f, size_t len, void *arg)
{
	return len >= 42 && get16(f + 12) == ETH_P_ARP && get16(f + 20) == 2 &&
	       !memcmp(f + 28, arg, 4);
}

int nst_resolve(struct nst_if *nif, const uint8_t ip[4],
		uint8_t mac[PVK_NET_ETH_ALEN], uint64_t timeout_ns)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	uint8_t req[42];
	uint64_t end = pvk_time_now_ns() + timeout_ns;
	/* Two pieces: the Ethernet header and the ARP body. */
	struct nst_tx_opts o = { .first_piece = 14 };
	int rc;

	if (PVK_READ_ONCE(nif->peer_known) && !memcmp(nif->peer_ip, ip, 4)) {
		memcpy(mac, nif->peer_mac, 6);
		return 0;
	}
	build_arp(req, 1, bcast, nif->mac, nif->ip, zero, ip);
	/* dom0's bridge may learn of the port a moment after link up. */
	while (pvk_time_now_ns() < end) {
		uint64_t left = end - pvk_time_now_ns();
		const uint8_t *f;
		size_t len;

		rc = nst_send_frame(nif, req, 42, &o);
		if (rc)
			return rc;
		f = nst_wait_frame(nif, is_arp_reply_from, (void *)ip, &len, NULL,
				   left < timeout_ns / 4 ? left : timeout_ns / 4);
		if (f) {
			memcpy(mac, f + 22, 6);
			learn(nif, ip, mac);
			return 0;
		}
	}
	return -PVK_XEN_ETIMEDOUT;
}

/* IPv4 header of 20 bytes for proto to dst, payload l4 bytes after it. */
static void ipv4_hdr(struct nst_if *nif, uint8_t *f, const uint8_t *dst_mac,
		     const uint8_t *dst, unsigned int proto, size_t l4,
		     unsigned int id)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, nif->mac, 6);
	put16(f + 12, ETH_P_IP);
	f[14] = 0x45;
	f[15] = 0;
	put16(f + 16, (unsigned int)(20 + l4));
	put16(f + 18, id);
	put16(f + 20, 0x4000);		/* DF */
	f[22] = 64;
	f[23] = (uint8_t)proto;
	put16(f + 24, 0);
	memcpy(f + 26, nif->ip, 4);
	memcpy(f + 30, dst, 4);
	put16(f + 24, nst_csum_fold(nst_csum_add(0, f + 14, 20)));
}

struct ping_match {
	const uint8_t *ip;
	unsigned int seq;
};

static bool is_echo_reply(const uint8_t *f, size_t len, void *arg)
{
	struct ping_match *m = arg;

	return len >= 42 && get16(f + 12) == ETH_P_IP && f[14] == 0x45 &&
	       f[23] == IPPROTO_ICMP && f[34] == 0 && !memcmp(f + 26, m->ip, 4) &&
	       get16(f + 38) == 0x7076 && get16(f + 40) == m->seq;
}

int nst_ping(struct nst_if *nif, const uint8_t ip[4], uint16_t seq,
	     size_t payload, const struct nst_tx_opts *opts,
	     uint64_t timeout_ns)
{
	uint8_t mac[6];
	uint8_t *e = tx_buf;
	size_t flen = 42 + payload, len = 0;
	struct ping_match m = { ip, seq };
	const uint8_t *f;
	int rc;

	if (flen > FRAME_BUF || 20 + 8 + payload > 65535)
		return -PVK_XEN_EINVAL;
	rc = nst_resolve(nif, ip, mac, timeout_ns);
	if (rc)
		return rc;
	ipv4_hdr(nif, e, mac, ip, IPPROTO_ICMP, 8 + payload, seq);
	e[34] = 8;			/* echo request */
	e[35] = 0;
	put16(e + 36, 0);
	put16(e + 38, 0x7076);		/* "pv" */
	put16(e + 40, seq);
	for (size_t i = 0; i < payload; i++)
		e[42 + i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8));
	put16(e + 36, nst_csum_fold(nst_csum_add(0, e + 34, 8 + payload)));
	rc = nst_send_frame(nif, e, flen, opts);
	if (rc)
		return rc;
	f = nst_wait_frame(nif, is_echo_reply, &m, &len, NULL, timeout_ns);
	if (!f)
		return -PVK_XEN_ETIMEDOUT;
	if (len != flen) {
		guest_printf("netstack: ping seq %u: reply of %zu bytes, expected %zu\n",
			     seq, len, flen);
		return -PVK_XEN_EIO;
	}
	/* Addresses swapped, the rest as sent but for what the peer chooses. */
	for (size_t i = 0; i < flen; i++) {
		uint8_t want;

		if (i < 6)
			want = nif->mac[i];
		else if (i < 12)
			want = mac[i - 6];
		else if (i >= 26 && i < 30)
			want = ip[i - 26];
		else if (i >= 30 && i < 34)
			want = nif->ip[i - 30];
		else if (i == 34)
			want = 0;		/* echo reply */
		else if ((i >= 18 && i < 23) || i == 24 || i == 25 || i == 36 || i == 37)
			continue;		/* id, flags, TTL; checksums below */
		else
			want = e[i];
		if (f[i] != want) {
			guest_printf("netstack: ping seq %u: reply byte %zu is %#x, expected %#x\n",
				     seq, i, f[i], want);
			return -PVK_XEN_EIO;
		}
	}
	if (nst_csum_fold(nst_csum_add(0, f + 14, 20)) != 0 ||
	    nst_csum_fold(nst_csum_add(0, f + 34, flen - 34)) != 0) {
		guest_printf("netstack: ping seq %u: reply checksum wrong\n", seq);
		return -PVK_XEN_EIO;
	}
	return 0;
}

int nst_udp_send(struct nst_if *nif, const uint8_t ip[4], uint16_t sport,
		 uint16_t dport, const void *data, size_t len,
		 const struct nst_tx_opts *opts)
{
	static unsigned int ip_id;
	uint8_t mac[6];
	uint8_t *f = tx_buf;
	size_t ulen = 8 + len;
	uint32_t s;
	int rc;

	if (14 + 20 + ulen > FRAME_BUF || 20 + ulen > 65535)
		return -PVK_XEN_EINVAL;
	rc = nst_resolve(nif, ip, mac, SEND_WAIT_NS);
	if (rc)
		return rc;
	ipv4_hdr(nif, f, mac, ip, IPPROTO_UDP, ulen, ++ip_id);
	put16(f + 34, sport);
	put16(f + 36, dport);
	put16(f + 38, (unsigned int)ulen);
	put16(f + 40, 0);
	memcpy(f + 42, data, len);
	if (opts && opts->no_udp_csum)
		return xmit(nif, f, 14 + 20 + ulen, opts, 0, 0, true);
	s = nst_csum_add(0, f + 26, 8);
	s += IPPROTO_UDP + (uint32_t)ulen;
	if (opts && opts->csum_partial) {
		/* The field holds the pseudo-header sum, not complemented. */
		put16(f + 40, (uint16_t)~nst_csum_fold(s));
		return xmit(nif, f, 14 + 20 + ulen, opts, 34, 6, true);
	}
	{
		uint16_t c = nst_csum_fold(nst_csum_add(s, f + 34, ulen));

		put16(f + 40, c ? c : 0xffff);	/* 0 means none */
	}
	return xmit(nif, f, 14 + 20 + ulen, opts, 0, 0, true);
}

#endif /* CONFIG_PVK_NETFRONT */
