/*
 * mm/p2m.c - the p2m (start_info's mfn_list) and lookups in Xen's M2P.
 *
 * The p2m is an array of nr_pages machine frame numbers indexed by pfn,
 * built by Xen's domain builder in the start-of-day area and writable by
 * us. The M2P is Xen's read-only array indexed by mfn. A frame is ours
 * only when both agree: the M2P alone may hold stale or foreign entries.
 */
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/xen/arch-x86.h>

#include "p2m_internal.h"

static pvk_xen_pfn_t *p2m;
static unsigned long p2m_nr;

void pvk_p2m_init(const struct pvk_start_info *si)
{
	if (!si->mfn_list || !si->nr_pages)
		pvk_port_panic("pvk_p2m_init: start_info has no mfn_list");
	p2m = (pvk_xen_pfn_t *)si->mfn_list;
	p2m_nr = si->nr_pages;
}

unsigned long pvk_p2m_nr_pages(void)
{
	return p2m_nr;
}

pvk_mfn_t pvk_pfn_to_mfn(pvk_pfn_t pfn)
{
	if (pvk_pfn_raw(pfn) >= p2m_nr)
		return pvk_mfn(PVK_INVALID_RAW_FRAME);
	return pvk_mfn(PVK_READ_ONCE(p2m[pvk_pfn_raw(pfn)]));
}

pvk_pfn_t pvk_mfn_to_pfn(pvk_mfn_t mfn)
{
	const unsigned long *m2p = (const unsigned long *)PVK_MACH2PHYS_VIRT_START;
	uint64_t raw;

	if (pvk_mfn_raw(mfn) >= PVK_MACH2PHYS_NR_ENTRIES)
		return pvk_pfn(PVK_INVALID_RAW_FRAME);
	raw = PVK_READ_ONCE(m2p[pvk_mfn_raw(mfn)]);
	if (raw >= p2m_nr || !pvk_mfn_eq(pvk_pfn_to_mfn(pvk_pfn(raw)), mfn))
		return pvk_pfn(PVK_INVALID_RAW_FRAME);
	return pvk_pfn(raw);
}

void pvk_p2m_set(pvk_pfn_t pfn, pvk_mfn_t mfn)
{
	if (pvk_pfn_raw(pfn) >= p2m_nr) {
		pvk_err("p2m: pfn 0x%llx beyond the p2m (%lu pages)",
			(unsigned long long)pvk_pfn_raw(pfn), p2m_nr);
		pvk_port_panic("pvk_p2m_set: pfn out of range");
	}
	PVK_WRITE_ONCE(p2m[pvk_pfn_raw(pfn)], pvk_mfn_raw(mfn));
}

const pvk_xen_pfn_t *pvk_p2m_array(void)
{
	return p2m;
}
