/*
 * tests/guest/cases/control.c - requests from dom0, end to end.
 *
 * These tests wait for something dom0 does, so they only run when named
 * (pvkit.test=...) by a scenario whose ON_LINE rules make dom0 act when
 * the guest prints its "ready" line (tests/xen/scenarios/guest-dom0.scn,
 * guest-reboot.scn). Each wait is bounded by DOM0_WAIT_NS.
 */
#include <pvkit/control.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xenstore.h>

#include "../test.h"

#define DOM0_WAIT_NS	(30ULL * 1000 * 1000 * 1000)

#ifdef CONFIG_PVK_XENBUS

/* Runs watch callbacks until done() or the deadline; 0 or -ETIMEDOUT. */
static int wait_for(bool (*done)(void))
{
	uint64_t deadline = pvk_time_now_ns() + DOM0_WAIT_NS;

	while (!done()) {
		uint64_t now = pvk_time_now_ns();
		int rc;

		if (now >= deadline)
			return -PVK_XEN_ETIMEDOUT;
		rc = pvk_xs_wait_watches(deadline - now);
		if (rc < 0 && rc != -PVK_XEN_ETIMEDOUT)
			return rc;
	}
	return 0;
}

static char dom0_value[64];

static void on_dom0_write(struct pvk_xs_watch *w, const char *path)
{
	(void)w;
	(void)path;
	if (pvk_xs_read(PVK_XBT_NIL, "data/from-dom0", dom0_value,
			sizeof(dom0_value)) < 0)
		dom0_value[0] = '\0';
}

static bool got_dom0_value(void)
{
	return dom0_value[0] != '\0';
}

PVK_GUEST_TEST_XEN_EXPLICIT(xs_watch_dom0_write)
{
	static struct pvk_xs_watch w = { .path = "data/from-dom0", .cb = on_dom0_write };
	uint64_t t0;

	guest_events_enable();
	dom0_value[0] = '\0';
	PVK_CHECK_RC(pvk_xs_watch(&w), 0);
	pvk_xs_run_watches();	/* the registration event: node absent */
	PVK_CHECK(!got_dom0_value());
	t0 = pvk_time_now_ns();
	guest_printf("xenstore: watching data/from-dom0 (dom0: write it now)\n");
	PVK_CHECK_RC(wait_for(got_dom0_value), 0);
	guest_printf("xenstore: watch fired %llu ms later, value \"%s\"\n",
		     (unsigned long long)((pvk_time_now_ns() - t0) / 1000000), dom0_value);
	PVK_CHECK_STR_CONTAINS(dom0_value, "hello-from-dom0");
	PVK_CHECK_RC(pvk_xs_unwatch(&w), 0);
}

static bool got_sysrq(void)
{
	return guest_control_last_sysrq() != 0;
}

PVK_GUEST_TEST_XEN_EXPLICIT(control_sysrq)
{
	guest_control_enable();
	guest_printf("control: ready for sysrq (dom0: xl sysrq now)\n");
	PVK_CHECK_RC(wait_for(got_sysrq), 0);
	PVK_CHECK_EQ(guest_control_last_sysrq(), 'd');
}

static bool got_shutdown(void)
{
	return guest_control_requested() >= 0;
}

PVK_GUEST_TEST_XEN_EXPLICIT(control_shutdown_request)
{
	int req;

	guest_control_enable();
	guest_printf("control: ready for a shutdown request (dom0: xl shutdown/reboot now)\n");
	PVK_CHECK_RC(wait_for(got_shutdown), 0);
	req = guest_control_requested();
	PVK_CHECK(req == PVK_CONTROL_POWEROFF || req == PVK_CONTROL_REBOOT);
	guest_printf("control: got request %s\n",
		     req == PVK_CONTROL_POWEROFF ? "poweroff" : "reboot");
}

#endif /* CONFIG_PVK_XENBUS */

/* Pure parsing, runs by default. */
PVK_GUEST_TEST(control_parse_shutdown)
{
#ifdef CONFIG_PVK_XENBUS
	PVK_CHECK_EQ(pvk_control_parse_shutdown("poweroff"), PVK_CONTROL_POWEROFF);
	PVK_CHECK_EQ(pvk_control_parse_shutdown("halt"), PVK_CONTROL_POWEROFF);
	PVK_CHECK_EQ(pvk_control_parse_shutdown("reboot"), PVK_CONTROL_REBOOT);
	PVK_CHECK_EQ(pvk_control_parse_shutdown("suspend"), PVK_CONTROL_SUSPEND);
	PVK_CHECK_EQ(pvk_control_parse_shutdown("reboo"), -1);
	PVK_CHECK_EQ(pvk_control_parse_shutdown("rebootx"), -1);
	PVK_CHECK_EQ(pvk_control_parse_shutdown(""), -1);
	PVK_CHECK_EQ(pvk_control_shutdown_reason(PVK_CONTROL_REBOOT), PVK_SHUTDOWN_reboot);
	PVK_CHECK_EQ(pvk_control_shutdown_reason(PVK_CONTROL_SYSRQ), -1);
#else
	PVK_SKIP("CONFIG_PVK_XENBUS is off");
#endif
}
