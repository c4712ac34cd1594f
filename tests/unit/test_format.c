/*
 * tests/unit/test_format.c - lib/format.c's pvk_vsnprintf against the C library.
 *
 * Where the kit promises C's behaviour (log.h: d i u o x X p s c %, the
 * flags - 0 + space #, width and precision (also as '*'), hh/h/l/ll/z/t)
 * the host's snprintf is the oracle: same text, same
 * return value, same truncation. Where the kit deliberately differs (NULL
 * %p, unknown conversions) the expected text is spelled out.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <pvkit/log.h>
#include "unit.h"

enum arg_type {
	NONE, INT, UINT, LONG, ULONG, LLONG, ULLONG, SIZE, SSIZE, PTR, STR, CHAR,
	STAR_INT,	/* an int width for '*', then an int */
	STAR_STR,	/* an int precision for '.*', then a string */
};

struct format_case {
	const char *fmt;
	enum arg_type type;
	long long s;		/* signed value (INT, LONG, LLONG, SSIZE, CHAR, STAR_INT) */
	unsigned long long u;	/* unsigned value (UINT, ULONG, ULLONG, SIZE, PTR) */
	const char *str;	/* STR */
	int width;		/* STAR_INT: the '*' width */
};

static const struct format_case cases[] = {
	{ "plain text", NONE, .s = 0 },
	{ "100%%", NONE, .s = 0 },
	{ "a%%b%%c", NONE, .s = 0 },
	{ "%d", INT, .s = 0 },
	{ "%d", INT, .s = 42 },
	{ "%d", INT, .s = -42 },
	{ "%d", INT, .s = INT_MAX },
	{ "%d", INT, .s = INT_MIN },
	{ "%i", INT, .s = -7 },
	{ "%5d", INT, .s = 42 },
	{ "%5d", INT, .s = -42 },
	{ "%1d", INT, .s = 12345 },
	{ "%-5d|", INT, .s = 42 },
	{ "%-5d|", INT, .s = -42 },
	{ "%05d", INT, .s = 42 },
	{ "%05d", INT, .s = -42 },
	{ "%05d", INT, .s = 0 },
	{ "%-05d|", INT, .s = -42 },
	{ "%012d", INT, .s = INT_MIN },
	{ "%*d", STAR_INT, .s = 42, .width = 6 },
	{ "%*d", STAR_INT, .s = -42, .width = 6 },
	{ "%0*d", STAR_INT, .s = -42, .width = 6 },
	{ "%u", UINT, .u = 0 },
	{ "%u", UINT, .u = UINT_MAX },
	{ "%x", UINT, .u = 0 },
	{ "%x", UINT, .u = 0xdeadbeef },
	{ "%X", UINT, .u = 0xdeadbeef },
	{ "%08x", UINT, .u = 0xbeef },
	{ "%-8x|", UINT, .u = 0xbeef },
	{ "%2x", UINT, .u = 0xbeef },
	{ "%ld", LONG, .s = LONG_MIN },
	{ "%ld", LONG, .s = LONG_MAX },
	{ "%20ld", LONG, .s = LONG_MIN },
	{ "%021ld", LONG, .s = LONG_MIN },
	{ "%lu", ULONG, .u = ULONG_MAX },
	{ "%lx", ULONG, .u = ULONG_MAX },
	{ "%016lx", ULONG, .u = 0xffffffff80001000ULL },
	{ "%lld", LLONG, .s = LLONG_MIN },
	{ "%lld", LLONG, .s = LLONG_MAX },
	{ "%lld", LLONG, .s = -1 },
	{ "%-25lld|", LLONG, .s = LLONG_MIN },
	{ "%025lld", LLONG, .s = LLONG_MIN },
	{ "%llu", ULLONG, .u = ULLONG_MAX },
	{ "%llx", ULLONG, .u = 0x0123456789abcdefULL },
	{ "%llX", ULLONG, .u = 0x0123456789abcdefULL },
	{ "%zu", SIZE, .u = SIZE_MAX },
	{ "%zx", SIZE, .u = 0x1000 },
	{ "%zd", SSIZE, .s = -1 },
	{ "%zd", SSIZE, .s = 4096 },
	{ "%p", PTR, .u = 0x1234 },
	{ "%p", PTR, .u = 0xffffffff80001000ULL },
	{ "[%p]", PTR, .u = 1 },
	{ "%s", STR, .str = "hello" },
	{ "%s", STR, .str = "" },
	{ "%10s|", STR, .str = "hello" },
	{ "%-10s|", STR, .str = "hello" },
	{ "%2s", STR, .str = "hello" },
	{ "<%s>", STR, .str = "a longer string with spaces" },
	{ "%c", CHAR, .s = 'x' },
	{ "%3c|", CHAR, .s = 'x' },
	{ "%-3c|", CHAR, .s = 'x' },
	{ "x=%d!", INT, .s = -1 },
	{ "%*d|", STAR_INT, .s = 42, .width = -6 },
	{ "%+d", INT, .s = 42 },
	{ "%+d", INT, .s = -42 },
	{ "% d", INT, .s = 42 },
	{ "%+ d", INT, .s = 42 },
	{ "%+05d", INT, .s = 42 },
	{ "%.3d", INT, .s = 7 },
	{ "%.3d", INT, .s = -7 },
	{ "%8.3d|", INT, .s = -7 },
	{ "%-8.3d|", INT, .s = 7 },
	{ "%08.3d|", INT, .s = 7 },
	{ "%.0d|", INT, .s = 0 },
	{ "%5.0d|", INT, .s = 0 },
	{ "%.0x|", UINT, .u = 0 },
	{ "%#x", UINT, .u = 0xbeef },
	{ "%#X", UINT, .u = 0xbeef },
	{ "%#x", UINT, .u = 0 },
	{ "%#010x", UINT, .u = 0xbeef },
	{ "%#lx", ULONG, .u = 0xffffffff80001000ULL },
	{ "%o", UINT, .u = 8 },
	{ "%#o", UINT, .u = 8 },
	{ "%#o", UINT, .u = 0 },
	{ "%#.3o", UINT, .u = 8 },
	{ "%hhd", INT, .s = 300 },
	{ "%hhu", UINT, .u = 511 },
	{ "%hd", INT, .s = 70000 },
	{ "%hx", UINT, .u = 0x12345 },
	{ "%td", LONG, .s = -5 },
	{ "%18p|", PTR, .u = 0x1234 },
	{ "%-18p|", PTR, .u = 0x1234 },
	{ "%.3s|", STR, .str = "hello" },
	{ "%6.2s|", STR, .str = "hello" },
	{ "%.10s|", STR, .str = "hi" },
	{ "%.*s|", STAR_STR, .str = "hello", .width = 2 },
	{ "%.*s|", STAR_STR, .str = "hello", .width = -1 },
};

/* Format case c with f (pvk_snprintf or snprintf) into buf. */
#define FORMAT(f, buf, size, c) ({					\
	int __n = -1;							\
	switch ((c)->type) {						\
	case NONE:   __n = f(buf, size, (c)->fmt); break;		\
	case INT:    __n = f(buf, size, (c)->fmt, (int)(c)->s); break;	\
	case UINT:   __n = f(buf, size, (c)->fmt, (unsigned int)(c)->u); break; \
	case LONG:   __n = f(buf, size, (c)->fmt, (long)(c)->s); break;	\
	case ULONG:  __n = f(buf, size, (c)->fmt, (unsigned long)(c)->u); break; \
	case LLONG:  __n = f(buf, size, (c)->fmt, (long long)(c)->s); break; \
	case ULLONG: __n = f(buf, size, (c)->fmt, (unsigned long long)(c)->u); break; \
	case SIZE:   __n = f(buf, size, (c)->fmt, (size_t)(c)->u); break; \
	case SSIZE:  __n = f(buf, size, (c)->fmt, (ssize_t)(c)->s); break; \
	case PTR:    __n = f(buf, size, (c)->fmt, (void *)(uintptr_t)(c)->u); break; \
	case STR:    __n = f(buf, size, (c)->fmt, (c)->str); break;	\
	case CHAR:   __n = f(buf, size, (c)->fmt, (int)(c)->s); break;	\
	case STAR_INT: __n = f(buf, size, (c)->fmt, (c)->width, (int)(c)->s); break; \
	case STAR_STR: __n = f(buf, size, (c)->fmt, (c)->width, (c)->str); break; \
	}								\
	__n;								\
})

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
#pragma GCC diagnostic ignored "-Wformat-security"

UNIT_TEST(format_matches_libc)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct format_case *c = &cases[i];
		char want[128], got[128];
		int nw = FORMAT(snprintf, want, sizeof(want), c);
		int ng = FORMAT(pvk_snprintf, got, sizeof(got), c);

		if (nw != ng || strcmp(want, got) != 0)
			unit_fail(__FILE__, __LINE__,
				  "case %zu \"%s\": libc \"%s\" (%d), kit \"%s\" (%d)",
				  i, c->fmt, want, nw, got, ng);
	}
}

/*
 * Every buffer size from 0 to past the full length: the same return value
 * (the untruncated length), the same terminated prefix, and not one byte
 * written past size.
 */
UNIT_TEST(format_truncates_like_libc)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct format_case *c = &cases[i];
		char full[128];
		int len = FORMAT(snprintf, full, sizeof(full), c);

		for (size_t size = 0; size <= (size_t)len + 2; size++) {
			char want[130], got[130];
			int nw, ng;

			memset(want, '#', sizeof(want));
			memset(got, '#', sizeof(got));
			nw = FORMAT(snprintf, want, size, c);
			ng = FORMAT(pvk_snprintf, got, size, c);
			if (nw != ng || memcmp(want, got, sizeof(want)) != 0)
				unit_fail(__FILE__, __LINE__,
					  "case %zu \"%s\" size %zu: libc %d \"%.*s\", kit %d \"%.*s\"",
					  i, c->fmt, size, nw, (int)size, want,
					  ng, (int)size, got);
		}
	}
}

#pragma GCC diagnostic pop

UNIT_TEST(format_null_buffer_counts)
{
	CHECK_EQ(pvk_snprintf(NULL, 0, "%s=%d", "abc", -12345), 10);
	const char *empty = "";

	CHECK_EQ(pvk_snprintf(NULL, 0, empty), 0);
}

UNIT_TEST(format_several_arguments)
{
	char got[64], want[64];
	int ng = pvk_snprintf(got, sizeof(got), "[%d|%s|%lx|%c|%5u]", -3, "mid",
			      0xabcUL, 'q', 77u);
	int nw = snprintf(want, sizeof(want), "[%d|%s|%lx|%c|%5u]", -3, "mid",
			  0xabcUL, 'q', 77u);

	CHECK_STR(got, want);
	CHECK_EQ(ng, nw);
}

/* Where the kit chose its own output, the expected text is the contract. */
UNIT_TEST(format_kit_conventions)
{
	char buf[32];
	const char *volatile null_str = NULL;	/* hidden from gcc's checks */

	/* A NULL pointer prints as a number, kernel style, not "(nil)". */
	CHECK_EQ(pvk_snprintf(buf, sizeof(buf), "%p", (void *)0), 3);
	CHECK_STR(buf, "0x0");
	/* A NULL string prints "(null)" rather than faulting. */
	pvk_snprintf(buf, sizeof(buf), "<%s>", null_str);
	CHECK_STR(buf, "<(null)>");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
	/* An unknown conversion is shown, not guessed at. */
	CHECK_EQ(pvk_snprintf(buf, sizeof(buf), "a%qb"), 4);
	CHECK_STR(buf, "a%qb");
	/* A lone '%' at the end stops the output there. */
	CHECK_EQ(pvk_snprintf(buf, sizeof(buf), "abc%"), 3);
	CHECK_STR(buf, "abc");
#pragma GCC diagnostic pop
}
