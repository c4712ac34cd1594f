/*
 * pvkit/port.h - the porting interface: everything the kit asks of its host kernel.
 *
 * This file is the whole contract. A kernel that adopts pvkit implements each
 * function below once; the kit never reaches into the host kernel any other
 * way. Every function may be called with interrupts (event upcalls) disabled
 * unless its comment says otherwise. The reference guest in tests/guest/
 * implements all of them in a few lines each: read it as the worked example.
 *
 * Besides these, the host kernel must provide the usual freestanding C
 * routines that compilers emit calls to: memcpy, memmove, memset, memcmp and
 * strlen (every kernel has them already; the kit does not define its own so
 * that it never clashes with yours).
 */
#ifndef PVKIT_PORT_H
#define PVKIT_PORT_H

#include <pvkit/frame.h>
#include <pvkit/regs.h>
#include <pvkit/types.h>

/* ---- Memory ---------------------------------------------------------- */

/*
 * One zeroed, page-aligned 4 KiB page of kernel memory, mapped writable at
 * the returned virtual address. NULL when memory is exhausted (the kit then
 * reports the failure to its caller; it never retries behind your back).
 */
void *pvk_port_alloc_page(void);

/* Give back a page from pvk_port_alloc_page(). The kit guarantees no other
 * domain still maps it. */
void pvk_port_free_page(void *page);

/* Small allocations (control structures); NULL on failure. */
void *pvk_port_malloc(size_t size);
void pvk_port_free(void *ptr);

/* The pseudo-physical frame behind a kernel virtual address of the kit's
 * (pages from pvk_port_alloc_page() and the kernel image). */
pvk_pfn_t pvk_port_virt_to_pfn(const void *va);

/* The machine frame behind one of our pseudo-physical frames (the PV
 * guest's p2m lookup): what Xen's ABI calls a "gfn" for a PV guest, e.g.
 * the FIFO event channel pages. Any context. */
pvk_mfn_t pvk_port_pfn_to_mfn(pvk_pfn_t pfn);

/* ---- Logging --------------------------------------------------------- */

/*
 * Write already-formatted text to the kernel's log or console. Called with
 * whole lines ending in '\n'. Must work from any context, including before
 * the kernel's own console is up and from inside a fault handler.
 */
void pvk_port_log_write(const char *text, size_t len);

/* The kit found a state it cannot continue from: print msg and stop the
 * kernel (on Xen, crash the domain so the toolstack sees it). */
__pvk_noreturn void pvk_port_panic(const char *msg);

/* ---- Locks ----------------------------------------------------------- */

/*
 * An interrupt-safe spin lock, stored inside kit structures. The storage is
 * opaque to the kit; the host kernel keeps its own lock in it (it must fit in
 * PVK_PORT_LOCK_WORDS machine words). Taking the lock also masks the local
 * CPU's interrupts and restores their previous state on unlock. With
 * several CPUs it must exclude the others (a spin lock; the kit holds it
 * for short stretches only and never sleeps under it).
 */
#define PVK_PORT_LOCK_WORDS 4
struct pvk_lock {
	unsigned long opaque[PVK_PORT_LOCK_WORDS];
};

void pvk_port_lock_init(struct pvk_lock *lock);
void pvk_port_lock(struct pvk_lock *lock);
void pvk_port_unlock(struct pvk_lock *lock);

/* ---- CPUs ------------------------------------------------------------ */

/*
 * The calling CPU's number, 0 .. PVK_MAX_CPUS - 1 (pvkit/smp.h): 0 for the
 * boot CPU, on Xen the vCPU id, natively the number the host gave the CPU
 * in pvk_native_smp_init(). Called from every context, upcall, interrupt
 * and fault handlers included, and on every irq op on Xen: make it cheap
 * (a per-CPU load). Until the host calls pvk_smp_init() only CPU 0 runs
 * kit code, so it may return 0 without looking; a CPU started with
 * pvk_smp_cpu_start() must answer correctly from its boot entry on.
 *
 * The kit reads this number and then uses that CPU's state (its
 * vcpu_info, call slot, queues), so a thread must not move to another CPU
 * while it is inside a kit call, nor between kit calls while it holds
 * per-CPU kit state (lazy MMU mode from pvk_mmu_lazy_enter() to
 * _leave(), a multicall batch from pvk_multicall_add() to its flush, a
 * console write, a xenstore watch callback). Kit calls made with irqs on
 * from a preemptible host therefore need preemption or migration off
 * around them (Linux's rule for per-CPU data); with irqs off a thread
 * cannot move. The irq ops do not pin themselves: that would put a
 * preemption hook on their hot path.
 */
unsigned int pvk_port_cpu_id(void);

/* ---- Waiting --------------------------------------------------------- */

/*
 * A place for kit code to sleep until a condition holds, typically until an
 * event handler (upcall context) has recorded a reply. The storage is
 * opaque to the kit, like struct pvk_lock.
 *
 * pvk_port_wait_until() returns 0 as soon as cond(arg) is true (it checks
 * before sleeping, so a wake-up that came first is not lost) and
 * -PVK_XEN_ETIMEDOUT once timeout_ns of system time passed with cond still
 * false. It sleeps (never spins on a hypercall-free loop) and lets event
 * upcalls be delivered while it sleeps, whatever their state on entry,
 * which it restores before returning. Call it from thread context only,
 * never from an event handler or with a kit lock held.
 *
 * pvk_port_wake() makes every sleeper on w re-check its condition. It is
 * called from event handlers (upcall context) and must not sleep. With
 * several CPUs the sleeper may be on another CPU than the waker: the host
 * must wake it there (an IPI of its own, pvk_smp_send_ipi()), and several
 * CPUs may sleep on one w at once.
 */
#define PVK_PORT_WAIT_WORDS 4
struct pvk_wait {
	unsigned long opaque[PVK_PORT_WAIT_WORDS];
};

void pvk_port_wait_init(struct pvk_wait *w);
int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg),
			void *arg, uint64_t timeout_ns);
void pvk_port_wake(struct pvk_wait *w);

/* ---- Background work ------------------------------------------------- */

/*
 * Work the kit must not do in an event handler, because it waits or takes
 * long: delivering xenstore watch callbacks (xenbus probing and hotplug,
 * backend state changes, domain control), following the balloon target.
 * The kit's event handlers hand it to the host here, so nothing depends on
 * the host calling a polling function: what a kernel runs in a worker
 * thread (Linux: a workqueue, xenwatch).
 *
 * pvk_port_schedule_work(work) asks the host to call work->fn(work) soon
 * in thread context: upcalls enabled, no kit lock held, free to sleep in
 * pvk_port_wait_until(), not nested inside another kit call (a host
 * without threads runs it from its idle loop or from the waits of code
 * that holds no kit state). It is called from event handlers and any
 * other context, with kit locks held and upcalls masked, and must not
 * sleep or call the kit. A work already scheduled and not yet started is
 * not queued twice; one scheduled while its fn runs runs once more after.
 * One fn call per work at a time. fn returns true when it could not
 * finish (another CPU holds what it needs): call it again later, after a
 * short pause (a millisecond), not in a tight loop. The storage is the
 * host's, like struct pvk_lock; the kit sets fn and zeroes the rest once.
 * Needed with CONFIG_PVK_XENBUS (the kit's xenstore client and balloon
 * driver); the Linux port uses Linux's xenbus and has no call to it.
 */
#define PVK_PORT_WORK_WORDS 4
struct pvk_work {
	bool (*fn)(struct pvk_work *work);
	unsigned long opaque[PVK_PORT_WORK_WORDS];
};

void pvk_port_schedule_work(struct pvk_work *work);

/* ---- Interrupt exit --------------------------------------------------- */

/*
 * Called by the kit on the way out of every interrupt it takes for the
 * host: the event upcall (Xen, events/upcall.S), the native interrupt
 * entries built with PVK_NATIVE_IRQ_STUB (pvkit/asm/native_entry.h: the
 * local APIC timer, the kit's IPI, any vector the host routes through
 * it), and the trap stubs whose common code is PVK_XEN_TRAP_COMMON
 * (pvkit/asm/xen_entry.h) or PVK_NATIVE_TRAP_COMMON, after the host's
 * handler. It is where a kernel reschedules on a timer tick, and, when
 * pvk_regs_from_user(regs), delivers signals before the return to user
 * mode (Linux's irqentry_exit(), Mini-OS's do_hypervisor_callback(regs)).
 *
 * regs is the frame that will be restored (struct pvk_regs, pvkit/regs.h;
 * vector says which entry: an exception's number, PVK_REGS_VECTOR_UPCALL,
 * PVK_REGS_VECTOR_IRQ(n)); event upcalls (natively: interrupts) are
 * masked. The host may change it: every general register, rip, rsp, and
 * cs/ss/rflags, for example to resume another thread by writing that
 * thread's saved frame over it (a return to user mode takes a user cs/ss;
 * on Xen the iret hypercall switches page tables on RPL 3 and takes the
 * upcall mask from RFLAGS.IF, natively iretq does it all). Or it switches
 * stacks and comes back later, with the same frame to restore. It must
 * return with upcalls masked again if it unmasked them (events/upcall.S,
 * "the critical region"). An empty function is a valid hook.
 *
 * A host with its own entry code (Linux's, any kernel that already has
 * its irq entry and exit) does not use the kit's entries; it calls the
 * dispatch from its own:
 *  - Xen: pvk_evtchn_set_upcall_entry(its entry) before
 *    pvk_evtchn_register_upcall() (pvk_xen_boot() step 7; cfg->early is
 *    early enough) and before starting other vCPUs. Its entry gets Xen's
 *    frame (%rcx, %r11, then rip/cs/rflags/rsp/ss; pvkit/asm/xen_entry.h:
 *    PVK_XEN_TRAP_ENTRY takes the two back, then it pushes a 0: the
 *    slot PVK_XEN_TRAP_RETURN fills with the iret flags, as the error
 *    code of an exception, above the saved %rip), saves what its C code
 *    clobbers, calls pvk_evtchn_do_upcall() (no argument; it handles the
 *    calling CPU's pending ports) with upcalls still masked as Xen left
 *    them, does its own exit work, and leaves through HYPERVISOR_iret
 *    (PVK_XEN_TRAP_RETURN), with no window between an unmask and that
 *    iret (events/upcall.S).
 *  - Native: the kit's handlers are plain functions for its IDT entries:
 *    pvk_native_timer_interrupt() and pvk_native_ipi_interrupt()
 *    (pvkit/pvops.h), interrupts off, each EOIs itself.
 * Such a host still links the kit's upcall entry (events/upcall.S is in
 * libpvkit), so it defines this hook, empty: nothing calls it then.
 */
void pvk_port_irq_exit(struct pvk_regs *regs);

/* ---- Limits ------------------------------------------------------------
 *
 * What a kernel on the kit cannot have, in one place, with the function
 * that enforces each limit where the kit does. On Xen, x86-64 PV.
 *
 * Virtual address space.
 *  - Xen owns L4 slots 256-271 (0xffff800000000000-0xffff87ffffffffff) of
 *    every address space; its read-only M2P is at the start
 *    (PVK_MACH2PHYS_VIRT_START.._END, pvkit/xen/arch-x86.h). The kernel
 *    has the rest of the upper half (the reference guest maps memory from
 *    0xffff880000000000 and links in the top 2 GiB), user space the lower
 *    half, in its own top-level table. The kit refuses a TLB flush of a va
 *    in Xen's slots (-EINVAL, pvops/smp_xen.c xen_flush_tlb()); a
 *    pvk_mmu_map_range() there fails: the walk finds Xen's table, no page
 *    of ours (-EFAULT, mm/mmu_map.c table_va()), or Xen refuses the entry.
 *  - At boot Xen maps only the start-of-day area (pvkit/mmu.h, "Boot").
 *  - The kit takes from the kernel one window of its own: the grant
 *    table's PVK_GRANT_WINDOW_FRAMES pages (1 MiB) at pvk_grant_init()'s va.
 *
 * Large pages: none in PV page tables. Xen refuses PSE in a PV guest's L2
 * and L3 entries, so the kernel's direct map is 4 KiB pages on Xen;
 * pvk_mmu_map_range() refuses a va that lies inside a superpage
 * (-EINVAL, mm/mmu_map.c table_for()).
 *
 * Upcalls masked. Every port function above may be called with upcalls
 * masked (pvk_port_wait_until() only from thread context with no kit lock
 * held), pvk_port_alloc_page() and pvk_port_malloc() included, and the
 * kit allocates so from event handlers and under its spin locks:
 * netfront's receive refill takes a page and a
 * grant reference under its queue lock in the event handler; a grant
 * reference may grow the table (below); pvk_mmu_map_range() takes page
 * tables under its map lock. A host whose allocator may sleep keeps an
 * atomic pool for these; NULL is a failure the kit reports, never a
 * retry. Nothing of the kit sleeps with upcalls masked: what waits
 * (xenstore and xenbus calls, pvk_time_sleep_ns(), synchronous block
 * I/O, the balloon's work) is for thread context with no spin lock held.
 *
 * Grant table (v1, pvkit/grant.h). 512 references per 4 KiB frame, the
 * first 8 the toolstack's. pvk_grant_init() sets up nr_frames; when every
 * reference is in use pvk_grant_alloc() grows the table by one frame
 * (GNTTABOP_setup_table; the frame mapped in the window; a page for the
 * free list per 1,024 references), with upcalls masked, from any context
 * that may allocate a reference except under pvk_mmu's own lock. It
 * grows up to the smaller of Xen's maximum for the domain
 * (GNTTABOP_query_size: xl's max_grant_frames, 64 frames = 32,760
 * references by default) and the window, never shrinks, and past that
 * says -ENOSPC, logged once (mm/grant_ref.c grow_and_alloc()). A frame
 * number above 32 bits cannot be granted (pvk_grant_access() panics).
 *
 * p2m (pvkit/p2m.h). It covers start_info.nr_pages at boot (the list Xen
 * built, 8 bytes per page) and grows by pvk_p2m_extend(), one page of
 * 512 entries per 2 MiB of new pseudo-physical memory, which the balloon
 * calls before it populates pfns past the boot size (maxmem > memory).
 * At most PVK_P2M_MAX_PFNS pfns, 512 GiB (what one frame-list-list page
 * publishes): pvk_p2m_init() panics for a domain booted larger,
 * pvk_p2m_extend() says -ENOSPC beyond. Lookups beyond the p2m give
 * PVK_INVALID_RAW_FRAME, pvk_p2m_set() beyond it panics (mm/p2m.c).
 * pvk_p2m_extend() takes no lock: one caller at a time (the balloon's).
 *
 * Others.
 *  - Event channels: 4,096 ports (2-level) or 131,072 (FIFO), or fewer by
 *    the domain's max_event_channels (1,023 by default with xl): a bind
 *    beyond says -ENOSPC, logged (events/evtchn.c bound()).
 *  - CPUs: PVK_MAX_CPUS (CONFIG_PVK_NR_CPUS, 8 by default, 64 at most); a
 *    domain with more vCPUs runs on its first PVK_MAX_CPUS
 *    (pvops/smp_xen.c).
 *  - Xenstore: one message carries at most PVK_XENSTORE_PAYLOAD_MAX (4,096)
 *    bytes: a longer request is refused before it is sent and a reply
 *    longer than the caller's buffer says -E2BIG
 *    (frontends/xenbus/xenstore.c); a reply header claiming more from
 *    xenstored gives the connection up: every later call says -EIO
 *    (xs_ring.c). The ring is 1,024 bytes
 *    each way; queued watch events at most PVK_XS_WATCH_QUEUE_BYTES; a
 *    xenbus device's paths at most PVK_XENBUS_PATH_MAX (128) bytes (a
 *    device with longer ones is refused, frontends/xenbus/xenbus.c
 *    read_device()).
 *  - Disks (blkfront): up to 8 queues, rings of up to 16 pages
 *    (ring_order 4), up to 256 indirect segments per request
 *    (pvk_blkfront_option() refuses more, blkfront_options.c).
 *  - NICs (netfront): up to 8 queues, a one-page ring of 256 entries each
 *    way, a frame of up to 1,514 bytes (65,535 with feature-sg) in up to
 *    PVK_NET_MAX_FRAGS (18) pieces (pvk_netfront_xmit() refuses more:
 *    -EINVAL, netfront_tx.c netfront_tx_check()).
 */

/* ---- Suspend and resume ---------------------------------------------- */

/*
 * Not a port function: a host that wants `xl save` answered registers two
 * callbacks, before (quiesce) and after (resumed in a new domain, or
 * cancelled), with pvk_suspend_init(); the contract is
 * include/pvkit/suspend.h.
 */

#endif /* PVKIT_PORT_H */
