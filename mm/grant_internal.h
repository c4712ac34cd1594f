/*
 * mm/grant_internal.h - what grant_table.c and grant_ref.c share.
 */
#ifndef PVKIT_MM_GRANT_INTERNAL_H
#define PVKIT_MM_GRANT_INTERNAL_H

#include <pvkit/grant.h>

extern struct pvk_grant_stats pvk_grant_stats;

/* References PVK_GNTTAB_NR_RESERVED_ENTRIES .. nr_entries - 1 become free. */
int pvk_grant_refs_init(uint32_t nr_entries);
bool pvk_grant_ref_valid(pvk_grant_ref_t ref);
void pvk_grant_refs_count(uint32_t *total, uint32_t *nr_free);

#endif /* PVKIT_MM_GRANT_INTERNAL_H */
