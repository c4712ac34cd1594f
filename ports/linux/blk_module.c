/*
 * ports/linux/blk_module.c - pvk-blkfront.ko's module init (PLACEHOLDER from the
 * port skeleton: frontends/blkfront is linked in, nothing registers yet; the
 * c13-blk work replaces this file).
 */
#include <linux/module.h>
#include <linux/init.h>

static int __init pvk_blk_init(void)
{
	return 0;
}

static void __exit pvk_blk_exit(void)
{
}

module_init(pvk_blk_init);
module_exit(pvk_blk_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvkit: PV blkfront (placeholder)");
