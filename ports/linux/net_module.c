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
#include <linux/slab.h>
#include <linux/string.h>
#include <xen/xen.h>

#include <pvkit/netfront.h>

#include "net.h"

static char *options = "";
module_param(options, charp, 0444);
MODULE_PARM_DESC(options, "netfront switches, name=value separated by commas: sg gso_tcpv4 gso_tcpv6 csum ipv6_csum split_evtchn trusted queues rx_buffers");

static int __init apply_options(void)
{
	char *copy, *rest, *item;
	int rc = 0;

	copy = kstrdup(options, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	rest = copy;
	while (!rc && (item = strsep(&rest, ", "))) {
		char *value = strchr(item, '=');

		if (!*item)
			continue;
		if (value)
			*value++ = '\0';
		rc = value ? pvk_netfront_option(item, value) : -EINVAL;
		if (rc)
			pr_err("pvk-netfront: option \"%s%s%s\" refused: %d\n", item,
			       value ? "=" : "", value ? value : "", rc);
	}
	kfree(copy);
	return rc;
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
