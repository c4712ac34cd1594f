/*
 * tests/guest/cases/blkfront_io.h - what the blkfront data tests share
 * (blkfront.c, blkfront_ops.c): the disk under test, the pattern every
 * byte of it carries, and the request engine of blkfront_io.c.
 */
#ifndef PVK_GUEST_BLKFRONT_IO_H
#define PVK_GUEST_BLKFRONT_IO_H

#include <pvkit/blkfront.h>

#define BLKT_WAIT_NS	(30ULL * 1000 * 1000 * 1000)
#define BLKT_MAX_QUEUES	8
#define BLKT_MAX_HOLES	8

/* A range of the disk in bytes. */
struct blkt_range {
	uint64_t off, len;
};

/* One disk under test and what the tests did to it. */
struct blkt_disk {
	struct pvk_blkfront *dev;
	const struct pvk_blkfront_info *info;
	unsigned int vdev;
	char name[8];			/* "xvda" */
	char backend[64];		/* its backend's xenstore directory */
	/* Requests the tests submitted (accepted), per queue and in all,
	 * data pages they carried (counted by hand: ceil(len / 4096)). */
	uint64_t reqs[BLKT_MAX_QUEUES], reqs_total, pages;
	uint64_t data_reqs_over_direct;	/* requests needing > 11 pages */
	uint64_t op_reqs[5], op_sects[5];	/* per enum pvk_blk_op: requests,
						 * 512-byte sectors of data */
	struct pvk_blkfront_stats base;	/* the driver's counts at connect */
	struct pvk_blkfront_stats qbase[BLKT_MAX_QUEUES];
	/* Ranges discarded, and whether dom0 saw them read as zeroes. */
	struct blkt_range holes[BLKT_MAX_HOLES];
	unsigned int nr_holes;
	bool holes_zero;
	/* What reads of those ranges returned, in 512-byte sectors. */
	uint64_t hole_zero, hole_old, hole_other;
	uint64_t eagain_seen;		/* EAGAIN the engine met (then waited) */
};

/* Byte o of the disk: a multiplicative hash of its 8-byte word (the same
 * function as dom0's pvk-blk-check.c). */
static inline uint8_t blkt_pattern_byte(uint64_t o)
{
	uint64_t w = (o >> 3) * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL;

	w ^= w >> 29;
	return (uint8_t)(w >> ((o & 7) * 8));
}

/* The engine's page-aligned arena (contiguous, from the page allocator,
 * kept for the run); NULL if memory is short. */
uint8_t *blkt_arena(size_t *bytes);

/* Connects disk vdev, records its base counts. 0 or a status (printed). */
int blkt_connect(struct blkt_disk *d, unsigned int vdev);

/*
 * The whole disk in one pass (op PVK_BLK_READ or PVK_BLK_WRITE): requests
 * of every size from one sector to info->max_bytes, one buffer at any
 * address or scatter-gather pieces of odd 512-multiple lengths at odd
 * addresses, over every queue, many outstanding, EAGAIN answered with
 * wait_slot. Writes carry the pattern; reads are compared with it (inside
 * d->holes: zeroes when d->holes_zero, else only counted). seed varies the
 * request shapes. 0 or a status (printed); *nreq requests.
 */
int blkt_pass(struct blkt_disk *d, enum pvk_blk_op op, uint64_t seed,
	      unsigned long *nreq);

/*
 * Fills queue q to info->depth with one-sector pattern writes while
 * upcalls are masked (nothing can complete), then one more must say
 * -PVK_XEN_EAGAIN; upcalls back on, wait_slot must return 0 and that
 * request then go in. *accepted: requests outstanding at the EAGAIN.
 * 0 or a status (printed).
 */
int blkt_fill_queue(struct blkt_disk *d, unsigned int q, unsigned int *accepted);

/* One request submitted and waited for (bounded): its status, or the
 * submit's refusal. Counted in d when accepted. */
int blkt_one(struct blkt_disk *d, struct pvk_blk_req *req);

/* Counts the engine keeps in d when the caller submits by itself. */
void blkt_count(struct blkt_disk *d, const struct pvk_blk_req *req);

/* Prints the negotiated features (the line scenarios match), the keys
 * each side wrote in xenstore, and checks they agree (PVK_CHECK: call
 * through PVK_CHECK_CALL). */
void blkt_check_features(struct blkt_disk *d);

/* Prints the driver's counts per queue and in all since connect and
 * checks them against the engine's own (PVK_CHECK). */
void blkt_check_stats(struct blkt_disk *d);

/* Reads backend key name of d as a number; -1 when absent. */
long blkt_backend_key(const struct blkt_disk *d, const char *name);

/* Whether sub occurs in s. */
bool blkt_contains(const char *s, const char *sub);

/* "holes" list for pvk-blk-check: "OFF+LEN,..." or "-". */
void blkt_holes_spec(const struct blkt_disk *d, char *buf, size_t size);

/* blkfront_ops.c: each prints what it saw and checks it (PVK_CHECK). */
void blkt_check_refusals(struct blkt_disk *d);
void blkt_check_flush(struct blkt_disk *d);
void blkt_check_barrier(struct blkt_disk *d);
void blkt_check_discard(struct blkt_disk *d);

#endif /* PVK_GUEST_BLKFRONT_IO_H */
