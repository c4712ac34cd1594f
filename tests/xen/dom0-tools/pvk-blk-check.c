/*
 * tests/xen/dom0-tools/pvk-blk-check.c FILE - dom0's own check of a disk
 * the guest's blkfront test (tests/guest/cases/blkfront.c) wrote: every
 * byte of FILE must be the test's pattern. Prints one line,
 * "ok: N bytes match" or "fail: ..." naming the first bad byte and how
 * many differ. The pattern below must stay identical to the guest's.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdint.h>

static uint8_t blk_pattern_byte(uint64_t o)
{
	uint64_t w = (o >> 3) * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL;

	w ^= w >> 29;
	return (uint8_t)(w >> ((o & 7) * 8));
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	uint64_t off = 0, bad = 0, first = 0;
	uint8_t got = 0;
	size_t n;
	FILE *f;

	if (argc != 2) {
		printf("fail: usage: pvk-blk-check FILE\n");
		return 2;
	}
	f = fopen(argv[1], "rb");
	if (!f) {
		printf("fail: cannot open %s\n", argv[1]);
		return 1;
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		for (size_t i = 0; i < n; i++, off++) {
			if (buf[i] == blk_pattern_byte(off))
				continue;
			if (!bad++) {
				first = off;
				got = buf[i];
			}
		}
	}
	fclose(f);
	if (off == 0) {
		printf("fail: %s is empty\n", argv[1]);
		return 1;
	}
	if (bad) {
		printf("fail: %" PRIu64 " of %" PRIu64 " bytes differ, first at byte %" PRIu64
		       ": 0x%02x, want 0x%02x\n", bad, off, first, got, blk_pattern_byte(first));
		return 1;
	}
	printf("ok: %" PRIu64 " bytes match\n", off);
	return 0;
}
