/*
 * tests/abi/abi-report.h - the item tables the generated ABI check fills in
 * (build/abi/abi-check.c, from gen-check.awk) and abi-report.c reports on.
 * Host code: compiled with the host's libc, not the kit's flags.
 */
#ifndef PVKIT_TESTS_ABI_REPORT_H
#define PVKIT_TESTS_ABI_REPORT_H

#include <stddef.h>

/* Is integer type t, or member m of aggregate type a, signed? */
#define ABI_SIGNED(t)     ((t)-1 < (t)0)
#define ABI_MSIGNED(a, m) ABI_SIGNED(__typeof__(((a *)0)->m))

/* An integer type, as _Generic sees it: 1, else a compile error. */
#define ABI_IS_INT(e) _Generic((e), _Bool: 1, char: 1, signed char: 1,	\
	unsigned char: 1, short: 1, unsigned short: 1, int: 1, unsigned int: 1,	\
	long: 1, unsigned long: 1, long long: 1, unsigned long long: 1)

/* The value of an integer expression and its type (size, sign). */
struct abi_value {
	unsigned long long val;
	int neg;
	size_t size;
	int is_signed;
};
#define ABI_EVAL(e) { (unsigned long long)(e), (e) < 0, sizeof(e) * ABI_IS_INT(e), \
		      ABI_SIGNED(__typeof__(e)) }

/* A function-like macro of ours and Xen's at one argument tuple. */
struct abi_macro {
	const char *ours, *xen, *args;
	struct abi_value o, x;
};

/* A function-like macro that cannot be evaluated, and why. */
struct abi_macro_skip {
	const char *ours, *xen, *why;
};

/* An integer constant: values as unsigned 64-bit, plus the sign of each. */
struct abi_const {
	const char *ours, *xen;
	unsigned long long ours_val, xen_val;
	int ours_neg, xen_neg;
};

/* A string constant. */
struct abi_str {
	const char *ours, *xen;
	const char *ours_val, *xen_val;
};

/*
 * A type as dwarf-layout.awk describes it from the debug info: width and
 * signedness of an integer (u32, s8), pointer width (ptr64; a guest handle
 * reads as its pointer), struct/union, array element and lengths (u8[44]).
 */

/* A typedef: size, the sign when it is an integer type, the description. */
struct abi_type {
	const char *ours, *xen;
	size_t ours_size, xen_size;
	int has_sign, ours_signed, xen_signed;
	const char *ours_desc, *xen_desc;
};

/*
 * A member of an aggregate (for flexible arrays: the element size, and the
 * description without the unbounded dimension).
 */
struct abi_field {
	const char *ours, *xen;
	size_t ours_off, xen_off;
	size_t ours_size, xen_size;
	int has_sign, ours_signed, xen_signed;
	const char *ours_desc, *xen_desc;
};

/* A member only Xen names (an alias, a handle's inner pointer, ...). */
struct abi_span {
	const char *xen;
	size_t off, size;
};

/* A struct, union or enum with its members. */
struct abi_agg {
	const char *ours, *xen;
	size_t ours_size, xen_size;
	int size_flex;		/* one side ends in a flexible array: sizes differ by design */
	const struct abi_field *fields;
	unsigned int nfields;
	const struct abi_span *xen_only;
	unsigned int nxen_only;
};

/* An item of ours that could not be paired with Xen's. */
struct abi_missing {
	const char *what, *why;
};

/* Generated tables, each ended by an entry with a NULL first name. */
extern const struct abi_const abi_consts[];
extern const struct abi_str abi_strs[];
extern const struct abi_type abi_types[];
extern const struct abi_agg abi_aggs[];
extern const struct abi_missing abi_missing[];
extern const struct abi_macro_skip abi_macro_skips[];
extern const unsigned int abi_skipped;

/* Tallies, by category. */
struct abi_tally {
	unsigned int aggs, fields, spans, types, consts, strs, data;
	unsigned int macros, macro_evals, macro_skips;
	unsigned int failed;
};

/* The generated evaluation of the macros (gen-macros.awk) ... */
void abi_check_macros(struct abi_tally *t);
/* ... hands its table, ended by a NULL name, to abi-report.c. */
void abi_macro_rows(struct abi_tally *t, const struct abi_macro *rows);

/* Hand-written checks of data our headers hold (abi-data.c). */
void abi_check_data(struct abi_tally *t);

/* Report one failure (printf-style). */
void abi_fail(struct abi_tally *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif /* PVKIT_TESTS_ABI_REPORT_H */
