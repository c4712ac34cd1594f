/*
 * tests/guest/cases/mm_balloon.c - ballooning on real Xen (pvkit/balloon.h).
 *
 * The last BALLOON_PAGES frames of the domain (past the start-of-day
 * mapping, used by nothing) go back to Xen and come back: the domain's
 * reservation shrinks and grows by exactly that, the p2m follows, Xen's
 * M2P knows the new frames, and a new frame maps and holds data.
 * balloon_mem_set (explicit, scenario guest-balloon): the balloon driver
 * follows `xl mem-set` down to 48 MiB and back up to 64 MiB.
 * mm_balloon works on the scratch window (bootmem.c), not on the driver's
 * pages: the driver holds the target throughout. balloon_grow (explicit,
 * scenario guest-maxmem: memory 64, maxmem 512): `xl mem-set 512m` grows
 * the domain past its boot size - the p2m and its published frame list
 * grow, the new pages are usable - and `xl mem-set 64m` shrinks it back.
 */
#include <pvkit/balloon.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define BALLOON_PAGES	256
#define BALLOON_VA	0xffff978000000000UL	/* L4 slot 303 */

PVK_GUEST_TEST(mm_balloon)
{
	static pvk_pfn_t pfns[BALLOON_PAGES];
	static pvk_mfn_t old[BALLOON_PAGES];
	struct pvk_balloon_stats s0, s1;
	unsigned long avail;
	pvk_pfn_t first;
	long cur0;

	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_GE(avail, 4096 + BALLOON_PAGES);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++) {
		pfns[i] = pvk_pfn(pvk_pfn_raw(first) + avail - BALLOON_PAGES + i);
		old[i] = pvk_pfn_to_mfn(pfns[i]);
	}
	cur0 = pvk_balloon_current_pages();
	PVK_CHECK_GE(cur0, 1);
	pvk_balloon_stats_snapshot(&s0);

	PVK_CHECK_EQ(pvk_balloon_release(pfns, BALLOON_PAGES), BALLOON_PAGES);
	PVK_CHECK_EQ(pvk_balloon_current_pages(), cur0 - BALLOON_PAGES);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		PVK_CHECK_EQ(pvk_mfn_raw(pvk_pfn_to_mfn(pfns[i])), PVK_INVALID_RAW_FRAME);
	/* The frames are Xen's now: our M2P view no longer calls them ours. */
	PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(old[0])), PVK_INVALID_RAW_FRAME);
	guest_printf("balloon: expecting an error for releasing an empty pfn\n");
	PVK_CHECK_RC(pvk_balloon_release(pfns, 1), -PVK_XEN_EINVAL);

	PVK_CHECK_EQ(pvk_balloon_populate(pfns, BALLOON_PAGES), BALLOON_PAGES);
	PVK_CHECK_EQ(pvk_balloon_current_pages(), cur0);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(pvk_pfn_to_mfn(pfns[i]))),
			     pvk_pfn_raw(pfns[i]));
	guest_printf("balloon: expecting an error for populating a populated pfn\n");
	PVK_CHECK_RC(pvk_balloon_populate(pfns, 1), -PVK_XEN_EEXIST);
	pvk_balloon_stats_snapshot(&s1);
	PVK_CHECK_EQ(s1.released - s0.released, BALLOON_PAGES);
	PVK_CHECK_EQ(s1.populated - s0.populated, BALLOON_PAGES);

	PVK_CHECK_RC(pvk_mmu_map_range(BALLOON_VA, pfns[0], BALLOON_PAGES, PVK_PTE_KERNEL_RW), 0);
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		((volatile uint64_t *)(BALLOON_VA + i * PVK_PAGE_SIZE))[3] = 0xba11 + i;
	for (unsigned int i = 0; i < BALLOON_PAGES; i++)
		PVK_CHECK_EQ(((volatile uint64_t *)(BALLOON_VA + i * PVK_PAGE_SIZE))[3], 0xba11 + i);
	PVK_CHECK_RC(pvk_mmu_unmap_range(BALLOON_VA, BALLOON_PAGES), 0);
	guest_printf("balloon: %d frames released and populated again, reservation %ld pages\n",
		     BALLOON_PAGES, cur0);
}

/*
 * The balloon driver under `xl mem-set` (explicit; scenario guest-balloon).
 * The driver runs from boot (balloon.c): the test only says when it is
 * ready for dom0's next step and waits, in the guest's idle path where the
 * driver's work runs, until the reservation follows. Each target must be
 * reached by the guest's count, Xen's (current_reservation) and xl's (dom0
 * writes `xl list`'s MiB to data/xl-mem-N), and the page allocator must
 * have lent exactly the difference.
 */
#define FOLLOW_TIMEOUT_NS	(60ULL * 1000 * 1000 * 1000)
#define XL_TIMEOUT_NS		(30ULL * 1000 * 1000 * 1000)

static bool holds_target(void *arg)
{
	unsigned long want = *(const unsigned long *)arg;

	return pvk_balloon_pages() == want && pvk_balloon_target_pages() == want;
}

static void on_dom0(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
}

/* What dom0 wrote to node (a number), waiting for it at most XL_TIMEOUT_NS. */
static int dom0_says(const char *node, unsigned long *val)
{
	static struct pvk_xs_watch w = { .cb = on_dom0 };
	uint64_t deadline = pvk_time_now_ns() + XL_TIMEOUT_NS;
	int rc;

	w.path = node;
	rc = pvk_xs_watch(&w);	/* before the first read: no write is missed */
	if (rc)
		return rc;
	for (;;) {
		uint64_t now = pvk_time_now_ns();

		rc = pvk_xs_read_ulong(PVK_XBT_NIL, node, val);
		if (rc != -PVK_XEN_ENOENT || now >= deadline)
			break;
		pvk_xs_wait_watches(deadline - now);
	}
	pvk_xs_unwatch(&w);
	pvk_xs_run_watches();
	return rc;
}

static int follow(unsigned long pages)
{
	struct pvk_wait w;

	pvk_port_wait_init(&w);
	return pvk_port_wait_until(&w, holds_target, &pages, FOLLOW_TIMEOUT_NS);
}

PVK_GUEST_TEST_EXPLICIT(balloon_mem_set)
{
	unsigned long low = 48 * 256, high = 64 * 256, xl_mib;
	size_t free0, lent0;
	uint64_t t0;
	long xen0;

	guest_events_enable();	/* xenstore up: the driver is running */
	PVK_CHECK_EQ(pvk_p2m_nr_pages(), high);	/* the scenario's MEMORY=64 */
	PVK_CHECK(pvk_balloon_settled());	/* since guest_events_enable() */
	PVK_CHECK_EQ(pvk_balloon_target_pages(), high);
	xen0 = pvk_balloon_current_pages();
	free0 = guest_pages_free();
	lent0 = guest_balloon_lent_pages();
	PVK_CHECK_EQ(lent0, 0);

	guest_printf("balloon: ready for xl mem-set 48m\n");
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(follow(low), 0);
	guest_printf("balloon: shrunk to %lu pages after %llu ms, Xen counts %ld (was %ld), allocator lent %lu of %zu free pages\n",
		     pvk_balloon_pages(), (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     pvk_balloon_current_pages(), xen0, guest_balloon_lent_pages(), free0);
	PVK_CHECK_EQ(xen0 - pvk_balloon_current_pages(), high - low);
	PVK_CHECK_EQ(guest_balloon_lent_pages(), high - low);
	/* The driver's bitmap took one page for these pfns (balloon.h). */
	PVK_CHECK_EQ(pvk_balloon_bitmap_pages(), 1);
	PVK_CHECK_EQ(guest_pages_free(), free0 - (high - low) - pvk_balloon_bitmap_pages());
	PVK_CHECK_RC(dom0_says("data/xl-mem-48", &xl_mib), 0);
	guest_printf("balloon: xl list says %lu MiB\n", xl_mib);
	PVK_CHECK_EQ(xl_mib, 48);

	guest_printf("balloon: ready for xl mem-set 64m\n");
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(follow(high), 0);
	guest_printf("balloon: grew back to %lu pages after %llu ms, Xen counts %ld\n",
		     pvk_balloon_pages(), (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     pvk_balloon_current_pages());
	PVK_CHECK_EQ(pvk_balloon_current_pages(), xen0);
	PVK_CHECK_EQ(guest_balloon_lent_pages(), 0);
	PVK_CHECK_EQ(guest_pages_free(), free0 - pvk_balloon_bitmap_pages());
	PVK_CHECK_RC(dom0_says("data/xl-mem-64", &xl_mib), 0);
	guest_printf("balloon: xl list says %lu MiB\n", xl_mib);
	PVK_CHECK_EQ(xl_mib, 64);

	/* The frames that came back are the allocator's again (freed last,
	 * handed out first): ours by p2m and M2P, and they hold data. */
	{
		static uint64_t *pages[64];

		for (unsigned int i = 0; i < 64; i++) {
			pvk_pfn_t pfn;

			pages[i] = pvk_port_alloc_page();
			PVK_CHECK(pages[i]);
			pfn = pvk_port_virt_to_pfn(pages[i]);
			PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(pvk_pfn_to_mfn(pfn))), pvk_pfn_raw(pfn));
			pages[i][9] = 0xb0b0 + i;
		}
		for (unsigned int i = 0; i < 64; i++)
			PVK_CHECK_EQ(PVK_READ_ONCE(pages[i][9]), 0xb0b0 + i);
		for (unsigned int i = 0; i < 64; i++)
			pvk_port_free_page(pages[i]);
	}
	PVK_CHECK_EQ(guest_pages_free(), free0 - pvk_balloon_bitmap_pages());
}

/*
 * Past the boot size (explicit; scenario guest-maxmem, memory = 64,
 * maxmem = 512). The driver populates pfns the domain never had, the p2m
 * grows with them and the frame list the toolstack reads covers them;
 * every new page is handed to the allocator and holds data; the guest's
 * count, Xen's reservation and `xl list` agree; then back to 64 MiB.
 */
#define GROW_TIMEOUT_NS		(240ULL * 1000 * 1000 * 1000)

/* Entries of our p2m that name a frame. */
static unsigned long p2m_valid(void)
{
	unsigned long n = 0;

	for (unsigned long pfn = 0; pfn < pvk_p2m_nr_pages(); pfn++)
		n += pvk_mfn_raw(pvk_pfn_to_mfn(pvk_pfn(pfn))) != PVK_INVALID_RAW_FRAME;
	return n;
}

/* dom0's pvk-p2m-check read the published p2m as save/restore would
 * (every named frame the domain's, none twice, as many as it holds) and
 * wrote how many frames it found to node. */
static void dom0_read_p2m(const char *node)
{
	unsigned long seen, ours = p2m_valid();

	PVK_CHECK_RC(dom0_says(node, &seen), 0);
	guest_printf("balloon: dom0 read %lu frames through the published frame list (our p2m names %lu, Xen counts %ld)\n",
		     seen, ours, pvk_balloon_current_pages());
	PVK_CHECK_EQ(seen, ours);
	PVK_CHECK_EQ((long)seen, pvk_balloon_current_pages());
}

static int follow_long(unsigned long pages)
{
	struct pvk_wait w;

	pvk_port_wait_init(&w);
	return pvk_port_wait_until(&w, holds_target, &pages, GROW_TIMEOUT_NS);
}

/* Takes every free page, writes its pfn into it, counts and checks those
 * past the boot size (ours by p2m and M2P), reads all back, frees all. */
static void use_every_page(unsigned long boot, unsigned long *fresh)
{
	uint64_t **chain = NULL, **page;
	size_t free0 = guest_pages_free(), got = 0;

	*fresh = 0;
	while ((page = pvk_port_alloc_page())) {
		unsigned long pfn = pvk_pfn_raw(pvk_port_virt_to_pfn(page));

		page[0] = (uint64_t *)chain;
		page[1] = (uint64_t *)pfn;
		chain = page;
		got++;
		if (pfn >= boot) {
			(*fresh)++;
			PVK_CHECK_EQ(pvk_pfn_raw(pvk_mfn_to_pfn(pvk_pfn_to_mfn(pvk_pfn(pfn)))), pfn);
		}
	}
	while (chain) {
		page = chain;
		chain = (uint64_t **)page[0];
		PVK_CHECK_EQ((unsigned long)page[1], pvk_pfn_raw(pvk_port_virt_to_pfn(page)));
		pvk_port_free_page(page);
	}
	PVK_CHECK_EQ(got, free0);
	PVK_CHECK_EQ(guest_pages_free(), free0);
}

PVK_GUEST_TEST_EXPLICIT(balloon_grow)
{
	unsigned long boot = pvk_p2m_boot_pages(), high = 512 * 256, xl_mib, fresh, kib;
	long xen0, max;
	uint64_t t0;

	guest_events_enable();	/* xenstore up: the driver is running */
	PVK_CHECK_EQ(boot, 64 * 256);	/* the scenario's memory = 64 */
	PVK_CHECK(pvk_balloon_settled());
	/* xl keeps maxmem in xenstore and Xen's maximum just above the
	 * target (target + 1 MiB), raising it with each mem-set. */
	PVK_CHECK_RC(pvk_xs_read_ulong(PVK_XBT_NIL, "memory/static-max", &kib), 0);
	PVK_CHECK_EQ(kib, high * 4);	/* maxmem = 512 */
	max = pvk_balloon_maximum_pages();
	PVK_CHECK_LT(max, (long)high);
	xen0 = pvk_balloon_current_pages();
	PVK_CHECK_RC(pvk_p2m_publish(guest_shared_info), 0);
	PVK_CHECK_EQ(guest_shared_info->arch.max_pfn, boot);

	guest_printf("balloon: ready for xl mem-set 512m (maxmem %lu KiB, Xen's maximum now %ld pages)\n",
		     kib, max);
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(follow_long(high), 0);
	guest_printf("balloon: grew past the boot size to %lu pages after %llu ms, Xen counts %ld (was %ld), p2m %lu pfns, %lu new pages added\n",
		     pvk_balloon_pages(), (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     pvk_balloon_current_pages(), xen0, pvk_p2m_nr_pages(),
		     guest_balloon_grown_pages());
	PVK_CHECK_EQ(pvk_balloon_current_pages() - xen0, (long)(high - boot));
	PVK_CHECK_GE(pvk_balloon_maximum_pages(), (long)high);
	PVK_CHECK_EQ(guest_balloon_grown_pages(), high - boot);
	PVK_CHECK_GE(pvk_p2m_nr_pages(), high);
	/* The toolstack's view covers the new pfns. */
	PVK_CHECK_GE(guest_shared_info->arch.max_pfn, high);
	PVK_CHECK_CALL(guest_check_p2m_frame_list());
	PVK_CHECK_CALL(use_every_page(boot, &fresh));
	guest_printf("balloon: %lu pages past the boot size allocated, written and read back\n", fresh);
	PVK_CHECK_EQ(fresh, high - boot);
	PVK_CHECK_RC(dom0_says("data/xl-mem-512", &xl_mib), 0);
	guest_printf("balloon: xl list says %lu MiB\n", xl_mib);
	PVK_CHECK_EQ(xl_mib, 512);
	PVK_CHECK_CALL(dom0_read_p2m("data/p2m-valid"));

	guest_printf("balloon: ready for xl mem-set 64m\n");
	t0 = pvk_time_now_ns();
	PVK_CHECK_RC(follow_long(boot), 0);
	guest_printf("balloon: shrank back to %lu pages after %llu ms, Xen counts %ld\n",
		     pvk_balloon_pages(), (unsigned long long)((pvk_time_now_ns() - t0) / 1000000),
		     pvk_balloon_current_pages());
	PVK_CHECK_EQ(pvk_balloon_current_pages(), xen0);
	PVK_CHECK_CALL(guest_check_p2m_frame_list());
	PVK_CHECK_RC(dom0_says("data/xl-mem-64b", &xl_mib), 0);
	guest_printf("balloon: xl list says %lu MiB\n", xl_mib);
	PVK_CHECK_EQ(xl_mib, 64);
	PVK_CHECK_CALL(dom0_read_p2m("data/p2m-valid-64"));
}
