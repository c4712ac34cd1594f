/*
 * tests/guest/cases/netfront.c - the network frontend against Linux
 * netback and dom0's bridge (scenario guest-netfront, explicit only).
 *
 *   netfront_ping  brings up vif 0 (link up, MAC from xenstore), asks by
 *                  ARP who has 10.0.0.1 (dom0's xenbr0) and checks the
 *                  reply byte for byte, then sends ICMP echo requests of
 *                  several sizes up to the largest single-page frame
 *                  (1,514 bytes), built here with their IP and ICMP
 *                  checksums, and checks each reply byte for byte (the
 *                  fields dom0 chooses, IP id, flags and TTL, aside; both
 *                  checksums recomputed). A small responder answers
 *                  dom0's ARP requests for our address meanwhile. Prints
 *                  the driver's counts (packets, notifications, grants per
 *                  packet) and checks them against what was sent.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"

#ifdef CONFIG_PVK_NETFRONT

#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define WAIT_NS		(5ULL * 1000 * 1000 * 1000)
#define CONNECT_NS	(30ULL * 1000 * 1000 * 1000)
#define RXQ		16
#define FRAME_MAX	1514u

static const uint8_t our_ip[4] = { 10, 0, 0, 3 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

/* Frames received, copied out of the driver's page in the rx hook. */
static uint8_t rxq[RXQ][FRAME_MAX];
static size_t rxq_len[RXQ];
static unsigned int rxq_head, rxq_tail, rxq_lost, rx_csum_valid;
static struct pvk_wait rx_wait;
static struct pvk_netfront *nf;
static const uint8_t *our_mac;
static unsigned int arp_answered, tx_done_ok, tx_done_bad;

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* The Internet checksum (RFC 1071) of len bytes. */
static uint16_t inet_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void tx_done(struct pvk_net_tx *tx, int status)
{
	(void)tx;
	if (status == 0)
		tx_done_ok++;
	else
		tx_done_bad++;
}

/* ARP packet (28 bytes) after an Ethernet header. */
static size_t build_arp(uint8_t *f, unsigned int op, const uint8_t *dst_mac,
			const uint8_t *sha, const uint8_t *spa,
			const uint8_t *tha, const uint8_t *tpa)
{
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, sha, 6);
	put16(f + 12, 0x0806);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, 0x0800);		/* IPv4 */
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, op);
	memcpy(f + 22, sha, 6);
	memcpy(f + 28, spa, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, tpa, 4);
	return 42;
}

/* The responder's one frame in flight (event context: no waiting). */
static uint8_t arp_reply[64];
static struct pvk_net_frag arp_frag;
static struct pvk_net_tx arp_tx;
static bool arp_tx_busy;

static void arp_tx_done(struct pvk_net_tx *tx, int status)
{
	tx_done(tx, status);
	arp_tx_busy = false;
}

static bool answer_arp(const uint8_t *f, size_t len)
{
	if (len < 42 || get16(f + 12) != 0x0806 || get16(f + 20) != 1 ||
	    memcmp(f + 38, our_ip, 4) || arp_tx_busy)
		return false;
	arp_frag.buf = arp_reply;
	arp_frag.len = build_arp(arp_reply, 2, f + 6, our_mac, our_ip, f + 22, f + 28);
	arp_tx = (struct pvk_net_tx){ .frags = &arp_frag, .nr_frags = 1, .done = arp_tx_done };
	arp_tx_busy = true;
	if (pvk_netfront_xmit(nf, &arp_tx)) {
		arp_tx_busy = false;
		return false;
	}
	arp_answered++;
	return true;
}

static void on_rx(struct pvk_netfront *dev, const struct pvk_net_rx *fr)
{
	(void)dev;
	if (fr->csum == PVK_NET_CSUM_VALID)
		rx_csum_valid++;
	/* Without sg every frame is one piece. */
	if (fr->nr_frags != 1) {
		rxq_lost++;
		return;
	}
	if (nf && answer_arp(fr->frags[0].buf, fr->len))
		return;
	if (rxq_tail - rxq_head == RXQ || fr->len > FRAME_MAX) {
		rxq_lost++;
		return;
	}
	memcpy(rxq[rxq_tail % RXQ], fr->frags[0].buf, fr->len);
	rxq_len[rxq_tail % RXQ] = fr->len;
	rxq_tail++;
	pvk_port_wake(&rx_wait);
}

static const struct pvk_netfront_hooks hooks = { .rx = on_rx };

static bool rx_ready(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(rxq_tail) != PVK_READ_ONCE(rxq_head);
}

/* The next frame that match() accepts, within WAIT_NS; others are
 * counted and dropped (dom0 sends IPv6 router solicitations and such). */
static const uint8_t *wait_frame(bool (*match)(const uint8_t *, size_t),
				 size_t *len, unsigned int *other)
{
	uint64_t end = pvk_time_now_ns() + WAIT_NS;

	for (;;) {
		uint64_t now = pvk_time_now_ns();

		if (now >= end ||
		    pvk_port_wait_until(&rx_wait, rx_ready, NULL, end - now))
			return NULL;
		while (rxq_head != rxq_tail) {
			const uint8_t *f = rxq[rxq_head % RXQ];

			*len = rxq_len[rxq_head % RXQ];
			rxq_head++;
			if (match(f, *len))
				return f;
			(*other)++;
		}
	}
}

static bool is_arp_reply(const uint8_t *f, size_t len)
{
	return len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2;
}

static bool is_ipv4_icmp(const uint8_t *f, size_t len)
{
	return len >= 42 && get16(f + 12) == 0x0800 && f[23] == 1;
}

/* A request is the host's until its done() ran: they come from here, each
 * used again only once its completion came (tx_busy). */
#define TXS	64
static struct pvk_net_tx txs[TXS];
static bool tx_busy[TXS];
static unsigned int tx_next;

static void pool_tx_done(struct pvk_net_tx *tx, int status)
{
	tx_done(tx, status);
	tx_busy[tx - txs] = false;
}

static int send_frame(const struct pvk_net_frag *fr, unsigned int n)
{
	struct pvk_net_tx *tx = &txs[tx_next % TXS];
	int rc;

	if (tx_busy[tx_next % TXS])
		return -PVK_XEN_EBUSY;	/* TXS frames without a completion */
	*tx = (struct pvk_net_tx){ .frags = fr, .nr_frags = n, .done = pool_tx_done };
	/* Busy before the xmit: its completion may come at once (an event). */
	tx_busy[tx_next % TXS] = true;
	rc = pvk_netfront_xmit(nf, tx);
	if (rc == -PVK_XEN_EAGAIN && !pvk_netfront_wait_tx(nf, 0, WAIT_NS))
		rc = pvk_netfront_xmit(nf, tx);
	if (rc == 0)
		tx_next++;
	else
		tx_busy[tx_next % TXS] = false;
	return rc;
}

static uint8_t dom0_mac[6];
static unsigned int other_frames;

static void do_arp(void)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t zero[6];
	uint8_t req[42], want[42];
	const uint8_t *f = NULL;
	/* Two pieces: the Ethernet header and the ARP body. */
	struct pvk_net_frag fr[2] = { { req, 14 }, { req + 14, 28 } };
	size_t len = 0;

	build_arp(req, 1, bcast, our_mac, our_ip, zero, dom0_ip);
	/* dom0's bridge may learn of the port a moment after link up. */
	for (unsigned int tries = 0; !f && tries < 5; tries++) {
		PVK_CHECK_RC(send_frame(fr, 2), 0);
		f = wait_frame(is_arp_reply, &len, &other_frames);
	}
	if (!f)
		PVK_FAIL("no ARP reply from 10.0.0.1 in 5 tries");
	memcpy(dom0_mac, f + 6, 6);
	build_arp(want, 2, our_mac, dom0_mac, dom0_ip, our_mac, our_ip);
	for (unsigned int i = 0; i < 42; i++)
		if (f[i] != want[i])
			PVK_FAIL("ARP reply byte %u is %#x, expected %#x", i, f[i], want[i]);
	guest_printf("netfront: ARP: 10.0.0.1 is at %02x:%02x:%02x:%02x:%02x:%02x (%zu-byte reply checked byte for byte)\n",
		     dom0_mac[0], dom0_mac[1], dom0_mac[2], dom0_mac[3], dom0_mac[4],
		     dom0_mac[5], len);
}

static uint8_t echo[FRAME_MAX];

/* One echo request of payload bytes (frame = 42 + payload), checked. */
static void do_ping(unsigned int seq, size_t payload)
{
	size_t flen = 42 + payload, len = 0;
	const uint8_t *f;
	struct pvk_net_frag fr[3];
	unsigned int ident = 0x7076;	/* "pv" */

	memcpy(echo, dom0_mac, 6);
	memcpy(echo + 6, our_mac, 6);
	put16(echo + 12, 0x0800);
	echo[14] = 0x45;
	echo[15] = 0;
	put16(echo + 16, (unsigned int)(20 + 8 + payload));
	put16(echo + 18, seq);		/* IP id */
	put16(echo + 20, 0x4000);	/* DF */
	echo[22] = 64;
	echo[23] = 1;			/* ICMP */
	put16(echo + 24, 0);
	memcpy(echo + 26, our_ip, 4);
	memcpy(echo + 30, dom0_ip, 4);
	put16(echo + 24, inet_csum(echo + 14, 20));
	echo[34] = 8;			/* echo request */
	echo[35] = 0;
	put16(echo + 36, 0);
	put16(echo + 38, ident);
	put16(echo + 40, seq);
	for (size_t i = 0; i < payload; i++)
		echo[42 + i] = (uint8_t)(seq * 31 + i * 7 + (i >> 8));
	put16(echo + 36, inet_csum(echo + 34, 8 + payload));
	/* Three pieces at odd boundaries. */
	fr[0] = (struct pvk_net_frag){ echo, 21 };
	fr[1] = (struct pvk_net_frag){ echo + 21, 20 };
	fr[2] = (struct pvk_net_frag){ echo + 41, flen - 41 };
	PVK_CHECK_RC(send_frame(fr, 3), 0);
	f = wait_frame(is_ipv4_icmp, &len, &other_frames);
	if (!f)
		PVK_FAIL("ping seq %u (%zu bytes): no reply", seq, payload);
	PVK_CHECK_EQ(len, flen);
	/* Addresses swapped, the rest as sent but for what dom0 chooses. */
	for (size_t i = 0; i < flen; i++) {
		uint8_t want;

		if (i < 6)
			want = our_mac[i];
		else if (i < 12)
			want = dom0_mac[i - 6];
		else if (i >= 26 && i < 30)
			want = dom0_ip[i - 26];
		else if (i >= 30 && i < 34)
			want = our_ip[i - 30];
		else if (i == 34)
			want = 0;		/* echo reply */
		else if ((i >= 18 && i < 23) || i == 24 || i == 25 || i == 36 || i == 37)
			continue;		/* id, flags, TTL; checksums below */
		else
			want = echo[i];
		if (f[i] != want)
			PVK_FAIL("ping seq %u: reply byte %zu is %#x, expected %#x", seq, i, f[i], want);
	}
	PVK_CHECK_EQ(inet_csum(f + 14, 20), 0);
	PVK_CHECK_EQ(inet_csum(f + 34, flen - 34), 0);
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_ping)
{
	static const size_t sizes[] = { 0, 1, 56, 100, 511, 1000, 1471, 1472 };
	const struct pvk_netfront_info *info;
	struct pvk_netfront_stats st, st0;
	struct pvk_grant_stats gs;
	uint64_t pkts;
	uint64_t t0;
	unsigned int pings = 0;

	guest_events_enable();
	pvk_port_wait_init(&rx_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	PVK_CHECK_RC(pvk_netfront_init(&hooks), 0);
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &nf), 0);
	info = pvk_netfront_info(nf);
	our_mac = info->mac;
	guest_printf("netfront: vif 0: link up after %llu ms, mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue, tx depth %u, rx buffers %u, max frame %zu, sg %d gso %d/%d csum %d split %d\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     our_mac[0], our_mac[1], our_mac[2], our_mac[3], our_mac[4], our_mac[5],
		     info->nr_queues, info->tx_depth, info->rx_buffers, info->max_frame,
		     info->sg, info->gso_tcpv4, info->gso_tcpv6, info->csum_offload,
		     info->split_evtchn);
	PVK_CHECK_EQ(info->max_frame, FRAME_MAX);
	/* The grants of the set-up (rings, buffers first posted) aside. */
	pvk_netfront_get_stats(nf, &st0);
	/* Refused, not sent: too short, too long, offload not negotiated. */
	{
		struct pvk_net_frag fr = { echo, 13 };
		struct pvk_net_tx tx = { .frags = &fr, .nr_frags = 1, .done = tx_done };

		PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EINVAL);
		fr.len = FRAME_MAX + 1;
		PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EINVAL);
		fr.len = 60;
		tx.flags = PVK_NET_TX_CSUM_PARTIAL;
		PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EOPNOTSUPP);
	}

	PVK_CHECK_CALL(do_arp());
	for (unsigned int round = 0; round < 4; round++)
		for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			pings++;
			PVK_CHECK_CALL(do_ping(pings, sizes[k]));
		}
	guest_printf("netfront: ping: %u of %u echo replies byte-exact (payload 0 to 1472 bytes, frames up to 1514)\n",
		     pings, pings);

	pvk_netfront_get_stats(nf, &st);
	pkts = st.tx_packets + st.rx_packets - st0.tx_packets - st0.rx_packets;
	PVK_CHECK_GE(pkts, 1);
	guest_printf("netfront: counts: tx %llu packets %llu bytes, rx %llu packets %llu bytes (%u checksum-validated, %u other frames, %u lost), notifications sent %llu received %llu, grants %llu (%llu at set-up, then %llu.%02llu per packet), ARP requests answered %u\n",
		     (unsigned long long)st.tx_packets, (unsigned long long)st.tx_bytes,
		     (unsigned long long)st.rx_packets, (unsigned long long)st.rx_bytes,
		     rx_csum_valid, other_frames, rxq_lost,
		     (unsigned long long)st.notify_sent, (unsigned long long)st.notify_recv,
		     (unsigned long long)st.grants, (unsigned long long)st0.grants,
		     (unsigned long long)((st.grants - st0.grants) / pkts),
		     (unsigned long long)((st.grants - st0.grants) * 100 / pkts % 100),
		     arp_answered);
	PVK_CHECK(!pvk_netfront_broken(nf));
	PVK_CHECK_EQ(st.tx_errors, 0);
	PVK_CHECK_EQ(st.rx_drop_error + st.rx_drop_empty + st.rx_drop_nobuf, 0);
	/* Every frame we sent was answered OK by the backend (the last
	 * ones' completions may still be on their way: wait, bounded). */
	for (uint64_t end = pvk_time_now_ns() + WAIT_NS;
	     tx_done_ok + tx_done_bad < st.tx_packets && pvk_time_now_ns() < end;)
		pvk_netfront_poll(nf);
	PVK_CHECK_EQ(tx_done_bad, 0);
	PVK_CHECK_EQ(tx_done_ok, st.tx_packets);
	PVK_CHECK_GE(st.rx_packets, (uint64_t)pings + 1);
}

#endif /* CONFIG_PVK_NETFRONT */
