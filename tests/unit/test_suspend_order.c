/*
 * tests/unit/test_suspend_order.c - the order of pvk_suspend()'s steps
 * after the hypercall (suspend/suspend.c): in a new domain the parts'
 * resume, then xenstore's rewatch, then the host's after(); cancelled,
 * no rewatch (review s13-int S3, s13-blkfast N7). The rewatch after the
 * parts is a speed choice (their new rings are published first, their
 * backends connect meanwhile); pvk_xs_watch() copes with it (review
 * s13-int S1, tests/unit/xs_island/).
 *
 * suspend.c is included here with its exported names and every kit call
 * it makes changed to this file's recording stand-ins (test_suspend.c
 * keeps its own, which must not be reached), so the whole sequence runs
 * on the host: the one hypercall made in place (SCHEDOP_shutdown) is a
 * stand-in too, answering 0 (new domain) or 1 (cancelled). What each step
 * does to Xen is proved on Xen (tests/guest/cases/suspend.c); here only
 * the order in which they are called.
 */
#include <string.h>

#define pvk_suspend			ord_suspend
#define pvk_suspend_available		ord_suspend_available
#define pvk_suspend_get_stats		ord_suspend_get_stats
#define pvk_suspend_init		ord_suspend_init
#define pvk_suspend_parts_out_ns	ord_suspend_parts_out_ns
#define pvk_suspend_register		ord_suspend_register
#define pvk_suspend_request		ord_suspend_request

#define pvk_evtchn_rebind_all		ord_evtchn_rebind_all
#define pvk_evtchn_resume		ord_evtchn_resume
#define pvk_grant_resume		ord_grant_resume
#define pvk_grant_suspend		ord_grant_suspend
#define pvk_hyp_update_va_mapping	ord_hyp_update_va_mapping
#define pvk_hyp_vcpu_op			ord_hyp_vcpu_op
#define pvk_mfn_to_pfn			ord_mfn_to_pfn
#define pvk_pfn_to_mfn			ord_pfn_to_mfn
#define pvk_mmu_cpu_base_set		ord_mmu_cpu_base_set
#define pvk_mmu_kernel_base		ord_mmu_kernel_base
#define pvk_p2m_nr_pages		ord_p2m_nr_pages
#define pvk_p2m_publish			ord_p2m_publish
#define pvk_p2m_published		ord_p2m_published
#define pvk_p2m_republish		ord_p2m_republish
#define pvk_port_virt_to_pfn		ord_port_virt_to_pfn
#define pvk_time_now_ns			ord_time_now_ns
#define pvk_time_rebase			ord_time_rebase
#define pvk_time_resume			ord_time_resume
#define pvk_time_suspend		ord_time_suspend
#define pvk_xen_console_early_set_port	ord_console_early_set_port
#define pvk_xen_console_flush		ord_console_flush
#define pvk_xen_shared_info		ord_shared_info
#define pvk_xen_smp_resume		ord_smp_resume
#define pvk_xen_vcpu_info		ord_vcpu_info
#define pvk_xs_resume			ord_xs_resume
#define pvk_xs_rewatch_all		ord_xs_rewatch_all
#define pvk_xs_suspend			ord_xs_suspend
#define pvk_xs_suspend_cancel		ord_xs_suspend_cancel

#include <pvkit/hypercall.h>
#include <pvkit/pvops.h>

#define pvk_irq_save			ord_irq_save
#define pvk_restore_fl			ord_restore_fl
#undef pvk_hypercall3
#define pvk_hypercall3(nr, a1, a2, a3)	ord_hypercall3(nr, a1, a2, a3)

static long ord_hypercall3(unsigned int nr, unsigned int cmd, void *arg, uint64_t si_mfn);
static unsigned long ord_irq_save(void);
static void ord_restore_fl(unsigned long flags);

#include "suspend/suspend.c"

#include "unit.h"

/* The sequence as called: one letter a step, in order. */
static char seq[64];
static long sched_rc;		/* SCHEDOP_shutdown's answer */

static void step(char c)
{
	size_t n = strlen(seq);

	CHECK(n + 1 < sizeof(seq));
	if (n + 1 < sizeof(seq))
		seq[n] = c;
}

static struct pvk_shared_info shared;
static struct pvk_start_info si = { .store_mfn = 5, .console.domU.mfn = 6 };

static long ord_hypercall3(unsigned int nr, unsigned int cmd, void *arg, uint64_t si_mfn)
{
	(void)arg; (void)si_mfn;
	CHECK_EQ(nr, PVK_HYPERVISOR_sched_op);
	CHECK_EQ(cmd, PVK_SCHEDOP_shutdown);
	step('H');
	return sched_rc;
}
static unsigned long ord_irq_save(void) { return 0; }
static void ord_restore_fl(unsigned long flags) { (void)flags; }

int ord_evtchn_rebind_all(void) { return 0; }
int ord_evtchn_resume(const pvk_evtchn_port_t *given, unsigned int nr_given)
{
	(void)given; (void)nr_given;
	return 0;
}
int ord_grant_resume(void) { return 0; }
int ord_grant_suspend(void) { return 0; }
long ord_hyp_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
	(void)va; (void)pte; (void)flags;
	return 0;
}
long ord_hyp_vcpu_op(int cmd, unsigned int vcpu, void *arg)
{
	(void)cmd; (void)vcpu; (void)arg;
	return 0;
}
/* One frame numbering: a pfn is its mfn. */
pvk_pfn_t ord_mfn_to_pfn(pvk_mfn_t mfn) { return pvk_pfn(pvk_mfn_raw(mfn)); }
pvk_mfn_t ord_pfn_to_mfn(pvk_pfn_t pfn) { return pvk_mfn(pvk_pfn_raw(pfn)); }
void ord_mmu_cpu_base_set(unsigned int cpu, pvk_mfn_t l4) { (void)cpu; (void)l4; }
pvk_mfn_t ord_mmu_kernel_base(void) { return pvk_mfn(7); }
unsigned long ord_p2m_nr_pages(void) { return 64; }
int ord_p2m_publish(struct pvk_shared_info *s) { (void)s; return 0; }
bool ord_p2m_published(void) { return true; }
int ord_p2m_republish(struct pvk_shared_info *s) { (void)s; return 0; }
pvk_pfn_t ord_port_virt_to_pfn(const void *va) { (void)va; return pvk_pfn(8); }
uint64_t ord_time_now_ns(void) { return 0; }
uint64_t ord_time_rebase(void) { return 0; }
int ord_time_resume(bool new_domain) { (void)new_domain; return 0; }
void ord_time_suspend(void) { }
void ord_console_early_set_port(uint32_t port) { (void)port; }
bool ord_console_flush(void) { return true; }
struct pvk_shared_info *ord_shared_info(void) { return &shared; }
int ord_smp_resume(void) { return 0; }
struct pvk_vcpu_info *ord_vcpu_info(unsigned int cpu) { (void)cpu; return NULL; }
int ord_xs_resume(pvk_evtchn_port_t port, uint64_t *lost)
{
	(void)port;
	*lost = 0;
	step('X');
	return 0;
}
int ord_xs_rewatch_all(void)
{
	step('W');
	return 0;
}
int ord_xs_suspend(uint64_t timeout_ns)
{
	(void)timeout_ns;
	step('S');
	return 0;
}
void ord_xs_suspend_cancel(void) { step('C'); }

static void part_quiesce(void *arg) { (void)arg; step('Q'); }
static void part_resume(enum pvk_suspend_result result, void *arg)
{
	(void)arg; (void)result;
	step('P');
}
static enum pvk_suspend_result after_result;
static void host_after(enum pvk_suspend_result result, void *arg)
{
	(void)arg;
	after_result = result;
	step('A');
}

static void run(long rc, const char *want, enum pvk_suspend_result result)
{
	static struct pvk_suspend_part part = {
		.name = "order", .quiesce = part_quiesce, .resume = part_resume,
	};
	const struct pvk_suspend_host host = { .start_info = &si, .after = host_after };

	memset(seq, 0, sizeof(seq));
	sched_rc = rc;
	si.store_mfn = 5;
	si.console.domU.mfn = 6;
	CHECK_EQ(ord_suspend_init(&host), 0);
	CHECK_EQ(pvk_smp_init(), 0);
	CHECK_EQ(ord_suspend_register(&part), 0);
	CHECK_EQ(ord_suspend(), (int)result);
	CHECK_STR(seq, want);
	CHECK_EQ(after_result, result);
}

/* New domain: quiesce, xenstore's, the hypercall, xenstore on the new
 * port, then the parts, the rewatch, after(). */
UNIT_TEST(suspend_new_domain_resumes_parts_then_rewatches_then_after)
{
	run(0, "QSHXPWA", PVK_SUSPEND_RESUMED);
}

/* Cancelled: the same xenstored kept every watch: no rewatch. */
UNIT_TEST(suspend_cancelled_resumes_parts_then_after_without_rewatch)
{
	run(1, "QSHCPA", PVK_SUSPEND_CANCELLED);
}
