/*
 * pvkit/xen/callback.h - HYPERVISOR_callback_op (Xen's public
 * callback.h): registering the guest's entry points for event upcalls,
 * the failsafe path, SYSCALL from user space and NMIs.
 */
#ifndef PVKIT_XEN_CALLBACK_H
#define PVKIT_XEN_CALLBACK_H

#include <pvkit/xen/xen.h>

#define PVK_CALLBACKOP_register		0	/* struct pvk_callback_register */
#define PVK_CALLBACKOP_unregister	1	/* struct pvk_callback_unregister */

/* pvk_callback_register.type */
#define PVK_CALLBACKTYPE_event			0	/* event channel upcall */
#define PVK_CALLBACKTYPE_failsafe		1	/* Xen could not restore guest state */
#define PVK_CALLBACKTYPE_syscall		2	/* SYSCALL from 64-bit user space */
#define PVK_CALLBACKTYPE_sysenter_deprecated	3
#define PVK_CALLBACKTYPE_nmi			4
#define PVK_CALLBACKTYPE_sysenter		5	/* SYSENTER from 32-bit user space */
#define PVK_CALLBACKTYPE_syscall32		7	/* SYSCALL from 32-bit user space */

/* pvk_callback_register.flags: enter with events masked. */
#define PVK_CALLBACKF_mask_events	(1U << 0)

#ifndef __ASSEMBLY__

struct pvk_callback_register {
	uint16_t type;			/* PVK_CALLBACKTYPE_* */
	uint16_t flags;			/* PVK_CALLBACKF_* */
	pvk_xen_callback_t address;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_callback_register) != 16);

struct pvk_callback_unregister {
	uint16_t type;
	uint16_t _unused;
};

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_CALLBACK_H */
