/*
 * tests/guest/cases/grant_table.c - the kit's grant tables (pvkit/grant.h)
 * on real Xen.
 *
 *   grant_setup        setup_table + mapping: the entries the toolstack
 *                      seeded (xenstore, console) read back as expected
 *   grant_refs         every reference of the first frames can be
 *                      allocated once, none reserved, and all come back
 *                      (past them the table grows: grant_grow.c)
 *   grant_still_mapped we map our own grant (as a backend would): ending the
 *                      access is refused while mapped and the page is kept
 *                      (XSA-396); after the unmap it ends and frees
 *   grant_dom0_map     (explicit, scenario guest-grant) dom0 maps and reads a
 *                      grant, then fails to map it once revoked
 *   grant_dom0_hold    (explicit, scenario guest-grant) dom0 keeps a grant
 *                      mapped: ending it is refused and the page kept; after
 *                      dom0 unmaps, the retry revokes it
 */
#include <pvkit/grant.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"
#include "grant_dom0.h"

#define MAP_VA		0xffff970000000000UL	/* L4 slot 302: test mappings */

bool grant_ready;	/* grant_setup passed: grant_grow.c reads it too */

PVK_GUEST_TEST(grant_setup)
{
	const struct pvk_grant_entry_v1 *t = (const void *)GRANT_VA;
	const struct pvk_start_info *si = guest_start_info;
	struct pvk_grant_stats st;
	/* An explicit test before the defaults (pvkit.test=NAME,defaults) may
	 * have set the table up, and given back every ref since: then it
	 * stays, at least as large as set up. */
	bool fresh;

	pvk_grant_stats_snapshot(&st);
	fresh = st.refs_total == 0;
	if (fresh)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	grant_ready = true;
	pvk_grant_stats_snapshot(&st);
	if (fresh)
		PVK_CHECK_EQ(st.refs_total, GRANT_FRAMES * 512 - PVK_GNTTAB_NR_RESERVED_ENTRIES);
	else
		PVK_CHECK_GE(st.refs_total, GRANT_FRAMES * 512 - PVK_GNTTAB_NR_RESERVED_ENTRIES);
	PVK_CHECK_EQ(st.refs_free, st.refs_total);

	/* The toolstack granted our xenstore and console rings to dom0. */
	PVK_CHECK_EQ(t[PVK_GNTTAB_RESERVED_XENSTORE].flags & PVK_GTF_type_mask,
		     PVK_GTF_permit_access);
	PVK_CHECK_EQ(t[PVK_GNTTAB_RESERVED_XENSTORE].frame, si->store_mfn);
	PVK_CHECK_EQ(t[PVK_GNTTAB_RESERVED_CONSOLE].frame, si->console.domU.mfn);
	PVK_CHECK_EQ(t[PVK_GNTTAB_RESERVED_CONSOLE].domid, 0);
}

PVK_GUEST_TEST(grant_refs)
{
	/* The table's size as grant_setup makes it. An earlier test of the
	 * boot may have grown it (grant_setup accepts that): then this test
	 * fails before filling refs, never writes past it (only a failed
	 * earlier test leaves the table grown). */
	static pvk_grant_ref_t refs[GRANT_FRAMES * 512];
	struct pvk_grant_stats st;
	uint32_t n = 0;

	if (!grant_ready)
		PVK_SKIP("no grant table (grant_setup failed)");
	pvk_grant_stats_snapshot(&st);
	PVK_CHECK_LE(st.refs_total, PVK_ARRAY_SIZE(refs));
	while (n < st.refs_total && !pvk_grant_alloc(&refs[n]))
		n++;
	PVK_CHECK_EQ(n, st.refs_total);
	for (uint32_t i = 0; i < n; i++) {
		PVK_CHECK_GE(refs[i], PVK_GNTTAB_NR_RESERVED_ENTRIES);
		pvk_grant_free(refs[i]);
	}
	pvk_grant_stats_snapshot(&st);
	PVK_CHECK_EQ(st.refs_free, st.refs_total);
}

PVK_GUEST_TEST(grant_still_mapped)
{
	struct pvk_gnttab_map_grant_ref map = { 0 };
	struct pvk_gnttab_unmap_grant_ref unmap = { 0 };
	struct pvk_grant_stats s0, s1;
	unsigned long domid;
	pvk_grant_ref_t ref;
	pvk_pfn_t first;
	unsigned long avail;
	uint64_t *page;
	size_t free0;

	if (!grant_ready)
		PVK_SKIP("no grant table (grant_setup failed)");
	guest_events_enable();	/* xenstore replies arrive as events */
	PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, "domid", &domid), 0);
	/* A page mapped at MAP_VA gives MAP_VA + 4 KiB a page table. */
	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_RC(pvk_mmu_map_range(MAP_VA, first, 1, PVK_PTE_KERNEL_RW), 0);
	free0 = guest_pages_free();
	page = pvk_port_alloc_page();
	PVK_CHECK(page);
	page[7] = 0xfeedf00d;
	pvk_grant_stats_snapshot(&s0);
	PVK_CHECK_RC(pvk_grant_access_page((pvk_domid_t)domid, page, false, &ref), 0);

	map.host_addr = MAP_VA + PVK_PAGE_SIZE;
	map.flags = PVK_GNTMAP_host_map;
	map.ref = ref;
	map.dom = (pvk_domid_t)domid;
	PVK_CHECK_RC(pvk_hyp_grant_table_op(PVK_GNTTABOP_map_grant_ref, &map, 1), 0);
	PVK_CHECK_RC(map.status, PVK_GNTST_okay);
	PVK_CHECK_EQ(((volatile uint64_t *)(MAP_VA + PVK_PAGE_SIZE))[7], 0xfeedf00d);
	PVK_CHECK(pvk_grant_in_use(ref));

	guest_printf("grant: expecting ref %u to be refused revocation while mapped\n", ref);
	PVK_CHECK_RC(pvk_grant_end_access_page(ref, page), -PVK_XEN_EBUSY);
	pvk_grant_stats_snapshot(&s1);
	PVK_CHECK_EQ(s1.end_busy - s0.end_busy, 1);
	PVK_CHECK_EQ(s1.pages_kept - s0.pages_kept, 1);
	PVK_CHECK_EQ(guest_pages_free(), free0 - 1);	/* not freed */
	PVK_CHECK(pvk_grant_in_use(ref));

	unmap.host_addr = map.host_addr;
	unmap.handle = map.handle;
	PVK_CHECK_RC(pvk_hyp_grant_table_op(PVK_GNTTABOP_unmap_grant_ref, &unmap, 1), 0);
	PVK_CHECK_RC(unmap.status, PVK_GNTST_okay);
	PVK_CHECK(!pvk_grant_in_use(ref));
	PVK_CHECK_RC(pvk_grant_end_access_page(ref, page), 0);
	pvk_grant_stats_snapshot(&s1);
	PVK_CHECK_EQ(s1.ended - s0.ended, 1);
	PVK_CHECK_EQ(s1.granted - s0.granted, 1);
	PVK_CHECK_EQ(s1.refs_free, s0.refs_free);
	PVK_CHECK_EQ(guest_pages_free(), free0);

	/* Once revoked, the grant can no longer be mapped. */
	map.status = 0;
	PVK_CHECK_RC(pvk_hyp_grant_table_op(PVK_GNTTABOP_map_grant_ref, &map, 1), 0);
	PVK_CHECK(map.status != PVK_GNTST_okay);
	PVK_CHECK_RC(pvk_mmu_unmap_range(MAP_VA, 2), 0);
}

/*
 * Explicit (scenario guest-grant): dom0 maps a grant of ours with
 * tests/xen/dom0-tools/pvk-grant-read and writes what it read to
 * data/grant-result; after we revoke, its second try must fail.
 */
PVK_GUEST_TEST_EXPLICIT(grant_dom0_map)
{
	static struct dom0_offer o;

	if (!grant_ready)
		PVK_SKIP("no grant table (grant_setup failed)");
	guest_events_enable();
	PVK_CHECK_CALL(offer_to_dom0(&o, "pvkit grant test page", "data/grant-ref",
				     "data/grant-result", "ok:"));
	guest_printf("grant: dom0 read \"%s\"\n", o.text);

	/* dom0 unmapped before answering: the grant ends at once. */
	PVK_CHECK(!pvk_grant_in_use(o.ref));
	PVK_CHECK_RC(pvk_grant_end_access_page(o.ref, o.page), 0);
	guest_printf("grant: revoked, dom0 map again\n");
	PVK_CHECK_RC_GE(wait_value("data/grant-result-revoked", o.got, sizeof(o.got), 60), 0);
	guest_printf("grant: dom0 says \"%s\"\n", o.got);
	PVK_CHECK(!memcmp(o.got, "fail:", 5));
	guest_printf("grant: dom0 could not map the revoked grant\n");
}

/*
 * Explicit (scenario guest-grant): dom0 maps a grant of ours and keeps it
 * mapped (tests/xen/dom0-tools/pvk-grant-hold) while we end the access:
 * the kit refuses (-EBUSY: the device is no longer trustworthy) and the
 * page is kept, not freed; once dom0 has unmapped, the retry revokes the
 * grant and frees the page.
 */
PVK_GUEST_TEST_EXPLICIT(grant_dom0_hold)
{
	static struct dom0_offer o;
	struct pvk_grant_stats s0, s1;
	size_t free0;

	if (!grant_ready)
		PVK_SKIP("no grant table (grant_setup failed)");
	guest_events_enable();
	PVK_CHECK_CALL(offer_to_dom0(&o, "pvkit page dom0 holds", "data/grant-hold-ref",
				     "data/grant-held", "held:"));
	PVK_CHECK(pvk_grant_in_use(o.ref));

	/* dom0 still maps it: the kit must refuse and keep the page. */
	pvk_grant_stats_snapshot(&s0);
	free0 = guest_pages_free();
	PVK_CHECK_RC(pvk_grant_end_access_page(o.ref, o.page), -PVK_XEN_EBUSY);
	pvk_grant_stats_snapshot(&s1);
	PVK_CHECK_EQ(s1.end_busy - s0.end_busy, 1);
	PVK_CHECK_EQ(s1.pages_kept - s0.pages_kept, 1);
	PVK_CHECK_EQ(s1.ended - s0.ended, 0);
	PVK_CHECK_EQ(s1.refs_free, s0.refs_free);	/* ref stays allocated */
	PVK_CHECK_EQ(guest_pages_free(), free0);	/* page not freed */
	PVK_CHECK(pvk_grant_in_use(o.ref));
	PVK_CHECK(!memcmp(o.page, o.text, strlen(o.text) + 1));
	guest_printf("grant: end of ref %u refused while dom0 maps it: page kept, device untrusted; dom0 unmap\n",
		     o.ref);

	PVK_CHECK_RC_GE(wait_value("data/grant-unheld", o.got, sizeof(o.got), 60), 0);
	guest_printf("grant: dom0 says \"%s\"\n", o.got);
	PVK_CHECK_EQ(strlen(o.got), strlen("released"));
	PVK_CHECK(!memcmp(o.got, "released", strlen("released")));
	PVK_CHECK(!pvk_grant_in_use(o.ref));
	PVK_CHECK_RC(pvk_grant_end_access_page(o.ref, o.page), 0);
	pvk_grant_stats_snapshot(&s1);
	PVK_CHECK_EQ(s1.ended - s0.ended, 1);
	PVK_CHECK_EQ(s1.refs_free, s0.refs_free + 1);
	PVK_CHECK_EQ(guest_pages_free(), free0 + 1);
	guest_printf("grant: retry after dom0 unmapped: ref %u revoked, page freed\n", o.ref);
}
