/*
 * mm/grant_internal.h - what grant_table.c (Xen's side) and grant_ref.c
 * (the reference allocator) share.
 */
#ifndef PVKIT_MM_GRANT_INTERNAL_H
#define PVKIT_MM_GRANT_INTERNAL_H

#include <pvkit/grant.h>

extern struct pvk_grant_stats pvk_grant_stats;

/*
 * Makes the table cover new_entries references (it covers old_entries):
 * Xen's side of a growth (setup_table, mapping the new frames). Called
 * with upcalls masked, under the allocator's growth lock; 0 or a negative
 * PVK_XEN_E* error, which the allocator returns to the caller.
 */
typedef int pvk_grant_grow_fn(uint32_t old_entries, uint32_t new_entries);

/*
 * References PVK_GNTTAB_NR_RESERVED_ENTRIES .. nr_entries - 1 become free.
 * When none is free, pvk_grant_alloc() has grow add step entries at a
 * time up to max_entries (grow NULL or max_entries == nr_entries: never).
 * Both counts are multiples of step.
 */
int pvk_grant_refs_init(uint32_t nr_entries, uint32_t step, uint32_t max_entries,
			pvk_grant_grow_fn *grow);
bool pvk_grant_ref_valid(pvk_grant_ref_t ref);
/* refs_total, refs_free, grown, refused_full of out. */
void pvk_grant_refs_stats(struct pvk_grant_stats *out);

#endif /* PVKIT_MM_GRANT_INTERNAL_H */
