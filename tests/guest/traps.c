/*
 * tests/guest/traps.c - the trap table: where Xen delivers exceptions.
 *
 * A PV guest has no IDT of its own; it gives Xen a virtual one with
 * HYPERVISOR_set_trap_table: (vector, flags, code selector, handler
 * address) per vector, ended by an entry whose address is 0. We cover all
 * 32 exception vectors with the stubs of entry.S.
 *
 * flags bits 0-1 are the DPL: the privilege needed to raise the vector
 * with a software INT n. Xen counts a PV kernel as ring 1 here, so DPL 0
 * vectors cannot be raised by software at all and #BP/#OF get DPL 3 so
 * that int3/into work, as on bare metal. Bit 2 asks Xen to mask event
 * upcalls on delivery, like an interrupt gate clears IF.
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>

#include "guest.h"

#define NR_EXCEPTIONS		32

extern const unsigned long guest_trap_stubs[NR_EXCEPTIONS];

/* One extra zeroed entry terminates the table. */
static struct pvk_trap_info trap_table[NR_EXCEPTIONS + 1];

void guest_traps_init(void)
{
	long rc;

	for (unsigned int v = 0; v < NR_EXCEPTIONS; v++) {
		trap_table[v].vector = (uint8_t)v;
		trap_table[v].flags = PVK_TI_IF;
		if (v == PVK_TRAP_int3 || v == PVK_TRAP_overflow)
			trap_table[v].flags |= 3 & PVK_TI_DPL_MASK;
		trap_table[v].cs = PVK_FLAT_KERNEL_CS;
		trap_table[v].address = guest_trap_stubs[v];
	}
	rc = pvk_hyp_set_trap_table(trap_table);
	if (rc) {
		guest_printf("traps: set_trap_table failed: %ld\n", rc);
		pvk_port_panic("cannot install the trap table");
	}
}
