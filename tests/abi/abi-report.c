/*
 * tests/abi/abi-report.c - runs the generated ABI comparison: walks the
 * item tables of build/abi/abi-check.c, prints each mismatch (item, ours,
 * Xen's), the number of items compared per category, checks those counts
 * against the floors in tests/abi/min-items, and ends with the suite's
 * "N passed, N failed" line. Exit status: 0 only if nothing failed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi-report.h"

void abi_fail(struct abi_tally *t, const char *fmt, ...)
{
	va_list ap;

	printf("  FAIL  ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	t->failed++;
}

static const char *sign(int s)
{
	return s ? "signed" : "unsigned";
}

static void check_consts(struct abi_tally *t)
{
	const struct abi_const *c;
	const struct abi_str *s;

	for (c = abi_consts; c->ours; c++) {
		t->consts++;
		if (c->ours_val != c->xen_val || c->ours_neg != c->xen_neg)
			abi_fail(t, "constant %s: ours %s%llu (0x%llx), Xen's %s %s%llu (0x%llx)",
				 c->ours, c->ours_neg ? "-" : "",
				 c->ours_neg ? -c->ours_val : c->ours_val, c->ours_val,
				 c->xen, c->xen_neg ? "-" : "",
				 c->xen_neg ? -c->xen_val : c->xen_val, c->xen_val);
	}
	for (s = abi_strs; s->ours; s++) {
		t->strs++;
		if (strcmp(s->ours_val, s->xen_val))
			abi_fail(t, "string %s: ours \"%s\", Xen's %s \"%s\"",
				 s->ours, s->ours_val, s->xen, s->xen_val);
	}
}

static void check_types(struct abi_tally *t)
{
	const struct abi_type *ty;

	for (ty = abi_types; ty->ours; ty++) {
		t->types++;
		if (ty->ours_size != ty->xen_size)
			abi_fail(t, "typedef %s: size ours %zu, Xen's %s %zu",
				 ty->ours, ty->ours_size, ty->xen, ty->xen_size);
		else if (ty->has_sign && ty->ours_signed != ty->xen_signed)
			abi_fail(t, "typedef %s: ours %s, Xen's %s %s", ty->ours,
				 sign(ty->ours_signed), ty->xen, sign(ty->xen_signed));
		else if (strcmp(ty->ours_desc, ty->xen_desc))
			abi_fail(t, "typedef %s: type ours %s, Xen's %s %s", ty->ours,
				 ty->ours_desc, ty->xen, ty->xen_desc);
	}
}

static void check_field(struct abi_tally *t, const struct abi_agg *a,
			const struct abi_field *f)
{
	t->fields++;
	if (f->ours_off != f->xen_off)
		abi_fail(t, "%s.%s: offset ours %zu, Xen's %s.%s %zu",
			 a->ours, f->ours, f->ours_off, a->xen, f->xen, f->xen_off);
	else if (f->ours_size != f->xen_size)
		abi_fail(t, "%s.%s: size ours %zu, Xen's %s.%s %zu",
			 a->ours, f->ours, f->ours_size, a->xen, f->xen, f->xen_size);
	else if (f->has_sign && f->ours_signed != f->xen_signed)
		abi_fail(t, "%s.%s: ours %s, Xen's %s.%s %s", a->ours, f->ours,
			 sign(f->ours_signed), a->xen, f->xen, sign(f->xen_signed));
	else if (strcmp(f->ours_desc, f->xen_desc))
		abi_fail(t, "%s.%s: type ours %s, Xen's %s.%s %s", a->ours, f->ours,
			 f->ours_desc, a->xen, f->xen, f->xen_desc);
}

/*
 * Xen's members we do not name must lie in bytes our members cover (an
 * alias like eax over rax, a guest handle's inner pointer); otherwise we
 * lack something Xen has.
 */
static void check_xen_only(struct abi_tally *t, const struct abi_agg *a)
{
	size_t len = a->ours_size > a->xen_size ? a->ours_size : a->xen_size;
	unsigned char *cov;
	unsigned int i;
	size_t b;

	if (!a->nxen_only)
		return;
	for (i = 0; i < a->nfields; i++) {
		size_t end = a->fields[i].ours_off + a->fields[i].ours_size;

		if (end > len)
			len = end;
	}
	cov = calloc(len + 1, 1);
	if (!cov) {
		abi_fail(t, "out of memory");
		return;
	}
	for (i = 0; i < a->nfields; i++)
		memset(cov + a->fields[i].ours_off, 1, a->fields[i].ours_size);
	for (i = 0; i < a->nxen_only; i++) {
		const struct abi_span *s = &a->xen_only[i];

		t->spans++;
		for (b = s->off; b < s->off + s->size; b++)
			if (b >= len || !cov[b])
				break;
		if (b < s->off + s->size)
			abi_fail(t, "%s: Xen's member %s.%s (bytes %zu-%zu) has no counterpart in ours",
				 a->ours, a->xen, s->xen, s->off, s->off + s->size - 1);
	}
	free(cov);
}

static void check_aggs(struct abi_tally *t)
{
	const struct abi_agg *a;
	unsigned int i;

	for (a = abi_aggs; a->ours; a++) {
		t->aggs++;
		if (!a->size_flex && a->ours_size != a->xen_size)
			abi_fail(t, "%s: size ours %zu, Xen's %s %zu",
				 a->ours, a->ours_size, a->xen, a->xen_size);
		for (i = 0; i < a->nfields; i++)
			check_field(t, a, &a->fields[i]);
		check_xen_only(t, a);
	}
}

/*
 * Value and signedness must agree; the width of the result need not (Xen's
 * __CONST_RING_SIZE gives an unsigned long, ours a uint32_t), as a width
 * that loses bits shows as a different value at the wide arguments.
 */
static int value_differs(const struct abi_value *a, const struct abi_value *b)
{
	return a->val != b->val || a->neg != b->neg || a->is_signed != b->is_signed;
}

static void print_value(const struct abi_value *v)
{
	if (v->neg)
		printf("-%llu", -v->val);
	else
		printf("%llu", v->val);
	printf(" (0x%llx, %s %zu-bit)", v->val, v->is_signed ? "signed" : "unsigned",
	       v->size * 8);
}

/*
 * Each row is one macro at one argument tuple, and one item. Of a macro's
 * differing tuples the first is shown and the others counted, so a wrong
 * macro gives one line, not thirty.
 */
void abi_macro_rows(struct abi_tally *t, const struct abi_macro *rows)
{
	const struct abi_macro *r, *first;
	unsigned int n, bad;

	for (r = rows; r->ours; ) {
		first = NULL;
		n = bad = 0;
		t->macros++;
		for (const char *name = r->ours; r->ours && !strcmp(r->ours, name); r++) {
			n++;
			t->macro_evals++;
			if (!value_differs(&r->o, &r->x))
				continue;
			bad++;
			t->failed++;
			if (!first)
				first = r;
		}
		if (!first)
			continue;
		printf("  FAIL  macro %s(%s): ours ", first->ours, first->args);
		print_value(&first->o);
		printf(", Xen's %s ", first->xen);
		print_value(&first->x);
		printf("; %u of %u argument tuples differ\n", bad, n);
	}
}

static void report_macro_skips(struct abi_tally *t)
{
	const struct abi_macro_skip *s;

	for (s = abi_macro_skips; s->ours; s++) {
		t->macro_skips++;
		printf("  SKIP  macro %s (Xen's %s) not comparable: %s\n", s->ours, s->xen, s->why);
	}
}

/* tests/abi/min-items: "<category> <floor>" lines; # comments. */
static void check_floors(struct abi_tally *t, const char *path)
{
	char line[256], cat[64];
	unsigned int floor, have, seen = 0;
	FILE *f = fopen(path, "r");

	if (!f) {
		abi_fail(t, "cannot read the item floors %s", path);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		if (sscanf(line, "%63s %u", cat, &floor) != 2) {
			abi_fail(t, "%s: bad line: %s", path, line);
			continue;
		}
		if (!strcmp(cat, "aggregates"))
			have = t->aggs;
		else if (!strcmp(cat, "fields"))
			have = t->fields;
		else if (!strcmp(cat, "typedefs"))
			have = t->types;
		else if (!strcmp(cat, "constants"))
			have = t->consts + t->strs;
		else if (!strcmp(cat, "macros"))
			have = t->macros;
		else if (!strcmp(cat, "macro-evaluations"))
			have = t->macro_evals;
		else {
			abi_fail(t, "%s: unknown category %s", path, cat);
			continue;
		}
		seen++;
		if (have < floor)
			abi_fail(t, "only %u %s compared, the floor in %s is %u",
				 have, cat, path, floor);
	}
	fclose(f);
	if (!seen)
		abi_fail(t, "%s sets no floor", path);
}

int main(int argc, char **argv)
{
	struct abi_tally t = { 0 };
	const struct abi_missing *m;
	unsigned int total;

	if (argc != 2) {
		fprintf(stderr, "usage: %s tests/abi/min-items\n", argv[0]);
		return 2;
	}
	for (m = abi_missing; m->what; m++)
		abi_fail(&t, "%s: %s", m->what, m->why);
	check_consts(&t);
	check_types(&t);
	check_aggs(&t);
	abi_check_macros(&t);
	report_macro_skips(&t);
	abi_check_data(&t);

	printf("  ABI   compared with Xen's headers: %u structs/unions/enums, %u members "
	       "(offset, size, type) (+%u Xen-only member spans), %u typedefs, "
	       "%u constants (%u of them strings), %u function-like macros evaluated "
	       "at %u argument tuples (%u more not comparable), %u data-table entries; "
	       "%u items of ours have no Xen counterpart (tests/abi/ours-only)\n",
	       t.aggs, t.fields, t.spans, t.types, t.consts + t.strs, t.strs,
	       t.macros, t.macro_evals, t.macro_skips, t.data, abi_skipped);
	check_floors(&t, argv[1]);

	/* Each unpaired item and each floor miss is one failed item. */
	total = t.aggs + t.fields + t.spans + t.types + t.consts + t.strs + t.data +
		t.macro_evals;
	for (m = abi_missing; m->what; m++)
		total++;
	if (t.failed > total)
		total = t.failed;
	printf("%u passed, %u failed\n", total - t.failed, t.failed);
	return t.failed ? 1 : 0;
}
