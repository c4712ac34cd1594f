/*
 * examples/minimal/kernel.c - what the minimal kernel does once booted:
 * counts timer ticks, reads its name from xenstore, runs its ring-3
 * program and serves its two system calls, and powers off when `xl
 * shutdown` asks (natively, once the program exited).
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/time.h>
#include <pvkit/xenstore.h>
#include "minimal.h"

static long user_write_result = -1;

/* Runs background work and idles until cond holds or ns have passed. */
static bool idle_until(bool (*cond)(void), uint64_t ns)
{
	uint64_t end = pvk_clock_ns() + ns;

	while (!cond() && pvk_clock_ns() < end) {
		minimal_run_work();
		pvk_irq_disable();
		pvk_idle_until(end);
		pvk_irq_enable();
	}
	return cond();
}

static bool ten_ticks(void) { return minimal_timer_ticks >= 10; }
static bool asked_to_stop(void) { return minimal_control_request >= 0; }

/* Where the kernel goes on after the program's exit call. */
static __pvk_noreturn void after_user(long code)
{
	unsigned long ticks = minimal_hook_ticks;

	pvk_irq_enable();
	minimal_printf("minimal: user program exited with %ld (write returned %ld)",
		       code, user_write_result);
	minimal_check("user_syscall", code == 42, "want exit 42: its write's result checked");
	if (minimal_on_xen) {
		minimal_printf("minimal: ready for xl shutdown");
		minimal_check("xl_shutdown", idle_until(asked_to_stop, 60 * PVK_NSEC_PER_SEC),
			      "no poweroff request within 60 s");
	}
	ticks = minimal_hook_ticks;
	minimal_printf("minimal: ticks %lu", ticks);
	minimal_printf("minimal: timer callbacks %lu", minimal_timer_ticks);
	minimal_check("ticks", ticks > 0, "no timer tick through the interrupt-exit hook");
	code = minimal_summary();
	minimal_printf("minimal: powering off");
	minimal_poweroff(code ? 1 : 0);
}

/* The kit's Xen syscall entry and entry.S's native one call this. */
void minimal_syscall(struct pvk_syscall_regs *r)
{
	if (r->rax == SYS_WRITE && r->rsi < 128) {
		minimal_printf("minimal: user says \"%.*s\"", (int)r->rsi, (const char *)r->rdi);
		r->rax = user_write_result = r->rsi;
	} else if (r->rax == SYS_EXIT) {
		after_user(r->rdi);	/* the program's frame is left behind */
	} else {
		r->rax = -38L;		/* ENOSYS */
	}
}

void minimal_run(void)
{
	char name[64];
	int rc;

	minimal_printf("minimal: pvkit's minimal kernel, pvops %s", pvk_pvops_name());
	pvk_irq_enable();
	pvk_time_timer_set(pvk_clock_ns() + TICK_NS);
	minimal_check("timer", idle_until(ten_ticks, 5 * PVK_NSEC_PER_SEC),
		      "fewer than 10 timer callbacks in 5 s");
	if (minimal_on_xen) {
		rc = pvk_xs_read(PVK_XBT_NIL, "name", name, sizeof(name));
		minimal_printf("minimal: name=%s", rc > 0 ? name : "?");
		minimal_check("xenstore_name", rc > 0, "cannot read name");
	}
	minimal_enter_user((unsigned long)minimal_user_main,
			   (unsigned long)minimal_user_stack_top);
}
