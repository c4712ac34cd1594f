/*
 * crash/report.c - pvk_crash_report(): the decoded report a port prints
 * when its kernel dies (pvkit/crash.h; the README's "When a port crashes").
 *
 * Everything a porter needs before reaching for a debugger, in the order
 * they read it: why and where, the registers, the stack and call trace,
 * then what the kit knows and Xen does not print: the CPU's last hypercall
 * and the last one Xen refused, and the counters (all read when the report
 * begins, before its own lines make console hypercalls). Lines go to
 * pvk_log_write(), formatted on the stack: no lock, no allocation, nothing
 * that could wait. Every memory read through a pointer taken from the
 * crashed state is checked first (crash/backtrace.c).
 */
#include <pvkit/crash.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/xen.h>
#ifdef CONFIG_PVK_XEN_PV
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/mmu.h>
#endif
#include "crash_internal.h"

#define PREFIX		"pvkit: crash: "
#define CRASH_LINE_MAX	200	/* the counters' lines (pvk_log_vline() cuts at 255) */
#define STACK_WORDS	16

static bool (*readable)(unsigned long va, size_t len);
/* Reports running, all CPUs together: a fault inside one must not start
 * another, and the count is taken before anything that could fault (even
 * pvk_port_cpu_id() with a bad GS base). A second CPU's crash while one
 * report runs gets one line. */
static unsigned int reporting;

void pvk_crash_set_readable(bool (*fn)(unsigned long va, size_t len))
{
	PVK_WRITE_ONCE(readable, fn);
}

static void __pvk_printf(1, 2) say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pvk_log_vline("crash: ", fmt, ap);	/* its hypercalls are not "the last" */
	va_end(ap);
}

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

/* The selected pvops table is `want` ("none", "native", "xen"). */
static bool pvops_is(const char *want)
{
	const char *name = pvk_pvops_name();
	size_t i = 0;

	if (!name)
		return false;
	while (name[i] && name[i] == want[i])
		i++;
	return name[i] == want[i];
}

static bool on_xen(void)
{
	return pvops_is("xen");
}

/*
 * "<what> 0xaddr <function+offset>". A return address is looked up one byte
 * earlier: after a call to a noreturn function it points past the caller's
 * last instruction, into the next function.
 */
static void say_symbol(const char *what, unsigned long addr, bool return_address)
{
	unsigned long off = 0;
	const char *name = pvk_crash_symbol(addr - return_address, &off);

	if (name)
		say("%s0x%016lx <%s+0x%lx>", what, addr, name, off + return_address);
	else
		say("%s0x%016lx <?>", what, addr);
}

static void say_where(const struct pvk_regs *r)
{
	uint64_t v = r->vector;

	if (v < 32)
		say("%s (vector %llu), error code 0x%llx, from %s mode",
		    exception_name[v] ? exception_name[v] : "reserved exception",
		    (unsigned long long)v, (unsigned long long)r->error_code,
		    pvk_regs_from_user(r) ? "user" : "kernel");
	else if (v == PVK_REGS_VECTOR_UPCALL)
		say("in the event upcall");
	else if (v >= PVK_REGS_VECTOR_IRQ(0) && v < PVK_REGS_VECTOR_IRQ(256))
		say("in native interrupt %llu",
		    (unsigned long long)(v - PVK_REGS_VECTOR_IRQ(0)));
	else
		say("frame with unknown vector 0x%llx", (unsigned long long)v);
	say_symbol("RIP ", r->rip, false);
#ifdef CONFIG_PVK_XEN_PV
	{
		int slot = pvk_hypercall_page_slot_of(r->rip);

		if (slot >= 0)
			say("RIP is in the hypercall page, slot %d (%s)%s", slot,
			    pvk_hypercall_name((unsigned int)slot),
			    pvk_hypercall_page_filled() ? "" : ": Xen never filled the page");
	}
#endif
	if (on_xen())	/* Xen keeps the interrupted upcall mask in %cs */
		say("CS 0x%04llx RFLAGS 0x%016llx RSP 0x%016llx SS 0x%04llx upcall mask %llu",
		    (unsigned long long)(r->cs & 0xffff), (unsigned long long)r->rflags,
		    (unsigned long long)r->rsp, (unsigned long long)(r->ss & 0xffff),
		    (unsigned long long)((r->cs >> 32) & 0xff));
	else
		say("CS 0x%04llx RFLAGS 0x%016llx RSP 0x%016llx SS 0x%04llx",
		    (unsigned long long)(r->cs & 0xffff), (unsigned long long)r->rflags,
		    (unsigned long long)r->rsp, (unsigned long long)(r->ss & 0xffff));
}

static bool cr2_readable(void)
{
	if (!pvk_pvops_name() || pvops_is("none"))	/* no table yet */
		return false;
#ifdef CONFIG_PVK_XEN_PV
	/* Xen passes CR2 in the vcpu_info; without one the op would panic. */
	if (on_xen() && !pvk_xen_vcpu_info(pvk_port_cpu_id()))
		return false;
#endif
	return true;
}

/* cr2 was read before the report's first line: a fault in the host's
 * console or in an upcall handler meanwhile would change it. */
static void say_page_fault(const struct pvk_regs *r, bool have_cr2, unsigned long cr2_value)
{
	uint64_t e = r->error_code;
	char cr2[24] = "unknown";

	if (have_cr2)
		pvk_snprintf(cr2, sizeof(cr2), "0x%016lx", cr2_value);
	say("CR2 %s (%s, %s access, %s mode%s%s)", cr2,
	    e & 1 ? "protection violation" : "page not present",
	    e & 16 ? "instruction fetch" : e & 2 ? "write" : "read",
	    e & 4 ? "user" : "supervisor",
	    e & 8 ? ", reserved bit set" : "",
	    e & 32 ? ", protection key" : "");
}

static void say_registers(const struct pvk_regs *r)
{
	say("RAX 0x%016llx RBX 0x%016llx RCX 0x%016llx",
	    (unsigned long long)r->rax, (unsigned long long)r->rbx,
	    (unsigned long long)r->rcx);
	say("RDX 0x%016llx RSI 0x%016llx RDI 0x%016llx",
	    (unsigned long long)r->rdx, (unsigned long long)r->rsi,
	    (unsigned long long)r->rdi);
	say("RBP 0x%016llx R8  0x%016llx R9  0x%016llx",
	    (unsigned long long)r->rbp, (unsigned long long)r->r8,
	    (unsigned long long)r->r9);
	say("R10 0x%016llx R11 0x%016llx R12 0x%016llx",
	    (unsigned long long)r->r10, (unsigned long long)r->r11,
	    (unsigned long long)r->r12);
	say("R13 0x%016llx R14 0x%016llx R15 0x%016llx",
	    (unsigned long long)r->r13, (unsigned long long)r->r14,
	    (unsigned long long)r->r15);
}

static void say_stack(unsigned long rsp, bool (*can)(unsigned long, size_t))
{
	const unsigned long *sp = (const unsigned long *)rsp;
	unsigned int words = STACK_WORDS;

	/* As much of the top of the stack as can be read, four words a line. */
	while (words && (rsp % 8 || !pvk_crash_can_read(rsp, words * 8, rsp, can)))
		words -= 4;
	if (!words) {
		say("stack: RSP 0x%lx is not readable", rsp);
		return;
	}
	for (unsigned int i = 0; i < words; i += 4)
		say("stack RSP+0x%02x: 0x%016lx 0x%016lx 0x%016lx 0x%016lx", i * 8,
		    PVK_READ_ONCE(sp[i]), PVK_READ_ONCE(sp[i + 1]),
		    PVK_READ_ONCE(sp[i + 2]), PVK_READ_ONCE(sp[i + 3]));
}

static void say_trace(unsigned long rbp, unsigned long sp,
		      bool (*can)(unsigned long, size_t))
{
	struct pvk_crash_walk w;

	pvk_crash_walk(rbp, sp, can, &w);
	for (unsigned int i = 0; i < w.frames; i++)
		say_symbol("  ", w.ret[i], true);
	switch (w.end) {
	case PVK_CRASH_WALK_DONE:
		break;
	case PVK_CRASH_WALK_LIMIT:
		say("  (cut after %u frames)", PVK_CRASH_MAX_FRAMES);
		break;
	case PVK_CRASH_WALK_BAD:
		say("  (frame pointer 0x%lx is not on a readable stack: the chain is corrupt or the caller has no frame pointer)",
		    w.stop);
		break;
	case PVK_CRASH_WALK_LOOP:
		say("  (next frame pointer 0x%lx is not above the last: the chain is corrupt)",
		    w.stop);
		break;
	}
}

#ifdef CONFIG_PVK_XEN_PV
static void format_call(char *buf, size_t size, const struct pvk_hypercall_record *c)
{
	size_t len = (size_t)pvk_snprintf(buf, size, "%s(", pvk_hypercall_name(c->nr));

	for (unsigned int i = 0; i < c->nargs && len < size; i++)
		len += (size_t)pvk_snprintf(buf + len, size - len, "%s0x%lx",
					    i ? ", " : "", c->args[i]);
	if (len < size)
		pvk_snprintf(buf + len, size - len, ")");
}

static const char *errname(long rc)
{
	const char *name = pvk_xen_errno_name(rc);

	return name ? name : "not a Xen error code";
}

/* What the kit knew when the report began: read before the report's own
 * lines go to the console, whose writing makes hypercalls too. */
struct kit_state {
	bool have_records;
	struct pvk_hypercall_record call, refused;
	struct pvk_mmu_error mmu;
	struct pvk_hypercall_stats hs;
	struct pvk_mmu_stats ms;
	struct pvk_evtchn_stats es;
};

static void capture(struct kit_state *st, unsigned int cpu)
{
	st->have_records = pvk_hypercall_last(cpu, &st->call, &st->refused);
	st->mmu = *pvk_mmu_last_error();
	pvk_hypercall_stats_snapshot(&st->hs);
	pvk_mmu_stats_snapshot(&st->ms);
	pvk_evtchn_get_stats(&st->es);
}

static void say_hypercalls(const struct kit_state *st, unsigned int cpu)
{
	const struct pvk_hypercall_record *call = &st->call, *refused = &st->refused;
	const struct pvk_mmu_error *mmu = &st->mmu;
	char buf[128];

	if (!st->have_records) {
		say("CPU %u is beyond the kit's CPUs: no hypercall record", cpu);
		return;
	}
	/* "call #n": the CPU's count of calls, so a refusal long before the
	 * crash (a boot-time probe) is told from the call just made. */
	if (call->seq == 0) {
		say("last hypercall on CPU %u: none yet", cpu);
	} else {
		format_call(buf, sizeof(buf), call);
		if (call->returned)
			say("last hypercall on CPU %u, call #%lu: %s = %ld", cpu,
			    call->seq, buf, call->result);
		else
			say("last hypercall on CPU %u, call #%lu: %s: had not returned",
			    cpu, call->seq, buf);
	}
	if (!refused->returned) {
		say("last refused hypercall on CPU %u: none", cpu);
	} else {
		format_call(buf, sizeof(buf), refused);
		say("last refused hypercall on CPU %u, call #%lu: %s%s = %ld (%s)", cpu,
		    refused->seq, refused->in_multicall ? "multicall entry " : "", buf,
		    refused->result, errname(refused->result));
	}
	if (mmu->rc)
		say("last refused page-table update on this CPU: entry %u of %u, table mfn 0x%llx slot %u val 0x%016llx = %ld (%s)",
		    mmu->index, mmu->count, (unsigned long long)pvk_mfn_raw(mmu->table),
		    mmu->slot, (unsigned long long)mmu->val, mmu->rc, errname(mmu->rc));
}

static void say_counters(const struct kit_state *st)
{
	const struct pvk_hypercall_stats *hs = &st->hs;
	uint64_t total = 0;
	char buf[CRASH_LINE_MAX - sizeof(PREFIX)];
	size_t len = 0;

	for (unsigned int nr = 0; nr < PVK_HYPERCALL_SLOTS; nr++)
		total += hs->calls[nr];
	say("hypercalls since boot: %llu", (unsigned long long)total);
	/* The ones made, by name, as many to a line as fit. */
	for (unsigned int nr = 0; nr < PVK_HYPERCALL_SLOTS; nr++) {
		char one[48];
		int n;

		if (!hs->calls[nr])
			continue;
		n = pvk_snprintf(one, sizeof(one), " %s %llu", pvk_hypercall_name(nr),
				 (unsigned long long)hs->calls[nr]);
		if (len && len + (size_t)n >= sizeof(buf)) {
			say(" %s", buf);
			len = 0;
		}
		len += (size_t)pvk_snprintf(buf + len, sizeof(buf) - len, "%s", one);
	}
	if (len)
		say(" %s", buf);
	say("multicalls %llu (%llu entries, %llu refused); page-table updates %llu (%llu refused); upcalls %llu, event handler calls %llu",
	    (unsigned long long)hs->multicalls, (unsigned long long)hs->multicall_entries,
	    (unsigned long long)hs->multicall_entry_errors,
	    (unsigned long long)st->ms.updates, (unsigned long long)st->ms.refused,
	    (unsigned long long)st->es.upcalls, (unsigned long long)st->es.dispatched);
#ifdef CONFIG_PVK_TRACE
	say("hypercall trace: on (CONFIG_PVK_TRACE): the calls before this are in the log");
#else
	say("hypercall trace: off (CONFIG_PVK_TRACE=y logs every call)");
#endif
}

#else
struct kit_state {
	char none;
};

static void capture(struct kit_state *st __pvk_unused, unsigned int cpu __pvk_unused)
{
}
#endif /* CONFIG_PVK_XEN_PV */

static void say_kit_state(const struct kit_state *st __pvk_unused, unsigned int cpu)
{
#ifdef CONFIG_PVK_XEN_PV
	if (on_xen()) {
		say_hypercalls(st, cpu);
		say_counters(st);
		return;
	}
#endif
	say("pvops %s: no hypercall made on CPU %u", pvk_pvops_name(), cpu);
}

void pvk_crash_report(const struct pvk_regs *regs, const char *why)
{
	unsigned int depth = __atomic_add_fetch(&reporting, 1, __ATOMIC_ACQ_REL);
	bool (*can)(unsigned long, size_t) = PVK_READ_ONCE(readable);
	bool have_cr2 = false;
	unsigned long cr2 = 0, sp;
	struct kit_state st;
	unsigned int cpu;

	if (depth > 1) {
		/* One line, and only one level down: if that line faults too
		 * (the console is what broke), the next level is silent. */
		if (depth == 2)
			say("the crash report itself failed, or another CPU's runs: %s",
			    why ? why : "");
		__atomic_sub_fetch(&reporting, 1, __ATOMIC_ACQ_REL);
		return;
	}
	cpu = pvk_port_cpu_id();
	if (regs && regs->vector == PVK_TRAP_page_fault && cr2_readable()) {
		cr2 = pvk_read_cr2();
		have_cr2 = true;
	}
	capture(&st, cpu);	/* before our own lines make hypercalls */
	say("%s on CPU %u (pvops %s)", why ? why : "crash", cpu, pvk_pvops_name());
	if (regs) {
		say_where(regs);
		if (regs->vector == PVK_TRAP_page_fault)
			say_page_fault(regs, have_cr2, cr2);
		say_registers(regs);
		say_stack(regs->rsp, can);
		say("call trace:");
		say_symbol("  ", regs->rip, false);
		say_trace(regs->rbp, regs->rsp, can);
	} else {
		/* From a panic: the trace starts at whoever called us. */
		sp = (unsigned long)__builtin_frame_address(0);
		say("call trace:");
		say_trace(sp, sp, can);
	}
	say_kit_state(&st, cpu);
	say("end of report");
	__atomic_sub_fetch(&reporting, 1, __ATOMIC_ACQ_REL);
}

void pvk_crash_backtrace(unsigned long rbp)
{
	say("call trace:");
	say_trace(rbp, rbp, PVK_READ_ONCE(readable));
}
