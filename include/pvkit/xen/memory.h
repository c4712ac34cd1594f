/*
 * pvkit/xen/memory.h - HYPERVISOR_memory_op (Xen's public memory.h):
 * growing and shrinking the reservation (balloon), populating the
 * physmap, mapping special pages into the physmap, the machine-to-phys
 * table's location, and the guest's E820 memory map.
 */
#ifndef PVKIT_XEN_MEMORY_H
#define PVKIT_XEN_MEMORY_H

#include <pvkit/xen/xen.h>

/* memory_op commands; the argument each takes is in the comment. */
#define PVK_XENMEM_increase_reservation	0	/* struct pvk_xen_memory_reservation */
#define PVK_XENMEM_decrease_reservation	1	/* struct pvk_xen_memory_reservation */
#define PVK_XENMEM_maximum_ram_page	2	/* NULL: returns the highest MFN */
#define PVK_XENMEM_current_reservation	3	/* domid_t *: returns pages */
#define PVK_XENMEM_maximum_reservation	4	/* domid_t *: returns pages */
#define PVK_XENMEM_machphys_mfn_list	5	/* struct pvk_xen_machphys_mfn_list */
#define PVK_XENMEM_populate_physmap	6	/* struct pvk_xen_memory_reservation */
#define PVK_XENMEM_add_to_physmap	7	/* struct pvk_xen_add_to_physmap */
#define PVK_XENMEM_memory_map		9	/* struct pvk_xen_memory_map */
#define PVK_XENMEM_machine_memory_map	10	/* struct pvk_xen_memory_map (dom0) */
#define PVK_XENMEM_exchange		11	/* struct pvk_xen_memory_exchange */
#define PVK_XENMEM_machphys_mapping	12	/* struct pvk_xen_machphys_mapping */
#define PVK_XENMEM_set_memory_map	13	/* struct pvk_xen_foreign_memory_map */
#define PVK_XENMEM_maximum_gpfn		14	/* domid_t *: returns the highest GPFN */
#define PVK_XENMEM_remove_from_physmap	15	/* struct pvk_xen_remove_from_physmap */
#define PVK_XENMEM_set_pod_target	16
#define PVK_XENMEM_get_pod_target	17
#define PVK_XENMEM_add_to_physmap_batch	23	/* struct pvk_xen_add_to_physmap_batch */
#define PVK_XENMEM_machphys_compat_mfn_list 25
#define PVK_XENMEM_get_vnumainfo	26
#define PVK_XENMEM_acquire_resource	28

/*
 * pvk_xen_memory_reservation.mem_flags: address bits in 0-7, NUMA node + 1
 * in 8-15, flags above.
 */
#define PVK_XENMEMF_address_bits(x)	(x)
#define PVK_XENMEMF_node(x)		(((x) + 1) << 8)
#define PVK_XENMEMF_populate_on_demand	(1 << 16)
#define PVK_XENMEMF_exact_node_request	(1 << 17)
#define PVK_XENMEMF_vnode		(1 << 18)

/* pvk_xen_add_to_physmap.space */
#define PVK_XENMAPSPACE_shared_info	0	/* the shared info page */
#define PVK_XENMAPSPACE_grant_table	1	/* a grant-table frame */
#define PVK_XENMAPSPACE_gmfn		2
#define PVK_XENMAPSPACE_gmfn_range	3
#define PVK_XENMAPSPACE_gmfn_foreign	4
#define PVK_XENMAPSPACE_dev_mmio	5
/* pvk_xen_add_to_physmap.idx for grant_table: the status frames (v2) */
#define PVK_XENMAPIDX_grant_table_status 0x80000000

/*
 * E820 entry types. Xen returns the map "in the format of the BIOS INT
 * 15h E820 call" without declaring it; these are the BIOS values.
 */
#define PVK_E820_RAM		1
#define PVK_E820_RESERVED	2
#define PVK_E820_ACPI		3
#define PVK_E820_NVS		4
#define PVK_E820_UNUSABLE	5

#ifndef __ASSEMBLY__

/*
 * Extents of 2^extent_order pages: frames freed (decrease), or pages to
 * populate and the frames that were given (populate_physmap).
 */
struct pvk_xen_memory_reservation {
	pvk_xen_pfn_t *extent_start;
	pvk_xen_ulong_t nr_extents;
	uint32_t extent_order;
	uint32_t mem_flags;		/* PVK_XENMEMF_* */
	pvk_domid_t domid;		/* PVK_DOMID_SELF for a domU */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_xen_memory_reservation) != 32);

/* Trade extents for others (e.g. below 4 GiB); nr_exchanged must start at 0. */
struct pvk_xen_memory_exchange {
	struct pvk_xen_memory_reservation in;
	struct pvk_xen_memory_reservation out;
	pvk_xen_ulong_t nr_exchanged;	/* out */
};

struct pvk_xen_memory_domain {
	pvk_domid_t domid;
};

/* Frames holding the M2P table, one per 2 MiB of the table. */
struct pvk_xen_machphys_mfn_list {
	uint32_t max_extents;
	pvk_xen_pfn_t *extent_start;
	uint32_t nr_extents;		/* out */
};

/* Where the M2P table is mapped, and the largest MFN it covers. */
struct pvk_xen_machphys_mapping {
	pvk_xen_ulong_t v_start, v_end;
	pvk_xen_ulong_t max_mfn;
};

/* Make page idx of space appear at gpfn. */
struct pvk_xen_add_to_physmap {
	pvk_domid_t domid;
	uint16_t size;			/* pages, for gmfn_range */
	uint32_t space;			/* PVK_XENMAPSPACE_* */
	pvk_xen_ulong_t idx;
	pvk_xen_pfn_t gpfn;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_xen_add_to_physmap) != 24);

struct pvk_xen_add_to_physmap_batch {
	pvk_domid_t domid;
	uint16_t space;			/* PVK_XENMAPSPACE_* */
	uint16_t size;
	union pvk_xen_add_to_physmap_batch_extra {
		pvk_domid_t foreign_domid;	/* gmfn_foreign */
		uint16_t res0;			/* other spaces: 0 */
	} u;
	pvk_xen_ulong_t *idxs;
	pvk_xen_pfn_t *gpfns;
	int *errs;			/* out: per index */
};

struct pvk_xen_remove_from_physmap {
	pvk_domid_t domid;
	pvk_xen_pfn_t gpfn;
};

/* In: room in buffer (entries); out: entries stored. */
struct pvk_xen_memory_map {
	uint32_t nr_entries;
	void *buffer;			/* struct pvk_e820_entry[] */
};

struct pvk_xen_foreign_memory_map {
	pvk_domid_t domid;
	struct pvk_xen_memory_map map;
};

struct pvk_xen_pod_target {
	uint64_t target_pages;
	uint64_t tot_pages;		/* out */
	uint64_t pod_cache_pages;	/* out */
	uint64_t pod_entries;		/* out */
	pvk_domid_t domid;
};

/* One entry of the E820 map XENMEM_memory_map returns (BIOS format, packed). */
struct pvk_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;			/* PVK_E820_* */
} __pvk_packed;
PVK_BUILD_BUG_ON(sizeof(struct pvk_e820_entry) != 20);

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_MEMORY_H */
