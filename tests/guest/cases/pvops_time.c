/*
 * tests/guest/cases/pvops_time.c - the time ops (on Xen time/'s clock and
 * wall clock, natively the calibrated TSC and the CMOS RTC) and the mmu
 * ops every world has (read_cr3, TLB flushes; read_cr2 on Xen).
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "../test.h"

#define MS	(1000ULL * 1000)

/* The clock moves forward, never back, in both worlds. */
PVK_GUEST_TEST(pvops_clock)
{
	uint64_t a = pvk_clock_ns(), b = a, c;

	PVK_CHECK_NE(a, 0);
	for (int i = 0; i < 1000; i++) {
		c = pvk_clock_ns();
		PVK_CHECK_GE(c, b);
		b = c;
	}
	for (int i = 0; i < 1000; i++)
		pvk_io_delay();
	c = pvk_clock_ns();
	PVK_CHECK_GT(c, a);
	guest_printf("pvops: 1000 clock reads and 1000 io_delay() took %llu ns\n",
		     (unsigned long long)(c - a));
}

/* Natively the RTC has whole seconds; Xen's wall clock has ns. */
PVK_GUEST_TEST(pvops_wallclock)
{
	struct pvk_wallclock wc;

	pvk_wallclock(&wc);
	guest_printf("pvops: wall clock %llu.%09u\n", (unsigned long long)wc.sec, wc.nsec);
	PVK_CHECK_GE(wc.sec, 1577836800ULL);	/* 2020-01-01 */
	PVK_CHECK_LT(wc.sec, 4102444800ULL);	/* 2100-01-01 */
	if (guest_native_boot)
		PVK_CHECK_EQ(wc.nsec, 0);
	else
		PVK_CHECK_LT(wc.nsec, PVK_NSEC_PER_SEC);
}

/* On Xen the ops are time/'s own functions. */
PVK_GUEST_TEST_XEN(pvops_time)
{
	struct pvk_wallclock a, b;
	uint64_t t0 = pvk_time_now_ns(), t1 = pvk_clock_ns(), t2 = pvk_time_now_ns();

	PVK_CHECK_LE(t0, t1 + MS);
	PVK_CHECK_LE(t1, t2 + MS);
	pvk_wallclock(&a);
	pvk_time_wallclock(&b);
	PVK_CHECK_GE(a.sec, 1577836800ULL);	/* after 2020 */
	PVK_CHECK_LE(b.sec - a.sec, 1);
}

/*
 * Flushing changes no translation and no page-table base. Natively also
 * write_cr3 (the same base: a full flush) and set_pte (a plain store, so
 * any word shows it); on Xen those two need real page tables and pinned
 * frames: mm_pagetables.c tests them.
 */
PVK_GUEST_TEST(pvops_tlb_flush)
{
	static volatile unsigned long probe = 0x5a5a;
	static uint64_t fake_pte;
	unsigned long cr3 = pvk_read_cr3();

	PVK_CHECK_NE(cr3, 0);
	pvk_flush_tlb_one((unsigned long)&probe);
	PVK_CHECK_EQ(probe, 0x5a5a);
	pvk_flush_tlb_local();
	PVK_CHECK_EQ(probe, 0x5a5a);
	PVK_CHECK_EQ(pvk_read_cr3(), cr3);
	if (!guest_native_boot)
		return;
	pvk_write_cr3(cr3);
	PVK_CHECK_EQ(pvk_read_cr3(), cr3);
	PVK_CHECK_EQ(probe, 0x5a5a);
	pvk_set_pte(&fake_pte, 0x1234567003ULL);
	PVK_CHECK_EQ(PVK_READ_ONCE(fake_pte), 0x1234567003ULL);
}

PVK_GUEST_TEST_XEN(pvops_read_cr2)
{
	PVK_CHECK_EQ(pvk_read_cr2(), PVK_READ_ONCE(guest_vcpu0()->arch.cr2));
}
