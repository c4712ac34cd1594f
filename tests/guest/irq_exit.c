/*
 * tests/guest/irq_exit.c - the reference guest's pvk_port_irq_exit(): the
 * host hook on the way out of every interrupt and trap the kit's entries
 * take (pvkit/port.h, "Interrupt exit"): the event upcall on Xen
 * (events/upcall.S), the native interrupt stubs (native_timer_entry.S,
 * entry_native.S) and both worlds' trap stubs (entry.S, entry_native.S).
 *
 * The guest has no scheduler and no signals, so by default the hook only
 * counts, per CPU: what kind of entry it ends (upcall, native interrupt,
 * exception), how many of those return to user mode (where a kernel
 * would deliver signals), and the calls that found upcalls/interrupts
 * enabled, which the contract forbids (the count must stay 0). A test
 * installs a function of its own (guest_irq_exit_fn) to act on the frame:
 * cases/irq_exit.c switches between two contexts on timer ticks.
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>

#include "guest.h"

void (*guest_irq_exit_fn)(struct pvk_regs *regs);
static struct guest_irq_exit_stats stats[PVK_MAX_CPUS];

void pvk_port_irq_exit(struct pvk_regs *regs)
{
	unsigned int cpu = pvk_port_cpu_id();
	void (*fn)(struct pvk_regs *regs) = PVK_READ_ONCE(guest_irq_exit_fn);
	struct guest_irq_exit_stats *s;

	if (cpu >= PVK_MAX_CPUS)
		pvk_port_panic("irq exit: a CPU beyond PVK_MAX_CPUS");
	s = &stats[cpu];
	if (regs->vector == PVK_REGS_VECTOR_UPCALL)
		PVK_WRITE_ONCE(s->upcalls, s->upcalls + 1);
	else if (regs->vector >= PVK_REGS_VECTOR_IRQ(0))
		PVK_WRITE_ONCE(s->irqs, s->irqs + 1);
	else
		PVK_WRITE_ONCE(s->traps, s->traps + 1);
	if (pvk_regs_from_user(regs))
		PVK_WRITE_ONCE(s->to_user, s->to_user + 1);
	if (pvk_save_fl() & PVK_X86_EFLAGS_IF)
		PVK_WRITE_ONCE(s->unmasked, s->unmasked + 1);
	if (fn)
		fn(regs);
}

void guest_irq_exit_stats(struct guest_irq_exit_stats *out)
{
	*out = (struct guest_irq_exit_stats){ 0 };
	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		out->upcalls += PVK_READ_ONCE(stats[cpu].upcalls);
		out->irqs += PVK_READ_ONCE(stats[cpu].irqs);
		out->traps += PVK_READ_ONCE(stats[cpu].traps);
		out->to_user += PVK_READ_ONCE(stats[cpu].to_user);
		out->unmasked += PVK_READ_ONCE(stats[cpu].unmasked);
	}
}
