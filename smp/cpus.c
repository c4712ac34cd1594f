/*
 * smp/cpus.c - which CPUs there are and which are online: pvk_smp_init(),
 * starting a CPU and waiting for it, the new CPU's first call, a CPU
 * stopping itself, waiting for it to be down, and the per-CPU counters.
 *
 * The online set is one word changed with atomics: a CPU sets its own bit
 * in pvk_smp_cpu_up_here() and clears it in pvk_smp_cpu_die_here(), so
 * senders of IPIs and calls see it without a lock. Starts are serialised
 * by start_lock up to the issue of the start: the check that the CPU is
 * neither online nor being started, its per-CPU set-up and the start
 * itself. The wait for it to come up (up to PVK_SMP_START_TIMEOUT_NS) is
 * outside the lock; meanwhile its stage (ISSUED, then UP) refuses a
 * second start of it with -EBUSY.
 *
 * The new CPU and a starter that gives up race for the stage with one
 * CAS each: the CPU's ISSUED -> UP in pvk_smp_cpu_up_here(), the
 * starter's ISSUED -> TIMEDOUT at its deadline. A CPU that arrives after
 * the starter gave up never goes online: it marks itself STOPPED and
 * stops (pvops stop_self), so the host's boot stack is free once it is
 * seen down, and the next start wakes it with a new boot as after any
 * stop.
 *
 * Suspend (suspend/, pvk_smp_suspend_begin()/_end()): the kit suspends
 * with CPU 0 alone. Under start_lock every other CPU is checked down
 * (never started, or stopped and seen down) and a flag set that refuses
 * every start until the resume is over, so no CPU can come up between
 * the check and the hypercall. In a new domain the vCPUs that were down
 * do not exist as we left them (the toolstack saves only the vCPUs that
 * are up; the others are uninitialised there), so each CPU is made
 * "never started" again, and the world forgets its per-CPU state with
 * Xen (forget(), for every CPU but 0 whatever its stage: a first prepare
 * that failed part-way may have left some of it, review s11-smp S1): its
 * next start sets it up from scratch. Cancelled, nothing was lost: a stopped CPU is started
 * again as after any stop.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "smp_internal.h"

const struct pvk_smp_world *pvk_smp_world;
uint64_t pvk_smp_online = 1;		/* CPU 0 runs from the start */
/* CPUs that may hold translations: set before a start is issued (the CPU
 * walks the shared page tables before it is online), cleared only once
 * it is seen down, under start_lock. What shootdowns flush. */
uint64_t pvk_smp_translating = 1;

/* Where a CPU is in its start, for the timeout's log. */
enum start_stage {
	STAGE_NEVER = 0,
	STAGE_PREPARED,		/* per-CPU state ready */
	STAGE_ISSUED,		/* pvops smp.cpu_start returned 0 */
	STAGE_UP,		/* it called pvk_smp_cpu_up_here() */
	STAGE_STOPPING,		/* it called pvk_smp_cpu_die_here() */
	STAGE_STOPPED,		/* it entered stop_self */
	STAGE_TIMEDOUT,		/* the starter gave up while ISSUED */
};

static const char *const stage_names[] = {
	[STAGE_NEVER] = "never started",
	[STAGE_PREPARED] = "per-CPU state prepared, start not issued",
	[STAGE_ISSUED] = "start issued, the CPU did not reach pvk_smp_cpu_up_here()",
	[STAGE_UP] = "up",
	[STAGE_STOPPING] = "stopping",
	[STAGE_STOPPED] = "stopped",
	[STAGE_TIMEDOUT] = "its start timed out; it may still arrive (and then stops)",
};

struct smp_cpu {
	struct pvk_smp_stats stats;
	unsigned int stage;		/* enum start_stage, READ/WRITE_ONCE */
} __attribute__((aligned(64)));	/* counters of different CPUs apart */

static struct smp_cpu cpus[PVK_MAX_CPUS];
static unsigned int nr_possible = 1;
static bool initialised;
static struct pvk_lock start_lock;
static bool suspending;			/* under start_lock: starts refused */

bool pvk_smp_initialised(void)
{
	return PVK_READ_ONCE(initialised);
}

struct pvk_smp_stats *pvk_smp_stats_of(unsigned int cpu)
{
	return &cpus[cpu < PVK_MAX_CPUS ? cpu : 0].stats;
}

void pvk_smp_relax(void)
{
	const struct pvk_smp_world *w = PVK_READ_ONCE(pvk_smp_world);

	if (w && w->relax)
		w->relax();
	else
		__asm__ __volatile__("pause" ::: "memory");
}

int pvk_smp_init(void)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	unsigned int nr = 1;
	int rc;

	if (initialised) {
		pvk_err("smp: pvk_smp_init() called twice");
		return -PVK_XEN_EEXIST;
	}
	pvk_port_lock_init(&start_lock);
	if (w && w->init) {
		rc = w->init(&nr);
		if (rc) {
			pvk_err("smp: %s: CPU 0's set-up failed: %d; one CPU only",
				pvk_pvops_name(), rc);
			return rc;
		}
	}
	if (nr > PVK_MAX_CPUS) {
		pvk_warn("smp: %u CPUs, the kit drives %u (CONFIG_PVK_NR_CPUS): CPUs %u.. are never started",
			 nr, PVK_MAX_CPUS, PVK_MAX_CPUS);
		nr = PVK_MAX_CPUS;
	}
	if (!nr)
		nr = 1;
	cpus[0].stage = STAGE_UP;
	cpus[0].stats.starts = 1;
	nr_possible = nr;
	__atomic_store_n(&initialised, true, __ATOMIC_RELEASE);
	pvk_info("smp: %s: %u possible CPU%s", pvk_pvops_name(), nr, nr == 1 ? "" : "s");
	return 0;
}

unsigned int pvk_smp_nr_possible(void)
{
	return PVK_READ_ONCE(nr_possible);
}

bool pvk_smp_cpu_online(unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS && (pvk_smp_online_bits() >> cpu) & 1;
}

void pvk_smp_online_mask(struct pvk_cpumask *out)
{
	out->bits = pvk_smp_online_bits();
}

void pvk_smp_tlb_mask(struct pvk_cpumask *out)
{
	out->bits = __atomic_load_n(&pvk_smp_translating, __ATOMIC_ACQUIRE);
}

unsigned int pvk_smp_nr_online(void)
{
	struct pvk_cpumask m = { pvk_smp_online_bits() };

	return pvk_cpumask_weight(&m);
}

static int check_start(unsigned int cpu, const struct pvk_cpu_boot *boot)
{
	if (!initialised) {
		pvk_err("smp: start of CPU %u before pvk_smp_init()", cpu);
		return -PVK_XEN_EINVAL;
	}
	if (cpu == 0 || cpu >= nr_possible) {
		pvk_err("smp: CPU %u cannot be started (CPUs 1..%u can)", cpu, nr_possible - 1);
		return -PVK_XEN_EINVAL;
	}
	if (pvk_smp_cpu_online(cpu)) {
		pvk_err("smp: CPU %u is already online", cpu);
		return -PVK_XEN_EINVAL;
	}
	if (!boot || !boot->entry || !boot->stack_top || (boot->stack_top & 15)) {
		pvk_err("smp: CPU %u: boot needs an entry and a 16-byte aligned stack_top (0x%lx)",
			cpu, boot ? boot->stack_top : 0UL);
		return -PVK_XEN_EINVAL;
	}
	return 0;
}

int pvk_smp_cpu_start(unsigned int cpu, const struct pvk_cpu_boot *boot)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	uint64_t deadline;
	unsigned int stage;
	bool claimed = false;
	int rc;

	rc = check_start(cpu, boot);
	if (rc)
		return rc;
	/* Refused at once rather than after the wait below (checked
	 * again under the lock). */
	if (PVK_READ_ONCE(suspending)) {
		pvk_err("smp: CPU %u not started: the guest is suspending (start it again after the resume)",
			cpu);
		return -PVK_XEN_EBUSY;
	}
	/* A CPU still on its way down must be down before it is woken:
	 * STOPPED is set just before stop_self's VCPUOP_down, and Xen's
	 * VCPUOP_up of a vCPU not yet down is a no-op (it would then go
	 * down and stay there). The same for one whose last start timed
	 * out: if it arrives, it stops. Waited for outside the lock (it
	 * polls); checked again under it. */
	stage = PVK_READ_ONCE(cpus[cpu].stage);
	if ((stage == STAGE_STOPPING || stage == STAGE_STOPPED || stage == STAGE_TIMEDOUT) &&
	    pvk_smp_cpu_wait_down(cpu, PVK_SMP_START_TIMEOUT_NS)) {
		pvk_err("smp: CPU %u is still going down (or may still arrive from a start that timed out); not started",
			cpu);
		return -PVK_XEN_EBUSY;
	}
	pvk_port_lock(&start_lock);
	/* The check and the claim (ISSUED below) under one lock: of two
	 * starts of one CPU only the first goes on; the other sees it
	 * online, or being started (ISSUED, or UP before its online bit). */
	rc = check_start(cpu, boot);
	if (rc) {
		pvk_port_unlock(&start_lock);
		return rc;
	}
	if (suspending) {
		pvk_port_unlock(&start_lock);
		pvk_err("smp: CPU %u not started: the guest is suspending (start it again after the resume)",
			cpu);
		return -PVK_XEN_EBUSY;
	}
	stage = PVK_READ_ONCE(cpus[cpu].stage);
	if (stage != STAGE_NEVER && stage != STAGE_PREPARED &&
	    !(stage == STAGE_STOPPED && (!w || !w->is_down || w->is_down(cpu)))) {
		pvk_port_unlock(&start_lock);
		pvk_err("smp: CPU %u is being started or stopped (%s); not started again",
			cpu, stage < PVK_ARRAY_SIZE(stage_names) ? stage_names[stage] : "?");
		return -PVK_XEN_EBUSY;
	}
	pvk_smp_ipi_forget(cpu);
	if (w && w->prepare) {
		rc = w->prepare(cpu);
		if (rc) {
			pvk_port_unlock(&start_lock);
			pvk_err("smp: CPU %u: per-CPU set-up failed: %d", cpu, rc);
			return rc;
		}
	}
	rc = pvk_time_cpu_prepare(cpu);
	if (rc) {
		pvk_port_unlock(&start_lock);
		pvk_err("smp: CPU %u: timer set-up failed: %d", cpu, rc);
		return rc;
	}
	/* In the shootdowns' set before it can run: it walks the page
	 * tables from its first instruction, long before it is online. */
	__atomic_fetch_or(&pvk_smp_translating, 1ULL << cpu, __ATOMIC_SEQ_CST);
	/* ISSUED before the op: the CPU may reach pvk_smp_cpu_up_here()
	 * before the op returns (natively cpu_start waits for it to leave
	 * the trampoline). */
	__atomic_store_n(&cpus[cpu].stage, STAGE_ISSUED, __ATOMIC_RELEASE);
	rc = pvk_pvops.smp.cpu_start(cpu, boot);
	if (rc) {
		/* Not issued (or taken back: natively abandon()'s INIT), so
		 * it runs nothing and caches nothing of ours: out of the
		 * shootdowns' set again, as smp.h defines it. */
		PVK_WRITE_ONCE(cpus[cpu].stage, STAGE_PREPARED);
		__atomic_fetch_and(&pvk_smp_translating, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
		pvk_port_unlock(&start_lock);
		pvk_err("smp: CPU %u: %s start failed: %d", cpu, pvk_pvops_name(), rc);
		return rc;
	}
	pvk_port_unlock(&start_lock);

	/* Polled, not slept: the start is rare, the wait short, and the
	 * host's wait may itself need this CPU's IPI set up. The world's
	 * relax gives the physical CPU to the vCPU we wait for. */
	deadline = pvk_clock_ns() + PVK_SMP_START_TIMEOUT_NS;
	while (!pvk_smp_cpu_online(cpu)) {
		/* One clock read per look: the deadline is passed or not. */
		if ((int64_t)(pvk_clock_ns() - deadline) <= 0) {
			pvk_smp_relax();
			continue;
		}
		if (claimed) {
			/* Still not online, but it cannot turn back: the
			 * start did happen, only late. */
			pvk_warn("smp: CPU %u claimed its start but is not online %llu ms later",
				 cpu, (unsigned long long)(PVK_SMP_START_TIMEOUT_NS / 1000000));
			return 0;
		}
		stage = STAGE_ISSUED;
		if (__atomic_compare_exchange_n(&cpus[cpu].stage, &stage, STAGE_TIMEDOUT, false,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			pvk_err("smp: CPU %u did not come up within %llu ms: %s; if it still arrives, it stops",
				cpu, (unsigned long long)(PVK_SMP_START_TIMEOUT_NS / 1000000),
				stage_names[STAGE_ISSUED]);
			return -PVK_XEN_ETIMEDOUT;
		}
		/* It won: it left ISSUED only through its claim in
		 * pvk_smp_cpu_up_here(). Still UP: committed to going online
		 * (its own set-up, then the bit), wait for that. Past UP: it
		 * went online and is already going down again between two
		 * looks: the start did happen. */
		if (stage != STAGE_UP)
			return 0;
		claimed = true;
		deadline = pvk_clock_ns() + PVK_SMP_START_TIMEOUT_NS;
	}
	return 0;
}

/* A CPU that arrived after its starter gave up: not online, stopped as
 * after die_here. It set nothing up itself, but the start's prepare did
 * (its timer, its IPI port open): undone as die_here does, so that it
 * waits down with its ports masked like any stopped CPU. Its
 * translating bit stays until it is seen down. */
static __pvk_noreturn void park_late(unsigned int cpu)
{
	const struct pvk_smp_world *w = pvk_smp_world;

	pvk_warn("smp: CPU %u arrived after its start timed out: stopped, not online", cpu);
	pvk_time_cpu_dead(cpu);
	if (w && w->dead)
		w->dead(cpu);
	__atomic_store_n(&cpus[cpu].stage, STAGE_STOPPED, __ATOMIC_RELEASE);
	pvk_pvops.smp.stop_self();
}

void pvk_smp_cpu_up_here(void)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	unsigned int cpu = pvk_port_cpu_id();
	unsigned int stage = STAGE_ISSUED;
	int rc;

	/* The claim, against the starter's give-up (TIMEDOUT): from here
	 * on this CPU goes online, whatever the starter's clock says. */
	if (cpu == 0 || cpu >= PVK_MAX_CPUS ||
	    !__atomic_compare_exchange_n(&cpus[cpu].stage, &stage, STAGE_UP, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if (cpu && cpu < PVK_MAX_CPUS && stage == STAGE_TIMEDOUT)
			park_late(cpu);
		pvk_err("smp: pvk_smp_cpu_up_here() on CPU %u, which was not being started (pvk_port_cpu_id() wrong?)",
			cpu);
		pvk_port_panic("smp: pvk_smp_cpu_up_here() on a CPU not being started");
	}
	if (w && w->up_here) {
		rc = w->up_here(cpu);
		if (rc) {
			pvk_err("smp: CPU %u: its own set-up failed: %d", cpu, rc);
			pvk_port_panic("smp: a started CPU cannot set itself up");
		}
	}
	rc = pvk_time_cpu_up_here();
	if (rc) {
		pvk_err("smp: CPU %u: its timer set-up failed: %d", cpu, rc);
		pvk_port_panic("smp: a started CPU cannot set up its timer");
	}
	pvk_smp_count(&cpus[cpu].stats.starts);
	/* Release: everything set up above is visible to whoever sees the
	 * bit (the starter, senders of IPIs). */
	__atomic_fetch_or(&pvk_smp_online, 1ULL << cpu, __ATOMIC_SEQ_CST);
	/* A shootdown that read the online set before our bit was in it
	 * skipped us natively (its pvk_smp_call() reaches online CPUs only;
	 * on Xen the translating mask covers us): whatever this CPU cached
	 * since it loaded its page tables goes now, before the host runs on
	 * it. Every later shootdown sees the bit. */
	pvk_flush_tlb_local();
	/* A caller whose IPI found us offline, but who saw us online again
	 * before it could withdraw, waits for an answer no IPI will bring
	 * (its request is in the inbox before our online bit: seen here).
	 * Not served here, before the host has set this CPU up: the kit's
	 * IPI is raised on ourselves instead (our IPI is open, irqs are
	 * off), so fn runs in IPI context once the host enables irqs, as
	 * smp.h says. */
	if (pvk_smp_call_waiting(cpu) && pvk_smp_send_ipi(cpu, PVK_IPI_KIT))
		pvk_err("smp: CPU %u: calls wait in its inbox but its own IPI cannot be raised: they wait for the next IPI here",
			cpu);
}

void pvk_smp_cpu_die_here(void)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	unsigned int cpu;

	pvk_irq_disable();
	cpu = pvk_port_cpu_id();	/* irqs off: no longer able to move */
	if (cpu == 0 || cpu >= PVK_MAX_CPUS || !pvk_smp_cpu_online(cpu))
		pvk_port_panic("smp: pvk_smp_cpu_die_here() on CPU 0 or on a CPU not online");
	PVK_WRITE_ONCE(cpus[cpu].stage, STAGE_STOPPING);
	/* Offline first: from here no new IPI or call is sent to it. */
	__atomic_fetch_and(&pvk_smp_online, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
	/* Calls that were made before the bit went are still answered, so
	 * that their callers do not wait for the timeout. */
	pvk_smp_call_serve();
	pvk_time_cpu_dead(cpu);
	if (w && w->dead)
		w->dead(cpu);
	pvk_smp_count(&cpus[cpu].stats.stops);
	__atomic_store_n(&cpus[cpu].stage, STAGE_STOPPED, __ATOMIC_RELEASE);
	pvk_pvops.smp.stop_self();
}

int pvk_smp_cpu_wait_down(unsigned int cpu, uint64_t timeout_ns)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	uint64_t deadline = pvk_clock_ns() + timeout_ns;

	if (cpu == 0 || cpu >= nr_possible) {
		pvk_err("smp: wait_down: CPU %u is not a secondary CPU", cpu);
		return -PVK_XEN_EINVAL;
	}
	for (;;) {
		unsigned int stage = __atomic_load_n(&cpus[cpu].stage, __ATOMIC_ACQUIRE);

		/* Never started, or its start failed before it ran (the op
		 * failed: natively abandon() INITs it): nothing runs there. */
		if (stage == STAGE_NEVER || stage == STAGE_PREPARED)
			return 0;
		if (stage == STAGE_STOPPED && (!w || !w->is_down || w->is_down(cpu))) {
			/* Seen down: out of the shootdowns' set, unless a
			 * start claimed it meanwhile (under the same lock). */
			pvk_port_lock(&start_lock);
			if (PVK_READ_ONCE(cpus[cpu].stage) == STAGE_STOPPED)
				__atomic_fetch_and(&pvk_smp_translating, ~(1ULL << cpu),
						   __ATOMIC_SEQ_CST);
			pvk_port_unlock(&start_lock);
			return 0;
		}
		if ((int64_t)(pvk_clock_ns() - deadline) > 0)
			break;
		pvk_smp_relax();
	}
	pvk_err("smp: CPU %u did not stop within %llu ms (%s)", cpu,
		(unsigned long long)(timeout_ns / 1000000),
		stage_names[PVK_READ_ONCE(cpus[cpu].stage) % PVK_ARRAY_SIZE(stage_names)]);
	return -PVK_XEN_ETIMEDOUT;
}

/* A secondary CPU that is down for good: nothing of the kit runs there
 * and nothing will until a start, which suspending refuses. start_lock
 * held. */
static bool down_for_suspend(const struct pvk_smp_world *w, unsigned int cpu,
			     unsigned int stage)
{
	if (stage == STAGE_NEVER || stage == STAGE_PREPARED)
		return true;
	return stage == STAGE_STOPPED && (!w || !w->is_down || w->is_down(cpu));
}

int pvk_smp_suspend_begin(void)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	unsigned int self = pvk_port_cpu_id();
	unsigned int cpu, n;
	uint64_t deadline;

	if (self != 0) {
		pvk_err("smp: suspend asked on CPU %u: the kit suspends on CPU 0 only", self);
		return -PVK_XEN_EINVAL;
	}
	/* CPU 0 alone: no start can be issued before pvk_smp_init(), and
	 * the host does not initialise smp while it suspends (no flag is
	 * set here: the start lock is not ours to use yet). */
	if (!initialised)
		return 0;
	n = PVK_READ_ONCE(nr_possible);
	/* A CPU on its way down (or whose start timed out and may still
	 * arrive, then stop) is waited for, bounded, outside the lock as in
	 * a start; checked again under it. One deadline for them all: this
	 * runs in the host's control path. */
	deadline = pvk_clock_ns() + PVK_SMP_START_TIMEOUT_NS;
	for (cpu = 1; cpu < n; cpu++) {
		unsigned int stage = PVK_READ_ONCE(cpus[cpu].stage);
		int64_t left = (int64_t)(deadline - pvk_clock_ns());

		if (stage == STAGE_STOPPING || stage == STAGE_STOPPED || stage == STAGE_TIMEDOUT)
			(void)pvk_smp_cpu_wait_down(cpu, left > 0 ? (uint64_t)left : 0);
	}
	pvk_port_lock(&start_lock);
	if (suspending) {
		pvk_port_unlock(&start_lock);
		pvk_err("smp: a suspend is already under way");
		return -PVK_XEN_EBUSY;
	}
	for (cpu = 1; cpu < n; cpu++) {
		unsigned int stage = PVK_READ_ONCE(cpus[cpu].stage);

		if (!down_for_suspend(w, cpu, stage)) {
			pvk_port_unlock(&start_lock);
			pvk_err("smp: suspend refused: CPU %u is not down (%s%s); the host's before() takes every CPU but 0 offline",
				cpu, stage < PVK_ARRAY_SIZE(stage_names) ? stage_names[stage] : "?",
				stage == STAGE_STOPPED ? ", but Xen says it still runs" : "");
			return -PVK_XEN_EBUSY;
		}
		/* Seen down: out of the shootdowns' set (as wait_down). */
		__atomic_fetch_and(&pvk_smp_translating, ~(1ULL << cpu), __ATOMIC_SEQ_CST);
	}
	suspending = true;
	pvk_port_unlock(&start_lock);
	return 0;
}

void pvk_smp_suspend_end(bool new_domain)
{
	const struct pvk_smp_world *w = pvk_smp_world;
	unsigned int n, forgotten = 0;

	if (!initialised)
		return;
	n = PVK_READ_ONCE(nr_possible);
	pvk_port_lock(&start_lock);
	for (unsigned int cpu = 1; new_domain && cpu < n; cpu++) {
		/* Uninitialised in the new domain: set up from scratch at its
		 * next start (VCPUOP_initialise, vcpu_info, event state).
		 * Forgotten even if never started: its first prepare may have
		 * failed part-way (stage still NEVER) after registering some
		 * of it; forget() of nothing is harmless. */
		if (w && w->forget)
			w->forget(cpu);
		if (PVK_READ_ONCE(cpus[cpu].stage) == STAGE_NEVER)
			continue;
		__atomic_store_n(&cpus[cpu].stage, STAGE_NEVER, __ATOMIC_RELEASE);
		forgotten++;
	}
	suspending = false;
	pvk_port_unlock(&start_lock);
	if (forgotten)
		pvk_info("smp: resumed in a new domain: %u CPU%s to be set up again at their next start",
			 forgotten, forgotten == 1 ? "" : "s");
}

int pvk_smp_get_stats(unsigned int cpu, struct pvk_smp_stats *out)
{
	const struct pvk_smp_stats *s;

	if (cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	s = &cpus[cpu].stats;
	out->ipis_sent = __atomic_load_n(&s->ipis_sent, __ATOMIC_RELAXED);
	out->ipis_received = __atomic_load_n(&s->ipis_received, __ATOMIC_RELAXED);
	out->ipi_kinds_run = __atomic_load_n(&s->ipi_kinds_run, __ATOMIC_RELAXED);
	out->calls_served = __atomic_load_n(&s->calls_served, __ATOMIC_RELAXED);
	out->flushes = __atomic_load_n(&s->flushes, __ATOMIC_RELAXED);
	out->starts = __atomic_load_n(&s->starts, __ATOMIC_RELAXED);
	out->stops = __atomic_load_n(&s->stops, __ATOMIC_RELAXED);
	return 0;
}
