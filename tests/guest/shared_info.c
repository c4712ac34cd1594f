/*
 * tests/guest/shared_info.c - where the guest finds Xen's shared info page
 * and CPU 0's vcpu_info.
 *
 * The kit maps shared_info at boot (boot/shared_info.c) with upcalls and
 * every port masked; only the lock code (lock.c) and the kit's irq ops
 * touch the upcall mask afterwards, always restoring what they found.
 */
#include <pvkit/port.h>
#include <pvkit/smp.h>

#include "guest.h"

struct pvk_shared_info *guest_shared_info;

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
