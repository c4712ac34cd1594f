/*
 * mm/balloon_target.c - the balloon driver: follow memory/target.
 *
 * The toolstack writes the domain's memory target (KiB) to memory/target
 * in our xenstore home. The watch on it runs in the xenstore event
 * handler (a notify watch, pvkit/xenstore.h), where nothing may sleep: it
 * only marks the target stale and kicks the host. The host then runs
 * pvk_balloon_work() in thread context, which reads the target and moves
 * toward it a bounded step per call. Going down, the kernel gives frames
 * (host take_frames) and the kit releases them; going up, the kit
 * populates frames it released before - only those: the other pfns were
 * never ours to fill - and hands them back (give_frames). A bitmap over
 * the p2m remembers which pfns are ballooned out.
 *
 * When the kernel has no frame to spare, or Xen no frame to give, the
 * driver says so once and waits for the next target rather than retry in
 * a loop.
 */
#include <pvkit/balloon.h>
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define CHUNK PVK_BALLOON_CHUNK

static const struct pvk_balloon_host *host;
static uint8_t *ballooned;		/* bit per pfn */
static unsigned long nr_ballooned, nr_pages, target;
static unsigned long next_scan;		/* where populate looks first */
static bool target_stale;		/* set by the watch, event context */
static unsigned long reads;		/* of memory/target, since start */
static bool stuck;			/* cannot get nearer to this target */
static uint64_t target_ns;		/* when the target was read */
static unsigned long target_from, steps;	/* pages then, work calls since */
static struct pvk_xs_watch target_watch;

static bool test_bit(unsigned long pfn)
{
	return ballooned[pfn / 8] & (1u << (pfn % 8));
}

static void set_bit_to(unsigned long pfn, bool on)
{
	if (on)
		ballooned[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
	else
		ballooned[pfn / 8] &= (uint8_t)~(1u << (pfn % 8));
}

unsigned long pvk_balloon_pages(void)
{
	return nr_pages - nr_ballooned;
}

unsigned long pvk_balloon_target_pages(void)
{
	return target;
}

/* Releases up to want (<= CHUNK) frames from the host; false when stuck. */
static bool shrink(unsigned long want)
{
	pvk_pfn_t pfns[CHUNK];
	unsigned long n = host->take_frames(pfns, want);
	unsigned long kept;
	long done;

	if (!n) {
		pvk_warn("balloon: the kernel has no frame to spare; staying at %lu pages (target %lu)",
			 pvk_balloon_pages(), target);
		return false;
	}
	done = pvk_balloon_release(pfns, n);
	for (long i = 0; i < done; i++)
		set_bit_to(pvk_pfn_raw(pfns[i]), true);
	nr_ballooned += done > 0 ? (unsigned long)done : 0;
	kept = done > 0 ? (unsigned long)done : 0;
	if (kept < n)
		host->give_frames(pfns + kept, n - kept);	/* Xen did not take them */
	return done == (long)n;
}

/* Populates up to want (<= CHUNK) ballooned pfns; false when stuck. */
static bool grow(unsigned long want)
{
	pvk_pfn_t pfns[CHUNK];
	unsigned long n = 0;
	long done;

	for (unsigned long k = 0; k < nr_pages && n < want; k++) {
		unsigned long pfn = (next_scan + k) % nr_pages;

		if (test_bit(pfn))
			pfns[n++] = pvk_pfn(pfn);
	}
	if (!n) {
		pvk_warn("balloon: target %lu pages is above the %lu the domain started with",
			 target, nr_pages);
		return false;
	}
	next_scan = pvk_pfn_raw(pfns[n - 1]) + 1;
	done = pvk_balloon_populate(pfns, n);
	if (done > 0) {
		for (long i = 0; i < done; i++)
			set_bit_to(pvk_pfn_raw(pfns[i]), false);
		nr_ballooned -= (unsigned long)done;
		host->give_frames(pfns, (unsigned long)done);
	}
	if (done != (long)n)
		pvk_warn("balloon: Xen gave %ld of %lu frames; staying at %lu pages (target %lu)",
			 done, n, pvk_balloon_pages(), target);
	return done == (long)n;
}

/* Reads memory/target if the watch said it changed; false to retry later. */
static bool read_target(void)
{
	unsigned long kib;
	int rc;

	if (!PVK_READ_ONCE(target_stale))
		return true;
	/* Cleared first: a change while we read marks it stale again. */
	PVK_WRITE_ONCE(target_stale, false);
	/* Also fine inside another xenstore call's wait: requests queue. */
	rc = pvk_xs_read_ulong(PVK_XBT_NIL, "memory/target", &kib);
	reads++;
	if (rc) {
		pvk_warn("balloon: cannot read memory/target: %d; keeping target %lu pages",
			 rc, target);
		return true;
	}
	if (kib / (PVK_PAGE_SIZE / 1024) != target || stuck) {
		target = kib / (PVK_PAGE_SIZE / 1024);
		stuck = false;
		target_ns = pvk_time_now_ns();
		target_from = pvk_balloon_pages();
		steps = 0;
		pvk_info("balloon: target %lu KiB (%lu pages), holding %lu pages",
			 kib, target, pvk_balloon_pages());
	}
	return true;
}

bool pvk_balloon_work(void)
{
	unsigned long budget = PVK_BALLOON_WORK_PAGES, cur;

	if (!host)
		return false;
	if (!read_target())
		return true;
	cur = pvk_balloon_pages();
	if (cur != target)
		steps++;
	while (!stuck && cur != target && budget) {
		unsigned long want = cur > target ? cur - target : target - cur;

		if (want > CHUNK)
			want = CHUNK;
		if (want > budget)
			want = budget;
		if (!(cur > target ? shrink(want) : grow(want)))
			stuck = true;
		budget -= want;
		cur = pvk_balloon_pages();
		if (cur == target)
			pvk_info("balloon: holding the target, %lu pages (from %lu in %llu us, %lu steps)",
				 cur, target_from,
				 (unsigned long long)((pvk_time_now_ns() - target_ns) / 1000), steps);
	}
	return PVK_READ_ONCE(target_stale) || (!stuck && cur != target);
}

bool pvk_balloon_settled(void)
{
	return host && reads && !PVK_READ_ONCE(target_stale) &&
	       (stuck || pvk_balloon_pages() == target);
}

/* Event context, watch lock held: only record and kick. */
static void target_changed(struct pvk_xs_watch *w)
{
	(void)w;
	PVK_WRITE_ONCE(target_stale, true);
	host->kick();
}

int pvk_balloon_driver_start(const struct pvk_balloon_host *h)
{
	int rc;

	if (host)
		return -PVK_XEN_EEXIST;
	if (!h || !h->take_frames || !h->give_frames || !h->kick)
		return -PVK_XEN_EINVAL;
	nr_pages = pvk_p2m_nr_pages();
	target = nr_pages;
	ballooned = pvk_port_malloc((nr_pages + 7) / 8);
	if (!ballooned)
		return -PVK_XEN_ENOMEM;
	for (unsigned long i = 0; i < (nr_pages + 7) / 8; i++)
		ballooned[i] = 0;
	host = h;
	target_watch.path = "memory/target";
	target_watch.notify = target_changed;
	rc = pvk_xs_watch(&target_watch);
	if (rc) {
		pvk_err("balloon: cannot watch memory/target: %d", rc);
		host = NULL;
		pvk_port_free(ballooned);
		ballooned = NULL;
	}
	return rc;
}
