/*
 * ports/linux/blk_name.h - the name and minor numbers Linux gives a virtual
 * disk from its vbd number (the xenbus id: 51712 is xvda), so a disk of
 * pvk-blkfront is called what xen-blkfront would call it.
 *
 * Pure C on plain types: the Linux module and the host unit tests
 * (tests/unit/test_linux_blk_name.c) compile the same file.
 */
#ifndef PVK_LINUX_BLK_NAME_H
#define PVK_LINUX_BLK_NAME_H

/* Minor numbers of one major, as Linux's MINORBITS (20). */
#define PVK_LINUX_BLK_MINORS_MAX	(1u << 20)

struct pvk_linux_blk_name {
	char name[32];			/* "xvda", "xvdaa", "xvda3" */
	unsigned int first_minor;
	unsigned int minors;		/* 16 or 256: a whole disk; 1: one partition */
};

/*
 * 0 and *out, or -1 for a number Linux gives no xvd name (a major that is
 * neither Xen's 202, an IDE nor a SCSI disk's, or minors past
 * PVK_LINUX_BLK_MINORS_MAX).
 */
int pvk_linux_blk_name(unsigned int vdev, struct pvk_linux_blk_name *out);

#endif /* PVK_LINUX_BLK_NAME_H */
