/*
 * pvops/time_native.c - native clock: the TSC, its rate measured once
 * against PIT channel 2.
 *
 * The PIT counts at a fixed 1193182 Hz. Channel 2 in mode 0 (interrupt on
 * terminal count) raises its OUT line, readable in bit 5 of port 0x61,
 * when the count it was given runs out; counting TSC ticks over 10 ms of
 * PIT gives the TSC rate. Channel 2's gate (port 0x61 bit 0) is ours to
 * use: it only drives the PC speaker, whose enable (bit 1) we keep off.
 * This assumes an invariant TSC, as every CPU of the last decade has.
 */
#include <pvkit/port.h>
#include <pvkit/time.h>

#include "pvops_internal.h"

#define PIT_HZ			1193182u
#define PIT_CALIBRATE_MS	10u
#define PIT_LATCH		(PIT_HZ * PIT_CALIBRATE_MS / 1000u)
#define PIT_CH2			0x42
#define PIT_MODE		0x43
#define PIT_MODE_CH2_LOHI_M0	0xb0	/* channel 2, lobyte/hibyte, mode 0 */
#define PORT_SPEAKER		0x61
#define SPEAKER_GATE2		0x01
#define SPEAKER_DATA		0x02
#define SPEAKER_OUT2		0x20
#define PIT_MAX_POLLS		(100UL * 1000 * 1000)

static uint64_t tsc_base;	/* TSC at calibration = clock_ns() 0 */
static uint64_t ns_per_tsc_32;	/* ns per TSC tick, 32.32 fixed point */

static uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ __volatile__("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

void pvk_native_time_calibrate(void)
{
	uint64_t t0, t1, khz;
	unsigned long polls = 0;

	pvk_outb(PORT_SPEAKER, (pvk_inb(PORT_SPEAKER) & ~SPEAKER_DATA) | SPEAKER_GATE2);
	pvk_outb(PIT_MODE, PIT_MODE_CH2_LOHI_M0);
	pvk_outb(PIT_CH2, PIT_LATCH & 0xff);
	pvk_outb(PIT_CH2, PIT_LATCH >> 8);
	t0 = rdtsc();
	while (!(pvk_inb(PORT_SPEAKER) & SPEAKER_OUT2))
		if (++polls > PIT_MAX_POLLS)
			pvk_port_panic("pvops native: PIT channel 2 never counted down (no PIT?)");
	t1 = rdtsc();
	khz = (t1 - t0) / PIT_CALIBRATE_MS;
	if (!khz)
		pvk_port_panic("pvops native: TSC did not advance during PIT calibration");
	ns_per_tsc_32 = (1000000ULL << 32) / khz;
	tsc_base = t1;
}

uint64_t pvk_native_clock_ns(void)
{
	unsigned __int128 d = rdtsc() - tsc_base;

	return (uint64_t)((d * ns_per_tsc_32) >> 32);
}
