/*
 * tests/guest/fault.c - the decoded report printed when the guest faults.
 *
 * guest_trap() (called by entry.S with the saved registers) first lets
 * the kit fix up a #GP of one of its safe instructions (pvk_pvops_fixup():
 * a safe MSR access that Xen or the CPU refused) and returns to resume
 * there. Every other exception is fatal: guest_fault() prints which exception, the error code, RIP with the
 * function it is in (symbols.c), CR2 for page faults (Xen passes it in
 * vcpu_info.arch.cr2: a PV guest cannot read %cr2), every general
 * register, the top of the stack and a frame-pointer call trace, then
 * crashes the domain. Each line starts with "FAULT" so logs can be
 * searched for it.
 *
 * A fault while reporting a fault must not loop: the second level prints
 * one fixed line and crashes, a third level (even that faulted) crashes
 * without any hypercall.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/sched.h>

#include "guest.h"

#define STACK_WORDS	16
#define MAX_FRAMES	16

static const char *const exception_name[32] = {
	[0] = "#DE divide error",
	[1] = "#DB debug",
	[2] = "NMI",
	[3] = "#BP breakpoint",
	[4] = "#OF overflow",
	[5] = "#BR bound range exceeded",
	[6] = "#UD invalid opcode",
	[7] = "#NM device not available",
	[8] = "#DF double fault",
	[9] = "coprocessor segment overrun",
	[10] = "#TS invalid TSS",
	[11] = "#NP segment not present",
	[12] = "#SS stack-segment fault",
	[13] = "#GP general protection",
	[14] = "#PF page fault",
	[16] = "#MF x87 floating-point error",
	[17] = "#AC alignment check",
	[18] = "#MC machine check",
	[19] = "#XM SIMD floating-point",
	[20] = "#VE virtualization exception",
	[21] = "#CP control protection",
	[28] = "#HV hypervisor injection",
	[29] = "#VC VMM communication",
	[30] = "#SX security exception",
};

static unsigned int fault_depth;

/* Called after the first report line when set: lets a test (cases/fault.c)
 * make the report itself fault, to prove the recursion guard. */
void (*guest_fault_report_hook)(void);

/*
 * "prefix 0xaddr <function+offset>". A return address is looked up one byte
 * earlier: after a call to a noreturn function it points past the caller's
 * last instruction, into the next function.
 */
static void print_symbol(const char *prefix, unsigned long addr, bool return_address)
{
	unsigned long off;
	const char *name = guest_symbol(addr - return_address, &off);

	if (name)
		guest_printf("%s 0x%016lx <%s+0x%lx>\n", prefix, addr, name, off + return_address);
	else
		guest_printf("%s 0x%016lx <?>\n", prefix, addr);
}

/* Our stack, or at least memory we know is mapped. */
static bool readable(unsigned long va, size_t len)
{
	unsigned long lo = (unsigned long)guest_stack_bottom;
	unsigned long hi = (unsigned long)guest_stack_top;

	if (va >= lo && va < hi && len <= hi - va)
		return true;
	return guest_virt_is_mapped(va, len);
}

void guest_backtrace(const char *prefix, unsigned long rbp)
{
	char line[32];

	/* Each frame: [rbp] = caller's rbp, [rbp + 8] = return address. */
	for (int i = 0; i < MAX_FRAMES && rbp; i++) {
		const unsigned long *frame = (const unsigned long *)rbp;

		if (rbp % 8 || !readable(rbp, 16)) {
			guest_printf("%s   (frame pointer 0x%lx not on a known stack)\n",
				     prefix, rbp);
			return;
		}
		pvk_snprintf(line, sizeof(line), "%s   ", prefix);
		print_symbol(line, frame[1], true);
		if (frame[0] <= rbp)	/* stacks grow down: callers are higher */
			return;
		rbp = frame[0];
	}
}

static void print_page_fault(const struct guest_regs *r)
{
	uint64_t e = r->error_code;

	if (!guest_shared_info) {
		guest_printf("FAULT: CR2 unknown (shared_info not mapped yet)\n");
		return;
	}
	guest_printf("FAULT: CR2 0x%016lx (%s, %s access, %s mode%s%s)\n",
		     pvk_read_cr2(),
		     e & 1 ? "protection violation" : "page not present",
		     e & 16 ? "instruction fetch" : e & 2 ? "write" : "read",
		     e & 4 ? "user" : "supervisor",
		     e & 8 ? ", reserved bit set" : "",
		     e & 32 ? ", protection key" : "");
}

static void print_registers(const struct guest_regs *r)
{
	guest_printf("FAULT: RAX 0x%016llx RBX 0x%016llx RCX 0x%016llx\n",
		     (unsigned long long)r->rax, (unsigned long long)r->rbx,
		     (unsigned long long)r->rcx);
	guest_printf("FAULT: RDX 0x%016llx RSI 0x%016llx RDI 0x%016llx\n",
		     (unsigned long long)r->rdx, (unsigned long long)r->rsi,
		     (unsigned long long)r->rdi);
	guest_printf("FAULT: RBP 0x%016llx R8  0x%016llx R9  0x%016llx\n",
		     (unsigned long long)r->rbp, (unsigned long long)r->r8,
		     (unsigned long long)r->r9);
	guest_printf("FAULT: R10 0x%016llx R11 0x%016llx R12 0x%016llx\n",
		     (unsigned long long)r->r10, (unsigned long long)r->r11,
		     (unsigned long long)r->r12);
	guest_printf("FAULT: R13 0x%016llx R14 0x%016llx R15 0x%016llx\n",
		     (unsigned long long)r->r13, (unsigned long long)r->r14,
		     (unsigned long long)r->r15);
}

static void print_stack(unsigned long rsp)
{
	const unsigned long *sp = (const unsigned long *)rsp;
	unsigned int words = STACK_WORDS;

	/* Do not read past the top of our own stack. */
	if (rsp >= (unsigned long)guest_stack_bottom && rsp < (unsigned long)guest_stack_top &&
	    ((unsigned long)guest_stack_top - rsp) / 8 < words)
		words = ((unsigned long)guest_stack_top - rsp) / 8;
	if (rsp % 8 || !readable(rsp, words * 8)) {
		guest_printf("FAULT: stack: RSP 0x%lx is not readable\n", rsp);
		return;
	}
	for (unsigned int i = 0; i < words; i += 4) {
		guest_printf("FAULT: stack RSP+0x%02x:", i * 8);
		for (unsigned int j = i; j < i + 4 && j < words; j++)
			guest_printf(" 0x%016lx", sp[j]);
		guest_printf("\n");
	}
}

__pvk_noreturn void guest_fault(struct guest_regs *r)
{
	const char *name;

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

	name = r->vector < 32 ? exception_name[r->vector] : NULL;
	guest_printf("FAULT: %s (vector %llu), error code 0x%llx\n",
		     name ? name : "reserved exception",
		     (unsigned long long)r->vector,
		     (unsigned long long)r->error_code);
	if (guest_fault_report_hook)
		guest_fault_report_hook();
	print_symbol("FAULT: RIP", r->rip, false);
	if (pvk_hypercall_page_slot_of(r->rip) >= 0) {
		int slot = pvk_hypercall_page_slot_of(r->rip);

		guest_printf("FAULT: RIP is in the hypercall page, slot %d (%s)%s\n",
			     slot, pvk_hypercall_name((unsigned int)slot),
			     pvk_hypercall_page_filled() ? "" : ": Xen never filled the page");
	}
	guest_printf("FAULT: CS 0x%04llx RFLAGS 0x%016llx RSP 0x%016llx SS 0x%04llx upcall mask %llu\n",
		     (unsigned long long)(r->cs & 0xffff), (unsigned long long)r->rflags,
		     (unsigned long long)r->rsp, (unsigned long long)(r->ss & 0xffff),
		     (unsigned long long)((r->cs >> 32) & 0xff));
	if (r->vector == PVK_TRAP_page_fault)
		print_page_fault(r);
	print_registers(r);
	print_stack(r->rsp);
	guest_printf("FAULT: call trace:\n");
	print_symbol("FAULT:   ", r->rip, false);
	guest_backtrace("FAULT:", r->rbp);
	guest_printf("FAULT: crashing the domain\n");
	guest_shutdown(PVK_SHUTDOWN_crash);
}

/* entry.S: returns only when the exception was fixed up. */
void guest_trap(struct guest_regs *r)
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
