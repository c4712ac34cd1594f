/*
 * tests/xen/dom0-tools/hostile-back/blk_attack.c - the block attacks: the
 * table of modes for vbd, and the run that serves the device and, from
 * its (--opt after=N, default 4)th request on (grant-keep: the first read
 * from then, whose pages are granted writable), misbehaves once in the
 * chosen way. After the attack nothing more is answered (the frontend
 * must fail what is outstanding by itself), except for "none" and
 * "event-flood", which keep serving. Then the close, and the grant count
 * the guest asks for (blk.h lists the exchange). hb_blk_run() is that
 * life around a serving loop, shared with the stalls (blk_stall.c).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blk.h"

#define WAIT_SLICE_MS		100
#define GUEST_TURN_MS		30000	/* the guest's test takes its turn within */
#define SETTLE_MS		300	/* the guest consumes what we pushed */
#define FLIP_MS			2000
#define FLOOD_MS		2000
#define FLOOD_BURST		1000
#define ALIEN_ID_OFFSET		0x10000	/* past any depth a frontend can have */
#define BAD_STATUS		7
#define MARK			"PVK-HOSTILE-BACK-KEPT-PAGE-MARK:"

/* The flip: rsp_prod and the entry's id go back and forth between a
 * correct answer and a wrong one while the guest is told to look. */
static void flip(struct hb_blk *b, blkif_response_t *rsp)
{
	volatile blkif_response_t *slot = &b->sring->ring[b->rsp_prod_pvt & (b->nr_ents - 1)].rsp;
	RING_IDX good = b->rsp_prod_pvt + 1, bad = good + 4 * b->nr_ents;
	uint64_t end = hb_now_ms() + FLIP_MS;
	unsigned long flips = 0;

	hb_blk_put_response(b, rsp);
	while (hb_now_ms() < end && !hb_expired(b->d)) {
		slot->id = rsp->id;
		hb_blk_push(b, good);
		slot->id = rsp->id + ALIEN_ID_OFFSET;
		hb_blk_push(b, bad);
		flips++;
	}
	hb_log(b->d, "flipped rsp_prod %u <-> %u and the answer's id %llu <-> %llu %lu times",
	       good, bad, (unsigned long long)rsp->id,
	       (unsigned long long)(rsp->id + ALIEN_ID_OFFSET), flips);
}

static void serve_pending(struct hb_blk *b)
{
	blkif_request_t rq;
	blkif_response_t rsp;

	while (hb_blk_next_request(b, &rq) == 1) {
		hb_blk_do_request(b, &rq, &rsp, false);
		hb_blk_put_response(b, &rsp);
		hb_blk_push(b, b->rsp_prod_pvt);
	}
}

static void flood(struct hb_blk *b)
{
	uint64_t end = hb_now_ms() + FLOOD_MS;
	unsigned long sent = 0;

	while (hb_now_ms() < end && !hb_expired(b->d)) {
		for (unsigned int i = 0; i < FLOOD_BURST; i++)
			sent += hb_notify(b->d) == 0;
		serve_pending(b);	/* the device itself keeps working */
	}
	hb_log(b->d, "flood: %lu events sent in %u ms with nothing new on the ring", sent,
	       FLOOD_MS);
}

/* The attack, on the request that triggers it. */
static void attack(struct hb_blk *b, const blkif_request_t *rq)
{
	blkif_response_t rsp;
	RING_IDX p;

	hb_blk_do_request(b, rq, &rsp, b->mode == BLK_GRANT_KEEP);
	b->attacked++;
	switch (b->mode) {
	case BLK_ID_UNKNOWN:
		rsp.id += ALIEN_ID_OFFSET;
		hb_log(b->d, "answering request %llu as id %llu", (unsigned long long)rq->id,
		       (unsigned long long)rsp.id);
		break;
	case BLK_ID_DUPLICATE:
		hb_log(b->d, "answering request %llu twice in one push", (unsigned long long)rq->id);
		hb_blk_put_response(b, &rsp);
		break;
	case BLK_ID_COMPLETED:
		hb_log(b->d, "answering request %llu, then again %u ms later",
		       (unsigned long long)rq->id, SETTLE_MS);
		hb_blk_put_response(b, &rsp);
		hb_blk_push(b, b->rsp_prod_pvt);
		hb_sleep_ms(b->d, SETTLE_MS);
		break;
	case BLK_WRONG_OP:
		rsp.operation = rsp.operation == BLKIF_OP_READ ? BLKIF_OP_WRITE : BLKIF_OP_READ;
		hb_log(b->d, "answering request %llu (operation %u) as operation %u",
		       (unsigned long long)rq->id, rq->operation, rsp.operation);
		break;
	case BLK_BAD_STATUS:
		rsp.status = BAD_STATUS;
		hb_log(b->d, "answering request %llu with status %d", (unsigned long long)rq->id,
		       BAD_STATUS);
		break;
	case BLK_RSP_AHEAD:
		hb_blk_put_response(b, &rsp);
		p = b->rsp_prod_pvt + b->nr_ents + 1;
		hb_log(b->d, "rsp_prod %u: %u past the answers, the ring holds %u", p,
		       b->nr_ents + 1, b->nr_ents);
		hb_blk_push(b, p);
		return;
	case BLK_RSP_BACKWARDS:
		hb_blk_put_response(b, &rsp);
		hb_blk_push(b, b->rsp_prod_pvt);
		hb_sleep_ms(b->d, SETTLE_MS);
		p = b->rsp_prod_pvt - 2;
		hb_log(b->d, "rsp_prod moved back from %u to %u", b->rsp_prod_pvt, p);
		hb_blk_push(b, p);
		return;
	case BLK_RSP_WRAP:
		hb_blk_put_response(b, &rsp);
		p = b->rsp_prod_pvt + 0x80000000u;
		hb_log(b->d, "rsp_prod %u: half the index space past %u", p, b->rsp_prod_pvt);
		hb_blk_push(b, p);
		return;
	case BLK_RSP_FLIP:
		flip(b, &rsp);
		return;
	case BLK_EVENT_FLOOD:
		hb_blk_put_response(b, &rsp);
		hb_blk_push(b, b->rsp_prod_pvt);
		flood(b);
		return;
	case BLK_GRANT_KEEP:
		hb_log(b->d, "request %llu left unanswered, its pages mapped; going Closed",
		       (unsigned long long)rq->id);
		return;
	case BLK_NONE:
	case BLK_SILENT:	/* the stalls have their own loop (blk_stall.c) */
	case BLK_DROP_ONE:
	case BLK_NO_NOTIFY:
	case BLK_SLOW:
		break;
	}
	hb_blk_put_response(b, &rsp);
	hb_blk_push(b, b->rsp_prod_pvt);
}

/* grant-keep keeps a read's pages: granted writable, so dom0 can write
 * its marker into them (a write's are read-only to us). */
static bool is_read(const blkif_request_t *rq)
{
	return rq->operation == BLKIF_OP_READ ||
	       (rq->operation == BLKIF_OP_INDIRECT &&
		((const struct blkif_request_indirect *)rq)->indirect_op == BLKIF_OP_READ);
}

/* Until the guest asks for the close (or the frontend leaves). */
static int serve(struct hb_blk *b)
{
	bool answering = true;
	uint64_t next_look = 0;

	for (;;) {
		blkif_request_t rq;
		int rc;

		while ((rc = hb_blk_next_request(b, &rq)) == 1) {
			blkif_response_t rsp;

			if (b->mode != BLK_NONE && !b->attacked && b->served + b->refused >= b->after &&
			    (b->mode != BLK_GRANT_KEEP || is_read(&rq))) {
				attack(b, &rq);
				answering = b->mode == BLK_EVENT_FLOOD;
				if (b->mode == BLK_GRANT_KEEP)
					return 0;
				continue;
			}
			if (!answering)
				continue;	/* left for the frontend to fail */
			hb_blk_do_request(b, &rq, &rsp, false);
			hb_blk_put_response(b, &rsp);
			hb_blk_push(b, b->rsp_prod_pvt);
		}
		if (rc < 0)
			answering = false;
		if (hb_blk_stop_asked(b, &next_look))
			return 0;
		if (hb_expired(b->d))
			return -1;
		hb_evtchn_wait(b->d, WAIT_SLICE_MS);
	}
}

/* grant-keep: the marker written into every page still mapped once the
 * guest has torn the device down and taken fresh pages of its own. */
static void mark_kept(struct hb_blk *b)
{
	size_t n = strlen(MARK);
	unsigned int pages = 0;

	if (hb_blk_wait_guest_node(b, "hostile-mark", GUEST_TURN_MS) != 1)
		return;
	if (b->sring) {
		for (size_t o = 0; o + n <= (size_t)b->ring_pages * HB_PAGE_SIZE; o += n)
			memcpy((uint8_t *)b->sring + o, MARK, n);
		pages += b->ring_pages;
	}
	if (b->kept_data) {
		for (size_t o = 0; o + n <= (size_t)b->kept_data_pages * HB_PAGE_SIZE; o += n)
			memcpy((uint8_t *)b->kept_data + o, MARK, n);
		pages += b->kept_data_pages;
	}
	hb_blk_answer(b, "hostile-marked", "marked %u ring and %u data pages; grants-to-dom0: %ld",
		      b->sring ? b->ring_pages : 0, b->kept_data ? b->kept_data_pages : 0,
		      hb_count_guest_grants(b->d));
	(void)pages;
	if (hb_blk_wait_guest_node(b, "hostile-release", GUEST_TURN_MS) != 1)
		hb_log(b->d, "releasing the kept pages anyway");
	if (b->kept_data)
		hb_unmap(b->d, b->kept_data, b->kept_data_pages);
	if (b->sring)
		hb_unmap(b->d, b->sring, b->ring_pages);
	b->kept_data = NULL;
	b->sring = NULL;
	hb_log(b->d, "kept pages unmapped");
}

static int open_disk(struct hb_blk *b)
{
	const char *file = hb_opt(b->d, "file", NULL);

	b->fd = -1;
	b->sectors = hb_opt_ulong(b->d, "sectors", 8192);
	b->after = hb_opt_ulong(b->d, "after", 4);
	if (file) {
		off_t size;

		b->fd = open(file, O_RDWR);
		size = b->fd < 0 ? -1 : lseek(b->fd, 0, SEEK_END);
		if (size < 512) {
			hb_log(b->d, "cannot use %s as the disk", file);
			return -1;
		}
		b->sectors = (uint64_t)size / 512;
		return 0;
	}
	b->mem = calloc(b->sectors, 512);
	return b->mem ? 0 : -1;
}

int hb_blk_run(struct hb_dev *d, int (*serve)(struct hb_blk *b))
{
	struct hb_blk b = { .d = d, .mode = (enum hb_blk_mode)d->attack->mode };
	long n;
	int rc;

	if (open_disk(&b))
		return HB_EXIT_FAIL;
	rc = hb_blk_connect(&b);
	if (!rc)
		rc = serve(&b);
	hb_log(d, "served %lu request(s) (%lu indirect), refused %lu, attacks %lu", b.served,
	       b.indirect, b.refused, b.attacked);
	if (b.mode == BLK_GRANT_KEEP && !rc) {
		hb_blk_close(&b, true, true);
		mark_kept(&b);
	} else {
		hb_blk_close(&b, false, false);
	}
	if (b.kept_data)
		hb_unmap(d, b.kept_data, b.kept_data_pages);
	hb_remove_device(d);
	if (hb_blk_wait_guest_node(&b, "hostile-count", GUEST_TURN_MS) == 1) {
		n = hb_count_guest_grants(d);
		hb_blk_answer(&b, "hostile-grants", "grants-to-dom0: %ld", n);
	}
	free(b.mem);
	if (b.fd >= 0)
		close(b.fd);
	return rc ? HB_EXIT_FAIL : HB_EXIT_OK;
}

static int blk_run(struct hb_dev *d)
{
	return hb_blk_run(d, serve);
}

static const struct hb_attack blk_attacks[] = {
	{ "none", "vbd", BLK_NONE, blk_run, "serves the disk correctly" },
	{ "id-unknown", "vbd", BLK_ID_UNKNOWN, blk_run, "answers with an id never sent" },
	{ "id-duplicate", "vbd", BLK_ID_DUPLICATE, blk_run, "answers one request twice in one push" },
	{ "id-completed", "vbd", BLK_ID_COMPLETED, blk_run,
	  "answers a request, then answers its id again once it completed" },
	{ "wrong-op", "vbd", BLK_WRONG_OP, blk_run, "answers with another operation" },
	{ "bad-status", "vbd", BLK_BAD_STATUS, blk_run, "answers with status 7" },
	{ "rsp-ahead", "vbd", BLK_RSP_AHEAD, blk_run, "rsp_prod jumps more than the ring size ahead" },
	{ "rsp-backwards", "vbd", BLK_RSP_BACKWARDS, blk_run,
	  "rsp_prod moves back below what the guest consumed" },
	{ "rsp-wrap", "vbd", BLK_RSP_WRAP, blk_run, "rsp_prod half the 32-bit index space away" },
	{ "rsp-flip", "vbd", BLK_RSP_FLIP, blk_run,
	  "rsp_prod and an answer's id flip between right and wrong for 2 s" },
	{ "event-flood", "vbd", BLK_EVENT_FLOOD, blk_run,
	  "2 s of events with nothing on the ring, serving correctly otherwise" },
	{ "grant-keep", "vbd", BLK_GRANT_KEEP, blk_run,
	  "keeps the ring and a request's pages mapped past the close, then writes into them" },
	{ NULL, NULL, 0, NULL, NULL },
};
HB_ATTACKS(blk_attacks)
