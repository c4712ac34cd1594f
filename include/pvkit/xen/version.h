/*
 * pvkit/xen/version.h - HYPERVISOR_xen_version (Xen's public version.h):
 * the hypervisor's version, build information, capabilities, feature
 * submaps and page size.
 */
#ifndef PVKIT_XEN_VERSION_H
#define PVKIT_XEN_VERSION_H

#include <pvkit/xen/xen.h>
#include <pvkit/xen/features.h>

/*
 * xen_version commands. All return 0 on success except version (returns
 * major << 16 | minor) and pagesize (returns the page size).
 */
#define PVK_XENVER_version		0	/* NULL */
#define PVK_XENVER_extraversion		1	/* pvk_xen_extraversion_t */
#define PVK_XENVER_compile_info		2	/* struct pvk_xen_compile_info */
#define PVK_XENVER_capabilities		3	/* pvk_xen_capabilities_info_t */
#define PVK_XENVER_changeset		4	/* pvk_xen_changeset_info_t */
#define PVK_XENVER_platform_parameters	5	/* struct pvk_xen_platform_parameters */
#define PVK_XENVER_get_features		6	/* struct pvk_xen_feature_info */
#define PVK_XENVER_pagesize		7	/* NULL */
#define PVK_XENVER_guest_handle		8	/* pvk_xen_domain_handle_t */
#define PVK_XENVER_commandline		9	/* pvk_xen_commandline_t (privileged) */
#define PVK_XENVER_build_id		10	/* struct pvk_xen_build_id (privileged) */

#define PVK_XEN_EXTRAVERSION_LEN	16
#define PVK_XEN_CAPABILITIES_INFO_LEN	1024
#define PVK_XEN_CHANGESET_INFO_LEN	64

#ifndef __ASSEMBLY__

typedef char pvk_xen_extraversion_t[PVK_XEN_EXTRAVERSION_LEN];	/* e.g. ".7" */
typedef char pvk_xen_capabilities_info_t[PVK_XEN_CAPABILITIES_INFO_LEN];
typedef char pvk_xen_changeset_info_t[PVK_XEN_CHANGESET_INFO_LEN];
typedef char pvk_xen_commandline_t[1024];
typedef uint8_t pvk_xen_domain_handle_t[16];	/* the domain's UUID */

/* NUL-terminated strings describing the hypervisor's build. */
struct pvk_xen_compile_info {
	char compiler[64];
	char compile_by[16];
	char compile_domain[32];
	char compile_date[32];
};

/* The lowest virtual address Xen reserves in the guest's address space. */
struct pvk_xen_platform_parameters {
	pvk_xen_ulong_t virt_start;
};

struct pvk_xen_feature_info {
	uint32_t submap_idx;		/* which 32-bit submap */
	uint32_t submap;		/* out: bit n = PVK_XENFEAT_ n + 32 * idx */
};

/* In: room in buf[]; out: the build id's length and bytes. */
struct pvk_xen_build_id {
	uint32_t len;
	uint8_t buf[];
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_VERSION_H */
