/*
 * tests/guest/native.c - the same image on bare hardware: after pvh.S,
 * select the kit's native ops, print on COM1, run the shared test suite
 * (test.c, cases/: tests declared as needing Xen report "SKIP: needs
 * Xen") and leave QEMU through its isa-debug-exit device.
 *
 * pvk_native_boot() keeps the kit's order (pvkit/boot.h); the guest
 * gives it an IDT with the exception stubs, one timer interrupt (PIT
 * channel 0 through the legacy PIC) for the halt tests, the local APIC
 * timer's vectors and the IPI vector of the kit's native SMP
 * (native_smp.c), the APIC page's mapping (native_timer.c), a page pool in
 * .bss for the port's page allocator, user mode's GDT, TSS and SYSCALL
 * MSRs (user/cpu.c) and its CPUs.
 */
#include <pvkit/boot.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>
#include <pvkit/xen/sched.h>

#include "guest.h"
#include "user/user.h"

#define COM1		0x3f8
#define DEBUG_EXIT_PORT	0xf4	/* -device isa-debug-exit,iobase=0xf4 */

bool guest_native_boot;

static void outb(uint16_t port, uint8_t v)
{
	__asm__ __volatile__("outb %0, %1" : : "a"(v), "Nd"(port));
}

static uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ __volatile__("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* 115200 8N1, no interrupts, FIFO on. */
static void serial_init(void)
{
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x80);	/* DLAB: divisor follows */
	outb(COM1 + 0, 0x01);
	outb(COM1 + 1, 0x00);
	outb(COM1 + 3, 0x03);
	outb(COM1 + 2, 0xc7);
}

void guest_serial_write(const char *text, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned int spins = 0;

		if (text[i] == '\n')
			guest_serial_write("\r", 1);
		while (!(inb(COM1 + 5) & 0x20) && ++spins < 100000)
			;	/* transmitter holding register empty */
		outb(COM1, (uint8_t)text[i]);
	}
}

/* ---- the native world (guest.h), chosen first thing in guest_native_main */

static __pvk_noreturn void stop(unsigned int reason)
{
	guest_native_exit(reason == PVK_SHUTDOWN_poweroff ? 0 : 1);
}

static __pvk_noreturn void crash(void)
{
	guest_native_exit(1);
}

static bool yes(void)
{
	return true;
}

static void nothing(void)
{
}

/* The image is the 1:1 map natively: physical LOAD_PHYS up at VIRT_BASE
 * (layout.h); its .bss holds the page pool and the kernel's page tables. */
static bool in_image(unsigned long phys)
{
	return phys >= PVK_GUEST_LOAD_PHYS &&
	       phys - PVK_GUEST_LOAD_PHYS < (unsigned long)__image_end - PVK_GUEST_VIRT_BASE;
}

static pvk_pfn_t image_virt_to_pfn(const void *va)
{
	unsigned long phys = guest_image_phys(va);

	if ((unsigned long)va < PVK_GUEST_VIRT_BASE || !in_image(phys))
		pvk_port_panic("pvk_port_virt_to_pfn: address outside the image");
	return pvk_pfn(phys >> PVK_PAGE_SHIFT);
}

static void *image_pfn_to_virt(pvk_pfn_t pfn)
{
	unsigned long phys = pvk_pfn_raw(pfn) << PVK_PAGE_SHIFT;

	if (pvk_pfn_raw(pfn) >= (1UL << (64 - PVK_PAGE_SHIFT)) || !in_image(phys))
		return NULL;
	return (void *)(phys - PVK_GUEST_LOAD_PHYS + PVK_GUEST_VIRT_BASE);
}

static void smp_prepare(void)
{
	(void)guest_native_smp_init();	/* it says why when CPUs are missing */
}

/* The native 1:1 map is 2 MiB pages (pvh.S): no 4 KiB guard below a CPU
 * stack. */
static int no_guard(__pvk_unused void *va)
{
	return 0;
}

static void pause(void)
{
	__asm__ __volatile__("pause" ::: "memory");
}

static const struct guest_world native_world = {
	.name = "native",
	.console_write = guest_serial_write,
	.console_flush = yes,
	.stop = stop,
	.crash_now = crash,
	.crash_hard = crash,
	.wait_until = guest_native_wait_until,
	.timer_prepare = nothing,
	.irq_ops_ready = yes,
	.virt_to_pfn = image_virt_to_pfn,
	.pfn_to_virt = image_pfn_to_virt,
	.smp_prepare = smp_prepare,
	.early_cpu_id = guest_native_cpu_id,
	.guard_page = no_guard,
	.cpu_relax = pause,
	.gs_is_cpu_area = false,
	.vcpu_hotplug = false,
	.user_init = guest_native_user_init,
	.user_enter = guest_user_enter_native,
	.user_before_run = guest_native_user_before_run,
	.user_after_run = guest_native_user_after_run,
	.bench_pte = guest_native_bench_pte,
	.bench_fork = guest_native_bench_fork,
	.user_return_hypercalls = 0,
	.bench_clock_note = nothing,
	.bench_set_pte_how = "one PTE store",
	.bench_user_return_how = "iretq",
};

/* QEMU exits with status (code << 1) | 1; without the device we stop. */
__pvk_noreturn void guest_native_exit(unsigned int code)
{
	outb(DEBUG_EXIT_PORT, (uint8_t)code);
	for (;;)
		__asm__ __volatile__("cli; hlt");
}

/*
 * An interrupt to wake halt()/safe_halt(): PIT channel 0, one-shot, through
 * the legacy PIC remapped to vector 32 with only IRQ 0 unmasked. The IDT
 * is the exception vectors of guest_trap_table() plus this one.
 */
#define PIC1_CMD	0x20
#define PIC1_DATA	0x21
#define PIC2_CMD	0xa0
#define PIC2_DATA	0xa1
#define PIC_EOI		0x20
#define IRQ_VECTOR	32
#define PIT_CH0		0x40
#define PIT_MODE	0x43
#define PIT_10MS	11932u		/* 1193182 Hz / 100 */

void guest_nirq_timer(void);
void guest_native_timer_irq(void);

static volatile unsigned int timer_irqs;

void guest_native_timer_irq(void)
{
	timer_irqs++;
	outb(PIC1_CMD, PIC_EOI);
}

/* The exception vectors, the PIT's, the local APIC timer's two and the
 * kit's IPIs (native_smp.c); every CPU shares this IDT. */
static struct pvk_trap_desc traps[GUEST_NR_EXCEPTIONS + 2 + GUEST_NATIVE_TIMER_TRAPS];

static unsigned int native_traps(void)
{
	unsigned int n = GUEST_NR_EXCEPTIONS;

	guest_trap_table(true, traps);
	traps[n++] = (struct pvk_trap_desc){
		.vector = IRQ_VECTOR, .mask_irqs = true,
		.handler = (unsigned long)guest_nirq_timer,
	};
	n += guest_native_timer_traps(&traps[n]);
	traps[n++] = (struct pvk_trap_desc){
		.vector = GUEST_NATIVE_IPI_VECTOR, .mask_irqs = true,
		.handler = (unsigned long)guest_nirq_ipi,
	};
	return n;
}

static void pic_init(void)
{
	outb(PIC1_CMD, 0x11);		/* ICW1: init, ICW4 follows */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, IRQ_VECTOR);	/* ICW2: vector bases */
	outb(PIC2_DATA, IRQ_VECTOR + 8);
	outb(PIC1_DATA, 4);		/* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 2);
	outb(PIC1_DATA, 1);		/* ICW4: 8086 mode */
	outb(PIC2_DATA, 1);
	outb(PIC1_DATA, 0xff);		/* all masked until a timer is armed */
	outb(PIC2_DATA, 0xff);
}

/* Channel 0, lobyte/hibyte access, the given mode, a 10 ms count. */
static void pit_arm_10ms(uint8_t mode)
{
	outb(PIC1_DATA, 0xfe);		/* only IRQ 0 */
	outb(PIT_MODE, 0x30 | (uint8_t)(mode << 1));
	outb(PIT_CH0, PIT_10MS & 0xff);
	outb(PIT_CH0, PIT_10MS >> 8);
}

void guest_native_timer_oneshot_10ms(void)
{
	pit_arm_10ms(0);		/* interrupt on terminal count */
}

void guest_native_timer_periodic_10ms(void)
{
	pit_arm_10ms(2);		/* rate generator */
}

unsigned int guest_native_timer_irqs(void)
{
	return PVK_READ_ONCE(timer_irqs);
}

/* The port's page pool (page_alloc.c): as much as Xen guarantees a PV
 * guest after its start-of-day area, so the memory tests mean the same,
 * plus the other CPUs' stacks (smp.c: 4 pages and a guard each). */
#define POOL_PAGES	(144 + (PVK_MAX_CPUS - 1) * 5)
static uint8_t page_pool[POOL_PAGES * PVK_PAGE_SIZE] __attribute__((aligned(PVK_PAGE_SIZE)));

static void early(void *arg)
{
	(void)arg;
	guest_boot_ns = guest_now_ns();
	pic_init();
}

static void memory(const struct pvk_start_info *si, void *arg)
{
	(void)si;
	(void)arg;
	guest_page_alloc_init((unsigned long)page_pool,
			      (unsigned long)page_pool + sizeof(page_pool));
	/* GDT with user segments, TSS, SYSCALL (user/cpu.c): before the
	 * other CPUs, which start on the boot CPU's GDT. */
	guest_user_init();
}

/* Every CPU ACPI lists (QEMU -smp), started through the kit's
 * INIT-SIPI-SIPI (smp.c, native_smp.c); their stacks come from the pool's
 * untouched end, hence before any test. */
static void cpus_start(void *arg)
{
	(void)arg;
	guest_smp_start_all();
}

__pvk_noreturn void guest_native_main(unsigned long hvm_start_info)
{
	struct pvk_boot_config cfg = {
		.traps = traps,
		.nr_traps = native_traps(),
		.early = early,
		.memory = memory,
		.cpus_start = cpus_start,
		.native_map_lapic = guest_native_map_lapic,
		.native_timer_vector = GUEST_NATIVE_TIMER_VECTOR,
		.native_spurious_vector = GUEST_NATIVE_SPURIOUS_VECTOR,
	};
	unsigned int failed;

	guest_world = &native_world;
	guest_native_boot = true;	/* for test logic (test.c, cases/) only */
	guest_native_hvm_start_info = hvm_start_info;
	serial_init();
	pvk_native_boot(&cfg);
	guest_printf("pvkit-guest: booted natively (PVH entry), hvm_start_info at 0x%lx\n",
		     hvm_start_info);
	guest_printf("pvops: %s\n", pvk_pvops_name());
	/* QEMU -append: pvkit.test= as on Xen (make bench); none: defaults. */
	guest_cmdline_parse(guest_pvh_cmdline(hvm_start_info));
	failed = guest_run_tests();
	guest_shutdown(failed ? PVK_SHUTDOWN_crash : PVK_SHUTDOWN_poweroff);
}
