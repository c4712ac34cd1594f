/*
 * pvkit/xen/grant_table.h - grant tables (Xen's public grant_table.h):
 * the v1 grant entry a guest writes to share a page with another domain,
 * its GTF_* flags, and HYPERVISOR_grant_table_op's commands, argument
 * structs, GNTMAP_* mapping flags and GNTST_* status codes.
 *
 * Only the v1 entry format is described: the kit never switches a domain
 * to v2 (GNTTABOP_set_version exists to check or pin version 1).
 */
#ifndef PVKIT_XEN_GRANT_TABLE_H
#define PVKIT_XEN_GRANT_TABLE_H

#include <pvkit/xen/xen.h>

/* Entries 0-7 are kept for the toolstack across guest (re)start. */
#define PVK_GNTTAB_NR_RESERVED_ENTRIES	8
#define PVK_GNTTAB_RESERVED_CONSOLE	0
#define PVK_GNTTAB_RESERVED_XENSTORE	1

/*
 * pvk_grant_entry_v1.flags: a type in bits 0-1 plus flags. The guest
 * writes the type last (after domid and frame); Xen sets reading/writing
 * while the grant is mapped, so the guest may only revoke it when both
 * are clear.
 */
#define PVK_GTF_invalid		(0U << 0)
#define PVK_GTF_permit_access	(1U << 0)	/* domid may map/copy frame */
#define PVK_GTF_accept_transfer	(2U << 0)	/* domid may transfer a page into frame */
#define PVK_GTF_transitive	(3U << 0)
#define PVK_GTF_type_mask	(3U << 0)
#define PVK_GTF_readonly	(1U << 2)	/* the grantee may not write */
#define PVK_GTF_reading		(1U << 3)	/* set by Xen: mapped/accessed for read */
#define PVK_GTF_writing		(1U << 4)	/* set by Xen: mapped/accessed for write */
#define PVK_GTF_PWT		(1U << 5)
#define PVK_GTF_PCD		(1U << 6)
#define PVK_GTF_PAT		(1U << 7)
#define PVK_GTF_sub_page	(1U << 8)	/* v2 only */
#define PVK_GTF_transfer_committed (1U << 2)	/* accept_transfer: in progress */
#define PVK_GTF_transfer_completed (1U << 3)	/* accept_transfer: frame is set */

/* grant_table_op commands => struct pvk_gnttab_<command> */
#define PVK_GNTTABOP_map_grant_ref	0
#define PVK_GNTTABOP_unmap_grant_ref	1
#define PVK_GNTTABOP_setup_table	2
#define PVK_GNTTABOP_dump_table		3
#define PVK_GNTTABOP_transfer		4
#define PVK_GNTTABOP_copy		5
#define PVK_GNTTABOP_query_size		6
#define PVK_GNTTABOP_unmap_and_replace	7
#define PVK_GNTTABOP_set_version	8
#define PVK_GNTTABOP_get_status_frames	9
#define PVK_GNTTABOP_get_version	10
#define PVK_GNTTABOP_swap_grant_ref	11
#define PVK_GNTTABOP_cache_flush	12

/* pvk_gnttab_copy.flags: which side is a grant reference (else a frame). */
#define PVK_GNTCOPY_source_gref	(1 << 0)
#define PVK_GNTCOPY_dest_gref	(1 << 1)

/* pvk_gnttab_cache_flush.op */
#define PVK_GNTTAB_CACHE_CLEAN		(1u << 0)
#define PVK_GNTTAB_CACHE_INVAL		(1u << 1)
#define PVK_GNTTAB_CACHE_SOURCE_GREF	(1u << 31)

/* pvk_gnttab_map_grant_ref.flags */
#define PVK_GNTMAP_device_map		(1 << 0)	/* for I/O devices */
#define PVK_GNTMAP_host_map		(1 << 1)	/* for the CPU */
#define PVK_GNTMAP_readonly		(1 << 2)
#define PVK_GNTMAP_application_map	(1 << 3)	/* host_map: user-accessible */
#define PVK_GNTMAP_contains_pte		(1 << 4)	/* host_addr is a PTE's machine address */
#define PVK_GNTMAP_guest_avail_mask	((uint32_t)~0 << 16)	/* PTE bits left to the guest */

/* Status of each grant operation (negative: failure). */
#define PVK_GNTST_okay			(0)
#define PVK_GNTST_general_error		(-1)
#define PVK_GNTST_bad_domain		(-2)
#define PVK_GNTST_bad_gntref		(-3)
#define PVK_GNTST_bad_handle		(-4)
#define PVK_GNTST_bad_virt_addr		(-5)
#define PVK_GNTST_bad_dev_addr		(-6)
#define PVK_GNTST_no_device_space	(-7)
#define PVK_GNTST_permission_denied	(-8)
#define PVK_GNTST_bad_page		(-9)
#define PVK_GNTST_bad_copy_arg		(-10)	/* copy crosses a page boundary */
#define PVK_GNTST_address_too_big	(-11)
#define PVK_GNTST_eagain		(-12)
#define PVK_GNTST_no_space		(-13)

#ifndef __ASSEMBLY__

typedef uint32_t pvk_grant_ref_t;
typedef uint32_t pvk_grant_handle_t;

/* One entry of the (v1) grant table the guest shares with Xen. */
struct pvk_grant_entry_v1 {
	uint16_t flags;			/* PVK_GTF_*, written last */
	pvk_domid_t domid;		/* the grantee */
	uint32_t frame;			/* the granted frame */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_grant_entry_v1) != 8);

/* Map a foreign grant at host_addr. */
struct pvk_gnttab_map_grant_ref {
	uint64_t host_addr;
	uint32_t flags;			/* PVK_GNTMAP_* */
	pvk_grant_ref_t ref;
	pvk_domid_t dom;		/* the granting domain */
	int16_t status;			/* out: PVK_GNTST_* */
	pvk_grant_handle_t handle;	/* out: for unmapping */
	uint64_t dev_bus_addr;		/* out: with GNTMAP_device_map */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_gnttab_map_grant_ref) != 32);

struct pvk_gnttab_unmap_grant_ref {
	uint64_t host_addr;
	uint64_t dev_bus_addr;
	pvk_grant_handle_t handle;
	int16_t status;			/* out */
};

/* Ask for nr_frames grant-table frames; their MFNs come back in frame_list. */
struct pvk_gnttab_setup_table {
	pvk_domid_t dom;
	uint32_t nr_frames;
	int16_t status;			/* out */
	pvk_xen_pfn_t *frame_list;	/* out: nr_frames entries */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_gnttab_setup_table) != 24);

struct pvk_gnttab_dump_table {
	pvk_domid_t dom;
	int16_t status;			/* out */
};

/* Give away the page at mfn to domid, into its grant ref. */
struct pvk_gnttab_transfer {
	pvk_xen_pfn_t mfn;
	pvk_domid_t domid;
	pvk_grant_ref_t ref;
	int16_t status;			/* out */
};

/* One end of a grant copy: a grant reference or a local frame. */
struct pvk_gnttab_copy_ptr {
	union {
		pvk_grant_ref_t ref;
		pvk_xen_pfn_t gmfn;
	} u;
	pvk_domid_t domid;
	uint16_t offset;
};

/* Copy len bytes between two (granted or local) frames, within a page. */
struct pvk_gnttab_copy {
	struct pvk_gnttab_copy_ptr source, dest;
	uint16_t len;
	uint16_t flags;			/* PVK_GNTCOPY_* */
	int16_t status;			/* out */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_gnttab_copy) != 40);

struct pvk_gnttab_query_size {
	pvk_domid_t dom;
	uint32_t nr_frames;		/* out: current */
	uint32_t max_nr_frames;		/* out: limit */
	int16_t status;			/* out */
};

struct pvk_gnttab_unmap_and_replace {
	uint64_t host_addr;
	uint64_t new_addr;
	pvk_grant_handle_t handle;
	int16_t status;			/* out */
};

/* In: the version wanted (0: just query); out: the version in force. */
struct pvk_gnttab_set_version {
	uint32_t version;
};

/* v2 only: the frames of the status array. */
struct pvk_gnttab_get_status_frames {
	uint32_t nr_frames;
	pvk_domid_t dom;
	int16_t status;			/* out */
	uint64_t *frame_list;		/* out */
};

struct pvk_gnttab_get_version {
	pvk_domid_t dom;
	uint16_t pad;
	uint32_t version;		/* out */
};

struct pvk_gnttab_swap_grant_ref {
	pvk_grant_ref_t ref_a;
	pvk_grant_ref_t ref_b;
	int16_t status;			/* out */
};

struct pvk_gnttab_cache_flush {
	union {
		uint64_t dev_bus_addr;
		pvk_grant_ref_t ref;
	} a;
	uint16_t offset;
	uint16_t length;
	uint32_t op;			/* PVK_GNTTAB_CACHE_* */
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_GRANT_TABLE_H */
