/*
 * tests/guest/guest.h - the reference guest's own internal interfaces.
 *
 * Nothing here is part of the kit: it is how this small kernel is put
 * together. Each block names the file that owns it.
 */
#ifndef PVK_GUEST_H
#define PVK_GUEST_H

#include <stdarg.h>
#include <pvkit/asm/frame.h>
#include <pvkit/frame.h>
#include <pvkit/regs.h>
#include <pvkit/types.h>
#include <pvkit/xen/xen.h>

#include "layout.h"

/*
 * ---- boot.c, native.c: the world, known to the two entry points only ---
 *
 * The guest's own code has no "if native" branch: what differs between a
 * Xen PV boot and a native one is either a pvops call (pvkit/pvops.h) or
 * one of these hooks, which the entry point sets before anything else
 * (boot.c's guest_xen_world is the one in place from the first
 * instruction; native.c switches to its own first thing).
 */
struct pvk_wait;
struct guest_world {
	const char *name;			/* "xen" or "native" */
	/* console.c: the guest's output, and draining it before a stop. */
	void (*console_write)(const char *text, size_t len);
	bool (*console_flush)(void);
	/* shutdown.c: stop with a PVK_SHUTDOWN_* reason (poweroff = all
	 * passed; the console drained first); crash without draining it (a
	 * panic's way out); a crash that needs no working hypercall. */
	__pvk_noreturn void (*stop)(unsigned int reason);
	__pvk_noreturn void (*crash_now)(void);
	__pvk_noreturn void (*crash_hard)(void);
	/* wait.c, time.c: the port's bounded wait, and what a timer test
	 * needs started before its first wait. */
	int (*wait_until)(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			  uint64_t timeout_ns);
	void (*timer_prepare)(void);
	/* lock.c: the irq ops can be called (Xen: shared_info known). */
	bool (*irq_ops_ready)(void);
	/* bootmem.c, native.c: the 1:1 map. virt_to_pfn panics outside it,
	 * pfn_to_virt gives NULL (pfns: pseudo-physical on Xen, physical
	 * natively, as the pvops make_pte wants them). */
	pvk_pfn_t (*virt_to_pfn)(const void *va);
	void *(*pfn_to_virt)(pvk_pfn_t pfn);
	/* smp.c: before pvk_smp_init(); the CPU number before %gs is set
	 * up; a guard page below a CPU stack (0 or error); what a CPU does
	 * while it spins; whether a started CPU's GS base is its guest_cpu
	 * area; whether the toolstack's vCPU hotplug is followed. */
	void (*smp_prepare)(void);
	unsigned int (*early_cpu_id)(void);
	int (*guard_page)(void *va);
	void (*cpu_relax)(void);
	bool gs_is_cpu_area;
	bool vcpu_hotplug;
	/* user/: the user-mode CPU set-up at boot (callbacks or GDT, TSS,
	 * SYSCALL MSRs), entering ring 3 (returns the exit code), and the
	 * segment registers before and after a run (0 or error). */
	void (*user_init)(void);
	long (*user_enter)(unsigned long rip, unsigned long rsp);
	void (*user_before_run)(void);
	int (*user_after_run)(void);
	/* bench.c: the world's own PTE and fork-copy benchmarks; hypercalls
	 * per return to user mode the kit's counters miss (Xen's
	 * HYPERVISOR_iret: a jump into the hypercall page); the world's note
	 * on its clock; how a PTE write and a return to user mode are done,
	 * for the notes. */
	bool (*bench_pte)(void);
	bool (*bench_fork)(void);
	unsigned int user_return_hypercalls;
	void (*bench_clock_note)(void);
	const char *bench_set_pte_how;
	const char *bench_user_return_how;
};
extern const struct guest_world *guest_world;
extern const struct guest_world guest_xen_world;	/* boot.c */
/* The pieces the two worlds are made of, where they live. */
__pvk_noreturn void guest_xen_stop(unsigned int reason);	/* shutdown.c */
__pvk_noreturn void guest_xen_crash_now(void);
__pvk_noreturn void guest_xen_crash_hard(void);
int guest_xen_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			 uint64_t timeout_ns);			/* wait.c */
int guest_native_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			    uint64_t timeout_ns);
bool guest_xen_bench_pte(void);				/* bench.c */
bool guest_xen_bench_fork(void);
void guest_bench_note_xen_tsc(void);
bool guest_native_bench_pte(void);
bool guest_native_bench_fork(void);
/* Where the kernel maps pfn (guest_world's 1:1 map), NULL if it does not
 * (an invalid pfn included). */
void *guest_pfn_to_virt_any(pvk_pfn_t pfn);

/* ---- native.c, pvh.S: the same image booted without Xen (PVH) -------- */
/* True after a native boot. For test logic only (test.c, cases/: which
 * world a check expects); the guest's own code asks guest_world. */
extern bool guest_native_boot;
__pvk_noreturn void guest_native_main(unsigned long hvm_start_info);
void guest_serial_write(const char *text, size_t len);
/* isa-debug-exit with code (0 = all passed); halts without the device. */
__pvk_noreturn void guest_native_exit(unsigned int code);
/* bench.c: the PVH command line (QEMU -append), "" if none. */
const char *guest_pvh_cmdline(unsigned long hvm_start_info);
/* bench.c: the microbenchmarks of "make bench"; returns how many failed. */
unsigned int guest_bench_run(void);
/* bench.c: the SMP rows (4 CPUs, a boot of their own); how many failed. */
unsigned int guest_bench_smp_run(void);
/* bench.c: the kit's hypercalls so far, all numbers (0 natively). */
uint64_t guest_hypercalls_made(void);
/* Native: arms PIT channel 0 to interrupt once (vector 32) in 10 ms. */
void guest_native_timer_oneshot_10ms(void);
/* Native: PIT channel 0 interrupts every 10 ms until the next oneshot
 * (reprogramming mode 0 stops the rate generator). */
void guest_native_timer_periodic_10ms(void);
/* Native: timer interrupts taken since boot. */
unsigned int guest_native_timer_irqs(void);
/* Native: the physical address of an address in the image (layout.h). */
static inline unsigned long guest_image_phys(const void *va)
{
	return (unsigned long)va - PVK_GUEST_VIRT_BASE + PVK_GUEST_LOAD_PHYS;
}

/* ---- native_smp.c, entry_native.S: the CPUs of a native boot ---------- */
/* The IDT vector of the kit's IPIs natively (entry_native.S's stub calls
 * pvk_native_ipi_interrupt()); native.c puts it in the IDT. */
#define GUEST_NATIVE_IPI_VECTOR	0xf8
void guest_nirq_ipi(void);
/* native.c: the PVH start info's physical address (identity-mapped). */
extern unsigned long guest_native_hvm_start_info;
/* CPUs from ACPI's MADT, low pages from the memory map, then
 * pvk_native_smp_init(); returns how many CPUs can run (1 on any
 * failure, logged). After pvk_native_timer_init(). */
unsigned int guest_native_smp_init(void);
/* The calling CPU's number (its local APIC id in the table given to the
 * kit); 0 until guest_native_smp_init() succeeded. */
unsigned int guest_native_cpu_id(void);
/* The calling CPU's local APIC id (0 before the APIC is known). */
uint32_t guest_native_apic_id(void);
/* CPUs in the table given to the kit (1 without one), and the APIC id of
 * CPU cpu there (0xffffffff beyond it). */
unsigned int guest_native_smp_cpus(void);
uint32_t guest_native_smp_apic_id_of(unsigned int cpu);

/* ---- boot.c: start of day ------------------------------------------- */
extern const struct pvk_start_info *guest_start_info;
__pvk_noreturn void guest_main(const struct pvk_start_info *si,
			       unsigned long boot_stack_top);
/* Guest system time (ns) when guest_main started. */
extern uint64_t guest_boot_ns;

/* ---- bootmem.c: the start-of-day mapped area and frame translation ---- */
void guest_bootmem_init(const struct pvk_start_info *si,
			unsigned long boot_stack_top);
/* [start, end) of the page allocator's first range: the mapped pages Xen
 * left unused, then (after guest_bootmem_map_rest()) the rest of the
 * domain's memory below 2 GiB but the scratch window (above 2 GiB it is
 * at PVK_GUEST_HIGH_MAP, layout.h). */
extern unsigned long guest_free_start, guest_free_end;
/* Maps every frame but the scratch window at its 1:1 address and gives it
 * to the page allocator; guest_boot_mapped_pages says how many. */
void guest_bootmem_map_rest(void);
extern unsigned long guest_boot_mapped_pages;
/* pfns past the boot size the balloon populated, from nr_pages up in
 * order: mapped at their 1:1 addresses and given to the allocator. */
int guest_bootmem_add_new(pvk_pfn_t first, unsigned long n);
/* True for a pfn past everything mapped so far (never had a mapping). */
bool guest_pfn_is_new(pvk_pfn_t pfn);
/* The 1:1 map: virt = VIRT_BASE + pfn * 4 KiB below 2 GiB, HIGH_MAP +
 * pfn * 4 KiB above (layout.h); the scratch window is a hole in it. */
bool guest_pfn_is_mapped(pvk_pfn_t pfn);
void *guest_pfn_to_virt(pvk_pfn_t pfn);
bool guest_virt_is_mapped(unsigned long va, size_t len);
pvk_mfn_t guest_pfn_to_mfn(pvk_pfn_t pfn);
pvk_pfn_t guest_mfn_to_pfn(pvk_mfn_t mfn);
/* A frame of ours given by machine number (ring pages): panics if it is not
 * one of our pages inside the mapped area. */
void *guest_mfn_to_virt(pvk_mfn_t mfn, const char *what);
/* For the kit's PV MMU: the start-of-day address of pfn, NULL beyond it. */
void *guest_pfn_to_virt_or_null(pvk_pfn_t pfn);
/* pvk_port_virt_to_pfn() on Xen (boot.c's world). */
pvk_pfn_t guest_xen_virt_to_pfn(const void *va);
/* The scratch window: the top frames of the domain, left unmapped and out
 * of the page allocator for the mm tests (bootmem.c says how many). */
void guest_unmapped_pfns(pvk_pfn_t *first, unsigned long *count);

/* ---- boot.c: the kit's boot call -------------------------------------- */
/* What guest_main() gives pvk_xen_boot(); events.c finishes with it. */
extern struct pvk_boot_config guest_boot_config;

/* ---- shared_info.c: the shared info page ------------------------------ */
/* pvk_xen_shared_info(); NULL until the kit's boot mapped it. */
extern struct pvk_shared_info *guest_shared_info;
struct pvk_vcpu_info *guest_vcpu0(void);

/* ---- time.c: the guest's clock ---------------------------------------- */
/* Nanoseconds from the selected pvops clock_ns(): Xen system time (pvclock)
 * on Xen, the calibrated TSC natively; 0 before a pvops table is selected. */
uint64_t guest_now_ns(void);
/* Makes the one-shot timer usable (Xen: guest_events_enable(); natively
 * it is from boot on, native_timer.c). */
void guest_timer_prepare(void);
/* 0 once cond(arg), -PVK_XEN_ETIMEDOUT after timeout_ns; interrupts or
 * upcalls are on while it waits, restored after. Thread context. */
int guest_wait_until(bool (*cond)(void *arg), void *arg, uint64_t timeout_ns);

/* ---- native_timer.c, native_timer_entry.S: the local APIC timer natively ---- */
struct pvk_trap_desc;
#define GUEST_NATIVE_TIMER_TRAPS	2
/* Fills GUEST_NATIVE_TIMER_TRAPS IDT entries (timer, spurious). */
unsigned int guest_native_timer_traps(struct pvk_trap_desc *traps);
/* pvk_native_boot()'s hook: maps the APIC page uncached, returns where. */
void *guest_native_map_lapic(uint64_t phys, void *arg);
#define GUEST_NATIVE_TIMER_VECTOR	0xf0
#define GUEST_NATIVE_SPURIOUS_VECTOR	0xff
/* The APIC timer's initial count register (what the kit armed last). */
uint32_t guest_native_lapic_initial_count(void);

/* ---- console.c: the PV console ---------------------------------------- */
void guest_console_write(const char *text, size_t len);
/* Waits (bounded) until the backend consumed everything; false on timeout. */
bool guest_console_flush(void);
/* Writes through HYPERVISOR_console_io only (Xen's own console). */
void guest_console_io_write(const char *text, size_t len);
/* Counters for the console test. */
uint32_t guest_console_ring_cons(void);
uint32_t guest_console_ring_prod(void);
bool guest_console_ring_ready(void);

/* ---- print.c: formatted output ---------------------------------------- */
void guest_printf(const char *fmt, ...) __pvk_printf(1, 2);
void guest_vprintf(const char *fmt, va_list ap);

/* dom0's verdict under data/NAME (an ON_LINE command writes it), waited
 * for up to timeout_ns and printed as "WHO: dom0 says ..."; 0 or the
 * negative errno of the last read. dom0_answer.c. */
int guest_dom0_answer(const char *who, const char *name, char *buf, size_t size,
		      uint64_t timeout_ns);

/* ---- traps.c / fault.c: exceptions ------------------------------------ */
#define GUEST_NR_EXCEPTIONS	32
/* The 32 exception vectors with entry.S's stubs, or natively
 * entry_native.S's. */
void guest_trap_table(bool native, struct pvk_trap_desc *traps);
/* The register frame entry.S builds is the kit's (pvkit/regs.h);
 * guest_regs is its old name here. */
#define guest_regs pvk_regs
__pvk_noreturn void guest_fault(struct pvk_regs *regs);
/* entry.S's C handler: fixes up safe-instruction #GPs, else guest_fault(). */
void guest_trap(struct pvk_regs *regs);
/* Test hook: called just before the fault report when set (fault.c). */
extern void (*guest_fault_report_hook)(void);
/* The kit's crash report (pvkit/crash.h) with the guest's symbols and
 * readable-memory check registered; regs NULL from a panic. */
void guest_crash_report(const struct pvk_regs *regs, const char *why);

/* ---- symbols.c: the embedded symbol table ----------------------------- */
struct pvk_symtab;
/* Made by scripts/pvk-symtab (guest.mk); for pvk_crash_set_symbols(). */
const struct pvk_symtab *guest_symtab(void);
/* Name of the function containing addr, NULL if unknown; *offset set. */
const char *guest_symbol(unsigned long addr, unsigned long *offset);

/* ---- shutdown.c: leaving ---------------------------------------------- */
/* Flushes the console and shuts the domain down with a SHUTDOWN_* reason. */
__pvk_noreturn void guest_shutdown(unsigned int reason);
/* Crashes the domain without touching the console. */
__pvk_noreturn void guest_crash_now(void);
/* Crashes the domain without even a hypercall (the hypercall page is bad). */
__pvk_noreturn void guest_crash_hard(void);

/* ---- cmdline.c: start_info->cmd_line ---------------------------------- */
void guest_cmdline_parse(const char *cmdline);
/* Number of names given with pvkit.test=, 0 if none (run the defaults). */
unsigned int guest_cmdline_nr_tests(void);
const char *guest_cmdline_test(unsigned int i);

/* ---- test.c: the test runner (tests are declared with test.h) -------- */
/* Runs the selected tests, prints the closing line; returns the failures. */
unsigned int guest_run_tests(void);

/* ---- page_alloc.c / heap.c: memory ------------------------------------ */
void guest_page_alloc_init(unsigned long start, unsigned long end);
/* Newly mapped pages [start, end) join the pool. */
void guest_page_alloc_add(unsigned long start, unsigned long end);
size_t guest_pages_free(void);
/* n zeroed pages at consecutive addresses (from a range not yet handed
 * out), NULL if no range has them; never freed. */
void *guest_pages_alloc_contig(unsigned int n);
size_t guest_pages_total(void);
size_t guest_heap_free_bytes(void);

/* ---- irq_exit.c: pvk_port_irq_exit(), the hook on every interrupt exit -- */
/* Called last by the hook when set, on every CPU, with the frame. */
extern void (*guest_irq_exit_fn)(struct pvk_regs *regs);
struct guest_irq_exit_stats {
	uint64_t upcalls, irqs, traps;	/* hook calls by entry kind */
	uint64_t to_user;		/* ... returning to user mode */
	uint64_t unmasked;		/* ... with upcalls/interrupts on: a bug */
};
/* Summed over every CPU. */
void guest_irq_exit_stats(struct guest_irq_exit_stats *out);

/* ---- lock.c: pvk_port_lock() and friends ------------------------------ */
struct pvk_lock;
bool guest_lock_held(struct pvk_lock *lock);
/* A static struct pvk_lock ready without pvk_port_lock_init() (the words
 * of lock.c's struct guest_lock: magic, no owner). */
#define GUEST_LOCK_MAGIC	0x4c4f434bu	/* "LOCK" */
#define GUEST_LOCK_INIT		{ .opaque = { (unsigned long)GUEST_LOCK_MAGIC << 32, 0, \
					      0xffffffffUL, 0 } }

/* ---- string.c: the C routines port.h asks the host for, and two more -- */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
char *guest_strstr(const char *haystack, const char *needle);
int guest_strncmp(const char *a, const char *b, size_t n);

/* ---- events.c: the second half of the kit's boot ---------------------- */
/* Idempotent: pvk_xen_boot_events(): VIRQ_TIMER bound, xenstore, console
 * driver, upcalls unmasked, CPUs and balloon started. */
void guest_events_enable(void);
bool guest_events_enabled(void);

/* ---- smp.c: the guest's CPUs ------------------------------------------- */
struct pvk_cpumask;
/* Xen, boot, right after the pvops table: CPU 0's GS base -> its area. */
void guest_smp_early_init(void);
/* Xen, boot, once the page allocator has its memory: the stacks of the
 * domain's other vCPUs (16 KiB each, kept for good). */
void guest_smp_reserve_stacks(void);
/*
 * Once, idempotent; thread context. Xen: from guest_events_enable() (the
 * kit's order: events, timer, then SMP). Natively: native.c calls it
 * once its timer is up; it calls guest_native_smp_init() first. Then
 * pvk_smp_init(), the guest's IPI handlers, and every CPU the toolstack
 * wants online (Xen with xenstore: pvk_smp_hotplug_start(), which follows
 * `xl vcpu-set` from then on) or every possible CPU. Prints
 * "smp: N CPUs online (xen|native)".
 */
void guest_smp_start_all(void);
/* True once pvk_smp_init() ran (from then on IPIs work). */
bool guest_smp_started(void);
/* The host IPI kinds of the guest (kind 0 is the kit's; the SMP tests may
 * use kinds from GUEST_IPI_FREE up). */
#define GUEST_IPI_RUN	1	/* work queued for the target: run_on, cpu_down */
#define GUEST_IPI_WAKE	2	/* a wait of the target may be over (wait.c) */
#define GUEST_IPI_FREE	3
/* Sends GUEST_IPI_WAKE to each CPU of cpus (offline ones skipped). */
void guest_smp_kick(const struct pvk_cpumask *cpus);
/*
 * fn(arg) in thread context (irqs on) on cpu; waits for it, bounded, and
 * serves this CPU's own queue meanwhile. 0 once fn returned; -ENODEV: cpu
 * offline or going down (fn did not run); -ETIMEDOUT: cpu did not start
 * it in time (it never will). A fn that started is waited for (a CPU
 * stuck in it for 10 s more is a panic). On the caller's own CPU: runs at
 * once. fn must not use the PVK_CHECK macros (the test runs on CPU 0):
 * it records results in arg. CPU 0 runs the tests and has no idle loop:
 * work for it runs only while it waits in guest_smp_run_on*() itself.
 */
int guest_smp_run_on(unsigned int cpu, void (*fn)(void *arg), void *arg,
		     uint64_t timeout_ns);
/* The same in two halves, so the caller can act while fn runs; r must
 * stay valid until _wait returned (or _start failed). */
struct guest_smp_run {
	void (*fn)(void *arg);
	void *arg;
	struct guest_smp_run *next;
	unsigned int cpu, caller;
	unsigned int state;
};
int guest_smp_run_on_start(struct guest_smp_run *r, unsigned int cpu,
			   void (*fn)(void *arg), void *arg);
int guest_smp_run_on_wait(struct guest_smp_run *r, uint64_t timeout_ns);
/* What the hotplug callbacks do, for the tests: start cpu / stop it and
 * wait (bounded) until it is down. */
int guest_smp_cpu_up(unsigned int cpu);
int guest_smp_cpu_down(unsigned int cpu);
/* A start whose entry holds back before pvk_smp_cpu_up_here() until
 * guest_smp_late_release() (bounded), so the kit's start times out; the
 * entries that got past the hold so far. */
int guest_smp_cpu_up_late(unsigned int cpu);
void guest_smp_late_release(void);
unsigned int guest_smp_late_arrivals(void);
/* Overwrites the stack of cpu, which must be offline and seen down (the
 * kit says the host may free it then): a CPU that still used it would
 * return through garbage. */
int guest_smp_stack_poison(unsigned int cpu);
/* Overwrites the per-CPU area (GS base) the late start gave cpu, which
 * must be seen down: a CPU that read it later finds a CPU number far past
 * any CPU. */
int guest_smp_late_area_poison(unsigned int cpu);
/* The per-CPU area: this CPU's as %gs says (Xen) / of cpu. */
const void *guest_smp_area(void);
const void *guest_smp_area_of(unsigned int cpu);
/* Per-CPU counters (each written by its own CPU only). */
struct guest_smp_cpu_stats {
	uint64_t run_ipis;	/* GUEST_IPI_RUN handler runs */
	uint64_t wake_ipis;	/* GUEST_IPI_WAKE handler runs */
	uint64_t runs;		/* run_on functions run here */
	uint64_t halts;		/* idle halts that returned */
	uint64_t starts, stops;
};
int guest_smp_cpu_stats(unsigned int cpu, struct guest_smp_cpu_stats *out);

/* ---- wait.c: the guest's background work ------------------------------ */
/* The kit's (pvk_port_schedule_work(), port.h) and the tests': runs in the
 * idle time of CPU 0's pvk_port_wait_until(), never inside itself. */
void guest_work_init(void);	/* boot, before any event handler */
/* Tests that reason about queued xenstore events hold it meanwhile
 * (nests; what is scheduled meanwhile runs after the last release). */
void guest_work_hold(bool hold);
struct pvk_wait;
/* The CPUs now sleeping in pvk_port_wait_until(w) (bit n: CPU n). */
uint64_t guest_wait_sleepers(struct pvk_wait *w);

/* ---- balloon.c: the balloon driver (CONFIG_PVK_XENBUS) ---------------- */
/* For pvk_xen_boot(): the driver follows memory/target once xenstore is up
 * (guest_events_enable()), with pages from the page allocator. */
extern const struct pvk_balloon_host guest_balloon_host;
/* Frames the driver has now handed to Xen (0 before it started). */
unsigned long guest_balloon_lent_pages(void);
/* pfns past the boot size the driver populated and the guest added. */
unsigned long guest_balloon_grown_pages(void);

/* ---- cases/mm_p2m.c: shared by the p2m and balloon tests ------------- */
/* PVK_CHECK_CALL helper: the published frame list covers the whole p2m
 * (arch.max_pfn) and every entry agrees with pvk_pfn_to_mfn(). */
void guest_check_p2m_frame_list(void);

/* ---- console_in.c: console input through the kit's driver (issue 6) -- */
/* The driver's rx callback (upcall context). */
void guest_console_input(void *arg);
/* Reads input until a line ('\r' or '\n') arrives or timeout_ns passes;
 * returns its length (line NUL-terminated, without the end), or -ETIMEDOUT. */
int guest_console_read_line(char *line, size_t size, uint64_t timeout_ns);

/* ---- control.c: requests from the toolstack (issue 6) ----------------- */
/* Idempotent: events, xenstore, and the kit's control watches. */
void guest_control_enable(void);
/* enum pvk_control_request of the last shutdown request, -1 if none. */
int guest_control_requested(void);
char guest_control_last_sysrq(void);
/* After the tests: shut down as the toolstack asked, if it did. */
void guest_control_shutdown_if_requested(void);
/* Suspends the kit carried out (its after callback), and the last one's
 * enum pvk_suspend_result (-1: none yet). */
unsigned int guest_suspends_done(void);
int guest_last_suspend_result(void);
/* The kit's clock (pvk_time_now_ns) as the host's before() and after()
 * callbacks of the last suspend began (0 before any). */
void guest_last_suspend_times(uint64_t *before, uint64_t *after);
/* CPUs the suspend's after callback could not start again, in all. */
unsigned int guest_suspend_cpus_not_back(void);

/* Linker-script symbols. */
extern char __image_start[], __image_end[], __text_start[], __text_end[];
extern char guest_stack_bottom[], guest_stack_top[];

#define GUEST_ROUND_UP(x, a)	(((x) + (a) - 1) & ~((unsigned long)(a) - 1))

#endif /* PVK_GUEST_H */
