/*
 * frontends/xenbus/xs_txn.h - the open xenstore transactions (xs_txn.c):
 * shared by xenstore.c and the host unit tests.
 */
#ifndef PVK_XS_TXN_H
#define PVK_XS_TXN_H

#include <pvkit/types.h>

/* More than xenstored lets one connection open (its quota is about 10). */
#define PVK_XS_MAX_TXNS		32
/* A caller's transaction handle: (reservation number << 6) | (slot + 1),
 * never 0 (PVK_XBT_NIL). */
#define PVK_XS_TXN_SLOT_BITS	6
/* Handles of transactions a resume forgot whose callers may still use
 * them (xs_txn.c: not handed out again), the latest ones. */
#define PVK_XS_TXN_STALE	(2 * PVK_XS_MAX_TXNS)

enum {
	PVK_XS_TXN_FREE = 0,
	PVK_XS_TXN_STARTING,	/* start request queued or sent, no reply */
	PVK_XS_TXN_OPEN,	/* id known, no end reply yet */
};

struct pvk_xs_txns {
	struct {
		uint32_t id;		/* xenstored's, once OPEN */
		uint32_t handle;	/* the caller's, from the reserve on */
		uint8_t state;
	} slot[PVK_XS_MAX_TXNS];
	unsigned int nr_open;	/* slots OPEN */
	uint32_t seq;		/* reservations made (wraps) */
	uint32_t stale[PVK_XS_TXN_STALE];	/* 0: none */
	unsigned int stale_next;		/* replaced next when full */
	unsigned int stale_evicted;		/* dropped unretired (full list) */
};

void pvk_xs_txns_init(struct pvk_xs_txns *t);
/* A slot for a start about to be queued; -PVK_XEN_ENOSPC when all are
 * taken. *handle gets the caller's handle for it: none in use (an open
 * one's, or a forgotten one's not yet retired, unless the forgotten list
 * overflowed: stale_evicted), none of the last 2^26 reservations. */
int pvk_xs_txn_reserve(struct pvk_xs_txns *t, uint32_t *handle);
/* The start's reply gave id: the transaction is open. */
void pvk_xs_txn_started(struct pvk_xs_txns *t, int slot, uint32_t id);
/* The start failed or was given up: the slot is free again (no-op once
 * started). */
void pvk_xs_txn_unreserve(struct pvk_xs_txns *t, int slot);
/* The end's reply came (any result): xenstored forgot the transaction of
 * handle. */
void pvk_xs_txn_ended(struct pvk_xs_txns *t, uint32_t handle);
/* May a request in the transaction of handle go to xenstored? 0 and *id
 * its xenstored id (0 for PVK_XBT_NIL), or -PVK_XEN_EIO: a handle of no
 * open transaction (ended, never started, or open before a resume in a
 * new domain), whatever ids xenstored hands out now. */
int pvk_xs_txn_lookup(const struct pvk_xs_txns *t, uint32_t handle, uint32_t *id);
/* A resume in a new domain: every transaction of before is gone, its slot
 * free (its handle matches nothing again); returns how many were open. */
unsigned int pvk_xs_txn_forget(struct pvk_xs_txns *t);
/* The caller of a forgotten transaction is done with its handle (its end
 * was refused): the handle may be handed out again after a wrap. */
void pvk_xs_txn_retire(struct pvk_xs_txns *t, uint32_t handle);
/* A suspend's quiesce holds new requests but waits for the open
 * transactions to end: may a request of handle (start: a
 * TRANSACTION_START) go past that hold? Only one of a transaction open
 * now (its own requests and its end), never a start nor one outside any
 * transaction (review s12 S2). */
bool pvk_xs_txn_passes_hold(const struct pvk_xs_txns *t, uint32_t handle, bool start);

#endif /* PVK_XS_TXN_H */
