/*
 * frontends/xenbus/xs_txn.c - the xenstore transactions the client knows
 * open, and what a resume in a new domain makes of them.
 *
 * A transaction id is xenstored's, per connection: after a resume in a
 * new domain the new connection knows none of the old ids, and may hand
 * the same numbers out again to new transactions. A request in an old
 * transaction must then never reach the new xenstored (it would fail
 * with ENOENT at best, or act inside someone else's transaction); the
 * client fails it with -PVK_XEN_EIO, which pvk_xs_transaction() does not
 * retry, since the transaction was never committed. So every transaction
 * is tracked here from its start request to its end: a slot is reserved
 * when TRANSACTION_START is queued (a start that finds no slot is refused
 * before it reaches xenstored: nothing to leak), filled with the id when
 * the reply comes, freed when the end's reply comes (whatever it says:
 * xenstored forgets the id either way) or the start fails. The suspend's
 * quiesce waits until none is open. A resume in a new domain turns every
 * open one stale; the stale ids' requests are refused, and their end is
 * refused and frees the slot.
 *
 * Pure (no lock, no Xen): xenstore.c calls it under xs_lock, the host unit
 * tests call it directly.
 */
#include <pvkit/xen/errno.h>

#include "xs_txn.h"

void pvk_xs_txns_init(struct pvk_xs_txns *t)
{
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
		t->slot[i].state = PVK_XS_TXN_FREE;
		t->slot[i].id = 0;
	}
	t->nr_open = 0;
}

int pvk_xs_txn_reserve(struct pvk_xs_txns *t)
{
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
		if (t->slot[i].state == PVK_XS_TXN_FREE) {
			t->slot[i].state = PVK_XS_TXN_STARTING;
			t->slot[i].id = 0;
			return (int)i;
		}
	}
	return -PVK_XEN_ENOSPC;
}

/* A stale slot stays stale until its owner ends it: its id is the old
 * domain's and may come back for a new transaction, which must not be
 * refused; lookups that want the new one find the open slot first. */
static int find(const struct pvk_xs_txns *t, uint32_t id, uint8_t state)
{
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++)
		if (t->slot[i].state == state && t->slot[i].id == id)
			return (int)i;
	return -1;
}

void pvk_xs_txn_started(struct pvk_xs_txns *t, int slot, uint32_t id)
{
	if (slot < 0 || slot >= PVK_XS_MAX_TXNS ||
	    t->slot[slot].state != PVK_XS_TXN_STARTING)
		return;
	t->slot[slot].state = PVK_XS_TXN_OPEN;
	t->slot[slot].id = id;
	t->nr_open++;
}

void pvk_xs_txn_unreserve(struct pvk_xs_txns *t, int slot)
{
	if (slot >= 0 && slot < PVK_XS_MAX_TXNS &&
	    t->slot[slot].state == PVK_XS_TXN_STARTING)
		t->slot[slot].state = PVK_XS_TXN_FREE;
}

void pvk_xs_txn_ended(struct pvk_xs_txns *t, uint32_t id)
{
	int i = find(t, id, PVK_XS_TXN_OPEN);

	if (i < 0)
		return;
	t->slot[i].state = PVK_XS_TXN_FREE;
	t->nr_open--;
}

int pvk_xs_txn_check(struct pvk_xs_txns *t, uint32_t id, bool end)
{
	int i;

	if (!id || find(t, id, PVK_XS_TXN_OPEN) >= 0)
		return 0;
	i = find(t, id, PVK_XS_TXN_STALE);
	if (i < 0)
		return 0;	/* not ours to judge: xenstored answers */
	if (end)
		t->slot[i].state = PVK_XS_TXN_FREE;
	return -PVK_XEN_EIO;
}

unsigned int pvk_xs_txn_forget(struct pvk_xs_txns *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
		if (t->slot[i].state == PVK_XS_TXN_OPEN) {
			t->slot[i].state = PVK_XS_TXN_STALE;
			n++;
		}
	}
	t->nr_open = 0;
	return n;
}
