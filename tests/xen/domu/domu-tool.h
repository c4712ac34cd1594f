/*
 * tests/xen/domu/domu-tool.h - what the Linux domU's benchmark programs
 * (blkbench.c, netbench.c) share: the clock they time with, the count
 * of a driver's interrupts from /proc/interrupts and the side they report
 * as. The domU's init sets PVK_BENCH_SIDE=pvklinux and PVK_BENCH_IRQS to
 * our modules' interrupt names when the frontends are pvkit's
 * (pvkdomu.drivers=pvk), so one program measures both drivers.
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

/* The side a result line names: "linux" (Linux's frontends) unless the
 * init says otherwise ("pvklinux": our modules in the same kernel). */
static inline const char *bench_side(void)
{
	const char *side = getenv("PVK_BENCH_SIDE");

	return side && *side ? side : "linux";
}

/* Whether a /proc/interrupts line is the driver's: it contains one of the
 * space-separated names of PVK_BENCH_IRQS when that is set (our modules'
 * "pvk-vbd"/"pvk-vif", or "pvkit" before they were named per device),
 * else linux_match() decides (Linux's own names). */
static inline bool irq_is_drivers(const char *line, bool (*linux_match)(const char *line))
{
	const char *names = getenv("PVK_BENCH_IRQS");
	char name[64];
	int used;

	if (!names || !*names)
		return linux_match(line);
	while (sscanf(names, " %63s%n", name, &used) == 1) {
		if (strstr(line, name))
			return true;
		names += used;
	}
	return false;
}

#endif /* PVK_DOMU_TOOL_H */
