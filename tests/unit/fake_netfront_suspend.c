/*
 * tests/unit/fake_netfront_suspend.c - what netfront_suspend.c calls of
 * the kit's suspend/ and xenbus.c, for the unit build (which has neither):
 * registration accepted, a resume's device move refused. Weak, so a test
 * file that needs its own wins.
 */
#include <pvkit/suspend.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>

__attribute__((weak)) int pvk_suspend_register(struct pvk_suspend_part *part)
{
	return part ? 0 : -PVK_XEN_EINVAL;
}

__attribute__((weak)) int pvk_xenbus_device_resume(struct pvk_xenbus_device *dev)
{
	(void)dev;
	return -PVK_XEN_ENOSYS;
}

