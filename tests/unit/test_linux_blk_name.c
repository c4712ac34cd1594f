/*
 * tests/unit/test_linux_blk_name.c - the disk names and minors pvk-blkfront
 * gives vbd numbers (ports/linux/blk_name.c): Linux's xvd names.
 */
#include "../../ports/linux/blk_name.h"
#include "unit.h"

#define EXT(n)	((1u << 28) | (n))

static void check_name(unsigned int vdev, const char *name, unsigned int first,
		       unsigned int minors, const char *file, int line)
{
	struct pvk_linux_blk_name n;

	if (pvk_linux_blk_name(vdev, &n)) {
		unit_fail(file, line, "vdev %u: no name, expected %s", vdev, name);
		return;
	}
	if (strcmp(n.name, name) || n.first_minor != first || n.minors != minors)
		unit_fail(file, line, "vdev %u: %s minors %u+%u, expected %s %u+%u", vdev,
			  n.name, n.first_minor, n.minors, name, first, minors);
}
#define CHECK_NAME(v, n, f, m)	check_name(v, n, f, m, __FILE__, __LINE__)

UNIT_TEST(linux_blk_name_xvd)
{
	CHECK_NAME(51712, "xvda", 0, 16);		/* 202 << 8 */
	CHECK_NAME(51728, "xvdb", 16, 16);
	CHECK_NAME(51712 + 15 * 16, "xvdp", 240, 16);
	/* A partition's number: a disk of one minor, named with it. */
	CHECK_NAME(51713, "xvda1", 1, 1);
	CHECK_NAME(51728 + 15, "xvdb15", 31, 1);
}

UNIT_TEST(linux_blk_name_extended)
{
	CHECK_NAME(EXT(0), "xvda", 0, 256);
	CHECK_NAME(EXT(25 << 8), "xvdz", 25 * 256, 256);
	CHECK_NAME(EXT(26 << 8), "xvdaa", 26 * 256, 256);
	CHECK_NAME(EXT(27 << 8), "xvdab", 27 * 256, 256);
	CHECK_NAME(EXT((26 + 26 * 26 - 1) << 8), "xvdzz", 701 * 256, 256);
	CHECK_NAME(EXT(702 << 8), "xvdaaa", 702 * 256, 256);
	CHECK_NAME(EXT((26 << 8) | 3), "xvdaa3", 26 * 256 + 3, 1);
	/* Past 2^20 minors (one major's) there is no name. */
	CHECK_NAME(EXT(4095 << 8), "xvdfan", 4095 * 256, 256);
	{
		struct pvk_linux_blk_name n;

		CHECK(pvk_linux_blk_name(EXT(4096 << 8), &n) == -1);
		CHECK(pvk_linux_blk_name(EXT(0xfffffff), &n) == -1);
	}
}

UNIT_TEST(linux_blk_name_emulated)
{
	struct pvk_linux_blk_name n;

	CHECK_NAME(3 << 8, "xvda", 0, 16);		/* hda */
	CHECK_NAME((3 << 8) | 64, "xvdb", 16, 16);	/* hdb */
	CHECK_NAME((3 << 8) | 1, "xvda", 0, 16);	/* hda1: Linux keeps the disk */
	CHECK_NAME(22 << 8, "xvdc", 32, 16);		/* hdc */
	CHECK_NAME(8 << 8, "xvde", 64, 16);		/* sda */
	CHECK_NAME((8 << 8) | 17, "xvdf1", 81, 1);	/* sdb1 */
	CHECK_NAME(65 << 8, "xvdu", 64 + 256, 16);	/* sdq */
	CHECK_NAME((135 << 8) | 240, "xvdiz", 64 + 15 * 256 + 240, 16);	/* the last */
	CHECK(pvk_linux_blk_name(18 << 8, &n) == -1);	/* no disk major */
	CHECK(pvk_linux_blk_name(0x10000, &n) == -1);	/* not 16 bits, not extended */
}
