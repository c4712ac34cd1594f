/*
 * ports/linux/grant.c - pvkit/grant.h's frontend calls on Linux's grant
 * table (gnttab_*): granting our pages to the backend and taking them back.
 *
 * The kit's rule is kept as the kit keeps it: a grant the backend still
 * maps is never ended by force and its page is never freed or reused
 * (-EBUSY to the frontend, which stops trusting that backend). Linux's
 * gnttab_end_foreign_access() would instead retry later in the background;
 * we do not use it, so what stays behind is counted and reported, never
 * hidden. Any context (event handlers refill rings with fresh grants).
 */
#include <linux/kernel.h>
#include <linux/atomic.h>
#include <linux/mm.h>
#include <xen/grant_table.h>
#include <xen/page.h>

#include <pvkit/grant.h>
#include <pvkit/port.h>
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "port_linux.h"

static atomic64_t granted, ended, end_busy, pages_kept;

int pvk_grant_access_page(pvk_domid_t domid, const void *page, bool readonly,
			  pvk_grant_ref_t *ref)
{
	int rc;

	/* A frame is found from a direct-map address only (ours come from
	 * pvk_port_alloc_page()); a vmalloc or kmap address would grant
	 * some other page. */
	if (WARN_ON_ONCE(!virt_addr_valid(page) || offset_in_page(page)))
		return -PVK_XEN_EINVAL;
	rc = gnttab_grant_foreign_access(domid, virt_to_gfn(page), readonly);
	if (rc < 0)
		return rc;	/* -ENOSPC: out of references, as the kit says it */
	*ref = rc;
	atomic64_inc(&granted);
	return 0;
}

int pvk_grant_end_access(pvk_grant_ref_t ref)
{
	/* Ends the grant and frees the reference only if nobody maps it. */
	if (!gnttab_try_end_foreign_access(ref)) {
		atomic64_inc(&end_busy);
		return -PVK_XEN_EBUSY;
	}
	atomic64_inc(&ended);
	return 0;
}

int pvk_grant_end_access_page(pvk_grant_ref_t ref, void *page)
{
	int rc = pvk_grant_end_access(ref);

	if (rc) {
		/* The backend may still write into it: the page is kept forever. */
		atomic64_inc(&pages_kept);
		pvk_err("grant: ref %u still mapped by the backend: page kept, never freed",
			ref);
		return rc;
	}
	pvk_port_free_page(page);
	return 0;
}

void pvk_grant_stats_snapshot(struct pvk_grant_stats *out)
{
	*out = (struct pvk_grant_stats){
		.granted = atomic64_read(&granted),
		.ended = atomic64_read(&ended),
		.end_busy = atomic64_read(&end_busy),
		.pages_kept = atomic64_read(&pages_kept),
		/* Linux's grant table owns the references: not ours to count. */
	};
}

/* Module unload: grants the frontends never ended are said out loud. */
void pvk_linux_grant_exit(void)
{
	s64 held = atomic64_read(&granted) - atomic64_read(&ended);

	if (held)
		pvk_err("grant: %lld grants of ours not ended at unload (%lld pages kept because the backend mapped them)",
			(long long)held, (long long)atomic64_read(&pages_kept));
	else
		pvk_info("grant: every grant ended (%lld granted)",
			 (long long)atomic64_read(&granted));
}
