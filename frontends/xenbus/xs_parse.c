/*
 * frontends/xenbus/xs_parse.c - the values read from xenstore, judged and
 * shown: the one parser of numbers (pvk_xs_parse_ulong: strict decimal,
 * digits only, no overflow) and the one way their text reaches the log
 * (pvk_xenbus_printable: escaped). Pure, alone in its file so host unit
 * tests and the Linux port link the real ones.
 */
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

int pvk_xs_parse_ulong(const char *s, unsigned long *out)
{
	unsigned long v = 0;

	if (!*s)
		return -PVK_XEN_EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -PVK_XEN_EINVAL;
		if (v > (~0UL - 9) / 10)
			return -PVK_XEN_ERANGE;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	*out = v;
	return 0;
}

const char *pvk_xenbus_printable(char *out, size_t size, const char *value)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	if (!size)
		return out;
	for (; *value; value++) {
		unsigned char c = (unsigned char)*value;
		bool plain = c >= 0x20 && c < 0x7f && c != '\\' && c != '"';

		if (n + (plain ? 1 : 4) >= size)
			break;
		if (plain) {
			out[n++] = (char)c;
		} else {
			out[n++] = '\\';
			out[n++] = 'x';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	out[n] = '\0';
	return out;
}
