/*
 * tests/guest/cases/bench.c - "make bench"'s microbenchmarks of bench.c,
 * run only when asked for: pvkit.test=bench (one CPU: scenario bench.scn,
 * QEMU -smp 1) and pvkit.test=bench_smp (the SMP rows on 4 CPUs: scenario
 * bench-smp.scn, QEMU -smp 4). They fail only if a benchmarked operation
 * failed; the figures are printed, never judged.
 */
#include "../test.h"

PVK_GUEST_TEST_EXPLICIT(bench)
{
	PVK_CHECK_EQ(guest_bench_run(), 0);
}

PVK_GUEST_TEST_EXPLICIT(bench_smp)
{
	PVK_CHECK_EQ(guest_bench_smp_run(), 0);
}
