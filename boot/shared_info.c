/*
 * boot/shared_info.c - mapping Xen's shared info page (boot step 4).
 *
 * start_info gives it as a MACHINE address: a frame of Xen's, not part of
 * our pseudo-physical memory, so the builder did not map it. One
 * page-aligned page of the kit's .bss is pointed at it with
 * HYPERVISOR_update_va_mapping; the frame that used to back that page
 * stays ours but is no longer reachable through it.
 *
 * No event callback is registered yet, so no upcall may be delivered:
 * vcpu_info[0].evtchn_upcall_mask is set here (the irq ops learn where
 * vcpu_info is only after this), every port masked and the pending flag
 * cleared. With all ports masked Xen never raises evtchn_upcall_pending
 * again until pvk_evtchn_init() unmasks what it binds.
 */
#include <pvkit/boot.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/xen/xen.h>

#include "boot_internal.h"

/* x86-64 page-table entry bits (architectural). Xen adds the user bit
 * itself for a 64-bit PV kernel, whose "kernel mode" is ring 3. */
#define PTE_PRESENT	0x001UL
#define PTE_RW		0x002UL
#define PTE_ACCESSED	0x020UL
#define PTE_DIRTY	0x040UL

static uint8_t shared_info_page[PVK_PAGE_SIZE] __attribute__((aligned(PVK_PAGE_SIZE)));
static struct pvk_shared_info *shared;

struct pvk_shared_info *pvk_xen_shared_info(void)
{
	return shared;
}

int pvk_boot_map_shared_info(const struct pvk_start_info *si)
{
	uint64_t pte = (si->shared_info & PVK_PAGE_MASK) |
		       PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY;
	struct pvk_shared_info *s = (struct pvk_shared_info *)shared_info_page;
	long rc;

	rc = pvk_hyp_update_va_mapping((unsigned long)shared_info_page, pte,
				       PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
	if (rc) {
		pvk_err("boot: update_va_mapping(%p, 0x%llx) for shared_info = %ld",
			(void *)shared_info_page, (unsigned long long)pte, rc);
		return (int)rc;
	}
	PVK_WRITE_ONCE(s->vcpu_info[0].evtchn_upcall_mask, 1);
	pvk_barrier();
	for (size_t i = 0; i < PVK_ARRAY_SIZE(s->evtchn_mask); i++)
		PVK_WRITE_ONCE(s->evtchn_mask[i], ~0UL);
	pvk_barrier();
	PVK_WRITE_ONCE(s->vcpu_info[0].evtchn_upcall_pending, 0);
	shared = s;
	return 0;
}
