/*
 * frontends/blkfront/blkfront_internal.h - the device structure shared by
 * the negotiation (blkfront_xenbus.c) and the data path (blkfront_ring.c).
 */
#ifndef PVKIT_BLKFRONT_INTERNAL_H
#define PVKIT_BLKFRONT_INTERNAL_H

#include <pvkit/blkfront.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/port.h>
#include <pvkit/xen/io/blkif.h>
#include <pvkit/xenbus.h>

/* Limits of this implementation (what we ask the backend for at most). */
#define BLKFRONT_MAX_INDIRECT		256	/* segments per indirect request */
#define BLKFRONT_MAX_QUEUES		8
#define BLKFRONT_DEFAULT_QUEUES		4
#define BLKFRONT_MAX_RING_ORDER		4	/* 16 pages, as Linux */

/* What the frontend asks for (blkfront_options.c). */
struct blkfront_options {
	bool persistent;
	unsigned int indirect;		/* 0: no indirect descriptors */
	unsigned int queues;		/* >= 1 */
	unsigned int ring_order;
	bool flush, barrier, discard;
};
extern struct blkfront_options blkfront_opts;
int blkfront_parse_option(struct blkfront_options *opts, const char *name,
			  const char *value);

/* One outstanding request: its id on the ring is its index. */
struct blkfront_slot {
	bool in_use;				/* reserved by a submit */
	bool sent;				/* on the ring: may be answered */
	uint8_t op;				/* PVK_BLKIF_OP_* sent */
	uint8_t nr_segs;
	size_t len;				/* data bytes, packed from page 0 */
	pvk_grant_ref_t gref[PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST];
	/* Bounce pages, the slot's own; NULL once one had to be kept
	 * because the backend still mapped it (then the device is broken). */
	void *page[PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST];
	struct pvk_blk_req *req;
};

struct pvk_blkfront {
	struct pvk_xenbus_device *xdev;		/* NULL once removed */
	char name[32];				/* "device/vbd/51712", for logs */
	pvk_domid_t backend;			/* the backend's domain */
	struct pvk_blkfront_info info;
	struct pvk_lock lock;			/* ring, slots, flags, stats */
	struct pvk_wait wait;			/* completions */
	struct pvk_blkif_front_ring ring;
	void *ring_page;
	pvk_grant_ref_t ring_ref;
	bool ring_granted;
	pvk_evtchn_port_t port;
	bool port_bound;
	struct blkfront_slot *slots;		/* info.depth of them */
	unsigned int outstanding;
	bool connected;				/* I/O may be submitted */
	bool broken;				/* the backend misbehaved */
	bool gone;				/* closed or removed */
	bool connected_once;			/* hooks->added ran */
	bool removed_told;			/* hooks->removed ran */
	unsigned int grants_live;		/* ring's and in-flight grants */
	struct pvk_blkfront_stats stats;
	struct pvk_blkfront *next;
};

/* blkfront_ring.c */
int blkfront_ring_setup(struct pvk_blkfront *dev);
void blkfront_ring_teardown(struct pvk_blkfront *dev);
/* Fails everything outstanding with status (device closing). */
void blkfront_fail_all(struct pvk_blkfront *dev, int status);

#endif /* PVKIT_BLKFRONT_INTERNAL_H */
