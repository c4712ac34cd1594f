/*
 * tests/guest/symbols.c - turning a code address into "function+offset".
 *
 * The table is the image's own list of code symbols, sorted by address,
 * generated from `nm` of a first link by gen-symtab.sh and linked into the
 * final image (guest.mk). Lookup is a binary search for the last symbol at
 * or below the address.
 */
#include "guest.h"

struct guest_symtab_entry {
	unsigned long addr;
	uint32_t name;		/* offset into guest_symtab_names */
	uint32_t unused;
};

extern const unsigned long guest_symtab_count;
extern const struct guest_symtab_entry guest_symtab[];
extern const char guest_symtab_names[];

const char *guest_symbol(unsigned long addr, unsigned long *offset)
{
	unsigned long lo = 0, hi = guest_symtab_count;

	if (addr < (unsigned long)__text_start || addr >= (unsigned long)__text_end)
		return NULL;
	/* Invariant: entries below lo start at or below addr, from hi on above. */
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (guest_symtab[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	*offset = addr - guest_symtab[lo - 1].addr;
	return guest_symtab_names + guest_symtab[lo - 1].name;
}
