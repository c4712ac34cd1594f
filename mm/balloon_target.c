/*
 * mm/balloon_target.c - the balloon driver: follow memory/target.
 *
 * The toolstack writes the domain's memory target (KiB) to memory/target
 * in our xenstore home. Going down, the kernel gives frames (host ops) and
 * the kit releases them; going up, the kit populates frames it released
 * before - only those: the other pfns were never ours to fill - and hands
 * them back to the kernel. A bitmap over the p2m remembers which pfns are
 * ballooned out. Works in chunks so a large change is a few hypercalls.
 */
#include <pvkit/balloon.h>
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#define CHUNK 64

static const struct pvk_balloon_host *host;
static uint8_t *ballooned;		/* bit per pfn */
static unsigned long nr_ballooned, nr_pages;
static unsigned long next_scan;		/* where populate looks first */
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

/* Releases up to want frames from the host; false when stuck. */
static bool shrink(unsigned long want)
{
	pvk_pfn_t pfns[CHUNK];
	unsigned long n = 0;
	long done;

	while (n < want && n < CHUNK && host->take_frame(&pfns[n]))
		n++;
	if (!n) {
		pvk_warn("balloon: the kernel has no frame to spare; staying at %lu pages",
			 pvk_balloon_pages());
		return false;
	}
	done = pvk_balloon_release(pfns, n);
	for (long i = 0; i < done; i++)
		set_bit_to(pvk_pfn_raw(pfns[i]), true);
	nr_ballooned += done > 0 ? (unsigned long)done : 0;
	for (unsigned long i = done > 0 ? (unsigned long)done : 0; i < n; i++)
		host->give_frame(pfns[i]);	/* Xen did not take them */
	return done == (long)n;
}

/* Populates up to want ballooned pfns; false when stuck. */
static bool grow(unsigned long want)
{
	pvk_pfn_t pfns[CHUNK];
	unsigned long n = 0;
	long done;

	for (unsigned long k = 0; k < nr_pages && n < want && n < CHUNK; k++) {
		unsigned long pfn = (next_scan + k) % nr_pages;

		if (test_bit(pfn))
			pfns[n++] = pvk_pfn(pfn);
	}
	if (!n)
		return false;
	next_scan = pvk_pfn_raw(pfns[n - 1]) + 1;
	done = pvk_balloon_populate(pfns, n);
	for (long i = 0; i < done; i++) {
		set_bit_to(pvk_pfn_raw(pfns[i]), false);
		host->give_frame(pfns[i]);
	}
	nr_ballooned -= done > 0 ? (unsigned long)done : 0;
	if (done != (long)n)
		pvk_warn("balloon: Xen gave %ld of %lu frames; staying at %lu pages",
			 done, n, pvk_balloon_pages());
	return done == (long)n;
}

unsigned long pvk_balloon_set_target(unsigned long target)
{
	unsigned long cur = pvk_balloon_pages();

	while (cur > target && shrink(cur - target))
		cur = pvk_balloon_pages();
	while (cur < target && grow(target - cur))
		cur = pvk_balloon_pages();
	if (cur < target && !nr_ballooned)
		pvk_warn("balloon: target %lu pages is above the %lu the domain started with",
			 target, nr_pages);
	return pvk_balloon_pages();
}

static void target_changed(struct pvk_xs_watch *w, const char *path)
{
	unsigned long kib;
	int rc;

	(void)w;
	(void)path;
	rc = pvk_xs_read_ulong(PVK_XBT_NIL, "memory/target", &kib);
	if (rc) {
		pvk_warn("balloon: cannot read memory/target: %d", rc);
		return;
	}
	pvk_info("balloon: target %lu KiB, holding %lu pages", kib, pvk_balloon_pages());
	pvk_balloon_set_target(kib / (PVK_PAGE_SIZE / 1024));
	pvk_info("balloon: now holding %lu pages", pvk_balloon_pages());
}

int pvk_balloon_target_init(const struct pvk_balloon_host *h)
{
	if (host)
		return -PVK_XEN_EEXIST;
	nr_pages = pvk_p2m_nr_pages();
	ballooned = pvk_port_malloc((nr_pages + 7) / 8);
	if (!ballooned)
		return -PVK_XEN_ENOMEM;
	for (unsigned long i = 0; i < (nr_pages + 7) / 8; i++)
		ballooned[i] = 0;
	host = h;
	target_watch.path = "memory/target";
	target_watch.cb = target_changed;
	return pvk_xs_watch(&target_watch);
}
