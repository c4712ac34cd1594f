/*
 * tests/guest/cases/smp_core.c - smp/'s IPIs, cross-CPU calls, TLB
 * shootdowns and the concurrent xenstore client, on the CPUs the guest
 * started (Xen VCPUS=4, native -smp 4). With one CPU online each runs on
 * CPU 0 alone (its IPI to itself, its call to itself, its own TLB, its
 * own xenstore requests): a one-vCPU domain must pass them too.
 *
 *   smp_core_ipi_round_trip   an IPI to each other online CPU, whose
 *                             handler answers with an IPI back: the
 *                             handler ran on the target, the answer on
 *                             CPU 0; an IPI to a possible but offline CPU
 *                             must be refused, but no scenario runs it with
 *                             one (guest-smp has 4 of 4 online, guest-vcpu-set
 *                             runs it back at 4): the refusal is checked by
 *                             smp_vcpu_set at 2 of 4
 *   smp_core_call_matrix      pvk_smp_call() of every online CPU to every
 *                             online CPU (from each CPU in turn, through
 *                             guest_smp_run_on): each fn ran once where it
 *                             was sent, with irqs off
 *   smp_core_call_mutual      two CPUs call each other at the same moment:
 *                             both calls return 0 (each serves the other
 *                             while it waits)
 *   smp_core_flush_subset     (Xen) another CPU reads a mapping and
 *                             spins reading it; the mapping moves to
 *                             another page without a flush; after a flush
 *                             of a set with that CPU and a third one in
 *                             it, it reads the new page; with it not in
 *                             the set it may still read the old one
 *                             (printed); it must have read the old page
 *                             before a flush of it at least once (the
 *                             entry was cached)
 *   smp_core_xenstore_storm   every online CPU writes and reads back its
 *                             own keys at once: every request answered,
 *                             every value its own
 *
 * Functions run on other CPUs record what they saw; the checks are made
 * here on CPU 0.
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/xen.h>
#ifdef CONFIG_PVK_XENBUS
#include <pvkit/xenstore.h>
#endif

#include "../test.h"

#define SEC			(1000ULL * 1000 * 1000)
#define WAIT_NS			(3 * SEC)
/* Kinds of our own (the guest has 1-2, smp_native.c the last one). */
#define KIND_PING		4
#define KIND_PONG		5

/* The online CPUs but ours, in *others (maybe none); false (the test
 * failed) when SMP never started. */
static bool online_others(struct pvk_cpumask *others)
{
	guest_timer_prepare();	/* Xen: events on, CPUs started */
	if (!guest_smp_started()) {
		guest_test_fail(__FILE__, __LINE__, "SMP is not started");
		return false;
	}
	pvk_smp_online_mask(others);
	pvk_cpumask_clear(others, pvk_port_cpu_id());
	return true;
}

/* Polls cond (bounded) with irqs on, so that our own IPIs are taken. */
static bool wait_for(bool (*cond)(void *arg), void *arg, uint64_t timeout_ns)
{
	unsigned long flags = pvk_save_fl();
	uint64_t t0 = pvk_clock_ns();
	bool ok;

	pvk_irq_enable();
	while (!(ok = cond(arg)) && pvk_clock_ns() - t0 < timeout_ns)
		__asm__ __volatile__("pause" ::: "memory");
	pvk_restore_fl(flags);
	return ok;
}

/* ---- smp_core_ipi_round_trip ------------------------------------------ */

static struct {
	unsigned int origin;
	unsigned int ping_cpu[PVK_MAX_CPUS];	/* where ping n ran (+1) */
	unsigned int pings[PVK_MAX_CPUS];
	unsigned int pong_cpu;			/* where the last pong ran (+1) */
	unsigned int pongs;
	int pong_rc;
} rt;

static void ping(unsigned int kind, void *arg)
{
	unsigned int cpu = pvk_port_cpu_id();

	(void)kind;
	(void)arg;
	PVK_WRITE_ONCE(rt.ping_cpu[cpu], cpu + 1);
	__atomic_fetch_add(&rt.pings[cpu], 1, __ATOMIC_RELEASE);
	PVK_WRITE_ONCE(rt.pong_rc, pvk_smp_send_ipi(PVK_READ_ONCE(rt.origin), KIND_PONG));
}

static void pong(unsigned int kind, void *arg)
{
	(void)kind;
	(void)arg;
	PVK_WRITE_ONCE(rt.pong_cpu, pvk_port_cpu_id() + 1);
	__atomic_fetch_add(&rt.pongs, 1, __ATOMIC_RELEASE);
}

static bool pong_count(void *arg)
{
	return __atomic_load_n(&rt.pongs, __ATOMIC_ACQUIRE) >= *(unsigned int *)arg;
}

PVK_GUEST_TEST(smp_core_ipi_round_trip)
{
	struct pvk_cpumask others, online;
	unsigned int cpu, want = 0, self = pvk_port_cpu_id(), bad_cpu = PVK_MAX_CPUS;
	unsigned int ping_cpu = 0, pong_cpu = 0;
	int rc = 0, rc_ping, rc_pong, pong_rc = 0;

	if (!online_others(&others))
		return;
	/* Our own CPU too: an IPI to ourselves runs when we next take them
	 * (and is the whole test with one CPU online). */
	pvk_cpumask_set(&others, self);
	__builtin_memset(&rt, 0, sizeof(rt));
	rt.origin = self;
	rc_ping = pvk_smp_set_ipi_handler(KIND_PING, ping, NULL);
	rc_pong = pvk_smp_set_ipi_handler(KIND_PONG, pong, NULL);
	pvk_for_each_cpu(cpu, &others) {
		if (rc_ping || rc_pong)
			break;
		want++;
		rc = pvk_smp_send_ipi(cpu, KIND_PING);
		if (rc || !wait_for(pong_count, &want, WAIT_NS)) {
			guest_printf("smp core: CPU %u: send %d, pings %u, pongs %u\n", cpu, rc,
				     PVK_READ_ONCE(rt.pings[cpu]), PVK_READ_ONCE(rt.pongs));
			bad_cpu = cpu;
			break;
		}
		/* The ping ran on its target, the pong back on us: the first
		 * that did not is kept for the checks below. */
		ping_cpu = PVK_READ_ONCE(rt.ping_cpu[cpu]);
		pong_cpu = PVK_READ_ONCE(rt.pong_cpu);
		pong_rc = PVK_READ_ONCE(rt.pong_rc);
		if (ping_cpu != cpu + 1 || pong_cpu != self + 1 || pong_rc) {
			bad_cpu = cpu;
			break;
		}
	}
	/* The handlers go before any check can return. */
	pvk_smp_set_ipi_handler(KIND_PING, NULL, NULL);
	pvk_smp_set_ipi_handler(KIND_PONG, NULL, NULL);
	PVK_CHECK_RC(rc_ping, 0);
	PVK_CHECK_RC(rc_pong, 0);
	PVK_CHECK_RC(rc, 0);
	if (bad_cpu < PVK_MAX_CPUS) {
		PVK_CHECK_EQ(ping_cpu, bad_cpu + 1);
		PVK_CHECK_EQ(pong_cpu, self + 1);
		PVK_CHECK_RC(pong_rc, 0);
	}
	PVK_CHECK_EQ(PVK_READ_ONCE(rt.pongs), pvk_cpumask_weight(&others));
	pvk_for_each_cpu(cpu, &others)
		PVK_CHECK_EQ(PVK_READ_ONCE(rt.pings[cpu]), 1);
	/* Offline CPUs (if the domain has any) refuse IPIs. */
	pvk_smp_online_mask(&online);
	for (cpu = 0; cpu < pvk_smp_nr_possible(); cpu++)
		if (!pvk_cpumask_test(&online, cpu))
			PVK_CHECK_EQ(pvk_smp_send_ipi(cpu, KIND_PING), -PVK_XEN_ENODEV);
	guest_printf("smp core: IPI round trips to %u CPUs (ours included)\n",
		     pvk_cpumask_weight(&others));
}

/* ---- smp_core_call_matrix ------------------------------------------- */

static struct {
	unsigned int ran[PVK_MAX_CPUS][PVK_MAX_CPUS];	/* [caller][where] */
	unsigned int irqs_on[PVK_MAX_CPUS];		/* fn saw irqs on */
	int rc[PVK_MAX_CPUS];
	struct pvk_cpumask to;
} mx;

struct call_arg {
	unsigned int caller;
};

static void mark(void *arg)
{
	const struct call_arg *a = arg;
	unsigned int cpu = pvk_port_cpu_id();

	if (pvk_save_fl())
		__atomic_fetch_add(&mx.irqs_on[cpu], 1, __ATOMIC_RELAXED);
	__atomic_fetch_add(&mx.ran[a->caller][cpu], 1, __ATOMIC_RELEASE);
}

static void call_all(void *arg)
{
	struct call_arg a = { .caller = pvk_port_cpu_id() };

	(void)arg;
	mx.rc[a.caller] = pvk_smp_call(&mx.to, mark, &a, WAIT_NS);
}

PVK_GUEST_TEST(smp_core_call_matrix)
{
	struct pvk_cpumask others, online;
	unsigned int caller, cpu;

	if (!online_others(&others))
		return;
	__builtin_memset(&mx, 0, sizeof(mx));
	pvk_smp_online_mask(&online);
	mx.to = online;
	for (caller = 0; caller < PVK_MAX_CPUS; caller++) {
		if (!pvk_cpumask_test(&online, caller))
			continue;
		PVK_CHECK_RC(guest_smp_run_on(caller, call_all, NULL, 2 * WAIT_NS), 0);
		PVK_CHECK_RC(mx.rc[caller], 0);
		pvk_for_each_cpu(cpu, &online)
			PVK_CHECK_EQ(PVK_READ_ONCE(mx.ran[caller][cpu]), 1);
	}
	for (cpu = 0; cpu < PVK_MAX_CPUS; cpu++)
		PVK_CHECK_EQ(mx.irqs_on[cpu], 0);
	guest_printf("smp core: calls from each of %u CPUs to all ran once everywhere\n",
		     pvk_cpumask_weight(&online));
}

/* ---- smp_core_call_mutual ------------------------------------------- */

static struct {
	unsigned int a, b;
	int rc_a, rc_b;
	unsigned int ran_on_a, ran_on_b;
	unsigned int arrived;
} mu;

static void count_a(void *arg) { (void)arg; __atomic_fetch_add(&mu.ran_on_a, 1, __ATOMIC_RELEASE); }
static void count_b(void *arg) { (void)arg; __atomic_fetch_add(&mu.ran_on_b, 1, __ATOMIC_RELEASE); }

/*
 * a calls b and b calls a at the same moment, irqs off from before they
 * meet until after their calls: neither can take the other's IPI, so each
 * call returns only if its CPU serves the other's while it waits.
 */
static void rendezvous(void)
{
	uint64_t t0 = pvk_clock_ns();

	__atomic_fetch_add(&mu.arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&mu.arrived, __ATOMIC_SEQ_CST) < 2 &&
	       pvk_clock_ns() - t0 < WAIT_NS)
		__asm__ __volatile__("pause" ::: "memory");
}

static void call_from_a(void *arg)
{
	struct pvk_cpumask to = pvk_cpumask_of(mu.b);
	unsigned long flags = pvk_irq_save();

	(void)arg;
	rendezvous();
	mu.rc_a = pvk_smp_call(&to, count_b, NULL, WAIT_NS);
	pvk_restore_fl(flags);
}

static void call_from_b(void *arg)
{
	struct pvk_cpumask to = pvk_cpumask_of(mu.a);
	unsigned long flags = pvk_irq_save();

	(void)arg;
	rendezvous();
	mu.rc_b = pvk_smp_call(&to, count_a, NULL, WAIT_NS);
	pvk_restore_fl(flags);
}

PVK_GUEST_TEST(smp_core_call_mutual)
{
	struct guest_smp_run rb;
	struct pvk_cpumask others;
	uint64_t t0;

	if (!online_others(&others))
		return;
	__builtin_memset(&mu, 0, sizeof(mu));
	mu.a = pvk_port_cpu_id();
	if (pvk_cpumask_empty(&others)) {
		/* One CPU: a call to ourselves with irqs off runs at once. */
		struct pvk_cpumask self = pvk_cpumask_of(mu.a);
		unsigned long flags = pvk_irq_save();
		int rc = pvk_smp_call(&self, count_a, NULL, WAIT_NS);

		pvk_restore_fl(flags);
		PVK_CHECK_RC(rc, 0);
		PVK_CHECK_EQ(mu.ran_on_a, 1);
		return;
	}
	/* We are a (the test's CPU), the first other CPU is b. */
	mu.b = pvk_cpumask_next(&others, 0);
	for (unsigned int round = 0; round < 20; round++) {
		int rc_b;

		t0 = pvk_clock_ns();
		mu.arrived = 0;
		mu.rc_a = mu.rc_b = 1;
		PVK_CHECK_RC(guest_smp_run_on_start(&rb, mu.b, call_from_b, NULL), 0);
		call_from_a(NULL);
		rc_b = guest_smp_run_on_wait(&rb, 2 * WAIT_NS);
		PVK_CHECK_RC(rc_b, 0);
		PVK_CHECK_RC(mu.rc_a, 0);
		PVK_CHECK_RC(mu.rc_b, 0);
		if (!round)
			guest_printf("smp core: CPUs %u and %u called each other: %llu us\n",
				     mu.a, mu.b, (unsigned long long)((pvk_clock_ns() - t0) / 1000));
	}
	PVK_CHECK_EQ(mu.ran_on_a, 20);
	PVK_CHECK_EQ(mu.ran_on_b, 20);
}

/* ---- smp_core_flush_subset ------------------------------------------- */

#define MAGIC_OLD	0x4f4c442d50414745ULL	/* "OLD-PAGE" */
#define MAGIC_NEW	0x4e45572d50414745ULL	/* "NEW-PAGE" */
/* Xen: an L4 slot no other test uses (311). */
#define FLUSH_VA	0xffff9b8000000000UL
/* Member rounds per reader while no round has shown a stale entry yet. */
#define MEMBER_TRIES	4

static struct {
	unsigned long va;
	unsigned int phase;			/* 0 prime, 1 moved, 2 flushed */
	uint64_t seen[3][PVK_MAX_CPUS];		/* per phase */
	uint64_t done[3];			/* bit cpu: read in that phase */
} fs;

static uint64_t read_va(void)
{
	return *(volatile uint64_t *)fs.va;
}

/* On each other CPU: reads in each phase, spinning in between so that the
 * translation stays in this CPU's TLB (no hypercall, no block). */
static void spin_reader(void *arg)
{
	unsigned int cpu = pvk_port_cpu_id();
	uint64_t t0 = pvk_clock_ns();

	(void)arg;
	for (unsigned int phase = 0; phase < 3; phase++) {
		while (PVK_READ_ONCE(fs.phase) < phase) {
			if (pvk_clock_ns() - t0 > 3 * WAIT_NS)
				return;		/* CPU 0 gave up */
			(void)read_va();	/* keep it hot */
			__asm__ __volatile__("pause" ::: "memory");
		}
		fs.seen[phase][cpu] = read_va();
		__atomic_fetch_or(&fs.done[phase], 1ULL << cpu, __ATOMIC_RELEASE);
	}
}

struct phase_wait {
	unsigned int phase;
	uint64_t want;
};

static bool all_read(void *arg)
{
	const struct phase_wait *w = arg;

	return (__atomic_load_n(&fs.done[w->phase], __ATOMIC_ACQUIRE) & w->want) == w->want;
}

static int map_to(pvk_pfn_t to)
{
	struct pvk_mmu_va_update u = {
		.va = fs.va,
		.pte = pvk_pte(pvk_pfn_to_mfn(to), PVK_PTE_KERNEL_RW),
	};

	/* No flush flag: only the TLBs we flush later forget the old page. */
	return pvk_mmu_update_va_run(&u, 1, PVK_UVMF_NONE);
}

/*
 * One round: reader r caches the mapping and spins; the mapping moves to
 * the new page without a flush; then a flush of flush_set; r reads again.
 * seen[1] (before the flush) and seen[2] (after) are r's reads.
 */
static int flush_round(unsigned int r, const struct pvk_cpumask *flush_set,
		       pvk_pfn_t first)
{
	struct pvk_cpumask all;
	struct guest_smp_run run;
	struct phase_wait w = { .phase = 0, .want = 1ULL << r };
	int rc, wrc;

	/* Start from the old page everywhere. */
	pvk_smp_online_mask(&all);
	rc = map_to(first);
	if (!rc)
		rc = pvk_smp_flush_tlb(&all, fs.va);
	if (rc)
		return rc;
	PVK_WRITE_ONCE(fs.phase, 0);
	__builtin_memset(fs.done, 0, sizeof(fs.done));
	rc = guest_smp_run_on_start(&run, r, spin_reader, NULL);
	if (rc)
		return rc;
	if (!wait_for(all_read, &w, WAIT_NS))
		rc = -PVK_XEN_ETIMEDOUT;
	if (!rc)
		rc = map_to(pvk_pfn(pvk_pfn_raw(first) + 1));
	if (!rc) {
		PVK_WRITE_ONCE(fs.phase, 1);
		w.phase = 1;
		if (!wait_for(all_read, &w, WAIT_NS))
			rc = -PVK_XEN_ETIMEDOUT;
	}
	if (!rc)
		rc = pvk_smp_flush_tlb(flush_set, fs.va);
	PVK_WRITE_ONCE(fs.phase, 2);
	w.phase = 2;
	if (!rc && !wait_for(all_read, &w, WAIT_NS))
		rc = -PVK_XEN_ETIMEDOUT;
	wrc = guest_smp_run_on_wait(&run, 4 * WAIT_NS);
	return rc ? rc : wrc;
}

/*
 * Per other CPU r, two rounds with r the only reader (so that it keeps
 * its physical CPU and its TLB while CPU 0 works): one flushing {0} only,
 * in which r may still read the old page (printed), and one flushing
 * {0, r, x} (x another CPU, when there is one: r is not always the
 * vcpumask's lowest or only remote bit), in which r must read the new
 * page. In at least one member round r must have read the old page
 * before the flush: else nothing shows the entry was ever cached, and
 * the new page after the flush proves nothing ("could not prove the TLB
 * held the entry"). While no member round has shown that yet, a reader
 * gets further member rounds, up to MEMBER_TRIES (with one other CPU, a
 * single chance lost to a descheduled vCPU failed it); every member round
 * must still read the new page after the flush.
 */
PVK_GUEST_TEST_XEN(smp_core_flush_subset)
{
	struct pvk_cpumask others, set;
	unsigned int r, cpu, stale_before = 0, stale_non_member = 0, rounds = 0;
	unsigned int stale_member_before = 0, stale_after_flush = 0, not_primed = 0;
	unsigned int wide_rounds = 0, member_rounds = 0;
	unsigned long avail;
	pvk_pfn_t first;
	int rc = 0, urc;

	if (!online_others(&others))
		return;
	guest_unmapped_pfns(&first, &avail);
	PVK_CHECK_GE(avail, 2);
	PVK_CHECK_RC(pvk_mmu_map_range(FLUSH_VA, first, 2, PVK_PTE_KERNEL_RW), 0);
	*(volatile uint64_t *)FLUSH_VA = MAGIC_OLD;
	*(volatile uint64_t *)(FLUSH_VA + PVK_PAGE_SIZE) = MAGIC_NEW;
	__builtin_memset(&fs, 0, sizeof(fs));
	fs.va = FLUSH_VA;
	if (pvk_cpumask_empty(&others)) {
		/* One CPU: our own TLB, flushed by a set of just us. */
		set = pvk_cpumask_of(pvk_port_cpu_id());
		rc = map_to(first);
		if (!rc)
			rc = pvk_smp_flush_tlb(&set, fs.va);
		if (!rc) {
			fs.seen[0][0] = read_va();
			rc = map_to(pvk_pfn(pvk_pfn_raw(first) + 1));
		}
		if (!rc) {
			fs.seen[1][0] = read_va();
			rc = pvk_smp_flush_tlb(&set, fs.va);
		}
		fs.seen[2][0] = read_va();
		PVK_CHECK_RC(pvk_mmu_unmap_range(FLUSH_VA, 2), 0);
		PVK_CHECK_RC(rc, 0);
		PVK_CHECK_EQ(fs.seen[0][0], MAGIC_OLD);
		PVK_CHECK_EQ(fs.seen[2][0], MAGIC_NEW);
		guest_printf("smp core: one CPU: %s page before its own flush, the new one after\n",
			     fs.seen[1][0] == MAGIC_OLD ? "still the old" : "already the new");
		return;
	}
	pvk_for_each_cpu(r, &others) {
		/* A second other CPU in the member round's set (when there is
		 * one): the reader is then not always the lowest or only
		 * remote bit of the vcpumask. It does not read. */
		unsigned int x = PVK_MAX_CPUS;

		pvk_for_each_cpu(cpu, &others)
			if (cpu != r && x == PVK_MAX_CPUS)
				x = cpu;
		/* Round 0: r not flushed; then member rounds, one more (up to
		 * MEMBER_TRIES) while none of the test has shown r holding
		 * the old entry: with one or two other CPUs there are few
		 * readers, and a vCPU descheduled on a loaded host loses its
		 * TLB. Each member round is a whole proof of its own. */
		for (unsigned int round = 0, member = 0; !rc &&
		     (round == 0 || round == 1 || (!stale_member_before && round <= MEMBER_TRIES));
		     round++) {
			member = round > 0;
			set = pvk_cpumask_of(pvk_port_cpu_id());
			if (member) {
				pvk_cpumask_set(&set, r);
				if (x < PVK_MAX_CPUS) {
					pvk_cpumask_set(&set, x);
					wide_rounds++;
				}
			}
			__builtin_memset(fs.seen, 0, sizeof(fs.seen));
			rc = flush_round(r, &set, first);
			if (rc)
				break;
			rounds++;
			if (fs.seen[0][r] != MAGIC_OLD)
				not_primed++;
			if (fs.seen[1][r] == MAGIC_OLD) {
				stale_before++;
				if (member)
					stale_member_before++;
			}
			if (member) {
				member_rounds++;
				if (fs.seen[2][r] != MAGIC_NEW) {
					guest_printf("smp core: CPU %u read the old page after a flush of it\n", r);
					stale_after_flush++;
				}
			} else if (fs.seen[2][r] == MAGIC_OLD) {
				stale_non_member++;
			}
		}
		if (rc)
			break;
	}
	/* The mapping goes before any check can return. */
	urc = pvk_mmu_unmap_range(FLUSH_VA, 2);
	guest_printf("smp core: %u flush rounds (%u as a member, %u with two other CPUs flushed): the reader had the old page before the flush in %u (%u as a member), a non-member still after it in %u of %u\n",
		     rounds, member_rounds, wide_rounds, stale_before, stale_member_before,
		     stale_non_member, pvk_cpumask_weight(&others));
	PVK_CHECK_RC(urc, 0);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(not_primed, 0);
	PVK_CHECK_EQ(stale_after_flush, 0);
	/* Without a stale read before the flush, reading the new page after
	 * it proves nothing: the entry may never have been cached. */
	if (!stale_member_before)
		guest_test_fail(__FILE__, __LINE__, "could not prove the TLB held the entry");
}

/* ---- smp_core_xenstore_storm ------------------------------------------ */

#ifdef CONFIG_PVK_XENBUS
#define STORM_ROUNDS	40

static struct {
	unsigned int ok[PVK_MAX_CPUS];
	int first_err[PVK_MAX_CPUS];
	unsigned int wrong[PVK_MAX_CPUS];
} st;

static void storm(void *arg)
{
	unsigned int cpu = pvk_port_cpu_id();
	char path[48], value[24], back[24];
	int rc;

	(void)arg;
	for (unsigned int i = 0; i < STORM_ROUNDS; i++) {
		pvk_snprintf(path, sizeof(path), "data/smp-core/cpu%u/k%u", cpu, i % 4);
		pvk_snprintf(value, sizeof(value), "v-%u-%u", cpu, i);
		rc = pvk_xs_write(PVK_XBT_NIL, path, value);
		if (!rc)
			rc = pvk_xs_read(PVK_XBT_NIL, path, back, sizeof(back));
		if (rc < 0) {
			if (!st.first_err[cpu])
				st.first_err[cpu] = rc;
			continue;
		}
		if (__builtin_strlen(back) != __builtin_strlen(value) ||
		    __builtin_memcmp(back, value, __builtin_strlen(value)))
			st.wrong[cpu]++;
		else
			st.ok[cpu]++;
	}
}

PVK_GUEST_TEST_XEN(smp_core_xenstore_storm)
{
	struct guest_smp_run runs[PVK_MAX_CPUS];
	int wrc[PVK_MAX_CPUS] = { 0 };
	struct pvk_cpumask others, ran = PVK_CPUMASK_NONE;
	struct pvk_xs_stats before, after;
	unsigned int cpu, self = pvk_port_cpu_id(), cpus = 1;

	if (!online_others(&others))
		return;
	__builtin_memset(&st, 0, sizeof(st));
	pvk_xs_get_stats(&before);
	pvk_for_each_cpu(cpu, &others)
		if (!guest_smp_run_on_start(&runs[cpu], cpu, storm, NULL))
			pvk_cpumask_set(&ran, cpu);
	storm(NULL);
	/* Every started request is waited for before any check returns:
	 * runs[] is on this stack. */
	pvk_for_each_cpu(cpu, &ran) {
		wrc[cpu] = guest_smp_run_on_wait(&runs[cpu], 60 * SEC);
		cpus++;
	}
	pvk_for_each_cpu(cpu, &ran)
		PVK_CHECK_RC(wrc[cpu], 0);
	pvk_xs_get_stats(&after);
	PVK_CHECK_EQ(ran.bits, others.bits);
	pvk_cpumask_set(&ran, self);
	pvk_for_each_cpu(cpu, &ran) {
		PVK_CHECK_RC(st.first_err[cpu], 0);
		PVK_CHECK_EQ(st.wrong[cpu], 0);
		PVK_CHECK_EQ(st.ok[cpu], STORM_ROUNDS);
	}
	/* Each request got its reply: none lost, none given to another. */
	PVK_CHECK_GE(after.requests - before.requests, 2ULL * STORM_ROUNDS * cpus);
	PVK_CHECK_GE(after.replies - before.replies, 2ULL * STORM_ROUNDS * cpus);
	PVK_CHECK_EQ(after.stray_replies, before.stray_replies);
	guest_printf("smp core: %u CPUs made %llu xenstore requests at once, most outstanding %llu\n",
		     cpus, (unsigned long long)(after.requests - before.requests),
		     (unsigned long long)after.max_outstanding);
	(void)pvk_xs_rm(PVK_XBT_NIL, "data/smp-core");
}
#endif
