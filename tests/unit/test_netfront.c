/*
 * tests/unit/test_netfront.c - netfront's pure logic on the host: the
 * host's switches (unknown names and out-of-range values refused, nothing
 * changed) and the checks every response of an untrusted backend passes
 * before it is used (ids outstanding, statuses known, offset + size within
 * the page, no flag for a feature not negotiated).
 */
#include <stdlib.h>
#include <string.h>

#include <pvkit/xen/errno.h>

#include "frontends/netfront/netfront_internal.h"
#include "unit.h"

UNIT_TEST(netfront_options_parse)
{
	struct netfront_options o = { .sg = true, .gso_tcpv4 = true, .gso_tcpv6 = true,
				      .csum = true, .ipv6_csum = true, .split_evtchn = true,
				      .queues = 1, .rx_buffers = 256 };
	struct netfront_options before;

	CHECK_EQ(netfront_parse_option(&o, "sg", "0"), 0);
	CHECK_EQ(netfront_parse_option(&o, "gso_tcpv4", "0"), 0);
	CHECK_EQ(netfront_parse_option(&o, "gso_tcpv6", "0"), 0);
	CHECK_EQ(netfront_parse_option(&o, "csum", "0"), 0);
	CHECK_EQ(netfront_parse_option(&o, "ipv6_csum", "0"), 0);
	CHECK_EQ(netfront_parse_option(&o, "split_evtchn", "0"), 0);
	CHECK(!o.sg && !o.gso_tcpv4 && !o.gso_tcpv6 && !o.csum && !o.ipv6_csum &&
	      !o.split_evtchn);
	CHECK_EQ(netfront_parse_option(&o, "csum", "1"), 0);
	CHECK(o.csum);
	CHECK_EQ(netfront_parse_option(&o, "queues", "8"), 0);
	CHECK_EQ(o.queues, 8);
	CHECK_EQ(netfront_parse_option(&o, "rx_buffers", "1"), 0);
	CHECK_EQ(o.rx_buffers, 1);
	CHECK_EQ(netfront_parse_option(&o, "rx_buffers", "256"), 0);
	CHECK_EQ(o.rx_buffers, 256);
	before = o;
	CHECK_EQ(netfront_parse_option(&o, "sgg", "1"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "s", "1"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "sg", "2"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "sg", ""), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "sg", "on"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "queues", "0"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "queues", "9"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "rx_buffers", "0"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "rx_buffers", "257"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "rx_buffers", "99999999999999999999"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "", "1"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, NULL, "1"), -PVK_XEN_EINVAL);
	CHECK_EQ(netfront_parse_option(&o, "sg", NULL), -PVK_XEN_EINVAL);
	CHECK(memcmp(&o, &before, sizeof(o)) == 0);
}

/* A queue with transmit id 3 sent and receive buffer 7 posted. */
static struct netfront_tx_slot txs[NETFRONT_RING_ENTS];
static struct netfront_rx_buf rxb[NETFRONT_RING_ENTS];

static void one_of_each(struct netfront_queue *q)
{
	memset(q, 0, sizeof(*q));
	memset(txs, 0, sizeof(txs));
	memset(rxb, 0, sizeof(rxb));
	q->txs = txs;
	q->rxb = rxb;
	txs[3].sent = true;
	rxb[7].posted = true;
}

UNIT_TEST(netfront_tx_response_checks)
{
	struct netfront_queue q;
	struct pvk_netif_tx_response r;

	one_of_each(&q);
	for (int st = -2; st <= 0; st++) {
		r = (struct pvk_netif_tx_response){ .id = 3, .status = (int16_t)st };
		CHECK(netfront_check_tx_response(&q, &r) == NULL);
	}
	r = (struct pvk_netif_tx_response){ .id = 3, .status = PVK_NETIF_RSP_NULL };
	CHECK(netfront_check_tx_response(&q, &r) != NULL);	/* no extra-info sent */
	r = (struct pvk_netif_tx_response){ .id = 3, .status = -3 };
	CHECK(netfront_check_tx_response(&q, &r) != NULL);
	r = (struct pvk_netif_tx_response){ .id = 4, .status = 0 };
	CHECK(netfront_check_tx_response(&q, &r) != NULL);	/* not sent */
	r = (struct pvk_netif_tx_response){ .id = NETFRONT_RING_ENTS, .status = 0 };
	CHECK(netfront_check_tx_response(&q, &r) != NULL);	/* out of range */
	r = (struct pvk_netif_tx_response){ .id = 0xffff, .status = 0 };
	CHECK(netfront_check_tx_response(&q, &r) != NULL);
}

UNIT_TEST(netfront_rx_response_checks)
{
	struct netfront_queue q;
	struct pvk_netif_rx_response r;
	static const uint16_t bad_flags[] = {
		PVK_NETRXF_more_data, PVK_NETRXF_extra_info, PVK_NETRXF_gso_prefix,
		PVK_NETRXF_csum_blank,
	};

	one_of_each(&q);
	/* Good: a whole page, the last byte, validated data, errors, empty. */
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 0, .status = 4096 };
	CHECK(netfront_check_rx_response(&q, &r) == NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 4095, .status = 1 };
	CHECK(netfront_check_rx_response(&q, &r) == NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .flags = PVK_NETRXF_data_validated,
					    .status = 60 };
	CHECK(netfront_check_rx_response(&q, &r) == NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 0xffff, .status = -1 };
	CHECK(netfront_check_rx_response(&q, &r) == NULL);	/* no data to place */
	r = (struct pvk_netif_rx_response){ .id = 7, .status = 0 };
	CHECK(netfront_check_rx_response(&q, &r) == NULL);
	/* Beyond the page, by one byte and by wrapping 16 bits. */
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 4095, .status = 2 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 0, .status = 4097 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 0xfff0, .status = 0x20 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .offset = 0, .status = 0x7fff };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	/* Statuses the protocol does not have. */
	r = (struct pvk_netif_rx_response){ .id = 7, .status = -3 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	r = (struct pvk_netif_rx_response){ .id = 7, .status = -32768 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	/* Buffers not posted, ids out of range. */
	r = (struct pvk_netif_rx_response){ .id = 6, .status = 60 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	r = (struct pvk_netif_rx_response){ .id = NETFRONT_RING_ENTS, .status = 60 };
	CHECK(netfront_check_rx_response(&q, &r) != NULL);
	/* Flags of features not negotiated. */
	for (unsigned int i = 0; i < sizeof(bad_flags) / sizeof(bad_flags[0]); i++) {
		r = (struct pvk_netif_rx_response){ .id = 7, .flags = bad_flags[i], .status = 60 };
		CHECK(netfront_check_rx_response(&q, &r) != NULL);
	}
}

/* ---- A backend played by the test, misbehaving ------------------------- */

/* One device, one live queue with rx buffer 5 posted (request 0 of the rx
 * ring), built by hand: what a connected vif looks like to the data path. */
static struct pvk_netfront pdev;
static struct netfront_queue pq;
static unsigned int link_downs, frames_seen;

static void on_link(struct pvk_netfront *dev, bool up)
{
	(void)dev;
	if (!up)
		link_downs++;
}

static void on_rx(struct pvk_netfront *dev, const struct pvk_net_rx *f)
{
	(void)dev;
	(void)f;
	frames_seen++;
}

static const struct pvk_netfront_hooks played_hooks = { .link = on_link, .rx = on_rx };

static void played_up(void)
{
	one_of_each(&pq);
	txs[3].sent = false;
	memset(&pdev, 0, sizeof(pdev));
	strcpy(pdev.name, "device/vif/0");
	pdev.queues = &pq;
	pdev.info.nr_queues = 1;
	pdev.info.max_frame = NETFRONT_MAX_FRAME;
	pdev.info.link_up = true;
	pq.dev = &pdev;
	pq.tx_page = calloc(1, NETFRONT_PAGE);
	pq.rx_page = calloc(1, NETFRONT_PAGE);
	PVK_SHARED_RING_INIT((struct pvk_netif_tx_sring *)pq.tx_page);
	PVK_FRONT_RING_INIT(&pq.tx, (struct pvk_netif_tx_sring *)pq.tx_page, NETFRONT_PAGE);
	PVK_SHARED_RING_INIT((struct pvk_netif_rx_sring *)pq.rx_page);
	PVK_FRONT_RING_INIT(&pq.rx, (struct pvk_netif_rx_sring *)pq.rx_page, NETFRONT_PAGE);
	rxb[7].posted = false;
	rxb[5].posted = true;
	rxb[5].page = calloc(1, NETFRONT_PAGE);
	PVK_RING_GET_REQUEST(&pq.rx, 0)->id = 5;
	pq.rx.req_prod_pvt = 1;
	pq.rx_posted = 1;
	pq.live = true;
	netfront_hooks = &played_hooks;
	link_downs = frames_seen = 0;
}

static void played_down(void)
{
	netfront_hooks = NULL;
	free(pq.tx_page);
	free(pq.rx_page);
	free(rxb[5].page);
}

static void never_done(struct pvk_net_tx *tx, int status)
{
	(void)tx;
	unit_fail(__FILE__, __LINE__, "done() of a refused transmit ran (%d)", status);
}

/* After the backend's misbehaviour: disabled, told, its frame unseen, and
 * a transmit refused with -EIO instead of reaching the ring. */
static void check_disabled(const char *why)
{
	static uint8_t frame[60];
	struct pvk_net_frag fr = { frame, sizeof(frame) };
	struct pvk_net_tx tx = { .frags = &fr, .nr_frags = 1,
				 .done = never_done };

	CHECK(pdev.broken);
	CHECK(unit_log_has(why));
	CHECK(unit_log_has("device disabled"));
	CHECK_EQ(link_downs, 1);
	CHECK(!pdev.info.link_up);
	CHECK_EQ(frames_seen, 0);
	CHECK_EQ(pvk_netfront_xmit(&pdev, &tx), -PVK_XEN_EIO);
	CHECK_EQ(pq.tx.req_prod_pvt, 0);
	/* Further events change nothing and say nothing more. */
	unit_log_clear();
	pvk_netfront_poll(&pdev);
	CHECK_EQ(unit_log_lines(), 0);
	CHECK_EQ(link_downs, 1);
}

UNIT_TEST(netfront_rx_frame_beyond_page_disables_device)
{
	struct pvk_netif_rx_response *r;

	played_up();
	unit_log_clear();
	r = PVK_RING_GET_RESPONSE(&pq.rx, 0);
	*r = (struct pvk_netif_rx_response){ .id = 5, .offset = 4000, .status = 200 };
	((struct pvk_netif_rx_sring *)pq.rx_page)->rsp_prod = 1;
	pvk_netfront_poll(&pdev);
	check_disabled("placed a frame beyond its page");
	/* The buffer stays granted: its page is not reused. */
	CHECK(rxb[5].posted || rxb[5].kept);
	played_down();
}

UNIT_TEST(netfront_rx_more_responses_than_buffers_disables_device)
{
	played_up();
	unit_log_clear();
	((struct pvk_netif_rx_sring *)pq.rx_page)->rsp_prod = 2;
	pvk_netfront_poll(&pdev);
	check_disabled("more receive responses than buffers posted");
	played_down();
}

UNIT_TEST(netfront_tx_unknown_id_disables_device)
{
	struct pvk_netif_tx_response *r;

	played_up();
	unit_log_clear();
	/* One request on the ring (id 9 sent), answered as id 10. */
	txs[9].sent = true;
	pq.tx.req_prod_pvt = 1;
	r = PVK_RING_GET_RESPONSE(&pq.tx, 0);
	*r = (struct pvk_netif_tx_response){ .id = 10, .status = 0 };
	((struct pvk_netif_tx_sring *)pq.tx_page)->rsp_prod = 1;
	pvk_netfront_poll(&pdev);
	pq.tx.req_prod_pvt = 0;		/* what check_disabled looks at */
	check_disabled("answered a transmit not outstanding");
	played_down();
}
