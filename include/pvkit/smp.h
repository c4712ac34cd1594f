/*
 * pvkit/smp.h - more than one CPU: CPU sets, starting and stopping CPUs,
 * inter-processor interrupts, running a function on other CPUs, TLB
 * shootdowns with deferred frees, and vCPU hotplug from the toolstack.
 *
 * CPUs are numbered 0 .. PVK_MAX_CPUS - 1 by the host; on Xen the number
 * is the vCPU id, natively the host maps it to a local APIC id
 * (pvk_native_smp_init()). CPU 0 is the boot CPU. The calling CPU is
 * pvk_port_cpu_id() (port.h), which the host must answer from any context.
 *
 * The order on the boot CPU:
 *   Xen:    pvk_pvops_select_xen(), pvk_time_init(), pvk_evtchn_init(),
 *           pvk_evtchn_register_upcall(), [pvk_time_timer_init()],
 *           pvk_smp_init(), then pvk_smp_cpu_start() for each CPU wanted
 *           (or pvk_smp_hotplug_start(), which follows the toolstack).
 *   Native: pvk_pvops_select_native(), pvk_native_timer_init(),
 *           [pvk_time_timer_init()], pvk_native_smp_init() (pvops.h),
 *           pvk_smp_init(), then pvk_smp_cpu_start().
 * A new CPU starts at boot->entry with interrupts (event upcalls) off; its
 * first kit call is pvk_smp_cpu_up_here(), after which every kit call is
 * allowed on it. Before pvk_smp_init() the kit drives CPU 0 only and
 * pvk_port_cpu_id() may return 0 without looking.
 *
 * Per-CPU state the kit keeps (each CPU uses its own, found with
 * pvk_port_cpu_id()): vcpu_info (the irq ops' mask and pending flag),
 * the event queues it scans (2-level: the ports bound to it; FIFO: its
 * control block), its one-shot timer and VIRQ_TIMER, its multicall and
 * page-update queues and lazy MMU mode, its IPI port, its counters.
 * Shared state (port table, grant table, xenstore, xenbus, console,
 * balloon) is under kit locks: callers on several CPUs at once are safe.
 * A thread must not migrate to another CPU while it is inside a kit
 * call or holds per-CPU kit state (lazy MMU mode, a multicall batch):
 * kit calls made with irqs on need preemption or migration off, as
 * Linux's per-CPU rules (port.h, pvk_port_cpu_id()).
 *
 * On Xen a started vCPU has no user page table (Xen's is per vCPU, and
 * VCPUOP_initialise's context gives none): before it first returns to
 * user mode the host calls pvk_mmu_new_user_baseptr() on it, or Xen
 * crashes the domain at that iret.
 *
 * All functions return 0 or a negative Xen errno (PVK_XEN_E*) unless
 * said otherwise; a refusal is also logged with the reason.
 */
#ifndef PVKIT_SMP_H
#define PVKIT_SMP_H

#include <pvkit/types.h>

#ifndef CONFIG_PVK_NR_CPUS
#define CONFIG_PVK_NR_CPUS 8
#endif
#define PVK_MAX_CPUS CONFIG_PVK_NR_CPUS
PVK_BUILD_BUG_ON(PVK_MAX_CPUS < 1 || PVK_MAX_CPUS > 64);

/* ---- CPU sets ------------------------------------------------------- */

/* A set of CPUs, bit n = CPU n. Also the layout Xen's vcpumask takes
 * (MMUEXT_TLB_FLUSH_MULTI / INVLPG_MULTI: a bitmap of xen_ulong_t). */
struct pvk_cpumask {
	uint64_t bits;
};

#define PVK_CPUMASK_NONE	((struct pvk_cpumask){ 0 })

static inline struct pvk_cpumask pvk_cpumask_of(unsigned int cpu)
{
	return (struct pvk_cpumask){ cpu < PVK_MAX_CPUS ? 1ULL << cpu : 0 };
}

static inline bool pvk_cpumask_test(const struct pvk_cpumask *m, unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS && (m->bits >> cpu) & 1;
}

static inline void pvk_cpumask_set(struct pvk_cpumask *m, unsigned int cpu)
{
	if (cpu < PVK_MAX_CPUS)
		m->bits |= 1ULL << cpu;
}

static inline void pvk_cpumask_clear(struct pvk_cpumask *m, unsigned int cpu)
{
	if (cpu < PVK_MAX_CPUS)
		m->bits &= ~(1ULL << cpu);
}

static inline bool pvk_cpumask_empty(const struct pvk_cpumask *m)
{
	return m->bits == 0;
}

/* A loop, not __builtin_popcountll: without -mpopcnt that is a call to
 * libgcc's __popcountdi2, which freestanding kernels do not link. */
static inline unsigned int pvk_cpumask_weight(const struct pvk_cpumask *m)
{
	unsigned int n = 0;

	for (uint64_t b = m->bits; b; b &= b - 1)
		n++;
	return n;
}

/* Each CPU in *m, lowest first: for (cpu = pvk_cpumask_next(m, 0); cpu <
 * PVK_MAX_CPUS; cpu = pvk_cpumask_next(m, cpu + 1)). */
static inline unsigned int pvk_cpumask_next(const struct pvk_cpumask *m,
					    unsigned int from)
{
	uint64_t rest;

	if (from >= PVK_MAX_CPUS)
		return PVK_MAX_CPUS;
	rest = m->bits >> from;
	return rest ? from + (unsigned int)__builtin_ctzll(rest) : PVK_MAX_CPUS;
}

#define pvk_for_each_cpu(cpu, m)					\
	for ((cpu) = pvk_cpumask_next((m), 0); (cpu) < PVK_MAX_CPUS;	\
	     (cpu) = pvk_cpumask_next((m), (cpu) + 1))

/* ---- Bring-up ------------------------------------------------------- */

/*
 * Boot CPU, once (see the order above), irqs off or on. Sets up CPU 0's
 * per-CPU state (Xen: its vcpu_info moved to a kit page with
 * VCPUOP_register_vcpu_info, its IPI port), and learns the CPUs there are:
 * Xen: the domain's vCPUs (VCPUOP_is_up answers for each id below
 * PVK_MAX_CPUS; ids beyond it are logged and never used); natively the
 * count pvk_native_smp_init() was given (1 without it).
 */
int pvk_smp_init(void);
/* CPUs that can be started: 1 + the highest startable id (Xen: the
 * domain's max vCPUs capped at PVK_MAX_CPUS). 1 before pvk_smp_init(). */
unsigned int pvk_smp_nr_possible(void);

/* Where a started CPU begins. */
struct pvk_cpu_boot {
	/* Runs on the new CPU with irqs off, never returns. Its first kit
	 * call must be pvk_smp_cpu_up_here(). */
	void (*entry)(unsigned long arg);
	unsigned long stack_top;	/* initial %rsp, 16-byte aligned */
	unsigned long arg;		/* entry's argument (%rdi) */
	/* The kernel's GS base on the new CPU (a per-CPU pointer; 0 if the
	 * host has none). N: MSR_GS_BASE. X: gs_base_kernel of the context. */
	unsigned long gs_base;
};

/*
 * Boot CPU or any online CPU, thread context, irqs on. Prepares the kit's
 * per-CPU state of cpu (Xen: vcpu_info registration, FIFO control block,
 * IPI port, VIRQ_TIMER when the host's timer is initialised), then starts
 * it through pvops smp.cpu_start, and waits (bounded:
 * PVK_SMP_START_TIMEOUT_NS) until it called pvk_smp_cpu_up_here().
 * -PVK_XEN_EINVAL: cpu is 0, not possible or already online;
 * -PVK_XEN_EBUSY: another start of cpu is under way, or cpu is still
 * going down, or its last start timed out and it has not been seen down
 * since (this start waited for that, bounded, first), or the guest is
 * suspending (pvkit/suspend.h: from the kit's check that the other CPUs
 * are down until the resume is over; the host's after() starts them);
 * -PVK_XEN_ETIMEDOUT: it did not reach pvk_smp_cpu_up_here() in time
 * (logged), and this start will never make it online: if it gets there
 * later (a slow vCPU; natively one that runs the entry), it stops itself
 * instead (as pvk_smp_cpu_die_here() does, but with nothing to undo).
 * Until then it may be running boot->entry: keep boot's stack and what
 * boot->gs_base points at until pvk_smp_cpu_wait_down(cpu) has returned
 * 0 (at once if the start was taken back before the CPU ran: natively
 * INIT). Any later start also waits for that and then wakes it with its
 * own boot, as after a stop.
 * A CPU stopped with pvk_smp_cpu_die_here() may be started again (Xen:
 * VCPUOP_up only, the vCPU keeps its context; natively INIT-SIPI-SIPI);
 * it begins at the new boot's entry either way.
 */
#define PVK_SMP_START_TIMEOUT_NS	(5ULL * 1000 * 1000 * 1000)
int pvk_smp_cpu_start(unsigned int cpu, const struct pvk_cpu_boot *boot);

/*
 * On the new CPU, first thing, irqs off: the per-CPU set-up that must run
 * on the CPU itself (natively its APIC timer from the boot CPU's
 * calibration: its IDT and local APIC were set up before the entry, by
 * the trampoline and pvk_native_ap_arrived(); on Xen nothing Xen cannot
 * do remotely but the checks), then marks it online and releases
 * pvk_smp_cpu_start().
 * Returns with irqs still off: the host enables them when ready. It runs
 * no IPI handler or call function: pvk_smp_call() functions already waiting
 * for this CPU are left pending (its IPI raised on itself), so they run
 * in IPI context once the host enables irqs, as any other.
 */
void pvk_smp_cpu_up_here(void);

/*
 * On a CPU other than 0, thread context, when the host has moved its work
 * away: marks the CPU offline, moves the event channel ports bound to it
 * to CPU 0 (its IPI and VIRQ_TIMER ports stay, masked; the host's IPI
 * kinds still pending on it are dropped), stops its timer,
 * then stops the CPU: X: moves to the kit's own per-vCPU stack, then
 * VCPUOP_down on itself; N: irqs off, halts until the next INIT. Never
 * returns: a later pvk_smp_cpu_start() begins at that call's entry.
 * The stack this was called on (and the boot stack of a start that timed
 * out) is the host's again once pvk_smp_cpu_wait_down(cpu) has returned
 * 0: on Xen the vCPU left it before it went down. Natively the CPU halts
 * on it with irqs off, where only an NMI would push a frame: a host that
 * frees it gives NMIs a stack of their own (an IST entry).
 */
__pvk_noreturn void pvk_smp_cpu_die_here(void);
/* Another CPU: waits (bounded) until cpu has stopped (X: VCPUOP_is_up
 * says 0; N: it reached its halt). 0 at once for a CPU never started or
 * whose last start failed before it ran. */
int pvk_smp_cpu_wait_down(unsigned int cpu, uint64_t timeout_ns);

bool pvk_smp_cpu_online(unsigned int cpu);
void pvk_smp_online_mask(struct pvk_cpumask *out);
unsigned int pvk_smp_nr_online(void);
/* The CPUs that may hold translations of the shared page tables: the
 * online ones, those being started (they walk the page tables before
 * they are online) and stopped ones not yet seen down by
 * pvk_smp_cpu_wait_down(). The set a shootdown or gather for "every
 * CPU" must name. */
void pvk_smp_tlb_mask(struct pvk_cpumask *out);

/* ---- Inter-processor interrupts ------------------------------------- */

/*
 * An IPI carries a kind, 0 .. PVK_IPI_KINDS - 1. Kind 0 is the kit's own
 * (pvk_smp_call(), TLB shootdowns natively); the host gives handlers to
 * the others. Several IPIs of one kind sent before the target runs its
 * handler may be delivered as one (like a pending interrupt). One IPI
 * port per CPU on Xen (EVTCHNOP_bind_ipi), one IDT vector natively
 * (pvk_native_smp_init()); the kinds are bits in a per-CPU word.
 */
#define PVK_IPI_KINDS		8
#define PVK_IPI_KIT		0

/* Runs on the target CPU in upcall/interrupt context, irqs off. */
typedef void (*pvk_ipi_handler_t)(unsigned int kind, void *arg);
/* kind 1 .. PVK_IPI_KINDS - 1; fn NULL removes (then the kind is counted
 * and dropped). */
int pvk_smp_set_ipi_handler(unsigned int kind, pvk_ipi_handler_t fn, void *arg);
/* Any context. To an offline CPU: -PVK_XEN_ENODEV (the mask form skips
 * offline CPUs and returns -ENODEV if it skipped any). The sender's own
 * CPU may be a target (its handler runs when it next takes upcalls). */
int pvk_smp_send_ipi(unsigned int cpu, unsigned int kind);
int pvk_smp_send_ipi_mask(const struct pvk_cpumask *cpus, unsigned int kind);

/*
 * Runs fn(arg) once on each online CPU of cpus, in IPI context (irqs off)
 * on the others and directly, irqs off, on the caller's own if it is in
 * cpus; returns 0 when every one has returned from fn, or
 * -PVK_XEN_ETIMEDOUT after timeout_ns (logged with the CPUs that did not
 * answer). CPUs offline at the call are skipped. A target that goes
 * offline during the call (pvk_smp_cpu_die_here()) runs fn there if it
 * took the request before it stopped; else it is dropped from the call
 * and does not run fn (or runs it once started again, if that is soon
 * enough), and 0 is still returned: fn that must reach every CPU that
 * comes back (per-CPU settings) is also run by the host's start path.
 * arg must stay valid until the call returns 0; after
 * -PVK_XEN_ETIMEDOUT a target may still be running fn(arg): keep arg
 * until this CPU's next pvk_smp_call() has returned without the "previous
 * call still runs there" error.
 * Callable with irqs off (not from an upcall/IPI handler): while
 * it waits it serves calls made to its own CPU, so two CPUs calling each
 * other cannot deadlock. Natively the caller must not hold a lock another
 * CPU may spin on with irqs off (every kit lock masks them): that CPU
 * cannot take the IPI, and the call fails after the whole timeout.
 */
int pvk_smp_call(const struct pvk_cpumask *cpus, void (*fn)(void *arg),
		 void *arg, uint64_t timeout_ns);

/* ---- TLB shootdown and deferred frees ------------------------------- */

/*
 * Invalidates the translation of va (PVK_TLB_FLUSH_ALL: every non-global
 * one) on each CPU of cpus that may hold translations (pvk_smp_tlb_mask()),
 * the caller's included if in cpus; returns once all are done. X: one MMUEXT_INVLPG_MULTI /
 * MMUEXT_TLB_FLUSH_MULTI with the mask as vcpumask. N: invlpg / cr3
 * reload locally and pvk_smp_call() for the others, so natively the same
 * rule on locks the caller holds. Thread context or irqs off (not from an
 * upcall/IPI handler).
 */
#define PVK_TLB_FLUSH_ALL	(~0UL)
int pvk_smp_flush_tlb(const struct pvk_cpumask *cpus, unsigned long va);

/*
 * Pages whose last mapping (or which, as page tables, were last used by a
 * walk) may still sit in other CPUs' TLBs or paging-structure caches are
 * given back only after a flush of those CPUs: add them to a gather after
 * removing the mapping, and finish it. The kit's own frees of page-table
 * pages and mapped frames go through one.
 */
#define PVK_TLB_GATHER_PAGES	32
struct pvk_tlb_gather {
	struct pvk_cpumask cpus;	/* who may hold stale translations */
	void (*free_page)(void *page);	/* called after the flush */
	unsigned int nr;
	void *pages[PVK_TLB_GATHER_PAGES];
	uint64_t flushes;		/* flushes it made (counters, tests) */
};
void pvk_tlb_gather_init(struct pvk_tlb_gather *g, const struct pvk_cpumask *cpus,
			 void (*free_page)(void *page));
/* Queue page; a full gather flushes and frees first. Returns 0, or the
 * flush's error (then nothing was freed: the pages stay queued). */
int pvk_tlb_gather_add(struct pvk_tlb_gather *g, void *page);
/* Flush cpus (if any page is queued), then free every queued page. */
int pvk_tlb_gather_finish(struct pvk_tlb_gather *g);

/* ---- vCPU hotplug from the toolstack (Xen, CONFIG_PVK_XENBUS) -------- */

/*
 * `xl vcpu-set` writes cpu/N/availability ("online" / "offline") under
 * the domain's xenstore home. pvk_smp_hotplug_start() reads every N below
 * pvk_smp_nr_possible() once and calls the host so that the online set
 * matches, then follows a watch on "cpu". Both callbacks run in thread
 * context (the kit's watch worker), one at a time, irqs on.
 *   cpu_up:   start cpu (pvk_smp_cpu_start() with a boot of the host's).
 *   cpu_down: move the host's work off cpu, make it call
 *             pvk_smp_cpu_die_here() (an IPI of the host's), return; the
 *             kit then waits for it with pvk_smp_cpu_wait_down().
 * CPU 0 is never taken down (a request for it is logged once and
 * ignored). A callback's error is logged with the CPU and the request;
 * the kit tries again at the next pass, which any change under cpu/
 * makes.
 */
struct pvk_smp_hotplug_ops {
	int (*cpu_up)(unsigned int cpu, void *arg);
	int (*cpu_down)(unsigned int cpu, void *arg);
	void *arg;
};
int pvk_smp_hotplug_start(const struct pvk_smp_hotplug_ops *ops);
/* Changes acted on so far (tests wait for a count). */
uint64_t pvk_smp_hotplug_changes(void);

/* ---- counters -------------------------------------------------------- */

struct pvk_smp_stats {
	uint64_t ipis_sent;		/* from this CPU, per target */
	uint64_t ipis_received;		/* upcalls/interrupts of the IPI port */
	uint64_t ipi_kinds_run;		/* handler runs (kit's and host's) */
	uint64_t calls_served;		/* pvk_smp_call() fns run here */
	uint64_t flushes;		/* pvk_smp_flush_tlb() from here */
	uint64_t starts;		/* times this CPU came up */
	uint64_t stops;			/* times it went down */
};
int pvk_smp_get_stats(unsigned int cpu, struct pvk_smp_stats *out);

/* ---- between the kit's own parts (hosts do not call these) ---------- */

/* Each returns 0 or a negative Xen errno; cpu != 0 for the _prepare/_dead
 * hooks but pvk_xen_vcpu_info_prepare(0), which pvk_smp_init() calls. */
/* pvops/irq_xen.c: cpu's vcpu_info placed in a kit page with
 * VCPUOP_register_vcpu_info; the irq ops of cpu use it from then on. */
int pvk_xen_vcpu_info_prepare(unsigned int cpu);
/* pvops/smp_xen.c, after a resume in a new domain: CPU 0's IPI port bound
 * again, the others' forgotten. */
int pvk_xen_smp_resume(void);
struct pvk_vcpu_info;
/* The vcpu_info cpu uses (shared_info's slot before registration). */
struct pvk_vcpu_info *pvk_xen_vcpu_info(unsigned int cpu);
/* events/: cpu's event state before it starts (FIFO: its control block
 * with EVTCHNOP_init_control). */
int pvk_evtchn_cpu_prepare(unsigned int cpu);
/* events/: cpu went offline: its ports (but the IPI's and VIRQ_TIMER's)
 * are bound to CPU 0 again. */
void pvk_evtchn_cpu_dead(unsigned int cpu);
/* time/: cpu's timer before it starts (X: VIRQ_TIMER bound to cpu if the
 * host initialised its timer; Xen's periodic timer of cpu stopped). */
int pvk_time_cpu_prepare(unsigned int cpu);
/* time/: on the new CPU (N: its local APIC timer with the boot CPU's
 * calibration). */
int pvk_time_cpu_up_here(void);
/* time/: cpu going offline: its deadlines dropped, its timer stopped. */
void pvk_time_cpu_dead(unsigned int cpu);
/*
 * suspend/, around the suspend hypercall. _begin: on CPU 0 (else
 * -PVK_XEN_EINVAL), every other CPU down (never started, or stopped and
 * seen down; one on its way down is waited for, bounded), checked under
 * the start lock, which then refuses every pvk_smp_cpu_start() until
 * _end; -PVK_XEN_EBUSY (logged with the CPU and where it is) otherwise,
 * or while another suspend holds it. _end(new_domain): in a new domain
 * every CPU but 0 is made "never started" again and its world's
 * forget() is called (the toolstack saved no vCPU that was down: the
 * new domain has them uninitialised, with no vcpu_info, control block
 * or port; forget() runs for a never-started CPU too, whose first
 * prepare may have failed part-way), so its next start initialises it
 * again; then starts are allowed again.
 */
int pvk_smp_suspend_begin(void);
void pvk_smp_suspend_end(bool new_domain);
/* smp/ipi.c: the IPI arrived on this CPU (X: the IPI port's handler;
 * N: pvk_native_ipi_interrupt()): runs the pending kinds' handlers. */
void pvk_smp_ipi_received(void);

#endif /* PVKIT_SMP_H */
