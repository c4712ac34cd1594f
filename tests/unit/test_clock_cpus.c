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
