/*
 * tests/guest/cases/irq_exit.c - the interrupt-exit hook (pvk_port_irq_exit,
 * pvkit/port.h) preempts code that never yields, in both worlds.
 *
 * Two busy loops (irq_exit_spin.S), A called by the test and B started
 * by the hook, each hold a value of their own in all 15 general
 * registers and check them on every turn. The hook (installed through
 * guest_irq_exit_fn, irq_exit.c) acts on the timer ticks of the test's
 * CPU only: on each one it re-arms the one-shot and switches context by
 * rewriting the frame it is handed, as a kernel's scheduler would: it
 * copies the frame out (the interrupted context) and writes the other
 * context's in (rip, rsp, every register). The first switch starts B on
 * a stack of its own; then back to A, to B again (B's saved frame, so B
 * resumes where it was), and back to A, which ends the test.
 *
 * On Xen the tick is VIRQ_TIMER's upcall (events/upcall.S), natively the
 * local APIC timer's interrupt (native_timer_entry.S's
 * PVK_NATIVE_IRQ_STUB): the same frame and hook either way.
 *
 * It fails when the hook is not called on the way out of the tick (B
 * never runs: A gives up after its bound), when the frame it rewrote is
 * not what gets restored (B never runs, or a register of A or B differs
 * afterwards), or when the entry loses a register (the masks). The bound
 * is on A's turns against the clock (SPIN_BOUND_NS), never a timing
 * asserted: a slow host only takes longer.
 *
 * irq_exit_user_trap: the way out of a trap taken in user mode passes the
 * hook too (where a kernel delivers signals): user/program.S's program
 * makes two demand-zero page faults, and the hook must see exactly those
 * two frames from ring 3 (#PF, a rip in the program's code), with the
 * faults resolved and the program ending as it should.
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "../test.h"
#include "../user/user.h"

#define SWITCHES	4			/* A->B, B->A, A->B, B->A */
#define TICK_NS		(1000ULL * 1000)	/* 1 ms */
#define SPIN_BOUND_NS	(20ULL * 1000 * 1000 * 1000)
#define B_STACK_BYTES	(16 * 1024)

/* irq_exit_spin.S's symbols. */
void guest_irqx_spin_a(void);
void guest_irqx_spin_b(void);
void guest_irqx_step_a(void);
void guest_irqx_step_b(void);
extern uint64_t guest_irqx_pattern_a[15], guest_irqx_pattern_b[15];
extern uint64_t guest_irqx_bad_a, guest_irqx_bad_b;
extern volatile uint8_t guest_irqx_stop_a, guest_irqx_stop_b;
uint64_t guest_irqx_pattern_a[15], guest_irqx_pattern_b[15];
uint64_t guest_irqx_bad_a, guest_irqx_bad_b;
volatile uint8_t guest_irqx_stop_a, guest_irqx_stop_b;

static uint8_t b_stack[B_STACK_BYTES] __attribute__((aligned(16)));
static struct pvk_regs saved_a, saved_b;
static bool on_b, b_started;
static unsigned int cpu, switches, user_ticks;
static uint64_t seen_fired, deadline, resumed_at;
static volatile uint64_t a_turns, b_turns;
/* Turns of each context when it was switched away from, by switch. */
static uint64_t turns_at[SWITCHES];

void guest_irqx_step_a(void)
{
	a_turns++;
	if (PVK_READ_ONCE(switches) >= SWITCHES || pvk_clock_ns() > deadline)
		guest_irqx_stop_a = 1;
}

/* B only runs while the hook keeps switching; if the switch back never
 * comes, nothing else can end the test. */
void guest_irqx_step_b(void)
{
	b_turns++;
	if (pvk_clock_ns() > deadline + SPIN_BOUND_NS)
		pvk_port_panic("irq_exit test: context B still runs long after the bound: the hook never switched back");
}

static void preempt(struct pvk_regs *r)
{
	uint64_t fired;

	if (pvk_port_cpu_id() != cpu)
		return;
	fired = pvk_time_timer_fired_cpu(cpu);
	if (fired == seen_fired)
		return;		/* not a tick of ours: another event, a trap */
	seen_fired = fired;
	if (switches >= SWITCHES)
		return;
	pvk_time_timer_set(pvk_clock_ns() + TICK_NS);
	if (pvk_regs_from_user(r)) {
		user_ticks++;	/* neither A nor B: no switch */
		return;
	}
	/* Only a context that made a turn since it got the CPU gives it
	 * up (so each slice proves the context ran), unless the bound
	 * passed: then the test ends with what it has. */
	if ((on_b ? b_turns : a_turns) == resumed_at && pvk_clock_ns() <= deadline)
		return;
	if (!on_b) {
		turns_at[switches] = a_turns;
		saved_a = *r;
		if (b_started) {
			*r = saved_b;
		} else {
			/* A fresh context: A's cs/ss/rflags (kernel mode,
			 * upcalls/interrupts on), B's code and stack, as if
			 * just called. */
			r->rip = (uint64_t)(uintptr_t)guest_irqx_spin_b;
			r->rsp = (uint64_t)(uintptr_t)&b_stack[B_STACK_BYTES] - 8;
			b_started = true;
		}
	} else {
		turns_at[switches] = b_turns;
		saved_b = *r;
		*r = saved_a;
	}
	on_b = !on_b;
	resumed_at = on_b ? b_turns : a_turns;
	switches++;
}

static void fill(uint64_t *pattern, uint64_t tag)
{
	/* Distinct in every byte position and between the contexts. */
	for (unsigned int i = 0; i < 15; i++)
		pattern[i] = tag ^ (0x0101010101010101ULL * (i + 1)) ^ ((uint64_t)i << 56);
}

PVK_GUEST_TEST(irq_exit_preempt)
{
	struct guest_irq_exit_stats before, after;
	unsigned long flags;

	guest_timer_prepare();
	fill(guest_irqx_pattern_a, 0xa5a5a5a5a5a5a5a5ULL);
	fill(guest_irqx_pattern_b, 0x5b5b5b5b5b5b5b5bULL);
	guest_irqx_bad_a = guest_irqx_bad_b = 0;
	guest_irqx_stop_a = guest_irqx_stop_b = 0;
	on_b = b_started = false;
	switches = user_ticks = 0;
	a_turns = b_turns = resumed_at = 0;
	guest_irq_exit_stats(&before);

	flags = pvk_save_fl();
	pvk_irq_disable();
	cpu = pvk_port_cpu_id();
	seen_fired = pvk_time_timer_fired_cpu(cpu);
	deadline = pvk_clock_ns() + SPIN_BOUND_NS;
	PVK_WRITE_ONCE(guest_irq_exit_fn, preempt);
	PVK_CHECK_RC(pvk_time_timer_set(pvk_clock_ns() + TICK_NS), 0);
	pvk_irq_enable();
	guest_irqx_spin_a();
	pvk_irq_disable();
	PVK_WRITE_ONCE(guest_irq_exit_fn, NULL);
	pvk_time_timer_stop();
	pvk_restore_fl(flags);
	guest_irq_exit_stats(&after);

	guest_printf("irq_exit: %u switches on ticks, A %llu turns, B %llu turns (first run %llu), registers 0x%llx/0x%llx wrong\n",
		     switches, (unsigned long long)a_turns, (unsigned long long)b_turns,
		     (unsigned long long)turns_at[1],
		     (unsigned long long)guest_irqx_bad_a, (unsigned long long)guest_irqx_bad_b);
	/* The hook switched until done, A back on the CPU. */
	PVK_CHECK_EQ(switches, SWITCHES);
	PVK_CHECK(!on_b);
	/* Each context ran in each of its slices: A before the first switch
	 * and after each return, B in its first slice and after it was
	 * resumed from its saved frame. */
	PVK_CHECK_GT(turns_at[0], 0);
	PVK_CHECK_GT(turns_at[2], turns_at[0]);
	PVK_CHECK_GT(a_turns, turns_at[2]);
	PVK_CHECK_GT(turns_at[1], 0);
	PVK_CHECK_GT(turns_at[3], turns_at[1]);
	/* Every register of both survived every interrupt and switch. */
	PVK_CHECK_EQ(guest_irqx_bad_a, 0);
	PVK_CHECK_EQ(guest_irqx_bad_b, 0);
	PVK_CHECK_EQ(user_ticks, 0);
	/* The hook ran on the ticks, always with upcalls/interrupts off. */
	PVK_CHECK_GE(after.upcalls + after.irqs, before.upcalls + before.irqs + SWITCHES);
	PVK_CHECK_EQ(after.unmasked, before.unmasked);
}

static unsigned int user_pf_frames, user_other_frames;

static void watch_user(struct pvk_regs *r)
{
	if (!pvk_regs_from_user(r))
		return;
	if (r->vector == PVK_TRAP_page_fault && r->rip >= USER_CODE_VA &&
	    r->rip < USER_CODE_VA + (unsigned long)(guest_user_blob_end - guest_user_blob))
		user_pf_frames++;
	else
		user_other_frames++;
}

PVK_GUEST_TEST(irq_exit_user_trap)
{
	static struct guest_user_result res;
	struct guest_irq_exit_stats before, after;
	int rc;

	user_pf_frames = user_other_frames = 0;
	PVK_CHECK_RC(guest_uspace_create(), 0);
	guest_irq_exit_stats(&before);
	PVK_WRITE_ONCE(guest_irq_exit_fn, watch_user);
	rc = guest_user_run(guest_user_main, &res);
	PVK_WRITE_ONCE(guest_irq_exit_fn, NULL);
	guest_irq_exit_stats(&after);
	PVK_CHECK_RC(guest_uspace_destroy(), 0);
	PVK_CHECK_RC(rc, 0);
	guest_printf("irq_exit: user program: %u faults resolved, the hook saw %u #PF frames from ring 3 (%u other ring-3 frames)\n",
		     res.faults, user_pf_frames, user_other_frames);
	PVK_CHECK_EQ(res.exit_code, USER_EXIT_OK);
	PVK_CHECK_EQ(res.faults, 2);
	PVK_CHECK_EQ(user_pf_frames, res.faults);
	PVK_CHECK_GE(after.to_user - before.to_user, res.faults);
	PVK_CHECK_EQ(after.unmasked, before.unmasked);
}
