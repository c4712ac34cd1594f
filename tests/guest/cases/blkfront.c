/*
 * tests/guest/cases/blkfront.c - the block frontend against Linux blkback
 * (scenario guest-blkfront, explicit only).
 *
 *   blkfront_integrity  finds xvda (device/vbd/51712), connects, writes a
 *                       deterministic pattern over the whole disk with
 *                       requests from 1 sector to 11 segments at many
 *                       buffer alignments, up to 8 outstanding, flushes,
 *                       asks dom0 to check the disk file byte for byte
 *                       (dom0-tools/pvk-blk-check, the same pattern), reads
 *                       everything back and compares, and prints the
 *                       driver's counts per request; then dom0 detaches
 *                       the disk (xl block-detach): new I/O fails with
 *                       -ENODEV and every grant the driver made is ended.
 *
 * The pattern (blk_pattern_byte) must stay identical to pvk-blk-check.c's.
 */
#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"

#ifdef CONFIG_PVK_BLKFRONT

#define XVDA		51712
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	4
#define WAIT_NS		(30ULL * 1000 * 1000 * 1000)
#define NCTX		8
#define BUF_BYTES	(12 * 4096)

/* Byte o of the disk: a multiplicative hash of its 8-byte word. */
static uint8_t blk_pattern_byte(uint64_t o)
{
	uint64_t w = (o >> 3) * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL;

	w ^= w >> 29;
	return (uint8_t)(w >> ((o & 7) * 8));
}

/* (sectors, buffer offset in its page): 1 sector up to 11 whole pages. */
static const struct { unsigned int sectors, off; } shapes[] = {
	{ 1, 0 }, { 8, 512 }, { 3, 1536 }, { 88, 0 }, { 16, 3584 },
	{ 7, 100 }, { 85, 1536 }, { 32, 3584 }, { 2, 777 }, { 64, 0 },
	{ 5, 3000 }, { 80, 2048 }, { 87, 300 }, { 1, 4095 },
};

struct ctx {
	struct pvk_blk_req req;
	bool busy;
	bool done;
	int status;
};

static uint8_t bufs[NCTX][BUF_BYTES] __attribute__((aligned(4096)));
static struct ctx ctxs[NCTX];
static struct pvk_wait done_wait;

static void ctx_done(struct pvk_blk_req *req, int status)
{
	struct ctx *c = req->arg;

	c->status = status;
	PVK_WRITE_ONCE(c->done, true);
	pvk_port_wake(&done_wait);
}

static bool any_done(void *arg)
{
	(void)arg;
	for (unsigned int i = 0; i < NCTX; i++)
		if (ctxs[i].busy && PVK_READ_ONCE(ctxs[i].done))
			return true;
	return false;
}

/* Reaps finished requests; reads are compared. 0 or -EIO (printed). */
static int reap(void)
{
	for (unsigned int i = 0; i < NCTX; i++) {
		struct ctx *c = &ctxs[i];
		const uint8_t *p = c->req.buf;
		uint64_t base = c->req.sector * 512;

		if (!c->busy || !PVK_READ_ONCE(c->done))
			continue;
		c->busy = false;
		if (c->status) {
			guest_printf("blkfront: %s of %zu bytes at sector %llu failed: %d\n",
				     c->req.op == PVK_BLK_READ ? "read" : "write", c->req.len,
				     (unsigned long long)c->req.sector, c->status);
			return -PVK_XEN_EIO;
		}
		if (c->req.op != PVK_BLK_READ)
			continue;
		for (size_t j = 0; j < c->req.len; j++) {
			if (p[j] != blk_pattern_byte(base + j)) {
				guest_printf("blkfront: read back byte %llu: 0x%02x, wrote 0x%02x\n",
					     (unsigned long long)(base + j), p[j],
					     blk_pattern_byte(base + j));
				return -PVK_XEN_EIO;
			}
		}
	}
	return 0;
}

/* The whole disk, in requests of every shape, up to NCTX at a time. */
static int run_phase(struct pvk_blkfront *dev, enum pvk_blk_op op,
		     unsigned long *nreq)
{
	uint64_t total = pvk_blkfront_info(dev)->sectors, pos = 0;
	unsigned int i = 0;
	bool busy;
	int rc;

	*nreq = 0;
	for (;;) {
		struct ctx *c = NULL;

		rc = reap();
		if (rc)
			return rc;
		busy = false;
		for (unsigned int k = 0; k < NCTX; k++) {
			busy |= ctxs[k].busy;
			if (!ctxs[k].busy && !c)
				c = &ctxs[k];
		}
		if (pos >= total && !busy)
			return 0;
		if (pos < total && c) {
			unsigned int s = shapes[i % PVK_ARRAY_SIZE(shapes)].sectors;
			uint8_t *buf = bufs[c - ctxs] + shapes[i % PVK_ARRAY_SIZE(shapes)].off;

			if (s > total - pos)
				s = (unsigned int)(total - pos);
			c->req = (struct pvk_blk_req){
				.op = op, .sector = pos, .buf = buf, .len = s * 512u,
				.done = ctx_done, .arg = c,
			};
			if (op == PVK_BLK_WRITE)
				for (size_t j = 0; j < c->req.len; j++)
					buf[j] = blk_pattern_byte(pos * 512 + j);
			else
				__builtin_memset(buf, 0xee, c->req.len);
			c->done = false;
			c->busy = true;
			rc = pvk_blkfront_submit(dev, &c->req);
			if (rc == 0) {
				pos += s;
				i++;
				(*nreq)++;
				continue;
			}
			c->busy = false;
			if (rc != -PVK_XEN_EAGAIN) {
				guest_printf("blkfront: submit at sector %llu: %d\n",
					     (unsigned long long)pos, rc);
				return rc;
			}
		}
		if (pvk_port_wait_until(&done_wait, any_done, NULL, WAIT_NS)) {
			guest_printf("blkfront: no completion in 30 s\n");
			return -PVK_XEN_ETIMEDOUT;
		}
	}
}

/* x per request, in hundredths, for the counts line. */
static unsigned long per100(uint64_t x, uint64_t reqs)
{
	return reqs ? (unsigned long)(x * 100 / reqs) : 0;
}

PVK_GUEST_TEST_XEN_EXPLICIT(blkfront_integrity)
{
	const struct pvk_blkfront_info *info;
	struct pvk_blkfront_stats st;
	struct pvk_grant_stats gs;
	struct pvk_blkfront *dev;
	unsigned long wreq, rreq;
	char path[64], verdict[128];
	uint64_t t0, deadline;
	int64_t live0, live;
	uint64_t kept0;
	int rc, vrc;

	guest_events_enable();
	pvk_port_wait_init(&done_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	pvk_grant_stats_snapshot(&gs);
	live0 = (int64_t)(gs.granted - gs.ended);
	kept0 = gs.pages_kept;
	PVK_CHECK_RC(pvk_blkfront_init(NULL), 0);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDA, WAIT_NS, &dev), 0);
	info = pvk_blkfront_info(dev);
	guest_printf("blkfront: xvda connected: %llu sectors (%llu MiB), sector size %u, info 0x%x, flush %s, depth %u\n",
		     (unsigned long long)info->sectors,
		     (unsigned long long)(info->sectors >> 11), info->sector_size,
		     info->vdisk_info, info->flush ? "yes" : "no", info->depth);
	PVK_CHECK_EQ(info->sector_size, 512);
	PVK_CHECK_GT(info->sectors, 0);
	PVK_CHECK(info->flush);

	/* A request the protocol cannot carry is refused, not sent. */
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, info->sectors, bufs[0],
					  512, WAIT_NS), -PVK_XEN_EINVAL);
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, bufs[0],
					  info->max_bytes + 4096, WAIT_NS), -PVK_XEN_EINVAL);

	t0 = pvk_time_now_ns();
	rc = run_phase(dev, PVK_BLK_WRITE, &wreq);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_RC(pvk_blkfront_rw_sync(dev, PVK_BLK_FLUSH, 0, NULL, 0, WAIT_NS), 0);
	guest_printf("blkfront: wrote %llu bytes in %lu requests (%llu ms), flushed: dom0 check now\n",
		     (unsigned long long)info->sectors * 512, wreq,
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000));

	/* dom0's verdict on the disk file, through xenstore. */
	pvk_snprintf(path, sizeof(path), "data/blk-check");
	deadline = pvk_time_now_ns() + 2 * WAIT_NS;
	while ((vrc = pvk_xs_read(PVK_XBT_NIL, path, verdict, sizeof(verdict))) < 0 &&
	       pvk_time_now_ns() < deadline)
		pvk_xs_wait_watches(200ULL * 1000 * 1000);
	guest_printf("blkfront: dom0 says \"%s\" (%d)\n", vrc >= 0 ? verdict : "", vrc);

	t0 = pvk_time_now_ns();
	rc = run_phase(dev, PVK_BLK_READ, &rreq);
	if (rc)
		PVK_FAIL("read-back failed: %d", rc);
	guest_printf("blkfront: read back and compared %llu bytes in %lu requests (%llu ms)\n",
		     (unsigned long long)info->sectors * 512, rreq,
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000));
	pvk_blkfront_get_stats(dev, &st);
	guest_printf("blkfront: counts: %llu requests, %llu segments, %llu grants (%lu.%02lu/req), notifications sent %llu (%lu.%02lu/req), received %llu (%lu.%02lu/req), queue full %llu times, errors %llu\n",
		     (unsigned long long)st.requests, (unsigned long long)st.segments,
		     (unsigned long long)st.grants,
		     per100(st.grants, st.requests) / 100, per100(st.grants, st.requests) % 100,
		     (unsigned long long)st.notify_sent,
		     per100(st.notify_sent, st.requests) / 100,
		     per100(st.notify_sent, st.requests) % 100,
		     (unsigned long long)st.notify_recv,
		     per100(st.notify_recv, st.requests) / 100,
		     per100(st.notify_recv, st.requests) % 100,
		     (unsigned long long)st.eagain, (unsigned long long)st.errors);
	PVK_CHECK_EQ(st.requests, wreq + rreq + 1);
	PVK_CHECK_EQ(st.errors, 0);
	PVK_CHECK(!pvk_blkfront_broken(dev));

	PVK_CHECK_RC_GE(vrc, 0);
	PVK_CHECK_STR_CONTAINS(verdict, "ok:");

	/* Clean close: dom0 detaches the disk; every grant comes back. */
	guest_printf("blkfront: ready for detach (dom0: xl block-detach now)\n");
	deadline = pvk_time_now_ns() + WAIT_NS;
	do {
		pvk_xs_wait_watches(200ULL * 1000 * 1000);
		pvk_grant_stats_snapshot(&gs);
		live = (int64_t)(gs.granted - gs.ended);
	} while (live != live0 && pvk_time_now_ns() < deadline);
	rc = pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 0, bufs[0], 512, WAIT_NS);
	guest_printf("blkfront: detached: new I/O gives %d, grants held %lld (before connecting %lld), pages kept %llu\n",
		     rc, (long long)live, (long long)live0,
		     (unsigned long long)(gs.pages_kept - kept0));
	PVK_CHECK_RC(rc, -PVK_XEN_ENODEV);
	PVK_CHECK_EQ(live, live0);
	PVK_CHECK_EQ(gs.pages_kept, kept0);
}

#endif /* CONFIG_PVK_BLKFRONT */
