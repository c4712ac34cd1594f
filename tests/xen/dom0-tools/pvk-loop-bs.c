/*
 * tests/xen/dom0-tools/pvk-loop-bs.c - sets a loop device's logical block
 * size, as util-linux's "losetup -b" does (busybox's losetup cannot).
 *
 *   pvk-loop-bs LOOPDEV BYTES
 *
 * block-pvk runs it on a freshly bound loop device before blkback opens
 * it, so the disk a scenario names VDEV.4k.img reaches the guest with
 * sector-size 4096. Linux checks BYTES (a power of two, 512..page size).
 * Prints nothing and exits 0, or names the error and exits 1.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	unsigned long bs;
	char *end;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pvk-loop-bs LOOPDEV BYTES\n");
		return 1;
	}
	bs = strtoul(argv[2], &end, 10);
	if (!*argv[2] || *end) {
		fprintf(stderr, "pvk-loop-bs: bad block size %s\n", argv[2]);
		return 1;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0) {
		fprintf(stderr, "pvk-loop-bs: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (ioctl(fd, LOOP_SET_BLOCK_SIZE, bs)) {
		fprintf(stderr, "pvk-loop-bs: LOOP_SET_BLOCK_SIZE %lu on %s: %s\n",
			bs, argv[1], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}
