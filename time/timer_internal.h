/*
 * time/timer_internal.h - between oneshot.c (the owners) and timer.c
 * (Xen's singleshot timer), and clock.c's note for resume.c. Not part of
 * the kit's API.
 */
#ifndef PVK_TIME_TIMER_INTERNAL_H
#define PVK_TIME_TIMER_INTERNAL_H

/* Stops Xen's periodic timer, binds VIRQ_TIMER and attaches Xen's
 * singleshot timer as the one-shot hardware; -PVK_XEN_ENODEV (logged)
 * when there is no Xen time (pvk_time_init() not called: a native boot
 * whose host did not call pvk_native_timer_init()). */
int pvk_time_xen_timer_attach(void);

/* Xen, before cpu (not 0) first runs or runs again: its periodic timer
 * stopped, its VIRQ_TIMER bound (once) when bind; 0 and nothing done when
 * not on Xen. */
int pvk_time_xen_cpu_prepare(unsigned int cpu, bool bind);

/* oneshot.c: the attached hardware, NULL before. */
const struct pvk_time_hw *pvk_time_timer_hw(void);
/* oneshot.c: whether the host called pvk_time_timer_init(). */
bool pvk_time_timer_host_ready(void);
/* oneshot.c: cpu's deadlines dropped (its hardware stopped when cpu is the
 * caller's). */
void pvk_time_timer_cpu_drop(unsigned int cpu);
/* cpu.c: bit cpu set from pvk_time_cpu_prepare(cpu) until
 * pvk_time_cpu_dead(cpu): the CPUs that run or are about to (not 0). The
 * Xen timer's attach binds their VIRQ_TIMER when the host initialises its
 * timer after they were prepared. */
extern uint64_t pvk_time_prepared_cpus;

/* timer.c, after a resume in a new domain: vCPU 0's VIRQ_TIMER bound
 * again, the others' forgotten. */
int pvk_time_xen_timer_resume(void);
/* oneshot.c: the calling CPU's hardware armed again for its earliest
 * deadline (after a resume). */
int pvk_time_timer_reprogram(void);

/* clock.c: how much the last resume raised the rebase (0: Xen's clock
 * was not behind; review s10-16 #14: a rebase of an earlier resume is no
 * news). */
uint64_t pvk_time_rebase_raised(void);

#endif /* PVK_TIME_TIMER_INTERNAL_H */
