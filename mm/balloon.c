/*
 * mm/balloon.c - decrease_reservation / populate_physmap with p2m updates.
 *
 * Both work in chunks of PVK_BALLOON_CHUNK frames: the frame list handed
 * to Xen lives on the stack. For a PV guest Xen's extent lists hold
 * machine frames on release and pseudo-physical frames on populate (which
 * Xen overwrites with the machine frames it chose).
 *
 * Order matters on release: the p2m entry is cleared before the frame goes
 * back, so nothing translates a pfn to a machine frame we no longer own;
 * frames Xen did not take get their entry back. On populate the p2m is
 * written after Xen answered, together with the M2P update Xen needs to
 * know which pfn the new frame backs (queued, one batch per chunk).
 *
 * Several CPUs: callers on several CPUs at once are safe: each call works
 * on its own pfns (the caller's), its frame list is on its stack, the p2m
 * entries are its pfns' own, the M2P updates go through the calling CPU's
 * queue, and the counters are atomic. The host unmapped the frames it
 * releases, but another CPU may still hold the old translation in its TLB
 * and write through it into a frame that is Xen's (or another domain's)
 * by then: with other CPUs online, every online CPU is flushed before the
 * frames go (one flush per chunk; none with one CPU, as before).
 */
#include <pvkit/balloon.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/memory.h>

#include "mmu_internal.h"

#define CHUNK PVK_BALLOON_CHUNK

static struct pvk_balloon_stats stats;

static long reservation_op(unsigned int cmd, pvk_xen_pfn_t *frames, unsigned long n)
{
	struct pvk_xen_memory_reservation r = {
		.extent_start = frames,
		.nr_extents = n,
		.extent_order = 0,
		.domid = PVK_DOMID_SELF,
	};

	return pvk_hyp_memory_op(cmd, &r);
}

static long release_chunk(const pvk_pfn_t *pfns, unsigned long n)
{
	pvk_xen_pfn_t frames[CHUNK];
	long done;

	for (unsigned long i = 0; i < n; i++) {
		pvk_mfn_t mfn = pvk_pfn_to_mfn(pfns[i]);

		if (pvk_mfn_raw(mfn) == PVK_INVALID_RAW_FRAME) {
			pvk_err("balloon: pfn 0x%llx has no frame to release",
				(unsigned long long)pvk_pfn_raw(pfns[i]));
			for (unsigned long j = 0; j < i; j++)
				pvk_p2m_set(pfns[j], pvk_mfn(frames[j]));
			return -PVK_XEN_EINVAL;
		}
		frames[i] = pvk_mfn_raw(mfn);
		pvk_p2m_set(pfns[i], pvk_mfn(PVK_INVALID_RAW_FRAME));
	}
	/* No CPU may still translate to a frame we give away. */
	done = pvk_mmu_shootdown_others();
	if (done) {
		pvk_err("balloon: no TLB flush before releasing %lu frames (%ld): kept", n, done);
		for (unsigned long i = 0; i < n; i++)
			pvk_p2m_set(pfns[i], pvk_mfn(frames[i]));
		return done;
	}
	done = reservation_op(PVK_XENMEM_decrease_reservation, frames, n);
	if (done < 0 || (unsigned long)done != n) {
		pvk_err("balloon: decrease_reservation released %ld of %lu frames", done, n);
		for (unsigned long i = done < 0 ? 0 : (unsigned long)done; i < n; i++)
			pvk_p2m_set(pfns[i], pvk_mfn(frames[i]));
	}
	if (done > 0)
		__atomic_fetch_add(&stats.released, (uint64_t)done, __ATOMIC_RELAXED);
	return done;
}

static long populate_chunk(const pvk_pfn_t *pfns, unsigned long n)
{
	pvk_xen_pfn_t frames[CHUNK];
	bool lazy = pvk_mmu_lazy_active();
	long done;
	int rc = 0;

	for (unsigned long i = 0; i < n; i++) {
		if (pvk_mfn_raw(pvk_pfn_to_mfn(pfns[i])) != PVK_INVALID_RAW_FRAME) {
			pvk_err("balloon: pfn 0x%llx is already populated",
				(unsigned long long)pvk_pfn_raw(pfns[i]));
			return -PVK_XEN_EEXIST;
		}
		frames[i] = pvk_pfn_raw(pfns[i]);
	}
	done = reservation_op(PVK_XENMEM_populate_physmap, frames, n);
	if (done < 0 || (unsigned long)done != n)
		pvk_err("balloon: populate_physmap gave %ld of %lu frames", done, n);
	if (done <= 0)
		return done;
	if (!lazy)
		pvk_mmu_lazy_enter();
	for (long i = 0; i < done && !rc; i++) {
		pvk_p2m_set(pfns[i], pvk_mfn(frames[i]));
		rc = pvk_mmu_set_m2p(pvk_mfn(frames[i]), pfns[i]);
	}
	if (!lazy) {
		int rc2 = pvk_mmu_lazy_leave();

		if (!rc)
			rc = rc2;
	}
	__atomic_fetch_add(&stats.populated, (uint64_t)done, __ATOMIC_RELAXED);
	return rc ? rc : done;
}

/* Runs fn over pfns CHUNK at a time; stops at the first short chunk. */
static long in_chunks(long (*fn)(const pvk_pfn_t *, unsigned long),
		      const pvk_pfn_t *pfns, unsigned long n)
{
	unsigned long total = 0;

	while (total < n) {
		unsigned long len = n - total < CHUNK ? n - total : CHUNK;
		long done = fn(pfns + total, len);

		if (done < 0)
			return total ? (long)total : done;
		total += (unsigned long)done;
		if ((unsigned long)done != len)
			break;
	}
	return (long)total;
}

long pvk_balloon_release(const pvk_pfn_t *pfns, unsigned long n)
{
	return in_chunks(release_chunk, pfns, n);
}

long pvk_balloon_populate(const pvk_pfn_t *pfns, unsigned long n)
{
	return in_chunks(populate_chunk, pfns, n);
}

long pvk_balloon_current_pages(void)
{
	pvk_domid_t self = PVK_DOMID_SELF;

	return pvk_hyp_memory_op(PVK_XENMEM_current_reservation, &self);
}

long pvk_balloon_maximum_pages(void)
{
	pvk_domid_t self = PVK_DOMID_SELF;

	return pvk_hyp_memory_op(PVK_XENMEM_maximum_reservation, &self);
}

void pvk_balloon_stats_snapshot(struct pvk_balloon_stats *out)
{
	out->released = __atomic_load_n(&stats.released, __ATOMIC_RELAXED);
	out->populated = __atomic_load_n(&stats.populated, __ATOMIC_RELAXED);
}
