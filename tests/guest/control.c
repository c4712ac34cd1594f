/*
 * tests/guest/control.c - the guest's side of the kit's domain control.
 *
 * The handler only records what the toolstack asked: a shutdown request
 * is carried out after the tests, by guest_control_shutdown_if_requested()
 * (boot.c), so the closing "N passed, M failed" line is printed first and
 * the harness sees both it and xl's shutdown reason. Sysrq 'd' (or any
 * key) dumps the kit's event and xenstore counters.
 *
 * Suspend: the guest registers with the kit (pvkit/suspend.h), so `xl
 * save` is answered by the kit from the control watch. Its only thread is
 * the one that runs the watch callback; its before callback takes every
 * other CPU offline through the kit (guest_smp_cpu_down(): the CPU's
 * queued work failed, pvk_smp_cpu_die_here(), waited down), as the kit
 * suspends with CPU 0 alone, and its after callback starts them again
 * (in a new domain the kit initialises them from scratch) and counts the
 * outcomes for cases/suspend.c and cases/smp_suspend.c.
 */
#include <pvkit/control.h>
#include <pvkit/events.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xenstore.h>

#include "guest.h"

static int requested = -1;	/* enum pvk_control_request */
static char last_sysrq;

#ifdef CONFIG_PVK_XENBUS

static bool control_up;
static unsigned int suspends_done;
static int last_suspend_result = -1;
/* The kit's clock as before() and after() began (make bench's suspend
 * rows: the host's gap, and the reconnect times counted from after()). */
static uint64_t before_ns, after_ns;
static struct pvk_cpumask suspend_downed;	/* before() took them down */
static unsigned int suspend_cpus_not_back;	/* after() could not start */

/* Starts again what before() took down; the failures are counted. */
static unsigned int cpus_up_again(void)
{
	unsigned int cpu, failed = 0;

	pvk_for_each_cpu(cpu, &suspend_downed) {
		int rc = guest_smp_cpu_up(cpu);

		if (rc) {
			guest_printf("suspend: CPU %u not started again: %d\n", cpu, rc);
			failed++;
		}
	}
	suspend_downed = PVK_CPUMASK_NONE;
	return failed;
}

static int on_suspend_before(void *arg)
{
	struct pvk_cpumask online;
	unsigned int cpu;

	(void)arg;
	PVK_WRITE_ONCE(before_ns, pvk_time_now_ns());
	suspend_downed = PVK_CPUMASK_NONE;
	pvk_smp_online_mask(&online);
	pvk_cpumask_clear(&online, 0);
	pvk_for_each_cpu(cpu, &online) {
		int rc = guest_smp_cpu_down(cpu);

		if (rc) {
			/* Refused: what was taken down comes back (the kit
			 * calls no after() for the host's own refusal). */
			guest_printf("suspend: CPU %u did not go down: %d; refusing\n", cpu, rc);
			/* Already on its way down (too late to take the
			 * request back): started again with the others. */
			if (!pvk_smp_cpu_online(cpu))
				pvk_cpumask_set(&suspend_downed, cpu);
			cpus_up_again();
			return rc;
		}
		pvk_cpumask_set(&suspend_downed, cpu);
	}
	guest_printf("suspend: host agrees, %u other CPU%s taken offline\n",
		     pvk_cpumask_weight(&suspend_downed),
		     pvk_cpumask_weight(&suspend_downed) == 1 ? "" : "s");
	return 0;
}

static void on_suspend_after(enum pvk_suspend_result result, void *arg)
{
	unsigned int n = pvk_cpumask_weight(&suspend_downed), failed;

	(void)arg;
	PVK_WRITE_ONCE(after_ns, pvk_time_now_ns());
	failed = cpus_up_again();
	if (n)
		guest_printf("suspend: host started %u of %u CPUs again\n", n - failed, n);
	PVK_WRITE_ONCE(suspend_cpus_not_back, suspend_cpus_not_back + failed);
	PVK_WRITE_ONCE(last_suspend_result, (int)result);
	PVK_WRITE_ONCE(suspends_done, suspends_done + 1);
}

void guest_last_suspend_times(uint64_t *before, uint64_t *after)
{
	*before = PVK_READ_ONCE(before_ns);
	*after = PVK_READ_ONCE(after_ns);
}

unsigned int guest_suspend_cpus_not_back(void)
{
	return PVK_READ_ONCE(suspend_cpus_not_back);
}

unsigned int guest_suspends_done(void)
{
	return PVK_READ_ONCE(suspends_done);
}

int guest_last_suspend_result(void)
{
	return PVK_READ_ONCE(last_suspend_result);
}

static void dump_state(void)
{
	struct pvk_evtchn_stats e;
	struct pvk_xs_stats x;

	pvk_evtchn_get_stats(&e);
	pvk_xs_get_stats(&x);
	guest_printf("sysrq: evtchn upcalls %llu dispatched %llu spurious %llu floods %llu unhandled %llu\n",
		     (unsigned long long)e.upcalls, (unsigned long long)e.dispatched,
		     (unsigned long long)e.spurious, (unsigned long long)e.floods,
		     (unsigned long long)e.unhandled);
	guest_printf("sysrq: xenstore requests %llu replies %llu watch events %llu\n",
		     (unsigned long long)x.requests, (unsigned long long)x.replies,
		     (unsigned long long)x.watch_events);
}

static void on_control(enum pvk_control_request req, char key, void *arg)
{
	(void)arg;
	if (req == PVK_CONTROL_SYSRQ) {
		last_sysrq = key;
		guest_printf("sysrq: key '%c': dumping state\n", key);
		dump_state();
		return;
	}
	if (req == PVK_CONTROL_SUSPEND) {
		/* Only without a registration (pvk_suspend_init() failed). */
		guest_printf("control: suspend refused (not registered)\n");
		return;
	}
	requested = (int)req;
}

void guest_control_enable(void)
{
	guest_events_enable();
	if (control_up)
		return;
	if (pvk_control_init(on_control, NULL))
		pvk_port_panic("cannot start domain control");
	{
		/* The start_info page is ours and writable; the kit keeps it
		 * const elsewhere. The suspend sequence writes its ring frames. */
		struct pvk_suspend_host host = {
			.start_info = (struct pvk_start_info *)(uintptr_t)guest_start_info,
			.before = on_suspend_before,
			.after = on_suspend_after,
		};

		if (pvk_suspend_init(&host))
			pvk_port_panic("cannot register for suspend");
	}
	control_up = true;
}

#else /* !CONFIG_PVK_XENBUS */

void guest_control_enable(void)
{
	pvk_port_panic("domain control needs CONFIG_PVK_XENBUS");
}

#endif /* CONFIG_PVK_XENBUS */

int guest_control_requested(void)
{
	return requested;
}

char guest_control_last_sysrq(void)
{
	return last_sysrq;
}

void guest_control_shutdown_if_requested(void)
{
	int reason;

	if (requested < 0)
		return;
#ifdef CONFIG_PVK_XENBUS
	reason = pvk_control_shutdown_reason((enum pvk_control_request)requested);
#else
	reason = -1;
#endif
	if (reason < 0)
		return;
	guest_printf("control: shutting down with reason %d as requested\n", reason);
	guest_shutdown((unsigned int)reason);
}
