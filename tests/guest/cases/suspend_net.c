/*
 * tests/guest/cases/suspend_net.c - netfront across `xl save` / `xl
 * restore` with traffic flowing both ways (the kit's side is
 * frontends/netfront/netfront_suspend.c). suspend_net_run() is also the
 * network half of suspend_traffic.c (scenario guest-save-traffic, which
 * replaced guest-save-net): its hooks (suspend_net.h) run a disk stream
 * in the same loop and add their verdicts to these.
 *
 * vif 0 (10.0.0.3) and dom0 (10.0.0.1, tests/xen/dom0-tools/pvk-net-seq)
 * run two UDP streams of numbered datagrams (tests/bench/netbench.h) while
 * dom0 saves and restores the guest:
 *   guest -> dom0  one due every 10 ms (up to 4 due sent in one turn of
 *                  the loop, no catch-up after a second's lag: the rate
 *                  it kept is printed), each number sent until xmit takes it (a
 *                  refusal while the device is suspended or reconnecting
 *                  is retried with the same number); dom0's receiver lists
 *                  the numbers missing and duplicated once the guest says
 *                  how many it sent ("END n");
 *   dom0 -> guest  100 a second until the guest says STOP; the guest's
 *                  sink (netstack.c) marks each number; dom0 says how many
 *                  it sent.
 * The test's own suspend part, registered after netfront's and so run
 * first (the kit walks its parts newest first), sends a burst of 16 more
 * datagrams at the quiesce: 8 pushed to the backend, 8 queued with
 * PVK_NET_TX_MORE and never pushed before the suspend. Those 8 are frames
 * the old backend cannot have answered: the kit must send them again on
 * the new backend. Its resume() notes which numbers the guest had
 * received before the resume.
 * dom0 also watches its bridge for a gratuitous ARP for 10.0.0.3.
 *
 * The criteria (what UDP allows and what the kit promises):
 *  - guest -> dom0: dom0 received every number the guest sent (the kit
 *    queues nothing it loses: what the old backend had not answered is
 *    sent again), nothing bad; every transmit completed OK; the kit
 *    resent at least the 8 never pushed; the numbers dom0 got twice are
 *    only frames the kit resent unanswered: none whose transmit the old
 *    backend answered OK (before the resume, or in the saved ring, which
 *    the kit reads before resending: told apart by rs.resent still 0),
 *    none of the 8 never pushed, at most resent - 8 of them; the kit read
 *    as many answers from the saved rings as the test counts there at the
 *    resume (white box: netfront_internal.h);
 *  - dom0 -> guest: datagrams sent while the guest was away are lost (no
 *    vif to deliver them to): the numbers missing must all lie after the
 *    highest one received before the resume and before the lowest one
 *    received after it (one window, named) no longer than dom0's sender
 *    ran while the guest was away (dom0's downtime, an upper bound) and
 *    the kit reconnected (its clock), plus 1 s; at least one arrived
 *    after the resume (the stream goes on), none twice, none bad;
 *  - dom0's bridge saw a gratuitous ARP for 10.0.0.3 from our MAC, and
 *    the kit counted one sent;
 *  - the kit resumed once, in a new domain; once idle again, the vif holds
 *    as many grants as before the save and no other ref is in use (the
 *    old domain's refs went back to the allocator).
 * suspend_net_checkpoint (scenario guest-save-net-checkpoint): the same
 * with `xl save -c`: the same backend goes on, so nothing is resent (the 8
 * unpushed are pushed at the resume: dom0 still receives every number,
 * none twice: the scenario checks dom0's list) and no ARP is sent.
 * Every outcome is printed before the verdict. Times (resume to link
 * back up by the kit's clock, to the first datagram received, to the
 * first transmit answered) are printed, never asserted.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "../test.h"
#include "../netstack.h"
#include "../../bench/netbench.h"
#include "suspend_net.h"
/* White box: the saved transmit ring's unread answers (mark_resume). */
#include "../../../frontends/netfront/netfront_internal.h"

#if defined(CONFIG_PVK_NETFRONT) && defined(CONFIG_PVK_XENBUS)

#define MS		(1000ULL * 1000)
#define SEC_NS		(1000 * MS)
#define CONNECT_NS	(30 * SEC_NS)
#define SUSPEND_WAIT_NS	(120 * SEC_NS)
#define AFTER_NS	(3 * SEC_NS)	/* traffic after the resume */
#define AFTER_MIN	100u		/* datagrams sent after it, at least */
#define DOM0_WAIT_NS	(90 * SEC_NS)
#define PERIOD_NS	(10 * MS)	/* 100 datagrams a second */
#define SENDS_PER_TURN	4		/* due datagrams sent in one loop turn, at most */
#define PERIOD_MS	10u
#define DGRAM		200u
#define BURST		16u
#define PORT_IN		5400u	/* dom0's sender -> the guest's sink */
#define PORT_OUT	5401u	/* the guest -> dom0's receiver */
#define PORT_STOP	5402u	/* dom0's sender's own port: STOP */
#define PORT_NOTE	5403u	/* dom0's receiver says it listens */
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	8

static const uint8_t our_ip[4] = { 10, 0, 0, 3 };
static const uint8_t dom0_ip[4] = { 10, 0, 0, 1 };

static struct nst_if nif;
static struct pvk_netfront *nf;
static const struct pvk_netfront_info *info;
static uint8_t dgram[DGRAM];
static uint32_t seq_out;		/* the next number the guest sends */
static uint32_t burst_first;
static unsigned int burst_refused;
static bool quiesced;
static bool resumed;
static uint64_t t_resume;
static unsigned long sink_at_resume, ok_at_resume;
static uint8_t seen_before[NST_SEQS];	/* received before the resume */
/* Numbers whose transmit the old backend answered OK: completed before
 * the resume, or by the kit reading the saved ring (before it resent
 * anything: rs.resent still 0). None of them may reach dom0 twice. */
static uint8_t done_old[NST_SEQS];
/* Answers the old backend wrote in the saved tx rings, unread at the
 * resume (counted from the rings themselves, before netfront's resume). */
static unsigned int saved_answers;

static void seq_done(uint32_t tag, int status)
{
	struct pvk_netfront_resume_stats rs;

	if (!tag || tag > NST_SEQS || status)
		return;
	pvk_netfront_get_resume_stats(nf, &rs);
	if (!resumed || rs.resent == 0)
		done_old[tag - 1] = 1;
}

static const struct pvk_netfront_hooks hooks = {
	.rx = nst_rx_hook,
};

static int send_seq(uint32_t seq, bool more)
{
	struct nst_tx_opts o = { .queue = seq % info->nr_queues, .more = more, .tag = seq + 1 };

	netb_udp_fill(dgram, DGRAM, seq, nst_pattern());
	return nst_udp_send(&nif, dom0_ip, PORT_OUT, PORT_OUT, dgram, DGRAM, &o);
}

/* Just before netfront's quiesce (thread context): frames in flight. */
static void burst_quiesce(void *arg)
{
	(void)arg;
	burst_first = seq_out;
	for (unsigned int i = 0; i < BURST; i++) {
		if (send_seq(seq_out, i >= BURST / 2))
			burst_refused++;
		else
			seq_out++;
	}
	quiesced = true;
}

/* Before netfront's resume: nothing is received until it reconnects. */
static void mark_resume(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	(void)result;
	t_resume = pvk_time_now_ns();
	memcpy(seen_before, nif.seq_seen, sizeof(seen_before));
	sink_at_resume = nif.c.udp_sink;
	ok_at_resume = nif.c.tx_done_ok;
	saved_answers = 0;
	for (unsigned int i = 0; nf->queues && i < info->nr_queues; i++) {
		struct netfront_queue *q = &nf->queues[i];
		uint32_t prod = PVK_READ_ONCE(q->tx.sring->rsp_prod);

		if (prod - q->tx.rsp_cons <= q->tx_pushed - q->tx.rsp_cons)
			saved_answers += prod - q->tx.rsp_cons;
	}
	resumed = true;
}

static struct pvk_suspend_part part = {
	.name = "test suspend_net",
	.quiesce = burst_quiesce,
	.resume = mark_resume,
};

/* A UDP datagram from dom0 to our port (the frame as netstack queues it). */
static bool is_note(const uint8_t *f, size_t len, void *arg)
{
	(void)arg;
	return len >= 42 && f[12] == 8 && f[13] == 0 && f[23] == 17 &&
	       !memcmp(f + 26, dom0_ip, 4) && f[36] == PORT_NOTE >> 8 &&
	       f[37] == (PORT_NOTE & 0xff);
}

/* The number after key in s, or -1. */
static long long num_after(const char *s, const char *key)
{
	size_t kl = strlen(key);

	for (; *s; s++) {
		if (!memcmp(s, key, kl) && s[kl] >= '0' && s[kl] <= '9') {
			long long v = 0;

			for (s += kl; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (*s - '0');
			return v;
		}
		if (strlen(s) < kl)
			break;
	}
	return -1;
}

static bool contains(const char *s, const char *part_)
{
	size_t n = strlen(part_);

	for (; strlen(s) >= n; s++)
		if (!memcmp(s, part_, n))
			return true;
	return false;
}

/* Missing numbers in [0, n) as ranges into out; the count. */
static unsigned long missing_ranges(char *out, size_t size, uint32_t n)
{
	unsigned long count = 0;
	size_t used = 0;

	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;

		if (nif.seq_seen[i])
			continue;
		while (j + 1 < n && !nif.seq_seen[j + 1])
			j++;
		count += j - i + 1;
		if (used + 24 < size)
			used += (size_t)pvk_snprintf(out + used, size - used, i == j ? "%s%u" : "%s%u-%u",
						     used ? "," : "", i, j);
		i = j;
	}
	return count;
}

/* The numbers in dom0's "duplicated D [a-b,c]": whether one is in
 * [lo, hi] or marked in bad[]; the first such into *which. */
static bool dup_hits(const char *recv, uint32_t lo, uint32_t hi, const uint8_t *bad,
		     long long *which)
{
	const char *s = recv;

	for (; *s && memcmp(s, "duplicated ", 11); s++)
		;
	for (; *s && *s != '['; s++)
		;
	while (*s && *s != ']') {
		uint32_t a = 0, b;

		s++;
		if (*s < '0' || *s > '9')
			continue;
		for (; *s >= '0' && *s <= '9'; s++)
			a = a * 10 + (uint32_t)(*s - '0');
		b = a;
		if (*s == '-')
			for (b = 0, s++; *s >= '0' && *s <= '9'; s++)
				b = b * 10 + (uint32_t)(*s - '0');
		for (uint32_t n = a; n <= b && n - a < NST_SEQS; n++)
			if ((n >= lo && n <= hi) || (bad && n < NST_SEQS && bad[n])) {
				*which = n;
				return true;
			}
	}
	return false;
}

static unsigned int failures;

void suspend_net_verdict(bool ok, const char *what)
{
	guest_printf("suspend_net: %s: %s\n", ok ? "ok" : "FAILED", what);
	failures += !ok;
}

#define verdict suspend_net_verdict

struct pvk_netfront *suspend_net_dev(void)
{
	return nf;
}

void suspend_net_detach(void)
{
	nst_detach(&nif);
}

static unsigned int extra_grants(const struct suspend_net_extra *x)
{
	return x && x->grants_held ? x->grants_held(x->arg) : 0;
}

/* One save (want RESUMED: restored in a new domain; CANCELLED: `xl save
 * -c`, the same domain goes on), the streams around it, the verdict; x's
 * hooks (suspend_net.h) where it says. */
void suspend_net_run(enum pvk_suspend_result want, const struct suspend_net_extra *x)
{
	bool ckpt = want == PVK_SUSPEND_CANCELLED;
	struct pvk_grant_stats gs;
	struct pvk_netfront_resume_stats rs;
	struct nst_counts c0;
	char send_a[256], recv_a[640], arp_a[256], ranges[256], want_arp[96], down_a[256];
	long long dup_which = -1, down_ms;
	unsigned long window = 0, window_max = 0;
	uint8_t mac[PVK_NET_ETH_ALEN];
	const uint8_t *m;
	unsigned int before, refused = 0;
	uint64_t t0, next, t_link = 0, t_first_rx = 0, t_first_tx = 0;
	uint32_t seq_at_resume = 0;
	uint64_t loop_t0[2] = { 0, 0 }, loop_t1[2] = { 0, 0 };
	unsigned int loop_sent[2] = { 0, 0 };
	long long d_sent, d_total, d_missing, d_dup, d_bad;
	uint32_t sent_in, hb = 0, fa = 0, cap;
	unsigned long miss, outside = 0, after_n = 0;
	bool have_before = false, have_after = false, x_done = !x || !x->pump;
	int rc, drain_rc;
	unsigned int held0, held1, others0, others1;

	guest_events_enable();
	guest_control_enable();
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	nif.tx_done_tag = seq_done;
	PVK_CHECK_RC(pvk_netfront_init(&hooks), 0);
	PVK_CHECK_RC(pvk_netfront_wait_connected(0, CONNECT_NS, &nf), 0);
	info = pvk_netfront_info(nf);
	PVK_CHECK_RC(nst_attach(&nif, nf, our_ip, 0), 0);
	PVK_WRITE_ONCE(nif.udp_sink_port, PORT_IN);
	/* The address the kit announces after a resume is ours to give. */
	pvk_netfront_set_announce_ipv4(nf, our_ip);
	PVK_CHECK_RC(nst_resolve(&nif, dom0_ip, mac, 5 * SEC_NS), 0);
	PVK_CHECK_RC(pvk_suspend_register(&part), 0);
	/* Idle and connected: what the kit's grant allocator has handed out
	 * beyond what the vif holds (rings, posted buffers). */
	pvk_grant_stats_snapshot(&gs);
	held0 = pvk_netfront_grants_held(nf);
	others0 = gs.refs_total - gs.refs_free - held0 - extra_grants(x);
	if (x && x->ready)
		x->ready(x->arg);
	memset(nif.seq_seen, 0, sizeof(nif.seq_seen));
	c0 = nif.c;
	m = info->mac;
	before = guest_suspends_done();
	guest_printf("suspend_net: vif 0 up, mac %02x:%02x:%02x:%02x:%02x:%02x, %u queue(s); ready for streams and %s\n",
		     m[0], m[1], m[2], m[3], m[4], m[5], info->nr_queues,
		     ckpt ? "a checkpoint (xl save -c)" : "xl save");
	/* Our stream starts once dom0's receiver listens (nothing lost to a
	 * port not yet bound); dom0's own stream has started already. */
	{
		size_t len;

		if (!nst_wait_frame(&nif, is_note, NULL, &len, NULL, DOM0_WAIT_NS / 3))
			PVK_FAIL("dom0's receiver did not say ready (UDP to port %u)", PORT_NOTE);
	}

	/* Both streams until AFTER_NS after the resume (and AFTER_MIN sent
	 * after it); the suspend happens inside one of the waits. */
	t0 = next = pvk_time_now_ns();
	for (;;) {
		uint64_t now = pvk_time_now_ns();
		unsigned int phase = resumed ? 1 : 0;

		/* The loop's own sends, by phase: the rate they kept. */
		if (!loop_t0[phase])
			loop_t0[phase] = now;
		loop_t1[phase] = now;

		if (!resumed && now - t0 > SUSPEND_WAIT_NS)
			PVK_FAIL("no suspend within %llu s", SUSPEND_WAIT_NS / SEC_NS);
		if (resumed && !seq_at_resume)
			seq_at_resume = seq_out;
		if (resumed && !t_link && PVK_READ_ONCE(info->link_up))
			t_link = now;
		if (resumed && !t_first_rx && PVK_READ_ONCE(nif.c.udp_sink) > sink_at_resume)
			t_first_rx = now;
		if (resumed && !t_first_tx && PVK_READ_ONCE(nif.c.tx_done_ok) > ok_at_resume)
			t_first_tx = now;
		if (x && x->pump) {
			rc = x->pump(x->arg);
			if (rc < 0)
				PVK_FAIL("the stream beside the UDP streams failed: %d", rc);
			x_done = rc == 1;
		}
		if (resumed && now - t_resume >= AFTER_NS && seq_out - seq_at_resume >= AFTER_MIN &&
		    x_done)
			break;
		if (resumed && now - t_resume >= SUSPEND_WAIT_NS)
			PVK_FAIL("only %u datagrams sent in %llu s after the resume%s",
				 seq_out - seq_at_resume, SUSPEND_WAIT_NS / SEC_NS,
				 x_done ? "" : " (or the stream beside them not done)");
		/* Every datagram due, up to SENDS_PER_TURN: a slow turn
		 * (the pump's work, a loaded host) does not lower the rate. */
		for (unsigned int k = 0; k < SENDS_PER_TURN && (int64_t)(now - next) >= 0; k++) {
			next += PERIOD_NS;
			if (send_seq(seq_out, false)) {
				refused++;	/* the same number next time */
				break;
			}
			seq_out++;
			loop_sent[phase]++;
		}
		if ((int64_t)(now - next) > (int64_t)SEC_NS)
			next = now;	/* after the gap: no catch-up burst */
		pvk_xs_wait_watches(2 * MS);
	}
	for (unsigned int ph = 0; ph < 2; ph++) {
		uint64_t ms = (loop_t1[ph] - loop_t0[ph]) / MS;

		guest_printf("suspend_net: send rate %s: %u datagrams in %llu ms of the loop, %llu/s (one due every %llu ms)\n",
			     ph ? "after the resume" : "before the save", loop_sent[ph],
			     (unsigned long long)ms,
			     (unsigned long long)(ms ? loop_sent[ph] * 1000ull / ms : 0),
			     (unsigned long long)(PERIOD_NS / MS));
	}
	drain_rc = nst_tx_drain(5 * SEC_NS);
	pvk_grant_stats_snapshot(&gs);
	held1 = pvk_netfront_grants_held(nf);
	others1 = gs.refs_total - gs.refs_free - held1 - extra_grants(x);
	if (x && x->idle)
		x->idle(x->arg);
	/* dom0's sender stops; what is on its way arrives; then the count. */
	for (int i = 0; i < 3; i++)
		nst_udp_send(&nif, dom0_ip, PORT_IN, PORT_STOP, "STOP", 4, NULL);
	for (uint64_t end = pvk_time_now_ns() + 1500 * MS; pvk_time_now_ns() < end;)
		pvk_xs_wait_watches(50 * MS);
	PVK_WRITE_ONCE(nif.udp_sink_port, 0);
	{
		char end_msg[24];
		int n = pvk_snprintf(end_msg, sizeof(end_msg), "END %u", seq_out);

		for (int i = 0; i < 3; i++)
			nst_udp_send(&nif, dom0_ip, PORT_OUT, PORT_OUT, end_msg, (size_t)n, NULL);
	}
	PVK_CHECK_RC(guest_dom0_answer("suspend_net", "seq-send", send_a, sizeof(send_a),
				       DOM0_WAIT_NS), 0);
	PVK_CHECK_RC(guest_dom0_answer("suspend_net", "seq-recv", recv_a, sizeof(recv_a),
				       DOM0_WAIT_NS), 0);
	/* A checkpoint keeps the backend and its port: nothing to announce
	 * (and dom0 does not watch for it). */
	arp_a[0] = '\0';
	if (!ckpt)
		PVK_CHECK_RC(guest_dom0_answer("suspend_net", "garp", arp_a, sizeof(arp_a),
					       DOM0_WAIT_NS), 0);
	PVK_CHECK_RC(guest_dom0_answer("suspend_net", "downtime", down_a, sizeof(down_a),
				       DOM0_WAIT_NS), 0);
	down_ms = num_after(down_a, "dom0-downtime-ms=");
	pvk_netfront_get_resume_stats(nf, &rs);

	/* ---- what happened ---- */
	guest_printf("suspend_net: kit: resumes %llu, cancelled %llu, resent %llu, resend refused %llu, gratuitous ARP sent %llu failed %llu\n",
		     (unsigned long long)rs.resumes, (unsigned long long)rs.cancelled,
		     (unsigned long long)rs.resent, (unsigned long long)rs.resend_failed,
		     (unsigned long long)rs.garp_sent, (unsigned long long)rs.garp_failed);
	guest_printf("suspend_net: reconnect: resume to link up %llu ms by the kit's clock (test saw it after %llu ms), first datagram received after %llu ms, first transmit answered after %llu ms\n",
		     (unsigned long long)(rs.last_reconnect_ns / MS),
		     (unsigned long long)(t_link ? (t_link - t_resume) / MS : 0),
		     (unsigned long long)(t_first_rx ? (t_first_rx - t_resume) / MS : 0),
		     (unsigned long long)(t_first_tx ? (t_first_tx - t_resume) / MS : 0));
	guest_printf("suspend_net: grants: the vif holds %u (before the save %u); other refs in use %u (before %u)\n",
		     held1, held0, others1, others0);
	guest_printf("suspend_net: guest->dom0: sent %u (burst at the quiesce: %u-%u, %u pushed, %u queued unpushed; %u refused), %u after the resume; transmits completed ok %lu, with an error %lu, drain %d\n",
		     seq_out, burst_first, burst_first + BURST - 1, BURST / 2, BURST / 2,
		     burst_refused, seq_out - seq_at_resume, nif.c.tx_done_ok - c0.tx_done_ok,
		     nif.c.tx_done_err - c0.tx_done_err, drain_rc);
	d_total = num_after(recv_a, " of ");
	d_missing = num_after(recv_a, "missing ");
	d_dup = num_after(recv_a, "duplicated ");
	d_bad = num_after(recv_a, "bad ");
	d_sent = num_after(send_a, "sent ");
	sent_in = d_sent < 0 ? 0 : (uint32_t)d_sent;
	cap = sent_in < NST_SEQS ? sent_in : NST_SEQS;
	for (uint32_t i = 0; i < cap; i++) {
		if (seen_before[i]) {
			hb = i;
			have_before = true;
		}
		if (nif.seq_seen[i] && !seen_before[i]) {
			if (!have_after)
				fa = i;
			have_after = true;
			after_n++;
		}
	}
	miss = missing_ranges(ranges, sizeof(ranges), cap);
	for (uint32_t i = 0; i < cap; i++)
		if (!nif.seq_seen[i] && ((have_before && i < hb) || !have_after || i > fa))
			outside++;
	/* dom0 -> guest: what was lost lies in one window, no longer than
	 * dom0's sender ran while the guest was away (dom0's downtime, an
	 * upper bound) and the kit reconnected (its clock), 1 s of slack. */
	if (have_before && have_after && fa > hb)
		window = fa - hb - 1;
	window_max = (unsigned long)((down_ms < 0 ? 0 : (unsigned long long)down_ms) +
				     rs.last_reconnect_ns / MS + 1000) / PERIOD_MS;
	guest_printf("suspend_net: kit: answers read from the saved ring %llu (the ring held %u unread), gave up %llu (deadline armed %llu, cancelled %llu); dom0 downtime %lld ms; loss window %lu of at most %lu\n",
		     (unsigned long long)rs.answered_saved, saved_answers,
		     (unsigned long long)rs.gave_up, (unsigned long long)rs.deadline_armed,
		     (unsigned long long)rs.deadline_cancelled, down_ms, window, window_max);
	guest_printf("suspend_net: dom0->guest: dom0 sent %u, received %lu (%lu after the resume), missing %lu [%s], window: after %u (highest before the resume) and before %u (lowest after it), missing outside it %lu, duplicated %lu, bad %lu\n",
		     sent_in, nif.c.udp_sink - c0.udp_sink, after_n, miss, ranges,
		     have_before ? hb : 0, have_after ? fa : 0, outside,
		     nif.c.seq_dup - c0.seq_dup, nif.c.udp_sink_bad - c0.udp_sink_bad);

	/* ---- the verdict ---- */
	verdict(guest_last_suspend_result() == (int)want && guest_suspends_done() == before + 1 &&
		(ckpt ? rs.cancelled == 1 && rs.resumes == 0 : rs.resumes == 1 && rs.cancelled == 0),
		ckpt ? "one suspend, cancelled (the same domain)" :
		"one suspend, resumed in a new domain");
	verdict(quiesced && burst_refused == 0, "the burst at the quiesce was taken");
	verdict(others1 == others0 && held1 == held0,
		"grant refs in use back to where they were (none of the old domain's leaked)");
	if (!ckpt) {
		verdict(rs.resent >= BURST / 2,
			"the kit resent at least the 8 frames never pushed");
		verdict(rs.answered_saved == saved_answers,
			"the kit took every answer the old backend wrote before the save");
		/* The deadline fires by itself, on the kit's timer: armed at
		 * the resume, cancelled by the reconnect (never given up). */
		verdict(rs.deadline_armed == 1 && rs.deadline_cancelled == 1 && rs.gave_up == 0,
			"the reconnect deadline was on the kit's timer and the reconnect cancelled it");
	} else {
		verdict(rs.deadline_armed == 0, "no reconnect deadline after a checkpoint");
	}
	verdict(drain_rc == 0 && nif.c.tx_done_err == c0.tx_done_err,
		"every transmit completed, none with an error");
	verdict(d_total == (long long)seq_out && d_missing == 0,
		"dom0 received every number the guest sent");
	dup_hits(recv_a, ckpt ? 1 : burst_first + BURST / 2,
		 ckpt ? 0 : burst_first + BURST - 1, done_old, &dup_which);
	verdict(d_dup >= 0 && dup_which < 0 &&
		(ckpt ? d_dup == 0 : (unsigned long long)d_dup + BURST / 2 <= rs.resent),
		"dom0's duplicates are only frames the kit resent unanswered (none answered before, none never pushed)");
	if (dup_which >= 0)
		guest_printf("suspend_net: dom0 got %lld twice: answered by the old backend or never pushed\n",
			     dup_which);
	verdict(d_bad == 0, "dom0 received nothing bad");
	verdict(d_sent > 0 && (uint32_t)d_sent <= NST_SEQS && have_after,
		"dom0's stream went on after the resume");
	verdict(outside == 0, "dom0->guest losses only in the window around the suspend");
	verdict(down_ms > 0 && window <= window_max,
		"dom0->guest loss window no longer than the guest was away (dom0) and reconnecting");
	verdict(nif.c.seq_dup == c0.seq_dup && nif.c.udp_sink_bad == c0.udp_sink_bad &&
		nif.c.seq_over == c0.seq_over,
		"dom0->guest: nothing duplicated, bad or out of range");
	pvk_snprintf(want_arp, sizeof(want_arp),
		     "arp: gratuitous for 10.0.0.3 from %02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1],
		     m[2], m[3], m[4], m[5]);
	if (ckpt)
		verdict(rs.garp_sent == 0, "no gratuitous ARP after a checkpoint");
	else
		verdict(contains(arp_a, want_arp) && rs.garp_sent == 1 && rs.garp_failed == 0,
			"dom0's bridge saw our gratuitous ARP");
	if (x && x->verdicts)
		x->verdicts(x->arg);
	rc = (int)failures;
	PVK_CHECK_EQ(rc, 0);
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_net)
{
	suspend_net_run(PVK_SUSPEND_RESUMED, NULL);
}

/* `xl save -c` (scenario guest-save-net-checkpoint): the same backend goes
 * on; the 8 frames queued unpushed at the quiesce are pushed at the
 * resume, nothing is sent twice. */
PVK_GUEST_TEST_XEN_EXPLICIT(suspend_net_checkpoint)
{
	suspend_net_run(PVK_SUSPEND_CANCELLED, NULL);
}

#endif /* CONFIG_PVK_NETFRONT && CONFIG_PVK_XENBUS */
