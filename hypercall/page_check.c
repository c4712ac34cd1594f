/*
 * hypercall/page_check.c - questions about the hypercall page: filled yet? whose slot?
 *
 * The page itself is in page.S. These let boot code refuse to run on an
 * unfilled page and let a fault handler name the hypercall that trapped.
 */
#include <pvkit/hypercall.h>
#include "page.h"

static bool slot_unfilled(unsigned int nr)
{
	const volatile uint8_t *p = &pvk_hypercall_page[PVK_HYPERCALL_SLOT(nr)];

	/* volatile: Xen wrote the page behind the compiler's back. */
	return p[0] == PVK_UNFILLED_MOVL_EAX &&
	       p[1] == (nr & 0xff) && p[2] == ((nr >> 8) & 0xff) &&
	       p[3] == ((nr >> 16) & 0xff) && p[4] == ((nr >> 24) & 0xff) &&
	       p[5] == PVK_UNFILLED_UD2_0 && p[6] == PVK_UNFILLED_UD2_1;
}

bool pvk_hypercall_page_filled(void)
{
	return !slot_unfilled(0);
}

int pvk_hypercall_page_slot_of(unsigned long rip)
{
	unsigned long off = rip - (unsigned long)pvk_hypercall_page;

	/* One unsigned compare: rip below the page wraps to a huge offset. */
	if (off >= sizeof(pvk_hypercall_page))
		return -1;
	return (int)(off / PVK_HYPERCALL_SLOT_SIZE);
}
