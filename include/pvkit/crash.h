/*
 * pvkit/crash.h - the kit's crash report: what a port prints when its
 * kernel dies (an exception it cannot handle, a panic).
 *
 * pvk_crash_report() prints, one "pvkit: crash: " line at a time through
 * pvk_port_log_write(): why, the exception and where (RIP as symbol+offset,
 * the hypercall page slot if RIP is in it), the page-fault decode (CR2 and
 * the error code's bits), every register, the top of the stack, a call
 * trace along the %rbp chain, the calling CPU's last hypercall and the last
 * one Xen refused (its error by name), and the kit's counters. The README's
 * "When a port crashes" shows one and says how to read it.
 *
 * Two optional registrations make it better; neither is needed for it to
 * print something:
 *  - pvk_crash_set_symbols(): the kernel's own symbol table, made by the
 *    kit's scripts/pvk-symtab from a first link (see that script), so
 *    addresses print as function+offset;
 *  - pvk_crash_set_readable(): the host says which addresses it can read
 *    without faulting (its stacks, its mapped memory), so a corrupt frame
 *    pointer ends the call trace instead of faulting the report. Without
 *    it the trace only follows frames within PVK_CRASH_STACK_SPAN above
 *    the stack pointer of the crash, which a stack smaller than that with
 *    an unmapped page above it can still fault on, and the stack dump
 *    trusts the stack pointer itself.
 *
 * The kernel must be built with frame pointers (-fno-omit-frame-pointer)
 * for the call trace to go past the faulting function.
 */
#ifndef PVKIT_CRASH_H
#define PVKIT_CRASH_H

#include <pvkit/regs.h>
#include <pvkit/types.h>

/* One code symbol: its address and its name's offset in the names blob. */
struct pvk_symbol {
	unsigned long addr;
	uint32_t name;
	uint32_t reserved;
};

/* A sorted symbol table, as scripts/pvk-symtab emits it (pvk_kernel_symtab):
 * syms[0 .. count - 1] by ascending address; addresses from end on belong
 * to no symbol of the table. */
struct pvk_symtab {
	unsigned long count;
	const struct pvk_symbol *syms;
	const char *names;
	unsigned long end;
};

/* How far above the stack pointer the call trace follows frames when the
 * host registered no readable() check. */
#define PVK_CRASH_STACK_SPAN	(16UL * 1024)
/* Frames printed at most: a chain longer than this is cut (and says so). */
#define PVK_CRASH_MAX_FRAMES	24

/* Registrations, once at boot (a later call replaces the earlier one;
 * NULL removes it). The table must stay mapped for good. */
void pvk_crash_set_symbols(const struct pvk_symtab *table);
void pvk_crash_set_readable(bool (*readable)(unsigned long va, size_t len));

/* The function containing addr in table (NULL: none), *offset set. */
const char *pvk_symtab_lookup(const struct pvk_symtab *table, unsigned long addr,
			      unsigned long *offset);
/* The same in the registered table. */
const char *pvk_crash_symbol(unsigned long addr, unsigned long *offset);

/*
 * The report. regs: the trap frame of the exception (NULL from a panic:
 * the trace then starts at the caller). why: one line of the host's, e.g.
 * "unhandled exception in the kernel" or the panic message. Returns when
 * done: the host then stops (on Xen, SCHEDOP_shutdown with
 * SHUTDOWN_crash, so `on_crash` applies). One report runs at a time, on
 * all CPUs together: a call while one runs (a fault inside the report,
 * or another CPU's crash) prints one line and returns at once, and a
 * fault inside that line returns silently. Any context, upcalls masked
 * or not; takes no lock and allocates nothing.
 */
void pvk_crash_report(const struct pvk_regs *regs, const char *why);

/* Only the call trace, from the frame pointer rbp (e.g. a host's own
 * panic or a "how did we get here" print). */
void pvk_crash_backtrace(unsigned long rbp);

#endif /* PVKIT_CRASH_H */
