/*
 * pvkit/pvops.h - the privileged-operation table: every instruction a kernel
 * may not execute directly as a Xen PV guest, behind one function pointer.
 *
 * The host kernel calls pvk_*() below instead of the instruction. One table
 * is selected once at boot: pvk_pvops_select_native() (real instructions,
 * ring 0) or pvk_pvops_select_xen() (hypercalls and shared memory, the
 * kernel running in ring 3 under Xen). Before selection every op panics
 * naming itself; so does an op a world does not implement yet: a missing
 * op never silently returns.
 *
 * Ops that can be refused return 0 or a negative Xen errno (PVK_XEN_E*).
 * Each op's comment says: N = what it does natively, X = on Xen, and
 * "Host:" = what the host kernel must not do behind the table's back.
 */
#ifndef PVKIT_PVOPS_H
#define PVKIT_PVOPS_H

#include <pvkit/frame.h>
#include <pvkit/types.h>
#include <pvkit/pvops_patch.h>

struct pvk_shared_info;
struct pvk_wallclock;
struct pvk_cpumask;
struct pvk_cpu_boot;

#define PVK_X86_EFLAGS_IF	0x200UL	/* save_fl()/restore_fl() flag */
#define PVK_X86_CR0_TS		0x8UL

/* Model-specific registers the ops treat specially. */
#define PVK_MSR_FS_BASE		0xc0000100u
#define PVK_MSR_GS_BASE		0xc0000101u
#define PVK_MSR_KERNEL_GS_BASE	0xc0000102u

struct pvk_cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

/*
 * The 64-bit task-state segment (load_tr()): the stacks the CPU switches
 * to on a privilege change (rsp0) or through an IST gate, and where the
 * I/O permission bitmap starts.
 */
struct pvk_tss {
	uint32_t reserved0;
	uint64_t rsp0, rsp1, rsp2;
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __pvk_packed;
PVK_BUILD_BUG_ON(sizeof(struct pvk_tss) != 104);

/* One exception or interrupt vector for load_idt(). */
struct pvk_trap_desc {
	unsigned long handler;	/* entry address */
	uint8_t vector;
	uint8_t dpl;		/* lowest privilege allowed to raise it with INT n */
	bool mask_irqs;		/* interrupt gate: irqs off on entry */
};

struct pvk_pvops_cpu {
	/* N: cpuid. X: the forced-emulation form (ud2a; "xen"; cpuid), so the
	 * answer is Xen's PV view (hypervisor leaves at 0x40000000, features a
	 * PV guest may use) rather than the raw CPU's. */
	void (*cpuid)(uint32_t leaf, uint32_t subleaf, struct pvk_cpuid_regs *r);
	/* N: mov from/to %cr0. X: reads are emulated by Xen; a write may only
	 * change CR0.TS (HYPERVISOR_fpu_taskswitch); any other change is
	 * refused with -PVK_XEN_EPERM and logged. */
	unsigned long (*read_cr0)(void);
	int (*write_cr0)(unsigned long val);
	/* N: mov from/to %cr4. X: reads are emulated (Xen's view of the guest's
	 * CR4); a PV guest cannot change CR4: writing anything but the current
	 * value is refused with -PVK_XEN_EPERM and logged. */
	unsigned long (*read_cr4)(void);
	int (*write_cr4)(unsigned long val);
	/* N: rdmsr/wrmsr; a #GP is caught (pvk_pvops_fixup()) and reported as
	 * -PVK_XEN_EIO. X: FS/GS base writes go through set_segment_base
	 * (FS, GS = kernel GS, KERNEL_GS = user GS); everything else is the
	 * instruction, which Xen emulates or answers with #GP -> -PVK_XEN_EIO.
	 * Host: its #GP handler must call pvk_pvops_fixup() first. */
	int (*read_msr_safe)(uint32_t msr, uint64_t *val);
	int (*write_msr_safe)(uint32_t msr, uint64_t val);
	/* N: builds a 256-entry IDT (gates on the current %cs) and lidt.
	 * X: set_trap_table with the same entries (mask_irqs -> TI_IF). Vectors
	 * not listed are left empty. Host: no lidt of its own. */
	int (*load_idt)(const struct pvk_trap_desc *traps, unsigned int count);
	/* Load a GDT of entries 8-byte descriptors at table, which must be
	 * one page-aligned page (entries <= 512). N: lgdt (the host reloads
	 * its segment registers). X: the page is remapped read-only (Xen
	 * refuses a writable descriptor page) and given to set_gdt; the kernel
	 * keeps Xen's flat selectors, which live in Xen's reserved part of
	 * the GDT. Host: after this, never writes the page: write_desc. */
	int (*load_gdt)(void *table, unsigned int entries);
	/* Write descriptor index of a loaded GDT page. N: a store. X:
	 * update_descriptor with the entry's machine address (Xen checks the
	 * descriptor). */
	int (*write_desc)(void *table, unsigned int index, uint64_t desc);
	/* Load an LDT of entries 8-byte descriptors at ldt, which must be
	 * page-aligned (entries <= 8192; 0: no LDT, ldt unused). N: writes
	 * an LDT system descriptor for it at GDT entries selector / 8 and the
	 * one after (16 bytes in long mode) of the GDT loaded with load_gdt,
	 * then lldt. X: the LDT pages are remapped read-only (Xen maps them
	 * into its per-vCPU LDT area on first use only while no writable
	 * mapping is left) and given with MMUEXT_SET_LDT (linear address,
	 * entry count); Xen keeps the descriptor, selector is not used.
	 * Host: reserves those two GDT entries; changes a loaded LDT only
	 * with write_desc; after unloading it, makes the pages writable
	 * again before other use (on Xen pvk_mmu_make_writable). */
	int (*load_ldt)(unsigned int selector, void *ldt, unsigned int entries);
	/* Load the task register with tss. N: sets tss->iomap_base past the
	 * limit (no I/O bitmap), writes an available 64-bit TSS descriptor
	 * at GDT entries selector / 8 and the one after of the loaded GDT,
	 * then ltr. X: Xen keeps the only TSS and a PV guest cannot load one
	 * (ltr is privileged; Xen refuses system descriptors in a guest GDT).
	 * What Xen offers of a TSS is its rsp0, the stack of user -> kernel
	 * transitions: the op gives tss->rsp0 to HYPERVISOR_stack_switch and
	 * remembers tss, so that stack_switch keeps tss->rsp0 current as it
	 * does natively; selector is not used. Interrupt stacks are Xen's
	 * own (a PV guest has no IST): a tss with an ist[] entry is refused
	 * with -PVK_XEN_EINVAL, not ignored. Host: keeps tss allocated while
	 * loaded; no ltr of its own. */
	int (*load_tr)(unsigned int selector, struct pvk_tss *tss);
	/* The kernel stack the CPU switches to on the next user -> kernel
	 * transition. N: writes rsp0 in the TSS of the last load_tr
	 * (-EINVAL without one). X: HYPERVISOR_stack_switch, and rsp0 of the
	 * last load_tr's tss if there was one. Host: never writes the TSS's
	 * rsp0 itself. */
	int (*stack_switch)(unsigned long rsp);
	/* I/O privilege level (0-3) for in/out. N: RFLAGS.IOPL. X: physdev
	 * set_iopl (Xen keeps the IOPL; the real RFLAGS.IOPL is ignored).
	 * Host: no popf that changes IOPL. */
	int (*set_iopl)(unsigned int iopl);
	/* N: wbinvd. X: the instruction too: Xen emulates it (flushes when
	 * the domain may, else ignores it). */
	void (*wbinvd)(void);
	/* Stop until the next interrupt, with irqs as they are. N: hlt (with
	 * irqs off: forever). X: irqs on: SCHEDOP_block; irqs off: a panic
	 * naming the mistake (nothing could wake the vCPU), not a vCPU taken
	 * down in silence. An idle loop wants safe_halt or pvk_idle_until(). */
	void (*halt)(void);
	/* Enable irqs and stop until one arrives, without the race of enabling
	 * first. N: sti; hlt. X: SCHEDOP_block, which unmasks event upcalls
	 * and checks for pending ones atomically. Returns with irqs on. */
	void (*safe_halt)(void);
	/* N: out to port 0x80 (legacy ISA settle delay). X: nothing: a PV
	 * domain has no ISA devices and port 0x80 is not its to touch. */
	void (*io_delay)(void);
};

struct pvk_pvops_irq {
	/* "Interrupts" are CPU interrupts (N: RFLAGS.IF) or event upcalls
	 * (X: evtchn_upcall_mask of this vCPU's vcpu_info, 1 = masked).
	 * save_fl returns PVK_X86_EFLAGS_IF when enabled, 0 when not.
	 * X: irq_enable (and restore_fl enabling) checks
	 * evtchn_upcall_pending and forces the pending upcall with a cheap
	 * hypercall, since Xen only delivers on its way back to the guest.
	 * Host: no cli/sti/popf of IF; never writes the upcall mask.
	 * The pvk_*() calls of this group are patch sites (pvkit/
	 * pvops_patch.h): selection rewrites them, natively into these
	 * instructions inline, on Xen into direct calls of the Xen ops. For
	 * that the host links PVK_LDS_PVOPS_SITES (pvkit/pvkit.lds.h), builds
	 * with -mno-red-zone and no SSE, has its text writable at selection
	 * and selects on the boot CPU, irqs off, before starting any other.
	 * Calling these pointers directly skips the patching (an indirect
	 * call, and on Xen the same op). */
	unsigned long (*save_fl)(void);
	void (*restore_fl)(unsigned long flags);
	void (*irq_disable)(void);
	void (*irq_enable)(void);
};

struct pvk_pvops_mmu {
	/* N: mov from %cr2. X: vcpu_info.arch.cr2 (Xen saves it there before
	 * delivering #PF; the real CR2 belongs to Xen). */
	unsigned long (*read_cr2)(void);
	/* N: mov from/to %cr3 (the write flushes non-global TLB entries).
	 * X: the machine address of the kernel L4 / MMUEXT_NEW_BASEPTR
	 * (mm/mmu_pvops.c); a refused switch panics. */
	unsigned long (*read_cr3)(void);
	void (*write_cr3)(unsigned long val);
	/* N: invlpg / reload %cr3. X: MMUEXT_INVLPG_LOCAL / TLB_FLUSH_LOCAL. */
	void (*flush_tlb_one)(unsigned long va);
	void (*flush_tlb_local)(void);
	/* Write one page-table entry. N: a plain store. X: mmu_update (queued
	 * in lazy MMU mode); the value is a machine PTE; a refusal is reported
	 * and panics. Host: page tables are read-only on Xen: every write goes
	 * through here. */
	void (*set_pte)(uint64_t *ptep, uint64_t val);

	/*
	 * What a kernel's page-table code needs to be the same code in both
	 * worlds (a table here is the kernel's pointer to one page-table
	 * page, level 1 = L1 ... 4 = L4; a "top" is an L4).
	 *
	 * make_pte: the entry mapping pfn (the host's own frame number, as
	 * pvk_port_virt_to_pfn gives it) with flags (PVK_PTE_*, pvkit/mmu.h).
	 * N: pfn << 12 | flags (pfns are physical frames). X: the p2m's
	 * machine frame of pfn << 12 | flags; a pfn without a machine frame
	 * (beyond the p2m, ballooned out) panics naming it rather than making
	 * an entry for whatever frame garbage names. pte_pfn: the inverse,
	 * the pfn an entry maps (flags ignored). N: the frame bits. X: the M2P's pfn of
	 * the machine frame, PVK_INVALID_RAW_FRAME when the frame is not ours
	 * (a foreign or granted one: the p2m does not map it back).
	 * Host: never shifts frame numbers into entries or out of them itself:
	 * on Xen an entry holds a machine frame, never a pfn.
	 */
	uint64_t (*make_pte)(pvk_pfn_t pfn, uint64_t flags);
	pvk_pfn_t (*pte_pfn)(uint64_t pte);
	/*
	 * alloc_pt: table (a zeroed or filled page of the host's, level
	 * 1..4) becomes a page table; called after the host filled it with
	 * plain stores (entries from make_pte) and before it is hooked into
	 * a table above it or, for level 4, before activate. N: nothing, 0.
	 * X: the kernel's mapping of the page made read-only (Xen refuses a
	 * page table that still has a writable mapping); level 4 is also
	 * pinned (MMUEXT_PIN_L4_TABLE), which makes Xen validate the whole
	 * tree under it and keep it typed while pinned. release_pt: the
	 * reverse, after the table is unhooked from every table above it
	 * and, for level 4, no CPU runs on it (activate another first).
	 * N: nothing, 0. X: level 4 unpinned (MMUEXT_UNPIN_TABLE), then the
	 * page made writable again. Either returns 0 or Xen's refusal
	 * (logged; a refused alloc_pt left the page as it was unless the log
	 * says it was left read-only, when undoing a refused level-4 pin was
	 * refused too; a refused release_pt leaves the page a table: do not
	 * reuse either).
	 * Host: between the two, every write to the table goes through
	 * set_pte (on Xen the page is read-only); pages it gives to
	 * pvk_port_free_page() were released first. A table of the kit's
	 * own (pvk_mmu_map_range) is the kit's business: no hooks for it.
	 */
	int (*alloc_pt)(unsigned int level, void *table);
	int (*release_pt)(unsigned int level, void *table);
	/*
	 * activate_mm: the calling CPU runs on kernel_top (an alloc_pt'd
	 * level-4 table, or the boot one) and, in user mode, user_top (an
	 * alloc_pt'd L4 holding the user half, slots 0-255; NULL: no user
	 * address space). X: 64-bit PV has two base pointers: one
	 * mmuext_op of two operations, MMUEXT_NEW_BASEPTR kernel_top and
	 * MMUEXT_NEW_USER_BASEPTR user_top (0 for NULL); Xen switches
	 * between them on every kernel entry and exit, so user mode never
	 * sees the kernel half. N: the CPU has one %cr3: with a user_top,
	 * the op first copies kernel_top's kernel half (slots 256-511) into
	 * user_top (plain stores), then loads user_top's physical address in
	 * %cr3; with NULL, kernel_top's. Both flush the non-global TLB.
	 * Returns 0 or Xen's refusal (logged; Xen stops at the refused
	 * operation: a refused user top leaves the new kernel top in place).
	 * Host: keeps kernel mappings the user tables must carry natively
	 * (e.g. its own low-half ones) in the user top's tables itself; a
	 * kernel-half top entry written while a user top is active reaches
	 * that user top natively at its next activate_mm (activate again);
	 * no %cr3 write or base pointer of its own for user address spaces.
	 */
	int (*activate_mm)(void *kernel_top, void *user_top);
	/*
	 * Lazy MMU mode on the calling CPU: set_pte writes between enter and
	 * leave may be batched; leave applies them all and returns 0 or the
	 * first refusal. Not nestable. N: nothing (stores are immediate),
	 * leave returns 0. X: pvk_mmu_lazy_enter()/leave(): the kit's queue
	 * (mm/mmu_queue.c), CONFIG_PVK_MMU_UPDATE_BATCH entries per
	 * mmu_update. Host: reads no entry it wrote in lazy mode before
	 * leave (on Xen it may not be in memory yet) and does not block or
	 * move to another CPU between the two.
	 */
	void (*lazy_enter)(void);
	int (*lazy_leave)(void);
};

struct pvk_pvops_time {
	/* Monotonic ns. N: TSC scaled by a frequency measured against PIT
	 * channel 2 at selection. X: pvk_time_now_ns() (pvclock, time/). */
	uint64_t (*clock_ns)(void);
	/* One-shot timer at absolute clock_ns() deadline, replacing the last
	 * one; a past deadline fires at once. Both worlds: pvk_time_timer_set
	 * / _stop (time/oneshot.c: the host's deadline beside the kit's own,
	 * expiry calls pvk_time_timer_init()'s fn, pvk_time_timer_fired()
	 * counts). X: VCPUOP_set_singleshot_timer, VIRQ_TIMER. N: the local
	 * APIC timer, one-shot mode, far deadlines in chunks of <= 500 ms.
	 * Host: natively, sets it up with pvk_native_timer_init() (below)
	 * and never touches the APIC timer registers itself. */
	int (*timer_set)(uint64_t deadline_ns);
	int (*timer_stop)(void);
	/* Wall clock now. X: pvk_time_wallclock(). N: the CMOS RTC (whole
	 * seconds, 20xx). Host: does not reprogram the RTC's format. */
	void (*wallclock)(struct pvk_wallclock *out);
};

/*
 * Several CPUs (pvkit/smp.h has the whole story; hosts call the pvk_smp_*
 * functions there, which do the world-independent part around these).
 */
struct pvk_pvops_smp {
	/* Start cpu at boot (the kit's per-CPU state is ready). N: INIT-SIPI-
	 * SIPI through the local APIC to the CPU's APIC id, into the kit's
	 * real-mode trampoline (pvk_native_smp_init()), which enters long mode
	 * and takes the calling CPU's CR0, CR4, %cr3, GDT, IDT and segment
	 * selectors, MSR_GS_BASE = boot->gs_base, and jumps to entry on the
	 * stack (what else is copied: pvk_native_smp_init()). X: the boot is
	 * left for the vCPU to take; first start: VCPUOP_initialise with a
	 * full context (flat kernel selectors, the starting CPU's page tables,
	 * trap table and GDT, the kit's event/failsafe/syscall callbacks,
	 * gs_base_kernel, and rip/rsp/kernel_sp on the kit's own per-vCPU wake
	 * stack), then VCPUOP_up; a vCPU stopped with stop_self (or whose
	 * VCPUOP_up failed): VCPUOP_up only. Either way it begins on its wake
	 * stack, loads the boot's GS base and kernel stack and jumps to entry
	 * on stack_top. Returns once the start was issued, not reached. */
	int (*cpu_start)(unsigned int cpu, const struct pvk_cpu_boot *boot);
	/* The calling CPU stops (irqs off). N: halts until INIT. X: moves to
	 * its wake stack, VCPUOP_down on itself; when VCPUOP_up wakes it, it
	 * flushes its TLB (the shootdowns left it out while it was down) and
	 * continues at the entry of the cpu_start that woke it. */
	void (*stop_self)(void) __attribute__((noreturn));
	/* Raise the kit's IPI on each CPU of cpus (the kinds were set by the
	 * caller). N: a fixed IPI of the vector given to pvk_native_smp_init()
	 * to each APIC id (ICR, waits for delivery). X: EVTCHNOP_send on each
	 * target's IPI port. */
	int (*send_ipi)(const struct pvk_cpumask *cpus);
	/* pvk_smp_flush_tlb(): va or PVK_TLB_FLUSH_ALL on cpus. X:
	 * MMUEXT_INVLPG_MULTI / MMUEXT_TLB_FLUSH_MULTI with cpus as vcpumask.
	 * N: local invlpg / cr3 reload and pvk_smp_call() to the others. */
	int (*flush_tlb)(const struct pvk_cpumask *cpus, unsigned long va);
};

struct pvk_pvops {
	const char *name;	/* "none", "native" or "xen" */
	struct pvk_pvops_cpu cpu;
	struct pvk_pvops_irq irq;
	struct pvk_pvops_mmu mmu;
	struct pvk_pvops_time time;
	struct pvk_pvops_smp smp;
};

/* The selected table. Read-only to the host. */
extern struct pvk_pvops pvk_pvops;

/*
 * Selection, once, at boot, before any op is used. Native: measures the TSC
 * against the PIT (about 10 ms). Xen: shared may be NULL when shared_info is
 * not mapped yet; pass it with pvk_pvops_xen_set_shared_info() before any
 * irq op or read_cr2 (which panic until then).
 */
void pvk_pvops_select_native(void);
void pvk_pvops_select_xen(struct pvk_shared_info *shared);
void pvk_pvops_xen_set_shared_info(struct pvk_shared_info *shared);
/*
 * The native one-shot timer (the local APIC, xAPIC mode), after
 * pvk_pvops_select_native():
 * 1. pvk_native_timer_probe() gives the physical address of the APIC's 4 KiB
 *    register page (IA32_APIC_BASE): -PVK_XEN_ENODEV without an enabled
 *    APIC, -PVK_XEN_EOPNOTSUPP in x2APIC mode (not supported).
 * 2. The host maps that page uncached and gives its address and two IDT
 *    vectors (>= 32) to pvk_native_timer_init(): vector, whose entry calls
 *    pvk_native_timer_interrupt() (irqs off; it EOIs and runs the expiry:
 *    the same pvk_time_timer_init() fn as on Xen), and spurious_vector,
 *    whose entry only returns (iretq, no EOI). It enables the APIC, measures
 *    the timer's rate (10 ms) and attaches it to time/oneshot.c. The host
 *    keeps TPR below the vector's priority class (vector / 16).
 * 3. pvk_time_timer_init(fn, arg), as on Xen.
 */
int pvk_native_timer_probe(uint64_t *mmio_phys);
int pvk_native_timer_init(void *mmio, uint8_t vector, uint8_t spurious_vector);
void pvk_native_timer_interrupt(void);

/*
 * Natively, several CPUs (after pvk_native_timer_init(), before
 * pvk_smp_init()):
 * - apic_ids[cpu] is the local APIC id of CPU cpu (the host reads them
 *   from ACPI's MADT or the MP table); apic_ids[0] must be the boot CPU's
 *   (checked); n <= PVK_MAX_CPUS (more: -PVK_XEN_E2BIG).
 * - low_va/low_phys: PVK_NATIVE_SMP_LOW_PAGES pages of RAM below 1 MiB,
 *   page-aligned, mapped writable at low_va, given to the kit for good (it
 *   puts the real-mode trampoline and its temporary page tables there;
 *   the host's page tables need not map low_phys). In practice below
 *   0xa0000 (checked: conventional memory), and the start reads the
 *   caller's page tables with paging off, so %cr3 must be below 4 GiB
 *   and the kit's code outside the lowest 512 GiB (PML4 slot 0 is the
 *   trampoline's identity map); each is refused with a message, as is
 *   5-level paging (CR4.LA57).
 * - A started CPU gets the caller of pvk_smp_cpu_start()'s CR0, CR4, %cr3,
 *   GDT, IDT and selectors, and this (boot) CPU's EFER.LME/NXE/SCE, XCR0,
 *   IA32_PAT and APIC SVR; MSR_GS_BASE is boot->gs_base. Not copied (the
 *   host sets them on the new CPU if it uses them): EFER's other bits,
 *   STAR/LSTAR/CSTAR/SFMASK, FS base, kernel GS base, TR, LDT, debug
 *   registers; MTRRs are the firmware's.
 * - ipi_vector (>= 32): an IDT vector whose entry calls
 *   pvk_native_ipi_interrupt() (irqs off; it EOIs) and returns with iretq.
 *   The host loads the IDT with it on the boot CPU (load_idt); started
 *   CPUs get the same IDT.
 * Other CPUs' local APIC timers are set up by pvk_smp_cpu_up_here() with
 * the boot CPU's vectors and calibration.
 */
#define PVK_NATIVE_SMP_LOW_PAGES	4
int pvk_native_smp_init(const uint32_t *apic_ids, unsigned int n,
			void *low_va, uint32_t low_phys, uint8_t ipi_vector);
void pvk_native_ipi_interrupt(void);

/* "none", "native" or "xen". */
static inline const char *pvk_pvops_name(void) { return pvk_pvops.name; }

/*
 * Exception fix-ups of the kit's "safe" instructions: if rip is one of them
 * (a rdmsr/wrmsr of read_msr_safe/write_msr_safe), returns the address to
 * resume at, else 0. The host's #GP handler calls it first and, on a hit,
 * returns from the exception to that address with the registers unchanged.
 */
unsigned long pvk_pvops_fixup(unsigned long rip);

/* Panics naming the op (used by the tables for ops a world lacks). */
__pvk_noreturn void pvk_pvops_missing(const char *op);

/* ---- the calls the host makes ---------------------------------------- */
static inline void pvk_cpuid(uint32_t leaf, uint32_t subleaf, struct pvk_cpuid_regs *r)
{ pvk_pvops.cpu.cpuid(leaf, subleaf, r); }
static inline unsigned long pvk_read_cr0(void) { return pvk_pvops.cpu.read_cr0(); }
static inline int pvk_write_cr0(unsigned long v) { return pvk_pvops.cpu.write_cr0(v); }
static inline unsigned long pvk_read_cr4(void) { return pvk_pvops.cpu.read_cr4(); }
static inline int pvk_write_cr4(unsigned long v) { return pvk_pvops.cpu.write_cr4(v); }
static inline int pvk_read_msr_safe(uint32_t msr, uint64_t *val)
{ return pvk_pvops.cpu.read_msr_safe(msr, val); }
static inline int pvk_write_msr_safe(uint32_t msr, uint64_t val)
{ return pvk_pvops.cpu.write_msr_safe(msr, val); }
static inline int pvk_load_idt(const struct pvk_trap_desc *t, unsigned int n)
{ return pvk_pvops.cpu.load_idt(t, n); }
static inline int pvk_load_gdt(void *t, unsigned int n) { return pvk_pvops.cpu.load_gdt(t, n); }
static inline int pvk_write_desc(void *t, unsigned int i, uint64_t d)
{ return pvk_pvops.cpu.write_desc(t, i, d); }
static inline int pvk_load_ldt(unsigned int sel, void *ldt, unsigned int n)
{ return pvk_pvops.cpu.load_ldt(sel, ldt, n); }
static inline int pvk_load_tr(unsigned int sel, struct pvk_tss *tss)
{ return pvk_pvops.cpu.load_tr(sel, tss); }
static inline int pvk_stack_switch(unsigned long rsp) { return pvk_pvops.cpu.stack_switch(rsp); }
static inline int pvk_set_iopl(unsigned int iopl) { return pvk_pvops.cpu.set_iopl(iopl); }
static inline void pvk_wbinvd(void) { pvk_pvops.cpu.wbinvd(); }
static inline void pvk_halt(void) { pvk_pvops.cpu.halt(); }
static inline void pvk_safe_halt(void) { pvk_pvops.cpu.safe_halt(); }
static inline void pvk_io_delay(void) { pvk_pvops.cpu.io_delay(); }

/*
 * The irq ops are called from patch sites (pvkit/pvops_patch.h): natively
 * each becomes the bare instructions at selection, on Xen a direct call.
 * A hosted build (__STDC_HOSTED__: the kit's unit tests) and Linux's
 * modules, which have no patcher, call through the table as C.
 */
#if __STDC_HOSTED__ || defined(PVK_HOST_LINUX) || defined(PVK_PVOPS_NO_PATCH)
static inline unsigned long pvk_save_fl(void) { return pvk_pvops.irq.save_fl(); }
static inline void pvk_restore_fl(unsigned long f) { pvk_pvops.irq.restore_fl(f); }
static inline void pvk_irq_disable(void) { pvk_pvops.irq.irq_disable(); }
static inline void pvk_irq_enable(void) { pvk_pvops.irq.irq_enable(); }
#else
/* Returns in %rax; may change the arithmetic flags. */
static inline unsigned long pvk_save_fl(void)
{
	unsigned long f;

	__asm__ __volatile__(PVK_PVOPS_SITE("pvk_pvops_thunk_save_fl")
			     : "=a"(f)
			     : PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_SAVE_FL,
						   PVK_PVOPS_CLOBBER_RAX | PVK_PVOPS_CLOBBER_CC)
			     : "cc", "memory");
	return f;
}

/* Takes the flags in %rdi, which it keeps; may change the arithmetic flags. */
static inline void pvk_restore_fl(unsigned long f)
{
	__asm__ __volatile__(PVK_PVOPS_SITE("pvk_pvops_thunk_restore_fl")
			     : : "D"(f),
			       PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_RESTORE_FL, PVK_PVOPS_CLOBBER_CC)
			     : "cc", "memory");
}

static inline void pvk_irq_disable(void)
{
	__asm__ __volatile__(PVK_PVOPS_SITE("pvk_pvops_thunk_irq_disable")
			     : : PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_IRQ_DISABLE, PVK_PVOPS_CLOBBER_CC)
			     : "cc", "memory");
}

static inline void pvk_irq_enable(void)
{
	__asm__ __volatile__(PVK_PVOPS_SITE("pvk_pvops_thunk_irq_enable")
			     : : PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_IRQ_ENABLE, PVK_PVOPS_CLOBBER_CC)
			     : "cc", "memory");
}
#endif
/* save_fl() then irq_disable(): the usual start of a critical section. */
static inline unsigned long pvk_irq_save(void)
{
	unsigned long f = pvk_save_fl();

	pvk_irq_disable();
	return f;
}

static inline unsigned long pvk_read_cr2(void) { return pvk_pvops.mmu.read_cr2(); }
static inline unsigned long pvk_read_cr3(void) { return pvk_pvops.mmu.read_cr3(); }
static inline void pvk_write_cr3(unsigned long v) { pvk_pvops.mmu.write_cr3(v); }
static inline void pvk_flush_tlb_one(unsigned long va) { pvk_pvops.mmu.flush_tlb_one(va); }
static inline void pvk_flush_tlb_local(void) { pvk_pvops.mmu.flush_tlb_local(); }
static inline void pvk_set_pte(uint64_t *ptep, uint64_t v) { pvk_pvops.mmu.set_pte(ptep, v); }
static inline uint64_t pvk_make_pte(pvk_pfn_t pfn, uint64_t flags)
{ return pvk_pvops.mmu.make_pte(pfn, flags); }
static inline pvk_pfn_t pvk_pte_pfn(uint64_t pte) { return pvk_pvops.mmu.pte_pfn(pte); }
static inline int pvk_alloc_pt(unsigned int level, void *table)
{ return pvk_pvops.mmu.alloc_pt(level, table); }
static inline int pvk_release_pt(unsigned int level, void *table)
{ return pvk_pvops.mmu.release_pt(level, table); }
static inline int pvk_activate_mm(void *kernel_top, void *user_top)
{ return pvk_pvops.mmu.activate_mm(kernel_top, user_top); }
static inline void pvk_lazy_mmu_enter(void) { pvk_pvops.mmu.lazy_enter(); }
static inline int pvk_lazy_mmu_leave(void) { return pvk_pvops.mmu.lazy_leave(); }

static inline uint64_t pvk_clock_ns(void) { return pvk_pvops.time.clock_ns(); }
static inline int pvk_timer_set(uint64_t deadline_ns)
{ return pvk_pvops.time.timer_set(deadline_ns); }
static inline int pvk_timer_stop(void) { return pvk_pvops.time.timer_stop(); }
static inline void pvk_wallclock(struct pvk_wallclock *out) { pvk_pvops.time.wallclock(out); }
/* The smp group is called through pvkit/smp.h's pvk_smp_* functions. */

#endif /* PVKIT_PVOPS_H */
