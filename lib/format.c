/*
 * lib/format.c - pvk_vsnprintf(), the kit's freestanding printf core.
 *
 * Pure logic with no kit dependencies, so the host unit tests compile this
 * very file and compare it with the C library's snprintf.
 */
#include <pvkit/log.h>

struct out {
	char *buf;
	size_t size;
	size_t len; /* what the full output would have been */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t n, int width,
		       bool left, char pad, char sign)
{
	int fill = width - (int)n - (sign ? 1 : 0);

	/* Zero padding goes between the sign and the digits. */
	if (sign && pad == '0')
		put(o, sign);
	while (!left && fill-- > 0)
		put(o, pad);
	if (sign && pad != '0')
		put(o, sign);
	for (size_t i = 0; i < n; i++)
		put(o, s[i]);
	while (left && fill-- > 0)
		put(o, ' ');
}

static void put_unsigned(struct out *o, unsigned long long v, unsigned base,
			 bool upper, int width, bool left, char pad, char sign)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t n = 0;

	do {
		tmp[sizeof(tmp) - 1 - n++] = digits[v % base];
		v /= base;
	} while (v);
	put_padded(o, tmp + sizeof(tmp) - n, n, width, left, pad, sign);
}

int pvk_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { .buf = buf, .size = size, .len = 0 };

	for (; *fmt; fmt++) {
		bool left = false;
		char pad = ' ';
		int width = 0, longs = 0;
		bool size_t_arg = false;

		if (*fmt != '%') {
			put(&o, *fmt);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				left = true;
			else if (*fmt == '0')
				pad = '0';
			else
				break;
		}
		if (*fmt == '*') {
			width = va_arg(ap, int);
			fmt++;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			longs++;
			fmt++;
		}
		if (*fmt == 'z') {
			size_t_arg = true;
			fmt++;
		}
		if (left)
			pad = ' ';

		switch (*fmt) {
		case 'd':
		case 'i': {
			long long v = size_t_arg ? (long long)va_arg(ap, long)
				    : longs >= 2 ? va_arg(ap, long long)
				    : longs == 1 ? va_arg(ap, long)
				    : va_arg(ap, int);
			unsigned long long mag = v < 0 ? -(unsigned long long)v : (unsigned long long)v;

			put_unsigned(&o, mag, 10, false, width, left, pad, v < 0 ? '-' : 0);
			break;
		}
		case 'u':
		case 'x':
		case 'X': {
			unsigned long long v = size_t_arg ? va_arg(ap, size_t)
					     : longs >= 2 ? va_arg(ap, unsigned long long)
					     : longs == 1 ? va_arg(ap, unsigned long)
					     : va_arg(ap, unsigned int);

			put_unsigned(&o, v, *fmt == 'u' ? 10 : 16, *fmt == 'X', width, left, pad, 0);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_unsigned(&o, (unsigned long long)(uintptr_t)va_arg(ap, void *), 16,
				     false, width > 2 ? width - 2 : 0, left, pad, 0);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t n = 0;

			if (!s)
				s = "(null)";
			while (s[n])
				n++;
			put_padded(&o, s, n, width, left, ' ', 0);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);

			put_padded(&o, &c, 1, width, left, ' ', 0);
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
