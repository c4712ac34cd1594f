/*
 * tests/guest/cases/shared_info.c - the shared info page is Xen's, live.
 *
 * After update_va_mapping our reserved page must show what Xen maintains:
 * a running per-vCPU clock (version even when stable, multiplier set,
 * time moving forward) and the wallclock at system time 0. Our own setup
 * is checked too: upcalls and every event channel masked.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/sched.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

PVK_GUEST_TEST(shared_info)
{
	const struct pvk_shared_info *s = guest_shared_info;
	const struct pvk_vcpu_time_info *t;
	uint32_t version, wc_version, wc_sec;
	uint64_t t0, t1;
	int tries = 0;

	PVK_CHECK(s != NULL);
	t = &s->vcpu_info[0].time;

	/* A stable snapshot has an even version. */
	do {
		version = PVK_READ_ONCE(t->version);
		pvk_barrier();
	} while (version != PVK_READ_ONCE(t->version) && ++tries < 1000);
	PVK_CHECK_EQ(version & 1, 0);
	PVK_CHECK_NE(PVK_READ_ONCE(t->tsc_to_system_mul), 0);

	t0 = guest_now_ns();
	PVK_CHECK_NE(t0, 0);
	pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
	t1 = guest_now_ns();
	PVK_CHECK_GE(t1, t0);
	PVK_CHECK_LT(t1 - t0, 10ULL * 1000 * 1000 * 1000);	/* a yield, not 10 s */

	tries = 0;
	do {
		wc_version = PVK_READ_ONCE(s->wc_version);
		pvk_barrier();
		wc_sec = PVK_READ_ONCE(s->wc_sec);
		pvk_barrier();
	} while (((wc_version & 1) || wc_version != PVK_READ_ONCE(s->wc_version)) &&
		 ++tries < 1000);
	PVK_CHECK_NE(wc_sec, 0);

	PVK_CHECK_EQ(PVK_READ_ONCE(s->vcpu_info[0].evtchn_upcall_mask), 1);
	PVK_CHECK_EQ(s->evtchn_mask[0], ~0UL);
}
