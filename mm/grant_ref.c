/*
 * mm/grant_ref.c - the grant-reference allocator.
 *
 * A stack of free references, under a lock: references are small
 * integers, the table holds at most a few thousand, and the order in
 * which they are reused does not matter. The first
 * PVK_GNTTAB_NR_RESERVED_ENTRIES belong to the toolstack (console,
 * xenstore) and are never handed out. Freeing a reference twice, or one
 * that was never handed out, is a kit bug: it panics.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "grant_internal.h"

static struct pvk_lock lock;
static uint32_t *free_refs;	/* stack of free references */
static uint8_t *in_use;		/* one byte per reference: double-free guard */
static uint32_t nr_refs, nr_free;

int pvk_grant_refs_init(uint32_t nr_entries)
{
	if (nr_entries <= PVK_GNTTAB_NR_RESERVED_ENTRIES)
		return -PVK_XEN_EINVAL;
	free_refs = pvk_port_malloc(nr_entries * sizeof(*free_refs));
	in_use = pvk_port_malloc(nr_entries);
	if (!free_refs || !in_use) {
		pvk_err("grant: no memory for %u references", nr_entries);
		return -PVK_XEN_ENOMEM;
	}
	pvk_port_lock_init(&lock);
	nr_refs = nr_entries;
	nr_free = 0;
	/* Lowest references on top: handed out first. */
	for (uint32_t r = nr_entries; r-- > PVK_GNTTAB_NR_RESERVED_ENTRIES;) {
		free_refs[nr_free++] = r;
		in_use[r] = 0;
	}
	for (uint32_t r = 0; r < PVK_GNTTAB_NR_RESERVED_ENTRIES; r++)
		in_use[r] = 1;
	return 0;
}

bool pvk_grant_ref_valid(pvk_grant_ref_t ref)
{
	return ref >= PVK_GNTTAB_NR_RESERVED_ENTRIES && ref < nr_refs;
}

int pvk_grant_alloc(pvk_grant_ref_t *ref)
{
	int rc = 0;

	pvk_port_lock(&lock);
	if (!nr_free) {
		rc = -PVK_XEN_ENOSPC;
	} else {
		*ref = free_refs[--nr_free];
		in_use[*ref] = 1;
	}
	pvk_port_unlock(&lock);
	return rc;
}

void pvk_grant_free(pvk_grant_ref_t ref)
{
	pvk_port_lock(&lock);
	if (!pvk_grant_ref_valid(ref) || !in_use[ref])
		pvk_port_panic("pvk_grant_free: reference not allocated");
	in_use[ref] = 0;
	free_refs[nr_free++] = ref;
	pvk_port_unlock(&lock);
}

void pvk_grant_refs_count(uint32_t *total, uint32_t *free_now)
{
	if (!nr_refs) {		/* no table yet (and no lock) */
		*total = *free_now = 0;
		return;
	}
	pvk_port_lock(&lock);
	*total = nr_refs > PVK_GNTTAB_NR_RESERVED_ENTRIES ?
		 nr_refs - PVK_GNTTAB_NR_RESERVED_ENTRIES : 0;
	*free_now = nr_free;
	pvk_port_unlock(&lock);
}
