/*
 * tests/guest/cases/smp_helpers.h - what the SMP test files (cases/smp.c,
 * smp_time.c, smp_mm.c) share: SMP up or a skip, work run on several CPUs
 * at once with a meeting point, and a walk of the page tables. The checks
 * stay in the tests (the PVK_CHECK macros return from the test body);
 * these return what they saw. smp_helpers.c, built with the SMP test
 * files (guest.mk takes every cases/smp*.c); it declares no test.
 */
#ifndef PVK_GUEST_CASES_SMP_HELPERS_H
#define PVK_GUEST_CASES_SMP_HELPERS_H

#include <pvkit/mmu.h>
#include <pvkit/smp.h>

/*
 * SMP up (on Xen it comes with events), or the test skipped (a native
 * boot that did not start SMP) or failed (Xen: events on, no SMP). The
 * number of online CPUs, 0 after a skip or a failure. With one CPU the
 * tests run on CPU 0 alone.
 */
unsigned int smp_case_online(void);

/*
 * fn(args + cpu * stride) on each CPU of cpus at once: started on the
 * others, then go() (if any) and fn on the calling CPU here (if in cpus),
 * then every other one waited for (timeout_ns each). Nothing is left
 * queued or running on return: the first error (printed), or 0. The
 * meeting point below is reset for the run's CPUs.
 */
int smp_case_run_on_each(const struct pvk_cpumask *cpus, void (*fn)(void *arg),
			 void *args, size_t stride, void (*go)(void), uint64_t timeout_ns);

/* smp_case_run_on_each() on every online CPU, without go(). */
int smp_case_run_everywhere(void (*fn)(void *arg), void *args, size_t stride,
			    uint64_t timeout_ns);

/*
 * Called by fn on each CPU of a smp_case_run_on_each(): every CPU of the
 * run arrives before any goes on (so they work at the same time); false
 * when they did not all arrive within timeout_ns.
 */
bool smp_case_meet(uint64_t timeout_ns);

/* The table of level (1: the L1) that maps va, by a walk from the running
 * L4; an invalid frame when an upper level is not present. */
pvk_mfn_t smp_case_table_of(unsigned long va, unsigned int level);

#endif /* PVK_GUEST_CASES_SMP_HELPERS_H */
