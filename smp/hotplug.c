/*
 * smp/hotplug.c - vCPU hotplug from the toolstack: `xl vcpu-set` writes
 * cpu/N/availability ("online" / "offline") under our xenstore home for
 * each N below the domain's max vCPUs; we make the online set follow it
 * through the host's callbacks.
 *
 * Each pass reads the node of every possible CPU and acts where it and
 * the online set disagree: on each event of the watch on "cpu" (any
 * change below it, one pass covers them all, and a missed-events re-read
 * is a pass like any other), and once at pvk_smp_hotplug_start(). A
 * missing node is no request; a value other than the two is logged and
 * ignored. The passes run as the watch worker (xs_watch.c), one at a
 * time: the initial one takes the role like a callback has it.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenstore.h>

#include "smp_internal.h"
#include "../frontends/xenbus/xs_client.h"

static const struct pvk_smp_hotplug_ops *hp;
static uint64_t changes;

static void cpu_dir_changed(struct pvk_xs_watch *w, const char *path);

static struct pvk_xs_watch cpu_watch = {
	.path = "cpu", .cb = cpu_dir_changed,
};

static bool same(const char *a, const char *b)
{
	size_t n = __builtin_strlen(a);

	return n == __builtin_strlen(b) && !__builtin_memcmp(a, b, n);
}

/* 1 online, 0 offline, negative: no request (missing or unreadable). */
static int wanted(unsigned int cpu)
{
	char path[32], value[16];
	int rc;

	pvk_snprintf(path, sizeof(path), "cpu/%u/availability", cpu);
	rc = pvk_xs_read(PVK_XBT_NIL, path, value, sizeof(value));
	if (rc < 0) {
		if (rc != -PVK_XEN_ENOENT)
			pvk_warn("smp hotplug: cannot read %s: %d", path, rc);
		return rc;
	}
	if (same(value, "online"))
		return 1;
	if (same(value, "offline"))
		return 0;
	pvk_warn("smp hotplug: %s is \"%s\", neither online nor offline: ignored", path, value);
	return -PVK_XEN_EINVAL;
}

/* A request to take CPU 0 down was logged; only the watch worker,
 * one pass at a time, reads and writes it. */
static bool cpu0_refused;

static void follow(unsigned int cpu, bool up)
{
	int rc;

	if (cpu == 0) {
		/* Once per request, not on every pass (any change under
		 * cpu/ makes one). */
		if (!cpu0_refused)
			pvk_warn("smp hotplug: the toolstack asks CPU 0 to go offline: CPU 0 stays");
		cpu0_refused = true;
		return;
	}
	pvk_info("smp hotplug: CPU %u %s", cpu, up ? "online" : "offline");
	if (up) {
		rc = hp->cpu_up(cpu, hp->arg);
		if (!rc && !pvk_smp_cpu_online(cpu))
			rc = -PVK_XEN_EIO;
	} else {
		rc = hp->cpu_down(cpu, hp->arg);
		if (!rc)
			rc = pvk_smp_cpu_wait_down(cpu, PVK_SMP_START_TIMEOUT_NS);
	}
	if (rc) {
		pvk_err("smp hotplug: CPU %u %s: the host's %s failed: %d; acting on the next change",
			cpu, up ? "online" : "offline", up ? "cpu_up" : "cpu_down", rc);
		return;
	}
	__atomic_fetch_add(&changes, 1, __ATOMIC_RELAXED);
}

static void pass(void)
{
	unsigned int n = pvk_smp_nr_possible();

	for (unsigned int cpu = 0; cpu < n; cpu++) {
		int want = wanted(cpu);

		if (cpu == 0 && want != 0)
			cpu0_refused = false;	/* the request went away */
		if (want < 0 || (want == 1) == pvk_smp_cpu_online(cpu))
			continue;
		follow(cpu, want == 1);
	}
}

static void cpu_dir_changed(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	pass();
}

int pvk_smp_hotplug_start(const struct pvk_smp_hotplug_ops *ops)
{
	int rc;

	if (!ops || !ops->cpu_up || !ops->cpu_down) {
		pvk_err("smp hotplug: cpu_up and cpu_down are both needed");
		return -PVK_XEN_EINVAL;
	}
	if (!pvk_smp_initialised()) {
		pvk_err("smp hotplug: before pvk_smp_init()");
		return -PVK_XEN_EINVAL;
	}
	if (hp) {
		pvk_err("smp hotplug: started twice");
		return -PVK_XEN_EEXIST;
	}
	rc = pvk_xs_worker_enter(4 * PVK_XS_TIMEOUT_NS);
	if (rc)
		return rc;
	hp = ops;
	pass();
	rc = pvk_xs_watch(&cpu_watch);
	if (rc) {
		pvk_err("smp hotplug: cannot watch cpu/: %d", rc);
		hp = NULL;
	}
	pvk_xs_worker_leave();
	return rc;
}

uint64_t pvk_smp_hotplug_changes(void)
{
	return __atomic_load_n(&changes, __ATOMIC_RELAXED);
}
