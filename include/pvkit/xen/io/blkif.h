/*
 * pvkit/xen/io/blkif.h - the PV block device protocol (Xen's
 * io/blkif.h): requests (read/write with inline segments, discard,
 * indirect with segment pages), responses, status codes, and the
 * virtual-disk info flags the backend publishes in xenstore.
 *
 * All request kinds share one ring slot, sized by the read/write request.
 */
#ifndef PVKIT_XEN_IO_BLKIF_H
#define PVKIT_XEN_IO_BLKIF_H

#include <pvkit/xen/io/ring.h>
#include <pvkit/xen/grant_table.h>

/* pvk_blkif_request.operation */
#define PVK_BLKIF_OP_READ		0
#define PVK_BLKIF_OP_WRITE		1
#define PVK_BLKIF_OP_WRITE_BARRIER	2	/* feature-barrier */
#define PVK_BLKIF_OP_FLUSH_DISKCACHE	3	/* feature-flush-cache */
#define PVK_BLKIF_OP_RESERVED_1		4
#define PVK_BLKIF_OP_DISCARD		5	/* feature-discard */
#define PVK_BLKIF_OP_INDIRECT		6	/* feature-max-indirect-segments */

/* Segments in a direct request; pages of segments in an indirect one. */
#define PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST	11
#define PVK_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST 8

/* pvk_blkif_request_discard.flag */
#define PVK_BLKIF_DISCARD_SECURE	(1 << 0)

/* pvk_blkif_response.status */
#define PVK_BLKIF_RSP_EOPNOTSUPP	-2	/* e.g. barriers unsupported */
#define PVK_BLKIF_RSP_ERROR		-1
#define PVK_BLKIF_RSP_OKAY		0

/* The backend's "info" node: bits of the virtual disk. */
#define PVK_VDISK_CDROM		0x1
#define PVK_VDISK_REMOVABLE	0x2
#define PVK_VDISK_READONLY	0x4

#ifndef __ASSEMBLY__

typedef uint16_t pvk_blkif_vdev_t;	/* Xen's blkif_vdev_t */
typedef uint64_t pvk_blkif_sector_t;	/* in 512-byte sectors */

/* One granted page and the 512-byte sectors of it to transfer (inclusive). */
struct pvk_blkif_request_segment {
	pvk_grant_ref_t gref;
	uint8_t first_sect, last_sect;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_blkif_request_segment) != 8);

struct pvk_blkif_request {
	uint8_t operation;		/* PVK_BLKIF_OP_* */
	uint8_t nr_segments;
	pvk_blkif_vdev_t handle;
	uint64_t id;			/* echoed in the response */
	pvk_blkif_sector_t sector_number;
	struct pvk_blkif_request_segment seg[PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_blkif_request) != 112);

struct pvk_blkif_request_discard {
	uint8_t operation;		/* PVK_BLKIF_OP_DISCARD */
	uint8_t flag;			/* PVK_BLKIF_DISCARD_SECURE or 0 */
	pvk_blkif_vdev_t handle;
	uint64_t id;
	pvk_blkif_sector_t sector_number;
	uint64_t nr_sectors;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_blkif_request_discard) >
		 sizeof(struct pvk_blkif_request));

/* Segments are in pages of struct pvk_blkif_request_segment, by grant. */
struct pvk_blkif_request_indirect {
	uint8_t operation;		/* PVK_BLKIF_OP_INDIRECT */
	uint8_t indirect_op;		/* PVK_BLKIF_OP_READ or _WRITE */
	uint16_t nr_segments;
	uint64_t id;
	pvk_blkif_sector_t sector_number;
	pvk_blkif_vdev_t handle;
	pvk_grant_ref_t indirect_grefs[PVK_BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_blkif_request_indirect) >
		 sizeof(struct pvk_blkif_request));

struct pvk_blkif_response {
	uint64_t id;
	uint8_t operation;
	int16_t status;			/* PVK_BLKIF_RSP_* */
};

PVK_DEFINE_RING_TYPES(blkif, struct pvk_blkif_request,
		      struct pvk_blkif_response);

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_IO_BLKIF_H */
