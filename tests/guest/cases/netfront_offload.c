/*
 * tests/guest/cases/netfront_offload.c - TCP segmentation offload through
 * netfront, both ways, against Linux netback and dom0's own TCP (scenario
 * guest-netfront-offload; explicit only, in this order, on vif 0 as
 * 10.0.0.3). A tiny TCP endpoint of its own (one connection at a time, no
 * options but the MSS, go-back-N on a stall) runs in the rx hook; frames
 * it does not want go to the responder of netstack.c (ARP).
 *
 *   netfront_gso_tx  the guest connects to dom0 (pvk-net-tcp recv) and
 *                    sends GSO_BYTES of the netbench stream in GSO TCPv4
 *                    frames of up to 16 pages (gso_size: dom0's MSS, the
 *                    checksum left to the backend), which netback takes
 *                    with their GSO extra-info slot; dom0 checks every
 *                    byte and its verdict comes back under data/
 *   netfront_gso_rx  dom0 (pvk-net-tcp send) connects to the guest and
 *                    sends GSO_BYTES; its TCP hands the vif large
 *                    segments, which netback delivers as GSO frames
 *                    (NETRXF_extra_info with the MSS, chains of pages,
 *                    the checksum blank): the guest checks every byte
 *                    against the stream and that GSO frames came, and
 *                    dom0 that the guest read everything
 *
 * dom0's side is the scenario's ON_LINE rules, fired by "ready for" lines.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../guest.h"

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "../netstack.h"
#include "../../bench/netbench.h"

#ifdef CONFIG_PVK_NETFRONT

#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define SEC_NS		(1000ULL * 1000 * 1000)
#define CONNECT_NS	(30 * SEC_NS)
#define DOM0_WAIT_NS	(120 * SEC_NS)	/* dom0's tools under TCG */
#define STALL_NS	(SEC_NS / 2)	/* no progress: send again from una */
#define GSO_BYTES	(2u << 20)
#define PORT_TX		5201u		/* dom0 listens */
#define PORT_RX		5202u		/* we listen */
#define OUR_PORT	40001u
#define MSS_OURS	1460u
#define WINDOW		65535u		/* no window scaling */
/* TCP payload of one frame at most: 65,535 less Ethernet, IP, TCP. */
#define SEG_MAX		(65535u - 14u - 20u - 20u)

#define TCP_FIN	0x01u
#define TCP_SYN	0x02u
#define TCP_RST	0x04u
#define TCP_PSH	0x08u
#define TCP_ACK	0x10u

static const uint8_t our_ip[4] = { 10, 0, 0, 3 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

static struct nst_if nif;
static struct pvk_netfront *nf;
static uint8_t dom0_mac[6];

enum tcp_state { T_CLOSED, T_LISTEN, T_SYN_SENT, T_SYN_RCVD, T_EST, T_LAST_ACK, T_DONE };

/* The one connection; written in the rx hook, read by the test thread. */
static struct {
	enum tcp_state st;
	uint16_t lport, rport;
	uint32_t iss, irs;
	uint32_t snd_una, snd_nxt, snd_max, rcv_nxt;
	uint32_t peer_win;
	uint16_t peer_mss;
	bool fin_rcvd, fin_acked, rst;
	/* receive side */
	uint64_t rx_bytes, rx_bad, rx_frames, rx_gso, rx_ooo;
	uint16_t rx_gso_size;
	size_t rx_largest;
	unsigned int rx_most_pieces;
	uint64_t acks_refused;
	struct pvk_wait wait;
} c;

static uint8_t rx_lin[65536];
static uint8_t tx_frame[65536];
static uint8_t ack_frame[128];		/* the rx hook's */
static uint8_t ctl_frame[128];		/* the test thread's */

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

/* Signed distance of sequence numbers. */
static int32_t seq_diff(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b);
}

/* Transmit requests: the driver copies the frame, the request stays ours
 * until done() runs. */
#define TXQ 64
static struct pvk_net_tx txq[TXQ];
static struct pvk_net_frag txq_frag[TXQ];
static uint8_t txq_busy[TXQ];
static uint64_t tx_done_err;

static void txq_done(struct pvk_net_tx *tx, int status)
{
	if (status)
		tx_done_err++;
	PVK_WRITE_ONCE(txq_busy[tx - txq], 0);
	pvk_port_wake(&c.wait);
}

/* Builds Ethernet, IPv4 and TCP headers (no options unless mss) for len
 * payload bytes already at f + 54 (+ 4 with the MSS option); the TCP
 * checksum holds the pseudo-header sum, left to the backend. Returns the
 * frame's length. */
static size_t tcp_frame(uint8_t *f, unsigned int flags, uint32_t seq, size_t len, bool mss)
{
	size_t thl = mss ? 24 : 20;
	size_t l4 = thl + len;
	uint32_t s;

	memcpy(f, dom0_mac, 6);
	memcpy(f + 6, nif.mac, 6);
	put16(f + 12, 0x0800);
	f[14] = 0x45;
	f[15] = 0;
	put16(f + 16, (unsigned int)(20 + l4));
	put16(f + 18, 0);
	put16(f + 20, 0x4000);
	f[22] = 64;
	f[23] = 6;
	put16(f + 24, 0);
	memcpy(f + 26, our_ip, 4);
	memcpy(f + 30, dom0_ip, 4);
	put16(f + 24, nst_csum_fold(nst_csum_add(0, f + 14, 20)));
	put16(f + 34, c.lport);
	put16(f + 36, c.rport);
	put32(f + 38, seq);
	put32(f + 42, c.rcv_nxt);
	f[46] = (uint8_t)((thl / 4) << 4);
	f[47] = (uint8_t)flags;
	put16(f + 48, WINDOW);
	put16(f + 50, 0);
	put16(f + 52, 0);
	if (mss) {
		f[54] = 2;
		f[55] = 4;
		put16(f + 56, MSS_OURS);
	}
	s = nst_csum_add(0, f + 26, 8) + 6 + (uint32_t)l4;
	put16(f + 50, (uint16_t)~nst_csum_fold(s));
	return 14 + 20 + l4;
}

/* Queues frame f (copied by the driver); a GSO frame when gso_size. */
static int send_frame(const uint8_t *f, size_t len, uint16_t gso_size)
{
	for (unsigned int i = 0; i < TXQ; i++) {
		struct pvk_net_tx *tx = &txq[i];
		int rc;

		/* The rx hook sends too, and may interrupt us. */
		if (__atomic_exchange_n(&txq_busy[i], 1, __ATOMIC_ACQ_REL))
			continue;
		txq_frag[i] = (struct pvk_net_frag){ f, len };
		*tx = (struct pvk_net_tx){
			.frags = &txq_frag[i], .nr_frags = 1, .done = txq_done,
			.flags = PVK_NET_TX_CSUM_PARTIAL, .csum_start = 34, .csum_offset = 16,
			.gso_type = gso_size ? PVK_NET_GSO_TCPV4 : PVK_NET_GSO_NONE,
			.gso_size = gso_size,
		};
		rc = pvk_netfront_xmit(nf, tx);
		if (rc)
			txq_busy[i] = 0;
		return rc;
	}
	return -PVK_XEN_EAGAIN;
}

/* A bare segment (SYN, ACK, FIN) built in buf. */
static void send_ctl(uint8_t *buf, unsigned int flags, uint32_t seq)
{
	size_t len = tcp_frame(buf, flags, seq, 0, flags & TCP_SYN);

	if (send_frame(buf, len, 0))
		c.acks_refused++;
}

/* ---- receive: in the rx hook ---- */

static void tcp_rx(const uint8_t *f, size_t len, const struct pvk_net_rx *fr)
{
	size_t ihl = (size_t)(f[14] & 0xf) * 4, thl, plen;
	const uint8_t *t = f + 14 + ihl, *p;
	unsigned int flags;
	uint32_t seq, ack;

	if (ihl < 20 || len < 14 + ihl + 20 || get16(f + 16) + 14u > len)
		return;
	thl = (size_t)(t[12] >> 4) * 4;
	if (thl < 20 || 14 + ihl + thl > 14u + get16(f + 16))
		return;
	if (get16(t + 2) != c.lport || (c.st != T_LISTEN && get16(t) != c.rport))
		return;
	plen = 14u + get16(f + 16) - 14 - ihl - thl;
	p = t + thl;
	flags = t[13];
	seq = get32(t + 4);
	ack = get32(t + 8);
	/* A checksum not left blank must add up. */
	if (fr->csum == PVK_NET_CSUM_NONE) {
		uint32_t s = nst_csum_add(0, f + 26, 8) + 6 + (uint32_t)(thl + plen);

		if (nst_csum_fold(nst_csum_add(s, t, thl + plen)) != 0) {
			c.rx_bad++;
			return;
		}
	}
	if (flags & TCP_RST) {
		c.rst = true;
		pvk_port_wake(&c.wait);
		return;
	}
	switch (c.st) {
	case T_LISTEN:
		if (!(flags & TCP_SYN))
			return;
		c.rport = (uint16_t)get16(t);
		c.irs = seq;
		c.rcv_nxt = seq + 1;
		c.iss = 0x10000000u;
		c.snd_una = c.iss;
		c.snd_nxt = c.iss + 1;
		c.snd_max = c.snd_nxt;
		c.st = T_SYN_RCVD;
		send_ctl(ack_frame, TCP_SYN | TCP_ACK, c.iss);
		return;
	case T_SYN_SENT:
		if ((flags & (TCP_SYN | TCP_ACK)) != (TCP_SYN | TCP_ACK) || ack != c.iss + 1)
			return;
		c.irs = seq;
		c.rcv_nxt = seq + 1;
		c.snd_una = ack;
		c.peer_win = get16(t + 14);
		c.peer_mss = 536;
		for (size_t o = 20; o + 4 <= thl; ) {
			if (t[o] == 0)
				break;
			if (t[o] == 1) {
				o++;
				continue;
			}
			if (t[o] == 2 && t[o + 1] == 4)
				c.peer_mss = (uint16_t)get16(t + o + 2);
			if (t[o + 1] < 2)
				break;
			o += t[o + 1];
		}
		c.st = T_EST;
		send_ctl(ack_frame, TCP_ACK, c.snd_nxt);
		pvk_port_wake(&c.wait);
		return;
	default:
		break;
	}
	if (!(flags & TCP_ACK))
		return;
	if (seq_diff(ack, c.snd_una) > 0 && seq_diff(ack, c.snd_max) <= 0) {
		c.snd_una = ack;
		if (seq_diff(ack, c.snd_nxt) > 0)
			c.snd_nxt = ack;	/* acknowledged past a resend point */
		if (c.st == T_SYN_RCVD)
			c.st = T_EST;
		if (c.st == T_LAST_ACK && ack == c.snd_nxt) {
			c.fin_acked = true;
			c.st = T_DONE;
		}
	}
	c.peer_win = get16(t + 14);
	if (plen || (flags & TCP_FIN)) {
		if (seq != c.rcv_nxt) {
			c.rx_ooo++;
		} else {
			uint32_t off = (c.rcv_nxt - c.irs - 1) % NETB_PAT_LEN;

			c.rx_frames++;
			if (fr->gso_type == PVK_NET_GSO_TCPV4) {
				c.rx_gso++;
				c.rx_gso_size = fr->gso_size;
			}
			if (fr->len > c.rx_largest)
				c.rx_largest = fr->len;
			if (fr->nr_frags > c.rx_most_pieces)
				c.rx_most_pieces = fr->nr_frags;
			/* The pattern is there twice: any run up to its length. */
			if (plen > NETB_PAT_LEN || memcmp(p, nst_pattern() + off, plen))
				c.rx_bad++;
			c.rcv_nxt += (uint32_t)plen;
			c.rx_bytes += plen;
			if (flags & TCP_FIN) {
				c.rcv_nxt++;
				c.fin_rcvd = true;
			}
		}
		send_ctl(ack_frame, TCP_ACK, c.snd_nxt);
		if (c.fin_rcvd && c.st == T_EST && c.lport == PORT_RX) {
			/* Our side closes too once theirs did. */
			send_ctl(ack_frame, TCP_FIN | TCP_ACK, c.snd_nxt);
			c.snd_nxt++;
			c.snd_max = c.snd_nxt;
			c.st = T_LAST_ACK;
		}
	}
	pvk_port_wake(&c.wait);
}

static void on_rx(struct pvk_netfront *dev, const struct pvk_net_rx *fr)
{
	size_t len = 0;

	if (fr->len <= sizeof(rx_lin) && fr->len >= 14 + 20 + 20) {
		for (unsigned int i = 0; i < fr->nr_frags; i++) {
			memcpy(rx_lin + len, fr->frags[i].buf, fr->frags[i].len);
			len += fr->frags[i].len;
		}
		if (get16(rx_lin + 12) == 0x0800 && (rx_lin[14] >> 4) == 4 &&
		    rx_lin[23] == 6 && !memcmp(rx_lin + 30, our_ip, 4) &&
		    c.st != T_CLOSED) {
			tcp_rx(rx_lin, len, fr);
			return;
		}
	}
	nst_rx(dev, fr);
}

static const struct pvk_netfront_hooks hooks = { .rx = on_rx };

/* dom0's answer under data/NAME (bounded); 0 or a negative errno. */
static int dom0_answer(const char *name, char *buf, size_t size)
{
	return guest_dom0_answer("netfront", name, buf, size, DOM0_WAIT_NS);
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

static int up(void)
{
	struct pvk_grant_stats gs;

	if (nf)
		return 0;
	guest_events_enable();
	pvk_port_wait_init(&c.wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0 && pvk_grant_init(GRANT_VA, GRANT_FRAMES))
		return -PVK_XEN_EIO;
	if (pvk_netfront_init(&hooks))
		return -PVK_XEN_EIO;
	if (pvk_netfront_wait_connected(0, CONNECT_NS, &nf))
		return -PVK_XEN_ETIMEDOUT;
	return nst_attach(&nif, nf, our_ip, 0);
}

static bool progress(void *arg)
{
	uint32_t *seen = arg;

	return PVK_READ_ONCE(c.snd_una) != *seen || c.rst || c.fin_rcvd;
}

/* Not c.rst: a reset means dom0 is not listening yet; try again later. */
static bool connected(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(c.st) == T_EST;
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_gso_tx)
{
	const struct pvk_netfront_info *info;
	struct pvk_netfront_stats st0, st;
	uint64_t t0, last = 0, frames = 0, gso_frames = 0, resends = 0;
	size_t largest = 0;
	uint32_t end, mss;
	char ans[128];

	PVK_CHECK_RC(up(), 0);
	info = pvk_netfront_info(nf);
	if (!info->gso_tcpv4 || !info->csum_offload || !info->sg) {
		PVK_FAIL("gso-tcpv4 %d csum %d sg %d: not negotiated", info->gso_tcpv4,
			 info->csum_offload, info->sg);
		return;
	}
	PVK_CHECK_RC(nst_resolve(&nif, dom0_ip, dom0_mac, 10 * SEC_NS), 0);
	pvk_netfront_get_stats(nf, &st0);
	guest_printf("netfront: ready for gso tx: %u bytes to port %u\n", GSO_BYTES, PORT_TX);
	/* Connect: SYN until dom0's receiver listens (bounded). */
	c.lport = OUR_PORT;
	c.rport = PORT_TX;
	c.iss = 0x20000000u;
	c.snd_una = c.iss;
	c.snd_nxt = c.snd_max = c.iss + 1;
	t0 = pvk_time_now_ns();
	for (unsigned int tries = 0; PVK_READ_ONCE(c.st) != T_EST; tries++) {
		if (tries == 60) {
			PVK_FAIL("no SYN-ACK from dom0's port %u", PORT_TX);
			return;
		}
		c.rst = false;
		PVK_WRITE_ONCE(c.st, T_SYN_SENT);
		send_ctl(ctl_frame, TCP_SYN, c.iss);
		pvk_port_wait_until(&c.wait, connected, NULL, SEC_NS);
	}
	guest_printf("netfront: gso tx: connected after %llu ms, dom0's MSS %u, window %u\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     c.peer_mss, c.peer_win);
	mss = c.peer_mss < 1448 ? c.peer_mss : 1448;
	end = c.iss + 1 + GSO_BYTES;
	t0 = pvk_time_now_ns();
	last = t0;
	while (seq_diff(PVK_READ_ONCE(c.snd_una), end) < 0) {
		uint32_t una = PVK_READ_ONCE(c.snd_una), nxt = PVK_READ_ONCE(c.snd_nxt);
		uint32_t inflight = nxt - una, win = PVK_READ_ONCE(c.peer_win);
		uint32_t room = win > inflight ? win - inflight : 0;
		uint32_t left = end - nxt, n;
		uint64_t now = pvk_time_now_ns();

		if (c.rst) {
			PVK_FAIL("dom0 reset the connection at %u bytes", una - c.iss - 1);
			return;
		}
		if (now - t0 > 90 * SEC_NS) {
			PVK_FAIL("stalled: %u of %u bytes acknowledged", una - c.iss - 1, GSO_BYTES);
			return;
		}
		n = left < room ? left : room;
		if (n > SEG_MAX)
			n = SEG_MAX;
		if (n < left)
			n -= n % mss;	/* whole segments, but for the tail */
		if (!n) {
			if (now - last > STALL_NS && inflight) {
				/* Nothing acknowledged for a while: again from una. */
				PVK_WRITE_ONCE(c.snd_nxt, una);
				resends++;
				last = now;
				continue;
			}
			pvk_port_wait_until(&c.wait, progress, &una, STALL_NS / 5);
			if (PVK_READ_ONCE(c.snd_una) != una)
				last = pvk_time_now_ns();
			continue;
		}
		{
			uint32_t off = (nxt - c.iss - 1) % NETB_PAT_LEN;
			size_t flen;
			int rc;

			memcpy(tx_frame + 54, nst_pattern() + off, n);
			flen = tcp_frame(tx_frame, TCP_ACK | TCP_PSH, nxt, n, false);
			rc = send_frame(tx_frame, flen, n > mss ? mss : 0);
			if (rc == -PVK_XEN_EAGAIN) {
				pvk_netfront_wait_tx(nf, 0, STALL_NS);
				continue;
			}
			if (rc) {
				PVK_FAIL("xmit of a %zu-byte frame: %d", flen, rc);
				return;
			}
			frames++;
			gso_frames += n > mss;
			if (flen > largest)
				largest = flen;
			PVK_WRITE_ONCE(c.snd_nxt, nxt + n);
			if (seq_diff(nxt + n, c.snd_max) > 0)
				PVK_WRITE_ONCE(c.snd_max, nxt + n);
		}
	}
	guest_printf("netfront: gso tx: %u bytes acknowledged in %llu ms: %llu frames, %llu GSO (largest %zu bytes), %llu resends from una\n",
		     GSO_BYTES, (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     (unsigned long long)frames, (unsigned long long)gso_frames, largest,
		     (unsigned long long)resends);
	/* Close: our FIN, theirs (dom0's receiver closes once it read all). */
	c.snd_max = c.snd_nxt + 1;
	send_ctl(ctl_frame, TCP_FIN | TCP_ACK, c.snd_nxt);
	c.snd_nxt++;
	for (t0 = pvk_time_now_ns(); !c.fin_rcvd && pvk_time_now_ns() - t0 < 30 * SEC_NS;) {
		uint32_t una = c.snd_una;

		pvk_port_wait_until(&c.wait, progress, &una, SEC_NS);
	}
	PVK_CHECK(c.fin_rcvd);
	PVK_CHECK_RC(dom0_answer("gso-tx", ans, sizeof(ans)), 0);
	PVK_CHECK(starts_with(ans, "ok: received 2097152 bytes"));
	PVK_CHECK_GT(gso_frames, 0);
	PVK_CHECK_EQ(tx_done_err, 0);
	pvk_netfront_get_stats(nf, &st);
	guest_printf("netfront: gso tx counts: tx %llu packets %llu bytes, notifications sent %llu received %llu, grants %llu (%llu.%02llu per packet)\n",
		     (unsigned long long)(st.tx_packets - st0.tx_packets),
		     (unsigned long long)(st.tx_bytes - st0.tx_bytes),
		     (unsigned long long)(st.notify_sent - st0.notify_sent),
		     (unsigned long long)(st.notify_recv - st0.notify_recv),
		     (unsigned long long)(st.grants - st0.grants),
		     (unsigned long long)((st.grants - st0.grants) /
					  (st.tx_packets + st.rx_packets - st0.tx_packets - st0.rx_packets)),
		     (unsigned long long)((st.grants - st0.grants) * 100 /
					  (st.tx_packets + st.rx_packets - st0.tx_packets - st0.rx_packets) % 100));
	PVK_CHECK_EQ(st.tx_errors, 0);
	PVK_CHECK(!pvk_netfront_broken(nf));
	c.st = T_CLOSED;
}

static bool rx_over(void *arg)
{
	(void)arg;
	return c.st == T_DONE || c.rst;
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_gso_rx)
{
	const struct pvk_netfront_info *info;
	struct pvk_netfront_stats st0, st;
	uint64_t t0;
	char ans[128];

	PVK_CHECK_RC(up(), 0);
	info = pvk_netfront_info(nf);
	if (!info->gso_tcpv4 || !info->sg) {
		PVK_FAIL("gso-tcpv4 %d sg %d: not negotiated", info->gso_tcpv4, info->sg);
		return;
	}
	PVK_CHECK_RC(nst_resolve(&nif, dom0_ip, dom0_mac, 10 * SEC_NS), 0);
	pvk_netfront_get_stats(nf, &st0);
	c.rx_bytes = c.rx_bad = c.rx_frames = c.rx_gso = c.rx_ooo = c.acks_refused = 0;
	c.rx_gso_size = 0;
	c.rx_largest = 0;
	c.rx_most_pieces = 0;
	c.fin_rcvd = c.fin_acked = c.rst = false;
	c.lport = PORT_RX;
	PVK_WRITE_ONCE(c.st, T_LISTEN);
	t0 = pvk_time_now_ns();
	guest_printf("netfront: ready for gso rx: %u bytes to port %u\n", GSO_BYTES, PORT_RX);
	pvk_port_wait_until(&c.wait, rx_over, NULL, DOM0_WAIT_NS);
	guest_printf("netfront: gso rx: %llu bytes in %llu ms, %llu in order (%llu GSO, MSS %u, largest %zu bytes in up to %u pieces), %llu out of order, %llu bad, %llu acks refused\n",
		     (unsigned long long)c.rx_bytes,
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     (unsigned long long)c.rx_frames, (unsigned long long)c.rx_gso,
		     c.rx_gso_size, c.rx_largest, c.rx_most_pieces,
		     (unsigned long long)c.rx_ooo, (unsigned long long)c.rx_bad,
		     (unsigned long long)c.acks_refused);
	PVK_CHECK(!c.rst);
	PVK_CHECK_EQ(c.st, T_DONE);
	PVK_CHECK_EQ(c.rx_bytes, GSO_BYTES);
	PVK_CHECK_EQ(c.rx_bad, 0);
	PVK_CHECK_GT(c.rx_gso, 0);
	PVK_CHECK_GT(c.rx_gso_size, 0);
	PVK_CHECK_GT(c.rx_most_pieces, 1);
	PVK_CHECK_RC(dom0_answer("gso-rx", ans, sizeof(ans)), 0);
	PVK_CHECK(starts_with(ans, "ok: sent 2097152 bytes"));
	pvk_netfront_get_stats(nf, &st);
	guest_printf("netfront: gso rx counts: rx %llu packets %llu bytes, dropped %llu, notifications sent %llu received %llu, grants %llu\n",
		     (unsigned long long)(st.rx_packets - st0.rx_packets),
		     (unsigned long long)(st.rx_bytes - st0.rx_bytes),
		     (unsigned long long)(st.rx_drop_error + st.rx_drop_empty + st.rx_drop_nobuf +
					  st.rx_drop_toolong - st0.rx_drop_error - st0.rx_drop_empty -
					  st0.rx_drop_nobuf - st0.rx_drop_toolong),
		     (unsigned long long)(st.notify_sent - st0.notify_sent),
		     (unsigned long long)(st.notify_recv - st0.notify_recv),
		     (unsigned long long)(st.grants - st0.grants));
	PVK_CHECK(!pvk_netfront_broken(nf));
	c.st = T_CLOSED;
}

#endif /* CONFIG_PVK_NETFRONT */
