/*
 * pvkit/xen/vcpu.h - HYPERVISOR_vcpu_op (Xen's public vcpu.h): bring
 * vCPUs up and down, per-vCPU timers, moving vcpu_info out of the shared
 * page, and runstate (stolen time) reporting.
 */
#ifndef PVKIT_XEN_VCPU_H
#define PVKIT_XEN_VCPU_H

#include <pvkit/xen/xen.h>

/* vcpu_op commands; the argument each takes is in the comment. */
#define PVK_VCPUOP_initialise			0	/* struct pvk_vcpu_guest_context */
#define PVK_VCPUOP_up				1	/* NULL */
#define PVK_VCPUOP_down				2	/* NULL */
#define PVK_VCPUOP_is_up			3	/* NULL: returns 1 if up */
#define PVK_VCPUOP_get_runstate_info		4	/* struct pvk_vcpu_runstate_info */
#define PVK_VCPUOP_register_runstate_memory_area 5	/* struct pvk_vcpu_register_runstate_memory_area */
#define PVK_VCPUOP_set_periodic_timer		6	/* struct pvk_vcpu_set_periodic_timer */
#define PVK_VCPUOP_stop_periodic_timer		7	/* NULL */
#define PVK_VCPUOP_set_singleshot_timer		8	/* struct pvk_vcpu_set_singleshot_timer */
#define PVK_VCPUOP_stop_singleshot_timer	9	/* NULL */
#define PVK_VCPUOP_register_vcpu_info		10	/* struct pvk_vcpu_register_vcpu_info */
#define PVK_VCPUOP_send_nmi			11	/* NULL */
#define PVK_VCPUOP_get_physid			12	/* struct pvk_vcpu_get_physid */
#define PVK_VCPUOP_register_vcpu_time_memory_area 13	/* struct pvk_vcpu_register_time_memory_area */

/* pvk_vcpu_runstate_info.state */
#define PVK_RUNSTATE_running	0
#define PVK_RUNSTATE_runnable	1	/* wants a physical CPU: stolen time */
#define PVK_RUNSTATE_blocked	2
#define PVK_RUNSTATE_offline	3

/* Set in state_entry_time while Xen updates the area (VMASST runstate_update_flag). */
#define PVK_XEN_RUNSTATE_UPDATE	(1ULL << 63)

/* pvk_vcpu_set_singleshot_timer.flags: fail with -ETIME if already past. */
#define PVK_VCPU_SSHOTTMR_future (1U << 0)

#ifndef __ASSEMBLY__

struct pvk_vcpu_runstate_info {
	int32_t state;			/* PVK_RUNSTATE_* */
	uint64_t state_entry_time;	/* system time the state was entered */
	uint64_t time[4];		/* ns spent in each state */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_vcpu_runstate_info) != 48);

/* Xen keeps a copy of the runstate at this guest virtual address. */
struct pvk_vcpu_register_runstate_memory_area {
	union {
		struct pvk_vcpu_runstate_info *v;
		uint64_t p;
	} addr;
};

struct pvk_vcpu_set_periodic_timer {
	uint64_t period_ns;
};

struct pvk_vcpu_set_singleshot_timer {
	uint64_t timeout_abs_ns;	/* absolute system time */
	uint32_t flags;			/* PVK_VCPU_SSHOTTMR_* */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_vcpu_set_singleshot_timer) != 16);

/* Move this vCPU's vcpu_info to mfn + offset (must not cross the page). */
struct pvk_vcpu_register_vcpu_info {
	uint64_t mfn;
	uint32_t offset;
	uint32_t rsvd;
};

struct pvk_vcpu_get_physid {
	uint64_t phys_id;		/* APIC id in 0-31, ACPI id in 32-63 */
};

/* Xen keeps a copy of the vcpu_time_info at this guest virtual address. */
struct pvk_vcpu_register_time_memory_area {
	union {
		struct pvk_vcpu_time_info *v;
		uint64_t p;
	} addr;
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_VCPU_H */
