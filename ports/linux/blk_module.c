/*
 * ports/linux/blk_module.c - pvk-blkfront.ko's start and end: the kit's
 * blkfront switches from the module parameter, the block driver (blk.c),
 * then the kit's vbd driver, which Linux binds to the vbd devices that
 * xen-blkfront left.
 */
#define pr_fmt(fmt) "pvk-blkfront: " fmt

#include <linux/cpumask.h>
#include <linux/init.h>
#include <linux/minmax.h>
#include <linux/module.h>
#include <linux/string.h>

#include <pvkit/blkfront.h>

#include "blk.h"
#include "port_linux.h"

static char *options;
module_param(options, charp, 0444);
MODULE_PARM_DESC(options,
		 "the kit's blkfront switches, name=value,... (persistent, indirect, queues, ring_order, flush, barrier, discard; see include/pvkit/blkfront.h)");

static unsigned int io_timeout;
module_param(io_timeout, uint, 0444);
MODULE_PARM_DESC(io_timeout,
		 "each new disk's request timeout in ms (0: the block layer's, 30 s); /sys/block/xvdX/queue/io_timeout changes one disk's");

/* Each name=value to pvk_blkfront_option(); one it refuses fails the load
 * (a switch silently ignored would test nothing). */
static int apply_options(void)
{
	return pvk_linux_apply_options("pvk-blkfront", options, ",", pvk_blkfront_option);
}

/*
 * Linux makes at most one hardware queue per possible CPU; rings beyond
 * that would be negotiated and granted but never used. Unless the options
 * name a count, ask for the kit's default (4) or the CPUs, the fewer.
 */
static int cap_queues(void)
{
	char n[12];

	if (pvk_linux_option_named(options, ",", "queues"))
		return 0;
	snprintf(n, sizeof(n), "%u", min(4U, nr_cpu_ids));
	return pvk_blkfront_option("queues", n);
}

static int __init pvk_blkfront_module_init(void)
{
	int rc = cap_queues();

	if (!rc)
		rc = apply_options();
	if (rc)
		return rc;
	rc = pvk_linux_blk_init(io_timeout);
	if (rc)
		return rc;
	/* Linux probes the vbd devices present now (and waits a bounded
	 * while for them to connect); the added hook creates their disks. */
	rc = pvk_blkfront_init(&pvk_linux_blk_hooks);
	if (rc) {
		pr_err("registering the vbd driver failed: %d\n", rc);
		pvk_linux_blk_exit(false);
	}
	return rc;
}

static void __exit pvk_blkfront_module_exit(void)
{
	pvk_linux_blk_exit(true);
}

module_init(pvk_blkfront_module_init);
module_exit(pvk_blkfront_module_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvkit: the kit's PV block frontend as Linux block devices (xvd*)");
