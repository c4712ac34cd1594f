/*
 * examples/minimal/boot.c - the minimal kernel's boot in each world: the
 * boot call's config (trap table, the timer and control callbacks, the
 * local APIC's mapping), what a native kernel sets up for ring 3 (GDT, TSS,
 * SYSCALL MSRs, the 8259s masked), the trap handler, and the way to ring 3.
 */
#include <pvkit/boot.h>
#include <pvkit/control.h>
#include <pvkit/hypercall.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/time.h>
#include <pvkit/xen/arch-x86.h>
#include "minimal.h"

#define MSR_STAR	0xc0000081u
#define MSR_LSTAR	0xc0000082u
#define MSR_SFMASK	0xc0000084u

volatile int minimal_control_request = -1;
static struct pvk_trap_desc traps[34];
static struct pvk_tss tss;

/* Exceptions are fatal but for the kit's safe MSR accesses (the timer's
 * vector has the kit's own stub, entry.S). */
void minimal_trap(struct pvk_regs *regs)
{
	unsigned long fixup = pvk_pvops_fixup(regs->rip);

	if (regs->vector == 13 && fixup) {
		regs->rip = fixup;
	} else if (regs->vector < 32) {
		minimal_printf("minimal: trap %lu error %#lx at %#lx", (unsigned long)regs->vector,
			       (unsigned long)regs->error_code, (unsigned long)regs->rip);
		pvk_port_panic("unexpected trap");
	}
}

static void tick(void *arg)
{
	(void)arg;
	minimal_timer_ticks++;
	pvk_time_timer_set(pvk_clock_ns() + TICK_NS);
}

/* Thread context (background work): only noted here. */
static void control(enum pvk_control_request req, char key, void *arg)
{
	(void)key, (void)arg;
	if (req == PVK_CONTROL_POWEROFF)
		minimal_control_request = req;
}

/* The APIC's page: a 2 MiB uncached page in head.S's last slot. */
static void *map_lapic(uint64_t phys, void *arg)
{
	unsigned long va = KBASE + 511 * 0x200000UL;

	(void)arg;
	pvk_set_pte((uint64_t *)minimal_pd + 511, (phys & ~0x1fffffUL) | 0x9b);
	pvk_flush_tlb_one(va);
	return (void *)(va + (phys & 0x1fffff));
}

static void *pfn_to_virt(pvk_pfn_t pfn)
{
	return (void *)(KBASE + (pvk_pfn_raw(pfn) << PVK_PAGE_SHIFT));
}

static struct pvk_boot_config config = {
	.traps = traps,
	.timer_fn = tick,
	.control = control,
	.pfn_to_virt = pfn_to_virt,
	.native_map_lapic = map_lapic,
	.native_timer_vector = VEC_TIMER,
	.native_spurious_vector = VEC_SPURIOUS,
};

void minimal_xen_main(const struct pvk_start_info *si);
void minimal_xen_main(const struct pvk_start_info *si)
{
	minimal_on_xen = true;
	for (unsigned int v = 0; v < 32; v++)
		traps[v] = (struct pvk_trap_desc){ minimal_xtrap_table[v], v, 0, true };
	config.nr_traps = 32;
	pvk_xen_boot(si, &config);
	if (pvk_xen_callbacks_register(minimal_syscall))
		pvk_port_panic("no syscall callback");
	minimal_run();
}

/* The firmware left the 8259s on, the PIT's IRQ 0 at vector 8 (#DF's):
 * masked; the kit's timer is the local APIC's. */
static void mask_pic(void)
{
	PVK_NATIVE_ONLY(mask_pic);
	__asm__ __volatile__("outb %0, $0x21; outb %0, $0xa1" : : "a"((uint8_t)0xff));
}

void minimal_native_main(void);
void minimal_native_main(void)
{
	mask_pic();
	for (unsigned int v = 0; v < 34; v++)
		traps[v] = (struct pvk_trap_desc){ minimal_ntrap_table[v],
			v < 32 ? v : (v == 32 ? VEC_TIMER : VEC_SPURIOUS), 0, true };
	config.nr_traps = 34;
	pvk_native_boot(&config);
	pvk_load_gdt(minimal_gdt, GDT_ENTRIES);
	pvk_write_msr_safe(MSR_STAR, ((uint64_t)SEL_UBASE << 48) | ((uint64_t)SEL_KCODE << 32));
	pvk_write_msr_safe(MSR_LSTAR, (unsigned long)minimal_native_syscall);
	pvk_write_msr_safe(MSR_SFMASK, 0x700);	/* TF, IF, DF off on entry */
	minimal_run();
}

/* To ring 3 at rip on stack rsp, irqs on; entries from there land on the
 * top of the one kernel stack. */
void minimal_enter_user(unsigned long rip, unsigned long rsp)
{
	struct pvk_iret_context ctx = {
		.rip = rip, .cs = PVK_FLAT_USER_CS64, .rflags = PVK_X86_EFLAGS_IF,
		.rsp = rsp, .ss = PVK_FLAT_USER_SS64,
	};

	pvk_irq_disable();
	tss.rsp0 = (unsigned long)minimal_stack_top;
	pvk_load_tr(SEL_TSS, &tss);
	if (!minimal_on_xen)
		minimal_native_enter_user(rip, rsp);
	/* Xen: user mode on the kernel's own page table (all of a PV
	 * kernel's pages are user-accessible), left by HYPERVISOR_iret. */
	if (pvk_mmu_new_user_baseptr(pvk_mmu_kernel_base()))
		pvk_port_panic("user page table refused");
	pvk_hyp_iret(&ctx);
}
