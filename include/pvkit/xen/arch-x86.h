/*
 * pvkit/xen/arch-x86.h - the x86-64 part of the Xen guest ABI (Xen's
 * arch-x86/xen.h and arch-x86/xen-x86_64.h): flat segment selectors, the
 * hypervisor's reserved virtual range, the trap table entry, the register
 * frame, the per-vCPU and per-domain arch state in the shared page, the
 * vCPU context given to VCPUOP_initialise and the HYPERVISOR_iret frame.
 *
 * Only x86-64 PV is described: the kit does not run 32-bit guests. Where
 * Xen says "unsigned long" we say uint64_t, which is the same thing on
 * x86-64 and says so. Layouts are Xen 4.17's, checked by tests/abi.
 */
#ifndef PVKIT_XEN_ARCH_X86_H
#define PVKIT_XEN_ARCH_X86_H

#ifndef __ASSEMBLY__
#include <pvkit/types.h>
#endif

/*
 * Flat segments Xen puts in the reserved top of every PV guest's GDT. A
 * 64-bit PV kernel runs in ring 3, so kernel and user share the ring-3
 * selectors; the 64-bit data selector is the null selector.
 */
#define PVK_FLAT_RING3_CS32	0xe023	/* GDT entry 260 */
#define PVK_FLAT_RING3_CS64	0xe033	/* GDT entry 262 */
#define PVK_FLAT_RING3_DS32	0xe02b	/* GDT entry 261 */
#define PVK_FLAT_RING3_DS64	0x0000
#define PVK_FLAT_RING3_SS32	0xe02b
#define PVK_FLAT_RING3_SS64	0xe02b

#define PVK_FLAT_KERNEL_DS64	PVK_FLAT_RING3_DS64
#define PVK_FLAT_KERNEL_DS32	PVK_FLAT_RING3_DS32
#define PVK_FLAT_KERNEL_DS	PVK_FLAT_KERNEL_DS64
#define PVK_FLAT_KERNEL_CS64	PVK_FLAT_RING3_CS64
#define PVK_FLAT_KERNEL_CS32	PVK_FLAT_RING3_CS32
#define PVK_FLAT_KERNEL_CS	PVK_FLAT_KERNEL_CS64
#define PVK_FLAT_KERNEL_SS64	PVK_FLAT_RING3_SS64
#define PVK_FLAT_KERNEL_SS32	PVK_FLAT_RING3_SS32
#define PVK_FLAT_KERNEL_SS	PVK_FLAT_KERNEL_SS64

#define PVK_FLAT_USER_DS64	PVK_FLAT_RING3_DS64
#define PVK_FLAT_USER_DS32	PVK_FLAT_RING3_DS32
#define PVK_FLAT_USER_DS	PVK_FLAT_USER_DS64
#define PVK_FLAT_USER_CS64	PVK_FLAT_RING3_CS64
#define PVK_FLAT_USER_CS32	PVK_FLAT_RING3_CS32
#define PVK_FLAT_USER_CS	PVK_FLAT_USER_CS64
#define PVK_FLAT_USER_SS64	PVK_FLAT_RING3_SS64
#define PVK_FLAT_USER_SS32	PVK_FLAT_RING3_SS32
#define PVK_FLAT_USER_SS	PVK_FLAT_USER_SS64

/* GDT pages from 14 on belong to Xen: a guest's own GDT must stay below. */
#define PVK_FIRST_RESERVED_GDT_PAGE	14
#define PVK_FIRST_RESERVED_GDT_BYTE	(PVK_FIRST_RESERVED_GDT_PAGE * 4096)
#define PVK_FIRST_RESERVED_GDT_ENTRY	(PVK_FIRST_RESERVED_GDT_BYTE / 8)

/*
 * Virtual range Xen keeps for itself in every PV address space; the start
 * of it is the read-only machine-to-physical table (one 8-byte PFN per MFN).
 * Plain numbers, no UL suffix, so assembly can use them too.
 */
#define PVK_HYPERVISOR_VIRT_START	0xFFFF800000000000
#define PVK_HYPERVISOR_VIRT_END		0xFFFF880000000000
#define PVK_MACH2PHYS_VIRT_START	0xFFFF800000000000
#define PVK_MACH2PHYS_VIRT_END		0xFFFF804000000000
#define PVK_MACH2PHYS_NR_ENTRIES \
	((PVK_MACH2PHYS_VIRT_END - PVK_MACH2PHYS_VIRT_START) >> 3)

/* vCPUs whose vcpu_info lives in the shared page (beyond: VCPUOP_register_vcpu_info). */
#define PVK_XEN_LEGACY_MAX_VCPUS	32
#define PVK_MAX_VIRT_CPUS		PVK_XEN_LEGACY_MAX_VCPUS

/* HYPERVISOR_set_segment_base: which base to set. */
#define PVK_SEGBASE_FS		0
#define PVK_SEGBASE_GS_USER	1
#define PVK_SEGBASE_GS_KERNEL	2
#define PVK_SEGBASE_GS_USER_SEL	3	/* load user %gs selector from base[15:0] */

/* pvk_vcpu_guest_context.flags */
#define PVK_VGCF_I387_VALID			(1 << 0)
#define PVK_VGCF_IN_KERNEL			(1 << 2)
#define PVK_VGCF_i387_valid			(1 << 0)
#define PVK_VGCF_in_kernel			(1 << 2)
#define PVK_VGCF_failsafe_disables_events	(1 << 3)
#define PVK_VGCF_syscall_disables_events	(1 << 4)
#define PVK_VGCF_online				(1 << 5)
/* HYPERVISOR_iret flags: the guest left through SYSCALL, return with SYSRET. */
#define PVK_VGCF_in_syscall			(1 << 8)
#define PVK_VGCF_IN_SYSCALL			PVK_VGCF_in_syscall

/*
 * pvk_trap_info.flags: bits 0-1 the DPL allowed to raise the vector with
 * INT n, bit 2 "mask events on entry" (an interrupt gate rather than a
 * trap gate). Xen has these only as TI_GET_DPL()/TI_SET_IF() macros.
 */
#define PVK_TI_DPL_MASK		0x3
#define PVK_TI_IF		0x4

/*
 * x86 exception vectors, for the trap table. Architectural numbers; Xen's
 * public headers do not name them (its own X86_EXC_* are internal).
 */
#define PVK_TRAP_divide_error		0
#define PVK_TRAP_debug			1
#define PVK_TRAP_nmi			2
#define PVK_TRAP_int3			3
#define PVK_TRAP_overflow		4
#define PVK_TRAP_bounds			5
#define PVK_TRAP_invalid_op		6
#define PVK_TRAP_no_device		7
#define PVK_TRAP_double_fault		8
#define PVK_TRAP_copro_seg		9
#define PVK_TRAP_invalid_tss		10
#define PVK_TRAP_no_segment		11
#define PVK_TRAP_stack_error		12
#define PVK_TRAP_gp_fault		13
#define PVK_TRAP_page_fault		14
#define PVK_TRAP_spurious_int		15
#define PVK_TRAP_copro_error		16
#define PVK_TRAP_alignment_check	17
#define PVK_TRAP_machine_check		18
#define PVK_TRAP_simd_error		19
#define PVK_TRAP_virtualisation		20
#define PVK_TRAP_control_protection	21

#ifndef __ASSEMBLY__

typedef uint64_t pvk_xen_ulong_t;	/* Xen's xen_ulong_t: "unsigned long" */
typedef uint64_t pvk_xen_pfn_t;		/* a raw frame number as Xen takes it */
typedef uint64_t pvk_xen_callback_t;	/* a callback entry point (address) */

/* One entry of the virtual IDT given to HYPERVISOR_set_trap_table. */
struct pvk_trap_info {
	uint8_t vector;
	uint8_t flags;		/* PVK_TI_* */
	uint16_t cs;		/* code selector (PVK_FLAT_KERNEL_CS) */
	uint64_t address;	/* handler entry point */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_trap_info) != 16);

/*
 * Register frame, as Xen saves a guest's registers (bounce frames,
 * vcpu_guest_context.user_regs). Xen also gives each register its 32-bit
 * name through anonymous unions; we keep only the 64-bit names.
 */
struct pvk_cpu_user_regs {
	uint64_t r15;
	uint64_t r14;
	uint64_t r13;
	uint64_t r12;
	uint64_t rbp;
	uint64_t rbx;
	uint64_t r11;
	uint64_t r10;
	uint64_t r9;
	uint64_t r8;
	uint64_t rax;
	uint64_t rcx;
	uint64_t rdx;
	uint64_t rsi;
	uint64_t rdi;
	uint32_t error_code;	/* private to Xen */
	uint32_t entry_vector;	/* private to Xen */
	uint64_t rip;
	uint16_t cs, _pad0[1];
	uint8_t saved_upcall_mask;
	uint8_t _pad1[3];
	uint64_t rflags;	/* rflags.IF == !saved_upcall_mask */
	uint64_t rsp;
	uint16_t ss, _pad2[3];
	uint16_t es, _pad3[3];
	uint16_t ds, _pad4[3];
	uint16_t fs, _pad5[3];
	uint16_t gs, _pad6[3];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_cpu_user_regs) != 200);

/* The arch part of each vcpu_info; pads vcpu_info to 64 bytes. */
struct pvk_arch_vcpu_info {
	uint64_t cr2;		/* faulting address of the last page fault */
	uint64_t pad;
};

/* The arch part of the shared info page: where to find the P2M. */
struct pvk_arch_shared_info {
	uint64_t max_pfn;	/* entries in the P2M */
	/* frame of the list of frames of the list of P2M frames (0: unset) */
	pvk_xen_pfn_t pfn_to_mfn_frame_list_list;
	uint64_t nmi_reason;
	/* Linear P2M: valid when p2m_cr3 != 0. */
	uint64_t p2m_cr3;	/* page-table root the P2M is mapped in */
	uint64_t p2m_vaddr;	/* virtual address of the P2M list */
	uint64_t p2m_generation; /* odd while the guest remaps the P2M */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_arch_shared_info) != 48);

/*
 * A vCPU's full context, given to VCPUOP_initialise to bring up a
 * secondary vCPU. FPU state comes first so it can be 16-byte aligned for
 * FXSAVE.
 */
struct pvk_vcpu_guest_context {
	struct {
		char x[512];		/* Xen declares char */
	} fpu_ctxt;			/* FXSAVE image */
	uint64_t flags;			/* PVK_VGCF_* */
	struct pvk_cpu_user_regs user_regs;
	struct pvk_trap_info trap_ctxt[256];	/* virtual IDT */
	uint64_t ldt_base, ldt_ents;	/* linear address, entries */
	uint64_t gdt_frames[16], gdt_ents; /* machine frames, entries */
	uint64_t kernel_ss, kernel_sp;	/* kernel stack on entry from user */
	uint64_t ctrlreg[8];		/* cr3 = kernel root, cr1 = user root */
	uint64_t debugreg[8];
	uint64_t event_callback_eip;
	uint64_t failsafe_callback_eip;
	uint64_t syscall_callback_eip;
	uint64_t vm_assist;		/* bitmap of PVK_VMASST_TYPE_* */
	uint64_t fs_base;
	uint64_t gs_base_kernel;
	uint64_t gs_base_user;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_vcpu_guest_context) != 5168);

/*
 * HYPERVISOR_iret: the guest pushes this frame (lowest address first, the
 * stack pointer at the hypercall points at rax) and Xen pops it.
 */
struct pvk_iret_context {
	uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_iret_context) != 72);

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_ARCH_X86_H */
