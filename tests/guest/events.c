/*
 * tests/guest/events.c - bringing up the kit's event channels and time.
 *
 * guest_events_init() runs at boot: the kit learns where shared_info is,
 * masks every port, picks the event channel ABI (FIFO unless the command
 * line has pvkit.evtchn=2l) and registers its upcall entry with Xen.
 * Upcalls stay masked (the boot state the early tests check, see
 * shared_info.c) until guest_events_enable(): the first test that needs
 * events calls it, and
 * from then on the guest runs with upcalls unmasked, VIRQ_TIMER bound and
 * (with CONFIG_PVK_XENBUS) the kit's xenstore client on start_info's ring
 * and (CONFIG_PVK_CONSOLE) the kit's console driver, which console.c then
 * writes through, and the other vCPUs started (smp.c: the kit's order is
 * events, timer, then SMP; a one-vCPU domain gets pvk_smp_init() and
 * nothing more); it is idempotent, so every event test can run alone.
 */
#include <pvkit/events.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#ifdef CONFIG_PVK_XENBUS
#include <pvkit/xenstore.h>
#endif
#ifdef CONFIG_PVK_CONSOLE
#include <pvkit/console.h>
#endif

#include <pvkit/pvops.h>

#include "guest.h"

static bool events_enabled;

pvk_mfn_t pvk_port_pfn_to_mfn(pvk_pfn_t pfn)
{
	return guest_pfn_to_mfn(pfn);
}

void guest_events_init(void)
{
	/* "pvkit.evtchn=2l" on the command line: keep the 2-level ABI (the
	 * guest-2level scenario runs every test that way). */
	unsigned int flags = guest_strstr((const char *)guest_start_info->cmd_line,
					  "pvkit.evtchn=2l") ? PVK_EVTCHN_NO_FIFO : 0;

	pvk_time_init(guest_shared_info);
	if (pvk_evtchn_init(guest_shared_info, flags))
		pvk_port_panic("pvk_evtchn_init failed");
	if (pvk_evtchn_register_upcall())
		pvk_port_panic("cannot register the event upcall");
}

bool guest_events_enabled(void)
{
	return events_enabled;
}

void guest_events_enable(void)
{
	if (events_enabled)
		return;
	if (pvk_time_timer_init(NULL, NULL))
		pvk_port_panic("cannot bind VIRQ_TIMER");
#ifdef CONFIG_PVK_XENBUS
	if (pvk_xs_init(guest_mfn_to_virt(pvk_mfn(guest_start_info->store_mfn),
					  "xenstore ring"),
			guest_start_info->store_evtchn))
		pvk_port_panic("cannot start the xenstore client");
#endif
#ifdef CONFIG_PVK_CONSOLE
	if (pvk_console_init(guest_mfn_to_virt(pvk_mfn(guest_start_info->console.domU.mfn),
					       "console ring"),
			     guest_start_info->console.domU.evtchn,
			     guest_console_input, NULL))
		pvk_port_panic("cannot start the kit's console driver");
#endif
	events_enabled = true;
	/* The irq op unmasks and, if something is already pending, gives
	 * Xen a way back to us to deliver it. */
	pvk_irq_enable();
	guest_smp_start_all();
#ifdef CONFIG_PVK_XENBUS
	guest_balloon_start();	/* xenstore is up: follow memory/target */
#endif
}
