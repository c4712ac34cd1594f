/*
 * tests/unit/test_netfront.c - netfront's pure logic on the host: the
 * host's switches (unknown names and out-of-range values refused, nothing
 * changed) and the checks every response of an untrusted backend passes
 * before it is used (ids outstanding, statuses known, offset + size within
 * the page, no flag for a feature not negotiated).
 */
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
