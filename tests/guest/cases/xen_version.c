/*
 * tests/guest/cases/xen_version.c - asking Xen who it is (HYPERVISOR_xen_version).
 *
 * The harness runs Debian's Xen 4.17. For a 64-bit PV domU, 4.17 reports
 * (common/kernel.c) memory_op_vnode_supported, mmu_pt_update_preserve_ad,
 * highmem_assist and gnttab_map_avail_bits, and must not report
 * auto_translated_physmap (that is HVM/PVH) or dom0.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/version.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define BIT(n) (1U << (n))

PVK_GUEST_TEST(xen_version)
{
	long v = pvk_hyp_xen_version(PVK_XENVER_version, NULL);
	pvk_xen_extraversion_t extra = { 0 };

	PVK_CHECK_EQ(v >> 16, 4);
	PVK_CHECK_EQ(v & 0xffff, 17);
	PVK_CHECK_RC(pvk_hyp_xen_version(PVK_XENVER_extraversion, extra), 0);
	PVK_CHECK_EQ(extra[0], '.');	/* ".<patch level>" */
	PVK_CHECK_RC(pvk_hyp_xen_version(PVK_XENVER_pagesize, NULL), PVK_PAGE_SIZE);
	/* An unknown command is refused, not ignored. */
	PVK_CHECK_RC(pvk_hyp_xen_version(0x7ff0, NULL), -PVK_XEN_ENOSYS);
}

PVK_GUEST_TEST(xen_features)
{
	const uint32_t want = BIT(PVK_XENFEAT_mmu_pt_update_preserve_ad) |
			      BIT(PVK_XENFEAT_highmem_assist) |
			      BIT(PVK_XENFEAT_gnttab_map_avail_bits) |
			      BIT(PVK_XENFEAT_memory_op_vnode_supported);
	const uint32_t never = BIT(PVK_XENFEAT_auto_translated_physmap) |
			       BIT(PVK_XENFEAT_writable_page_tables) |
			       BIT(PVK_XENFEAT_dom0);
	struct pvk_xen_feature_info fi = { .submap_idx = 0 };

	PVK_CHECK_RC(pvk_hyp_xen_version(PVK_XENVER_get_features, &fi), 0);
	PVK_CHECK_EQ(fi.submap & want, want);
	PVK_CHECK_EQ(fi.submap & never, 0);
	/* There is only submap 0. */
	fi.submap_idx = PVK_XENFEAT_NR_SUBMAPS;
	PVK_CHECK_RC(pvk_hyp_xen_version(PVK_XENVER_get_features, &fi), -PVK_XEN_EINVAL);
}

PVK_GUEST_TEST(xen_capabilities)
{
	static pvk_xen_capabilities_info_t caps;

	PVK_CHECK_RC(pvk_hyp_xen_version(PVK_XENVER_capabilities, caps), 0);
	caps[sizeof(caps) - 1] = '\0';
	PVK_CHECK_STR_CONTAINS(caps, "xen-3.0-x86_64");
}
