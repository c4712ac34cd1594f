/*
 * tests/guest/cases/smp.c - the guest's CPUs (smp.c) and the port
 * functions that must be right on several CPUs (lock.c, wait.c), on Xen
 * (guest-smp, VCPUS=4) and natively (-smp 4). Each works on the CPUs that
 * are online: with one CPU (guest-basic) they check CPU 0 alone, and the
 * cross-CPU wake says it needs a second CPU and checks the one-CPU case.
 *
 *   smp_vcpu_set         Xen, explicit (guest-vcpu-set, first so that the
 *                        others run after it): `xl vcpu-set` to 2, then
 *                        back to 4; the guest follows, the online set
 *                        matches, dom0's `xl list` agrees, run_on and IPIs
 *                        reach every online CPU and the others refuse
 *   smp_cpus_running     every possible CPU is online and runs work
 *                        (guest_smp_run_on): each answers with its own
 *                        number and per-CPU area, through the guest's IPI
 *                        (the area repeats the number: both come from
 *                        the same GS base on Xen, and natively the area
 *                        is found by the number; the independent evidence
 *                        of identity is Xen's event binding in
 *                        smp_events.c and the APIC id in smp_native.c)
 *   smp_identity_stable  pvk_port_cpu_id() is the same 100,000 times on
 *                        each CPU with upcalls coming and going; CPU 0's
 *                        area is still its own after the user-mode tests
 *                        (which run before: Xen keeps the kernel GS base
 *                        while user programs load %gs); a regression guard
 *                        against losing the GS base, not identity evidence
 *   smp_lock_contended   every online CPU adds to one counter under one
 *                        pvk_port_lock at once: the total is exact, and
 *                        irqs are off inside the lock each time
 *   smp_wait_wake_cross  a waiter on CPU 0 woken by pvk_port_wake() from
 *                        CPU 2, then the reverse: the wait ends with 0 and
 *                        (Xen) the sleeper's CPU gets the wake IPI (waited
 *                        for, bounded: it may land just after the wait saw
 *                        the flag; without it only the wait's 100 ms poll
 *                        slice would end the sleep; the time is printed,
 *                        and must not be negative: the two CPUs' clocks
 *                        are read in order). Natively a wait polls and
 *                        records no sleeper, so there it only checks that
 *                        a flag stored on one CPU ends a wait on another
 *
 * The functions run on other CPUs record what they saw; the checks are
 * made here on CPU 0 (the PVK_CHECK macros belong to the test's CPU).
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#ifdef CONFIG_PVK_XENBUS
#include <pvkit/xenstore.h>
#endif

#include "../test.h"
#include "smp_helpers.h"

#define RUN_TIMEOUT_NS		(5ULL * 1000 * 1000 * 1000)
#define IDENTITY_READS		100000
#define LOCK_ROUNDS		20000
#define WAKE_TIMEOUT_NS		(5ULL * 1000 * 1000 * 1000)
#define HOTPLUG_TIMEOUT_NS	(60ULL * 1000 * 1000 * 1000)

/* ---- smp_cpus_running ----------------------------------------------- */

struct report {
	unsigned int id;
	const void *area;
	uint64_t at_ns;
};

static void report_here(void *arg)
{
	struct report *r = arg;

	r->id = pvk_port_cpu_id();
	r->area = guest_smp_area();
	r->at_ns = guest_now_ns();
}

/* ---- smp_vcpu_set (guest-vcpu-set) ---------------------------------- */

#ifdef CONFIG_PVK_XENBUS
/* Runs watches until want CPUs are online (bounded); the online count. */
static unsigned int follow_until(unsigned int want)
{
	uint64_t deadline = guest_now_ns() + HOTPLUG_TIMEOUT_NS;

	while (pvk_smp_nr_online() != want && guest_now_ns() < deadline)
		pvk_xs_wait_watches(200ULL * 1000 * 1000);
	return pvk_smp_nr_online();
}

/* Every online CPU answers run_on and the IPIs; offline ones refuse. */
static void check_online_set(unsigned int want)
{
	struct pvk_cpumask online;
	unsigned int cpu;
	char answer[16], name[16];

	pvk_smp_online_mask(&online);
	PVK_CHECK_EQ(online.bits, (1ULL << want) - 1);	/* the lowest ones stay */
	for (cpu = 0; cpu < pvk_smp_nr_possible(); cpu++) {
		struct report r = { .id = ~0u };

		if (cpu < want) {
			PVK_CHECK_RC(guest_smp_run_on(cpu, report_here, &r, RUN_TIMEOUT_NS), 0);
			PVK_CHECK_EQ(r.id, cpu);
			PVK_CHECK_RC(pvk_smp_send_ipi(cpu, GUEST_IPI_WAKE), 0);
		} else {
			PVK_CHECK_RC(guest_smp_run_on(cpu, report_here, &r, RUN_TIMEOUT_NS),
				     -PVK_XEN_ENODEV);
			PVK_CHECK_RC(pvk_smp_send_ipi(cpu, GUEST_IPI_WAKE), -PVK_XEN_ENODEV);
		}
	}
	guest_printf("smp: %u CPUs online after xl vcpu-set, each ran work\n", want);
	pvk_snprintf(name, sizeof(name), "vcpus-%u", want);
	PVK_CHECK_RC(guest_dom0_answer("smp", name, answer, sizeof(answer),
				       HOTPLUG_TIMEOUT_NS), 0);
	PVK_CHECK_EQ(answer[0], (char)('0' + want));
	PVK_CHECK_EQ(answer[1], '\0');
}

/* Asks dom0 (through the console) for xl vcpu-set want, follows it, checks
 * the online set. */
static void follow_vcpu_set(unsigned int want)
{
	uint64_t changes = pvk_smp_hotplug_changes();

	guest_printf("smp: ready for xl vcpu-set %u\n", want);
	PVK_CHECK_EQ(follow_until(want), want);
	PVK_CHECK_GT(pvk_smp_hotplug_changes(), changes);
	PVK_CHECK_CALL(check_online_set(want));
}
#endif

PVK_GUEST_TEST_XEN_EXPLICIT(smp_vcpu_set)
{
#ifdef CONFIG_PVK_XENBUS
	struct guest_smp_cpu_stats s2, s3;
	unsigned int n;

	if (!(n = smp_case_online()))
		return;
	PVK_CHECK_EQ(n, 4);	/* guest-vcpu-set: maxvcpus = vcpus = 4 */

	PVK_CHECK_CALL(follow_vcpu_set(2));
	PVK_CHECK_RC(guest_smp_cpu_stats(2, &s2), 0);
	PVK_CHECK_RC(guest_smp_cpu_stats(3, &s3), 0);
	PVK_CHECK_EQ(s2.stops, 1);
	PVK_CHECK_EQ(s3.stops, 1);

	PVK_CHECK_CALL(follow_vcpu_set(4));
	PVK_CHECK_RC(guest_smp_cpu_stats(2, &s2), 0);
	PVK_CHECK_RC(guest_smp_cpu_stats(3, &s3), 0);
	PVK_CHECK_EQ(s2.starts, 2);	/* boot, then after vcpu-set 4 */
	PVK_CHECK_EQ(s3.starts, 2);
#else
	PVK_SKIP("needs CONFIG_PVK_XENBUS");
#endif
}

PVK_GUEST_TEST(smp_cpus_running)
{
	struct guest_smp_cpu_stats before, after;
	struct pvk_cpumask online;
	unsigned int cpu;

	if (!smp_case_online())
		return;
	pvk_smp_online_mask(&online);
	for (cpu = 0; cpu < pvk_smp_nr_possible(); cpu++)
		PVK_CHECK(pvk_cpumask_test(&online, cpu));
	PVK_CHECK_EQ(pvk_smp_nr_online(), pvk_smp_nr_possible());
	pvk_for_each_cpu(cpu, &online) {
		struct report r = { .id = ~0u };
		uint64_t t0;
		int rc;

		PVK_CHECK_RC(guest_smp_cpu_stats(cpu, &before), 0);
		t0 = guest_now_ns();
		rc = guest_smp_run_on(cpu, report_here, &r, RUN_TIMEOUT_NS);
		PVK_CHECK_RC(rc, 0);
		PVK_CHECK_RC(guest_smp_cpu_stats(cpu, &after), 0);
		PVK_CHECK_EQ(r.id, cpu);
		PVK_CHECK_EQ(r.area, guest_smp_area_of(cpu));
		if (cpu) {
			/* The work went through the queue and the run IPI. */
			PVK_CHECK_EQ(after.runs, before.runs + 1);
			PVK_CHECK_GE(after.run_ipis, before.run_ipis + 1);
		}
		guest_printf("smp: CPU %u ran the work %lld us after the request (run IPIs %llu)\n",
			     cpu, (long long)(r.at_ns - t0) / 1000,
			     (unsigned long long)after.run_ipis);
	}
	/* Out of range and offline targets are refused. */
	PVK_CHECK_RC(guest_smp_run_on(PVK_MAX_CPUS, report_here, NULL, RUN_TIMEOUT_NS),
		     -PVK_XEN_ENODEV);
}

/* ---- smp_identity_stable ----------------------------------------------- */

struct identity {
	unsigned int cpu;		/* what the first read said */
	unsigned int mismatches;
	const void *area;
};

static void identity_here(void *arg)
{
	struct identity *id = arg;

	id->cpu = pvk_port_cpu_id();
	id->area = guest_smp_area();
	for (unsigned int i = 0; i < IDENTITY_READS; i++) {
		if (pvk_port_cpu_id() != id->cpu)
			id->mismatches++;
		/* Let upcalls (IPIs, timers) in now and then. */
		if (!(i % 1000)) {
			pvk_irq_disable();
			pvk_irq_enable();
		}
	}
}

PVK_GUEST_TEST(smp_identity_stable)
{
	struct pvk_cpumask online;
	struct identity ids[PVK_MAX_CPUS];
	unsigned int cpu;

	if (!smp_case_online())
		return;
	/* The user-mode tests ran before this one on CPU 0. */
	PVK_CHECK_EQ(pvk_port_cpu_id(), 0);
	PVK_CHECK_EQ(guest_smp_area(), guest_smp_area_of(0));
	memset(ids, 0, sizeof(ids));
	pvk_smp_online_mask(&online);
	/* All at once, so the CPUs' areas are in use together. */
	PVK_CHECK_RC(smp_case_run_everywhere(identity_here, ids, sizeof(ids[0]), RUN_TIMEOUT_NS),
		     0);
	pvk_for_each_cpu(cpu, &online) {
		PVK_CHECK_EQ(ids[cpu].cpu, cpu);
		PVK_CHECK_EQ(ids[cpu].mismatches, 0);
		PVK_CHECK_EQ(ids[cpu].area, guest_smp_area_of(cpu));
	}
	guest_printf("smp: %u CPUs each read their number %u times, always the same\n",
		     pvk_smp_nr_online(), IDENTITY_READS);
}

/* ---- smp_lock_contended --------------------------------------------- */

static struct {
	struct pvk_lock lock;
	bool go;
	volatile uint64_t counter;
	unsigned int irqs_on_inside[PVK_MAX_CPUS];
	unsigned int rounds_done[PVK_MAX_CPUS];
	bool started_late[PVK_MAX_CPUS];
	uint64_t t0;
} contend;

/* The others are queued: all start now. */
static void contend_go(void)
{
	contend.t0 = guest_now_ns();
	__atomic_store_n(&contend.go, true, __ATOMIC_RELEASE);
}

static void contend_here(void *arg)
{
	unsigned int me = pvk_port_cpu_id();
	uint64_t t0 = guest_now_ns();

	(void)arg;
	/* Start together (bounded: the others may be slow to come). */
	while (!__atomic_load_n(&contend.go, __ATOMIC_ACQUIRE)) {
		if (guest_now_ns() - t0 > RUN_TIMEOUT_NS) {
			contend.started_late[me] = true;
			break;
		}
		__asm__ __volatile__("pause");
	}
	for (unsigned int i = 0; i < LOCK_ROUNDS; i++) {
		uint64_t v;

		pvk_port_lock(&contend.lock);
		if (pvk_save_fl() & PVK_X86_EFLAGS_IF)
			contend.irqs_on_inside[me]++;
		/* Read, wait a little, write: without mutual exclusion two
		 * CPUs here lose one of their increments. */
		v = contend.counter;
		__asm__ __volatile__("pause; pause; pause; pause");
		contend.counter = v + 1;
		pvk_port_unlock(&contend.lock);
		contend.rounds_done[me]++;
	}
}

PVK_GUEST_TEST(smp_lock_contended)
{
	struct pvk_cpumask online;
	unsigned int cpu, n;
	uint64_t ns;
	int rc;

	if (!(n = smp_case_online()))
		return;
	memset(&contend, 0, sizeof(contend));
	pvk_port_lock_init(&contend.lock);
	pvk_smp_online_mask(&online);
	rc = smp_case_run_on_each(&online, contend_here, NULL, 0, contend_go, 4 * RUN_TIMEOUT_NS);
	ns = guest_now_ns() - contend.t0;
	PVK_CHECK_RC(rc, 0);
	pvk_for_each_cpu(cpu, &online) {
		PVK_CHECK_EQ(contend.rounds_done[cpu], LOCK_ROUNDS);
		PVK_CHECK_EQ(contend.irqs_on_inside[cpu], 0);
		PVK_CHECK(!contend.started_late[cpu]);
	}
	PVK_CHECK_EQ(contend.counter, (uint64_t)n * LOCK_ROUNDS);
	PVK_CHECK(!guest_lock_held(&contend.lock));
	guest_printf("smp: %u CPUs took one lock %u times each: counter %llu, %llu ns per lock round\n",
		     n, LOCK_ROUNDS, (unsigned long long)contend.counter,
		     (unsigned long long)(ns / ((uint64_t)n * LOCK_ROUNDS)));
}

/* ---- smp_wait_wake_cross -------------------------------------------- */

static struct {
	struct pvk_wait w;
	bool flag;
	bool saw_sleeper;	/* the waker found the sleeper registered */
	unsigned int sleeper;	/* its CPU */
	int rc;
	uint64_t woken_ns, back_ns;
} ww;

static bool ww_flag(void *arg)
{
	(void)arg;
	return __atomic_load_n(&ww.flag, __ATOMIC_ACQUIRE);
}

/* Natively a wait polls and records no sleeper: nothing to wait for. */
static bool sleeper_registered(unsigned int cpu)
{
	uint64_t t0 = guest_now_ns();

	if (guest_native_boot)
		return true;
	while (!(guest_wait_sleepers(&ww.w) & (1ULL << cpu))) {
		if (guest_now_ns() - t0 > WAKE_TIMEOUT_NS)
			return false;
		__asm__ __volatile__("pause");
	}
	return true;
}

static void ww_wake(void)
{
	ww.woken_ns = guest_now_ns();
	__atomic_store_n(&ww.flag, true, __ATOMIC_RELEASE);
	pvk_port_wake(&ww.w);
}

/* The waker, on another CPU than the sleeper. It returns only once the
 * sleeper is back (bounded): the end of run_on IPIs the caller too, and
 * that IPI must not be what ends the wait. */
static void waker_here(void *arg)
{
	uint64_t t0;

	(void)arg;
	ww.saw_sleeper = sleeper_registered(ww.sleeper);
	ww_wake();
	t0 = guest_now_ns();
	while (!__atomic_load_n(&ww.back_ns, __ATOMIC_ACQUIRE) &&
	       guest_now_ns() - t0 < WAKE_TIMEOUT_NS)
		__asm__ __volatile__("pause");
}

/* The sleeper, on another CPU than the waker. */
static void sleeper_here(void *arg)
{
	(void)arg;
	ww.rc = pvk_port_wait_until(&ww.w, ww_flag, NULL, WAKE_TIMEOUT_NS);
	__atomic_store_n(&ww.back_ns, guest_now_ns(), __ATOMIC_RELEASE);
}

static void ww_reset(unsigned int sleeper)
{
	memset(&ww, 0, sizeof(ww));
	pvk_port_wait_init(&ww.w);
	ww.sleeper = sleeper;
	ww.rc = 1;
}

/* The wake IPI may land after the wait already saw the flag (the sleeper
 * tests the condition between registering and sleeping): wait, bounded,
 * for cpu's wake count to pass before. Without the IPI it never does. */
static struct {
	unsigned int cpu;
	uint64_t before;
} ww_ipi;

static bool ww_ipi_arrived(void *arg)
{
	struct guest_smp_cpu_stats now;

	(void)arg;
	return !guest_smp_cpu_stats(ww_ipi.cpu, &now) && now.wake_ipis > ww_ipi.before;
}

static bool wake_ipi_arrived(unsigned int cpu, uint64_t before)
{
	ww_ipi.cpu = cpu;
	ww_ipi.before = before;
	return guest_wait_until(ww_ipi_arrived, NULL, WAKE_TIMEOUT_NS) == 0;
}

PVK_GUEST_TEST(smp_wait_wake_cross)
{
	struct guest_smp_cpu_stats before, after;
	struct guest_smp_run run;
	unsigned int other;

	if (!smp_case_online())
		return;
	/* CPU 2, or the highest online one if there are fewer. */
	for (other = 2; other && !pvk_smp_cpu_online(other); other--)
		;
	if (!other) {
		/* One CPU: a wake finds no sleeper elsewhere, sends nothing. */
		ww_reset(0);
		PVK_CHECK_RC(guest_smp_cpu_stats(0, &before), 0);
		ww_wake();
		PVK_CHECK_RC(pvk_port_wait_until(&ww.w, ww_flag, NULL, WAKE_TIMEOUT_NS), 0);
		PVK_CHECK_RC(guest_smp_cpu_stats(0, &after), 0);
		PVK_CHECK_EQ(after.wake_ipis, before.wake_ipis);
		PVK_CHECK_EQ(guest_wait_sleepers(&ww.w), 0);
		guest_printf("smp: one CPU online: the cross-CPU wake needs a second one\n");
		return;
	}

	/* A waiter on CPU 0, the wake from the other CPU. */
	ww_reset(0);
	PVK_CHECK_RC(guest_smp_cpu_stats(0, &before), 0);
	PVK_CHECK_RC(guest_smp_run_on_start(&run, other, waker_here, NULL), 0);
	ww.rc = pvk_port_wait_until(&ww.w, ww_flag, NULL, WAKE_TIMEOUT_NS);
	(void)guest_smp_cpu_stats(0, &after);	/* CPU 0: cannot fail */
	__atomic_store_n(&ww.back_ns, guest_now_ns(), __ATOMIC_RELEASE);
	/* No check may return before this: run lives on our stack. */
	PVK_CHECK_RC(guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS), 0);
	PVK_CHECK_RC(ww.rc, 0);
	PVK_CHECK(ww.saw_sleeper);
	if (!guest_native_boot)
		PVK_CHECK(wake_ipi_arrived(0, before.wake_ipis));
	guest_printf("smp: waiter on CPU 0 woken from CPU %u: back %lld us after the wake\n",
		     other, (long long)(ww.back_ns - ww.woken_ns) / 1000);
	/* Both clocks read in order across CPUs: a negative interval means
	 * the clock went backwards between them (an order, not a timing). */
	PVK_CHECK((int64_t)(ww.back_ns - ww.woken_ns) >= 0);

	/* The reverse: the waiter on the other CPU, the wake from CPU 0. */
	ww_reset(other);
	PVK_CHECK_RC(guest_smp_cpu_stats(other, &before), 0);
	PVK_CHECK_RC(guest_smp_run_on_start(&run, other, sleeper_here, NULL), 0);
	ww.saw_sleeper = sleeper_registered(other);
	ww_wake();
	PVK_CHECK_RC(guest_smp_run_on_wait(&run, RUN_TIMEOUT_NS + WAKE_TIMEOUT_NS), 0);
	PVK_CHECK_RC(guest_smp_cpu_stats(other, &after), 0);
	PVK_CHECK_RC(ww.rc, 0);
	PVK_CHECK(ww.saw_sleeper);
	if (!guest_native_boot)
		PVK_CHECK(wake_ipi_arrived(other, before.wake_ipis));
	guest_printf("smp: waiter on CPU %u woken from CPU 0: back %lld us after the wake\n",
		     other, (long long)(ww.back_ns - ww.woken_ns) / 1000);
	/* Both clocks read in order across CPUs: a negative interval means
	 * the clock went backwards between them (an order, not a timing). */
	PVK_CHECK((int64_t)(ww.back_ns - ww.woken_ns) >= 0);
}
