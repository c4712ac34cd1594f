/*
 * tests/guest/fault.c - what the guest does when it faults: the kit's
 * crash report, then a crashed domain.
 *
 * guest_trap() (called by entry.S with the saved registers) first lets
 * the kit fix up a #GP of one of its safe instructions (pvk_pvops_fixup():
 * a safe MSR access that Xen or the CPU refused) and returns to resume
 * there. Every other exception is fatal: guest_fault() has the kit print
 * its report (pvkit/crash.h: the exception, RIP as symbol+offset, CR2 for
 * page faults, registers, stack, call trace, the last hypercall and Xen's
 * last refusal, the counters), prints one "FAULT" line and crashes the
 * domain. pvk_port_panic() (shutdown.c) ends the same way.
 *
 * The kit is given the guest's symbol table and its notion of readable
 * memory (its boot stack, or anything mapped in the 1:1 map, which holds
 * the other CPUs' stacks) before each report: registering costs nothing
 * and needs no boot hook.
 *
 * A fault while reporting a fault must not loop: the second level prints
 * one fixed line and crashes, a third level (even that faulted) crashes
 * without any hypercall.
 */
#include <pvkit/crash.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/sched.h>

#include "guest.h"

static unsigned int fault_depth;

/* Called before the report when set: lets a test (cases/fault.c) make the
 * report fault, to prove the recursion guard. */
void (*guest_fault_report_hook)(void);

/* The kit's check before it reads a frame or the stack: our boot stack,
 * or anything our 1:1 map covers. */
static bool readable(unsigned long va, size_t len)
{
	unsigned long lo = (unsigned long)guest_stack_bottom;
	unsigned long hi = (unsigned long)guest_stack_top;

	if (va >= lo && va < hi && len <= hi - va)
		return true;
	return guest_virt_is_mapped(va, len);
}

void guest_crash_report(const struct pvk_regs *regs, const char *why)
{
	pvk_crash_set_symbols(guest_symtab());
	pvk_crash_set_readable(readable);
	pvk_crash_report(regs, why);
}

__pvk_noreturn void guest_fault(struct pvk_regs *r)
{
	if (++fault_depth > 1) {
		static const char msg[] =
			"FAULT: another fault while reporting a fault: crashing the domain\n";

		/* Second level: say so on both consoles (Xen's first: the
		 * ring may be what faulted) and crash. A third level means
		 * even that faulted: crash without another hypercall. */
		if (fault_depth == 2) {
			guest_console_io_write(msg, sizeof(msg) - 1);
			guest_console_write(msg, sizeof(msg) - 1);
			guest_console_flush();
			guest_crash_now();
		}
		guest_crash_hard();
	}

	if (guest_fault_report_hook)
		guest_fault_report_hook();
	/* The report first: a line of ours before it would make console
	 * hypercalls, and the report's "last hypercall" would be those. */
	guest_crash_report(r, "unhandled exception in the guest kernel");
	guest_printf("FAULT: unhandled exception %llu at 0x%016llx: crashing the domain\n",
		     (unsigned long long)r->vector, (unsigned long long)r->rip);
	guest_shutdown(PVK_SHUTDOWN_crash);
}

/* entry.S: returns only when the exception was fixed up. */
void guest_trap(struct pvk_regs *r)
{
	unsigned long resume;

	if (r->vector == PVK_TRAP_gp_fault && fault_depth == 0) {
		resume = pvk_pvops_fixup(r->rip);
		if (resume) {
			r->rip = resume;
			return;
		}
	}
	guest_fault(r);
}
