/*
 * tests/xen/dom0-tools/hostile-back/blk_connect.c - the block backend's
 * side of xenbus, as Linux's blkback does it: features offered and
 * InitWait; once the frontend is Initialised its ring (ring-ref, or
 * ring-page-order and ring-refN) and event channel read, mapped and bound,
 * the disk described (sectors, sector-size, physical-sector-size, info)
 * and Connected. Also the close, and the guest's data/ nodes through which
 * its test and this tool take turns (blk.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "blk.h"
#include <xen/io/protocols.h>

#define HANDSHAKE_MS	20000	/* the guest's xenbus answers within this */
#define CLOSE_MS	10000
#define LOOK_MS		100	/* how often a serving loop looks at xenstore */

static int read_ring(struct hb_blk *b)
{
	struct hb_dev *d = b->d;
	unsigned long order = 0, v, port;
	char *proto, *order_node;

	if (hb_read_ulong(d, HB_FE, "multi-queue-num-queues", &v) == 0 && v > 1) {
		hb_log(d, "frontend asks for %lu queues: none were offered", v);
		return -1;
	}
	proto = hb_read(d, HB_FE, "protocol");
	if (proto && strcmp(proto, XEN_IO_PROTO_ABI_X86_64)) {
		hb_log(d, "frontend protocol \"%s\": only %s is served", proto,
		       XEN_IO_PROTO_ABI_X86_64);
		free(proto);
		return -1;
	}
	free(proto);
	order_node = hb_read(d, HB_FE, "ring-page-order");
	free(order_node);
	if (order_node &&
	    (hb_read_ulong(d, HB_FE, "ring-page-order", &order) || order > b->max_ring_order)) {
		hb_log(d, "frontend ring-page-order %lu: at most %lu offered", order,
		       b->max_ring_order);
		return -1;
	}
	b->ring_pages = 1u << order;
	for (unsigned int i = 0; i < b->ring_pages; i++) {
		char node[16];

		snprintf(node, sizeof(node), order ? "ring-ref%u" : "ring-ref", i);
		if (hb_read_ulong(d, HB_FE, node, &v) || v > 0xffffffffUL) {
			hb_log(d, "frontend %s missing or bad", node);
			return -1;
		}
		b->ring_refs[i] = (uint32_t)v;
	}
	if (hb_read_ulong(d, HB_FE, "event-channel", &port)) {
		hb_log(d, "frontend event-channel missing or bad");
		return -1;
	}
	b->sring = hb_map(d, b->ring_refs, b->ring_pages, true);
	if (!b->sring)
		return -1;
	b->nr_ents = __RING_SIZE(b->sring, (size_t)b->ring_pages * HB_PAGE_SIZE);
	b->req_cons = b->rsp_prod_pvt = 0;
	hb_log(d, "ring: %u page(s) (refs %u..), %u entries; event channel %lu", b->ring_pages,
	       b->ring_refs[0], b->nr_ents, port);
	return hb_evtchn_bind(d, (unsigned int)port);
}

int hb_blk_connect(struct hb_blk *b)
{
	struct hb_dev *d = b->d;
	char order[4], ind[8];
	struct hb_node be[] = {
		{ "feature-flush-cache", "1" },
		{ "feature-barrier", "0" },
		{ "feature-persistent", "0" },
		{ "max-ring-page-order", order },
		{ "feature-max-indirect-segments", ind },
		{ NULL, NULL },
	};
	int s;

	/* --opt ring-order=N offers less (a ring of 32 << N entries). */
	b->max_ring_order = hb_opt_ulong(d, "ring-order", HB_BLK_MAX_RING_ORDER);
	if (b->max_ring_order > HB_BLK_MAX_RING_ORDER)
		b->max_ring_order = HB_BLK_MAX_RING_ORDER;
	snprintf(order, sizeof(order), "%lu", b->max_ring_order);
	snprintf(ind, sizeof(ind), "%u", HB_BLK_MAX_INDIRECT);
	if (hb_create_device(d, NULL, be) || hb_set_state(d, XenbusStateInitWait))
		return -1;
	s = hb_wait_fe_state(d, 1u << XenbusStateInitialised | 1u << XenbusStateConnected |
				1u << XenbusStateClosing | 1u << XenbusStateClosed, HANDSHAKE_MS);
	if (s != XenbusStateInitialised && s != XenbusStateConnected) {
		hb_log(d, "frontend did not become Initialised");
		return -1;
	}
	if (read_ring(b))
		return -1;
	if (hb_write(d, HB_BE, "sectors", "%llu", (unsigned long long)b->sectors) ||
	    hb_write(d, HB_BE, "sector-size", "512") ||
	    hb_write(d, HB_BE, "physical-sector-size", "512") || hb_write(d, HB_BE, "info", "0") ||
	    hb_set_state(d, XenbusStateConnected))
		return -1;
	s = hb_wait_fe_state(d, 1u << XenbusStateConnected | 1u << XenbusStateClosing |
				1u << XenbusStateClosed, HANDSHAKE_MS);
	if (s != XenbusStateConnected) {
		hb_log(d, "frontend did not connect");
		return -1;
	}
	hb_log(d, "connected: %llu sectors of 512 bytes from %s",
	       (unsigned long long)b->sectors, b->fd >= 0 ? "a dom0 file" : "memory");
	return 0;
}

void hb_blk_close(struct hb_blk *b, bool keep_ring, bool skip_closing)
{
	struct hb_dev *d = b->d;

	if (!skip_closing) {
		hb_set_state(d, XenbusStateClosing);
		hb_wait_fe_state(d, 1u << XenbusStateClosed, CLOSE_MS);
	}
	if (b->sring && !keep_ring) {
		hb_unmap(d, b->sring, b->ring_pages);
		b->sring = NULL;
	}
	if (d->port_bound) {
		xenevtchn_unbind(d->xe, d->port);
		d->port_bound = false;
	}
	hb_set_state(d, XenbusStateClosed);
	hb_wait_fe_state(d, 1u << XenbusStateClosed, CLOSE_MS);
}

bool hb_blk_stop_asked(struct hb_blk *b, uint64_t *next_look)
{
	char path[128], *v;
	unsigned int len;
	int s;

	if (hb_now_ms() < *next_look)
		return false;
	*next_look = hb_now_ms() + LOOK_MS;
	s = hb_fe_state(b->d);
	snprintf(path, sizeof(path), "/local/domain/%u/data/hostile-close-%u", b->d->domid,
		 b->d->devid);
	v = xs_read(b->d->xs, XBT_NULL, path, &len);
	free(v);
	if (v) {
		hb_log(b->d, "guest asks for the close");
		return true;
	}
	if (s != XenbusStateConnected) {
		hb_log(b->d, "frontend left Connected: %s", hb_state_name(s));
		return true;
	}
	return false;
}

static void guest_path(const struct hb_blk *b, const char *name, char *path, size_t n)
{
	snprintf(path, n, "/local/domain/%u/data/%s-%u", b->d->domid, name, b->d->devid);
}

int hb_blk_wait_guest_node(struct hb_blk *b, const char *name, unsigned int ms)
{
	uint64_t end = hb_now_ms() + hb_left_ms(b->d, ms);
	char path[128];

	guest_path(b, name, path, sizeof(path));
	for (;;) {
		unsigned int len;
		char *v = xs_read(b->d->xs, XBT_NULL, path, &len);

		if (v) {
			hb_log(b->d, "guest wrote %s \"%s\"", path, v);
			free(v);
			return 1;
		}
		if (hb_now_ms() >= end) {
			hb_log(b->d, "guest did not write %s in time", path);
			return 0;
		}
		hb_sleep_ms(b->d, 50);
	}
}

void hb_blk_answer(struct hb_blk *b, const char *name, const char *fmt, ...)
{
	char node[96];
	va_list ap;

	snprintf(node, sizeof(node), "%s-%u", name, b->d->devid);
	va_start(ap, fmt);
	hb_tell_guest_v(b->d, node, fmt, ap);
	va_end(ap);
}
