/*
 * ports/linux/blk_name.c - a vbd number to Linux's disk name and minors.
 *
 * The numbering (Xen's docs/misc/vbd-interface.txt, as Linux reads it):
 * with bit 28 set the number is "extended": bits 8..27 pick the disk, the
 * low 8 bits a partition, 256 minors a disk. Else bits 8..15 are a Linux
 * major and 0..7 its minor: Xen's own major 202 (16 minors a disk), or the
 * IDE and SCSI majors that HVM configurations name disks with, which Linux
 * maps into the same xvd sequence after it (IDE first, then SCSI). A number
 * whose minor is not the first of its disk names one partition: a disk of
 * one minor, "xvda3", not partitioned again. The disk's index becomes
 * letters as Linux's sd and xvd names do: a..z, aa..zz, aaa...
 */
#include "blk_name.h"

#define EXTENDED		(1u << 28)
#define PARTS			16u	/* minors of a disk, major 202 */
#define PARTS_EXT		256u	/* minors of an extended disk */
#define XENVBD_MAJOR		202u
#define IDE0_MAJOR		3u
#define IDE1_MAJOR		22u
#define SCSI0_MAJOR		8u
#define SCSI1_MAJOR		65u	/* .. 71 */
#define SCSI8_MAJOR		128u	/* .. 135 */
/* Where the emulated disks' names and minors start: IDE ones at xvda
 * (four of them, minor 0), SCSI ones after them (xvde, minor 64). */
#define SD_INDEX_FIRST		4u
#define SD_MINOR_FIRST		(4u * PARTS)

/* Disk index and its minor (a partition's minor stays within its disk's
 * range) for a non-extended number; -1 if Linux names none. */
static int translate(unsigned int major, unsigned int minor,
		     unsigned int *index, unsigned int *out_minor)
{
	unsigned int scsi;

	switch (major) {
	case XENVBD_MAJOR:
		*index = minor / PARTS;
		*out_minor = minor;
		return 0;
	case IDE0_MAJOR:
	case IDE1_MAJOR:
		/* 64 minors an IDE disk, two disks a major; Linux keeps no
		 * partition of them (hda1 is the disk xvda). */
		*index = minor / 64 + (major == IDE1_MAJOR ? 2 : 0);
		*out_minor = *index * PARTS;
		return 0;
	case SCSI0_MAJOR:
		scsi = 0;
		break;
	default:
		if (major >= SCSI1_MAJOR && major < SCSI1_MAJOR + 7)
			scsi = major - SCSI1_MAJOR + 1;
		else if (major >= SCSI8_MAJOR && major < SCSI8_MAJOR + 8)
			scsi = major - SCSI8_MAJOR + 8;
		else
			return -1;
		break;
	}
	/* Sixteen SCSI disks a major. */
	*index = minor / PARTS + scsi * 16 + SD_INDEX_FIRST;
	*out_minor = minor + scsi * 16 * PARTS + SD_MINOR_FIRST;
	return 0;
}

/* index 0 is "a", 25 "z", 26 "aa": bijective base 26. */
static void letters(unsigned int index, char *out)
{
	char rev[8];
	unsigned int n = 0, v = index + 1;

	while (v) {
		v--;
		rev[n++] = (char)('a' + v % 26);
		v /= 26;
	}
	while (n)
		*out++ = rev[--n];
	*out = '\0';
}

/* Appends a decimal number. */
static void append_number(char *s, unsigned int v)
{
	char rev[12];
	unsigned int n = 0;

	while (*s)
		s++;
	do {
		rev[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*s++ = rev[--n];
	*s = '\0';
}

int pvk_linux_blk_name(unsigned int vdev, struct pvk_linux_blk_name *out)
{
	unsigned int index, minor, parts;

	if (vdev & EXTENDED) {
		minor = vdev & ~EXTENDED;
		index = minor / PARTS_EXT;
		parts = PARTS_EXT;
	} else {
		if (vdev > 0xffff || translate(vdev >> 8, vdev & 0xff, &index, &minor))
			return -1;
		parts = PARTS;
	}
	out->first_minor = minor;
	out->minors = minor % parts ? 1 : parts;
	if (minor >= PVK_LINUX_BLK_MINORS_MAX ||
	    out->minors > PVK_LINUX_BLK_MINORS_MAX - minor)
		return -1;
	out->name[0] = 'x';
	out->name[1] = 'v';
	out->name[2] = 'd';
	letters(index, out->name + 3);
	if (out->minors == 1)
		append_number(out->name, minor % parts);
	return 0;
}
