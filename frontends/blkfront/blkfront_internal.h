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

/* One outstanding request: its id on the ring is its index. */
struct blkfront_slot {
	bool in_use;				/* reserved by a submit */
	bool sent;				/* on the ring: may be answered */
	uint8_t op;				/* PVK_BLKIF_OP_* sent */
	uint8_t nr_segs;
	uint8_t first_sect;			/* of segment 0 */
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
	struct pvk_blkfront_stats stats;
	struct pvk_blkfront *next;
};

/* blkfront_ring.c */
int blkfront_ring_setup(struct pvk_blkfront *dev);
void blkfront_ring_teardown(struct pvk_blkfront *dev);
/* Fails everything outstanding with status (device closing). */
void blkfront_fail_all(struct pvk_blkfront *dev, int status);

#endif /* PVKIT_BLKFRONT_INTERNAL_H */
