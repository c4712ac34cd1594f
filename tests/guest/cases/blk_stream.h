/*
 * tests/guest/cases/blk_stream.h - a disk's integrity stream across a
 * suspend, as a state machine (cases/blk_stream.c): the engine of
 * suspend_blk.c (its own waits) and of suspend_traffic.c (stepped from the
 * UDP streams' loop).
 *
 * A pass writes or reads bytes [from, to) of the disk on queue 0 with up to
 * nslots requests outstanding, each of one sector up to the stream's
 * max_len (and the device's max_bytes, read again at each submit: a resume
 * may lower it), in scatter-gather pages, the pattern of blkfront_io.h xor
 * inv; a read is compared as it completes. blks_step() never blocks: it
 * reaps completions, checks them, submits while a slot is free and stops
 * at -EAGAIN (a full queue, or the device away for a suspend), to be tried
 * again later. blks_pass() is a pass with its own bounded waits.
 *
 * Held writes: n writes on queue 1 with PVK_BLK_REQ_MORE, never pushed by
 * the test: the backend cannot have seen them when a suspend comes, so
 * they are in flight across it by construction.
 */
#ifndef PVK_GUEST_BLK_STREAM_H
#define PVK_GUEST_BLK_STREAM_H

#include <pvkit/blkfront.h>
#include <pvkit/port.h>

#include "blkfront_io.h"

#define BLKS_PAGE	4096u
#define BLKS_SLOTS	8		/* stream requests outstanding, at most */
#define BLKS_SLOT_MAX	(128u * 1024)	/* bytes of one stream request, at most */
#define BLKS_HELD	4		/* held writes, at most */
#define BLKS_SEGS	512		/* pages of one request (a held 2 MiB) */

struct blks;

/* One request of the stream or a held write, and its pages. */
struct blks_req {
	struct pvk_blk_req req;
	struct pvk_blk_seg sg[BLKS_SEGS];
	struct blks *s;
	bool busy, done;
	int status;
	unsigned int calls;		/* done()s since submitted: must be 1 */
	uint8_t inv;			/* 0xff: the inverse pattern */
};

struct blks {
	struct blkt_disk *disk;
	const char *who;		/* the prefix of its lines */
	unsigned int nslots;
	size_t max_len;
	struct blks_req slot[BLKS_SLOTS];
	uint8_t *pages[BLKS_SLOTS][BLKS_SLOT_MAX / BLKS_PAGE];
	struct blks_req held[BLKS_HELD];
	uint8_t **held_pages;
	unsigned int held_n, held_max_pages;
	struct pvk_wait done_wait;
	uint64_t seed;
	unsigned int stray_done;	/* done() for a request not in flight */
	/* The pass under way. */
	enum pvk_blk_op op;
	uint64_t pos, to;
	uint8_t inv;
	bool eagain;			/* the last step stopped at -EAGAIN */
	/* A step does at most one request's work (one compare or one fill
	 * and submit): a loop that steps it between other work (the UDP
	 * sends) keeps its own pace. */
	bool one_per_step;
	unsigned long writes, reads;	/* stream requests submitted */
	int64_t grants_live0;		/* the kit's grants live before the disk */
};

/* Sets s up for disk: nslots of max_len, held_pages pages for held
 * writes (allocated here, never freed). 0 or -ENOMEM. */
int blks_init(struct blks *s, struct blkt_disk *disk, const char *who, unsigned int nslots,
	      size_t max_len, unsigned int held_pages);
/* The grant table (if not yet), blkfront, disk vdev connected (its
 * features printed; at least 2 queues, 8 MiB), then blks_init() (test
 * checks). */
void blks_setup(struct blks *s, struct blkt_disk *disk, unsigned int vdev, const char *who,
		unsigned int nslots, size_t max_len, unsigned int held_pages);
/* Begins a pass of op over [from, to), the pattern xor inv. */
void blks_begin(struct blks *s, enum pvk_blk_op op, uint64_t from, uint64_t to, uint8_t inv);
/* Takes the pass as far as it goes without waiting: 1 done (all of it
 * answered and checked), 0 under way, or a status (printed). */
int blks_step(struct blks *s);
/* A whole pass, waiting (bounded) for completions and slots. */
int blks_pass(struct blks *s, enum pvk_blk_op op, uint64_t from, uint64_t to, uint8_t inv);
/* n held writes of each bytes from byte at, true pattern. 0 or a status. */
int blks_hold(struct blks *s, uint64_t at, unsigned int n, size_t each);
/* Whether every held write was answered. */
bool blks_held_answered(struct blks *s);
/* Waits (bounded) for the held writes; checks each answered once, with
 * 0, and no done() came for a request not in flight (test checks). */
void blks_held_check(struct blks *s);
/* The driver's resume counts between r0 and r1 for one resume in a new
 * domain with s->held_n writes held (test checks): one resume, every
 * held write requeued at least, each requeued request completed once,
 * none failed. */
void blks_check_resumed(struct blks *s, const struct pvk_blkfront_resume_stats *r0,
			const struct pvk_blkfront_resume_stats *r1);
/* dom0's verdict on the disk file ("ok: ..."), through xenstore (test
 * checks); the line dom0's rule waits for is printed first. */
void blks_dom0_check(struct blks *s);

#endif /* PVK_GUEST_BLK_STREAM_H */
