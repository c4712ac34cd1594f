/*
 * frontends/netfront/netfront_options.c - the host's switches
 * (netfront.NAME=VALUE): what the frontend may ask the backend for.
 * Unknown names and values out of range are refused, so a switch is
 * never silently ignored.
 */
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "netfront_internal.h"

struct netfront_options netfront_opts = {
	.sg = true, .gso_tcpv4 = true, .gso_tcpv6 = true, .csum = true,
	.ipv6_csum = true, .split_evtchn = true, .trusted = true,
	.queues = 2, .rx_buffers = NETFRONT_RING_ENTS,
};

static bool name_is(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

int netfront_parse_option(struct netfront_options *opts, const char *name,
			  const char *value)
{
	static const struct {
		const char *name;
		size_t off;
	} flags[] = {
		{ "sg", __builtin_offsetof(struct netfront_options, sg) },
		{ "gso_tcpv4", __builtin_offsetof(struct netfront_options, gso_tcpv4) },
		{ "gso_tcpv6", __builtin_offsetof(struct netfront_options, gso_tcpv6) },
		{ "csum", __builtin_offsetof(struct netfront_options, csum) },
		{ "ipv6_csum", __builtin_offsetof(struct netfront_options, ipv6_csum) },
		{ "split_evtchn", __builtin_offsetof(struct netfront_options, split_evtchn) },
		{ "trusted", __builtin_offsetof(struct netfront_options, trusted) },
	};
	unsigned long v;

	if (!name || !value || pvk_xs_parse_ulong(value, &v))
		return -PVK_XEN_EINVAL;
	for (unsigned int i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		if (!name_is(name, flags[i].name))
			continue;
		if (v > 1)
			return -PVK_XEN_EINVAL;
		*(bool *)((char *)opts + flags[i].off) = v == 1;
		return 0;
	}
	if (name_is(name, "queues")) {
		if (v < 1 || v > NETFRONT_MAX_QUEUES)
			return -PVK_XEN_EINVAL;
		opts->queues = (unsigned int)v;
		return 0;
	}
	if (name_is(name, "rx_buffers")) {
		if (v < 1 || v > NETFRONT_RING_ENTS)
			return -PVK_XEN_EINVAL;
		opts->rx_buffers = (unsigned int)v;
		return 0;
	}
	return -PVK_XEN_EINVAL;
}

int pvk_netfront_option(const char *name, const char *value)
{
	return netfront_parse_option(&netfront_opts, name, value);
}
