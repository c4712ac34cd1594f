/*
 * pvops/time_native.c - native clock: the TSC, its rate measured once
 * against PIT channel 2.
 *
 * The PIT counts at a fixed 1193182 Hz. Channel 2 is loaded with 0xffff in
 * mode 0 (count down, OUT goes high at 0) and read with the counter-latch
 * command at both ends of a 10 ms window; the TSC ticks between the two
 * reads give the TSC rate. Channel 2's gate (port 0x61 bit 0) is ours to
 * use: it only drives the PC speaker, whose enable (bit 1) we keep off.
 *
 * Each end is a (TSC, PIT count) pair, the PIT read between two TSC
 * reads. If the vCPU stalls there (the host preempting QEMU on a busy
 * machine: a 40 ms stall once made the clock run 5x slow when the window
 * was timed by polling for OUT), the pair is off by the stall; the
 * stall shows as a wide gap between the two TSC reads, so each end keeps
 * the narrowest of a few tries. A stall inside the window does not matter:
 * both counters run on. A window long enough for the count to wrap (OUT
 * high) is measured again.
 * This assumes an invariant TSC, as every CPU of the last decade has.
 *
 * Several CPUs read their own TSCs, which firmware (or QEMU) starts in
 * step but which may differ by a few cycles, so once a second CPU may
 * read the clock (pvk_time_many_cpus) the clock keeps the largest value
 * returned, in one atomic, and never returns less: monotonic across CPUs
 * as on Xen. With one CPU that atomic is skipped (the TSC alone is
 * monotonic there), so the single-CPU clock costs what it did.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/time.h>

#include "../time/clock_max.h"
#include "pvops_internal.h"

#define PIT_HZ			1193182u
#define PIT_CALIBRATE_MS	10u
#define PIT_WINDOW		(PIT_HZ * PIT_CALIBRATE_MS / 1000u)
#define PIT_CH2			0x42
#define PIT_MODE		0x43
#define PIT_MODE_CH2_LOHI_M0	0xb0	/* channel 2, lobyte/hibyte, mode 0 */
#define PIT_LATCH_CH2		0x80	/* channel 2, counter latch */
#define PORT_SPEAKER		0x61
#define SPEAKER_GATE2		0x01
#define SPEAKER_DATA		0x02
#define SPEAKER_OUT2		0x20
#define PIT_MAX_POLLS		(100UL * 1000 * 1000)
#define SAMPLE_TRIES		5
#define WINDOW_TRIES		5

static uint64_t tsc_base;	/* TSC at calibration = clock_ns() 0 */
static uint64_t last_ns;	/* the largest value returned, several CPUs */
static uint64_t ns_per_tsc_32;	/* ns per TSC tick, 32.32 fixed point */

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

static uint16_t pit_ch2_read(void)
{
	uint8_t lo, hi;

	PVK_NATIVE_ONLY(pit_ch2_read);
	pvk_outb(PIT_MODE, PIT_LATCH_CH2);
	lo = pvk_inb(PIT_CH2);
	hi = pvk_inb(PIT_CH2);
	return (uint16_t)(lo | hi << 8);
}

struct sample {
	uint64_t tsc;
	uint16_t pit;
};

/* The (TSC, PIT) pair with the narrowest TSC bracket of a few tries. */
static void sample(struct sample *s)
{
	uint64_t best = ~0ULL;

	PVK_NATIVE_ONLY(sample);
	*s = (struct sample){ 0 };
	for (int i = 0; i < SAMPLE_TRIES; i++) {
		uint64_t a = rdtsc(), b;
		uint16_t pit = pit_ch2_read();

		b = rdtsc();
		if (b - a < best) {
			best = b - a;
			s->tsc = a + (b - a) / 2;
			s->pit = pit;
		}
	}
}

/* TSC kHz over one 10 ms window of PIT channel 2; 0 if it wrapped. */
static uint64_t measure_khz(void)
{
	struct sample s0, s1;
	unsigned long polls = 0;

	PVK_NATIVE_ONLY(measure_khz);
	pvk_outb(PORT_SPEAKER, (pvk_inb(PORT_SPEAKER) & ~SPEAKER_DATA) | SPEAKER_GATE2);
	pvk_outb(PIT_MODE, PIT_MODE_CH2_LOHI_M0);
	pvk_outb(PIT_CH2, 0xff);
	pvk_outb(PIT_CH2, 0xff);
	/* The count is loaded on the PIT's next clock: wait to see it run. */
	while (pit_ch2_read() > 0xfff0)
		if (++polls > PIT_MAX_POLLS)
			pvk_port_panic("pvops native: PIT channel 2 never counted down (no PIT?)");
	sample(&s0);
	while ((uint16_t)(s0.pit - pit_ch2_read()) < PIT_WINDOW &&
	       !(pvk_inb(PORT_SPEAKER) & SPEAKER_OUT2))
		if (++polls > PIT_MAX_POLLS)
			pvk_port_panic("pvops native: PIT channel 2 stopped counting");
	sample(&s1);
	if ((pvk_inb(PORT_SPEAKER) & SPEAKER_OUT2) || s1.pit >= s0.pit)
		return 0;	/* reached 0 and wrapped: a stall, measure again */
	return (s1.tsc - s0.tsc) * PIT_HZ / (s0.pit - s1.pit) / 1000;
}

void pvk_native_time_calibrate(void)
{
	uint64_t khz = 0;

	PVK_NATIVE_ONLY(pvk_native_time_calibrate);
	for (int i = 0; i < WINDOW_TRIES && !khz; i++)
		khz = measure_khz();
	if (!khz)
		pvk_port_panic("pvops native: no clean 10 ms PIT window (or the TSC stands still)");
	ns_per_tsc_32 = (1000000ULL << 32) / khz;
	tsc_base = rdtsc();
	pvk_info("pvops native: TSC runs at %llu kHz (against PIT channel 2)",
		 (unsigned long long)khz);
}

bool pvk_native_time_ready(void)
{
	return ns_per_tsc_32 != 0;
}

/* This CPU's TSC in ns: its own clock, no cross-CPU maximum. */
uint64_t pvk_native_clock_ns_here(void)
{
	unsigned __int128 d = rdtsc() - tsc_base;

	return (uint64_t)((d * ns_per_tsc_32) >> 32);
}

uint64_t pvk_native_clock_ns(void)
{
	uint64_t now = pvk_native_clock_ns_here();

	if (!PVK_READ_ONCE(pvk_time_many_cpus))
		return now;
	return pvk_clock_max(&last_ns, now);
}
