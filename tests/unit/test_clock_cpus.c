/*
 * tests/unit/test_clock_cpus.c - Xen system time on several CPUs
 * (time/clock.c): each CPU reads its own vCPU's record, and the clock
 * stays monotonic across CPUs whose records disagree.
 *
 * The records are plain structs here, with a zero TSC factor so that the
 * time read is the record's system_time exactly (the real TSC still runs;
 * scaled by 0 it adds nothing). Whether Xen's records agree across vCPUs
 * is the reference guest's test (smp_time.c prints the largest gap).
 */
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/xen.h>
#include "unit.h"


/* Where each CPU's vcpu_info is; NULL: not given (time_init's slot 0). */
static struct pvk_vcpu_info *fake_vcpu[PVK_MAX_CPUS];

struct pvk_vcpu_info *pvk_xen_vcpu_info(unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS ? fake_vcpu[cpu] : NULL;
}

/* Far above anything other tests read, so the shared maximum of earlier
 * tests does not hide what this one checks. */
#define BASE (1ULL << 60)

static struct pvk_shared_info si;
static struct pvk_vcpu_info placed[2];	/* "registered" vcpu_infos */

static void set_time(struct pvk_vcpu_info *v, uint64_t system_time)
{
	v->time.version += 2;
	v->time.system_time = system_time;
	v->time.tsc_to_system_mul = 0;
	v->time.tsc_shift = 0;
}

UNIT_TEST(clock_reads_the_calling_cpus_record)
{
	pvk_time_init(&si);
	fake_vcpu[0] = &placed[0];
	fake_vcpu[1] = &placed[1];
	set_time(&si.vcpu_info[0], BASE + 1);	/* the legacy slot: stale */
	set_time(&placed[0], BASE + 1000);
	set_time(&placed[1], BASE + 2000);
	unit_fake_cpu = 0;
	CHECK_EQ(pvk_time_now_ns(), BASE + 1000);
	unit_fake_cpu = 1;
	CHECK_EQ(pvk_time_now_ns(), BASE + 2000);
	unit_fake_cpu = 0;
	fake_vcpu[0] = fake_vcpu[1] = NULL;
	pvk_time_init(NULL);
}

/* CPU 1's record is 500 ns behind CPU 0's: read after CPU 0, CPU 1 gets
 * CPU 0's value, never less; once its own record passes, its own. */
UNIT_TEST(clock_monotonic_across_cpus)
{
	uint64_t a, b;

	pvk_time_init(&si);
	fake_vcpu[0] = &placed[0];
	fake_vcpu[1] = &placed[1];
	set_time(&placed[0], BASE + 10000);
	set_time(&placed[1], BASE + 9500);
	unit_fake_cpu = 0;
	a = pvk_time_now_ns();
	unit_fake_cpu = 1;
	b = pvk_time_now_ns();
	CHECK_EQ(a, BASE + 10000);
	CHECK((int64_t)(b - a) >= 0);
	set_time(&placed[1], BASE + 10200);
	CHECK_EQ(pvk_time_now_ns(), BASE + 10200);
	unit_fake_cpu = 0;
	fake_vcpu[0] = fake_vcpu[1] = NULL;
	pvk_time_init(NULL);
}

/*
 * A resume on a host whose system time is behind the one we were saved
 * on (time/clock.c's rebase, called by suspend/): the clock goes on from
 * what it said before the suspend, never back, and runs with Xen's again;
 * what the kit gives Xen is turned back into Xen's time. Above every
 * other test's values, so the shared maximum cannot hide a missing rebase.
 */
#define LATER (1ULL << 61)

UNIT_TEST(clock_rebased_after_resume_behind)
{
	uint64_t before, after;

	pvk_time_init(&si);
	fake_vcpu[0] = &placed[0];
	unit_fake_cpu = 0;
	set_time(&placed[0], LATER + 5000000);
	before = pvk_time_now_ns();
	pvk_time_suspend();
	/* The new host's Xen: 4 ms behind. */
	set_time(&placed[0], LATER + 1000000);
	CHECK_EQ(pvk_time_rebase(), 4000000);
	after = pvk_time_now_ns_here();	/* this vCPU's own, no maximum */
	CHECK_EQ(after, before);
	CHECK_EQ(pvk_time_to_xen_ns(after + 1000), LATER + 1000000 + 1000);
	set_time(&placed[0], LATER + 1000250);
	CHECK_EQ(pvk_time_now_ns_here(), before + 250);
	/* A second rebase with time gone on changes nothing. */
	CHECK_EQ(pvk_time_rebase(), 4000000);
	fake_vcpu[0] = NULL;
	pvk_time_init(NULL);
	CHECK_EQ(pvk_time_to_xen_ns(123), 123);
}

/* The same host (Xen's time went on while we were saved): no rebase. */
UNIT_TEST(clock_not_rebased_when_xen_went_on)
{
	pvk_time_init(&si);
	fake_vcpu[0] = &placed[0];
	unit_fake_cpu = 0;
	set_time(&placed[0], LATER + 9000000);
	pvk_time_suspend();
	set_time(&placed[0], LATER + 12000000);
	CHECK_EQ(pvk_time_rebase(), 0);
	CHECK_EQ(pvk_time_now_ns_here(), LATER + 12000000);
	fake_vcpu[0] = NULL;
	pvk_time_init(NULL);
}
