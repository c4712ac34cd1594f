/*
 * frontends/xenbus/xenbus_feature.c - how a frontend reads its backend's
 * keys (pvk_xenbus_read_otherend_ulong): a number under the backend's
 * directory, an absent key meaning the default. Alone in its file so each
 * host's xenbus (the kit's own, the Linux port's) uses the same rule.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

int pvk_xenbus_read_otherend_ulong(const struct pvk_xenbus_device *dev, const char *name,
				   unsigned long def, unsigned long *out)
{
	char path[PVK_XENBUS_PATH_MAX + 64];
	int n = pvk_snprintf(path, sizeof(path), "%s/%s", dev->otherend, name);
	int rc;

	if (n < 0 || (size_t)n >= sizeof(path))
		return -PVK_XEN_ENAMETOOLONG;
	rc = pvk_xs_read_ulong(PVK_XBT_NIL, path, out);
	if (rc == -PVK_XEN_ENOENT) {
		*out = def;
		return 0;
	}
	return rc;
}
