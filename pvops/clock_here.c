/*
 * pvops/clock_here.c - pvk_clock_ns_here() (pvkit/time.h): the calling
 * CPU's own clock in the running world, without the cross-CPU maximum, for
 * diagnostics and tests that compare CPUs' clocks (the maximum would hide
 * a CPU running ahead). Not a pvops member: nothing on a hot path needs it.
 */
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "pvops_internal.h"

uint64_t pvk_clock_ns_here(void)
{
#ifdef CONFIG_PVK_XEN_PV
	if (pvk_pvops.time.clock_ns == pvk_time_now_ns)
		return pvk_time_now_ns_here();
#endif
	if (pvk_pvops.time.clock_ns == pvk_native_clock_ns)
		return pvk_native_clock_ns_here();
	return pvk_clock_ns();
}
