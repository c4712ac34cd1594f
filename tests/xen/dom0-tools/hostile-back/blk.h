/*
 * tests/xen/dom0-tools/hostile-back/blk.h - the block backend of
 * pvk-hostile-back: a blkif backend (blk_connect.c: the xenbus handshake
 * and the close; blk_serve.c: requests read, checked and served from
 * memory or a dom0 file) and its attacks (blk_attack.c: how the responses,
 * the ring indexes, the event channel and the grants are abused;
 * blk_stall.c: a backend that stops answering, drops one request, answers
 * without events, or answers slowly with the ring full).
 *
 * The exchange with the guest's test (tests/guest/cases/hostile_blk*.c),
 * through the guest's own data/ directory in xenstore:
 *   data/hostile-close-<devid>    the guest is done: close the device
 *   data/hostile-mark-<devid>     (grant-keep) write the marker now
 *   data/hostile-marked-<devid>   (grant-keep) our answer: what was written
 *   data/hostile-release-<devid>  (grant-keep) let the kept pages go
 *   data/hostile-count-<devid>    count the guest's grants to dom0 now
 *   data/hostile-grants-<devid>   our answer: "grants-to-dom0: N"
 * A Linux guest with no xenstore tool of its own has dom0 write its nodes
 * (tests/xen/dom0/check-blk-timeout).
 */
#ifndef PVK_HOSTILE_BACK_BLK_H
#define PVK_HOSTILE_BACK_BLK_H

#include "hb.h"	/* first: the Xen headers need its <stdint.h> */
#include <xen/io/blkif.h>

#define HB_BLK_MAX_RING_ORDER	2	/* offered: up to 4 ring pages */
#define HB_BLK_MAX_INDIRECT	256	/* feature-max-indirect-segments */
#define HB_BLK_SEGS_PER_PAGE	(HB_PAGE_SIZE / sizeof(struct blkif_request_segment))

/* The attacks (struct hb_attack.mode). */
enum hb_blk_mode {
	BLK_NONE,		/* serve correctly */
	BLK_ID_UNKNOWN,		/* answer with an id never sent */
	BLK_ID_DUPLICATE,	/* answer one request twice in one push */
	BLK_ID_COMPLETED,	/* answer, then answer that id again later */
	BLK_WRONG_OP,		/* answer with another operation */
	BLK_BAD_STATUS,		/* answer with a status the protocol lacks */
	BLK_RSP_AHEAD,		/* rsp_prod past the ring size */
	BLK_RSP_BACKWARDS,	/* rsp_prod moved back below what was consumed */
	BLK_RSP_WRAP,		/* rsp_prod half the index space away */
	BLK_RSP_FLIP,		/* rsp_prod and a response's id flipping */
	BLK_EVENT_FLOOD,	/* events with nothing on the ring */
	BLK_GRANT_KEEP,		/* pages kept mapped past the close */
	/* Stalls (blk_stall.c), from the trigger (--opt from-sector=S) on: */
	BLK_SILENT,		/* requests taken, never answered */
	BLK_DROP_ONE,		/* one request never answered, the rest are */
	BLK_NO_NOTIFY,		/* answered, never an event */
	BLK_SLOW,		/* one answer every --opt slow-ms, the rest held */
};

struct hb_blk {
	struct hb_dev *d;
	enum hb_blk_mode mode;
	/* The ring, mapped contiguously. */
	blkif_sring_t *sring;
	unsigned long max_ring_order;	/* offered (--opt ring-order) */
	unsigned int ring_pages;
	uint32_t ring_refs[1u << HB_BLK_MAX_RING_ORDER];
	uint32_t nr_ents;
	RING_IDX req_cons, rsp_prod_pvt;
	/* The disk: memory, or a dom0 file (--opt file=PATH). */
	uint8_t *mem;
	int fd;
	uint64_t sectors;
	/* Counts, for the log. */
	unsigned long served, indirect, refused, attacked;
	/* Requests served correctly before the attack starts (--opt after=N). */
	unsigned long after;
	/* grant-keep: a request left unanswered, its pages kept mapped. */
	void *kept_data;
	unsigned int kept_data_pages;
};

/* blk_attack.c: a vbd served by serve (the attack's loop) from the
 * handshake to the guest's grant count. */
int hb_blk_run(struct hb_dev *d, int (*serve)(struct hb_blk *b));

/* blk_connect.c */
int hb_blk_connect(struct hb_blk *b);
/* Whether to stop serving: the guest asked for the close, or the frontend
 * left Connected (looked at every 100 ms; logged). */
bool hb_blk_stop_asked(struct hb_blk *b, uint64_t *next_look);
/* Closes from our side: Closing, the frontend Closed, the ring let go
 * (unless keep_ring), Closed. */
void hb_blk_close(struct hb_blk *b, bool keep_ring, bool skip_closing);
/* Polls the guest's data/<name>-<devid> (bounded); 1 present, 0 not. */
int hb_blk_wait_guest_node(struct hb_blk *b, const char *name, unsigned int ms);
void hb_blk_answer(struct hb_blk *b, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* blk_serve.c */
/* Copies the next unconsumed request, if any (1), else 0; -1 when the
 * frontend's req_prod makes no sense (logged). */
int hb_blk_next_request(struct hb_blk *b, blkif_request_t *rq);
/* Serves rq: does its I/O; fills in the response (not yet on the ring).
 * With keep, the data pages stay mapped (b->kept_data). */
void hb_blk_do_request(struct hb_blk *b, const blkif_request_t *rq, blkif_response_t *rsp,
		       bool keep);
/* Puts rsp at the next response slot (rsp_prod_pvt++), not yet pushed. */
void hb_blk_put_response(struct hb_blk *b, const blkif_response_t *rsp);
/* Publishes rsp_prod = prod and notifies. */
void hb_blk_push(struct hb_blk *b, RING_IDX prod);
/* Publishes rsp_prod = prod without an event. */
void hb_blk_publish(struct hb_blk *b, RING_IDX prod);

#endif
