/*
 * pvkit/xen/xen.h - the core of the Xen guest ABI (Xen's public xen.h):
 * hypercall numbers, page-table update requests (mmu_update, mmuext_op,
 * update_va_mapping flags), multicall entries, virtual IRQs, reserved
 * domain ids, console_io and vm_assist commands, the start_info page and
 * the shared_info page with its per-vCPU vcpu_info and time info.
 *
 * Names are Xen's with the pvk_/PVK_ prefix (include/pvkit/xen/ naming
 * rule); layouts are Xen 4.17's x86-64 ones, checked by tests/abi. The
 * constants are plain integers so that assembly can include this file.
 */
#ifndef PVKIT_XEN_XEN_H
#define PVKIT_XEN_XEN_H

#include <pvkit/xen/arch-x86.h>

/* The interface version these definitions follow (Xen 4.17's latest). */
#define PVK_XEN_LATEST_INTERFACE_VERSION 0x00040e00

/* Hypercall numbers: the index of the 32-byte stub in the hypercall page. */
#define PVK_HYPERVISOR_set_trap_table		0
#define PVK_HYPERVISOR_mmu_update		1
#define PVK_HYPERVISOR_set_gdt			2
#define PVK_HYPERVISOR_stack_switch		3
#define PVK_HYPERVISOR_set_callbacks		4
#define PVK_HYPERVISOR_fpu_taskswitch		5
#define PVK_HYPERVISOR_sched_op_compat		6
#define PVK_HYPERVISOR_platform_op		7
#define PVK_HYPERVISOR_set_debugreg		8
#define PVK_HYPERVISOR_get_debugreg		9
#define PVK_HYPERVISOR_update_descriptor	10
#define PVK_HYPERVISOR_memory_op		12
#define PVK_HYPERVISOR_multicall		13
#define PVK_HYPERVISOR_update_va_mapping	14
#define PVK_HYPERVISOR_set_timer_op		15
#define PVK_HYPERVISOR_event_channel_op_compat	16
#define PVK_HYPERVISOR_xen_version		17
#define PVK_HYPERVISOR_console_io		18
#define PVK_HYPERVISOR_physdev_op_compat	19
#define PVK_HYPERVISOR_grant_table_op		20
#define PVK_HYPERVISOR_vm_assist		21
#define PVK_HYPERVISOR_update_va_mapping_otherdomain 22
#define PVK_HYPERVISOR_iret			23
#define PVK_HYPERVISOR_vcpu_op			24
#define PVK_HYPERVISOR_set_segment_base		25
#define PVK_HYPERVISOR_mmuext_op		26
#define PVK_HYPERVISOR_xsm_op			27
#define PVK_HYPERVISOR_nmi_op			28
#define PVK_HYPERVISOR_sched_op			29
#define PVK_HYPERVISOR_callback_op		30
#define PVK_HYPERVISOR_xenoprof_op		31
#define PVK_HYPERVISOR_event_channel_op		32
#define PVK_HYPERVISOR_physdev_op		33
#define PVK_HYPERVISOR_hvm_op			34
#define PVK_HYPERVISOR_sysctl			35
#define PVK_HYPERVISOR_domctl			36
#define PVK_HYPERVISOR_kexec_op			37
#define PVK_HYPERVISOR_tmem_op			38
#define PVK_HYPERVISOR_argo_op			39
#define PVK_HYPERVISOR_xenpmu_op		40
#define PVK_HYPERVISOR_dm_op			41
#define PVK_HYPERVISOR_hypfs_op			42
#define PVK_HYPERVISOR_arch_0			48
#define PVK_HYPERVISOR_arch_1			49
#define PVK_HYPERVISOR_arch_2			50
#define PVK_HYPERVISOR_arch_3			51
#define PVK_HYPERVISOR_arch_4			52
#define PVK_HYPERVISOR_arch_5			53
#define PVK_HYPERVISOR_arch_6			54
#define PVK_HYPERVISOR_arch_7			55

/* Virtual IRQs, bound to event channels with EVTCHNOP_bind_virq. */
#define PVK_VIRQ_TIMER		0	/* per vCPU: timer fired */
#define PVK_VIRQ_DEBUG		1	/* per vCPU: dump debug state */
#define PVK_VIRQ_CONSOLE	2	/* dom0: emergency console input */
#define PVK_VIRQ_DOM_EXC	3	/* dom0: a domain crashed/died */
#define PVK_VIRQ_TBUF		4	/* dom0: trace buffers have data */
#define PVK_VIRQ_DEBUGGER	6	/* dom0: a domain paused for debugging */
#define PVK_VIRQ_XENOPROF	7	/* per vCPU: oprofile sample */
#define PVK_VIRQ_CON_RING	8	/* dom0: console ring has data */
#define PVK_VIRQ_PCPU_STATE	9	/* dom0: physical CPU state changed */
#define PVK_VIRQ_MEM_EVENT	10	/* dom0: memory event */
#define PVK_VIRQ_ARGO		11	/* Argo message */
#define PVK_VIRQ_ENOMEM		12	/* dom0: Xen low on heap */
#define PVK_VIRQ_XENPMU		13	/* per vCPU: PMU interrupt */
#define PVK_VIRQ_ARCH_0		16
#define PVK_VIRQ_ARCH_1		17
#define PVK_VIRQ_ARCH_2		18
#define PVK_VIRQ_ARCH_3		19
#define PVK_VIRQ_ARCH_4		20
#define PVK_VIRQ_ARCH_5		21
#define PVK_VIRQ_ARCH_6		22
#define PVK_VIRQ_ARCH_7		23
#define PVK_NR_VIRQS		24

/*
 * HYPERVISOR_mmu_update: the low 2 bits of pvk_mmu_update.ptr select the
 * command, the rest is the machine address of the PTE (or of the frame).
 */
#define PVK_MMU_NORMAL_PT_UPDATE	0	/* *ptr = val, checked */
#define PVK_MMU_MACHPHYS_UPDATE		1	/* M2P[ptr >> 12] = val */
#define PVK_MMU_PT_UPDATE_PRESERVE_AD	2	/* keep the A/D bits of *ptr */
#define PVK_MMU_PT_UPDATE_NO_TRANSLATE	3	/* val is never translated */
#define PVK_MMU_CMD_MASK		3	/* ptr[1:0]: the command above */

/* HYPERVISOR_mmuext_op commands (pvk_mmuext_op.cmd). */
#define PVK_MMUEXT_PIN_L1_TABLE		0
#define PVK_MMUEXT_PIN_L2_TABLE		1
#define PVK_MMUEXT_PIN_L3_TABLE		2
#define PVK_MMUEXT_PIN_L4_TABLE		3
#define PVK_MMUEXT_UNPIN_TABLE		4
#define PVK_MMUEXT_NEW_BASEPTR		5
#define PVK_MMUEXT_TLB_FLUSH_LOCAL	6
#define PVK_MMUEXT_INVLPG_LOCAL		7
#define PVK_MMUEXT_TLB_FLUSH_MULTI	8
#define PVK_MMUEXT_INVLPG_MULTI		9
#define PVK_MMUEXT_TLB_FLUSH_ALL	10
#define PVK_MMUEXT_INVLPG_ALL		11
#define PVK_MMUEXT_FLUSH_CACHE		12
#define PVK_MMUEXT_SET_LDT		13
#define PVK_MMUEXT_NEW_USER_BASEPTR	15
#define PVK_MMUEXT_CLEAR_PAGE		16
#define PVK_MMUEXT_COPY_PAGE		17
#define PVK_MMUEXT_FLUSH_CACHE_GLOBAL	18
#define PVK_MMUEXT_MARK_SUPER		19
#define PVK_MMUEXT_UNMARK_SUPER		20

/*
 * HYPERVISOR_update_va_mapping flags: a flush type, OR'd with either
 * PVK_UVMF_ALL or (for MULTI/LOCAL) a pointer to a vCPU bitmap (NULL: local).
 */
#define PVK_UVMF_NONE		0x0	/* no flush */
#define PVK_UVMF_TLB_FLUSH	0x1	/* flush whole TLB(s) */
#define PVK_UVMF_INVLPG		0x2	/* flush just this address */
#define PVK_UVMF_FLUSHTYPE_MASK	0x3
#define PVK_UVMF_MULTI		0x0
#define PVK_UVMF_LOCAL		0x0
#define PVK_UVMF_ALL		0x4	/* on all vCPUs */

/* HYPERVISOR_console_io commands. */
#define PVK_CONSOLEIO_write	0
#define PVK_CONSOLEIO_read	1

/* HYPERVISOR_vm_assist commands and the assists they switch. */
#define PVK_VMASST_CMD_enable			0
#define PVK_VMASST_CMD_disable			1
#define PVK_VMASST_TYPE_4gb_segments		0
#define PVK_VMASST_TYPE_4gb_segments_notify	1
#define PVK_VMASST_TYPE_writable_pagetables	2
#define PVK_VMASST_TYPE_pae_extended_cr3	3
#define PVK_VMASST_TYPE_architectural_iopl	4
#define PVK_VMASST_TYPE_runstate_update_flag	5
#define PVK_VMASST_TYPE_m2p_strict		32

/* Reserved domain ids: at and above PVK_DOMID_FIRST_RESERVED. */
#define PVK_DOMID_FIRST_RESERVED	0x7FF0U
#define PVK_DOMID_SELF			0x7FF0U	/* the calling domain */
#define PVK_DOMID_IO			0x7FF1U	/* owner of I/O memory */
#define PVK_DOMID_XEN			0x7FF2U	/* owner of Xen's pages */
#define PVK_DOMID_COW			0x7FF3U	/* owner of shared pages */
#define PVK_DOMID_INVALID		0x7FF4U
#define PVK_DOMID_IDLE			0x7FFFU
#define PVK_DOMID_MASK			0x7FFFU

/* pvk_vcpu_time_info.flags */
#define PVK_XEN_PVCLOCK_TSC_STABLE_BIT	(1 << 0)
#define PVK_XEN_PVCLOCK_GUEST_STOPPED	(1 << 1)

/* pvk_start_info.flags */
#define PVK_SIF_PRIVILEGED	(1 << 0)	/* privileged domain */
#define PVK_SIF_INITDOMAIN	(1 << 1)	/* the initial domain (dom0) */
#define PVK_SIF_MULTIBOOT_MOD	(1 << 2)	/* mod_start is a multiboot module list */
#define PVK_SIF_MOD_START_PFN	(1 << 3)	/* mod_start is a PFN, not a virtual address */
#define PVK_SIF_VIRT_P2M_4TOOLS	(1 << 4)	/* tools understand the linear P2M */
#define PVK_SIF_PM_MASK		(0xFF << 8)	/* reserved for power-management options */

#define PVK_MAX_GUEST_CMDLINE	1024

#ifndef __ASSEMBLY__

typedef uint16_t pvk_domid_t;

/* One HYPERVISOR_mmu_update request. */
struct pvk_mmu_update {
	uint64_t ptr;		/* machine address of the PTE | PVK_MMU_* */
	uint64_t val;		/* new PTE contents */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_mmu_update) != 16);

/* One HYPERVISOR_mmuext_op request: which arguments count depends on cmd. */
struct pvk_mmuext_op {
	uint32_t cmd;			/* PVK_MMUEXT_* */
	union {
		pvk_xen_pfn_t mfn;	/* (UN)PIN_*, NEW_*BASEPTR, CLEAR/COPY_PAGE, (UN)MARK_SUPER */
		uint64_t linear_addr;	/* INVLPG_LOCAL/ALL, SET_LDT */
	} arg1;
	union {
		uint32_t nr_ents;	/* SET_LDT */
		const void *vcpumask;	/* TLB_FLUSH_MULTI, INVLPG_MULTI */
		pvk_xen_pfn_t src_mfn;	/* COPY_PAGE */
	} arg2;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_mmuext_op) != 24);

/* One HYPERVISOR_multicall entry: a hypercall number, its result and arguments. */
struct pvk_multicall_entry {
	pvk_xen_ulong_t op, result;
	pvk_xen_ulong_t args[6];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_multicall_entry) != 64);

/*
 * Per-vCPU time: system_time is ns since boot at tsc_timestamp; now is
 *   system_time + (((tsc - tsc_timestamp) << tsc_shift) * tsc_to_system_mul) >> 32
 * (a negative tsc_shift shifts right). Xen bumps version before and after
 * each update, so an odd or changed version means "read again".
 */
struct pvk_vcpu_time_info {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;			/* PVK_XEN_PVCLOCK_* */
	uint8_t pad1[2];
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_vcpu_time_info) != 32);

/*
 * Per-vCPU event state. Xen sets evtchn_upcall_pending and a bit in
 * evtchn_pending_sel per pending word; the guest clears pending before
 * scanning. evtchn_upcall_mask is the PV "interrupts disabled" flag.
 */
struct pvk_vcpu_info {
	uint8_t evtchn_upcall_pending;
	uint8_t evtchn_upcall_mask;
	pvk_xen_ulong_t evtchn_pending_sel;
	struct pvk_arch_vcpu_info arch;
	struct pvk_vcpu_time_info time;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_vcpu_info) != 64);

/*
 * The shared info page (one page, mapped by the guest from start_info's
 * machine address): vcpu_info of the first 32 vCPUs, the 2-level event
 * channel bitmaps (pending, mask), the wallclock, and the P2M anchor.
 */
struct pvk_shared_info {
	struct pvk_vcpu_info vcpu_info[PVK_XEN_LEGACY_MAX_VCPUS];
	pvk_xen_ulong_t evtchn_pending[sizeof(pvk_xen_ulong_t) * 8];
	pvk_xen_ulong_t evtchn_mask[sizeof(pvk_xen_ulong_t) * 8];
	/* Wallclock at system time 0; version as in pvk_vcpu_time_info. */
	uint32_t wc_version;
	uint32_t wc_sec;
	uint32_t wc_nsec;
	uint32_t wc_sec_hi;
	struct pvk_arch_shared_info arch;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_shared_info) > PVK_PAGE_SIZE);

/*
 * The start info page, whose virtual address Xen passes in %rsi at the PV
 * entry point. The first part is refilled on resume, the rest only at boot.
 */
struct pvk_start_info {
	char magic[32];			/* "xen-<version>-<platform>" */
	uint64_t nr_pages;		/* pages allocated to the domain */
	uint64_t shared_info;		/* MACHINE address of shared_info */
	uint32_t flags;			/* PVK_SIF_* */
	pvk_xen_pfn_t store_mfn;	/* xenstore ring page */
	uint32_t store_evtchn;
	union {
		struct {
			pvk_xen_pfn_t mfn;	/* console ring page */
			uint32_t evtchn;
		} domU;
		struct {
			uint32_t info_off;	/* offset of the VGA console info */
			uint32_t info_size;
		} dom0;
	} console;
	/* Only valid at boot, not after resume: */
	uint64_t pt_base;		/* VIRTUAL address of the top page table */
	uint64_t nr_pt_frames;		/* frames of the bootstrap page tables */
	uint64_t mfn_list;		/* VIRTUAL address of the P2M list */
	uint64_t mod_start;		/* initrd: VIRTUAL address (or PFN, see flags) */
	uint64_t mod_len;		/* initrd size in bytes */
	int8_t cmd_line[PVK_MAX_GUEST_CMDLINE];
	uint64_t first_p2m_pfn;		/* first PFN of the initial P2M */
	uint64_t nr_p2m_frames;		/* and how many */
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_XEN_H */
