/*
 * frontends/blkfront/blkfront_options.c - the switches a host sets from
 * its command line (blkfront.NAME=VALUE) before pvk_blkfront_init(): what
 * the frontend asks the backend for, so each protocol path can be forced
 * off (or on) and tested.
 */
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

struct blkfront_options blkfront_opts = {
	.persistent = true,
	.indirect = BLKFRONT_MAX_INDIRECT,
	.queues = BLKFRONT_DEFAULT_QUEUES,
	.ring_order = BLKFRONT_MAX_RING_ORDER,
	.flush = true,
	.barrier = true,
	.discard = true,
};

static bool str_eq(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

/* Decimal digits only, at most 9 of them (no value here needs more). */
static int parse_num(const char *s, unsigned long *out)
{
	unsigned long v = 0;
	unsigned int n = 0;

	for (; *s; s++, n++) {
		if (*s < '0' || *s > '9' || n == 9)
			return -PVK_XEN_EINVAL;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (!n)
		return -PVK_XEN_EINVAL;
	*out = v;
	return 0;
}

/* name=value into opts; 0 or -PVK_XEN_EINVAL (opts unchanged). Pure. */
int blkfront_parse_option(struct blkfront_options *opts, const char *name,
			  const char *value)
{
	unsigned long v;

	if (!name || !value || parse_num(value, &v))
		return -PVK_XEN_EINVAL;
	if (str_eq(name, "persistent") && v <= 1)
		opts->persistent = v;
	else if (str_eq(name, "indirect") && v <= BLKFRONT_MAX_INDIRECT)
		opts->indirect = (unsigned int)v;
	else if (str_eq(name, "queues") && v >= 1 && v <= BLKFRONT_MAX_QUEUES)
		opts->queues = (unsigned int)v;
	else if (str_eq(name, "ring_order") && v <= BLKFRONT_MAX_RING_ORDER)
		opts->ring_order = (unsigned int)v;
	else if (str_eq(name, "flush") && v <= 1)
		opts->flush = v;
	else if (str_eq(name, "barrier") && v <= 1)
		opts->barrier = v;
	else if (str_eq(name, "discard") && v <= 1)
		opts->discard = v;
	else
		return -PVK_XEN_EINVAL;
	return 0;
}

int pvk_blkfront_option(const char *name, const char *value)
{
	return blkfront_parse_option(&blkfront_opts, name, value);
}
