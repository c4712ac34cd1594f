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
 * populates frames it released before, then - when the target is above
 * what the domain ever held (maxmem > memory) - new pfns past the highest
 * one so far (the frontier, start_info.nr_pages at start), extending the
 * p2m first (pvk_p2m_extend), and hands them to the kernel (give_frames).
 * Xen's maximum reservation is the limit: populate fails past it.
 *
 * A bitmap remembers which pfns below the frontier are ballooned out. It
 * is paged so that it costs nothing for memory that never balloons and
 * fits any domain size: a fixed index of BITMAP_PAGES pointers (32 KiB of
 * .bss, PVK_P2M_MAX_PFNS pfns), each to one page of bits for 128 MiB of
 * pfns, allocated (pvk_port_alloc_page) the first time a pfn in its range
 * is released: at most 8 pages (32 KiB) per GiB ballooned out.
 *
 * When the kernel has no frame to spare, or Xen no frame to give, the
 * driver says so once and waits for the next target rather than retry in
 * a loop.
 *
 * Several CPUs: the host may run pvk_balloon_work() on any CPU, even on
 * two at once (a kick seen by each). One runs the work at a time (the
 * `working` flag, taken with an atomic exchange: the work sleeps in
 * xenstore reads, so no spin lock); the other returns at once, and the
 * one working looks at target_stale again after it let go of the flag, so
 * a change the other was kicked for is not lost: it returns true (call
 * again).
 */
#include <pvkit/balloon.h>
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define CHUNK PVK_BALLOON_CHUNK

#define BITS_PER_PAGE	(PVK_PAGE_SIZE * 8)
#define BITMAP_PAGES	(PVK_P2M_MAX_PFNS / BITS_PER_PAGE)

static const struct pvk_balloon_host *host;
static uint8_t *ballooned[BITMAP_PAGES];	/* bit per pfn, paged */
static unsigned long nr_ballooned, frontier, target;
static unsigned long bitmap_pages;	/* allocated for the bitmap */
static unsigned long next_scan;		/* where populate looks first */
static bool target_stale;		/* set by the watch, event context */
static unsigned long reads;		/* of memory/target, since start */
static bool stuck;			/* cannot get nearer to this target */
static uint64_t target_ns;		/* when the target was read */
static unsigned long target_from, steps;	/* pages then, work calls since */
static struct pvk_xs_watch target_watch;
static int working;			/* a CPU runs pvk_balloon_work() */

static bool test_bit(unsigned long pfn)
{
	const uint8_t *page = ballooned[pfn / BITS_PER_PAGE];
	unsigned long bit = pfn % BITS_PER_PAGE;

	return page && (page[bit / 8] & (1u << (bit % 8)));
}

/* Clearing never allocates; setting may (false: no page for the bitmap). */
static bool set_bit_to(unsigned long pfn, bool on)
{
	uint8_t **page = &ballooned[pfn / BITS_PER_PAGE];
	unsigned long bit = pfn % BITS_PER_PAGE;

	if (!*page) {
		if (!on)
			return true;
		*page = pvk_port_alloc_page();
		if (!*page)
			return false;
		bitmap_pages++;
		for (unsigned int i = 0; i < PVK_PAGE_SIZE; i++)
			(*page)[i] = 0;
	}
	if (on)
		(*page)[bit / 8] |= (uint8_t)(1u << (bit % 8));
	else
		(*page)[bit / 8] &= (uint8_t)~(1u << (bit % 8));
	return true;
}

/* Pages for the bitmap bits of pfns, allocated up front so that no frame
 * is released without a bit to remember it by. */
static bool bitmap_ready(const pvk_pfn_t *pfns, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++) {
		unsigned long pfn = pvk_pfn_raw(pfns[i]);

		if (!ballooned[pfn / BITS_PER_PAGE] &&
		    (!set_bit_to(pfn, true) || !set_bit_to(pfn, false)))
			return false;
	}
	return true;
}

unsigned long pvk_balloon_bitmap_pages(void)
{
	return bitmap_pages;
}

unsigned long pvk_balloon_pages(void)
{
	return frontier - nr_ballooned;
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
	if (!bitmap_ready(pfns, n)) {
		pvk_warn("balloon: no page for the bitmap; staying at %lu pages (target %lu)",
			 pvk_balloon_pages(), target);
		host->give_frames(pfns, n);
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

/* Up to want ballooned pfns, from next_scan on, skipping empty bitmap
 * pages and bytes. */
static unsigned long find_ballooned(pvk_pfn_t *pfns, unsigned long want)
{
	unsigned long n = 0, pfn = next_scan < frontier ? next_scan : 0;

	for (unsigned long seen = 0; nr_ballooned && seen < frontier && n < want;) {
		const uint8_t *page = ballooned[pfn / BITS_PER_PAGE];
		unsigned long step = 1;

		if (!page)
			step = BITS_PER_PAGE - pfn % BITS_PER_PAGE;
		else if (!(pfn % 8) && !page[(pfn % BITS_PER_PAGE) / 8])
			step = 8;
		else if (test_bit(pfn))
			pfns[n++] = pvk_pfn(pfn);
		/* A skip ends at the frontier: seen counts only pfns below
		 * it, or the scan would stop short of those before next_scan. */
		if (step > frontier - pfn)
			step = frontier - pfn;
		seen += step;
		pfn += step;
		if (pfn >= frontier)
			pfn = 0;
	}
	return n;
}

/* Populates up to want (<= CHUNK) pfns: ballooned ones first, then new
 * ones at the frontier. False when stuck. */
static bool grow(unsigned long want)
{
	pvk_pfn_t pfns[CHUNK];
	unsigned long n = find_ballooned(pfns, want);
	bool fresh = !n;
	long done;
	int rc;

	if (fresh) {
		/* Beyond anything the domain held: new pfns, p2m first. */
		rc = pvk_p2m_extend(frontier + want);
		if (rc) {
			pvk_warn("balloon: cannot extend the p2m past %lu pfns: %d; staying at %lu pages (target %lu)",
				 frontier, rc, pvk_balloon_pages(), target);
			return false;
		}
		for (n = 0; n < want; n++)
			pfns[n] = pvk_pfn(frontier + n);
	} else {
		next_scan = pvk_pfn_raw(pfns[n - 1]) + 1;
	}
	done = pvk_balloon_populate(pfns, n);
	if (done > 0) {
		if (fresh) {
			frontier += (unsigned long)done;
		} else {
			for (long i = 0; i < done; i++)
				set_bit_to(pvk_pfn_raw(pfns[i]), false);
			nr_ballooned -= (unsigned long)done;
		}
		host->give_frames(pfns, (unsigned long)done);
	}
	if (done != (long)n)
		pvk_warn("balloon: Xen gave %ld of %lu frames; staying at %lu pages (target %lu, Xen's maximum %ld)",
			 done, n, pvk_balloon_pages(), target, pvk_balloon_maximum_pages());
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
	bool more;

	if (!host)
		return false;
	/* Another CPU is at it; it re-checks the target after it stops. */
	if (__atomic_exchange_n(&working, 1, __ATOMIC_ACQUIRE))
		return false;
	if (!read_target()) {
		__atomic_store_n(&working, 0, __ATOMIC_SEQ_CST);
		return true;
	}
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
	more = !stuck && cur != target;
	/* Let go first, then look: a kick that found us working is seen. */
	__atomic_store_n(&working, 0, __ATOMIC_SEQ_CST);
	return more || PVK_READ_ONCE(target_stale);
}

bool pvk_balloon_settled(void)
{
	return host && reads && !PVK_READ_ONCE(target_stale) &&
	       (stuck || pvk_balloon_pages() == target);
}

/* The host's background work (port.h) runs the driver unless the host
 * kicks its own thread. */
static bool balloon_work_fn(struct pvk_work *work)
{
	(void)work;
	return pvk_balloon_work();
}

static struct pvk_work balloon_work = { .fn = balloon_work_fn };

/* Event context, watch lock held: only record and kick. */
static void target_changed(struct pvk_xs_watch *w)
{
	(void)w;
	PVK_WRITE_ONCE(target_stale, true);
	if (host->kick)
		host->kick();
	else
		pvk_port_schedule_work(&balloon_work);
}

int pvk_balloon_driver_start(const struct pvk_balloon_host *h)
{
	int rc;

	if (host)
		return -PVK_XEN_EEXIST;
	if (!h || !h->take_frames || !h->give_frames)
		return -PVK_XEN_EINVAL;
	frontier = pvk_p2m_nr_pages();
	target = frontier;
	host = h;
	target_watch.path = "memory/target";
	target_watch.notify = target_changed;
	rc = pvk_xs_watch(&target_watch);
	if (rc) {
		pvk_err("balloon: cannot watch memory/target: %d", rc);
		host = NULL;
	}
	return rc;
}
