/*
 * tests/guest/cases/bench.c - the Xen side of "make bench": the
 * microbenchmarks of bench.c, run only when asked for (pvkit.test=bench,
 * scenario bench.scn). It fails only if a benchmarked operation failed;
 * the figures are printed, never judged.
 */
#include "../test.h"

PVK_GUEST_TEST_EXPLICIT(bench)
{
	PVK_CHECK_EQ(guest_bench_run(), 0);
}
