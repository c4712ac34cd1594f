/*
 * frontends/xenbus/xs_txn.c - the xenstore transactions the client knows
 * open, and what a resume in a new domain makes of them.
 *
 * A transaction id is xenstored's, per connection: after a resume in a
 * new domain the new connection knows none of the old ids, and hands the
 * same small numbers out again to new transactions. A request in an old
 * transaction must then never reach the new xenstored, even when its id
 * is now another transaction's (it would act inside that one: a stale
 * end would commit someone else's work). So callers never hold
 * xenstored's id: pvk_xs_transaction_t is the kit's handle, the slot and
 * the number of its reservation, and the client maps it to the id just
 * before it queues a request. A slot is reserved when TRANSACTION_START
 * is queued (a start that finds no slot is refused before it reaches
 * xenstored: nothing to leak), filled with the id when the reply comes,
 * freed when the end's reply comes (whatever it says: xenstored forgets
 * the id either way) or the start fails. The suspend's quiesce waits
 * until none is open. A resume in a new domain frees every open slot at
 * once: its handle then matches no slot (a slot taken again has another
 * reservation number), so the old transaction's requests and its end
 * are refused with -PVK_XEN_EIO, which pvk_xs_transaction() does not
 * retry, since it was never committed, and no slot waits for an end
 * that may never come (an end in flight at the resume fails too).
 *
 * Wrap: the reservation number has 26 bits in a handle, so after 2^26
 * reservations a slot's handle repeats. A handle in a slot (STARTING or
 * OPEN) cannot be handed out again (its slot is not free), but a handle
 * the resume forgot can: its caller still holds it and will send its
 * requests and its end, which, once the number came round, would act in
 * the new transaction of that handle. So forget() remembers each handle
 * it frees and reserve() skips a number that would give one of them; a
 * remembered handle is let go when its caller is done with it
 * (pvk_xs_txn_retire(): its end was refused, or failed by the resume, or
 * refused before the lookup). The list holds PVK_XS_TXN_STALE (more
 * than the slots, so two resumes in a row lose none); a handle goes into
 * an empty entry, and only when every entry holds one not yet retired
 * (callers that never end theirs) is the oldest written dropped, counted
 * in stale_evicted and logged by the resume: only then may a handle in a
 * caller's hands be handed out again, after a wrap.
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
		t->slot[i].handle = 0;
	}
	t->nr_open = 0;
	t->seq = 0;
	for (unsigned int k = 0; k < PVK_XS_TXN_STALE; k++)
		t->stale[k] = 0;
	t->stale_next = 0;
	t->stale_evicted = 0;
}

static bool is_stale(const struct pvk_xs_txns *t, uint32_t handle)
{
	for (unsigned int k = 0; k < PVK_XS_TXN_STALE; k++)
		if (t->stale[k] == handle)
			return true;
	return false;
}

int pvk_xs_txn_reserve(struct pvk_xs_txns *t, uint32_t *handle)
{
	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
		uint32_t h;

		if (t->slot[i].state != PVK_XS_TXN_FREE)
			continue;
		/* Each number gives slot i another handle: at most
		 * PVK_XS_TXN_STALE are skipped. */
		do {
			t->seq++;
			h = (t->seq << PVK_XS_TXN_SLOT_BITS) | (i + 1);
		} while (is_stale(t, h));
		t->slot[i].state = PVK_XS_TXN_STARTING;
		t->slot[i].id = 0;
		t->slot[i].handle = h;
		*handle = h;
		return (int)i;
	}
	return -PVK_XEN_ENOSPC;
}

/* The slot of an open transaction's handle, or -1. */
static int find(const struct pvk_xs_txns *t, uint32_t handle)
{
	uint32_t i = (handle & ((1u << PVK_XS_TXN_SLOT_BITS) - 1)) - 1;

	if (!handle || i >= PVK_XS_MAX_TXNS ||
	    t->slot[i].state != PVK_XS_TXN_OPEN || t->slot[i].handle != handle)
		return -1;
	return (int)i;
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

void pvk_xs_txn_ended(struct pvk_xs_txns *t, uint32_t handle)
{
	int i = find(t, handle);

	if (i < 0)
		return;
	t->slot[i].state = PVK_XS_TXN_FREE;
	t->nr_open--;
}

int pvk_xs_txn_lookup(const struct pvk_xs_txns *t, uint32_t handle, uint32_t *id)
{
	int i;

	*id = 0;
	if (handle == 0)
		return 0;
	i = find(t, handle);
	if (i < 0)
		return -PVK_XEN_EIO;
	*id = t->slot[i].id;
	return 0;
}

/* An empty entry first; only a full list drops one not yet retired (the
 * oldest written, round robin), counted: that handle may then come round
 * again after a wrap (the caller logs it). */
static void remember(struct pvk_xs_txns *t, uint32_t handle)
{
	for (unsigned int k = 0; k < PVK_XS_TXN_STALE; k++) {
		if (!t->stale[k]) {
			t->stale[k] = handle;
			return;
		}
	}
	t->stale[t->stale_next] = handle;
	t->stale_next = (t->stale_next + 1) % PVK_XS_TXN_STALE;
	t->stale_evicted++;
}

unsigned int pvk_xs_txn_forget(struct pvk_xs_txns *t)
{
	unsigned int n = 0;

	for (unsigned int i = 0; i < PVK_XS_MAX_TXNS; i++) {
		if (t->slot[i].state == PVK_XS_TXN_OPEN) {
			t->slot[i].state = PVK_XS_TXN_FREE;
			remember(t, t->slot[i].handle);
			n++;
		}
	}
	t->nr_open = 0;
	return n;
}

void pvk_xs_txn_retire(struct pvk_xs_txns *t, uint32_t handle)
{
	for (unsigned int k = 0; handle && k < PVK_XS_TXN_STALE; k++)
		if (t->stale[k] == handle)
			t->stale[k] = 0;
}

bool pvk_xs_txn_passes_hold(const struct pvk_xs_txns *t, uint32_t handle, bool start)
{
	return !start && find(t, handle) >= 0;
}
