/*
 * pvkit/xen/physdev.h - the HYPERVISOR_physdev_op commands a PV domU uses
 * (Xen's public physdev.h): I/O privilege (IOPL, I/O bitmap) and physical
 * IRQs delivered over event channels (EOI, status, the PIRQ EOI page,
 * mapping a PIRQ). The PCI management commands are dom0's and left out.
 */
#ifndef PVKIT_XEN_PHYSDEV_H
#define PVKIT_XEN_PHYSDEV_H

#include <pvkit/xen/xen.h>

/* physdev_op commands; the argument each takes is in the comment. */
#define PVK_PHYSDEVOP_irq_status_query	5	/* struct pvk_physdev_irq_status_query */
#define PVK_PHYSDEVOP_set_iopl		6	/* struct pvk_physdev_set_iopl */
#define PVK_PHYSDEVOP_set_iobitmap	7	/* struct pvk_physdev_set_iobitmap */
#define PVK_PHYSDEVOP_eoi		12	/* struct pvk_physdev_eoi */
#define PVK_PHYSDEVOP_map_pirq		13	/* struct pvk_physdev_map_pirq */
#define PVK_PHYSDEVOP_unmap_pirq	14	/* struct pvk_physdev_unmap_pirq */
#define PVK_PHYSDEVOP_pirq_eoi_gmfn_v1	17	/* struct pvk_physdev_pirq_eoi_gmfn */
#define PVK_PHYSDEVOP_get_free_pirq	23	/* struct pvk_physdev_get_free_pirq */
#define PVK_PHYSDEVOP_pirq_eoi_gmfn_v2	28	/* ditto; also unmasks on EOI */
#define PVK_PHYSDEVOP_pirq_eoi_gmfn	PVK_PHYSDEVOP_pirq_eoi_gmfn_v2

/* pvk_physdev_irq_status_query.flags */
#define PVK_XENIRQSTAT_needs_eoi	(1U << 0)	/* must PHYSDEVOP_eoi after handling */
#define PVK_XENIRQSTAT_shared		(1U << 1)	/* shared with other domains */

/* pvk_physdev_map_pirq.type */
#define PVK_MAP_PIRQ_TYPE_MSI		0x0
#define PVK_MAP_PIRQ_TYPE_GSI		0x1
#define PVK_MAP_PIRQ_TYPE_UNKNOWN	0x2
#define PVK_MAP_PIRQ_TYPE_MSI_SEG	0x3
#define PVK_MAP_PIRQ_TYPE_MULTI_MSI	0x4

#ifndef __ASSEMBLY__

struct pvk_physdev_eoi {
	uint32_t irq;
};

/* Register a page of bits Xen sets for PIRQs that need an EOI. */
struct pvk_physdev_pirq_eoi_gmfn {
	pvk_xen_pfn_t gmfn;
};

struct pvk_physdev_irq_status_query {
	uint32_t irq;
	uint32_t flags;			/* out: PVK_XENIRQSTAT_* */
};

struct pvk_physdev_set_iopl {
	uint32_t iopl;			/* 0-3: the privilege level allowed I/O */
};

struct pvk_physdev_set_iobitmap {
	uint8_t *bitmap;		/* a TSS-style bitmap, 1 = trap */
	uint32_t nr_ports;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_physdev_set_iobitmap) != 16);

struct pvk_physdev_map_pirq {
	pvk_domid_t domid;
	int32_t type;			/* PVK_MAP_PIRQ_TYPE_* */
	int32_t index;			/* GSI, or MSI entry */
	int32_t pirq;			/* in or out */
	int32_t bus;			/* MSI_SEG: segment in bits 16-31 */
	int32_t devfn;
	int32_t entry_nr;
	uint64_t table_base;		/* MSI-X table */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_physdev_map_pirq) != 40);

struct pvk_physdev_unmap_pirq {
	pvk_domid_t domid;
	int32_t pirq;
};

struct pvk_physdev_get_free_pirq {
	int32_t type;			/* PVK_MAP_PIRQ_TYPE_GSI or _MSI */
	uint32_t pirq;			/* out */
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_PHYSDEV_H */
