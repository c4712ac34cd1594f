/*
 * smp/smp_internal.h - what the smp/ files share with each other and with
 * the world that drives the CPUs (pvops/smp_xen.c, the native smp code).
 * Not part of the kit's API.
 */
#ifndef PVK_SMP_INTERNAL_H
#define PVK_SMP_INTERNAL_H

#include <pvkit/smp.h>

/*
 * The world-dependent steps around the pvops smp ops. The world's
 * pvk_pvops_select_*() sets pvk_smp_world; a NULL hook is skipped, and
 * without a world at all the kit has one CPU.
 */
struct pvk_smp_world {
	/* Boot CPU, from pvk_smp_init(): CPU 0's per-CPU state; returns the
	 * number of startable CPUs (1 + the highest id, capped by the
	 * caller at PVK_MAX_CPUS) in *nr, or a negative errno. */
	int (*init)(unsigned int *nr);
	/* Before each start of cpu (not yet running): its per-CPU state. */
	int (*prepare)(unsigned int cpu);
	/* On the new CPU, first thing (irqs off). */
	int (*up_here)(unsigned int cpu);
	/* On the dying CPU, after it is marked offline, before stop_self. */
	void (*dead)(unsigned int cpu);
	/* From another CPU: has cpu stopped? NULL: trust the flag the dying
	 * CPU sets just before stop_self. */
	bool (*is_down)(unsigned int cpu);
	/* Polled waits (start, calls, wait_down) call this between looks:
	 * lets a vCPU we wait for have the physical CPU. NULL: pause. */
	void (*relax)(void);
	/* After a resume in a new domain (pvk_smp_suspend_end()), for each
	 * CPU but 0, started or not (a first prepare may have failed
	 * part-way): the new domain does not know it (uninitialised, no
	 * vcpu_info, no ports): forget the per-CPU state the world keeps
	 * with Xen so that the next prepare and start set it up again.
	 * Harmless for a CPU with nothing to forget. start_lock held. */
	void (*forget)(unsigned int cpu);
};
extern const struct pvk_smp_world *pvk_smp_world;

/* cpus.c */
bool pvk_smp_initialised(void);
/* The pvk_smp_world relax, or pause. */
void pvk_smp_relax(void);
/* This CPU's counters, to be changed by it (or atomically). */
struct pvk_smp_stats *pvk_smp_stats_of(unsigned int cpu);
static inline void pvk_smp_count(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}
/* Masks are one word: set operations as atomics on .bits. */
extern uint64_t pvk_smp_online;
extern uint64_t pvk_smp_translating;	/* pvk_smp_tlb_mask() */
static inline uint64_t pvk_smp_online_bits(void)
{
	return __atomic_load_n(&pvk_smp_online, __ATOMIC_ACQUIRE);
}

/* ipi.c: before a start of cpu, drops (and counts) the host's kinds
 * still pending from its last life: they were sent to a CPU that went
 * away and must not run on the new one. */
void pvk_smp_ipi_forget(unsigned int cpu);

/* call.c: runs the calls other CPUs made to this one (IPI kind 0, and
 * pvk_smp_call()'s own wait). */
void pvk_smp_call_serve(void);
/* call.c: whether calls wait in cpu's inbox. */
bool pvk_smp_call_waiting(unsigned int cpu);

#endif /* PVK_SMP_INTERNAL_H */
