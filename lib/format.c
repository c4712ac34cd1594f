/*
 * lib/format.c - pvk_vsnprintf(), the kit's freestanding printf core.
 *
 * It implements what gcc's format checker accepts for the conversions it
 * knows (d i u x X o p s c %), with the flags '-', '0', '+', ' ', '#', width
 * and precision (both may be '*'), and the lengths hh, h, l, ll, z, t; so
 * kit code that compiles cleanly also prints what it says. Pure logic with
 * no kit dependencies: the host unit tests compile this very file and
 * compare it with the C library's snprintf.
 */
#include <pvkit/log.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* what the full output would have been */
};

struct spec {
	bool left, plus, space, alt, zero;
	int width;
	int precision; /* -1: none given */
	char length;   /* 'H' hh, 'h', 'l', 'L' ll, 'z', 't', or 0 */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_n(struct out *o, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
}

static void put_fill(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/*
 * One field: prefix (sign or 0x), leading zeros, body, padded to the width.
 * Zero padding (the '0' flag without precision) goes after the prefix.
 */
static void put_field(struct out *o, const struct spec *sp, const char *prefix,
		      int zeros, const char *body, size_t n)
{
	size_t plen = 0;
	int fill;

	while (prefix[plen])
		plen++;
	fill = sp->width - (int)(plen + (size_t)zeros + n);
	if (!sp->left && !sp->zero)
		put_fill(o, ' ', fill);
	put_n(o, prefix, plen);
	if (!sp->left && sp->zero)
		put_fill(o, '0', fill);
	put_fill(o, '0', zeros);
	put_n(o, body, n);
	if (sp->left)
		put_fill(o, ' ', fill);
}

static void put_integer(struct out *o, struct spec *sp, unsigned long long v,
			bool negative, char conv)
{
	unsigned base = conv == 'o' ? 8 : (conv == 'x' || conv == 'X' || conv == 'p') ? 16 : 10;
	const char *digits = conv == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;
	int zeros = 0;
	const char *prefix = "";

	/* C: precision 0 with value 0 prints no digits at all. */
	if (!(v == 0 && sp->precision == 0)) {
		do {
			tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
			v /= base;
		} while (v);
	}
	if (sp->precision >= 0) {
		sp->zero = false; /* a precision overrides the '0' flag */
		if (sp->precision > (int)n)
			zeros = sp->precision - (int)n;
	}
	if (conv == 'd' || conv == 'i')
		prefix = negative ? "-" : sp->plus ? "+" : sp->space ? " " : "";
	else if (conv == 'p')
		prefix = "0x";
	else if (sp->alt && conv == 'o' && zeros == 0 && (n == 0 || tmp[sizeof(tmp) - n] != '0'))
		zeros = 1; /* '#' with octal: force a leading zero */
	else if (sp->alt && (conv == 'x' || conv == 'X') && n && !(n == 1 && tmp[sizeof(tmp) - 1] == '0'))
		prefix = conv == 'x' ? "0x" : "0X";
	put_field(o, sp, prefix, zeros, tmp + sizeof(tmp) - n, n);
}

static long long signed_arg(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return va_arg(*ap, long); /* ssize_t */
	case 't': return va_arg(*ap, ptrdiff_t);
	default:  return va_arg(*ap, int);
	}
}

static unsigned long long unsigned_arg(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	case 't': return (unsigned long long)va_arg(*ap, ptrdiff_t);
	default:  return va_arg(*ap, unsigned int);
	}
}

/* Parses flags, width, precision and length after '%'; returns the conversion. */
static const char *parse_spec(const char *fmt, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .precision = -1 };
	for (;; fmt++) {
		if (*fmt == '-')
			sp->left = true;
		else if (*fmt == '0')
			sp->zero = true;
		else if (*fmt == '+')
			sp->plus = true;
		else if (*fmt == ' ')
			sp->space = true;
		else if (*fmt == '#')
			sp->alt = true;
		else
			break;
	}
	if (*fmt == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) { /* C: a negative '*' width means '-' */
			sp->left = true;
			sp->width = -sp->width;
		}
		fmt++;
	}
	while (*fmt >= '0' && *fmt <= '9')
		sp->width = sp->width * 10 + (*fmt++ - '0');
	if (*fmt == '.') {
		fmt++;
		sp->precision = 0;
		if (*fmt == '*') {
			sp->precision = va_arg(*ap, int);
			if (sp->precision < 0) /* C: as if none was given */
				sp->precision = -1;
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp->precision = sp->precision * 10 + (*fmt++ - '0');
	}
	if (fmt[0] == 'h' && fmt[1] == 'h') {
		sp->length = 'H';
		fmt += 2;
	} else if (fmt[0] == 'l' && fmt[1] == 'l') {
		sp->length = 'L';
		fmt += 2;
	} else if (*fmt == 'h' || *fmt == 'l' || *fmt == 'z' || *fmt == 't') {
		sp->length = *fmt++;
	}
	if (sp->left)
		sp->zero = false;
	return fmt;
}

int pvk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };
	va_list args;

	/* Work on a copy so helpers can take the list by pointer portably. */
	va_copy(args, ap);
	for (; *fmt; fmt++) {
		struct spec sp;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt = parse_spec(fmt + 1, &sp, &args);

		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = signed_arg(&sp, &args);

			put_integer(&o, &sp, v < 0 ? -(unsigned long long)v : (unsigned long long)v,
				    v < 0, *fmt);
			break;
		}
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			put_integer(&o, &sp, unsigned_arg(&sp, &args), false, *fmt);
			break;
		case 'p':
			/* Kernel style: a NULL pointer prints as 0x0, not "(nil)". */
			sp.zero = false;
			sp.precision = -1;
			put_integer(&o, &sp, (unsigned long long)(uintptr_t)va_arg(args, void *),
				    false, 'p');
			break;
		case 's': {
			const char *s = va_arg(args, const char *);
			size_t n = 0;

			if (!s)
				s = "(null)";
			/* With a precision, s need not be terminated within it. */
			while ((sp.precision < 0 || n < (size_t)sp.precision) && s[n])
				n++;
			sp.zero = false;
			put_field(&o, &sp, "", 0, s, n);
			break;
		}
		case 'c': {
			char c = (char)va_arg(args, int);

			sp.zero = false;
			put_field(&o, &sp, "", 0, &c, 1);
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			fmt--; /* a lone '%' at the end: stop at the terminator */
			break;
		default:
			/* Unknown conversion: show it rather than guess at its argument. */
			put(&o, '%');
			put(&o, *fmt);
			break;
		}
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int pvk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = pvk_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
