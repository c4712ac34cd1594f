/*
 * tests/unit/test_mmu_queue.c - the page-table update queue (mm/mmu_queue.c):
 * batching, and the new page-table frames it carries as pairs of entries
 * (kernel mapping made read-only, then the hook) and gives back when Xen
 * did not apply the hook.
 *
 * Xen is not here: pvk_hyp_mmu_update() below records each batch and
 * refuses the entry a test asks for (applying the ones before it, as Xen
 * does); pvk_hyp_update_va_mapping() records the restores. Whether Xen
 * accepts the pairs is the reference guest's test (mm_pagetables.c).
 */
#include <pvkit/hypercall.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>
#include "mm/mmu_internal.h"
#include "fake_kit.h"
#include "unit.h"

#define QLEN CONFIG_PVK_MMU_UPDATE_BATCH
#define NONE (~0u)
#define PENDING 32	/* new tables one batch carries (PENDING_MAX in mmu_queue.c) */

/* The pending limit must be reached before the queue is full. */
PVK_BUILD_BUG_ON(QLEN < 2 * PENDING + 2);

/* ---- Stand-ins for Xen and the port ----------------------------------- */

static struct {
	unsigned int calls;
	unsigned int count[8];		/* entries of each batch */
	struct pvk_mmu_update last[QLEN];	/* the last batch */
	unsigned int refuse;		/* index refused in the next batch */
	long refuse_rc;
	unsigned int uvm_calls;
	unsigned long uvm_va;
	uint64_t uvm_pte;
	unsigned long uvm_flags;
	long uvm_rc;
	unsigned int freed;
	void *freed_page;
} xen;

long pvk_hyp_mmu_update(const struct pvk_mmu_update *req, unsigned int count,
			unsigned int *done, pvk_domid_t domid)
{
	(void)domid;
	if (xen.calls < 8)
		xen.count[xen.calls] = count;
	xen.calls++;
	memcpy(xen.last, req, count * sizeof(*req));
	if (xen.refuse < count) {
		*done = xen.refuse;
		xen.refuse = NONE;
		return xen.refuse_rc;
	}
	*done = count;
	return 0;
}

long pvk_hyp_update_va_mapping(unsigned long va, uint64_t pte, unsigned long flags)
{
	xen.uvm_calls++;
	xen.uvm_va = va;
	xen.uvm_pte = pte;
	xen.uvm_flags = flags;
	return xen.uvm_rc;
}

void (*unit_fake_page_freed_hook)(void *page);

void pvk_port_free_page(void *page)
{
	xen.freed++;
	xen.freed_page = page;
	if (unit_fake_page_freed_hook)
		unit_fake_page_freed_hook(page);
}

/* For test_netfront.c (fake_kit.h): pages handed back so far. */
unsigned int unit_fake_pages_freed(void)
{
	return xen.freed;
}

void pvk_port_lock_init(struct pvk_lock *lock)
{
	(void)lock;
}

void pvk_port_lock(struct pvk_lock *lock)
{
	(void)lock;
}

void (*unit_fake_unlock_hook)(void);

void pvk_port_unlock(struct pvk_lock *lock)
{
	void (*f)(void) = unit_fake_unlock_hook;

	(void)lock;
	unit_fake_unlock_hook = NULL;
	if (f)
		f();
}

/* ---- Helpers ----------------------------------------------------------- */

static char pages[40][PVK_PAGE_SIZE] __attribute__((aligned(PVK_PAGE_SIZE)));

#define KL1	0x100		/* the kernel's L1 frame */
#define PARENT	0x200		/* the table the new one is hooked into */
#define OLD_PTE	(pvk_pte(pvk_mfn(0x555), PVK_PTE_KERNEL_RW) | PVK_PTE_NX)
#define HOOK	pvk_pte(pvk_mfn(0x555), PVK_PTE_TABLE)

static struct pvk_mmu_stats s0;

static void setup(void)
{
	static bool init;

	if (!init)
		pvk_mmu_queue_init();
	init = true;
	memset(&xen, 0, sizeof(xen));
	xen.refuse = NONE;
	xen.refuse_rc = -PVK_XEN_EINVAL;
	unit_log_clear();
	pvk_mmu_stats_snapshot(&s0);
}

static uint64_t added(void)
{
	struct pvk_mmu_stats s;

	pvk_mmu_stats_snapshot(&s);
	return s.tables_added - s0.tables_added;
}

static int table(unsigned int i)
{
	return pvk_mmu_queue_table(pages[i], pvk_mfn(KL1), 7, OLD_PTE,
				   pvk_mfn(PARENT), 3, HOOK);
}

/* An entry of no interest in front of or behind a pair. */
static int other(void)
{
	return pvk_mmu_set_entry(pvk_mfn(0x300), 1, 0);
}

/* ---- Tests ------------------------------------------------------------- */

UNIT_TEST(mmu_table_pair_in_order)
{
	setup();
	pvk_mmu_lazy_enter();
	CHECK_EQ(table(0), 0);
	CHECK_EQ(xen.calls, 0);
	CHECK_EQ(pvk_mmu_lazy_leave(), 0);
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(xen.count[0], 2);
	/* The kernel's entry first, read-only and otherwise unchanged... */
	CHECK_EQ(xen.last[0].ptr, (KL1 << 12) + 7 * 8 + PVK_MMU_NORMAL_PT_UPDATE);
	CHECK_EQ(xen.last[0].val, OLD_PTE & ~PVK_PTE_RW);
	CHECK(xen.last[0].val & PVK_PTE_NX);
	/* ...then the hook. */
	CHECK_EQ(xen.last[1].ptr, (PARENT << 12) + 3 * 8 + PVK_MMU_NORMAL_PT_UPDATE);
	CHECK_EQ(xen.last[1].val, HOOK);
	CHECK_EQ(added(), 1);
	CHECK_EQ(xen.freed, 0);
	CHECK_EQ(xen.uvm_calls, 0);
}

UNIT_TEST(mmu_table_outside_lazy_is_one_call)
{
	setup();
	CHECK_EQ(table(0), 0);
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(xen.count[0], 2);
	CHECK_EQ(added(), 1);
}

UNIT_TEST(mmu_table_pair_never_split)
{
	setup();
	pvk_mmu_lazy_enter();
	for (unsigned int i = 0; i < QLEN - 1; i++)
		CHECK_EQ(other(), 0);
	CHECK_EQ(xen.calls, 0);
	CHECK_EQ(table(0), 0);		/* one slot left: the queue goes first */
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(xen.count[0], QLEN - 1);
	CHECK_EQ(pvk_mmu_lazy_leave(), 0);
	CHECK_EQ(xen.calls, 2);
	CHECK_EQ(xen.count[1], 2);
	CHECK_EQ(added(), 1);
}

UNIT_TEST(mmu_table_pending_limit_issues_early)
{
	setup();
	pvk_mmu_lazy_enter();
	for (unsigned int i = 0; i < PENDING + 1; i++)
		CHECK_EQ(table(i), 0);
	CHECK_EQ(xen.calls, 1);		/* PENDING pairs, then the last one's batch */
	CHECK_EQ(xen.count[0], 2 * PENDING);
	CHECK_EQ(pvk_mmu_lazy_leave(), 0);
	CHECK_EQ(xen.calls, 2);
	CHECK_EQ(xen.count[1], 2);
	CHECK_EQ(added(), PENDING + 1);
}

UNIT_TEST(mmu_table_hook_refused_restores_and_frees)
{
	setup();
	pvk_mmu_lazy_enter();
	CHECK_EQ(other(), 0);
	CHECK_EQ(table(0), 0);
	CHECK_EQ(other(), 0);
	xen.refuse = 2;			/* the hook: the remap was applied */
	CHECK_EQ(pvk_mmu_lazy_leave(), -PVK_XEN_EINVAL);
	CHECK_EQ(pvk_mmu_last_error()->index, 2);
	CHECK_EQ(pvk_mmu_last_error()->val, HOOK);
	CHECK_EQ(xen.uvm_calls, 1);
	CHECK_EQ(xen.uvm_va, (unsigned long)pages[0]);
	CHECK_EQ(xen.uvm_pte, OLD_PTE);
	CHECK_EQ(xen.uvm_flags, PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
	CHECK_EQ(xen.freed, 1);
	CHECK(xen.freed_page == pages[0]);
	CHECK_EQ(added(), 0);
	CHECK(unit_log_has("was not hooked in: freed"));
}

UNIT_TEST(mmu_table_dropped_before_remap_is_freed)
{
	setup();
	pvk_mmu_lazy_enter();
	CHECK_EQ(other(), 0);
	CHECK_EQ(table(0), 0);
	xen.refuse = 0;			/* remap and hook dropped */
	CHECK_EQ(pvk_mmu_lazy_leave(), -PVK_XEN_EINVAL);
	CHECK_EQ(xen.uvm_calls, 0);	/* its mapping never changed */
	CHECK_EQ(xen.freed, 1);
	CHECK_EQ(added(), 0);
}

UNIT_TEST(mmu_table_hooked_before_refusal_stays)
{
	setup();
	pvk_mmu_lazy_enter();
	CHECK_EQ(table(0), 0);
	CHECK_EQ(table(1), 0);
	xen.refuse = 3;			/* the second hook */
	CHECK_EQ(pvk_mmu_lazy_leave(), -PVK_XEN_EINVAL);
	CHECK_EQ(added(), 1);
	CHECK_EQ(xen.freed, 1);
	CHECK(xen.freed_page == pages[1]);
}

UNIT_TEST(mmu_table_unrestorable_is_leaked_loudly)
{
	setup();
	xen.refuse = 1;
	xen.uvm_rc = -PVK_XEN_EPERM;
	CHECK_EQ(table(0), -PVK_XEN_EINVAL);
	CHECK_EQ(xen.uvm_calls, 1);
	CHECK_EQ(xen.freed, 0);		/* read-only: never reused */
	CHECK(unit_log_has("leaked"));
}

UNIT_TEST(mmu_table_flush_failure_before_queueing_frees)
{
	setup();
	pvk_mmu_lazy_enter();
	for (unsigned int i = 0; i < QLEN - 1; i++)
		CHECK_EQ(other(), 0);
	xen.refuse = 0;
	CHECK_EQ(table(0), -PVK_XEN_EINVAL);	/* the flush it needed failed */
	CHECK_EQ(xen.freed, 1);
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(pvk_mmu_lazy_leave(), -PVK_XEN_EINVAL);	/* first error */
	CHECK_EQ(xen.calls, 1);			/* nothing left to issue */
	CHECK_EQ(added(), 0);
}

/* Per CPU: a batch CPU 0 builds in lazy mode is its own; CPU 1, not in
 * lazy mode, writes at once, and CPU 0's batch still holds its 2 entries
 * and nothing of CPU 1's. */
UNIT_TEST(mmu_queue_per_cpu)
{
	setup();
	pvk_mmu_lazy_enter();
	CHECK_EQ(other(), 0);
	CHECK_EQ(other(), 0);
	CHECK_EQ(xen.calls, 0);
	unit_fake_cpu = 1;
	CHECK(!pvk_mmu_lazy_active());
	CHECK_EQ(pvk_mmu_set_entry(pvk_mfn(0x400), 2, 5), 0);
	CHECK_EQ(xen.calls, 1);
	CHECK_EQ(xen.count[0], 1);
	CHECK_EQ(xen.last[0].val, 5);
	CHECK_EQ(pvk_mmu_flush_queue(), 0);	/* CPU 1's queue: empty */
	CHECK_EQ(xen.calls, 1);
	pvk_mmu_lazy_enter();			/* both CPUs lazy at once */
	CHECK_EQ(pvk_mmu_set_entry(pvk_mfn(0x400), 3, 6), 0);
	unit_fake_cpu = 0;
	CHECK(pvk_mmu_lazy_active());
	CHECK_EQ(pvk_mmu_lazy_leave(), 0);
	CHECK_EQ(xen.calls, 2);
	CHECK_EQ(xen.count[1], 2);
	CHECK_EQ(xen.last[0].val, 0);
	CHECK_EQ(xen.last[1].val, 0);
	unit_fake_cpu = 1;
	CHECK_EQ(pvk_mmu_lazy_leave(), 0);
	CHECK_EQ(xen.calls, 3);
	CHECK_EQ(xen.count[2], 1);
	CHECK_EQ(xen.last[0].val, 6);
	unit_fake_cpu = 0;
}

/* The last refusal is each CPU's own: CPU 1's refusal does not overwrite
 * (or mix into) the record CPU 0 reads for its own. */
UNIT_TEST(mmu_last_error_per_cpu)
{
	setup();
	xen.refuse = 0;
	xen.refuse_rc = -PVK_XEN_EINVAL;
	CHECK_EQ(pvk_mmu_set_entry(pvk_mfn(0x400), 7, 0x70), -PVK_XEN_EINVAL);
	CHECK_EQ(pvk_mmu_last_error()->val, 0x70);
	unit_fake_cpu = 1;
	xen.refuse = 0;
	xen.refuse_rc = -PVK_XEN_EBUSY;
	CHECK_EQ(pvk_mmu_set_entry(pvk_mfn(0x400), 9, 0x90), -PVK_XEN_EBUSY);
	CHECK_EQ(pvk_mmu_last_error()->val, 0x90);
	CHECK_EQ(pvk_mmu_last_error()->rc, -PVK_XEN_EBUSY);
	unit_fake_cpu = 0;
	CHECK_EQ(pvk_mmu_last_error()->val, 0x70);
	CHECK_EQ(pvk_mmu_last_error()->slot, 7);
	CHECK_EQ(pvk_mmu_last_error()->rc, -PVK_XEN_EINVAL);
}
