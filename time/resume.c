/*
 * time/resume.c - the clock and the one-shot timer after a suspend
 * (suspend/ calls pvk_time_resume() on CPU 0, upcalls masked).
 *
 * Either way the clock is re-based first (clock.c), so that nothing the
 * timer code compares with it sees time go back. In a new domain the
 * VIRQ_TIMER port is gone and Xen runs its default periodic timer again:
 * timer.c binds and stops as at boot, and the earliest deadline the CPU
 * had is given to Xen again, since the new domain has no singleshot timer
 * armed. Cancelled, Xen kept the timer and the port: nothing more.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>

#include "timer_internal.h"

int pvk_time_resume(bool new_domain)
{
	uint64_t rebase = pvk_time_rebase();
	uint64_t raised = pvk_time_rebase_raised();
	int rc;

	/* Only news: a rebase of an earlier resume stays (it never goes
	 * back) and would be reported again at every later one. */
	if (raised)
		pvk_info("time: Xen's clock is behind ours after the resume: ours now runs %llu ns ahead of it (%llu ns more)",
			 (unsigned long long)rebase, (unsigned long long)raised);
	if (!new_domain)
		return 0;
	rc = pvk_time_xen_timer_resume();
	if (rc) {
		pvk_err("time: resume: VIRQ_TIMER not bound again: %d", rc);
		return rc;
	}
	rc = pvk_time_timer_reprogram();
	if (rc)
		pvk_err("time: resume: the one-shot not armed again: %d", rc);
	return rc;
}
