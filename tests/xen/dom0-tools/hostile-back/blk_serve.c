/*
 * tests/xen/dom0-tools/hostile-back/blk_serve.c - serving blkif requests
 * correctly: each request copied off the ring once and checked (operation,
 * segment count and sectors, indirect pages), its data pages mapped with
 * libxengnttab and copied to or from the disk (memory, or a dom0 file),
 * then answered. The attacks (blk_attack.c) decide what goes on the ring.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "blk.h"

#define SECT	512u

int hb_blk_next_request(struct hb_blk *b, blkif_request_t *rq)
{
	RING_IDX prod = ((volatile blkif_sring_t *)b->sring)->req_prod;

	if (prod == b->req_cons) {
		/* Ask for an event at the next request, then look again. */
		b->sring->req_event = b->req_cons + 1;
		__sync_synchronize();
		prod = ((volatile blkif_sring_t *)b->sring)->req_prod;
		if (prod == b->req_cons)
			return 0;
	}
	if (prod - b->req_cons > b->nr_ents) {
		hb_log(b->d, "frontend req_prod %u with %u consumed: more than the ring holds",
		       prod, b->req_cons);
		return -1;
	}
	__sync_synchronize();	/* the entry after the index */
	memcpy(rq, &b->sring->ring[b->req_cons & (b->nr_ents - 1)].req, sizeof(*rq));
	b->req_cons++;
	return 1;
}

/* The data pages of a request: their refs and sector ranges, checked. */
struct segs {
	unsigned int n;
	uint32_t ref[HB_BLK_MAX_INDIRECT];
	uint8_t first[HB_BLK_MAX_INDIRECT], last[HB_BLK_MAX_INDIRECT];
};

static int add_seg(struct hb_blk *b, struct segs *s, const struct blkif_request_segment *g)
{
	if (g->first_sect > g->last_sect || (unsigned int)g->last_sect >= HB_PAGE_SIZE / SECT) {
		hb_log(b->d, "segment sectors %u..%u of a page: refused", g->first_sect,
		       g->last_sect);
		return -1;
	}
	s->ref[s->n] = g->gref;
	s->first[s->n] = g->first_sect;
	s->last[s->n] = g->last_sect;
	s->n++;
	return 0;
}

/* The segments of an indirect request, from its indirect pages. */
static int indirect_segs(struct hb_blk *b, const struct blkif_request_indirect *ind,
			 struct segs *s)
{
	unsigned int nseg = ind->nr_segments;
	unsigned int npages = (nseg + HB_BLK_SEGS_PER_PAGE - 1) / HB_BLK_SEGS_PER_PAGE;
	uint32_t refs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
	const struct blkif_request_segment *g;
	int rc = 0;

	if (!nseg || nseg > HB_BLK_MAX_INDIRECT || npages > BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST) {
		hb_log(b->d, "indirect request of %u segments: refused", nseg);
		return -1;
	}
	memcpy(refs, ind->indirect_grefs, sizeof(refs[0]) * npages);
	g = hb_map(b->d, refs, npages, false);
	if (!g)
		return -1;
	for (unsigned int i = 0; i < nseg && !rc; i++) {
		struct blkif_request_segment one = ((volatile struct blkif_request_segment *)g)[i];

		rc = add_seg(b, s, &one);
	}
	hb_unmap(b->d, (void *)g, npages);
	b->indirect++;
	return rc;
}

static int disk_io(struct hb_blk *b, bool write, uint64_t sector, uint8_t *buf, size_t len)
{
	if (sector > b->sectors || len / SECT > b->sectors - sector) {
		hb_log(b->d, "I/O at sector %llu, %zu bytes: past the disk's end",
		       (unsigned long long)sector, len);
		return -1;
	}
	if (b->fd < 0) {
		if (write)
			memcpy(b->mem + sector * SECT, buf, len);
		else
			memcpy(buf, b->mem + sector * SECT, len);
		return 0;
	}
	if ((write ? pwrite(b->fd, buf, len, (off_t)(sector * SECT)) :
		     pread(b->fd, buf, len, (off_t)(sector * SECT))) != (ssize_t)len) {
		hb_log(b->d, "file I/O at sector %llu: %s", (unsigned long long)sector,
		       strerror(errno));
		return -1;
	}
	return 0;
}

/* Maps the data pages and moves the data; keep leaves them mapped. */
static int data_io(struct hb_blk *b, bool write, uint64_t sector, const struct segs *s, bool keep)
{
	uint8_t *pages = hb_map(b->d, s->ref, s->n, !write);
	int rc = 0;

	if (!pages)
		return -1;
	for (unsigned int i = 0; i < s->n && !rc; i++) {
		size_t len = (size_t)(s->last[i] - s->first[i] + 1) * SECT;

		rc = disk_io(b, write, sector, pages + (size_t)i * HB_PAGE_SIZE + s->first[i] * SECT,
			     len);
		sector += len / SECT;
	}
	if (keep && !b->kept_data) {
		b->kept_data = pages;
		b->kept_data_pages = s->n;
		hb_log(b->d, "keeping the request's %u data page(s) mapped", s->n);
	} else {
		hb_unmap(b->d, pages, s->n);
	}
	return rc;
}

void hb_blk_do_request(struct hb_blk *b, const blkif_request_t *rq, blkif_response_t *rsp,
		       bool keep)
{
	struct segs s = { .n = 0 };
	uint8_t op = rq->operation;
	int rc = 0;

	rsp->id = rq->id;
	rsp->operation = op;
	rsp->status = BLKIF_RSP_OKAY;
	switch (op) {
	case BLKIF_OP_READ:
	case BLKIF_OP_WRITE:
		if (!rq->nr_segments || rq->nr_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST) {
			hb_log(b->d, "request of %u segments: refused", rq->nr_segments);
			rc = -1;
		}
		for (unsigned int i = 0; !rc && i < (unsigned int)rq->nr_segments; i++)
			rc = add_seg(b, &s, &rq->seg[i]);
		if (!rc)
			rc = data_io(b, op == BLKIF_OP_WRITE, rq->sector_number, &s, keep);
		break;
	case BLKIF_OP_INDIRECT: {
		const struct blkif_request_indirect *ind = (const void *)rq;

		/* The answer names the indirect operation, as blkback's does. */
		if (ind->indirect_op != BLKIF_OP_READ && ind->indirect_op != BLKIF_OP_WRITE) {
			hb_log(b->d, "indirect operation %u: refused", ind->indirect_op);
			rc = -1;
		}
		rsp->operation = ind->indirect_op;
		if (!rc)
			rc = indirect_segs(b, ind, &s);
		if (!rc)
			rc = data_io(b, ind->indirect_op == BLKIF_OP_WRITE, ind->sector_number, &s,
				     keep);
		break;
	}
	case BLKIF_OP_FLUSH_DISKCACHE:
		if (b->fd >= 0 && fsync(b->fd))
			rc = -1;
		break;
	default:
		hb_log(b->d, "operation %u not offered", op);
		rsp->status = BLKIF_RSP_EOPNOTSUPP;
		b->refused++;
		return;
	}
	if (rc) {
		rsp->status = BLKIF_RSP_ERROR;
		b->refused++;
	} else {
		b->served++;
	}
}

void hb_blk_put_response(struct hb_blk *b, const blkif_response_t *rsp)
{
	memcpy(&b->sring->ring[b->rsp_prod_pvt & (b->nr_ents - 1)].rsp, rsp, sizeof(*rsp));
	b->rsp_prod_pvt++;
}

void hb_blk_publish(struct hb_blk *b, RING_IDX prod)
{
	__sync_synchronize();	/* the entries before the index */
	((volatile blkif_sring_t *)b->sring)->rsp_prod = prod;
	__sync_synchronize();
}

void hb_blk_push(struct hb_blk *b, RING_IDX prod)
{
	hb_blk_publish(b, prod);
	hb_notify(b->d);
}
