/*
 * tests/xen/dom0-tools/hostile-back/hb_grants.c - the guest's grant table
 * as dom0 sees it: how many of its pages dom0 may still map, and whether
 * one ref still grants one. The reading is grant-scan.h's, shared with
 * pvk-grant-scan.
 */
#include "../grant-scan.h"
#include "hb.h"

long hb_count_guest_grants(struct hb_dev *d)
{
	struct grant_scan s;

	if (grant_scan_domain(d->domid, &s, NULL, NULL)) {
		hb_log(d, "grant scan of domain %u failed: %s", d->domid, s.error);
		return -1;
	}
	return (long)s.count;
}

struct find_ref {
	uint32_t ref, frame;
	bool found;
};

static void match_ref(void *ctx, unsigned long ref, const grant_entry_v1_t *e, int reserved)
{
	struct find_ref *f = ctx;

	if (!reserved && ref == f->ref) {
		f->found = true;
		f->frame = e->frame;
	}
}

int hb_guest_grant_active(struct hb_dev *d, uint32_t ref, uint32_t *frame)
{
	struct find_ref f = { .ref = ref };
	struct grant_scan s;

	if (grant_scan_domain(d->domid, &s, match_ref, &f)) {
		hb_log(d, "grant scan of domain %u failed: %s", d->domid, s.error);
		return -1;
	}
	if (f.found && frame)
		*frame = f.frame;
	return f.found;
}
