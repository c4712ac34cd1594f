/*
 * frontends/xenbus/xenbus_feature.c - how a frontend reads its backend's
 * keys (pvk_xenbus_read_otherend_ulong): a number under the backend's
 * directory, an absent key meaning the default. Alone in its file so each
 * host's xenbus (the kit's own, the Linux port's) uses the same rule.
 *
 * The backend is not trusted: a value that is not a plain decimal number
 * in range ("-1", "512abc", "0x200", past 2^64) is refused here, and the
 * refusal is logged once, naming the key and the text parsed (escaped:
 * pvk_xenbus_printable), so a driver
 * that then gives up the device needs to say no more than that.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

int pvk_xenbus_read_otherend_ulong(const struct pvk_xenbus_device *dev, const char *name,
				   unsigned long def, unsigned long *out)
{
	char path[PVK_XENBUS_PATH_MAX + 64];
	char text[24];	/* as pvk_xs_read_ulong(): longer is not a number */
	int n = pvk_snprintf(path, sizeof(path), "%s/%s", dev->otherend, name);
	int rc;

	if (n < 0 || (size_t)n >= sizeof(path))
		return -PVK_XEN_ENAMETOOLONG;
	/* Read once: the text parsed is the text the message shows. */
	rc = pvk_xs_read(PVK_XBT_NIL, path, text, sizeof(text));
	if (rc >= 0)
		rc = pvk_xs_parse_ulong(text, out);
	if (rc == -PVK_XEN_ENOENT) {
		*out = def;
		return 0;
	}
	if (rc == -PVK_XEN_EINVAL || rc == -PVK_XEN_ERANGE) {
		char shown[PVK_XENBUS_PRINTABLE_SIZE(sizeof(text))];

		pvk_err("xenbus: %s: backend's %s is \"%s\": %s", dev->nodename, name,
			pvk_xenbus_printable(shown, sizeof(shown), text),
			rc == -PVK_XEN_ERANGE ? "out of range" : "not a decimal number");
	} else if (rc == -PVK_XEN_E2BIG) {
		pvk_err("xenbus: %s: backend's %s is too long to be a number", dev->nodename, name);
	} else if (rc) {
		pvk_err("xenbus: %s: backend's %s unreadable: %d", dev->nodename, name, rc);
	}
	return rc;
}
