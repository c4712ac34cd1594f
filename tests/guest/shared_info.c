/*
 * tests/guest/shared_info.c - mapping Xen's shared info page.
 *
 * start_info gives the shared info page as a MACHINE address: it is a
 * frame of Xen's, not part of our pseudo-physical memory, so the builder
 * did not map it. We point one reserved, page-aligned page of our own
 * image at it with HYPERVISOR_update_va_mapping. The frame that used to
 * back that page stays ours but is no longer reachable through it.
 *
 * The guest registers no event callback, so no upcall may ever be
 * delivered: vcpu_info[0].evtchn_upcall_mask is set here and only the lock
 * code (lock.c) touches it afterwards, always restoring what it found. We
 * also mask every event channel and clear the pending flag: with all ports
 * masked Xen never raises evtchn_upcall_pending again (a masked port only
 * becomes pending), which is what lets the lock test (cases/lock.c) clear
 * the upcall mask for a moment without an upcall to address 0. We still
 * send events (console notifications); we just never receive them.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>

#include "guest.h"

/* x86-64 page-table entry bits (architectural, not Xen ABI). Xen adds the
 * user bit itself for a 64-bit PV kernel, whose "kernel mode" is ring 3. */
#define PTE_PRESENT	0x001UL
#define PTE_RW		0x002UL
#define PTE_ACCESSED	0x020UL
#define PTE_DIRTY	0x040UL

static uint8_t shared_info_page[PVK_PAGE_SIZE]
	__attribute__((aligned(PVK_PAGE_SIZE), section(".bss.page_aligned")));

struct pvk_shared_info *guest_shared_info;

void guest_shared_info_map(const struct pvk_start_info *si)
{
	uint64_t pte = (si->shared_info & PVK_PAGE_MASK) |
		       PTE_PRESENT | PTE_RW | PTE_ACCESSED | PTE_DIRTY;
	long rc;

	rc = pvk_hyp_update_va_mapping((unsigned long)shared_info_page, pte,
				       PVK_UVMF_INVLPG | PVK_UVMF_LOCAL);
	if (rc) {
		guest_printf("shared_info: update_va_mapping(%p, 0x%llx) = %ld\n",
			     (void *)shared_info_page, (unsigned long long)pte, rc);
		pvk_port_panic("cannot map shared_info");
	}
	guest_shared_info = (struct pvk_shared_info *)shared_info_page;
	/* No event callback is registered: keep upcalls off until
	 * guest_events_enable(). Written directly: the pvops irq ops learn
	 * where vcpu_info is only after this function returns. */
	PVK_WRITE_ONCE(guest_vcpu0()->evtchn_upcall_mask, 1);
	pvk_barrier();
	for (size_t i = 0; i < PVK_ARRAY_SIZE(guest_shared_info->evtchn_mask); i++)
		PVK_WRITE_ONCE(guest_shared_info->evtchn_mask[i], ~0UL);
	pvk_barrier();
	PVK_WRITE_ONCE(guest_vcpu0()->evtchn_upcall_pending, 0);
}

/* pvk_smp_init() moves CPU 0's vcpu_info to a kit page (smp.c starts
 * it): from then on the kit says where it is. */
struct pvk_vcpu_info *guest_vcpu0(void)
{
	if (!guest_shared_info)
		pvk_port_panic("vcpu_info used before shared_info is mapped");
	if (guest_smp_started())
		return pvk_xen_vcpu_info(0);
	return &guest_shared_info->vcpu_info[0];
}
