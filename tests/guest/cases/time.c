/*
 * tests/guest/cases/time.c - the kit's time on real Xen: pvclock, the wall
 * clock and sleeping.
 *
 * What is checked is behaviour, never speed (timings under QEMU TCG on a
 * shared 2-core host swing by tens of milliseconds): a sleep of d never
 * ends early (the kit's loop re-checks the clock). How late sleeps are is
 * measured and printed, not asserted. The kit's clock is checked against
 * numbers Xen writes itself (the pvclock record's system time, the wall
 * clock in shared_info), read here without the kit, within wide bounds
 * stated at the test; the clock's rate is checked against Xen's one-shot
 * timer by pvops_time.c's pvops_clock_rate.
 *
 * The kit's time/ is Xen's clock: only the arithmetic runs natively (the
 * native clock is tested through the pvops, pvops_time.c). The one-shot
 * timer is the same in both worlds: pvops_time.c tests it through the
 * pvops, natively on the local APIC.
 */
#include <pvkit/time.h>
#include <pvkit/xenstore.h>
#include <pvkit/xen/errno.h>

#include "../test.h"

#define MS			(1000ULL * 1000)

PVK_GUEST_TEST_XEN(time_monotonic)
{
	uint64_t a = pvk_time_now_ns(), b;

	PVK_CHECK_NE(a, 0);
	for (int i = 0; i < 1000; i++) {
		b = pvk_time_now_ns();
		PVK_CHECK_GE(b, a);
		a = b;
	}
	/* The kit's clock and the guest's own agree (same record): the
	 * guest's read falls between two of the kit's, give or take the
	 * kit's monotonic clamp (1 ms is far more than it ever moves). */
	a = pvk_time_now_ns();
	b = guest_now_ns();
	PVK_CHECK_LE(a, b + MS);
	PVK_CHECK_LE(b, pvk_time_now_ns() + MS);
}

/* ---- Xen's own numbers, read here without the kit ---------------------- */

/* The system time of vCPU 0's pvclock record as Xen last wrote it (no
 * extrapolation: that is the kit's part). */
static uint64_t xen_record_system_time(void)
{
	const struct pvk_vcpu_time_info *t = &guest_vcpu0()->time;
	uint32_t version;
	uint64_t st;

	do {
		version = PVK_READ_ONCE(t->version);
		pvk_barrier();
		st = PVK_READ_ONCE(t->system_time);
		pvk_barrier();
	} while ((version & 1) || version != PVK_READ_ONCE(t->version));
	return st;
}

/* Xen's wall clock at system time 0, in ns since the epoch. */
static uint64_t xen_wc_base_ns(void)
{
	const struct pvk_shared_info *si = guest_shared_info;
	uint32_t version, sec, nsec, sec_hi;

	do {
		version = PVK_READ_ONCE(si->wc_version);
		pvk_barrier();
		sec = PVK_READ_ONCE(si->wc_sec);
		nsec = PVK_READ_ONCE(si->wc_nsec);
		sec_hi = PVK_READ_ONCE(si->wc_sec_hi);
		pvk_barrier();
	} while ((version & 1) || version != PVK_READ_ONCE(si->wc_version));
	return ((uint64_t)sec_hi << 32 | sec) * PVK_NSEC_PER_SEC + nsec;
}

/*
 * The kit's wall clock against what Xen publishes: shared_info's wc_*
 * (the Unix time of system time 0) plus the system time of the pvclock
 * record, both as Xen wrote them. The kit's value is read after the
 * record, so it may only be later: by the record's age (Xen refreshes it
 * on its own schedule, not at each wake-up: ages of 0.8 s were seen under
 * TCG) plus TCG's noise; WALL_AHEAD_MAX_NS is that bound, generous. A kit dropping
 * the system time, the nanoseconds or the high word of the seconds is
 * off by far more.
 */
#define WALL_AHEAD_MAX_NS	(5000 * MS)

PVK_GUEST_TEST_XEN(time_wallclock)
{
	struct pvk_wallclock wc;
	uint64_t xen_ns, kit_ns;

	xen_ns = xen_wc_base_ns() + xen_record_system_time();
	pvk_time_wallclock(&wc);
	/* After 2020-01-01 and before 2100: the host's clock, via Xen. */
	PVK_CHECK_GE(wc.sec, 1577836800ULL);
	PVK_CHECK_LT(wc.sec, 4102444800ULL);
	PVK_CHECK_LT(wc.nsec, PVK_NSEC_PER_SEC);
	kit_ns = wc.sec * PVK_NSEC_PER_SEC + wc.nsec;
	guest_printf("time: wall clock %llu.%09u, %lld us after Xen's wc_* + record\n",
		     (unsigned long long)wc.sec, wc.nsec,
		     (long long)((int64_t)(kit_ns - xen_ns) / 1000));
	PVK_CHECK_GE(kit_ns, xen_ns);
	PVK_CHECK_LE(kit_ns - xen_ns, WALL_AHEAD_MAX_NS);
}

PVK_GUEST_TEST(time_scale_delta)
{
	/* mul = 2^31 halves; shift +1 then doubles back. */
	PVK_CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, 0), 500);
	PVK_CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, 1), 1000);
	PVK_CHECK_EQ(pvk_time_scale_delta(1000, 1U << 31, -1), 250);
}

PVK_GUEST_TEST_XEN(time_sleep_accuracy)
{
	static const uint64_t lengths[] = {
		1 * MS, 5 * MS, 10 * MS, 20 * MS, 50 * MS, 100 * MS, 200 * MS,
	};
	uint64_t worst = 0, total = 0;

	guest_events_enable();
	for (size_t i = 0; i < PVK_ARRAY_SIZE(lengths); i++) {
		uint64_t t0 = pvk_time_now_ns(), slept, late;

		PVK_CHECK_RC(pvk_time_sleep_ns(lengths[i]), 0);
		slept = pvk_time_now_ns() - t0;
		PVK_CHECK_GE(slept, lengths[i]);
		late = slept - lengths[i];
		if (late > worst)
			worst = late;
		total += late;
	}
	guest_printf("time: %zu sleeps (1-200 ms): mean lateness %llu us, worst %llu us\n",
		     PVK_ARRAY_SIZE(lengths),
		     (unsigned long long)(total / PVK_ARRAY_SIZE(lengths) / 1000),
		     (unsigned long long)(worst / 1000));
}

/*
 * The kit's clock against dom0's (explicit; the guest-clock scenario).
 * The guest says it is ready; dom0 writes "WALL UPTIME" (`date +%s`, whole
 * seconds, and the first field of /proc/uptime, seconds with 2 decimals:
 * busybox's date has no %N) to data/pvk-dom0-time-1, sleeps DOM0_GAP_S s,
 * and writes it again to data/pvk-dom0-time-2. The guest polls for each (every POLL_NS) and takes
 * the kit's clock and wall clock when it sees it. dom0's Linux computes
 * its own clock (its uptime is its own reading of Xen's system time, its
 * wall time what it took from Xen at its boot, Xen's from the RTC):
 * nothing of it is computed by the kit, though it shares Xen's source, so
 * an error of Xen's own clock does not show here.
 *   - elapsed: the kit's time between seeing the two values must be
 *     within [2/3, 3/2] of dom0's uptime between writing them (the two
 *     delays from dom0's reading to the guest's differ by far less);
 *   - wall clock: the kit's, when it saw the first value, must be no more
 *     than DOM0_WALL_BEHIND_NS behind dom0's date (both start from a
 *     1-second RTC, and dom0's date is whole seconds) and no more than
 *     DOM0_WALL_AHEAD_NS ahead (the delay from dom0's date to the guest's
 *     read, under TCG).
 * Measured values are printed. This catches a clock whose long-run rate
 * or base is wrong (a kit doubling the record's system time fails it); a
 * wrong scale of the TSC extrapolation does not show here, because Xen
 * refreshes the record many times in 4 s: pvops_clock_rate checks that.
 */
#define DOM0_GAP_S		4	/* tests/xen/scenarios/guest-clock.scn */
#define DOM0_WAIT_NS		(60000 * MS)
#define POLL_NS			(10 * MS)
#define DOM0_WALL_BEHIND_NS	(3000 * MS)
#define DOM0_WALL_AHEAD_NS	(10000 * MS)

struct dom0_stamp {
	uint64_t dom0_wall_ns;	/* dom0's date, whole seconds since the epoch, in ns */
	uint64_t dom0_up_ns;	/* dom0's uptime, 10 ms resolution, in ns */
	uint64_t kit_ns;	/* the kit's clock when the guest saw it */
	uint64_t wall_ns;	/* the kit's wall clock then */
};

/* Decimal digits at *s (up to max_digits of them, at least one). */
static bool parse_digits(const char **s, unsigned int max_digits, uint64_t *v,
			 unsigned int *n)
{
	*v = 0;
	*n = 0;
	while (**s >= '0' && **s <= '9' && *n < max_digits) {
		*v = *v * 10 + (uint64_t)(*(*s)++ - '0');
		(*n)++;
	}
	return *n > 0;
}

/* "WALL UPTIME": "1796515768 123.45" -> both in ns; false if not that. */
static bool parse_dom0(const char *s, struct dom0_stamp *st)
{
	uint64_t wall, up, cs;
	unsigned int n;

	if (!parse_digits(&s, 11, &wall, &n) || *s++ != ' ' ||
	    !parse_digits(&s, 9, &up, &n) || *s++ != '.' ||
	    !parse_digits(&s, 2, &cs, &n) || n != 2 || (*s && *s != '\n'))
		return false;
	st->dom0_wall_ns = wall * PVK_NSEC_PER_SEC;
	st->dom0_up_ns = up * PVK_NSEC_PER_SEC + cs * 10 * MS;
	return true;
}

/* 0 with *st filled once path exists, or a negative Xen errno. */
static int dom0_stamp_wait(const char *path, struct dom0_stamp *st)
{
	uint64_t end = pvk_time_now_ns() + DOM0_WAIT_NS;
	struct pvk_wallclock wc;
	char buf[48];
	int len;

	for (;;) {
		len = pvk_xs_read(PVK_XBT_NIL, path, buf, sizeof(buf) - 1);
		if (len >= 0)
			break;
		if (len != -PVK_XEN_ENOENT)
			return len;
		if (pvk_time_now_ns() > end)
			return -PVK_XEN_ETIMEDOUT;
		pvk_time_sleep_ns(POLL_NS);
	}
	st->kit_ns = pvk_time_now_ns();
	pvk_time_wallclock(&wc);
	st->wall_ns = wc.sec * PVK_NSEC_PER_SEC + wc.nsec;
	buf[len < (int)sizeof(buf) ? len : (int)sizeof(buf) - 1] = '\0';
	if (!parse_dom0(buf, st)) {
		guest_printf("time: %s is \"%s\", not \"WALL UPTIME\"\n", path, buf);
		return -PVK_XEN_EINVAL;
	}
	return 0;
}

PVK_GUEST_TEST_XEN_EXPLICIT(time_vs_dom0)
{
	struct dom0_stamp a, b;
	uint64_t dom0_elapsed, kit_elapsed;

	guest_events_enable();
	guest_printf("time: ready for dom0 clock (dom0: write date twice, %u s apart)\n",
		     DOM0_GAP_S);
	PVK_CHECK_RC(dom0_stamp_wait("data/pvk-dom0-time-1", &a), 0);
	PVK_CHECK_RC(dom0_stamp_wait("data/pvk-dom0-time-2", &b), 0);
	PVK_CHECK_GT(b.dom0_up_ns, a.dom0_up_ns);
	PVK_CHECK_GT(b.kit_ns, a.kit_ns);
	dom0_elapsed = b.dom0_up_ns - a.dom0_up_ns;
	kit_elapsed = b.kit_ns - a.kit_ns;
	guest_printf("time: dom0 measured %llu us between its two dates, the kit %llu us between seeing them; the kit's wall clock was %lld us after dom0's (whole-second) date\n",
		     (unsigned long long)(dom0_elapsed / 1000),
		     (unsigned long long)(kit_elapsed / 1000),
		     (long long)((int64_t)(a.wall_ns - a.dom0_wall_ns) / 1000));
	PVK_CHECK_GE(dom0_elapsed + 10 * MS, DOM0_GAP_S * PVK_NSEC_PER_SEC);	/* dom0 slept */
	PVK_CHECK_GE(kit_elapsed * 3, dom0_elapsed * 2);
	PVK_CHECK_LE(kit_elapsed * 2, dom0_elapsed * 3);
	PVK_CHECK_GE(a.wall_ns + DOM0_WALL_BEHIND_NS, a.dom0_wall_ns);
	PVK_CHECK_LE(a.wall_ns, a.dom0_wall_ns + DOM0_WALL_AHEAD_NS);
}
