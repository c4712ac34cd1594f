/*
 * tests/guest/smp.c - the reference guest's CPUs: its answer to
 * pvk_port_cpu_id() (port.h), a per-CPU area for each CPU, starting the
 * other CPUs (and following the toolstack's vCPU hotplug), their idle
 * loop, and guest_smp_run_on(): a function run in thread context on a
 * given CPU, which every SMP test uses.
 *
 * Per-CPU area: cpus[n], its first word the CPU's number. On Xen each
 * vCPU's kernel GS base points at its own area (CPU 0: set_segment_base
 * through the pvops write_msr at boot; the others: the context the kit
 * gives VCPUOP_initialise, boot->gs_base), so pvk_port_cpu_id() is one
 * %gs-relative load. Xen keeps the kernel GS base across user mode (it
 * swaps GS bases on every switch between guest kernel and guest user), so
 * the user programs' own %gs never shows in the kernel. Natively the guest
 * uses no swapgs and user mode reloads %gs, so GS cannot be trusted in the
 * kernel: the answer comes from guest_native_cpu_id() (native_smp.c).
 *
 * A started CPU runs cpu_entry() on a 16 KiB stack of its own from the
 * page allocator (on Xen the page below it is made read-only: a stack
 * overflow faults instead of corrupting a neighbour; on Xen the stacks of
 * the domain's vCPUs are taken at boot, while the allocator still has
 * consecutive pages, natively when the CPUs start at boot), then idles:
 * with interrupts (upcalls) off it looks for queued work, and if there is
 * none it enables them and halts in one step (pvk_safe_halt()), so the IPI
 * that announces work is never lost. Work runs in thread context,
 * interrupts on.
 *
 * guest_smp_run_on(): the request lives in the caller's memory and is
 * queued on the target CPU under that CPU's lock; the target's wake-up is
 * a host IPI (GUEST_IPI_RUN). The caller waits, bounded, and serves its
 * own CPU's queue meanwhile, so two CPUs running work on each other do
 * not deadlock. A request not started when the wait ends is taken back
 * (-ETIMEDOUT); one that started must finish (its arguments may be on the
 * caller's stack), and a CPU stuck in one for RUN_STUCK_NS more is a
 * panic.
 *
 * Hotplug (Xen with xenstore): pvk_smp_hotplug_start() brings the online
 * set to what the toolstack wants and follows it. cpu_up starts a CPU with
 * a fresh boot (the stack is kept from its first start); cpu_down asks the
 * CPU to stop: its idle loop refuses new work, fails what is queued and
 * calls pvk_smp_cpu_die_here().
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>

#include "guest.h"

#define STACK_PAGES	4			/* 16 KiB */
#define RUN_STUCK_NS	(10ULL * 1000 * 1000 * 1000)

enum run_state { RUN_QUEUED = 1, RUN_RUNNING, RUN_DONE, RUN_FAILED };

struct guest_cpu {
	unsigned int cpu;		/* first: pvk_port_cpu_id() reads %gs:0 */
	unsigned int unused;
	struct guest_cpu *self;		/* %gs:8: the tests check the area */
	struct pvk_lock run_lock;	/* the queue and accepting */
	struct guest_smp_run *run_head, *run_tail;
	bool accepting;			/* online and idling: takes work */
	bool die;			/* cpu_down asked it to stop */
	bool serving;			/* running its queue (no nesting) */
	unsigned long stack_top;
	struct guest_smp_cpu_stats stats;
} __attribute__((aligned(64)));

static struct guest_cpu cpus[PVK_MAX_CPUS];
/* Xen: CPU 0's GS base is set, %gs:0 answers from here on. */
static bool gs_ready;
static bool smp_started;

unsigned int pvk_port_cpu_id(void)
{
	unsigned int id;

	if (__builtin_expect(PVK_READ_ONCE(gs_ready), 1)) {
		__asm__ __volatile__("movl %%gs:0, %0" : "=r"(id));
		return id;
	}
	return guest_world->early_cpu_id();
}

static struct guest_cpu *this_cpu(void)
{
	return &cpus[pvk_port_cpu_id()];
}

void guest_smp_early_init(void)
{
	int rc;

	/* Every area knows its CPU from now on (a vCPU started by hand, as
	 * the failsafe test does, is given its area too). */
	for (unsigned int i = 0; i < PVK_MAX_CPUS; i++) {
		cpus[i].cpu = i;
		cpus[i].self = &cpus[i];
	}
	rc = pvk_write_msr_safe(PVK_MSR_GS_BASE, (unsigned long)&cpus[0]);
	if (rc) {
		guest_printf("smp: set_segment_base(GS_KERNEL) = %d\n", rc);
		pvk_port_panic("smp: cannot set CPU 0's GS base");
	}
	PVK_WRITE_ONCE(gs_ready, true);
}

bool guest_smp_started(void)
{
	return PVK_READ_ONCE(smp_started);
}

const void *guest_smp_area(void)
{
	const void *self;

	if (!PVK_READ_ONCE(gs_ready))
		return this_cpu();
	__asm__ __volatile__("movq %%gs:8, %0" : "=r"(self));
	return self;
}

const void *guest_smp_area_of(unsigned int cpu)
{
	return cpu < PVK_MAX_CPUS ? &cpus[cpu] : NULL;
}

int guest_smp_cpu_stats(unsigned int cpu, struct guest_smp_cpu_stats *out)
{
	if (cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	*out = cpus[cpu].stats;
	return 0;
}

/* ---- the IPIs of the guest --------------------------------------------- */

/* Both only count: the event itself ended the target's halt or poll, and
 * the work runs in thread context. */
static void ipi_run(unsigned int kind, void *arg)
{
	(void)kind;
	(void)arg;
	this_cpu()->stats.run_ipis++;
}

static void ipi_wake(unsigned int kind, void *arg)
{
	(void)kind;
	(void)arg;
	this_cpu()->stats.wake_ipis++;
}

void guest_smp_kick(const struct pvk_cpumask *cpus_to_wake)
{
	/* An offline CPU sleeps nowhere: -ENODEV for it is fine. */
	(void)pvk_smp_send_ipi_mask(cpus_to_wake, GUEST_IPI_WAKE);
}

/* ---- running work on a CPU --------------------------------------------- */

/* Thread context, irqs on: the requests queued here, oldest first. */
static void serve(struct guest_cpu *c)
{
	struct guest_smp_run *r;
	unsigned int caller;

	if (c->serving)
		return;
	c->serving = true;
	for (;;) {
		pvk_port_lock(&c->run_lock);
		r = c->run_head;
		if (r) {
			c->run_head = r->next;
			if (!r->next)
				c->run_tail = NULL;
			PVK_WRITE_ONCE(r->state, RUN_RUNNING);
		}
		pvk_port_unlock(&c->run_lock);
		if (!r)
			break;
		caller = r->caller;
		r->fn(r->arg);
		c->stats.runs++;
		/* r may be gone once DONE is seen: read nothing of it after. */
		__atomic_store_n(&r->state, RUN_DONE, __ATOMIC_RELEASE);
		if (caller != c->cpu)
			(void)pvk_smp_send_ipi(caller, GUEST_IPI_WAKE);
	}
	c->serving = false;
}

int guest_smp_run_on_start(struct guest_smp_run *r, unsigned int cpu,
			   void (*fn)(void *arg), void *arg)
{
	struct guest_cpu *c;
	bool ok;
	int rc;

	memset(r, 0, sizeof(*r));
	r->fn = fn;
	r->arg = arg;
	r->cpu = cpu;
	r->caller = pvk_port_cpu_id();
	if (cpu >= PVK_MAX_CPUS || !guest_smp_started() || !pvk_smp_cpu_online(cpu)) {
		r->state = RUN_FAILED;
		return -PVK_XEN_ENODEV;
	}
	if (cpu == r->caller) {	/* here and now: no queue, no nesting */
		fn(arg);
		r->state = RUN_DONE;
		return 0;
	}
	c = &cpus[cpu];
	pvk_port_lock(&c->run_lock);
	ok = c->accepting;
	if (ok) {
		r->state = RUN_QUEUED;
		if (c->run_tail)
			c->run_tail->next = r;
		else
			c->run_head = r;
		c->run_tail = r;
	}
	pvk_port_unlock(&c->run_lock);
	if (!ok) {
		r->state = RUN_FAILED;
		return -PVK_XEN_ENODEV;
	}
	rc = pvk_smp_send_ipi(cpu, GUEST_IPI_RUN);
	if (rc)	/* went offline meanwhile: its queue was failed or will be */
		guest_printf("smp: run_on: IPI to CPU %u: %d\n", cpu, rc);
	return 0;
}

static bool run_finished(void *arg)
{
	struct guest_smp_run *r = arg;
	unsigned int state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);

	return state == RUN_DONE || state == RUN_FAILED ||
	       PVK_READ_ONCE(this_cpu()->run_head);
}

/* Waits for r, serving this CPU's own queue; true if r finished. The
 * deadline is on the pvops clock (pvk_time_now_ns() is 0 natively). */
static bool wait_served(struct guest_smp_run *r, uint64_t deadline)
{
	struct pvk_wait w;

	pvk_port_wait_init(&w);
	for (;;) {
		unsigned int state;
		uint64_t now;

		serve(this_cpu());
		state = __atomic_load_n(&r->state, __ATOMIC_ACQUIRE);
		if (state == RUN_DONE || state == RUN_FAILED)
			return true;
		now = pvk_clock_ns();
		if (now >= deadline)
			return false;
		/* Woken by the server's GUEST_IPI_WAKE (or work for us). */
		pvk_port_wait_until(&w, run_finished, r, deadline - now);
	}
}

int guest_smp_run_on_wait(struct guest_smp_run *r, uint64_t timeout_ns)
{
	struct guest_cpu *c;
	unsigned long off = 0;
	unsigned int state;
	bool taken = false;
	const char *fn;

	if (r->state == RUN_FAILED)
		return -PVK_XEN_ENODEV;
	if (wait_served(r, pvk_clock_ns() + timeout_ns))
		return r->state == RUN_DONE ? 0 : -PVK_XEN_ENODEV;
	/* Not finished: take it back unless it started. */
	c = &cpus[r->cpu];
	pvk_port_lock(&c->run_lock);
	state = r->state;
	if (state == RUN_QUEUED) {
		struct guest_smp_run **pp = &c->run_head, *prev = NULL;

		/*
		 * die() marks what it empties under this lock, so a queued
		 * request is in the queue; the walk stops at the end anyway,
		 * and "not there" counts as already failed.
		 */
		while (*pp && *pp != r) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp) {
			*pp = r->next;
			if (c->run_tail == r)
				c->run_tail = prev;
		}
		r->state = RUN_FAILED;
		taken = true;
	}
	pvk_port_unlock(&c->run_lock);
	if (taken) {
		guest_printf("smp: run_on: CPU %u did not start the work in %llu ms\n",
			     r->cpu, (unsigned long long)(timeout_ns / 1000000));
		return -PVK_XEN_ETIMEDOUT;
	}
	/* die() failed it just after our deadline: the CPU went down. */
	if (state == RUN_FAILED)
		return -PVK_XEN_ENODEV;
	if (wait_served(r, pvk_clock_ns() + RUN_STUCK_NS))
		return 0;
	fn = guest_symbol((unsigned long)r->fn, &off);
	guest_printf("smp: CPU %u is stuck in %s+0x%lx (run_on from CPU %u)\n",
		     r->cpu, fn ? fn : "?", off, r->caller);
	pvk_port_panic("smp: run_on: a CPU never finished its work");
}

int guest_smp_run_on(unsigned int cpu, void (*fn)(void *arg), void *arg,
		     uint64_t timeout_ns)
{
	struct guest_smp_run r;
	int rc = guest_smp_run_on_start(&r, cpu, fn, arg);

	if (rc)
		return rc;
	return guest_smp_run_on_wait(&r, timeout_ns);
}

/* ---- bring-up, idle, hotplug ------------------------------------------- */

/* cpu_down's request, seen by the idle loop: refuse and fail the work. */
static __pvk_noreturn void die(struct guest_cpu *c)
{
	struct guest_smp_run *r, *next;
	uint64_t callers = 0;
	unsigned int cpu;

	/*
	 * Each request is marked failed under the lock: a caller taking its
	 * request back after a timeout then sees RUN_FAILED, never a
	 * RUN_QUEUED request missing from an emptied queue. Once marked, the
	 * request may be gone (it lives on its caller's stack), so its
	 * caller and next are read first; the wake-ups go out after the
	 * unlock.
	 */
	pvk_port_lock(&c->run_lock);
	c->accepting = false;
	for (r = c->run_head; r; r = next) {
		next = r->next;
		callers |= 1ULL << r->caller;
		__atomic_store_n(&r->state, RUN_FAILED, __ATOMIC_RELEASE);
	}
	c->run_head = c->run_tail = NULL;
	pvk_port_unlock(&c->run_lock);
	for (cpu = 0; callers; cpu++, callers >>= 1)
		if (callers & 1)
			(void)pvk_smp_send_ipi(cpu, GUEST_IPI_WAKE);
	PVK_WRITE_ONCE(c->die, false);
	c->stats.stops++;
	pvk_irq_disable();
	pvk_smp_cpu_die_here();
}

static __pvk_noreturn void cpu_entry(unsigned long arg)
{
	struct guest_cpu *c = &cpus[arg];

	pvk_smp_cpu_up_here();
	/* On Xen the trap table and callbacks came with the context,
	 * natively the IDT is the boot CPU's: nothing more to load. */
	if (pvk_port_cpu_id() != arg)
		pvk_port_panic("smp: a started CPU does not know its number");
	c->stats.starts++;
	pvk_port_lock(&c->run_lock);
	c->accepting = true;
	pvk_port_unlock(&c->run_lock);
	for (;;) {
		pvk_irq_disable();
		if (PVK_READ_ONCE(c->die))
			die(c);
		if (PVK_READ_ONCE(c->run_head)) {
			pvk_irq_enable();
			serve(c);
			continue;
		}
		pvk_safe_halt();	/* enables irqs: the IPI wakes it */
		c->stats.halts++;
	}
}

/* The stack of cpu, kept for its later starts. */
static int cpu_stack(struct guest_cpu *c)
{
	uint8_t *base;

	if (c->stack_top)
		return 0;
	/* Consecutive pages come only from a range's untouched end: at boot
	 * (guest_smp_reserve_stacks()) there is always one. */
	base = guest_pages_alloc_contig(STACK_PAGES + 1);
	if (!base)
		return -PVK_XEN_ENOMEM;
	/* The lowest page is the guard. A 1:1 page of ours that no other
	 * CPU has used yet: the local invlpg of make_readonly is enough. */
	if (guest_world->guard_page(base))
		guest_printf("smp: CPU %u: no guard page below its stack\n", c->cpu);
	c->stack_top = (unsigned long)base + (STACK_PAGES + 1) * PVK_PAGE_SIZE;
	return 0;
}

void guest_smp_reserve_stacks(void)
{
	for (unsigned int cpu = 1; cpu < PVK_MAX_CPUS; cpu++) {
		/* -ENOENT: the domain has no such vCPU (and none above). */
		if (pvk_hyp_vcpu_op(PVK_VCPUOP_is_up, cpu, NULL) < 0)
			break;
		if (cpu_stack(&cpus[cpu]))
			pvk_port_panic("smp: no pages for the CPUs' stacks at boot");
	}
}

/*
 * A late start, for the test of a start that timed out: the entry holds
 * back before its first kit call until the test lets it go (bounded), as
 * a vCPU Xen runs too late, so that the kit's start times out first.
 * On Xen it runs with a per-CPU area of its own (late_area[cpu], a copy
 * of the CPU's: same number), which the test overwrites once the CPU is
 * seen down, as smp.h allows: a restarted vCPU that read it before
 * loading the next start's GS base would find garbage there.
 */
static struct guest_cpu late_area[PVK_MAX_CPUS];
#define LATE_MAX_NS	(30ULL * 1000 * 1000 * 1000)
static bool late_go;
static unsigned int late_arrivals;

static __pvk_noreturn void cpu_entry_late(unsigned long arg)
{
	uint64_t until = pvk_clock_ns() + LATE_MAX_NS;

	while (!__atomic_load_n(&late_go, __ATOMIC_ACQUIRE) &&
	       (int64_t)(pvk_clock_ns() - until) < 0) {
		guest_world->cpu_relax();	/* on Xen a yield: the starter may need this physical CPU */
	}
	__atomic_fetch_add(&late_arrivals, 1, __ATOMIC_RELEASE);
	cpu_entry(arg);
}

static int cpu_up_at(unsigned int cpu, void (*entry)(unsigned long arg),
		     struct guest_cpu *area)
{
	struct guest_cpu *c = &cpus[cpu];
	struct pvk_cpu_boot boot = { .entry = entry, .arg = cpu };
	int rc;

	if (cpu == 0 || cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	rc = cpu_stack(c);
	if (rc)
		return rc;
	boot.stack_top = c->stack_top;
	boot.gs_base = guest_world->gs_is_cpu_area ? (unsigned long)area : 0;
	PVK_WRITE_ONCE(c->die, false);
	return pvk_smp_cpu_start(cpu, &boot);
}

static int cpu_up(unsigned int cpu, void *arg)
{
	(void)arg;
	return cpu_up_at(cpu, cpu_entry, &cpus[cpu]);
}

int guest_smp_stack_poison(unsigned int cpu)
{
	struct guest_cpu *c;

	if (cpu == 0 || cpu >= PVK_MAX_CPUS || !cpus[cpu].stack_top || pvk_smp_cpu_online(cpu))
		return -PVK_XEN_EINVAL;
	c = &cpus[cpu];
	/* Non-canonical as an address: a return through it faults. */
	__builtin_memset((void *)(c->stack_top - STACK_PAGES * PVK_PAGE_SIZE), 0xa5,
			 STACK_PAGES * PVK_PAGE_SIZE);
	return 0;
}

int guest_smp_late_area_poison(unsigned int cpu)
{
	if (cpu == 0 || cpu >= PVK_MAX_CPUS || pvk_smp_cpu_online(cpu))
		return -PVK_XEN_EINVAL;
	/* Its number becomes 0xa5a5a5a5: far past any CPU. */
	__builtin_memset(&late_area[cpu], 0xa5, sizeof(late_area[cpu]));
	return 0;
}

int guest_smp_cpu_up_late(unsigned int cpu)
{
	if (cpu == 0 || cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	__atomic_store_n(&late_go, false, __ATOMIC_RELEASE);
	__builtin_memset(&late_area[cpu], 0, sizeof(late_area[cpu]));
	late_area[cpu].cpu = cpu;
	late_area[cpu].self = &late_area[cpu];
	return cpu_up_at(cpu, cpu_entry_late, &late_area[cpu]);
}

void guest_smp_late_release(void)
{
	__atomic_store_n(&late_go, true, __ATOMIC_RELEASE);
}

unsigned int guest_smp_late_arrivals(void)
{
	return __atomic_load_n(&late_arrivals, __ATOMIC_ACQUIRE);
}

static int cpu_down(unsigned int cpu, void *arg)
{
	(void)arg;
	if (cpu == 0 || cpu >= PVK_MAX_CPUS)
		return -PVK_XEN_EINVAL;
	PVK_WRITE_ONCE(cpus[cpu].die, true);
	return pvk_smp_send_ipi(cpu, GUEST_IPI_RUN);
}

/* Up and taking work: the kit counts the CPU online in
 * pvk_smp_cpu_up_here(), a moment before cpu_entry() accepts runs, and a
 * caller's guest_smp_run_on() in that moment would be refused (seen
 * natively with 4 CPUs). Bounded on the kit's clock source. */
int guest_smp_cpu_up(unsigned int cpu)
{
	int rc = cpu_up(cpu, NULL);
	uint64_t t0 = pvk_clock_ns();

	while (!rc && !__atomic_load_n(&cpus[cpu].accepting, __ATOMIC_ACQUIRE)) {
		if (pvk_clock_ns() - t0 > PVK_SMP_START_TIMEOUT_NS)
			return -PVK_XEN_ETIMEDOUT;
		__asm__ __volatile__("pause" ::: "memory");
	}
	return rc;
}

int guest_smp_cpu_down(unsigned int cpu)
{
	int rc = cpu_down(cpu, NULL);

	if (rc)
		return rc;
	rc = pvk_smp_cpu_wait_down(cpu, PVK_SMP_START_TIMEOUT_NS);
	/* Not down in time: the request taken back, so that a CPU still up
	 * stays up rather than leave later behind its caller's back (one
	 * already on its way down goes down all the same: then offline). */
	if (rc)
		PVK_WRITE_ONCE(cpus[cpu].die, false);
	return rc;
}

#ifdef CONFIG_PVK_XENBUS
static const struct pvk_smp_hotplug_ops hotplug_ops = {
	.cpu_up = cpu_up,
	.cpu_down = cpu_down,
};
#endif

void guest_smp_start_all(void)
{
	static bool tried;
	bool follow = false;
	int rc;

	if (tried)
		return;
	tried = true;
	guest_world->smp_prepare();
	for (unsigned int i = 0; i < PVK_MAX_CPUS; i++) {
		cpus[i].cpu = i;
		cpus[i].self = &cpus[i];
		pvk_port_lock_init(&cpus[i].run_lock);
	}
	rc = pvk_smp_init();
	if (rc) {
		guest_printf("smp: pvk_smp_init: %d\n", rc);
		pvk_port_panic("smp: the kit's SMP set-up failed");
	}
	if (pvk_smp_set_ipi_handler(GUEST_IPI_RUN, ipi_run, NULL) ||
	    pvk_smp_set_ipi_handler(GUEST_IPI_WAKE, ipi_wake, NULL))
		pvk_port_panic("smp: cannot set the guest's IPI handlers");
	PVK_WRITE_ONCE(smp_started, true);
#ifdef CONFIG_PVK_XENBUS
	/* The toolstack says which vCPUs are online (cpu/N/availability). */
	if (guest_world->vcpu_hotplug && pvk_smp_nr_possible() > 1) {
		rc = pvk_smp_hotplug_start(&hotplug_ops);
		if (rc)
			guest_printf("smp: hotplug watch: %d; starting every CPU\n", rc);
		follow = !rc;
	}
#endif
	for (unsigned int cpu = 1; !follow && cpu < pvk_smp_nr_possible(); cpu++) {
		rc = cpu_up(cpu, NULL);
		if (rc)
			guest_printf("smp: CPU %u did not start: %d\n", cpu, rc);
	}
	guest_printf("smp: %u CPUs online (%s)%s\n", pvk_smp_nr_online(),
		     pvk_pvops_name(), follow ? ", following vCPU hotplug" : "");
}
