/*
 * tests/xen/dom0-tools/net-tool.h - what dom0's network tools
 * (pvk-net-udp, pvk-net-tcp) share: the monotonic clock in ns and the
 * strict parse of a decimal argument.
 */
#ifndef PVK_NET_TOOL_H
#define PVK_NET_TOOL_H

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A decimal argument in [lo, hi]; -1 when it is not one. */
static inline long long arg_num(const char *s, long long lo, long long hi)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	return v;
}

#endif /* PVK_NET_TOOL_H */
