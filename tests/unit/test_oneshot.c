/*
 * tests/unit/test_oneshot.c - the one-shot timer's owners (time/oneshot.c):
 * which deadline the hardware is armed for after each expiry, and how
 * often it is armed.
 *
 * The hardware is a recorder (arms, stops, the last deadline and whether
 * the arm asked if it had passed; it calls a deadline passed when a test
 * says so); the clock is a variable. Whether Xen and the local APIC fire
 * as armed is the reference guest's test (pvops_time.c, events.c).
 */
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include "time/timer_internal.h"
#include "fake_kit.h"
#include "unit.h"

#define MS 1000000ULL

/* ---- Stand-ins for the hardware, the clock and the irq ops ----------- */

static struct {
	unsigned int arms, stops;
	uint64_t deadline;
	bool asked;
	bool say_passed;	/* the next asking arm finds the deadline passed */
} hw;

static uint64_t now;

static int fake_arm(uint64_t deadline_ns, bool ask_if_passed)
{
	if (ask_if_passed && hw.say_passed) {
		hw.say_passed = false;
		return PVK_TIME_HW_PASSED;
	}
	hw.arms++;
	hw.deadline = deadline_ns;
	hw.asked = ask_if_passed;
	return 0;
}

static int fake_stop(void)
{
	hw.stops++;
	return 0;
}

static const struct pvk_time_hw fake_hw = {
	.name = "unit test timer",
	.arm = fake_arm,
	.stop = fake_stop,
};

/* For other tests of this binary (fake_kit.h): what the hardware holds,
 * and the clock moved on. */
uint64_t unit_fake_timer_deadline(void)
{
	return hw.deadline;
}

unsigned int unit_fake_timer_arms(void)
{
	return hw.arms;
}

void unit_fake_clock_advance(uint64_t ns)
{
	now += ns;
}

int pvk_time_xen_timer_attach(void)
{
	pvk_time_timer_attach(&fake_hw);
	return 0;
}

/* time/cpu.c's Xen half: nothing to prepare on the fake hardware. */
int pvk_time_xen_cpu_prepare(unsigned int cpu, bool bind)
{
	(void)cpu;
	(void)bind;
	return 0;
}

static unsigned long fake_save_fl(void) { return 0; }
static void fake_restore_fl(unsigned long f) { (void)f; }
static void fake_irq_disable(void) { }
static uint64_t fake_clock_ns(void) { return now; }

struct pvk_pvops pvk_pvops = {
	.irq = {
		.save_fl = fake_save_fl,
		.restore_fl = fake_restore_fl,
		.irq_disable = fake_irq_disable,
	},
	.time = { .clock_ns = fake_clock_ns },
};

/* ---- Owners ------------------------------------------------------------ */

/* The host's fn: re-arms period ns after the deadline it was due for, as
 * a host's tick does, when period is set. */
static struct {
	unsigned int calls;
	uint64_t period, due;
} tick;

static unsigned int host_fn_cpu;	/* where host_fn last ran */

static void host_fn(void *arg)
{
	(void)arg;
	host_fn_cpu = unit_fake_cpu;
	tick.calls++;
	if (tick.period) {
		tick.due += tick.period;
		pvk_time_timer_set(tick.due);
	}
}

static unsigned int kit_calls;

static void kit_fn(void *arg)
{
	(void)arg;
	kit_calls++;
}

static void setup(void)
{
	static bool init;

	if (!init && pvk_time_timer_init(host_fn, NULL))
		unit_fail(__FILE__, __LINE__, "pvk_time_timer_init failed");
	init = true;
	pvk_time_timer_stop();
	memset(&hw, 0, sizeof(hw));
	memset(&tick, 0, sizeof(tick));
	kit_calls = 0;
	now = 1000 * MS;
	unit_log_clear();
}

/* ---- Tests ------------------------------------------------------------- */

/* A host that re-arms from its fn: the expiry arms the hardware once. */
UNIT_TEST(oneshot_rearm_from_fn_arms_once)
{
	setup();
	tick.period = 10 * MS;
	tick.due = now + 10 * MS;
	CHECK_EQ(pvk_time_timer_set(tick.due), 0);
	CHECK_EQ(hw.arms, 1);
	for (int i = 1; i <= 3; i++) {
		now = tick.due;
		pvk_time_timer_expired();
		CHECK_EQ(tick.calls, i);
		CHECK_EQ(hw.arms, 1 + i);
		CHECK_EQ(hw.deadline, now + 10 * MS);
	}
}

/* Nothing re-armed: the expiry arms the next deadline itself, asking. */
UNIT_TEST(oneshot_expiry_arms_next_owner_asking)
{
	setup();
	CHECK_EQ(pvk_time_timer_set(now + 5 * MS), 0);
	CHECK_EQ(pvk_time_kit_timer_set(now + 8 * MS, kit_fn, NULL), 0);
	CHECK_EQ(hw.deadline, now + 5 * MS);
	now += 5 * MS;
	pvk_time_timer_expired();
	CHECK_EQ(tick.calls, 1);
	CHECK_EQ(kit_calls, 0);
	CHECK_EQ(hw.deadline, now + 3 * MS);
	CHECK(hw.asked);
	now += 3 * MS;
	pvk_time_timer_expired();
	CHECK_EQ(kit_calls, 1);
	CHECK_EQ(hw.stops, 1);
}

/*
 * Both owners due: the host's fn re-arms while the kit's passed deadline
 * is still armed, so that arm is for the kit's; once the kit's is
 * delivered the expiry must arm the host's new deadline.
 */
UNIT_TEST(oneshot_rearm_for_stale_deadline_is_redone)
{
	setup();
	tick.period = 10 * MS;
	tick.due = now + 1 * MS;
	CHECK_EQ(pvk_time_timer_set(tick.due), 0);
	CHECK_EQ(pvk_time_kit_timer_set(now + 2 * MS, kit_fn, NULL), 0);
	now += 2 * MS;
	pvk_time_timer_expired();
	CHECK_EQ(tick.calls, 1);
	CHECK_EQ(kit_calls, 1);
	CHECK_EQ(hw.deadline, tick.due);
	CHECK(hw.asked);
}

/* A deadline the hardware calls passed before our clock does is
 * delivered in the same expiry, then the next one armed plainly. */
UNIT_TEST(oneshot_hw_passed_delivers)
{
	struct pvk_time_timer_stats a, b;

	setup();
	pvk_time_timer_get_stats(&a);
	CHECK_EQ(pvk_time_timer_set(now + 5 * MS), 0);
	CHECK_EQ(pvk_time_kit_timer_set(now + 1 * MS, kit_fn, NULL), 0);
	hw.say_passed = true;
	now += 5 * MS - 1;	/* our clock 1 ns short of the host's */
	pvk_time_timer_expired();
	pvk_time_timer_get_stats(&b);
	CHECK_EQ(kit_calls, 1);
	CHECK_EQ(tick.calls, 1);
	CHECK_EQ(b.hw_said_passed, a.hw_said_passed + 1);
	CHECK_EQ(hw.stops, 1);
}

/*
 * Per CPU: each CPU's deadlines are its own. CPU 1's expiry delivers CPU
 * 1's host deadline only (counted for CPU 1), CPU 0's stays armed and is
 * delivered by CPU 0's expiry; a kit deadline set on CPU 1 fires there.
 */
UNIT_TEST(oneshot_per_cpu)
{
	uint64_t f0, f1;

	setup();
	f0 = pvk_time_timer_fired_cpu(0);
	f1 = pvk_time_timer_fired_cpu(1);
	CHECK_EQ(pvk_time_timer_set(now + 5 * MS), 0);
	unit_fake_cpu = 1;
	CHECK_EQ(pvk_time_timer_set(now + 2 * MS), 0);
	CHECK_EQ(pvk_time_kit_timer_set(now + 3 * MS, kit_fn, NULL), 0);
	CHECK_EQ(hw.deadline, now + 2 * MS);	/* CPU 1's earliest */
	now += 5 * MS;				/* all of them due */
	pvk_time_timer_expired();		/* CPU 1's hardware fired */
	CHECK_EQ(tick.calls, 1);
	CHECK_EQ(host_fn_cpu, 1);
	CHECK_EQ(kit_calls, 1);
	CHECK_EQ(pvk_time_timer_fired_cpu(1), f1 + 1);
	CHECK_EQ(pvk_time_timer_fired_cpu(0), f0);
	CHECK_EQ(hw.stops, 1);			/* CPU 1: nothing left */
	unit_fake_cpu = 0;
	pvk_time_timer_expired();		/* CPU 0's */
	CHECK_EQ(tick.calls, 2);
	CHECK_EQ(host_fn_cpu, 0);
	CHECK_EQ(kit_calls, 1);			/* the kit's was CPU 1's */
	CHECK_EQ(pvk_time_timer_fired_cpu(0), f0 + 1);
	CHECK_EQ(pvk_time_timer_fired(), f0 + f1 + 2);
}

/* A CPU going down drops its deadlines; the others keep theirs. */
UNIT_TEST(oneshot_cpu_dead_drops_its_deadlines)
{
	setup();
	CHECK_EQ(pvk_time_timer_set(now + 5 * MS), 0);
	unit_fake_cpu = 2;
	CHECK_EQ(pvk_time_timer_set(now + 1 * MS), 0);
	pvk_time_cpu_dead(2);			/* on itself: stops it */
	CHECK_EQ(hw.stops, 1);
	now += 5 * MS;
	pvk_time_timer_expired();		/* a late interrupt on CPU 2 */
	CHECK_EQ(tick.calls, 0);
	unit_fake_cpu = 0;
	pvk_time_timer_expired();
	CHECK_EQ(tick.calls, 1);
}

/* The kit's slow deadline beside its flood one: each its own fn and arg,
 * neither replacing the other; a stop takes only the slow one off. */
static unsigned int slow_calls;
static void *slow_arg_seen;

static void slow_fn(void *arg)
{
	slow_calls++;
	slow_arg_seen = arg;
}

UNIT_TEST(oneshot_slow_deadline_is_an_owner_of_its_own)
{
	static int token;

	setup();
	slow_calls = 0;
	CHECK_EQ(pvk_time_kit_timer_set(now + 4 * MS, kit_fn, NULL), 0);
	CHECK_EQ(pvk_time_kit_deadline_set(now + 2 * MS, slow_fn, &token), 0);
	CHECK_EQ(hw.deadline, now + 2 * MS);
	now += 2 * MS;
	pvk_time_timer_expired();
	CHECK_EQ(slow_calls, 1);
	CHECK(slow_arg_seen == &token);
	CHECK_EQ(kit_calls, 0);
	CHECK_EQ(hw.deadline, now + 2 * MS);	/* the flood one still armed */
	/* Armed again, then stopped: the flood one alone fires. */
	CHECK_EQ(pvk_time_kit_deadline_set(now + 1 * MS, slow_fn, &token), 0);
	CHECK_EQ(hw.deadline, now + 1 * MS);
	CHECK_EQ(pvk_time_kit_deadline_stop(), 0);
	CHECK_EQ(hw.deadline, now + 2 * MS);
	now += 2 * MS;
	pvk_time_timer_expired();
	CHECK_EQ(kit_calls, 1);
	CHECK_EQ(slow_calls, 1);
}
