/*
 * pvops/timer_native.c - the native one-shot timer: the local APIC timer,
 * as the hardware under time/oneshot.c (the pvops timer_set / timer_stop).
 *
 * xAPIC only: the registers are 4 KiB of MMIO at IA32_APIC_BASE
 * (0xfee00000 after reset), mapped by the host. In x2APIC mode the
 * registers are MSRs and the MMIO page is dead; we refuse that mode with a
 * clear error rather than carry a path QEMU 7.2's TCG (no x2APIC) cannot
 * prove.
 *
 * The timer counts down from its initial count at the APIC's clock divided
 * by 16 (divide configuration 0x3) and, in one-shot mode (LVT timer bits
 * 17-18 = 0), raises the host's vector when it reaches 0. Its rate is
 * measured once against pvk_clock_ns() (the TSC, itself measured against
 * the PIT): 10 ms of counting with the LVT masked, each end a (clock,
 * count) pair read with the narrowest bracket of a few tries, as
 * time_native.c does against the PIT. A deadline becomes an
 * initial count rounded up, so by the clock the interrupt comes no
 * earlier than the deadline, give or take the rate's error. A far deadline
 * is armed in chunks of at most CHUNK_MAX_NS (and 2^32 - 1 counts): the
 * chunk's interrupt finds nothing due and oneshot.c arms the next one from
 * the clock, so the rate's error never adds up beyond one chunk.
 *
 *   register          | offset | what we write
 *   ------------------+--------+-------------------------------------------
 *   spurious vector   | 0x0f0  | bit 8 (APIC on) | the host's spurious vector
 *   LVT timer         | 0x320  | the host's vector, one-shot, unmasked
 *   initial count     | 0x380  | counts to the deadline; 0 stops the timer
 *   current count     | 0x390  | (read while calibrating)
 *   divide config     | 0x3e0  | 0x3: divide by 16
 *   EOI               | 0x0b0  | 0, from pvk_native_timer_interrupt()
 *
 * Stopping writes initial count 0; an interrupt already raised still
 * arrives, and oneshot.c finds nothing due.
 *
 * Per CPU: every CPU's local APIC answers at the same physical address,
 * each CPU reaching its own, so the one mapping serves all of them and
 * arm/stop program the calling CPU's timer. A CPU started later
 * (pvk_time_cpu_up_here(), the hardware's cpu_up_here) gets the boot
 * CPU's set-up: the APIC enabled with the same spurious vector, divide by
 * 16, the same timer vector, one-shot, and the boot CPU's calibration
 * (every local APIC timer runs from the same bus clock). The other LVT entries (LINT0
 * carries the legacy PIC in virtual-wire mode) are left as they are.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "pvops_internal.h"

#define MSR_APIC_BASE		0x1bu
#define APIC_BASE_X2APIC	(1ULL << 10)
#define APIC_BASE_ENABLE	(1ULL << 11)
#define APIC_BASE_ADDR		0x000ffffffffff000ULL
#define CPUID1_EDX_APIC		(1u << 9)
#define CPUID1_ECX_X2APIC	(1u << 21)

#define APIC_EOI		0x0b0
#define APIC_SVR		0x0f0
#define APIC_LVT_TIMER		0x320
#define APIC_TIMER_INITIAL	0x380
#define APIC_TIMER_CURRENT	0x390
#define APIC_TIMER_DIVIDE	0x3e0
#define SVR_APIC_ENABLE		0x100u
#define LVT_MASKED		0x10000u
#define DIVIDE_BY_16		0x3u

#define MS			(1000ULL * 1000)
#define CALIBRATE_NS		(10 * MS)
#define CALIBRATE_MAX_POLLS	(100UL * 1000 * 1000)
#define SAMPLE_TRIES		5
#define CHUNK_MAX_NS		(500 * MS)
#define COUNT_MAX		0xffffffffULL

static volatile uint32_t *apic;
static uint64_t counts_per_ns_32;	/* 32.32 fixed point */
static uint64_t chunk_ns;
static uint8_t timer_vector, timer_spurious;	/* the boot CPU's, for the others */

static uint32_t apic_read(unsigned int reg)
{
	return apic[reg / 4];
}

static void apic_write(unsigned int reg, uint32_t v)
{
	apic[reg / 4] = v;
}

/* The mapped register page, NULL before pvk_native_timer_init(): smp_native.c's ICR. */
volatile uint32_t *pvk_native_apic_mmio(void) { return apic; }

int pvk_native_timer_probe(uint64_t *mmio_phys)
{
	struct pvk_cpuid_regs r;
	uint64_t base;

	if (!pvk_native_time_ready()) {
		pvk_err("pvops native: local APIC timer without pvk_pvops_select_native()");
		return -PVK_XEN_ENODEV;
	}
	pvk_cpuid(1, 0, &r);
	if (!(r.edx & CPUID1_EDX_APIC)) {
		pvk_err("pvops native: the CPU has no local APIC (CPUID 1 EDX bit 9)");
		return -PVK_XEN_ENODEV;
	}
	if (pvk_read_msr_safe(MSR_APIC_BASE, &base)) {
		pvk_err("pvops native: IA32_APIC_BASE cannot be read");
		return -PVK_XEN_ENODEV;
	}
	if (!(base & APIC_BASE_ENABLE)) {
		pvk_err("pvops native: the local APIC is disabled (IA32_APIC_BASE 0x%llx)",
			(unsigned long long)base);
		return -PVK_XEN_ENODEV;
	}
	if (base & APIC_BASE_X2APIC) {
		pvk_err("pvops native: the local APIC is in x2APIC mode: only xAPIC (MMIO) is supported");
		return -PVK_XEN_EOPNOTSUPP;
	}
	*mmio_phys = base & APIC_BASE_ADDR;
	return 0;
}

/* The (clock, current count) pair with the narrowest clock bracket of a
 * few tries: a stall between the reads (QEMU preempted) widens it. */
static void sample(uint64_t *ns, uint32_t *count)
{
	uint64_t best = ~0ULL;

	*ns = 0;
	*count = 0;
	for (int i = 0; i < SAMPLE_TRIES; i++) {
		uint64_t a = pvk_native_clock_ns(), b;
		uint32_t c = apic_read(APIC_TIMER_CURRENT);

		b = pvk_native_clock_ns();
		if (b - a < best) {
			best = b - a;
			*ns = a + (b - a) / 2;
			*count = c;
		}
	}
}

/* The timer's rate against the clock, with its interrupt masked. */
static int calibrate(uint8_t vector)
{
	uint64_t t0, t1, now, counted;
	uint32_t c0, c1;
	unsigned long polls = 0;

	apic_write(APIC_TIMER_DIVIDE, DIVIDE_BY_16);
	apic_write(APIC_LVT_TIMER, LVT_MASKED | vector);
	apic_write(APIC_TIMER_INITIAL, (uint32_t)COUNT_MAX);
	sample(&t0, &c0);
	do {
		now = pvk_native_clock_ns();
		if (++polls > CALIBRATE_MAX_POLLS)
			break;
	} while (now - t0 < CALIBRATE_NS);
	sample(&t1, &c1);
	apic_write(APIC_TIMER_INITIAL, 0);
	counted = c0 > c1 ? c0 - c1 : 0;
	if (t1 - t0 < CALIBRATE_NS || !counted) {
		pvk_err("pvops native: local APIC timer calibration failed (%llu counts in %llu ns)",
			(unsigned long long)counted, (unsigned long long)(t1 - t0));
		return -PVK_XEN_EIO;
	}
	/* counted < 2^32, so the shifts fit 64 bits (no 128-bit division
	 * in freestanding code). */
	counts_per_ns_32 = (counted << 32) / (t1 - t0);
	/* The time 2^32 - 1 counts take, if shorter than the chunk. */
	chunk_ns = (COUNT_MAX << 32) / counts_per_ns_32;
	if (chunk_ns > CHUNK_MAX_NS)
		chunk_ns = CHUNK_MAX_NS;
	pvk_info("pvops native: local APIC timer counts at %llu kHz (bus clock / 16)",
		 (unsigned long long)(counted * 1000 * 1000 / (t1 - t0)));
	return 0;
}

static int lapic_arm(uint64_t deadline_ns, bool ask_if_passed)
{
	uint64_t now = pvk_native_clock_ns(), delta, count;

	if (deadline_ns <= now) {
		if (ask_if_passed)
			return PVK_TIME_HW_PASSED;
		count = 1;	/* as soon as the timer can */
	} else {
		delta = deadline_ns - now;
		if (delta > chunk_ns)
			delta = chunk_ns;
		/* Rounded up: never before the deadline by our measure. */
		count = (uint64_t)(((unsigned __int128)delta * counts_per_ns_32 +
				    0xffffffffULL) >> 32);
		if (!count)
			count = 1;
		if (count > COUNT_MAX)
			count = COUNT_MAX;
	}
	apic_write(APIC_TIMER_INITIAL, (uint32_t)count);
	return 0;
}

static int lapic_stop(void)
{
	apic_write(APIC_TIMER_INITIAL, 0);
	return 0;
}

/* On a CPU just started, irqs off: its APIC and timer like the boot
 * CPU's (calibrated there). */
static int lapic_cpu_up_here(void)
{
	apic_write(APIC_SVR, SVR_APIC_ENABLE | timer_spurious);
	apic_write(APIC_TIMER_DIVIDE, DIVIDE_BY_16);
	apic_write(APIC_TIMER_INITIAL, 0);
	apic_write(APIC_LVT_TIMER, timer_vector);	/* one-shot, unmasked */
	return 0;
}

static const struct pvk_time_hw lapic_timer = {
	.name = "local APIC timer (xAPIC, one-shot)",
	.arm = lapic_arm,
	.stop = lapic_stop,
	.cpu_up_here = lapic_cpu_up_here,
};

int pvk_native_timer_init(void *mmio, uint8_t vector, uint8_t spurious_vector)
{
	struct pvk_cpuid_regs r;
	uint64_t phys;
	int rc;

	if (apic)
		return -PVK_XEN_EBUSY;
	if (!mmio || vector < 32 || spurious_vector < 32) {
		pvk_err("pvops native: local APIC timer needs its page and vectors >= 32 (got %p, %u, %u)",
			mmio, vector, spurious_vector);
		return -PVK_XEN_EINVAL;
	}
	rc = pvk_native_timer_probe(&phys);
	if (rc)
		return rc;
	pvk_cpuid(1, 0, &r);
	pvk_info("pvops native: local APIC: xAPIC at 0x%llx, timer vector %u (the CPU %s x2APIC: not used)",
		 (unsigned long long)phys, vector,
		 r.ecx & CPUID1_ECX_X2APIC ? "has" : "lacks");
	apic = mmio;
	timer_vector = vector;
	timer_spurious = spurious_vector;
	apic_write(APIC_SVR, SVR_APIC_ENABLE | spurious_vector);
	rc = calibrate(vector);
	if (rc) {
		apic = NULL;
		return rc;
	}
	apic_write(APIC_LVT_TIMER, vector);	/* one-shot, unmasked */
	pvk_time_timer_attach(&lapic_timer);
	return 0;
}

void pvk_native_timer_interrupt(void)
{
	/* EOI first: a count armed below may expire before we return. */
	apic_write(APIC_EOI, 0);
	pvk_time_timer_expired();
}
