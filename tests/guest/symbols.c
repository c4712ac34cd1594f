/*
 * tests/guest/symbols.c - turning a code address into "function+offset".
 *
 * The table is the image's own list of code symbols, sorted by address,
 * made from `nm` of a first link by the kit's scripts/pvk-symtab and
 * linked into the final image (guest.mk). The kit's crash report reads it
 * once registered (fault.c); the guest's own messages (smp.c, lock.c) look
 * names up here, in the same table.
 */
#include <pvkit/crash.h>

#include "guest.h"

extern const struct pvk_symtab pvk_kernel_symtab;

const struct pvk_symtab *guest_symtab(void)
{
	return &pvk_kernel_symtab;
}

const char *guest_symbol(unsigned long addr, unsigned long *offset)
{
	return pvk_symtab_lookup(&pvk_kernel_symtab, addr, offset);
}
