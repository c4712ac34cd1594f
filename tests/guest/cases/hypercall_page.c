/*
 * tests/guest/cases/hypercall_page.c - Xen filled the kit's hypercall page.
 *
 * The page starts as a pattern of "movl $nr, %eax; ud2" slots
 * (hypercall/page.S); the domain builder overwrites it because of the
 * HYPERCALL_PAGE ELF note. Every hypercall so far went through it, so the
 * test also checks the kit's view of the page (slot lookup for fault
 * reports) against a hypercall it makes.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/sched.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

PVK_GUEST_TEST(hypercall_page)
{
	unsigned long page = (unsigned long)pvk_hypercall_page;
	unsigned long sched = page + PVK_HYPERCALL_SLOT(PVK_HYPERVISOR_sched_op);

	PVK_CHECK(pvk_hypercall_page_filled());
	PVK_CHECK_EQ(page % PVK_PAGE_SIZE, 0);
	PVK_CHECK(page >= (unsigned long)__text_start && page < (unsigned long)__text_end);
	PVK_CHECK_EQ(pvk_hypercall_page_slot_of(sched + 5), PVK_HYPERVISOR_sched_op);
	PVK_CHECK_EQ(pvk_hypercall_page_slot_of(page + PVK_PAGE_SIZE), -1);
	/* A filled slot works: yield returns 0. */
	PVK_CHECK_RC(pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL), 0);
}
