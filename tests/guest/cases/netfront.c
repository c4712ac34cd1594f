/*
 * tests/guest/cases/netfront.c - the network frontend against Linux
 * netback and dom0's bridge, with dom0's ordinary tools (scenarios
 * guest-netfront, guest-netfront-off, guest-netfront-mix; explicit only,
 * run in this order on vif 0, 10.0.0.3, answered by the responder of
 * netstack.c):
 *
 *   netfront_up         vif 0's link comes up; what was negotiated is
 *                       printed and must be what the switches on the
 *                       command line and the backend's xenstore keys
 *                       (feature-no-csum-offload included) allow, and
 *                       what our own keys told the backend (every
 *                       queue's ring refs and event channels); trusted
 *                       must be our "trusted" key (absent: 0) AND the
 *                       netfront.trusted switch; frames the driver must
 *                       refuse are refused
 *   netfront_ping       the guest ARPs for dom0 (10.0.0.1) and pings it:
 *                       echo requests it builds (payload 0 to 1,472
 *                       bytes, up to 18 pieces each, spread over the
 *                       queues), every reply checked byte for byte
 *   netfront_dom0_ping  dom0 pings the guest (busybox ping, ON_LINE):
 *                       dom0's own count of replies comes back under
 *                       data/ and must be every one
 *   netfront_udp_echo   dom0 (pvk-net-udp echo, from 16 sockets: 16
 *                       flows) sends a UDP datagram of every size
 *                       1..1,472 to the guest's echo port and checks each
 *                       echo byte for byte; the guest checks each datagram
 *                       it echoes and its sequence number (each once, none
 *                       missing). With sg, a second round with the MTU of
 *                       the vif and xenbr0 raised to 65,517 (the most
 *                       netback takes with sg): every 509th size up to
 *                       65,489 bytes plus those making frames of k*4096-1,
 *                       k*4096 and k*4096+1 bytes (k = 1..15), frames of
 *                       up to 17 pages
 *   netfront_udp_stream open loop, paced: dom0's pvk-net-udp source sends
 *                       2,000 datagrams of 1,000 bytes at 2,000/s from a
 *                       raw socket with the UDP checksum computed in dom0;
 *                       the guest verifies every checksum and requires all
 *                       2,000 sequence numbers once. Then the guest sends
 *                       2,000 at 2,000/s with full checksums to dom0's
 *                       pvk-net-udp sink (dom0's UDP drops a wrong
 *                       checksum): lost 0, duplicated 0, bad 0
 *   netfront_tx_frames  the guest sends 24 UDP datagrams to dom0 with
 *                       pieces at odd boundaries, frames spanning pages
 *                       (with sg) and the checksum left to the backend on
 *                       every other one (with csum offload); dom0's
 *                       receiver on the vif (pvk-net-vifrx, AF_PACKET)
 *                       checks payload and, completed where the kernel
 *                       says it is partial, checksum
 *   netfront_stats      the driver's counts, per queue: no error, no drop,
 *                       every transmit completed OK, every queue sent 10
 *                       frames or more and received at least one
 *   netfront_close      dom0 scans the guest's grant table while the vif is
 *                       open (it counts exactly what the device holds),
 *                       detaches it (xl network-detach): removed hook,
 *                       no grant held, transmit refused; scans again: no
 *                       grant of the guest left mappable by dom0
 *
 * dom0's side is the scenario's ON_LINE rules, each fired by a "ready for"
 * line below; its answers come back under the guest's data/ in xenstore.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/xen.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "../netstack.h"
#include "../../bench/netbench.h"

#ifdef CONFIG_PVK_NETFRONT

#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8
#define SEC_NS		(1000ULL * 1000 * 1000)
#define WAIT_NS		(5 * SEC_NS)
#define CONNECT_NS	(30 * SEC_NS)
#define DOM0_WAIT_NS	(90 * SEC_NS)	/* dom0's tools under TCG */
#define FRAME_MAX	1514u
#define UDP_MTU_MAX	1472u		/* UDP payload in a 1,500-byte MTU */
/* With sg: the most netback's vif takes (65,535 - 18) less IP and UDP. */
#define JUMBO_MTU	65517u
#define JUMBO_MAX	(JUMBO_MTU - 28u)
#define JUMBO_STEP	509u
#define TX_FRAMES	24u
#define PORT_VIFRX	5100u
#define PORT_READY	5101u
/* The paced stream: datagrams, payload bytes, datagrams per second. */
#define STREAM_N	2000u
#define STREAM_SIZE	1000u
#define STREAM_RATE	2000u
#define PORT_STREAM_IN	5300u	/* dom0's source -> the guest's sink */
#define PORT_STREAM_OUT	5301u	/* the guest -> dom0's sink */
#define PORT_STREAM_NOTE 5302u	/* dom0's sink says ready */

static const uint8_t our_ip[4] = { 10, 0, 0, 3 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

static struct nst_if nif;
static struct pvk_netfront *nf;
static const struct pvk_netfront_info *info;
static struct pvk_netfront_stats st0;	/* after set-up */
static bool removed_seen;
static struct pvk_wait removed_wait;

static void on_removed(struct pvk_netfront *dev)
{
	if (dev == nf) {
		PVK_WRITE_ONCE(removed_seen, true);
		pvk_port_wake(&removed_wait);
	}
}

static const struct pvk_netfront_hooks hooks = {
	.rx = nst_rx_hook,
	.removed = on_removed,
};

/* dom0's answer under data/NAME (bounded); 0 or a negative errno. */
static int dom0_answer(const char *name, char *buf, size_t size)
{
	return guest_dom0_answer("netfront", name, buf, size, DOM0_WAIT_NS);
}

static bool streq(const char *a, const char *b)
{
	return strlen(a) == strlen(b) && !memcmp(a, b, strlen(a));
}

static bool starts_with(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	return true;
}

/* ---- netfront_up: what was negotiated ---- */

/* A netfront switch from our command line, or def when not given. */
static unsigned long cmdline_switch(const char *name, unsigned long def)
{
	const char *s = (const char *)guest_start_info->cmd_line;
	size_t nl = strlen(name);

	while (*s) {
		while (*s == ' ')
			s++;
		if (starts_with(s, "netfront.") && !memcmp(s + 9, name, nl) &&
		    s[9 + nl] == '=') {
			unsigned long v = 0;

			for (s += 10 + nl; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (unsigned long)(*s - '0');
			return v;
		}
		while (*s && *s != ' ')
			s++;
	}
	return def;
}

/* A numeric key (absent: def). */
static unsigned long key_num(const char *dir, const char *key, unsigned long def)
{
	char path[128];
	unsigned long v;

	pvk_snprintf(path, sizeof(path), "%s/%s", dir, key);
	return pvk_xs_read_ulong(PVK_XBT_NIL, path, &v) < 0 ? def : v;
}

static bool key_exists(const char *dir, const char *key)
{
	char path[128], buf[32];

	pvk_snprintf(path, sizeof(path), "%s/%s", dir, key);
	return pvk_xs_read(PVK_XBT_NIL, path, buf, sizeof(buf)) >= 0;
}

static void check_negotiated(void)
{
	char fe[32], be[96];
	bool sw_sg, sw_csum, sw_ip6, sw_gso4, sw_gso6, sw_split;
	unsigned long sw_queues, be_queues;
	bool be_sg, be_gso4, be_gso6, be_ip6, be_split, be_no_csum;
	bool sg, csum, ip6, gso4, gso6, split, sw_trusted, fe_trusted;
	unsigned int queues;

	pvk_snprintf(fe, sizeof(fe), "device/vif/%u", info->id);
	{
		char path[64];
		int rc;

		pvk_snprintf(path, sizeof(path), "%s/backend", fe);
		rc = pvk_xs_read(PVK_XBT_NIL, path, be, sizeof(be));
		PVK_CHECK_RC_GE(rc, 1);
	}
	sw_sg = cmdline_switch("sg", 1);
	sw_csum = cmdline_switch("csum", 1);
	sw_ip6 = cmdline_switch("ipv6_csum", 1);
	sw_gso4 = cmdline_switch("gso_tcpv4", 1);
	sw_gso6 = cmdline_switch("gso_tcpv6", 1);
	sw_split = cmdline_switch("split_evtchn", 1);
	sw_queues = cmdline_switch("queues", 2);
	sw_trusted = cmdline_switch("trusted", 1);
	/* The toolstack's word on the backend, in our own node (absent:
	 * untrusted, as the header says). */
	fe_trusted = key_num(fe, "trusted", 0) == 1;
	be_sg = key_num(be, "feature-sg", 0);
	be_gso4 = key_num(be, "feature-gso-tcpv4", 0);
	be_gso6 = key_num(be, "feature-gso-tcpv6", 0);
	be_ip6 = key_num(be, "feature-ipv6-csum-offload", 0);
	be_split = key_num(be, "feature-split-event-channels", 0);
	be_queues = key_num(be, "multi-queue-max-queues", 1);
	be_no_csum = key_num(be, "feature-no-csum-offload", 0);
	/* What we may ask for AND what the backend offers; IPv4 checksum
	 * offload is on unless either side writes feature-no-csum-offload;
	 * GSO needs sg and checksum offload. */
	sg = sw_sg && be_sg;
	csum = sw_csum && !be_no_csum;
	ip6 = sw_ip6 && be_ip6;
	gso4 = sw_gso4 && be_gso4 && sg && csum;
	gso6 = sw_gso6 && be_gso6 && sg && ip6;
	split = sw_split && be_split;
	queues = (unsigned int)(sw_queues < be_queues ? sw_queues : be_queues);
	guest_printf("netfront: negotiated: sg %d gso-tcpv4 %d gso-tcpv6 %d csum %d ipv6-csum %d queues %u split %d trusted %d\n",
		     info->sg, info->gso_tcpv4, info->gso_tcpv6, info->csum_offload,
		     info->ipv6_csum_offload, info->nr_queues, info->split_evtchn,
		     info->trusted);
	guest_printf("netfront: switches: sg %d gso %d/%d csum %d ipv6-csum %d queues %lu split %d trusted %d; backend %s offers: sg %d gso %d/%d no-csum %d ipv6-csum %d queues %lu split %d; our trusted key %d\n",
		     sw_sg, sw_gso4, sw_gso6, sw_csum, sw_ip6, sw_queues, sw_split,
		     sw_trusted, be, be_sg, be_gso4, be_gso6, be_no_csum, be_ip6,
		     be_queues, be_split, fe_trusted);
	PVK_CHECK_EQ(info->sg, sg);
	PVK_CHECK_EQ(info->csum_offload, csum);
	PVK_CHECK_EQ(info->ipv6_csum_offload, ip6);
	PVK_CHECK_EQ(info->gso_tcpv4, gso4);
	PVK_CHECK_EQ(info->gso_tcpv6, gso6);
	PVK_CHECK_EQ(info->split_evtchn, split);
	PVK_CHECK_EQ(info->nr_queues, queues);
	PVK_CHECK_EQ(info->max_frame, sg ? 65535u : FRAME_MAX);
	PVK_CHECK_EQ(info->trusted, sw_trusted && fe_trusted);
	/* What we told the backend says the same. */
	PVK_CHECK_EQ(key_num(fe, "feature-sg", 0), (unsigned long)sg);
	PVK_CHECK_EQ(key_num(fe, "feature-gso-tcpv4", 0), (unsigned long)gso4);
	PVK_CHECK_EQ(key_num(fe, "feature-gso-tcpv6", 0), (unsigned long)gso6);
	PVK_CHECK_EQ(key_num(fe, "feature-no-csum-offload", 0), (unsigned long)!csum);
	PVK_CHECK_EQ(key_num(fe, "multi-queue-num-queues", 1), (unsigned long)queues);
	/* Every queue's keys: rings and the event channel(s) split says;
	 * with one queue they sit in the device's node, with more in queue-N
	 * only (and queue-N beyond the last is absent). */
	for (unsigned int q = 0; q <= queues; q++) {
		char qdir[48];
		bool here = q < queues;

		if (queues > 1)
			pvk_snprintf(qdir, sizeof(qdir), "%s/queue-%u", fe, q);
		else if (q == 0)
			pvk_snprintf(qdir, sizeof(qdir), "%s", fe);
		else
			pvk_snprintf(qdir, sizeof(qdir), "%s/queue-0", fe);
		PVK_CHECK_EQ(key_exists(qdir, "tx-ring-ref"), here);
		PVK_CHECK_EQ(key_exists(qdir, "rx-ring-ref"), here);
		PVK_CHECK_EQ(key_exists(qdir, "event-channel-tx"), here && split);
		PVK_CHECK_EQ(key_exists(qdir, "event-channel-rx"), here && split);
		PVK_CHECK_EQ(key_exists(qdir, "event-channel"), here && !split);
	}
	if (queues > 1)
		PVK_CHECK(!key_exists(fe, "tx-ring-ref"));
	guest_printf("netfront: negotiation matches the switches, the backend's keys and ours\n");
}

static void ignore_done(struct pvk_net_tx *tx, int status)
{
	(void)tx;
	(void)status;
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_up)
{
	struct pvk_grant_stats gs;
	uint64_t t0;
	const uint8_t *m;

	guest_events_enable();
	pvk_port_wait_init(&removed_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	PVK_CHECK_RC(pvk_netfront_init(&hooks), 0);
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &nf), 0);
	info = pvk_netfront_info(nf);
	PVK_CHECK_RC(nst_attach(&nif, nf, our_ip, NST_UDP_ECHO), 0);
	m = info->mac;
	guest_printf("netfront: vif 0: link up after %llu ms, mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue(s), tx depth %u, rx buffers %u, max frame %zu\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     m[0], m[1], m[2], m[3], m[4], m[5], info->nr_queues,
		     info->tx_depth, info->rx_buffers, info->max_frame);
	PVK_CHECK_CALL(check_negotiated());
	/* The grants of the set-up (rings, buffers first posted) aside. */
	pvk_netfront_get_stats(nf, &st0);
	/* Refused, not sent: too short, too long, offload not negotiated. */
	{
		static uint8_t junk[65536 + 1];
		struct pvk_net_frag fr = { junk, 13 };
		struct pvk_net_tx tx = { .frags = &fr, .nr_frags = 1, .done = ignore_done };

		PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EINVAL);
		fr.len = info->max_frame + 1;
		PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EINVAL);
		fr.len = 60;
		tx.flags = PVK_NET_TX_CSUM_PARTIAL;
		tx.csum_start = 34;
		tx.csum_offset = 6;
		if (!info->csum_offload)
			PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EOPNOTSUPP);
		tx.gso_type = PVK_NET_GSO_TCPV4;
		tx.gso_size = 1448;
		if (!info->gso_tcpv4)
			PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_EOPNOTSUPP);
	}
}

/* ---- netfront_ping: the guest pings dom0 ---- */

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_ping)
{
	static const size_t sizes[] = { 0, 1, 56, 100, 511, 1000, 1471, 1472 };
	uint8_t mac[6];
	unsigned int pings = 0;

	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	PVK_CHECK_RC(nst_resolve(&nif, dom0_ip, mac, 5 * WAIT_NS), 0);
	guest_printf("netfront: ARP: 10.0.0.1 is at %02x:%02x:%02x:%02x:%02x:%02x\n",
		     mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	for (unsigned int round = 0; round < 4; round++)
		for (unsigned int k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			/* Up to 18 pieces at odd boundaries, over the queues. */
			struct nst_tx_opts o = {
				.queue = pings % info->nr_queues,
				.first_piece = 21, .piece = 20 + round * 37,
			};

			pings++;
			PVK_CHECK_RC(nst_ping(&nif, dom0_ip, (uint16_t)pings, sizes[k], &o, WAIT_NS), 0);
		}
	guest_printf("netfront: ping: %u of %u echo replies byte-exact (payload 0 to 1472 bytes, frames up to 1514, over %u queue(s))\n",
		     pings, pings, info->nr_queues);
}

/* ---- netfront_dom0_ping: dom0 pings the guest ---- */

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_dom0_ping)
{
	char answer[256], ip6[48];
	unsigned long before = nif.c.icmp_answered, before6 = nif.c.icmp6_answered;
	const uint8_t *a = nif.ip6_ll;

	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	/* dom0 pings our link-local address too: it reads it here. */
	pvk_snprintf(ip6, sizeof(ip6), "fe80::%x:%x:%x:%x",
		     a[8] << 8 | a[9], a[10] << 8 | a[11], a[12] << 8 | a[13],
		     a[14] << 8 | a[15]);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, "data/ip6", ip6), 0);
	guest_printf("netfront: ready for dom0 ping (IPv6 %s)\n", ip6);
	PVK_CHECK_RC(dom0_answer("dom0-ping", answer, sizeof(answer)), 0);
	guest_printf("netfront: answered %lu echo requests, %lu ICMPv6 echo requests, %lu neighbour solicitations, %lu ARP requests\n",
		     nif.c.icmp_answered - before, nif.c.icmp6_answered - before6,
		     nif.c.nd_answered, nif.c.arp_answered);
	if (!streq(answer, "10 packets transmitted, 10 packets received, 0% packet loss / 5 packets transmitted, 5 packets received, 0% packet loss / 3 packets transmitted, 3 packets received, 0% packet loss"))
		PVK_FAIL("dom0's ping did not get every answer: \"%s\"", answer);
	PVK_CHECK_GE(nif.c.icmp_answered - before, 15);
	PVK_CHECK_GE(nif.c.icmp6_answered - before6, 3);
}

/* ---- netfront_udp_echo: dom0's datagrams of every size echoed ---- */

/* The sizes pvk-net-udp echo sends for MIN MAX STEP and PAGES (increasing;
 * datagram i is the i-th): marked in echo_size[]. */
static uint8_t echo_size[65536];

static unsigned long echo_sizes(unsigned long min, unsigned long max,
				unsigned long step, bool pages)
{
	unsigned long n = 0;

	memset(echo_size, 0, sizeof(echo_size));
	for (unsigned long s = min; s <= max; s += step)
		echo_size[s] = 1;
	echo_size[max] = 1;
	/* Frames of k pages less one byte, exactly k pages, one byte more. */
	for (unsigned long k = 1; pages && k * 4096 - 1 - 42 <= max; k++)
		for (unsigned long f = k * 4096 - 1; f <= k * 4096 + 1; f++)
			if (f - 42 >= min && f - 42 <= max)
				echo_size[f - 42] = 1;
	for (unsigned long s = min; s <= max; s++)
		n += echo_size[s];
	return n;
}

static void echo_round(const char *what, unsigned long min, unsigned long max,
		       unsigned long step, bool pages)
{
	struct nst_counts c0 = nif.c;
	unsigned long n, intact = 0, missing = 0, idx = 0, bounds = 0;
	char answer[256], want[96], key[32];

	n = echo_sizes(min, max, step, pages);
	memset(nif.seq_seen, 0, sizeof(nif.seq_seen));
	nif.c.udp_echo_min = ~0UL;
	nif.c.udp_echo_max = 0;
	pvk_snprintf(key, sizeof(key), "udp-echo-%s", what);
	guest_printf("netfront: ready for udp echo %s: %lu datagrams of %lu to %lu bytes\n",
		     what, n, min, max);
	PVK_CHECK_RC(dom0_answer(key, answer, sizeof(answer)), 0);
	/* Each netbench datagram's sequence number (its index) came once. */
	for (unsigned long s = min; s <= max; s++) {
		if (!echo_size[s])
			continue;
		if (s >= NETB_HDR_LEN) {
			intact++;
			missing += idx >= NST_SEQS || !nif.seq_seen[idx];
		}
		bounds += (s + 42) % 4096 <= 1 || (s + 42) % 4096 == 4095;
		idx++;
	}
	pvk_snprintf(want, sizeof(want), "ok: %lu datagrams of %lu to %lu bytes echoed byte-exact", n, min, max);
	guest_printf("netfront: udp echo %s: echoed %lu (%lu checked intact, %lu not, sizes %lu to %lu, %lu frames of a page multiple or one byte off), sequence numbers missing %lu, duplicated %lu, out of range %lu, %lu checksums left blank by the backend, %lu verified here, %lu bad frames, %lu replies refused\n",
		     what, nif.c.udp_echoed - c0.udp_echoed,
		     nif.c.udp_echo_intact - c0.udp_echo_intact,
		     nif.c.udp_echo_bad - c0.udp_echo_bad, nif.c.udp_echo_min,
		     nif.c.udp_echo_max, bounds, missing, nif.c.seq_dup - c0.seq_dup,
		     nif.c.seq_over - c0.seq_over,
		     nif.c.rx_csum_partial - c0.rx_csum_partial,
		     nif.c.udp_csum_verified - c0.udp_csum_verified,
		     nif.c.rx_bad - c0.rx_bad, nif.c.tx_refused - c0.tx_refused);
	/* The guest's side: each datagram came once, intact. */
	PVK_CHECK_EQ(nif.c.rx_bad - c0.rx_bad, 0);
	PVK_CHECK_EQ(nif.c.udp_echo_bad - c0.udp_echo_bad, 0);
	PVK_CHECK_EQ(nif.c.udp_echo_intact - c0.udp_echo_intact, intact);
	PVK_CHECK_EQ(nif.c.udp_echoed - c0.udp_echoed, n);
	PVK_CHECK_EQ(nif.c.tx_refused - c0.tx_refused, 0);
	PVK_CHECK_EQ(nif.c.udp_echo_min, min);
	PVK_CHECK_EQ(nif.c.udp_echo_max, max);
	PVK_CHECK_EQ(missing, 0);
	PVK_CHECK_EQ(nif.c.seq_dup - c0.seq_dup, 0);
	PVK_CHECK_EQ(nif.c.seq_over - c0.seq_over, 0);
	/* dom0's: each echo came back, byte for byte. */
	PVK_CHECK(starts_with(answer, want));
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_udp_echo)
{
	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	PVK_CHECK_CALL(echo_round("mtu", 1, UDP_MTU_MAX, 1, false));
	if (!info->sg) {
		guest_printf("netfront: udp echo: no sg, so nothing beyond the 1500-byte MTU\n");
		return;
	}
	PVK_CHECK_CALL(echo_round("jumbo", UDP_MTU_MAX + 1, JUMBO_MAX, JUMBO_STEP, true));
}

/* ---- netfront_udp_stream: open loop, paced, both ways ---- */

static bool is_ready_on(const uint8_t *f, size_t len, void *arg)
{
	unsigned int port = (unsigned int)(uintptr_t)arg;

	return len >= 42 && f[12] == 8 && f[13] == 0 && f[23] == 17 &&
	       !memcmp(f + 26, dom0_ip, 4) && f[36] == port >> 8 &&
	       f[37] == (port & 0xff);
}

static bool contains(const char *s, const char *part)
{
	for (; *s; s++)
		if (starts_with(s, part))
			return true;
	return false;
}

static uint8_t dgram[NETB_MAX_UDP];
static uint32_t stream_size = STREAM_SIZE;

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_udp_stream)
{
	struct nst_counts c0;
	char answer[256], want[96];
	unsigned long missing = 0, sent = 0, failed = 0;
	uint64_t t0, t_end;
	const uint8_t *pat = nst_pattern();
	size_t len;
	uint32_t size = PVK_READ_ONCE(stream_size);	/* not a constant for
							 * sparse to fold */

	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	/* dom0 -> guest: dom0's source sends STREAM_N datagrams at STREAM_RATE
	 * from a raw socket, UDP checksum computed in dom0 (not left to a
	 * device), whatever the guest does; the guest checks every one,
	 * checksum included. */
	memset(nif.seq_seen, 0, sizeof(nif.seq_seen));
	c0 = nif.c;
	PVK_WRITE_ONCE(nif.udp_sink_port, PORT_STREAM_IN);
	guest_printf("netfront: ready for udp stream in: %u datagrams of %u bytes at %u/s\n",
		     STREAM_N, STREAM_SIZE, STREAM_RATE);
	PVK_CHECK_RC(dom0_answer("udp-stream-in", answer, sizeof(answer)), 0);
	/* The last ones may still be on their way: wait (bounded) for all. */
	for (uint64_t end = pvk_time_now_ns() + WAIT_NS;
	     nif.c.udp_sink - c0.udp_sink < STREAM_N && pvk_time_now_ns() < end;)
		pvk_xs_wait_watches(SEC_NS / 10);
	PVK_WRITE_ONCE(nif.udp_sink_port, 0);
	for (unsigned int i = 0; i < STREAM_N; i++)
		missing += !nif.seq_seen[i];
	guest_printf("netfront: udp stream in: %lu intact (%lu real UDP checksums verified here, %lu left blank), lost %lu, duplicated %lu, out of range %lu, bad %lu (datagram) %lu (frame)\n",
		     nif.c.udp_sink - c0.udp_sink,
		     nif.c.udp_csum_verified - c0.udp_csum_verified,
		     nif.c.rx_csum_partial - c0.rx_csum_partial, missing,
		     nif.c.seq_dup - c0.seq_dup, nif.c.seq_over - c0.seq_over,
		     nif.c.udp_sink_bad - c0.udp_sink_bad, nif.c.rx_bad - c0.rx_bad);
	pvk_snprintf(want, sizeof(want), "ok: sent %u datagrams of %u bytes at %u/s (raw",
		     STREAM_N, STREAM_SIZE, STREAM_RATE);
	if (!starts_with(answer, want))
		PVK_FAIL("dom0's source says \"%s\", expected \"%s...\"", answer, want);
	PVK_CHECK_EQ(missing, 0);
	PVK_CHECK_EQ(nif.c.udp_sink - c0.udp_sink, STREAM_N);
	PVK_CHECK_EQ(nif.c.seq_dup - c0.seq_dup, 0);
	PVK_CHECK_EQ(nif.c.seq_over - c0.seq_over, 0);
	PVK_CHECK_EQ(nif.c.udp_sink_bad - c0.udp_sink_bad, 0);
	PVK_CHECK_EQ(nif.c.rx_bad - c0.rx_bad, 0);
	/* Every one carried a real checksum, and the guest verified it. */
	PVK_CHECK_GE(nif.c.udp_csum_verified - c0.udp_csum_verified, STREAM_N);

	/* guest -> dom0: STREAM_N datagrams at STREAM_RATE, full checksums
	 * computed here (dom0's UDP verifies them: a wrong one is dropped,
	 * so lost), over the queues; dom0's sink counts lost and duplicated. */
	guest_printf("netfront: ready for udp stream out: %u datagrams of %u bytes at %u/s\n",
		     STREAM_N, STREAM_SIZE, STREAM_RATE);
	if (!nst_wait_frame(&nif, is_ready_on, (void *)(uintptr_t)PORT_STREAM_NOTE, &len,
			    NULL, DOM0_WAIT_NS / 3))
		PVK_FAIL("dom0's sink did not say ready (UDP to port %u)", PORT_STREAM_NOTE);
	t0 = pvk_time_now_ns();
	for (uint32_t seq = 0; seq < STREAM_N; seq++) {
		struct nst_tx_opts o = { .queue = seq % info->nr_queues };
		uint64_t due = t0 + (uint64_t)seq * SEC_NS / STREAM_RATE;

		while (pvk_time_now_ns() < due)
			;	/* open loop: on the schedule */
		netb_udp_fill(dgram, size, seq, pat);
		if (nst_udp_send(&nif, dom0_ip, PORT_STREAM_OUT, PORT_STREAM_OUT, dgram,
				 size, &o))
			failed++;
		else
			sent++;
	}
	t_end = pvk_time_now_ns();
	PVK_CHECK_RC(nst_tx_drain(WAIT_NS), 0);
	guest_printf("netfront: udp stream out: %lu sent, %lu refused, in %llu ms (asked %u/s)\n",
		     sent, failed, (unsigned long long)((t_end - t0) / 1000000), STREAM_RATE);
	PVK_CHECK_RC(dom0_answer("udp-stream-out", answer, sizeof(answer)), 0);
	PVK_CHECK_EQ(failed, 0);
	pvk_snprintf(want, sizeof(want), "ok: %u received, lost 0, duplicated 0, ", STREAM_N);
	if (!starts_with(answer, want) || !contains(answer, ", bad 0 bytes="))
		PVK_FAIL("dom0's sink says \"%s\", expected \"%s... bad 0\"", answer, want);
}

/* ---- netfront_tx_frames: what dom0's receiver on the vif sees ---- */


PVK_GUEST_TEST_XEN_EXPLICIT(netfront_tx_frames)
{
	/* Payload bytes; with sg, frames of up to 17 pages (the largest, 65,535
	 * bytes, the most a frame may have). */
	static const uint32_t sg_sizes[TX_FRAMES] = {
		8, 9, 100, 1000, 1472, 1473, 2000, 4000, 4054, 4055, 5000, 8000,
		8193, 9000, 12000, 16000, 20000, 30000, 40000, 50000, 60000,
		64000, 65000, 65493,
	};
	static const uint32_t mtu_sizes[TX_FRAMES] = {
		8, 9, 10, 17, 64, 100, 255, 256, 511, 512, 600, 777, 999, 1000,
		1023, 1024, 1200, 1300, 1400, 1450, 1460, 1470, 1471, 1472,
	};
	const uint32_t *sizes = info && info->sg ? sg_sizes : mtu_sizes;
	unsigned int partial = 0, multi = 0;
	size_t largest = 0, len;
	char answer[256], want[160];
	const uint8_t *pat = nst_pattern();

	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	guest_printf("netfront: ready for vif receiver\n");
	if (!nst_wait_frame(&nif, is_ready_on, (void *)(uintptr_t)PORT_READY, &len, NULL,
			    DOM0_WAIT_NS / 3))
		PVK_FAIL("dom0's receiver did not say ready (UDP to port %u)", PORT_READY);
	for (uint32_t seq = 0; seq < TX_FRAMES; seq++) {
		uint32_t size = sizes[seq];
		size_t frame = 14 + 20 + 8 + size;
		struct nst_tx_opts o = {
			.queue = seq % info->nr_queues,
			.first_piece = 14 + seq % 5,
			.piece = 1000 + seq * 37,
			.csum_partial = info->csum_offload && (seq & 1),
		};

		netb_udp_fill(dgram, size, seq, pat);
		PVK_CHECK_RC(nst_udp_send(&nif, dom0_ip, PORT_VIFRX, PORT_VIFRX, dgram, size, &o), 0);
		partial += o.csum_partial;
		multi += frame > 4096;
		if (frame > largest)
			largest = frame;
	}
	PVK_CHECK_RC(nst_tx_drain(WAIT_NS), 0);
	guest_printf("netfront: sent %u datagrams to dom0's receiver: %u with the checksum left to the backend, %u frames over one page, largest %zu bytes\n",
		     TX_FRAMES, partial, multi, largest);
	PVK_CHECK_RC(dom0_answer("vifrx", answer, sizeof(answer)), 0);
	pvk_snprintf(want, sizeof(want),
		     "ok: %u frames of %u, %u with a partial checksum completed, %u over one page (largest %zu bytes), bad 0",
		     TX_FRAMES, TX_FRAMES, partial, multi, largest);
	if (!streq(answer, want))
		PVK_FAIL("dom0's receiver says \"%s\", expected \"%s\"", answer, want);
	if (info->sg)
		PVK_CHECK_GE(multi, 1);
	if (info->csum_offload)
		PVK_CHECK_GE(partial, 1);
}

/* ---- netfront_stats: the driver's counts ---- */

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_stats)
{
	struct pvk_netfront_stats st;
	uint64_t pkts;

	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	PVK_CHECK_RC(nst_tx_drain(WAIT_NS), 0);
	pvk_netfront_get_stats(nf, &st);
	pkts = st.tx_packets + st.rx_packets - st0.tx_packets - st0.rx_packets;
	PVK_CHECK_GE(pkts, 1);
	guest_printf("netfront: counts: tx %llu packets %llu bytes, rx %llu packets %llu bytes (%lu checksum blank, %lu queued, %lu other lost), notifications sent %llu received %llu, grants %llu (%llu at set-up, then %llu.%02llu per packet); responder: ARP %lu, ICMP %lu, ND %lu, ICMPv6 %lu, UDP echo %lu\n",
		     (unsigned long long)st.tx_packets, (unsigned long long)st.tx_bytes,
		     (unsigned long long)st.rx_packets, (unsigned long long)st.rx_bytes,
		     nif.c.rx_csum_partial, nif.c.rx_queued,
		     nif.c.rx_queue_full + nif.c.rx_too_long,
		     (unsigned long long)st.notify_sent, (unsigned long long)st.notify_recv,
		     (unsigned long long)st.grants, (unsigned long long)st0.grants,
		     (unsigned long long)((st.grants - st0.grants) / pkts),
		     (unsigned long long)((st.grants - st0.grants) * 100 / pkts % 100),
		     nif.c.arp_answered, nif.c.icmp_answered, nif.c.nd_answered,
		     nif.c.icmp6_answered, nif.c.udp_echoed);
	for (unsigned int q = 0; q < info->nr_queues; q++) {
		struct pvk_netfront_stats qs;

		PVK_CHECK_RC(pvk_netfront_get_queue_stats(nf, q, &qs), 0);
		guest_printf("netfront: queue %u: tx %llu packets, rx %llu packets, notifications sent %llu received %llu\n",
			     q, (unsigned long long)qs.tx_packets,
			     (unsigned long long)qs.rx_packets,
			     (unsigned long long)qs.notify_sent,
			     (unsigned long long)qs.notify_recv);
		/* Transmits were spread over the queues: each carried some;
		 * netback picks the receive queue by flow hash, and dom0's
		 * echo came in 16 flows (all on one of 2 queues: 2^-15). */
		PVK_CHECK_GE(qs.tx_packets, 10);
		PVK_CHECK_GE(qs.rx_packets, 1);
	}
	PVK_CHECK(!pvk_netfront_broken(nf));
	PVK_CHECK_EQ(st.tx_errors, 0);
	PVK_CHECK_EQ(st.rx_drop_error + st.rx_drop_empty + st.rx_drop_nobuf + st.rx_drop_toolong, 0);
	PVK_CHECK_EQ(nif.c.tx_done_err, 0);
	PVK_CHECK_EQ(nif.c.tx_done_ok, st.tx_packets);
	PVK_CHECK_EQ(nif.c.rx_bad, 0);
}

/* ---- netfront_close: no grant left for dom0 ---- */

static bool removed_cond(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(removed_seen);
}

PVK_GUEST_TEST_XEN_EXPLICIT(netfront_close)
{
	char answer[128], want[48];
	unsigned int held;
	uint64_t t0;
	struct pvk_net_frag fr = { dgram, 60 };
	struct pvk_net_tx tx = { .frags = &fr, .nr_frags = 1, .done = ignore_done };

	if (!nf)
		PVK_FAIL("vif 0 not up (netfront_up)");
	/* Open: dom0 counts exactly what the device holds (idle: its rings
	 * and posted receive pages), so the scan sees our grants at all. */
	PVK_CHECK_RC(nst_tx_drain(WAIT_NS), 0);
	held = pvk_netfront_grants_held(nf);
	guest_printf("netfront: vif 0 holds %u grants; ready for grant scan 1\n", held);
	PVK_CHECK_RC(dom0_answer("grant-scan-1", answer, sizeof(answer)), 0);
	pvk_snprintf(want, sizeof(want), "grants-to-dom0: %u", held);
	PVK_CHECK_GE(held, 2);
	if (!streq(answer, want))
		PVK_FAIL("dom0 counts \"%s\", expected \"%s\"", answer, want);

	t0 = pvk_time_now_ns();
	guest_printf("netfront: ready for detach of vif 0\n");
	for (uint64_t end = t0 + DOM0_WAIT_NS; !removed_cond(NULL) && pvk_time_now_ns() < end;)
		pvk_xs_wait_watches(SEC_NS / 5);
	if (!removed_cond(NULL))
		PVK_FAIL("vif 0: no removed hook within %llu s of the request",
			 (unsigned long long)(DOM0_WAIT_NS / SEC_NS));
	nst_detach(&nif);
	held = pvk_netfront_grants_held(nf);
	guest_printf("netfront: vif 0 removed %llu ms after the request, holds %u grants, xmit gives %d\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000), held,
		     pvk_netfront_xmit(nf, &tx));
	PVK_CHECK_EQ(held, 0);
	PVK_CHECK_RC(pvk_netfront_xmit(nf, &tx), -PVK_XEN_ENODEV);
	guest_printf("netfront: ready for grant scan 2\n");
	PVK_CHECK_RC(dom0_answer("grant-scan-2", answer, sizeof(answer)), 0);
	if (!streq(answer, "grants-to-dom0: 0"))
		PVK_FAIL("dom0 still maps grants of ours after the close: \"%s\"", answer);
	/* Removed, backend Closed, no grant live: the host may free it. */
	PVK_CHECK_RC(pvk_netfront_release(nf), 0);
	nf = NULL;
}

#endif /* CONFIG_PVK_NETFRONT */
