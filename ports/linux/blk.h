/*
 * ports/linux/blk.h - what pvk-blkfront's module init (blk_module.c) asks
 * of its block driver (blk.c).
 */
#ifndef PVK_LINUX_BLK_H
#define PVK_LINUX_BLK_H

#include <linux/types.h>

#include <pvkit/blkfront.h>

/* The kit's hooks: they create, resize and delete the gendisks. */
extern const struct pvk_blkfront_hooks pvk_linux_blk_hooks;

/* Before pvk_blkfront_init(): the block major and the driver's work queue.
 * io_timeout_ms: each disk's request timeout from its creation on (its
 * partition scan included); 0 keeps the block layer's. */
int pvk_linux_blk_init(unsigned int io_timeout_ms);

/*
 * Module exit, after a successful pvk_linux_blk_init(): every gendisk
 * deleted, the kit's vbd driver unregistered if it was registered (the kit
 * closes its devices), every kit device released (a refusal is logged
 * loudly: its grants stay), then the major and the work queue go.
 */
void pvk_linux_blk_exit(bool driver_registered);

#endif /* PVK_LINUX_BLK_H */
