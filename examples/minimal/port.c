/*
 * examples/minimal/port.c - the porting interface (pvkit/port.h) for a
 * kernel with one CPU, no threads and no heap: pages from a pool in .bss,
 * locks that mask interrupts, waits that idle in pvk_idle_until(), work run
 * from the idle loop, the log on Xen's console or COM1; and the
 * interrupt-exit hook, where the kernel counts its timer ticks.
 */
#include <pvkit/boot.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include "minimal.h"

#define POOL_PAGES 512
static char pool[POOL_PAGES][PVK_PAGE_SIZE] __pvk_aligned(PVK_PAGE_SIZE);
static unsigned int pool_next;
static void *free_pages;	/* each free page's first word: the next */
bool minimal_on_xen;

/* n contiguous pages: a single one may be a freed one, more come from the
 * pool's unused end. */
static void *alloc_pages(unsigned long n)
{
	unsigned long flags = pvk_irq_save();
	void *p = NULL;

	if (n == 1 && free_pages) {
		p = free_pages;
		free_pages = *(void **)p;
	} else if (pool_next + n <= POOL_PAGES) {
		p = pool[pool_next];
		pool_next += n;
	}
	pvk_restore_fl(flags);
	return p ? memset(p, 0, n * PVK_PAGE_SIZE) : NULL;
}

void *pvk_port_alloc_page(void) { return alloc_pages(1); }

void pvk_port_free_page(void *page)
{
	unsigned long flags = pvk_irq_save();

	*(void **)page = free_pages;
	free_pages = page;
	pvk_restore_fl(flags);
}

/* A small allocation is whole pages, their count in the first 16 bytes. */
void *pvk_port_malloc(size_t size)
{
	unsigned long n = (size + 16 + PVK_PAGE_SIZE - 1) / PVK_PAGE_SIZE;
	unsigned long *p = alloc_pages(n);

	if (p)
		p[0] = n;
	return p ? p + 2 : NULL;
}

void pvk_port_free(void *ptr)
{
	unsigned long *p = (unsigned long *)ptr - 2;

	for (unsigned long i = 0; ptr && i < p[0]; i++)
		pvk_port_free_page((char *)p + i * PVK_PAGE_SIZE);
}

/* Image and pool are pfn (va - KBASE) / 4 KiB in both worlds. */
pvk_pfn_t pvk_port_virt_to_pfn(const void *va)
{
	return pvk_pfn(((unsigned long)va - KBASE) >> PVK_PAGE_SHIFT);
}

pvk_mfn_t pvk_port_pfn_to_mfn(pvk_pfn_t pfn)
{
	return minimal_on_xen ? pvk_pfn_to_mfn(pfn) : pvk_mfn(pvk_pfn_raw(pfn));
}

static void com1_write(const char *text, size_t len)
{
	PVK_NATIVE_ONLY(com1_write);
	for (size_t i = 0; i < len; i++) {
		uint8_t lsr;
		unsigned int spins = 100000;	/* a stuck UART must not hide a panic */

		do	/* until the transmitter holding register is empty */
			__asm__ __volatile__("inb %1, %0" : "=a"(lsr) : "Nd"((uint16_t)0x3fd));
		while (!(lsr & 0x20) && --spins);
		__asm__ __volatile__("outb %0, %1" : : "a"(text[i]), "Nd"((uint16_t)0x3f8));
	}
}

void pvk_port_log_write(const char *text, size_t len)
{
	if (minimal_on_xen)
		pvk_xen_console_write(text, len);
	else
		com1_write(text, len);
}

void minimal_printf(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = pvk_vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	pvk_port_log_write(line, n);
}

static void debug_exit(int code)
{
	PVK_NATIVE_ONLY(debug_exit);
	/* QEMU's isa-debug-exit: its exit status is (code << 1) | 1. */
	__asm__ __volatile__("outb %0, %1" : : "a"((uint8_t)code), "Nd"((uint16_t)0xf4));
}

void minimal_poweroff(int code)
{
	struct pvk_sched_shutdown sd = { code ? PVK_SHUTDOWN_crash : PVK_SHUTDOWN_poweroff };

	if (minimal_on_xen) {
		pvk_xen_console_flush();
		pvk_hyp_sched_op(PVK_SCHEDOP_shutdown, &sd);
	} else {
		debug_exit(code);
	}
	for (;;)	/* not reached */
		;
}

void pvk_port_panic(const char *msg)
{
	minimal_printf("minimal: panic: %s", msg);
	minimal_poweroff(1);
}

/* One CPU: a lock is interrupts masked, their old state kept inside. */
void pvk_port_lock_init(struct pvk_lock *lock) { lock->opaque[0] = 0; }
void pvk_port_lock(struct pvk_lock *lock) { lock->opaque[0] = pvk_irq_save(); }
void pvk_port_unlock(struct pvk_lock *lock) { pvk_restore_fl(lock->opaque[0]); }
unsigned int pvk_port_cpu_id(void) { return 0; }

/* A waiter idles until an interrupt ran a handler, then looks again. */
void pvk_port_wait_init(struct pvk_wait *w) { (void)w; }
void pvk_port_wake(struct pvk_wait *w) { (void)w; }

int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			uint64_t timeout_ns)
{
	unsigned long flags = pvk_irq_save();
	uint64_t end = pvk_clock_ns() + timeout_ns;
	int rc = 0;

	(void)w;
	while (!cond(arg)) {
		if (pvk_clock_ns() >= end) {
			rc = -PVK_XEN_ETIMEDOUT;
			break;
		}
		pvk_idle_until(end);
	}
	pvk_restore_fl(flags);
	return rc;
}

/* Background work: a stack of works (opaque[0] next, opaque[1] queued);
 * the order among different works does not matter. */
static struct pvk_work *works;

void pvk_port_schedule_work(struct pvk_work *work)
{
	unsigned long flags = pvk_irq_save();

	if (!work->opaque[1]) {
		work->opaque[1] = 1;
		work->opaque[0] = (unsigned long)works;
		works = work;
	}
	pvk_restore_fl(flags);
}

/* From the idle loop, irqs on, no kit call under way. */
void minimal_run_work(void)
{
	for (;;) {
		unsigned long flags = pvk_irq_save();
		struct pvk_work *work = works;

		if (work) {
			works = (struct pvk_work *)work->opaque[0];
			work->opaque[1] = 0;
		}
		pvk_restore_fl(flags);
		if (!work)
			return;
		if (work->fn(work)) {	/* could not finish: after an idle */
			pvk_port_schedule_work(work);
			return;
		}
	}
}

/*
 * The interrupt-exit hook: a tick is an interrupt exit after the timer
 * callback ran. Natively our stub calls it; on Xen, the kit's upcall.
 */
volatile unsigned long minimal_hook_ticks, minimal_timer_ticks;

void pvk_port_irq_exit(struct pvk_regs *regs)
{
	static unsigned long seen;

	(void)regs;
	if (seen != minimal_timer_ticks) {
		seen = minimal_timer_ticks;
		minimal_hook_ticks++;
	}
}
