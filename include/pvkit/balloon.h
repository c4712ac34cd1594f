/*
 * pvkit/balloon.h - giving memory back to Xen and taking it again.
 *
 * Ballooning changes which pseudo-physical frames have a machine frame
 * behind them. Releasing hands the machine frames to Xen
 * (XENMEM_decrease_reservation) and marks the pfns empty in the p2m;
 * populating asks Xen for new machine frames for empty pfns
 * (XENMEM_populate_physmap) and records them in the p2m and in Xen's M2P.
 * The kernel chooses the pages: released frames must have no mapping left
 * (Xen would keep a mapped frame alive) and must not be touched until
 * populated again.
 */
#ifndef PVKIT_BALLOON_H
#define PVKIT_BALLOON_H

#include <pvkit/frame.h>

struct pvk_balloon_stats {
	uint64_t released;	/* frames given back to Xen */
	uint64_t populated;	/* frames received from Xen */
};

/* Release n frames (one page each). Returns how many were released, in
 * order; fewer than n, with the error logged, when Xen stopped early (the
 * rest keep their frames). Negative on an error before any. */
long pvk_balloon_release(const pvk_pfn_t *pfns, unsigned long n);

/* Give n empty pfns a frame each. Returns how many were populated, in
 * order (Xen may run out: the domain's maximum, or host memory). */
long pvk_balloon_populate(const pvk_pfn_t *pfns, unsigned long n);

/* Pages the domain holds now (XENMEM_current_reservation). */
long pvk_balloon_current_pages(void);

/* The most pages Xen lets the domain hold now (XENMEM_maximum_reservation).
 * Not xl's maxmem: xl keeps Xen's maximum at the target + 1 MiB and
 * raises it with each `xl mem-set`; maxmem (KiB) is memory/static-max in
 * the domain's xenstore home. */
long pvk_balloon_maximum_pages(void);

void pvk_balloon_stats_snapshot(struct pvk_balloon_stats *out);

/* Host calls and kit chunks handle at most this many frames at a time. */
#define PVK_BALLOON_CHUNK	64

/* ---- The balloon driver: following memory/target (CONFIG_PVK_XENBUS) -- */

/*
 * What the kernel lends the driver. take_frames: up to n frames it can
 * spare now - no mapping left (Xen keeps a mapped frame alive), no user;
 * returns how many it wrote to pfns, 0 when it has none. give_frames: n
 * frames it gets back, populated again or not taken by Xen; it maps and
 * reuses them. When the target is above the boot size (xl's maxmem >
 * memory), give_frames also brings pfns the kernel never had: from
 * start_info.nr_pages up, each run in increasing order, never mapped
 * before (the kernel needs page tables for them: pvk_mmu_map_range). Both
 * in thread context, n <= PVK_BALLOON_CHUNK. kick: NULL, and the kit
 * runs pvk_balloon_work() as background work (pvk_port_schedule_work(),
 * port.h), again while it returns true; or, for a host with a thread of
 * its own for it: in event context, the target changed: arrange for
 * pvk_balloon_work() to run soon in thread context; must not sleep.
 */
struct pvk_balloon_host {
	unsigned long (*take_frames)(pvk_pfn_t *pfns, unsigned long n);
	void (*give_frames)(const pvk_pfn_t *pfns, unsigned long n);
	void (*kick)(void);
};

/*
 * Starts the driver, once, with xenstore up: a watch on memory/target
 * (KiB, written by the toolstack, e.g. `xl mem-set`) whose event only
 * kicks the host. The domain starts at the p2m's size. Memory it needs
 * (porters): no heap; a 32 KiB index in .bss; then, from
 * pvk_port_alloc_page, one bitmap page per 128 MiB of pfns that have had
 * a frame ballooned out, and as the domain grows past its boot size one
 * p2m page per 2 MiB of new memory (pvkit/p2m.h). Any domain size up to
 * PVK_P2M_MAX_PFNS (512 GiB).
 */
int pvk_balloon_driver_start(const struct pvk_balloon_host *host);

/*
 * The driver's work, in thread context: reads memory/target if it
 * changed, then releases frames the host gives or populates frames
 * released earlier, at most PVK_BALLOON_WORK_PAGES per call. Returns true
 * when there is more to do (call again), false when the domain holds the
 * target or cannot get nearer (logged) until the target changes again.
 */
#define PVK_BALLOON_WORK_PAGES	1024
bool pvk_balloon_work(void);

/* True once the driver has read memory/target since the last watch event
 * and holds it (or cannot get nearer): nothing for pvk_balloon_work() to
 * do until the target changes. After start, waiting for this consumes the
 * event Xen fires at registration, so that the driver's first xenstore
 * read does not happen later at a random point. */
bool pvk_balloon_settled(void);

/* Pages the domain holds by the driver's count (the pfns it ever held,
 * start_info.nr_pages and those it grew into, minus those ballooned out),
 * and the target it follows, in pages. */
unsigned long pvk_balloon_pages(void);
unsigned long pvk_balloon_target_pages(void);

/* Pages the driver took from pvk_port_alloc_page for its bitmap (kept for
 * the life of the guest). */
unsigned long pvk_balloon_bitmap_pages(void);

#endif /* PVKIT_BALLOON_H */
