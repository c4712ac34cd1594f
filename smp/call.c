/*
 * smp/call.c - pvk_smp_call(): run a function on a set of CPUs and wait.
 *
 * Each calling CPU has one request slot (fn, arg, the CPUs still to run
 * it), and each target CPU a word of callers whose requests wait for it.
 * A caller fills its slot, sets its bit in each target's word, raises the
 * kit's IPI kind there, runs fn itself if it is a target, and polls its
 * slot until every target has cleared its bit. While it polls it serves
 * the requests waiting for its own CPU: two CPUs calling each other (or a
 * ring of them) each answer the other instead of deadlocking, even with
 * irqs off.
 *
 * A target takes its word with one exchange and runs each caller's fn in
 * turn. On a timeout the caller withdraws its bit from the targets that
 * had not taken it; a target that took it but has not finished keeps the
 * slot busy: the caller's next pvk_smp_call() first waits for it (and
 * fails if it is still running), so a slot is never rewritten under a CPU
 * that may still read it.
 *
 * A call whose bound is longer than CALL_SLOW_NS logs a warning (once)
 * when its targets have not answered by then: on an overcommitted host a
 * target vCPU may simply not be run for that long, which is worth seeing
 * but not yet a failure.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>

#include "smp_internal.h"

struct call_slot {
	void (*fn)(void *arg);
	void *arg;
	uint64_t todo;		/* targets that have not returned from fn */
} __attribute__((aligned(64)));

static struct call_slot slots[PVK_MAX_CPUS];	/* by calling CPU */
static struct {
	uint64_t callers;	/* bit c: slots[c] waits for this CPU */
} __attribute__((aligned(64))) inbox[PVK_MAX_CPUS];

void pvk_smp_call_serve(void)
{
	unsigned int cpu = pvk_port_cpu_id();
	uint64_t callers = __atomic_exchange_n(&inbox[cpu].callers, 0, __ATOMIC_ACQUIRE);
	struct pvk_smp_stats *st = pvk_smp_stats_of(cpu);

	while (callers) {
		unsigned int c = (unsigned int)__builtin_ctzll(callers);
		struct call_slot *s = &slots[c];

		callers &= callers - 1;
		s->fn(s->arg);
		pvk_smp_count(&st->calls_served);
		/* Release: fn's effects are visible when the caller sees it. */
		__atomic_fetch_and(&s->todo, ~(1ULL << cpu), __ATOMIC_RELEASE);
	}
}

bool pvk_smp_call_waiting(unsigned int cpu)
{
	return __atomic_load_n(&inbox[cpu].callers, __ATOMIC_SEQ_CST) != 0;
}

/* "1,3" for the CPUs of todo. */
static void cpu_list(char *list, size_t size, uint64_t todo)
{
	size_t n = 0;

	list[0] = '\0';
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS && n + 4 < size; cpu++)
		if (todo & (1ULL << cpu))
			n += (size_t)pvk_snprintf(list + n, size - n, "%s%u", n ? "," : "", cpu);
}

static void log_unanswered(const char *what, uint64_t todo, void (*fn)(void *))
{
	char list[PVK_MAX_CPUS * 4 + 1];

	cpu_list(list, sizeof(list), todo);
	pvk_err("smp: call of %p from CPU %u: %s: CPUs %s did not answer",
		(void *)fn, pvk_port_cpu_id(), what, list);
}

static void log_late(uint64_t todo, void (*fn)(void *), uint64_t left_ns)
{
	char list[PVK_MAX_CPUS * 4 + 1];

	cpu_list(list, sizeof(list), todo);
	pvk_warn("smp: call of %p from CPU %u: CPUs %s have not answered in 1 s (not run by the host?): waiting %llu ms more",
		 (void *)fn, pvk_port_cpu_id(), list,
		 (unsigned long long)(left_ns / 1000000));
}

/* Withdraws self's request from cpu's inbox; true if it was still there
 * (cpu never took it, so it will not run fn: its todo bit goes). A CPU
 * that took it with its exchange runs fn and clears the bit itself. */
static bool withdraw(struct call_slot *s, unsigned int self, unsigned int cpu)
{
	uint64_t was = __atomic_fetch_and(&inbox[cpu].callers, ~(1ULL << self),
					  __ATOMIC_ACQ_REL);

	if (!(was & (1ULL << self)))
		return false;
	__atomic_fetch_and(&s->todo, ~(1ULL << cpu), __ATOMIC_RELEASE);
	return true;
}

/* A call not answered after this long is logged once (see the top). */
#define CALL_SLOW_NS	(1000ULL * 1000 * 1000)

/* Polls until s->todo is 0, serving our own inbox; false on timeout.
 * slow (0: never) is when to warn that fn's targets are late.
 * A target that went offline meanwhile answered in its die_here if it
 * took the request, else never will: that one is withdrawn, not waited
 * for. */
static bool wait_answers(struct call_slot *s, unsigned int self, uint64_t deadline,
			 uint64_t slow)
{
	unsigned int spins = 0;
	uint64_t todo, now;

	while ((todo = __atomic_load_n(&s->todo, __ATOMIC_ACQUIRE))) {
		uint64_t gone = todo & ~pvk_smp_online_bits();

		while (gone) {
			withdraw(s, self, (unsigned int)__builtin_ctzll(gone));
			gone &= gone - 1;
		}
		pvk_smp_call_serve();
		now = pvk_clock_ns();
		if ((int64_t)(now - deadline) > 0)
			return !__atomic_load_n(&s->todo, __ATOMIC_ACQUIRE);
		if (slow && (int64_t)(now - slow) > 0) {
			slow = 0;
			log_late(todo, s->fn, deadline - now);
		}
		/* Short answers come within a few microseconds: spin a while
		 * before giving the physical CPU away. */
		if (++spins > 64)
			pvk_smp_relax();
		else
			__asm__ __volatile__("pause" ::: "memory");
	}
	return true;
}

int pvk_smp_call(const struct pvk_cpumask *cpus, void (*fn)(void *arg),
		 void *arg, uint64_t timeout_ns)
{
	uint64_t start = pvk_clock_ns(), deadline = start + timeout_ns;
	struct call_slot *s;
	unsigned int self;
	struct pvk_cpumask others;
	unsigned long flags;
	uint64_t late;
	unsigned int cpu;
	int rc = 0;

	if (!fn)
		return -PVK_XEN_EINVAL;
	flags = pvk_irq_save();
	/* Our CPU only now: with irqs on the caller could still move, and
	 * the slot and inbox bit must be this CPU's for the whole call. */
	self = pvk_port_cpu_id();
	s = &slots[self];
	/* A target of our last, timed-out call may still be running it. */
	if (!wait_answers(s, self, deadline, 0)) {
		log_unanswered("the previous call still runs there", s->todo, s->fn);
		pvk_restore_fl(flags);
		return -PVK_XEN_ETIMEDOUT;
	}
	others.bits = cpus->bits & pvk_smp_online_bits() & ~(1ULL << self);
	if (!pvk_cpumask_empty(&others)) {
		s->fn = fn;
		s->arg = arg;
		__atomic_store_n(&s->todo, others.bits, __ATOMIC_RELEASE);
		pvk_for_each_cpu(cpu, &others)
			__atomic_fetch_or(&inbox[cpu].callers, 1ULL << self, __ATOMIC_SEQ_CST);
		/* A CPU that went offline meanwhile answered in its die_here
		 * or never took the bit: the wait withdraws it. One the IPI
		 * could not reach (offline by now) is withdrawn at once. */
		if (pvk_smp_send_ipi_mask(&others, PVK_IPI_KIT))
			pvk_for_each_cpu(cpu, &others)
				if (!pvk_smp_cpu_online(cpu))
					withdraw(s, self, cpu);
	}
	if (pvk_cpumask_test(cpus, self) && pvk_smp_cpu_online(self)) {
		fn(arg);
		pvk_smp_count(&pvk_smp_stats_of(self)->calls_served);
	}
	if (!pvk_cpumask_empty(&others) &&
	    !wait_answers(s, self, deadline,
			  timeout_ns > CALL_SLOW_NS ? start + CALL_SLOW_NS : 0)) {
		/* Withdraw from the CPUs that did not take the request yet;
		 * those that took it finish it (the slot stays busy). The
		 * log names the CPUs withdrawn from and those still running
		 * fn, not ones that answered after the deadline. */
		late = 0;
		pvk_for_each_cpu(cpu, &others)
			if (withdraw(s, self, cpu))
				late |= 1ULL << cpu;
		late |= __atomic_load_n(&s->todo, __ATOMIC_ACQUIRE);
		if (!late) {
			pvk_restore_fl(flags);
			return 0;	/* every one answered meanwhile */
		}
		log_unanswered("timed out", late, fn);
		rc = -PVK_XEN_ETIMEDOUT;
	}
	pvk_restore_fl(flags);
	return rc;
}
