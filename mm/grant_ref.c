/*
 * mm/grant_ref.c - the grant-reference allocator, and growing the table
 * when it runs out.
 *
 * Free references form a list threaded through one word per reference
 * (the next free one, or TAKEN while it is handed out, which is also the
 * double-free guard). The words live in whole pages, one per
 * PER_CHUNK references, allocated as the table grows: a table at Xen's
 * usual maximum (64 frames, 32,768 entries) needs 32 pages and no large
 * contiguous allocation. The lowest references are handed out first; the
 * first PVK_GNTTAB_NR_RESERVED_ENTRIES belong to the toolstack (console,
 * xenstore) and are never handed out. Freeing a reference twice, or one
 * that was never handed out, is a kit bug: it panics.
 *
 * Growth (as Linux's gnttab_expand): when the list is empty,
 * pvk_grant_alloc() makes the table `step` entries longer (one frame)
 * through grant_table.c's hook, up to max_entries, and the new references
 * join the list. Growth is serialized by grow_lock, taken before `lock`
 * and never the other way round; a CPU that found the list empty waits on
 * grow_lock and looks again, since the CPU before it may have grown the
 * table or a reference may have come back. Frees take only `lock`, so
 * they go on during a growth. Both locks mask upcalls, so a growth runs
 * wherever an allocation runs (event handlers, frontend locks held): what
 * it calls allows that (pvk_port_alloc_page(), hypercalls, pvk_mmu's map
 * lock) and never sleeps. The table never shrinks (Xen has no way to).
 *
 * At the maximum the allocation fails with -PVK_XEN_ENOSPC: the first time
 * is logged, every time counted (refused_full). A growth that fails for
 * another reason (no memory, Xen refused) returns that error; each
 * different error is logged once until a growth succeeds.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "grant_internal.h"

#define PER_CHUNK	(PVK_PAGE_SIZE / sizeof(uint32_t))
#define LIST_END	0xffffffffu	/* no next free reference */
#define TAKEN		0xfffffffeu	/* handed out or reserved: not on the list */

static struct pvk_lock lock;		/* the list, nr_refs, the counters */
static struct pvk_lock grow_lock;	/* one growth at a time */
static uint32_t **chunks;		/* links of references c * PER_CHUNK .. */
static uint32_t nr_refs;		/* entries the table has */
static uint32_t max_refs, step;
static uint32_t head = LIST_END, nr_free;
static pvk_grant_grow_fn *grow_table;
static uint64_t grown, refused_full;
static bool full_logged;
static int last_error_logged;

static uint32_t *link_of(uint32_t ref)
{
	return &chunks[ref / PER_CHUNK][ref % PER_CHUNK];
}

/* Pages for the links of references below `entries`; 0 or -ENOMEM. */
static int chunks_cover(uint32_t entries)
{
	for (uint32_t c = 0; c < (entries + PER_CHUNK - 1) / PER_CHUNK; c++) {
		if (!chunks[c] && !(chunks[c] = pvk_port_alloc_page()))
			return -PVK_XEN_ENOMEM;
	}
	return 0;
}

/* References from .. to - 1 join the list, the lowest on top. */
static void push_range_locked(uint32_t from, uint32_t to)
{
	for (uint32_t r = to; r-- > from;) {
		*link_of(r) = head;
		head = r;
		nr_free++;
	}
}

static bool pop_locked(pvk_grant_ref_t *ref)
{
	if (head == LIST_END)
		return false;
	*ref = head;
	head = *link_of(*ref);
	*link_of(*ref) = TAKEN;
	nr_free--;
	return true;
}

int pvk_grant_refs_init(uint32_t nr_entries, uint32_t grow_step, uint32_t max_entries,
			pvk_grant_grow_fn *grow)
{
	uint32_t nr_chunks = (max_entries + PER_CHUNK - 1) / PER_CHUNK;

	if (nr_entries <= PVK_GNTTAB_NR_RESERVED_ENTRIES || max_entries < nr_entries ||
	    max_entries >= TAKEN || !grow_step || nr_entries % grow_step ||
	    max_entries % grow_step)
		return -PVK_XEN_EINVAL;
	chunks = pvk_port_malloc(nr_chunks * sizeof(*chunks));
	if (!chunks)
		goto no_memory;
	for (uint32_t c = 0; c < nr_chunks; c++)
		chunks[c] = NULL;
	if (chunks_cover(nr_entries))
		goto no_memory;
	pvk_port_lock_init(&lock);
	pvk_port_lock_init(&grow_lock);
	max_refs = max_entries;
	step = grow_step;
	grow_table = grow;
	head = LIST_END;
	nr_free = 0;
	grown = refused_full = 0;
	full_logged = false;
	last_error_logged = 0;
	for (uint32_t r = 0; r < PVK_GNTTAB_NR_RESERVED_ENTRIES; r++)
		*link_of(r) = TAKEN;
	push_range_locked(PVK_GNTTAB_NR_RESERVED_ENTRIES, nr_entries);
	PVK_WRITE_ONCE(nr_refs, nr_entries);
	return 0;

no_memory:
	pvk_err("grant: no memory for the links of %u references", nr_entries);
	return -PVK_XEN_ENOMEM;	/* the pages taken stay: init is not retried */
}

bool pvk_grant_ref_valid(pvk_grant_ref_t ref)
{
	/* nr_refs only grows, and a reference is handed out after the
	 * growth that made it (both under `lock`). */
	return ref >= PVK_GNTTAB_NR_RESERVED_ENTRIES && ref < PVK_READ_ONCE(nr_refs);
}

/* The table is at max_refs: counted, logged the first time. */
static int full_locked(void)
{
	refused_full++;
	if (!full_logged) {
		full_logged = true;
		pvk_err("grant: out of references: all %u in use and the table at its maximum of %u entries (-ENOSPC; logged once, counted in refused_full)",
			nr_refs - PVK_GNTTAB_NR_RESERVED_ENTRIES, max_refs);
	}
	return -PVK_XEN_ENOSPC;
}

/* Called with grow_lock held and the list found empty. */
static int grow_locked(uint32_t old)
{
	uint32_t new = old + step;
	int rc = chunks_cover(new);

	if (!rc)
		rc = grow_table(old, new);
	if (rc) {
		if (rc != last_error_logged)
			pvk_err("grant: growing the table from %u to %u entries failed: %d",
				old, new, rc);
		last_error_logged = rc;
		return rc;
	}
	last_error_logged = 0;
	pvk_port_lock(&lock);
	push_range_locked(old, new);
	PVK_WRITE_ONCE(nr_refs, new);
	grown++;
	pvk_port_unlock(&lock);
	return 0;
}

static int grow_and_alloc(pvk_grant_ref_t *ref)
{
	uint32_t old;
	int rc = 0;

	pvk_port_lock(&grow_lock);
	pvk_port_lock(&lock);
	if (pop_locked(ref)) {	/* another CPU grew, or a reference came back */
		pvk_port_unlock(&lock);
		goto out;
	}
	old = nr_refs;		/* changes only under grow_lock, which we hold */
	if (!grow_table || old >= max_refs) {
		rc = full_locked();
		pvk_port_unlock(&lock);
		goto out;
	}
	pvk_port_unlock(&lock);
	rc = grow_locked(old);
	if (!rc) {
		pvk_port_lock(&lock);
		if (!pop_locked(ref))	/* frees only add; nobody else grows */
			pvk_port_panic("grant: no free reference right after a growth");
		pvk_port_unlock(&lock);
	}
out:
	pvk_port_unlock(&grow_lock);
	return rc;
}

int pvk_grant_alloc(pvk_grant_ref_t *ref)
{
	bool got;

	pvk_port_lock(&lock);
	got = pop_locked(ref);
	pvk_port_unlock(&lock);
	return got ? 0 : grow_and_alloc(ref);
}

void pvk_grant_free(pvk_grant_ref_t ref)
{
	pvk_port_lock(&lock);
	if (!pvk_grant_ref_valid(ref) || *link_of(ref) != TAKEN)
		pvk_port_panic("pvk_grant_free: reference not allocated");
	*link_of(ref) = head;
	head = ref;
	nr_free++;
	pvk_port_unlock(&lock);
}

void pvk_grant_refs_stats(struct pvk_grant_stats *out)
{
	if (!PVK_READ_ONCE(nr_refs)) {	/* no table yet (and no lock) */
		out->refs_total = out->refs_free = 0;
		out->grown = out->refused_full = 0;
		return;
	}
	pvk_port_lock(&lock);
	out->refs_total = nr_refs - PVK_GNTTAB_NR_RESERVED_ENTRIES;
	out->refs_free = nr_free;
	out->grown = grown;
	out->refused_full = refused_full;
	pvk_port_unlock(&lock);
}
