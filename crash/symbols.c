/*
 * crash/symbols.c - code addresses as "function+offset" for the report.
 *
 * The host registers its own symbol table, made at build time by
 * scripts/pvk-symtab (two links: see the script). Lookup is a binary
 * search for the last symbol at or below the address; nothing is
 * allocated and nothing locked, so it works from any fault handler.
 */
#include <pvkit/crash.h>

static const struct pvk_symtab *registered;

void pvk_crash_set_symbols(const struct pvk_symtab *table)
{
	PVK_WRITE_ONCE(registered, table);
}

const char *pvk_symtab_lookup(const struct pvk_symtab *t, unsigned long addr,
			      unsigned long *offset)
{
	unsigned long lo = 0, hi;

	if (!t || t->count == 0 || addr < t->syms[0].addr || addr >= t->end)
		return NULL;
	hi = t->count;
	/* Invariant: entries below lo start at or below addr, from hi on above. */
	while (lo < hi) {
		unsigned long mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	*offset = addr - t->syms[lo - 1].addr;
	return t->names + t->syms[lo - 1].name;
}

const char *pvk_crash_symbol(unsigned long addr, unsigned long *offset)
{
	return pvk_symtab_lookup(PVK_READ_ONCE(registered), addr, offset);
}
