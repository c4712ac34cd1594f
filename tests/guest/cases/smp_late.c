/*
 * tests/guest/cases/smp_late.c - a start that timed out, in both worlds.
 *
 *   smp_cpu_start_late  the last online CPU is stopped, then started with
 *                       an entry that holds back before its first kit
 *                       call until the start has timed out (-ETIMEDOUT,
 *                       the CPU not online); let go, it reaches
 *                       pvk_smp_cpu_up_here() late and must stop itself
 *                       there instead of going online (Xen: on the kit's
 *                       wake stack, VCPUOP_down): pvk_smp_cpu_wait_down()
 *                       sees it down, it never shows online, and a
 *                       normal start then brings it back to run work.
 *                       Each time the CPU is seen down (after its stop,
 *                       after the late arrival) its stack is overwritten
 *                       first, as smp.h allows: a CPU that went on using
 *                       it (Xen: VCPUOP_down returning on the dying
 *                       stack) would return through garbage and fault.
 *                       On Xen the late start also has a per-CPU area (GS
 *                       base) of its own, overwritten once the CPU is seen
 *                       down: the restarted vCPU must not read it (its CPU
 *                       number) before loading the new start's GS base.
 *                       With one CPU: a start of a CPU that is not
 *                       possible is refused.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>

#include "../guest.h"
#include "../test.h"

#define RUN_TIMEOUT_NS		(2ULL * 1000 * 1000 * 1000)
#define ARRIVE_WAIT_NS		(10ULL * 1000 * 1000 * 1000)

static void note_cpu(void *arg)
{
	__atomic_store_n((unsigned int *)arg, pvk_port_cpu_id(), __ATOMIC_RELEASE);
}

/* Give the physical CPU to the vCPU we wait for (Xen), or pause. */
static void relax(void)
{
	if (guest_native_boot)
		__asm__ __volatile__("pause" ::: "memory");
	else
		pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
}

static void no_entry(unsigned long arg)
{
	(void)arg;
}

PVK_GUEST_TEST(smp_cpu_start_late)
{
	struct pvk_cpu_boot boot = { .entry = no_entry, .stack_top = 0x10000 };
	struct pvk_cpumask online;
	struct pvk_smp_stats before, after;
	unsigned int cpu = 0, c, arrived, ran_on = ~0u;
	bool online_at_timeout, online_after;
	uint64_t t0, t_timeout, deadline;
	int rc, rc_down;

	/* The CPUs start with the events (Xen): run alone, the test would
	 * otherwise see one CPU and check only the refusal. */
	guest_timer_prepare();
	pvk_smp_online_mask(&online);
	pvk_for_each_cpu(c, &online)
		cpu = c;
	if (cpu == 0) {
		PVK_CHECK_RC(pvk_smp_cpu_start(pvk_smp_nr_possible(), &boot), -PVK_XEN_EINVAL);
		return;
	}
	PVK_CHECK_RC(guest_smp_cpu_down(cpu), 0);
	/* Seen down: the stack it died on is ours again (smp.h). */
	PVK_CHECK_RC(guest_smp_stack_poison(cpu), 0);
	PVK_CHECK_RC(pvk_smp_get_stats(cpu, &before), 0);
	arrived = guest_smp_late_arrivals();
	t0 = pvk_clock_ns();
	rc = guest_smp_cpu_up_late(cpu);
	t_timeout = pvk_clock_ns();
	online_at_timeout = pvk_smp_cpu_online(cpu);
	/* Let it go in every case, then look at what it did. */
	guest_smp_late_release();
	deadline = pvk_clock_ns() + ARRIVE_WAIT_NS;
	while (guest_smp_late_arrivals() == arrived && (int64_t)(pvk_clock_ns() - deadline) < 0)
		relax();
	rc_down = pvk_smp_cpu_wait_down(cpu, PVK_SMP_START_TIMEOUT_NS);
	online_after = pvk_smp_cpu_online(cpu);
	guest_printf("smp: CPU %u: start timed out after %llu ms, the CPU arrived %s\n", cpu,
		     (unsigned long long)((t_timeout - t0) / 1000000),
		     guest_smp_late_arrivals() != arrived ? "later" : "never");
	PVK_CHECK_RC(rc, -PVK_XEN_ETIMEDOUT);
	PVK_CHECK(!online_at_timeout);
	PVK_CHECK(guest_smp_late_arrivals() != arrived);
	PVK_CHECK_RC(rc_down, 0);
	PVK_CHECK(!online_after);
	PVK_CHECK_RC(pvk_smp_get_stats(cpu, &after), 0);
	PVK_CHECK_EQ(after.starts, before.starts);
	/* Seen down: the timed-out start's boot stack and per-CPU area are
	 * ours again. */
	PVK_CHECK_RC(guest_smp_stack_poison(cpu), 0);
	PVK_CHECK_RC(guest_smp_late_area_poison(cpu), 0);
	/* A normal start wakes it with the new boot. */
	PVK_CHECK_RC(guest_smp_cpu_up(cpu), 0);
	PVK_CHECK(pvk_smp_cpu_online(cpu));
	PVK_CHECK_RC(guest_smp_run_on(cpu, note_cpu, &ran_on, RUN_TIMEOUT_NS), 0);
	PVK_CHECK_EQ(__atomic_load_n(&ran_on, __ATOMIC_ACQUIRE), cpu);
	guest_printf("smp: CPU %u arrived after its start timed out, stopped itself, started again (%s)\n",
		     cpu, pvk_pvops_name());
}
