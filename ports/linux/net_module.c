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
#include <xen/xen.h>

#include <pvkit/netfront.h>

#include "net.h"
#include "port_linux.h"

static char *options = "";
module_param(options, charp, 0444);
MODULE_PARM_DESC(options, "netfront switches, name=value separated by commas: sg gso_tcpv4 gso_tcpv6 csum ipv6_csum split_evtchn trusted queues rx_buffers");

/* Each name=value to pvk_netfront_option(); one it refuses fails the load. */
static int __init apply_options(void)
{
	return pvk_linux_apply_options("pvk-netfront", options, ", ", pvk_netfront_option);
}

static int __init pvk_netfront_module_init(void)
{
	int rc;

	if (!xen_domain())
		return -ENODEV;
	rc = apply_options();
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
