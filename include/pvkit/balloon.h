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

void pvk_balloon_stats_snapshot(struct pvk_balloon_stats *out);

/* ---- Following the toolstack's target (needs CONFIG_PVK_XENBUS) ------ */

/* What the kernel lends the balloon driver: frames it can spare (no
 * mapping, no user; false when it has none left) and frames it gets back
 * once they have memory behind them again. Thread context. */
struct pvk_balloon_host {
	bool (*take_frame)(pvk_pfn_t *pfn);
	void (*give_frame)(pvk_pfn_t pfn);
};

/*
 * Starts following memory/target (KiB, written by the toolstack, e.g.
 * `xl mem-set`): watch callbacks (pvk_xs_run_watches) release frames the
 * host gives until the domain holds the target, or populate the frames
 * released earlier to grow back. The domain starts at the p2m's size.
 */
int pvk_balloon_target_init(const struct pvk_balloon_host *host);

/* Moves toward target pages now; returns the pages the domain then holds
 * by the kit's count (nr_pages - ballooned). Logs when it cannot get there. */
unsigned long pvk_balloon_set_target(unsigned long target_pages);
unsigned long pvk_balloon_pages(void);

#endif /* PVKIT_BALLOON_H */
