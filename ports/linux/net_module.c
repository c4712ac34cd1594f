/*
 * ports/linux/net_module.c - pvk-netfront.ko's start and end: the kit's
 * switches from the module's "options" parameter, then the vif driver
 * (net.c); at unload every ethN, kit device and the driver go.
 *
 *   modprobe pvk-netfront options=queues=1,sg=0
 *
 * takes the names and values of pvk_netfront_option() (netfront.h); one it
 * refuses fails the load, so a switch is never silently ignored.
 */
#include <linux/init.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/string.h>
#include <xen/xen.h>

#include <pvkit/netfront.h>

#include "net.h"
#include "port_linux.h"

static char *options = "";
module_param(options, charp, 0444);
MODULE_PARM_DESC(options, "netfront switches, name=value separated by commas: sg gso_tcpv4 gso_tcpv6 csum ipv6_csum split_evtchn trusted queues rx_buffers");

/* The kit's default number of queues (netfront.h: queues=). */
#define LNET_KIT_DEFAULT_QUEUES	2U

/* Whether the options named a number of queues. */
static bool queues_given __initdata;

static int __init apply_one(const char *name, const char *value)
{
	if (!strcmp(name, "queues"))
		queues_given = true;
	return pvk_netfront_option(name, value);
}

/* Each name=value to pvk_netfront_option(); one it refuses fails the load. */
static int __init apply_options(void)
{
	return pvk_linux_apply_options("pvk-netfront", options, ", ", apply_one);
}

/*
 * One queue per CPU at most, as Linux's own netfront: on fewer CPUs than
 * the kit's default, extra queues only add rings, events and NAPI
 * contexts on the same CPU (and a flow the backend moves between them
 * arrives out of order). Unless the options name a count.
 */
static int __init cap_queues(void)
{
	char n[12];

	if (queues_given || nr_cpu_ids >= LNET_KIT_DEFAULT_QUEUES)
		return 0;
	snprintf(n, sizeof(n), "%u", nr_cpu_ids);
	return pvk_netfront_option("queues", n);
}

static int __init pvk_netfront_module_init(void)
{
	int rc;

	if (!xen_domain())
		return -ENODEV;
	rc = apply_options();
	if (!rc)
		rc = cap_queues();
	if (rc)
		return rc;
	return pvk_lnet_init();
}

static void __exit pvk_netfront_module_exit(void)
{
	pvk_lnet_exit();
}

module_init(pvk_netfront_module_init);
module_exit(pvk_netfront_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvkit: PV network frontend (the kit's netfront as ethN)");
