/*
 * frontends/xenbus/xs_txn.h - the open xenstore transactions (xs_txn.c):
 * shared by xenstore.c and the host unit tests.
 */
#ifndef PVK_XS_TXN_H
#define PVK_XS_TXN_H

#include <pvkit/types.h>

/* More than xenstored lets one connection open (its quota is about 10). */
#define PVK_XS_MAX_TXNS		32

enum {
	PVK_XS_TXN_FREE = 0,
	PVK_XS_TXN_STARTING,	/* start request queued or sent, no reply */
	PVK_XS_TXN_OPEN,	/* id known, no end reply yet */
	PVK_XS_TXN_STALE,	/* open before a resume in a new domain */
};

struct pvk_xs_txns {
	struct {
		uint32_t id;
		uint8_t state;
	} slot[PVK_XS_MAX_TXNS];
	unsigned int nr_open;	/* slots OPEN */
};

void pvk_xs_txns_init(struct pvk_xs_txns *t);
/* A slot for a start about to be queued; -PVK_XEN_ENOSPC when all are
 * taken. */
int pvk_xs_txn_reserve(struct pvk_xs_txns *t);
/* The start's reply gave id: the transaction is open. */
void pvk_xs_txn_started(struct pvk_xs_txns *t, int slot, uint32_t id);
/* The start failed or was given up: the slot is free again (no-op once
 * started). */
void pvk_xs_txn_unreserve(struct pvk_xs_txns *t, int slot);
/* The end's reply came (any result): xenstored forgot id. */
void pvk_xs_txn_ended(struct pvk_xs_txns *t, uint32_t id);
/* May a request in transaction id go to xenstored? 0, or -PVK_XEN_EIO for
 * an id open before a resume in a new domain (end: the slot is freed). */
int pvk_xs_txn_check(struct pvk_xs_txns *t, uint32_t id, bool end);
/* A resume in a new domain: every open transaction stale; returns how
 * many. */
unsigned int pvk_xs_txn_forget(struct pvk_xs_txns *t);

#endif /* PVK_XS_TXN_H */
