/*
 * tests/guest/traps.c - the trap table: where exceptions are delivered.
 *
 * The kit's load_idt op installs it: on Xen as HYPERVISOR_set_trap_table
 * (a PV guest has no IDT of its own), natively as a real IDT. We cover
 * all 32 exception vectors with the stubs of entry.S.
 *
 * dpl is the privilege needed to raise the vector with a software INT n.
 * Xen counts a PV kernel as ring 1 here, so DPL 0 vectors cannot be raised
 * by software at all and #BP/#OF get DPL 3 so that int3/into work, as on
 * bare metal. mask_irqs makes every vector an interrupt gate: on Xen,
 * upcalls are masked on delivery, as an interrupt gate clears IF.
 */
#include <pvkit/pvops.h>
#include <pvkit/port.h>

#include "guest.h"

#define NR_EXCEPTIONS		32

extern const unsigned long guest_trap_stubs[NR_EXCEPTIONS];
extern const unsigned long guest_native_trap_stubs[NR_EXCEPTIONS];

static struct pvk_trap_desc traps[NR_EXCEPTIONS];

/* stubs: entry.S's for Xen's frame, entry_native.S's for the CPU's. */
static void traps_install(const unsigned long *stubs)
{
	int rc;

	for (unsigned int v = 0; v < NR_EXCEPTIONS; v++) {
		traps[v].vector = (uint8_t)v;
		traps[v].dpl = (v == PVK_TRAP_int3 || v == PVK_TRAP_overflow) ? 3 : 0;
		traps[v].mask_irqs = true;
		traps[v].handler = stubs[v];
	}
	rc = pvk_load_idt(traps, NR_EXCEPTIONS);
	if (rc) {
		guest_printf("traps: load_idt failed: %d\n", rc);
		pvk_port_panic("cannot install the trap table");
	}
}

void guest_traps_init(void)
{
	traps_install(guest_trap_stubs);
}

void guest_traps_init_native(void)
{
	traps_install(guest_native_trap_stubs);
}
