/*
 * tests/guest/cases/blkfront_io.c - the request engine of the blkfront
 * data tests (blkfront_io.h): whole-disk passes of requests of every shape
 * over every queue with back-pressure, filling a queue to its depth, the
 * negotiated features against what each side wrote in xenstore, and the
 * driver's counts against the engine's own.
 *
 * Request shapes come from a seeded generator, so a read pass cuts the
 * disk at other places than the write pass before it: one sector, a few,
 * up to 64 KiB, exactly 11 and 12 pages (the edge of what a request
 * carries without indirect descriptors), up to info->max_bytes; one buffer
 * at any byte address, or up to 64 scatter-gather pieces of 512-multiple
 * lengths at odd addresses, laid out in memory in shuffled order with gaps.
 * Bytes around and between a read's pieces hold a canary the driver must
 * not touch.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "blkfront_io.h"

#ifdef CONFIG_PVK_BLKFRONT

#define PAGE		4096u
#define DIRECT_SEGS	11		/* BLKIF_MAX_SEGMENTS_PER_REQUEST */
#define SMALL_MAX	(64u * 1024)	/* data bytes of a small slot */
#define BIG_MAX		(1024u * 1024)	/* data bytes of a big slot */
#define MAX_SG		64
#define GAP_MAX		1024u		/* bytes between pieces, at most */
#define SMALL_SLOT	(SMALL_MAX + 16 * GAP_MAX)
#define BIG_SLOT	(BIG_MAX + (MAX_SG + 4) * GAP_MAX)
#define NR_BIG		2
#define NCTX		50		/* slots 0, 1 big, the rest small */
#define ARENA_BYTES	(NR_BIG * BIG_SLOT + (NCTX - NR_BIG) * SMALL_SLOT)
#define ARENA_PAGES	((ARENA_BYTES + PAGE - 1) / PAGE)
#define CANARY		0xa5
#define FILL_MAX	1024

struct ctx {
	struct pvk_blk_req req;
	struct pvk_blk_seg sg[MAX_SG];
	uint8_t *slot;
	size_t slot_len, used;		/* bytes of the slot this request spans */
	bool busy, done;
	int status;
};

static struct ctx ctxs[NCTX];
static struct pvk_wait done_wait;
static bool wait_ready;

static void wait_init(void)
{
	if (!wait_ready) {
		pvk_port_wait_init(&done_wait);
		wait_ready = true;
	}
}

/* ---- the arena -------------------------------------------------------- */

/* ARENA_PAGES consecutive pages: the allocator hands out its ranges in
 * address order once its free list is empty, so take pages until a run is
 * long enough and give back the rest. */
uint8_t *blkt_arena(size_t *bytes)
{
	static uint8_t *arena;
	uint8_t *run = NULL, *spare = NULL;
	size_t len = 0;

	*bytes = ARENA_BYTES;
	if (arena)
		return arena;
	while (len < ARENA_PAGES) {
		uint8_t *p = pvk_port_alloc_page();

		if (!p)
			break;
		if (run && p == run + len * PAGE) {
			len++;
			continue;
		}
		for (size_t i = 0; i < len; i++) {	/* not contiguous: spare */
			*(uint8_t **)(run + i * PAGE) = spare;
			spare = run + i * PAGE;
		}
		run = p;
		len = 1;
	}
	while (spare) {
		uint8_t *next = *(uint8_t **)spare;

		pvk_port_free_page(spare);
		spare = next;
	}
	if (len < ARENA_PAGES) {
		for (size_t i = 0; i < len; i++)
			pvk_port_free_page(run + i * PAGE);
		guest_printf("blkfront: no %u contiguous pages for the test's buffers\n",
			     ARENA_PAGES);
		return NULL;
	}
	arena = run;
	for (unsigned int i = 0; i < NCTX; i++) {
		ctxs[i].slot = arena + (i < NR_BIG ? i * BIG_SLOT :
					NR_BIG * BIG_SLOT + (i - NR_BIG) * SMALL_SLOT);
		ctxs[i].slot_len = i < NR_BIG ? BIG_SLOT : SMALL_SLOT;
	}
	return arena;
}

/* ---- small helpers ---------------------------------------------------- */

static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

bool blkt_contains(const char *s, const char *sub)
{
	size_t n = 0;

	while (sub[n])
		n++;
	for (; *s; s++)
		if (!guest_strncmp(s, sub, n))
			return true;
	return false;
}

long blkt_backend_key(const struct blkt_disk *d, const char *name)
{
	char path[128];
	unsigned long v;

	pvk_snprintf(path, sizeof(path), "%s/%s", d->backend, name);
	return pvk_xs_read_ulong(PVK_XBT_NIL, path, &v) ? -1 : (long)v;
}

static long frontend_key(const struct blkt_disk *d, const char *name)
{
	char path[96];
	unsigned long v;

	pvk_snprintf(path, sizeof(path), "device/vbd/%u/%s", d->vdev, name);
	return pvk_xs_read_ulong(PVK_XBT_NIL, path, &v) ? -1 : (long)v;
}

static size_t req_bytes(const struct pvk_blk_req *req)
{
	size_t n = 0;

	if (!req->sg)
		return req->len;
	for (unsigned int i = 0; i < req->nr_sg; i++)
		n += req->sg[i].len;
	return n;
}

void blkt_count(struct blkt_disk *d, const struct pvk_blk_req *req)
{
	unsigned int q = req->queue % d->info->nr_queues;

	d->reqs[q < BLKT_MAX_QUEUES ? q : 0]++;
	d->reqs_total++;
	if ((unsigned int)req->op < PVK_ARRAY_SIZE(d->op_reqs)) {
		d->op_reqs[req->op]++;
		if (req->op != PVK_BLK_FLUSH && req->op != PVK_BLK_DISCARD)
			d->op_sects[req->op] += req_bytes(req) / 512;
	}
	if (req->op == PVK_BLK_READ || req->op == PVK_BLK_WRITE ||
	    req->op == PVK_BLK_WRITE_BARRIER) {
		uint64_t pages = (req_bytes(req) + PAGE - 1) / PAGE;

		d->pages += pages;
		d->data_reqs_over_direct += pages > DIRECT_SEGS;
	}
}

static void ctx_done(struct pvk_blk_req *req, int status)
{
	struct ctx *c = req->arg;

	c->status = status;
	PVK_WRITE_ONCE(c->done, true);
	pvk_port_wake(&done_wait);
}

/* ---- connecting ------------------------------------------------------- */

int blkt_connect(struct blkt_disk *d, unsigned int vdev)
{
	char path[64];
	int rc;

	wait_init();
	__builtin_memset(d, 0, sizeof(*d));
	d->vdev = vdev;
	/* xvda is 51712 = 202 << 8: 16 minors a disk. */
	pvk_snprintf(d->name, sizeof(d->name), "xvd%c", 'a' + (int)((vdev & 0xff) >> 4));
	rc = pvk_blkfront_wait_connected(vdev, BLKT_WAIT_NS, &d->dev);
	if (rc) {
		guest_printf("blkfront: %s (%u) did not connect: %d\n", d->name, vdev, rc);
		return rc;
	}
	d->info = pvk_blkfront_info(d->dev);
	pvk_snprintf(path, sizeof(path), "device/vbd/%u/backend", vdev);
	rc = pvk_xs_read(PVK_XBT_NIL, path, d->backend, sizeof(d->backend));
	if (rc < 0) {
		guest_printf("blkfront: %s: no backend path: %d\n", d->name, rc);
		return rc;
	}
	pvk_blkfront_get_stats(d->dev, &d->base);
	for (unsigned int q = 0; q < d->info->nr_queues && q < BLKT_MAX_QUEUES; q++)
		pvk_blkfront_get_queue_stats(d->dev, q, &d->qbase[q]);
	return 0;
}

/* ---- one request at a time -------------------------------------------- */

static bool ctx_is_done(void *arg)
{
	return PVK_READ_ONCE(((struct ctx *)arg)->done);
}

int blkt_one(struct blkt_disk *d, struct pvk_blk_req *req)
{
	struct ctx c = { .done = false };
	int rc;

	wait_init();
	req->done = ctx_done;
	req->arg = &c;
	while ((rc = pvk_blkfront_submit(d->dev, req)) == -PVK_XEN_EAGAIN) {
		d->eagain_seen++;
		rc = pvk_blkfront_wait_slot(d->dev, req->queue, BLKT_WAIT_NS);
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	blkt_count(d, req);
	if (pvk_port_wait_until(&done_wait, ctx_is_done, &c, BLKT_WAIT_NS)) {
		guest_printf("blkfront: %s: request not answered in 30 s\n", d->name);
		return -PVK_XEN_ETIMEDOUT;
	}
	return c.status;
}

/* ---- whole-disk passes ------------------------------------------------ */

static bool in_hole(const struct blkt_disk *d, uint64_t o)
{
	for (unsigned int i = 0; i < d->nr_holes; i++)
		if (o >= d->holes[i].off && o - d->holes[i].off < d->holes[i].len)
			return true;
	return false;
}

/* For a wrong sector read at disk byte o: where on the disk (within
 * 4 MiB) those 512 bytes live, if anywhere, or whether they are zero. */
static void whence(const struct blkt_disk *d, const uint8_t *p, uint64_t o)
{
	uint64_t size = d->info->sectors * 512;
	bool zero = true;

	for (size_t k = 0; k < 512; k++)
		zero &= p[k] == 0;
	for (int64_t s = -(4 << 20); s <= (4 << 20) && !zero; s += 512) {
		uint64_t at = o + (uint64_t)s;
		size_t k = 0;

		if ((int64_t)o + s < 0 || at + 512 > size)
			continue;
		while (k < 512 && p[k] == blkt_pattern_byte(at + k))
			k++;
		if (k == 512) {
			guest_printf("blkfront: %s: the 512 bytes read for byte %llu are the disk's at byte %llu\n",
				     d->name, (unsigned long long)o, (unsigned long long)at);
			return;
		}
	}
	guest_printf("blkfront: %s: the 512 bytes read for byte %llu are %s\n", d->name,
		     (unsigned long long)o, zero ? "zeroes" : "no disk sector within 4 MiB");
}

/* Compares one piece read at disk byte base; 0 or -EIO (printed). */
static int check_piece(struct blkt_disk *d, const uint8_t *p, size_t len, uint64_t base)
{
	for (size_t j = 0; j < len; j += 512) {
		uint64_t o = base + j;

		if (d->nr_holes && in_hole(d, o)) {
			bool zero = true, old = true;

			for (size_t k = 0; k < 512; k++) {
				zero &= p[j + k] == 0;
				old &= p[j + k] == blkt_pattern_byte(o + k);
			}
			d->hole_zero += zero;
			d->hole_old += old && !zero;
			d->hole_other += !old && !zero;
			if (d->holes_zero && !zero) {
				guest_printf("blkfront: %s: discarded sector at byte %llu does not read as zeroes, as dom0 sees it\n",
					     d->name, (unsigned long long)o);
				return -PVK_XEN_EIO;
			}
			continue;
		}
		for (size_t k = 0; k < 512; k++) {
			if (p[j + k] != blkt_pattern_byte(o + k)) {
				guest_printf("blkfront: %s: read back byte %llu: 0x%02x, wrote 0x%02x\n",
					     d->name, (unsigned long long)(o + k), p[j + k],
					     blkt_pattern_byte(o + k));
				whence(d, p + j, o);
				return -PVK_XEN_EIO;
			}
		}
	}
	return 0;
}

/* A finished request: its status, and a read's data and canaries. */
static int finish(struct blkt_disk *d, struct ctx *c)
{
	const struct pvk_blk_req *r = &c->req;
	uint64_t base = r->sector * 512;
	bool is_read = r->op == PVK_BLK_READ;
	size_t at = 0;

	c->busy = false;
	if (c->status) {
		guest_printf("blkfront: %s: %s of %zu bytes (%u pieces) at sector %llu failed: %d\n",
			     d->name, is_read ? "read" : "write", req_bytes(r), r->sg ? r->nr_sg : 1,
			     (unsigned long long)r->sector, c->status);
		return c->status;
	}
	if (!is_read)
		return 0;
	if (!r->sg) {
		int rc = check_piece(d, r->buf, r->len, base);

		if (rc)
			guest_printf("blkfront: %s: in a read of %zu bytes at sector %llu on queue %u (one buffer)\n",
				     d->name, r->len, (unsigned long long)r->sector,
				     r->queue % d->info->nr_queues);
		return rc;
	}
	for (unsigned int i = 0; i < r->nr_sg; i++) {
		int rc = check_piece(d, r->sg[i].buf, r->sg[i].len, base + at);

		if (rc) {
			guest_printf("blkfront: %s: in piece %u of %u (%zu bytes at disk byte %llu) of a read of %zu bytes at sector %llu on queue %u\n",
				     d->name, i, r->nr_sg, r->sg[i].len,
				     (unsigned long long)(base + at), req_bytes(r),
				     (unsigned long long)r->sector, r->queue % d->info->nr_queues);
			return rc;
		}
		at += r->sg[i].len;
	}
	/* Every byte of the slot span that is no piece still holds the canary. */
	for (size_t k = 0; k < c->used; k++) {
		bool piece = false;

		for (unsigned int i = 0; i < r->nr_sg && !piece; i++)
			piece = c->slot + k >= (uint8_t *)r->sg[i].buf &&
				c->slot + k < (uint8_t *)r->sg[i].buf + r->sg[i].len;
		if (!piece && c->slot[k] != CANARY) {
			size_t last = k, bad = 0;

			for (size_t m = k; m < c->used; m++) {
				bool in = false;

				for (unsigned int i = 0; i < r->nr_sg && !in; i++)
					in = c->slot + m >= (uint8_t *)r->sg[i].buf &&
					     c->slot + m < (uint8_t *)r->sg[i].buf + r->sg[i].len;
				if (!in && c->slot[m] != CANARY) {
					last = m;
					bad++;
				}
			}
			guest_printf("blkfront: %s: a read of %zu bytes in %u pieces at sector %llu on queue %u wrote outside its pieces: %zu bytes between slot bytes %zu and %zu (first piece at slot byte %zu, %zu bytes)\n",
				     d->name, req_bytes(r), r->nr_sg, (unsigned long long)r->sector,
				     r->queue % d->info->nr_queues, bad, k, last,
				     (size_t)((uint8_t *)r->sg[0].buf - c->slot), r->sg[0].len);
			whence(d, c->slot + k, 0);
			return -PVK_XEN_EIO;
		}
	}
	return 0;
}

/* Fills p (len bytes, disk byte base) for op: the pattern, or a read's
 * poison. */
static void prepare(enum pvk_blk_op op, uint8_t *p, size_t len, uint64_t base)
{
	if (op == PVK_BLK_READ) {
		__builtin_memset(p, 0xee, len);
		return;
	}
	for (size_t j = 0; j < len; j++)
		p[j] = blkt_pattern_byte(base + j);
}

/* Builds the next request into c at pos (512-byte sectors): len bytes
 * (a sector-size multiple), kind 0 one buffer, 1 pieces. */
static void build(struct ctx *c, enum pvk_blk_op op, uint64_t pos, size_t len,
		  bool pieces, uint64_t *seed)
{
	struct pvk_blk_req *r = &c->req;
	unsigned int n = 0, order[MAX_SG];
	size_t left = len, at, gap;

	*r = (struct pvk_blk_req){ .op = op, .sector = pos, .done = ctx_done, .arg = c };
	if (!pieces) {
		size_t off = rnd(seed) % PAGE;	/* any byte address */

		r->buf = c->slot + off;
		r->len = len;
		c->used = off + len;
		if (op == PVK_BLK_READ)
			__builtin_memset(c->slot, CANARY, c->used);
		prepare(op, r->buf, len, pos * 512);
		return;
	}
	/* Cut len into pieces of 1..N sectors of 512 bytes; the last takes
	 * what is left when MAX_SG is reached. */
	while (left) {
		size_t unit = c->slot_len == BIG_SLOT ? 32 : 8;
		size_t p = 512 * (1 + rnd(seed) % unit);

		if (p > left || n == MAX_SG - 1)
			p = left;
		c->sg[n].len = p;
		order[n] = n;
		n++;
		left -= p;
	}
	for (unsigned int i = n - 1; i > 0; i--) {	/* shuffle the layout */
		unsigned int j = (unsigned int)(rnd(seed) % (i + 1)), t = order[i];

		order[i] = order[j];
		order[j] = t;
	}
	/* Odd places, gaps between, all inside the slot: the pieces, a first
	 * offset below a page and n gaps of at most gap bytes. */
	gap = (c->slot_len - PAGE - len) / n;
	if (gap > GAP_MAX)
		gap = GAP_MAX;
	at = 1 + rnd(seed) % (PAGE - 1);
	for (unsigned int i = 0; i < n; i++) {
		c->sg[order[i]].buf = c->slot + at;
		at += c->sg[order[i]].len + (gap ? rnd(seed) % gap : 0);
	}
	c->used = at;
	if (op == PVK_BLK_READ)
		__builtin_memset(c->slot, CANARY, c->used);
	at = 0;
	for (unsigned int i = 0; i < n; i++) {
		prepare(op, c->sg[i].buf, c->sg[i].len, pos * 512 + at);
		at += c->sg[i].len;
	}
	r->sg = c->sg;
	r->nr_sg = n;
}

/* The next shape: bytes (a multiple of ss, at most limit) and whether in
 * pieces; big says whether it needs a big slot. */
static size_t shape(uint64_t *seed, size_t ss, size_t maxb, bool *pieces, bool *big)
{
	size_t len;

	*pieces = false;
	switch (rnd(seed) % 9) {
	case 0:
		len = ss;
		break;
	case 1:
		len = ss * (1 + rnd(seed) % 8);
		break;
	case 2:
		len = ss * (1 + rnd(seed) % (SMALL_MAX / ss));
		break;
	case 3:
		len = maxb;
		break;
	case 4:
		len = ss * (1 + rnd(seed) % (maxb / ss));
		break;
	case 5:
		len = (DIRECT_SEGS + rnd(seed) % 2) * PAGE;	/* 11 or 12 pages */
		break;
	case 6:
		len = ss * (1 + rnd(seed) % (SMALL_MAX / ss));
		*pieces = true;
		break;
	case 7:
		len = ss * (1 + rnd(seed) % (maxb / ss));
		*pieces = true;
		break;
	default:
		len = ss * (1 + rnd(seed) % (16 * 1024 / ss));
		*pieces = true;
		break;
	}
	if (len > maxb)
		len = maxb;
	*big = len > SMALL_MAX;
	return len;
}

static bool any_done(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < NCTX; i++)
		if (ctxs[i].busy && PVK_READ_ONCE(ctxs[i].done))
			return true;
	return false;
}

int blkt_pass(struct blkt_disk *d, enum pvk_blk_op op, uint64_t seed,
	      unsigned long *nreq)
{
	const struct pvk_blkfront_info *info = d->info;
	uint64_t total = info->sectors, pos = 0, k = 0;
	size_t ss = info->sector_size, maxb = info->max_bytes, arena_len;
	int rc;

	*nreq = 0;
	if (!blkt_arena(&arena_len))
		return -PVK_XEN_ENOMEM;
	if (maxb > BIG_MAX)
		maxb = BIG_MAX;		/* the test's buffers; say so below */
	seed = seed * 0x9e3779b97f4a7c15ULL + d->vdev;
	for (;;) {
		struct ctx *c = NULL;
		bool busy = false, pieces, big;
		size_t len;

		for (unsigned int i = 0; i < NCTX; i++) {
			if (ctxs[i].busy && PVK_READ_ONCE(ctxs[i].done)) {
				rc = finish(d, &ctxs[i]);
				if (rc)
					return rc;
			}
			busy |= ctxs[i].busy;
		}
		if (pos >= total && !busy)
			return 0;
		if (pos < total) {
			uint64_t s0 = seed;

			len = shape(&seed, ss, maxb, &pieces, &big);
			if ((total - pos) * 512 < len)
				len = (size_t)(total - pos) * 512;
			for (unsigned int i = big ? 0 : NR_BIG; i < NCTX && !c; i++)
				if (!ctxs[i].busy && (big ? i < NR_BIG : true))
					c = &ctxs[i];
			if (!c) {
				seed = s0;	/* the same shape once a slot frees */
			} else {
				build(c, op, pos, len, pieces, &seed);
				c->req.queue = (unsigned int)(k % 5);	/* modulo nr_queues */
				if (!pvk_blkfront_fits(d->dev, &c->req)) {
					guest_printf("blkfront: %s: %zu bytes in %u pieces does not fit (max %zu)\n",
						     d->name, len, c->req.sg ? c->req.nr_sg : 1,
						     info->max_bytes);
					return -PVK_XEN_EINVAL;
				}
				c->done = false;
				c->busy = true;
				rc = pvk_blkfront_submit(d->dev, &c->req);
				if (rc == 0) {
					blkt_count(d, &c->req);
					pos += len / 512;
					k++;
					(*nreq)++;
					continue;
				}
				c->busy = false;
				seed = s0;
				if (rc != -PVK_XEN_EAGAIN) {
					guest_printf("blkfront: %s: submit of %zu bytes at sector %llu: %d\n",
						     d->name, len, (unsigned long long)pos, rc);
					return rc;
				}
				/* Back-pressure: the queue is full until one completes. */
				d->eagain_seen++;
				rc = pvk_blkfront_wait_slot(d->dev, c->req.queue, BLKT_WAIT_NS);
				if (rc) {
					guest_printf("blkfront: %s: wait_slot: %d\n", d->name, rc);
					return rc;
				}
				continue;
			}
		}
		if (pvk_port_wait_until(&done_wait, any_done, NULL, BLKT_WAIT_NS)) {
			guest_printf("blkfront: %s: no completion in 30 s\n", d->name);
			return -PVK_XEN_ETIMEDOUT;
		}
	}
}

/* ---- filling a queue -------------------------------------------------- */

struct fill {
	struct pvk_blk_req req;
	bool done;
	int status;
};

static unsigned int fill_done;

static void fill_cb(struct pvk_blk_req *req, int status)
{
	struct fill *f = req->arg;

	f->status = status;
	PVK_WRITE_ONCE(f->done, true);
	PVK_WRITE_ONCE(fill_done, fill_done + 1);
	pvk_port_wake(&done_wait);
}

static unsigned int fill_target;

static bool fill_all_done(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(fill_done) >= fill_target;
}

int blkt_fill_queue(struct blkt_disk *d, unsigned int q, unsigned int *accepted)
{
	const struct pvk_blkfront_info *info = d->info;
	size_t ss = info->sector_size, arena_len;
	uint64_t nss = info->sectors / (ss / 512), stride;
	uint8_t *arena = blkt_arena(&arena_len);
	struct fill *f;
	uint8_t *data;
	unsigned int n = 0;
	int rc = 0;

	*accepted = 0;
	if (!arena)
		return -PVK_XEN_ENOMEM;
	f = (struct fill *)arena;
	data = arena + ((FILL_MAX * sizeof(*f) + PAGE - 1) & ~(size_t)(PAGE - 1));
	if (data + (FILL_MAX + 1) * ss > arena + arena_len || info->depth >= FILL_MAX ||
	    nss < FILL_MAX + 1) {
		guest_printf("blkfront: %s: depth %u or disk too large for the fill test\n",
			     d->name, info->depth);
		return -PVK_XEN_E2BIG;
	}
	stride = nss / (FILL_MAX + 1);
	fill_done = 0;
	/* Masked: no response can be taken, so nothing completes meanwhile
	 * and the queue must refuse exactly the request after depth. */
	pvk_irq_disable();
	for (;;) {
		uint64_t at = (n * stride + q) % nss;

		f[n] = (struct fill){ .req = {
			.op = PVK_BLK_WRITE, .sector = at * (ss / 512),
			.buf = data + n * ss, .len = ss, .queue = q,
			.done = fill_cb, .arg = &f[n] } };
		prepare(PVK_BLK_WRITE, data + n * ss, ss, at * ss);
		rc = pvk_blkfront_submit(d->dev, &f[n].req);
		if (rc)
			break;
		blkt_count(d, &f[n].req);
		if (++n == FILL_MAX)
			break;
	}
	*accepted = n - PVK_READ_ONCE(fill_done);
	pvk_irq_enable();
	if (rc != -PVK_XEN_EAGAIN) {
		guest_printf("blkfront: %s: queue %u: %u requests in, then %d (want EAGAIN at depth %u)\n",
			     d->name, q, n, rc, info->depth);
		return rc ? rc : -PVK_XEN_EIO;
	}
	d->eagain_seen++;
	rc = pvk_blkfront_wait_slot(d->dev, q, BLKT_WAIT_NS);
	if (rc) {
		guest_printf("blkfront: %s: queue %u: wait_slot after EAGAIN: %d\n", d->name, q, rc);
		return rc;
	}
	rc = pvk_blkfront_submit(d->dev, &f[n].req);
	if (rc) {
		guest_printf("blkfront: %s: queue %u: submit after wait_slot: %d\n", d->name, q, rc);
		n--;	/* wait for those that went in */
	} else {
		blkt_count(d, &f[n].req);
	}
	fill_target = n + 1;
	if (pvk_port_wait_until(&done_wait, fill_all_done, NULL, BLKT_WAIT_NS)) {
		guest_printf("blkfront: %s: queue %u: %u of %u fill writes answered in 30 s\n",
			     d->name, q, PVK_READ_ONCE(fill_done), n + 1);
		return -PVK_XEN_ETIMEDOUT;
	}
	for (unsigned int i = 0; i <= n; i++) {
		if (f[i].status) {
			guest_printf("blkfront: %s: queue %u: fill write %u failed: %d\n",
				     d->name, q, i, f[i].status);
			return f[i].status;
		}
	}
	return rc;
}

/* ---- features and counts ---------------------------------------------- */

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* Requests a ring of pages holds: 64-byte header, 112-byte entries,
 * rounded down to a power of two (the protocol's ring size). */
static unsigned int ring_size(unsigned int pages)
{
	unsigned int n = (pages * PAGE - 64) / 112, p = 1;

	while (p * 2 <= n)
		p *= 2;
	return p;
}

void blkt_check_features(struct blkt_disk *d)
{
	const struct pvk_blkfront_info *i = d->info;
	long b_order = blkt_backend_key(d, "max-ring-page-order");
	long b_queues = blkt_backend_key(d, "multi-queue-max-queues");
	long b_pers = blkt_backend_key(d, "feature-persistent");
	long b_ind = blkt_backend_key(d, "feature-max-indirect-segments");
	long b_flush = blkt_backend_key(d, "feature-flush-cache");
	long b_barrier = blkt_backend_key(d, "feature-barrier");
	long b_discard = blkt_backend_key(d, "feature-discard");
	long f_order = frontend_key(d, "ring-page-order");
	long f_queues = frontend_key(d, "multi-queue-num-queues");
	long f_pers = frontend_key(d, "feature-persistent");
	unsigned int segs = i->indirect_segments ? i->indirect_segments : DIRECT_SEGS;

	guest_printf("blkfront: %s: features: ring %u pages, queues %u, depth %u, persistent %s, indirect %u, %u pages (%zu bytes) per request, flush %s, barrier %s, discard %s (granularity %u, alignment %u, secure %s)\n",
		     d->name, i->ring_pages, i->nr_queues, i->depth, yes(i->persistent),
		     i->indirect_segments, i->max_segments, i->max_bytes, yes(i->flush),
		     yes(i->barrier), yes(i->discard), i->discard_granularity,
		     i->discard_alignment, yes(i->discard_secure));
	guest_printf("blkfront: %s: disk: %llu sectors (%llu MiB), sector size %u, physical %u, info 0x%x\n",
		     d->name, (unsigned long long)i->sectors,
		     (unsigned long long)(i->sectors >> 11), i->sector_size,
		     i->physical_sector_size, i->vdisk_info);
	guest_printf("blkfront: %s: backend offers: max-ring-page-order %ld, multi-queue-max-queues %ld, feature-persistent %ld, feature-max-indirect-segments %ld, feature-flush-cache %ld, feature-barrier %ld, feature-discard %ld (-1: absent)\n",
		     d->name, b_order, b_queues, b_pers, b_ind, b_flush, b_barrier, b_discard);
	guest_printf("blkfront: %s: frontend wrote: ring-page-order %ld, multi-queue-num-queues %ld, feature-persistent %ld\n",
		     d->name, f_order, f_queues, f_pers);

	/* What the driver says against what blkback acts on. */
	PVK_CHECK_EQ(i->sector_size, blkt_backend_key(d, "sector-size"));
	PVK_CHECK_EQ(i->sectors, blkt_backend_key(d, "sectors"));
	PVK_CHECK_EQ(i->ring_pages, 1u << (f_order > 0 ? f_order : 0));
	PVK_CHECK_LE(i->ring_pages, 1u << (b_order > 0 ? b_order : 0));
	PVK_CHECK_EQ(i->nr_queues, f_queues > 0 ? f_queues : 1);
	PVK_CHECK_LE(i->nr_queues, b_queues > 0 ? b_queues : 1);
	PVK_CHECK_LE(i->nr_queues, BLKT_MAX_QUEUES);
	PVK_CHECK_EQ(i->persistent, f_pers == 1 && b_pers == 1);
	PVK_CHECK_LE(i->indirect_segments, b_ind > 0 ? b_ind : 0);
	PVK_CHECK_EQ(i->max_segments, segs);
	PVK_CHECK_EQ(i->max_bytes, (size_t)segs * PAGE);
	PVK_CHECK_GE(i->depth, 1);
	PVK_CHECK_LE(i->depth, ring_size(i->ring_pages));
	PVK_CHECK(!i->flush || b_flush == 1);
	PVK_CHECK(!i->barrier || b_barrier == 1);
	PVK_CHECK(!i->discard || b_discard == 1);
	if (i->discard) {
		PVK_CHECK_EQ(i->discard_granularity, blkt_backend_key(d, "discard-granularity"));
		PVK_CHECK_EQ(i->discard_alignment, blkt_backend_key(d, "discard-alignment"));
	}
	PVK_CHECK_GE(i->sector_size, 512);
	PVK_CHECK_EQ(i->sector_size & (i->sector_size - 1), 0);
}

static unsigned long per100(uint64_t x, uint64_t reqs)
{
	return reqs ? (unsigned long)(x * 100 / reqs) : 0;
}

static void sub(struct pvk_blkfront_stats *a, const struct pvk_blkfront_stats *b)
{
	a->requests -= b->requests;
	a->segments -= b->segments;
	a->indirect -= b->indirect;
	a->grants -= b->grants;
	a->grants_reused -= b->grants_reused;
	a->notify_sent -= b->notify_sent;
	a->notify_recv -= b->notify_recv;
	a->responses -= b->responses;
	a->errors -= b->errors;
	a->eagain -= b->eagain;
}

static void print_stats(const struct blkt_disk *d, const char *what,
			const struct pvk_blkfront_stats *s)
{
	guest_printf("blkfront: %s: %s: %llu requests, %llu segments, %llu indirect, %llu grants (%lu.%02lu/req), %llu reused, notify sent %llu (%lu.%02lu/req), received %llu (%lu.%02lu/req), queue full %llu, errors %llu\n",
		     d->name, what, (unsigned long long)s->requests,
		     (unsigned long long)s->segments, (unsigned long long)s->indirect,
		     (unsigned long long)s->grants,
		     per100(s->grants, s->requests) / 100, per100(s->grants, s->requests) % 100,
		     (unsigned long long)s->grants_reused, (unsigned long long)s->notify_sent,
		     per100(s->notify_sent, s->requests) / 100,
		     per100(s->notify_sent, s->requests) % 100,
		     (unsigned long long)s->notify_recv,
		     per100(s->notify_recv, s->requests) / 100,
		     per100(s->notify_recv, s->requests) % 100,
		     (unsigned long long)s->eagain, (unsigned long long)s->errors);
}

void blkt_check_stats(struct blkt_disk *d)
{
	const struct pvk_blkfront_info *i = d->info;
	struct pvk_blkfront_stats all, sum = { 0 }, q;
	char what[16];

	pvk_blkfront_get_stats(d->dev, &all);
	sub(&all, &d->base);
	for (unsigned int n = 0; n < i->nr_queues; n++) {
		PVK_CHECK_RC(pvk_blkfront_get_queue_stats(d->dev, n, &q), 0);
		sub(&q, &d->qbase[n]);
		pvk_snprintf(what, sizeof(what), "queue %u", n);
		print_stats(d, what, &q);
		PVK_CHECK_EQ(q.requests, d->reqs[n]);
		if (i->nr_queues > 1)
			PVK_CHECK_GT(q.requests, 0);
		sum.requests += q.requests;
		sum.segments += q.segments;
		sum.indirect += q.indirect;
		sum.grants += q.grants;
		sum.grants_reused += q.grants_reused;
		sum.notify_sent += q.notify_sent;
		sum.notify_recv += q.notify_recv;
		sum.responses += q.responses;
		sum.errors += q.errors;
		sum.eagain += q.eagain;
	}
	PVK_CHECK_RC(pvk_blkfront_get_queue_stats(d->dev, i->nr_queues, &q), -PVK_XEN_EINVAL);
	print_stats(d, "all queues", &all);
	guest_printf("blkfront: %s: the test counted %llu requests, %llu data pages, %llu needing more than %u pages, queue full met %llu times\n",
		     d->name, (unsigned long long)d->reqs_total, (unsigned long long)d->pages,
		     (unsigned long long)d->data_reqs_over_direct, DIRECT_SEGS,
		     (unsigned long long)d->eagain_seen);
	/* The device's counts are its queues' counts. */
	PVK_CHECK_EQ(all.requests, sum.requests);
	PVK_CHECK_EQ(all.segments, sum.segments);
	PVK_CHECK_EQ(all.indirect, sum.indirect);
	PVK_CHECK_EQ(all.grants, sum.grants);
	PVK_CHECK_EQ(all.grants_reused, sum.grants_reused);
	PVK_CHECK_EQ(all.notify_sent, sum.notify_sent);
	PVK_CHECK_EQ(all.notify_recv, sum.notify_recv);
	PVK_CHECK_EQ(all.responses, sum.responses);
	PVK_CHECK_EQ(all.eagain, sum.eagain);
	/* ...and what the test sent. */
	PVK_CHECK_EQ(all.requests, d->reqs_total);
	PVK_CHECK_EQ(all.responses, all.requests);
	PVK_CHECK_EQ(all.segments, d->pages);
	PVK_CHECK_EQ(all.errors, 0);
	PVK_CHECK_GE(all.eagain, d->eagain_seen);
	if (i->indirect_segments)
		PVK_CHECK_GE(all.indirect, d->data_reqs_over_direct);
	else
		PVK_CHECK_EQ(all.indirect, 0);
	if (i->persistent) {
		PVK_CHECK_GT(all.grants_reused, 0);
	} else {
		PVK_CHECK_EQ(all.grants_reused, 0);
		PVK_CHECK_GE(all.grants, all.segments);
	}
}

void blkt_holes_spec(const struct blkt_disk *d, char *buf, size_t size)
{
	size_t at = 0;

	buf[0] = '\0';
	if (!d->nr_holes) {
		pvk_snprintf(buf, size, "-");
		return;
	}
	for (unsigned int i = 0; i < d->nr_holes && at < size; i++) {
		int n = pvk_snprintf(buf + at, size - at, "%s%llu+%llu", i ? "," : "",
				     (unsigned long long)d->holes[i].off,
				     (unsigned long long)d->holes[i].len);

		if (n < 0)
			break;
		at += (size_t)n;
	}
}

#endif /* CONFIG_PVK_BLKFRONT */
