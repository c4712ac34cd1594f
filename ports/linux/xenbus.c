/*
 * ports/linux/xenbus.c - pvkit/xenbus.h and the pvk_xs_* calls the
 * frontends use, on Linux's xenbus (SKELETON: not implemented yet, every
 * call fails with -ENOSYS).
 */
#include <linux/kernel.h>

#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>
#include <pvkit/xen/errno.h>

#include "port_linux.h"

int pvk_xenbus_register_driver(struct pvk_xenbus_driver *drv)
{
	return -PVK_XEN_ENOSYS;
}

int pvk_xenbus_unregister_driver(struct pvk_xenbus_driver *drv)
{
	return 0;
}

int pvk_xenbus_switch_state(struct pvk_xenbus_device *dev, enum pvk_xenbus_state state)
{
	return -PVK_XEN_ENOSYS;
}

int pvk_xenbus_read_feature(struct pvk_xenbus_device *dev, const char *name,
			    unsigned long def, unsigned long *out)
{
	return -PVK_XEN_ENOSYS;
}

int pvk_xenbus_write_keys(struct pvk_xenbus_device *dev,
			  const struct pvk_xenbus_kv *kv, unsigned int n)
{
	return -PVK_XEN_ENOSYS;
}

int pvk_xs_read(pvk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
	return -PVK_XEN_ENOSYS;
}

int pvk_xs_read_ulong(pvk_xs_transaction_t t, const char *path, unsigned long *out)
{
	return -PVK_XEN_ENOSYS;
}

int pvk_xs_wait_watches(uint64_t timeout_ns)
{
	return -PVK_XEN_ETIMEDOUT;
}

int pvk_linux_xenbus_init(void)
{
	return 0;
}

void pvk_linux_xenbus_exit(void)
{
}
