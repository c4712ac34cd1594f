/*
 * tests/guest/traps.c - the trap table: where exceptions are delivered.
 *
 * The kit's boot call loads it (pvk_load_idt(): on Xen as
 * HYPERVISOR_set_trap_table, a PV guest having no IDT of its own; natively
 * as a real IDT). All 32 exception vectors go to the stubs of entry.S
 * (Xen's frame) or entry_native.S (the CPU's).
 *
 * dpl is the privilege needed to raise the vector with a software INT n.
 * Xen counts a PV kernel as ring 1 here, so DPL 0 vectors cannot be raised
 * by software at all and #BP/#OF get DPL 3 so that int3/into work, as on
 * bare metal. mask_irqs makes every vector an interrupt gate: on Xen,
 * upcalls are masked on delivery, as an interrupt gate clears IF.
 */
#include <pvkit/pvops.h>

#include "guest.h"

extern const unsigned long guest_trap_stubs[GUEST_NR_EXCEPTIONS];
extern const unsigned long guest_native_trap_stubs[GUEST_NR_EXCEPTIONS];

void guest_trap_table(bool native, struct pvk_trap_desc *traps)
{
	const unsigned long *stubs = native ? guest_native_trap_stubs : guest_trap_stubs;

	for (unsigned int v = 0; v < GUEST_NR_EXCEPTIONS; v++) {
		traps[v].vector = (uint8_t)v;
		traps[v].dpl = (v == PVK_TRAP_int3 || v == PVK_TRAP_overflow) ? 3 : 0;
		traps[v].mask_irqs = true;
		traps[v].handler = stubs[v];
	}
}
