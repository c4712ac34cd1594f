/*
 * tests/guest/cases/blkfront_ops.c - the blkfront operations beyond read
 * and write, and the requests the driver must refuse, on one disk of the
 * data tests (blkfront_io.h); each helper prints what it saw and records
 * failures with PVK_CHECK (call it through PVK_CHECK_CALL).
 *
 *   blkt_check_refusals  requests the protocol cannot carry: beyond the end,
 *                        larger than max_bytes, lengths that are no multiple
 *                        of 512 or of the sector size, a misaligned sector
 *                        on a 4,096-byte-sector disk: -EINVAL, nothing sent
 *   blkt_check_flush     completes when feature-flush-cache was negotiated,
 *                        else -EOPNOTSUPP
 *   blkt_check_barrier   a write barrier: when negotiated it must carry its
 *                        data (written over zeroes, so a lost barrier shows
 *                        in dom0's check); else -EOPNOTSUPP and why
 *   blkt_check_discard   ranges aligned to the backend's granularity are
 *                        discarded (recorded for dom0's hole check and the
 *                        read-back); a secure discard the backend does not
 *                        offer is -EOPNOTSUPP; without the feature -EOPNOTSUPP
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"
#include "blkfront_io.h"

#ifdef CONFIG_PVK_BLKFRONT

static bool refused_done;

static void refused_cb(struct pvk_blk_req *req, int status)
{
	(void)req;
	(void)status;
	PVK_WRITE_ONCE(refused_done, true);
}

static bool is_refused_done(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(refused_done);
}

/* Submits req expecting a refusal: the submit's status, or 1 when the
 * driver took it after all (then waited for, so req may go away). */
static int submit_refused(struct blkt_disk *d, struct pvk_blk_req *req)
{
	int rc;

	refused_done = false;
	req->done = refused_cb;
	rc = pvk_blkfront_submit(d->dev, req);
	if (rc == 0) {
		blkt_count(d, req);
		guest_wait_until(is_refused_done, NULL, BLKT_WAIT_NS);
		return 1;
	}
	return rc;
}

static const char *why_off(const struct blkt_disk *d, const char *key, const char *opt)
{
	static char why[96];
	long v = blkt_backend_key(d, key);

	if (v == 1)
		pvk_snprintf(why, sizeof(why), "the backend offers %s=1, the frontend does not use it (blkfront.%s=0)",
			     key, opt);
	else
		pvk_snprintf(why, sizeof(why), "the backend does not offer it (%s=%ld)", key, v);
	return why;
}

void blkt_check_refusals(struct blkt_disk *d)
{
	const struct pvk_blkfront_info *i = d->info;
	size_t ss = i->sector_size, arena_len;
	uint8_t *buf = blkt_arena(&arena_len);
	uint64_t end = i->sectors;
	struct pvk_blk_seg sg[2];
	struct pvk_blk_req r;

	PVK_CHECK(buf != NULL);
	r = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = end, .buf = buf, .len = ss };
	PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
	r = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = end - ss / 512, .buf = buf,
				  .len = 2 * ss };
	PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
	r = (struct pvk_blk_req){ .op = PVK_BLK_READ, .buf = buf, .len = i->max_bytes + ss };
	PVK_CHECK(!pvk_blkfront_fits(d->dev, &r));
	PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
	r = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .buf = buf, .len = 100 };
	PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
	sg[0] = (struct pvk_blk_seg){ buf + 1, 700 };
	sg[1] = (struct pvk_blk_seg){ buf + 2000, ss - 188 };
	r = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sg = sg, .nr_sg = 2 };
	PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
	if (ss > 512) {
		/* The sector size is the unit of every request. */
		r = (struct pvk_blk_req){ .op = PVK_BLK_READ, .buf = buf, .len = 512 };
		PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
		r = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .buf = buf, .len = ss - 512 };
		PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
		r = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = 1, .buf = buf, .len = ss };
		PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
		sg[0] = (struct pvk_blk_seg){ buf + 3, 512 };
		sg[1] = (struct pvk_blk_seg){ buf + 1000, ss };
		r = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sg = sg, .nr_sg = 2 };
		PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
		if (i->discard) {
			r = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .len = 512 };
			PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
		}
		guest_printf("blkfront: %s: %zu-byte sectors: 512 bytes, %zu bytes, a sector not on a %zu-byte boundary and %zu bytes in pieces are refused with -EINVAL\n",
			     d->name, ss, ss - 512, ss, ss + 512);
	}
	guest_printf("blkfront: %s: beyond the end, past max_bytes, 100 bytes, a 700-byte piece: refused with -EINVAL\n",
		     d->name);
}

void blkt_check_flush(struct blkt_disk *d)
{
	struct pvk_blk_req r = { .op = PVK_BLK_FLUSH, .queue = 1 };
	int rc;

	if (!d->info->flush) {
		rc = submit_refused(d, &r);
		guest_printf("blkfront: %s: flush refused: %d: %s\n", d->name, rc,
			     why_off(d, "feature-flush-cache", "flush"));
		PVK_CHECK_RC(rc, -PVK_XEN_EOPNOTSUPP);
		return;
	}
	rc = blkt_one(d, &r);
	guest_printf("blkfront: %s: flush completed: %d\n", d->name, rc);
	PVK_CHECK_RC(rc, 0);
}

void blkt_check_barrier(struct blkt_disk *d)
{
	const struct pvk_blkfront_info *i = d->info;
	size_t ss = i->sector_size, arena_len, len = 40 * 1024;
	uint8_t *buf = blkt_arena(&arena_len);
	uint64_t sector = (i->sectors / 3) & ~(uint64_t)(ss / 512 - 1);
	struct pvk_blk_req r;
	int rc;

	PVK_CHECK(buf != NULL);
	/* 40 KiB: 10 pages, a direct request (barriers cannot be indirect). */
	if (len > i->max_bytes)
		len = i->max_bytes;
	for (size_t j = 0; j < len; j++)
		buf[j] = blkt_pattern_byte(sector * 512 + j);
	r = (struct pvk_blk_req){ .op = PVK_BLK_WRITE_BARRIER, .sector = sector, .buf = buf,
				  .len = len, .queue = 1 };
	if (!i->barrier) {
		rc = submit_refused(d, &r);
		guest_printf("blkfront: %s: write barrier refused: %d: %s\n", d->name, rc,
			     why_off(d, "feature-barrier", "barrier"));
		PVK_CHECK_RC(rc, -PVK_XEN_EOPNOTSUPP);
		return;
	}
	/* What does not fit one request is refused, as fits() says. */
	r.len = i->max_bytes;
	if (!pvk_blkfront_fits(d->dev, &r)) {
		rc = submit_refused(d, &r);
		guest_printf("blkfront: %s: a write barrier of %zu bytes does not fit one request: %d\n",
			     d->name, r.len, rc);
		PVK_CHECK_RC(rc, -PVK_XEN_EINVAL);
	}
	r.len = len;
	PVK_CHECK(pvk_blkfront_fits(d->dev, &r));
	/* Zeroes first: a barrier whose data is lost leaves them for dom0. */
	__builtin_memset(buf + len, 0, len);
	r.op = PVK_BLK_WRITE;
	r.buf = buf + len;
	PVK_CHECK_RC(blkt_one(d, &r), 0);
	r.op = PVK_BLK_WRITE_BARRIER;
	r.buf = buf;
	rc = blkt_one(d, &r);
	guest_printf("blkfront: %s: write barrier of %zu bytes at sector %llu (over zeroes) completed: %d\n",
		     d->name, len, (unsigned long long)sector, rc);
	PVK_CHECK_RC(rc, 0);
}

void blkt_check_discard(struct blkt_disk *d)
{
	const struct pvk_blkfront_info *i = d->info;
	uint64_t size = i->sectors * 512, g, a, total = 0;
	struct pvk_blk_req r = { .op = PVK_BLK_DISCARD, .len = i->sector_size };
	char spec[256];
	int rc;

	if (!i->discard) {
		rc = submit_refused(d, &r);
		guest_printf("blkfront: %s: discard refused: %d: %s\n", d->name, rc,
			     why_off(d, "feature-discard", "discard"));
		PVK_CHECK_RC(rc, -PVK_XEN_EOPNOTSUPP);
		return;
	}
	g = i->discard_granularity ? i->discard_granularity : i->sector_size;
	a = i->discard_alignment;
	PVK_CHECK_EQ(g % i->sector_size, 0);
	PVK_CHECK_EQ(a % i->sector_size, 0);
	/* Whole granules: one, 64 in a row, and the disk's last one. */
	d->nr_holes = 0;
	d->holes[d->nr_holes++] = (struct blkt_range){ a + 64 * g, g };
	if (a + 576 * g <= size)
		d->holes[d->nr_holes++] = (struct blkt_range){ a + 512 * g, 64 * g };
	d->holes[d->nr_holes++] = (struct blkt_range){ a + ((size - a) / g - 1) * g, g };
	PVK_CHECK_LE(d->holes[0].off + d->holes[0].len, d->holes[d->nr_holes - 1].off);
	for (unsigned int k = 0; k < d->nr_holes; k++) {
		r = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .sector = d->holes[k].off / 512,
					  .len = d->holes[k].len, .queue = k };
		rc = blkt_one(d, &r);
		if (rc)
			PVK_FAIL("discard of %llu bytes at byte %llu: %d",
				 (unsigned long long)d->holes[k].len,
				 (unsigned long long)d->holes[k].off, rc);
		total += d->holes[k].len;
	}
	/* A secure erase only if offered; a length off the sector size never. */
	r = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .sector = d->holes[0].off / 512,
				  .len = d->holes[0].len, .flags = PVK_BLK_REQ_SECURE };
	if (!i->discard_secure)
		PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EOPNOTSUPP);
	r = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .sector = d->holes[0].off / 512,
				  .len = 100 };
	PVK_CHECK_RC(submit_refused(d, &r), -PVK_XEN_EINVAL);
	blkt_holes_spec(d, spec, sizeof(spec));
	guest_printf("blkfront: %s: discarded %u ranges, %llu bytes (granularity %llu, alignment %llu): %s; secure discard %s\n",
		     d->name, d->nr_holes, (unsigned long long)total, (unsigned long long)g,
		     (unsigned long long)a, spec,
		     i->discard_secure ? "offered" : "not offered: -EOPNOTSUPP");
}

#endif /* CONFIG_PVK_BLKFRONT */
