/*
 * tests/guest/cases/smp_helpers.c - the SMP test files' shared helpers
 * (smp_helpers.h): SMP up or a skip, work on several CPUs at once, a
 * meeting point for it, a page-table walk.
 */
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "../test.h"
#include "smp_helpers.h"

unsigned int smp_case_online(void)
{
	guest_timer_prepare();	/* Xen: guest_events_enable() starts the CPUs */
	if (!guest_smp_started()) {
		if (guest_native_boot)
			guest_test_skip("the native boot did not start SMP");
		else
			guest_test_fail(__FILE__, __LINE__, "events are on but SMP did not start");
		return 0;
	}
	return pvk_smp_nr_online();
}

/* The meeting point of the current run: how many CPUs it has, how many
 * arrived. */
static unsigned int meet_want, meet_arrived;

int smp_case_run_on_each(const struct pvk_cpumask *cpus, void (*fn)(void *arg),
			 void *args, size_t stride, void (*go)(void), uint64_t timeout_ns)
{
	struct guest_smp_run runs[PVK_MAX_CPUS];
	int rcs[PVK_MAX_CPUS] = { 0 }, first = 0;
	unsigned int cpu, self = pvk_port_cpu_id();

	__atomic_store_n(&meet_want, pvk_cpumask_weight(cpus), __ATOMIC_SEQ_CST);
	__atomic_store_n(&meet_arrived, 0, __ATOMIC_SEQ_CST);
	pvk_for_each_cpu(cpu, cpus)
		if (cpu != self)
			rcs[cpu] = guest_smp_run_on_start(&runs[cpu], cpu, fn,
							  (char *)args + cpu * stride);
	if (go)
		go();
	if (pvk_cpumask_test(cpus, self))
		fn((char *)args + self * stride);
	pvk_for_each_cpu(cpu, cpus) {
		if (cpu != self && !rcs[cpu])
			rcs[cpu] = guest_smp_run_on_wait(&runs[cpu], timeout_ns);
		if (rcs[cpu] && !first) {
			first = rcs[cpu];
			guest_printf("smp: CPU %u: run_on: %d\n", cpu, first);
		}
	}
	return first;
}

int smp_case_run_everywhere(void (*fn)(void *arg), void *args, size_t stride,
			    uint64_t timeout_ns)
{
	struct pvk_cpumask online;

	pvk_smp_online_mask(&online);
	return smp_case_run_on_each(&online, fn, args, stride, NULL, timeout_ns);
}

bool smp_case_meet(uint64_t timeout_ns)
{
	uint64_t until = pvk_clock_ns() + timeout_ns;

	__atomic_fetch_add(&meet_arrived, 1, __ATOMIC_SEQ_CST);
	while (__atomic_load_n(&meet_arrived, __ATOMIC_SEQ_CST) <
	       __atomic_load_n(&meet_want, __ATOMIC_SEQ_CST)) {
		if ((int64_t)(pvk_clock_ns() - until) > 0)
			return false;
		__builtin_ia32_pause();
	}
	return true;
}

pvk_mfn_t smp_case_table_of(unsigned long va, unsigned int level)
{
	pvk_mfn_t t = pvk_mmu_kernel_base();

	for (unsigned int l = 4; l > level; l--) {
		const uint64_t *tv = guest_pfn_to_virt_or_null(pvk_mfn_to_pfn(t));
		uint64_t e = tv ? PVK_READ_ONCE(tv[pvk_pt_index(va, l)]) : 0;

		if (!(e & PVK_PTE_PRESENT))
			return pvk_mfn(PVK_INVALID_RAW_FRAME);
		t = pvk_pte_mfn(e);
	}
	return t;
}
