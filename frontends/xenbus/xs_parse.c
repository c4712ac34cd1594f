/*
 * frontends/xenbus/xs_parse.c - the one parser of numbers read from
 * xenstore (pvk_xs_parse_ulong): strict decimal, digits only, no
 * overflow. Alone in its file so host unit tests link the real one.
 */
#include <pvkit/xen/errno.h>
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
