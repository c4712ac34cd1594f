/*
 * time/cpu.c - time's part in starting and stopping CPUs (pvkit/smp.h):
 * each CPU's one-shot and VIRQ_TIMER made ready before it runs, its local
 * timer set up on it, its deadlines dropped when it goes down.
 *
 *   pvk_time_cpu_prepare(cpu)  on a running CPU, before cpu starts:
 *                              X: cpu's periodic timer stopped, its
 *                              VIRQ_TIMER bound (if the host initialised
 *                              its timer; else pvk_time_timer_init()
 *                              binds it later); cpu's deadlines cleared;
 *                              the native clock's maximum seeded.
 *   pvk_time_cpu_up_here()     on the new CPU, irqs off: N: its local
 *                              APIC timer with the boot CPU's vectors and
 *                              calibration (the hardware's cpu_up_here);
 *                              X: nothing more.
 *   pvk_time_cpu_dead(cpu)     cpu going down: its deadlines dropped and,
 *                              called on cpu itself, its timer stopped.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "timer_internal.h"

bool pvk_time_many_cpus;
uint64_t pvk_time_prepared_cpus;

int pvk_time_cpu_prepare(unsigned int cpu)
{
	if (cpu == 0 || cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	/* From now on more than one CPU may read the clock. */
	PVK_WRITE_ONCE(pvk_time_many_cpus, true);
	/* Seed the native clock's maximum with this CPU's value: every value
	 * returned so far (none through the maximum while one CPU ran) is at
	 * most it, so a new CPU's first read can never go below them. */
	(void)pvk_clock_ns();
	pvk_time_timer_cpu_drop(cpu);	/* nothing left from a former life */
	__atomic_fetch_or(&pvk_time_prepared_cpus, 1ULL << cpu, __ATOMIC_SEQ_CST);
#ifdef CONFIG_PVK_XEN_PV
	return pvk_time_xen_cpu_prepare(cpu, pvk_time_timer_host_ready());
#else
	return 0;
#endif
}

int pvk_time_cpu_up_here(void)
{
	const struct pvk_time_hw *h = pvk_time_timer_hw();

	if (h && h->cpu_up_here)
		return h->cpu_up_here();
	return 0;
}

void pvk_time_cpu_dead(unsigned int cpu)
{
	if (cpu < PVK_MAX_CPUS)
		__atomic_fetch_and(&pvk_time_prepared_cpus, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
	pvk_time_timer_cpu_drop(cpu);
}
