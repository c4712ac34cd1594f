/*
 * tests/guest/cases/grant_grow.c - the grant table grown on demand, on Xen
 * (explicit, scenario guest-grant, after grant_setup's table of
 * GRANT_FRAMES frames):
 *
 *   grant_grow   holds GROW_EXTRA more references than the first frames
 *                give, each granting one page to dom0 read-only; dom0
 *                counts them in the table as Xen has it (pvk-grant-scan:
 *                its frame count and the grants to dom0) and maps one of
 *                a new frame (pvk-grant-read); all are ended and freed,
 *                dom0 counts none left; then references are taken until
 *                the table is at its maximum, where the allocation must
 *                fail with -ENOSPC, and all come back.
 */
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"
#include "grant_dom0.h"

#define PER_FRAME	512
#define GROW_EXTRA	600	/* past the first frames: two frames more */
#define MAX_HELD	(64 * PER_FRAME)	/* Xen 4.17's default maximum */

static pvk_grant_ref_t held[MAX_HELD];

/* The number after label in text (dom0's scan line); false if absent. */
static bool number_after(const char *text, const char *label, unsigned long *out)
{
	const char *p = guest_strstr(text, label);

	if (!p)
		return false;
	p += strlen(label);
	if (*p < '0' || *p > '9')
		return false;
	*out = 0;
	while (*p >= '0' && *p <= '9')
		*out = *out * 10 + (unsigned long)(*p++ - '0');
	return true;
}

/*
 * Asks dom0 (the line matches an ON_LINE rule of guest-grant) to scan our
 * table into key; checks it read frames frames and counts want grants.
 */
static void dom0_counts(const char *line, const char *key, unsigned long frames,
			unsigned long want)
{
	unsigned long got_frames, got;
	char reply[256];

	guest_printf("%s\n", line);
	PVK_CHECK_RC_GE(wait_value(key, reply, sizeof(reply), 60), 0);
	guest_printf("grant: scan by dom0: %s\n", reply);
	PVK_CHECK(number_after(reply, "v1, ", &got_frames));
	PVK_CHECK(number_after(reply, "grants-to-dom0: ", &got));
	PVK_CHECK_EQ(got_frames, frames);
	PVK_CHECK_EQ(got, want);
}

PVK_GUEST_TEST_EXPLICIT(grant_grow)
{
	static struct dom0_offer o;
	struct pvk_grant_stats s0, s1, s2;
	uint32_t n, hold, all;
	pvk_grant_ref_t extra;
	pvk_gfn_t gfn;
	int rc;
	void *page;

	if (!grant_ready)
		PVK_SKIP("no grant table (grant_setup failed)");
	guest_events_enable();
	pvk_grant_stats_snapshot(&s0);
	guest_printf("grant: before: %u frames of at most %u, %u references, %u free\n",
		     s0.frames, s0.max_frames, s0.refs_total, s0.refs_free);
	PVK_CHECK_EQ(s0.frames, GRANT_FRAMES);
	PVK_CHECK_EQ(s0.refs_free, s0.refs_total);
	PVK_CHECK_GE(s0.max_frames, GRANT_FRAMES + 2);

	/* More than the first frames hold, all granted to dom0. */
	page = pvk_port_alloc_page();
	PVK_CHECK(page);
	gfn = pvk_pfn_to_gfn(pvk_port_virt_to_pfn(page));
	hold = s0.refs_total + GROW_EXTRA;
	for (n = 0; n < hold; n++) {
		rc = pvk_grant_alloc(&held[n]);
		if (rc) {
			guest_printf("grant: allocation %u of %u failed: %d\n", n + 1, hold, rc);
			break;
		}
		pvk_grant_access(held[n], 0, gfn, true);
	}
	pvk_grant_stats_snapshot(&s1);
	guest_printf("grant: after %u held: %u frames, %u references, grown %llu times\n",
		     n, s1.frames, s1.refs_total, (unsigned long long)(s1.grown - s0.grown));
	PVK_CHECK_EQ(n, hold);
	PVK_CHECK_EQ(s1.frames, GRANT_FRAMES + 2);
	PVK_CHECK_EQ(s1.grown - s0.grown, 2);
	PVK_CHECK_EQ(s1.refs_total, s1.frames * PER_FRAME - PVK_GNTTAB_NR_RESERVED_ENTRIES);
	PVK_CHECK_EQ(s1.refs_free, s1.refs_total - hold);

	/* dom0 maps a reference of a new frame and reads the page back. */
	PVK_CHECK_CALL(offer_to_dom0(&o, "pvkit page of a grown frame", "data/grant-grow-ref",
				     "data/grant-grow-result", "ok:"));
	PVK_CHECK_GE(o.ref, GRANT_FRAMES * PER_FRAME);
	guest_printf("grant: dom0 read ref %u of frame %u\n", o.ref, o.ref / PER_FRAME);
	PVK_CHECK_CALL(dom0_counts("grant: references held, dom0 count them (grown)",
				   "data/grant-scan-grown", s1.frames, hold + 1));

	/* All back; Xen's table keeps its frames, none grants anything. */
	for (uint32_t i = 0; i < n; i++)
		PVK_CHECK_RC(pvk_grant_end_access(held[i]), 0);
	PVK_CHECK_RC(pvk_grant_end_access_page(o.ref, o.page), 0);
	PVK_CHECK_CALL(dom0_counts("grant: references ended, dom0 count them (ended)",
				   "data/grant-scan-ended", s1.frames, 0));
	pvk_grant_stats_snapshot(&s2);
	PVK_CHECK_EQ(s2.refs_free, s2.refs_total);
	PVK_CHECK_EQ(s2.frames, s1.frames);
	guest_printf("grant: all %u references back, %u free of %u\n", hold + 1,
		     s2.refs_free, s2.refs_total);

	/* Up to the maximum, then the clear refusal. */
	all = s2.max_frames * PER_FRAME - PVK_GNTTAB_NR_RESERVED_ENTRIES;
	if (all > MAX_HELD) {
		pvk_port_free_page(page);
		PVK_SKIP("Xen allows %u frames: more than this test holds", s2.max_frames);
	}
	for (n = 0; n < all; n++) {
		if (pvk_grant_alloc(&held[n]))
			break;
	}
	pvk_grant_stats_snapshot(&s1);
	rc = pvk_grant_alloc(&extra);
	pvk_grant_stats_snapshot(&s2);
	guest_printf("grant: at the maximum: %u frames, %u references held, one more: %d\n",
		     s1.frames, n, rc);
	PVK_CHECK_EQ(n, all);
	PVK_CHECK_EQ(s1.frames, s1.max_frames);
	PVK_CHECK_RC(rc, -PVK_XEN_ENOSPC);
	PVK_CHECK_EQ(s2.refused_full - s1.refused_full, 1);
	for (uint32_t i = 0; i < n; i++)
		pvk_grant_free(held[i]);
	pvk_grant_stats_snapshot(&s2);
	PVK_CHECK_EQ(s2.refs_free, s2.refs_total);
	guest_printf("grant: %u references back, %u free of %u\n", n, s2.refs_free, s2.refs_total);
	pvk_port_free_page(page);
}
