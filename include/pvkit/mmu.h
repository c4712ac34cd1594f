/*
 * pvkit/mmu.h - the PV MMU: page-table updates through Xen.
 *
 * A PV guest's page tables are read-only to it: Xen validates every change.
 * This interface makes the changes:
 *   - entry writes (struct pvk_mmu_update), one hypercall each, or queued
 *     between pvk_mmu_lazy_enter() and pvk_mmu_lazy_leave() and issued
 *     CONFIG_PVK_MMU_UPDATE_BATCH at a time;
 *   - the extended operations: pin/unpin, TLB flushes, base pointers;
 *   - mapping and unmapping ranges of frames at new virtual addresses,
 *     allocating page-table frames as needed (made read-only before they
 *     are hooked in, as Xen requires) and freeing those left empty.
 * A refused update is reported (pvk_err) with the entry, the table frame,
 * the value and Xen's error code, recorded for pvk_mmu_last_error(), and
 * returned: it is never a crash.
 *
 * Several CPUs: each CPU has its own update queue and lazy mode
 * (pvk_port_cpu_id()); lazy_enter/leave, set_entry and flush act on the
 * calling CPU's, and what a CPU queued is issued by that CPU. CPUs may
 * use lazy mode at the same time. Page-table pages and frames the kit
 * frees (unmap_range) reach pvk_port_free_page() only after the online
 * CPUs' TLBs were flushed (pvkit/smp.h, TLB shootdown).
 */
#ifndef PVKIT_MMU_H
#define PVKIT_MMU_H

#include <pvkit/frame.h>
#include <pvkit/xen/xen.h>

/* x86-64 page-table entry bits (the ones the kit uses). */
#define PVK_PTE_PRESENT		0x001ULL
#define PVK_PTE_RW		0x002ULL
#define PVK_PTE_USER		0x004ULL
#define PVK_PTE_ACCESSED	0x020ULL
#define PVK_PTE_DIRTY		0x040ULL
#define PVK_PTE_PSE		0x080ULL
#define PVK_PTE_NX		(1ULL << 63)
#define PVK_PTE_MFN_MASK	0x000ffffffffff000ULL

/* Flags for a kernel data page and for an entry pointing at a lower table. */
#define PVK_PTE_KERNEL_RW	(PVK_PTE_PRESENT | PVK_PTE_RW | PVK_PTE_ACCESSED | PVK_PTE_DIRTY)
#define PVK_PTE_KERNEL_RO	(PVK_PTE_PRESENT | PVK_PTE_ACCESSED)
#define PVK_PTE_TABLE		(PVK_PTE_PRESENT | PVK_PTE_RW | PVK_PTE_USER | PVK_PTE_ACCESSED)

#define PVK_PT_ENTRIES		512

static inline uint64_t pvk_pte(pvk_mfn_t mfn, uint64_t flags)
{
	return (pvk_mfn_raw(mfn) << 12) | flags;
}

static inline pvk_mfn_t pvk_pte_mfn(uint64_t pte)
{
	return pvk_mfn((pte & PVK_PTE_MFN_MASK) >> 12);
}

/* Index of va in the page table of level (1 = L1 ... 4 = L4). */
static inline unsigned int pvk_pt_index(unsigned long va, unsigned int level)
{
	return (va >> (12 + 9 * (level - 1))) & (PVK_PT_ENTRIES - 1);
}

/* The last refused update: which entry of which batch, where, what, why. */
struct pvk_mmu_error {
	unsigned int index;	/* entry in the batch Xen stopped at */
	unsigned int count;	/* entries in that batch */
	pvk_mfn_t table;	/* page-table frame the entry belongs to */
	unsigned int slot;	/* entry within that frame */
	uint64_t val;		/* the value Xen refused */
	long rc;		/* Xen's error (negative PVK_XEN_E*) */
};

/* Counters since boot. */
struct pvk_mmu_stats {
	uint64_t updates;	/* entries written (queued or not) */
	uint64_t batches;	/* HYPERVISOR_mmu_update calls */
	uint64_t refused;	/* updates Xen refused */
	uint64_t tables_added;	/* page-table frames allocated and hooked */
	uint64_t tables_freed;	/* page-table frames unhooked and freed */
};

/*
 * Takes over the p2m (pvk_p2m_init) and records the running L4
 * (start_info.pt_base). Call once. pfn_to_virt tells where the kernel maps
 * one of its own frames, NULL if it does not: the kit reads page tables
 * through it (Xen's bootstrap tables and the ones the kit allocates).
 */
void pvk_mmu_init(const struct pvk_start_info *si,
		  void *(*pfn_to_virt)(pvk_pfn_t pfn));

/* The machine frame of the L4 the calling CPU is running on (each CPU may
 * run its own: pvk_mmu_new_baseptr() changes the caller's). */
pvk_mfn_t pvk_mmu_kernel_base(void);
/* cpu (about to be started) will run on l4: smp start-up, Xen. */
void pvk_mmu_cpu_base_set(unsigned int cpu, pvk_mfn_t l4);

/*
 * Set entry slot of page-table frame table to val. Outside lazy mode this
 * is one HYPERVISOR_mmu_update and returns its result; in lazy mode it is
 * queued (the queue is flushed when full) and returns 0 or the error of a
 * flush it caused. Errors are negative PVK_XEN_E* values.
 */
int pvk_mmu_set_entry(pvk_mfn_t table, unsigned int slot, uint64_t val);

/* Record mfn -> pfn in Xen's M2P (goes through the same queue). */
int pvk_mmu_set_m2p(pvk_mfn_t mfn, pvk_pfn_t pfn);

/* Lazy mode: updates are queued until leave (or an operation that needs
 * them applied) and issued as few hypercalls as possible. leave returns 0
 * or the first error since enter. Not nestable. */
void pvk_mmu_lazy_enter(void);
int pvk_mmu_lazy_leave(void);
bool pvk_mmu_lazy_active(void);
/* Issue what is queued now (lazy mode stays on). */
int pvk_mmu_flush_queue(void);

/* Extended operations; each first issues anything queued. */
int pvk_mmu_pin(unsigned int level, pvk_mfn_t table);
int pvk_mmu_unpin(pvk_mfn_t table);
int pvk_mmu_new_baseptr(pvk_mfn_t l4);
int pvk_mmu_new_user_baseptr(pvk_mfn_t l4);	/* 0: no user page tables */
/* Both in one mmuext_op (kernel first); user_l4 0: no user page tables. */
int pvk_mmu_new_baseptrs(pvk_mfn_t kernel_l4, pvk_mfn_t user_l4);
int pvk_mmu_flush_tlb_local(void);
int pvk_mmu_flush_tlb_all(void);
int pvk_mmu_invlpg_local(unsigned long va);
int pvk_mmu_invlpg_all(unsigned long va);

/* Remap one page of ours (a kernel virtual address of the port) read-only
 * or writable again: update_va_mapping with a local invlpg. */
int pvk_mmu_make_readonly(void *va);
int pvk_mmu_make_writable(void *va);

/* One remapping of a run (pvk_mmu_update_va_run). */
struct pvk_mmu_va_update {
	unsigned long va;	/* in the running address space */
	uint64_t pte;		/* machine PTE, e.g. pvk_pte(mfn, flags) */
};

/*
 * update_va_mapping of each entry of u, in order, with uvm_flags
 * (PVK_UVMF_*) for every one, through the multicall batcher: one
 * hypercall per CONFIG_PVK_MULTICALL_BATCH entries rather than one per
 * entry. Entry writes queued in lazy mode are issued first. Returns 0, or
 * the first error (logged, with the failing va and pte); Xen still applies
 * the other entries of the run.
 */
int pvk_mmu_update_va_run(const struct pvk_mmu_va_update *u, unsigned long n,
			  unsigned long uvm_flags);

/*
 * Map n frames, pfn first .. first + n - 1, at va .. va + n pages in the
 * running address space with PTE flags, allocating missing page tables
 * (pvk_port_alloc_page; each costs two queued entries: the kernel's
 * mapping of it made read-only, then the hook). The range must be
 * unmapped. Batched as in lazy mode; entries already queued in lazy mode
 * are issued first (the walk reads the tables), as for unmap.
 * 0 or a negative error (what was mapped before the error stays mapped).
 * Several CPUs: map, unmap and lookup walk under one spin lock taken with
 * upcalls masked and held for the whole range (its page allocations,
 * batches and, for unmap, the TLB shootdown, which waits for the other
 * CPUs): irqs stay off for a time that grows with n, so a host wanting
 * short irq-off stretches maps and unmaps large ranges in pieces.
 */
int pvk_mmu_map_range(unsigned long va, pvk_pfn_t first, unsigned long n,
		      uint64_t flags);

/* The same for machine frames that are not in our p2m (frames Xen shares
 * with us, such as the grant table's). */
int pvk_mmu_map_mfns(unsigned long va, const pvk_mfn_t *mfns, unsigned long n,
		     uint64_t flags);

/* Unmap n pages at va, flush the TLB, and free the page tables left empty
 * (unhooked, made writable, pvk_port_free_page). */
int pvk_mmu_unmap_range(unsigned long va, unsigned long n);

/* The PTE mapping va in the running address space, 0 if none, as the
 * tables are in memory (entries still queued in lazy mode are not seen). */
uint64_t pvk_mmu_lookup(unsigned long va);

/*
 * ---- Boot: what Xen mapped, and mapping the rest (mm/boot_area.c) ----
 *
 * Porters: Xen's domain builder maps only a start-of-day area 1:1 at
 * XEN_ELFNOTE_VIRT_BASE: the image, the initrd, the p2m list (2 MiB per
 * GiB of memory, unless XEN_ELFNOTE_INIT_P2M moves it, pvkit/p2m.h),
 * start_info, the two rings, the bootstrap page tables (read-only), a
 * stack page, then at least 512 KiB of free pages to a 4 MiB boundary.
 * The rest of memory is the kernel's to map, with page tables that must
 * come from memory already mapped: pvk_mmu_map_memory() does it a chunk at
 * a time, giving each chunk to the allocator before the next. A kernel
 * linked in the top 2 GiB (-mcmodel=kernel) has room there for the 1:1
 * map of 2 GiB of pfns less one page (the end of the last would be 2^64);
 * it maps the rest elsewhere in the kernel half (not Xen's L4 slots
 * 256-271, 0xffff800000000000-0xffff87ffffffffff), e.g. from
 * 0xffff880000000000 as the reference guest does (tests/guest/layout.h).
 */
struct pvk_boot_area {
	unsigned long used;	/* pfns [0, used) hold the bootstrap elements */
	unsigned long mapped;	/* Xen mapped pfns [0, mapped) at VIRT_BASE */
	/* With XEN_ELFNOTE_INIT_P2M: the frames of the p2m list and of the
	 * page tables mapping it (start_info.first_p2m_pfn, nr_p2m_frames),
	 * outside [0, mapped); keep them out of the allocator. 0 otherwise. */
	unsigned long p2m_first, p2m_frames;
};

/* Works out the start-of-day area from start_info, the kernel's VIRT_BASE,
 * the end of its image (bss included) and the stack pointer Xen entered
 * with. 0, or -PVK_XEN_EINVAL / -PVK_XEN_ENOMEM (no free page after it). */
int pvk_boot_area(const struct pvk_start_info *si, unsigned long virt_base,
		  unsigned long image_end, unsigned long stack_top,
		  struct pvk_boot_area *area);

/*
 * Maps pfns first .. first + n - 1 read-write at va_of(pfn) (the host's
 * 1:1 map; it may jump, as between two windows), up to 16 MiB at a time
 * within a contiguous run, calling add(va, pages, arg) after each chunk so
 * the host hands it to its page allocator: pvk_mmu_map_range() takes the
 * next chunk's page tables from there. *done says how many were mapped
 * (and added); 0 or the first error.
 */
int pvk_mmu_map_memory(pvk_pfn_t first, unsigned long n,
		       unsigned long (*va_of)(pvk_pfn_t pfn),
		       void (*add)(unsigned long va, unsigned long pages, void *arg),
		       void *arg, unsigned long *done);

/* For the pvops table's mmu slots on Xen (mm/mmu_pvops.c). CR3 values are
 * machine addresses of the L4; set_pte's val is a machine PTE. */
unsigned long pvk_mmu_xen_read_cr3(void);
void pvk_mmu_xen_write_cr3(unsigned long val);
void pvk_mmu_xen_flush_tlb_one(unsigned long va);
void pvk_mmu_xen_flush_tlb_local(void);
void pvk_mmu_xen_set_pte(uint64_t *ptep, uint64_t val);
uint64_t pvk_mmu_xen_make_pte(pvk_pfn_t pfn, uint64_t flags);
pvk_pfn_t pvk_mmu_xen_pte_pfn(uint64_t pte);
int pvk_mmu_xen_alloc_pt(unsigned int level, void *table);
int pvk_mmu_xen_release_pt(unsigned int level, void *table);
int pvk_mmu_xen_activate_mm(void *kernel_top, void *user_top);
void pvk_mmu_xen_lazy_enter(void);
int pvk_mmu_xen_lazy_leave(void);

/* The calling CPU's latest refused update (each CPU keeps its own). */
const struct pvk_mmu_error *pvk_mmu_last_error(void);
void pvk_mmu_stats_snapshot(struct pvk_mmu_stats *out);

#endif /* PVKIT_MMU_H */
