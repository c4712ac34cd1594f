/*
 * tests/guest/cases/fault.c - the ways the guest dies (explicit only).
 *
 * page_fault: a write to an unmapped address; the report must decode the
 * #PF error code and show CR2, which Xen passes in vcpu_info.arch.cr2.
 * fault_in_fault_handler: the report itself faults (through the report
 * hook); the guard in guest_fault() must print one line and crash the
 * domain instead of recursing. port_panic: pvk_port_panic() prints the
 * message and a call trace and crashes the domain. All end with a crash:
 * they are for the harness, which checks the console and the crash.
 */
#include <pvkit/port.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#define UNMAPPED_ADDRESS 0x10UL	/* nothing is ever mapped at page 0 */

PVK_GUEST_TEST_EXPLICIT(page_fault)
{
	unsigned long addr = UNMAPPED_ADDRESS;

	/* Hide the constant from the compiler, which rejects the obvious
	 * out-of-bounds write at compile time. */
	__asm__("" : "+r"(addr));
	guest_printf("pvkit-guest: writing to 0x%lx: expect a #PF report with CR2\n", addr);
	*(volatile unsigned long *)addr = 1;
	PVK_FAIL("the write to 0x%lx did not fault", UNMAPPED_ADDRESS);
}

static void fault_again(void)
{
	__asm__ __volatile__("ud2" ::: "memory");
}

PVK_GUEST_TEST_EXPLICIT(fault_in_fault_handler)
{
	guest_printf("pvkit-guest: #UD whose report faults again: expect the recursion guard\n");
	guest_fault_report_hook = fault_again;
	__asm__ __volatile__("ud2" ::: "memory");
	PVK_FAIL("ud2 did not trap");
}

PVK_GUEST_TEST_EXPLICIT(port_panic)
{
	pvk_port_panic("port_panic test: panicking on purpose");
}
