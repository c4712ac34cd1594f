/*
 * pvops/rtc_native.c - native wall clock: the CMOS real-time clock.
 *
 * The RTC keeps seconds .. year in CMOS registers, in BCD unless status
 * register B says binary, hours in 12-hour form unless it says 24. A read
 * can straddle the once-a-second update, so we wait for "update in
 * progress" to clear and read until two passes agree. The century is
 * taken as 20xx (the century register's location is firmware-specific).
 * Resolution is one second; nsec is 0.
 */
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/time.h>

#include "pvops_internal.h"

#define CMOS_INDEX	0x70
#define CMOS_DATA	0x71
#define RTC_SEC		0x00
#define RTC_MIN		0x02
#define RTC_HOUR	0x04
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_STATUS_A	0x0a
#define RTC_STATUS_B	0x0b
#define STATUS_A_UIP	0x80	/* update in progress */
#define STATUS_B_24H	0x02
#define STATUS_B_BINARY	0x04
#define HOUR_PM		0x80
#define RTC_MAX_POLLS	(10UL * 1000 * 1000)

struct rtc_time {
	unsigned int sec, min, hour, day, month, year;
};

static unsigned int cmos_read(uint8_t reg)
{
	PVK_NATIVE_ONLY(cmos_read);
	pvk_outb(CMOS_INDEX, reg);
	return pvk_inb(CMOS_DATA);
}

static void rtc_read_raw(struct rtc_time *t)
{
	unsigned long polls = 0;

	PVK_NATIVE_ONLY(rtc_read_raw);
	while (cmos_read(RTC_STATUS_A) & STATUS_A_UIP)
		if (++polls > RTC_MAX_POLLS)
			pvk_port_panic("pvops native: RTC update never finishes (no RTC?)");
	t->sec = cmos_read(RTC_SEC);
	t->min = cmos_read(RTC_MIN);
	t->hour = cmos_read(RTC_HOUR);
	t->day = cmos_read(RTC_DAY);
	t->month = cmos_read(RTC_MONTH);
	t->year = cmos_read(RTC_YEAR);
}

static unsigned int bcd(unsigned int v)
{
	return (v & 0x0f) + (v >> 4) * 10;
}

/* Days since 1970-01-01 of a Gregorian date (years from 2000 on). */
static uint64_t days_since_epoch(unsigned int y, unsigned int m, unsigned int d)
{
	uint64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = y / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void native_wallclock(struct pvk_wallclock *out)
{
	struct rtc_time a, b;
	unsigned int status_b = cmos_read(RTC_STATUS_B), pm;

	PVK_NATIVE_ONLY(native_wallclock);
	rtc_read_raw(&b);
	do {
		a = b;
		rtc_read_raw(&b);
	} while (a.sec != b.sec || a.min != b.min || a.hour != b.hour ||
		 a.day != b.day || a.month != b.month || a.year != b.year);
	pm = a.hour & HOUR_PM;
	a.hour &= ~HOUR_PM;
	if (!(status_b & STATUS_B_BINARY)) {
		a.sec = bcd(a.sec);
		a.min = bcd(a.min);
		a.hour = bcd(a.hour);
		a.day = bcd(a.day);
		a.month = bcd(a.month);
		a.year = bcd(a.year);
	}
	if (!(status_b & STATUS_B_24H))
		a.hour = a.hour % 12 + (pm ? 12 : 0);
	out->sec = days_since_epoch(2000 + a.year, a.month, a.day) * 86400 +
		   a.hour * 3600 + a.min * 60 + a.sec;
	out->nsec = 0;
}

const struct pvk_pvops_time pvk_native_time_ops = {
	.clock_ns = pvk_native_clock_ns,
	/* time/oneshot.c on the local APIC timer (timer_native.c). */
	.timer_set = pvk_time_timer_set,
	.timer_stop = pvk_time_timer_stop,
	.wallclock = native_wallclock,
};
