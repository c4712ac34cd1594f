/*
 * tests/xen/domu/domu-tool.h - what the Linux domU's benchmark programs
 * (blkbench.c, netbench.c) share: the clock they time with and the count
 * of a driver's interrupts from /proc/interrupts.
 */
#ifndef PVK_DOMU_TOOL_H
#define PVK_DOMU_TOOL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* CLOCK_MONOTONIC (Xen's clock in a PV domU), in ns. */
static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Sum of the CPU columns of every /proc/interrupts line that is_ours()
 * picks (0 when the file cannot be read). */
static inline uint64_t proc_irqs(bool (*is_ours)(const char *line))
{
	char line[1024];
	uint64_t n = 0;
	FILE *f = fopen("/proc/interrupts", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *end;

		if (!is_ours(line) || !(p = strchr(line, ':')))
			continue;
		for (p++;; p = end) {
			unsigned long long v = strtoull(p, &end, 10);

			if (end == p)
				break;
			n += v;
		}
	}
	fclose(f);
	return n;
}

#endif /* PVK_DOMU_TOOL_H */
