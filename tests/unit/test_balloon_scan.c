/*
 * tests/unit/test_balloon_scan.c - the balloon driver's search for pfns it
 * ballooned out (mm/balloon_target.c, find_ballooned() and grow()).
 *
 * The search starts where the last one stopped (next_scan), skips empty
 * bitmap pages and bytes, and wraps at the frontier; it must look at every
 * pfn below the frontier once, or grow() takes the domain's ballooned-out
 * pfns for absent and extends the p2m past the frontier instead.
 *
 * The driver's file is included to reach its state; Xen, xenstore and the
 * p2m are stand-ins that only record the calls.
 */
#include <stdlib.h>

#include "mm/balloon_target.c"
#include "fake_kit.h"
#include "unit.h"

static struct {
	unsigned long extend_calls, populate_calls, given;
	pvk_pfn_t populated[CHUNK];
	unsigned long n_populated;
} calls;

int pvk_xs_watch(struct pvk_xs_watch *w) { (void)w; return 0; }
int pvk_xs_read_ulong(pvk_xs_transaction_t t, const char *path, unsigned long *out)
{
	(void)t; *out = 0;
	/* test_netfront_xenbus.c's vif has no "trusted" key. */
	if (!strncmp(path, "device/vif/", 11))
		return -PVK_XEN_ENOENT;
	return -PVK_XEN_EINVAL;
}
long pvk_balloon_release(const pvk_pfn_t *pfns, unsigned long n) { (void)pfns; return (long)n; }
long pvk_balloon_maximum_pages(void) { return 0; }
unsigned long pvk_p2m_nr_pages(void) { return frontier; }
int pvk_p2m_extend(unsigned long nr) { (void)nr; calls.extend_calls++; return 0; }

long pvk_balloon_populate(const pvk_pfn_t *pfns, unsigned long n)
{
	calls.populate_calls++;
	calls.n_populated = n;
	memcpy(calls.populated, pfns, n * sizeof(*pfns));
	return (long)n;
}

void *pvk_port_alloc_page(void)
{
	return calloc(1, PVK_PAGE_SIZE);
}

static unsigned long stub_take(pvk_pfn_t *pfns, unsigned long n) { (void)pfns; (void)n; return 0; }
static void stub_give(const pvk_pfn_t *pfns, unsigned long n) { (void)pfns; calls.given += n; }
static void stub_kick(void) {}
/* Unused with a kick of its own; balloon_target.c links against it. */
/* Records only (fake_kit.h): a test runs the work itself. */
struct pvk_work *unit_fake_work_last;
unsigned int unit_fake_works_scheduled;

void pvk_port_schedule_work(struct pvk_work *w)
{
	unit_fake_work_last = w;
	unit_fake_works_scheduled++;
}
static const struct pvk_balloon_host stub_host = { stub_take, stub_give, stub_kick };

/* A driver state of `front` pfns with the given ones ballooned out. */
static void setup(unsigned long front, unsigned long scan, const unsigned long *out, unsigned int n)
{
	for (unsigned long i = 0; i < BITMAP_PAGES; i++) {
		free(ballooned[i]);
		ballooned[i] = NULL;
	}
	memset(&calls, 0, sizeof(calls));
	host = &stub_host;
	frontier = front;
	next_scan = scan;
	nr_ballooned = 0;
	for (unsigned int i = 0; i < n; i++) {
		CHECK(set_bit_to(out[i], true));
		nr_ballooned++;
	}
}

static void teardown(void)
{
	setup(0, 0, NULL, 0);
	host = NULL;
}

/* The page after the wrap point has no bitmap: its skip must stop at the
 * frontier, or the pfns before next_scan are never looked at. */
UNIT_TEST(balloon_scan_wraps_past_an_empty_bitmap_page)
{
	unsigned long out[] = { 50 };
	pvk_pfn_t pfns[CHUNK];

	memset(pfns, 0, sizeof(pfns));
	setup(40000, 100, out, 1);
	CHECK_EQ(find_ballooned(pfns, 8), 1);
	CHECK_EQ(pvk_pfn_raw(pfns[0]), 50);
	teardown();
}

/* The same with an empty last byte that runs past the frontier. */
UNIT_TEST(balloon_scan_wraps_past_an_empty_last_byte)
{
	unsigned long out[] = { 49 };
	pvk_pfn_t pfns[CHUNK];

	memset(pfns, 0, sizeof(pfns));
	setup(100, 50, out, 1);
	CHECK_EQ(find_ballooned(pfns, 8), 1);
	CHECK_EQ(pvk_pfn_raw(pfns[0]), 49);
	teardown();
}

/* Every ballooned pfn is found once, from any starting point. */
UNIT_TEST(balloon_scan_finds_each_once_from_anywhere)
{
	unsigned long out[] = { 0, 7, 8, 32767, 32768, 40001, 65535, 65536, 99998 };
	unsigned int n = sizeof(out) / sizeof(out[0]);
	pvk_pfn_t pfns[CHUNK];

	for (unsigned long scan = 0; scan < 100000; scan += 997) {
		unsigned long got;

		setup(99999, scan, out, n);
		got = find_ballooned(pfns, CHUNK);
		CHECK_EQ(got, n);
		for (unsigned int i = 0; i < n; i++) {
			unsigned int seen = 0;

			for (unsigned long k = 0; k < got; k++)
				seen += pvk_pfn_raw(pfns[k]) == out[i];
			CHECK_EQ(seen, 1);
		}
	}
	teardown();
}

/* grow() repopulates a ballooned pfn behind next_scan rather than taking
 * new pfns past the frontier. */
UNIT_TEST(balloon_grow_refills_before_extending)
{
	unsigned long out[] = { 50 };

	setup(40000, 100, out, 1);
	CHECK(grow(1));
	CHECK_EQ(calls.extend_calls, 0);
	CHECK_EQ(calls.populate_calls, 1);
	CHECK_EQ(calls.n_populated, 1);
	CHECK_EQ(pvk_pfn_raw(calls.populated[0]), 50);
	CHECK_EQ(nr_ballooned, 0);
	CHECK_EQ(frontier, 40000);
	CHECK_EQ(calls.given, 1);
	teardown();
}
