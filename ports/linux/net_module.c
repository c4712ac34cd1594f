/*
 * ports/linux/net_module.c - pvk-netfront.ko's module init (PLACEHOLDER from the
 * port skeleton: frontends/netfront is linked in, nothing registers yet; the
 * c13-net work replaces this file).
 */
#include <linux/module.h>
#include <linux/init.h>

static int __init pvk_net_init(void)
{
	return 0;
}

static void __exit pvk_net_exit(void)
{
}

module_init(pvk_net_init);
module_exit(pvk_net_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvkit: PV netfront (placeholder)");
