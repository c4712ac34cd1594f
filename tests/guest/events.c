/*
 * tests/guest/events.c - the second half of the kit's boot, on demand.
 *
 * pvk_xen_boot() (boot.c) stops with event channels set up and upcalls
 * masked: the boot state the early tests check (shared_info.c). The first
 * test that needs events calls guest_events_enable(), which runs
 * pvk_xen_boot_events(): VIRQ_TIMER bound, the kit's xenstore client and
 * console driver (console.c then writes through it), upcalls unmasked,
 * the other vCPUs started (smp.c) and the balloon driver following
 * memory/target (balloon.c). Idempotent, so every event test can run
 * alone.
 */
#include <pvkit/boot.h>
#include <pvkit/port.h>

#include "guest.h"

static bool events_enabled;

pvk_mfn_t pvk_port_pfn_to_mfn(pvk_pfn_t pfn)
{
	return guest_pfn_to_mfn(pfn);
}

bool guest_events_enabled(void)
{
	return events_enabled;
}

void guest_events_enable(void)
{
	if (events_enabled)
		return;
	events_enabled = true;	/* the balloon's start waits (wait.c) */
	pvk_xen_boot_events(&guest_boot_config);
}
