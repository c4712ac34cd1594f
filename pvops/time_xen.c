/*
 * pvops/time_xen.c - the time ops on Xen: time/ (pvclock from vcpu_info,
 * VCPUOP_set_singleshot_timer on VIRQ_TIMER, shared_info's wall clock).
 */
#include <pvkit/time.h>

#include "pvops_internal.h"

const struct pvk_pvops_time pvk_xen_time_ops = {
	.clock_ns = pvk_time_now_ns,
	.timer_set = pvk_time_timer_set,
	.timer_stop = pvk_time_timer_stop,
	.wallclock = pvk_time_wallclock,
};
