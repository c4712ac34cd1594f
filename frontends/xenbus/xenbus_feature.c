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
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

/* The text read (rc: the read's result) as the key's number, def if it
 * was absent; a refusal logged once. */
static int parse_otherend(const struct pvk_xenbus_device *dev, const char *name, int rc,
			  const char *text, unsigned long def, unsigned long *out)
{
	if (rc >= 0)
		rc = pvk_xs_parse_ulong(text, out);
	if (rc == -PVK_XEN_ENOENT) {
		*out = def;
		return 0;
	}
	if (rc == -PVK_XEN_EINVAL || rc == -PVK_XEN_ERANGE) {
		char shown[PVK_XENBUS_PRINTABLE_SIZE(PVK_XENBUS_NUMBER_TEXT)];

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

int pvk_xenbus_read_otherend_ulong(const struct pvk_xenbus_device *dev, const char *name,
				   unsigned long def, unsigned long *out)
{
	char path[PVK_XENBUS_PATH_MAX + 64];
	char text[PVK_XENBUS_NUMBER_TEXT];	/* as pvk_xs_read_ulong(): longer is not a number */
	int n = pvk_snprintf(path, sizeof(path), "%s/%s", dev->otherend, name);

	if (n < 0 || (size_t)n >= sizeof(path))
		return -PVK_XEN_ENAMETOOLONG;
	/* Read once: the text parsed is the text the message shows. */
	return parse_otherend(dev, name, pvk_xs_read(PVK_XBT_NIL, path, text, sizeof(text)),
			      text, def, out);
}

#ifndef PVK_HOST_LINUX
/* The kit's xenstore client sends them together (pvk_xs_read_many). */
int pvk_xenbus_read_otherend_many(const struct pvk_xenbus_device *dev,
				  const struct pvk_xenbus_feature *f, unsigned int n,
				  unsigned int *bad)
{
	struct {
		char path[PVK_XENBUS_PATH_MAX + 64];
		char text[PVK_XENBUS_NUMBER_TEXT];
	} *b;
	struct pvk_xs_read_req *r;
	int rc = 0;

	if (!n)
		return 0;
	b = pvk_port_malloc(n * (sizeof(*b) + sizeof(*r)));
	if (!b)
		return -PVK_XEN_ENOMEM;
	r = (struct pvk_xs_read_req *)(b + n);
	for (unsigned int i = 0; i < n && !rc; i++) {
		int len = pvk_snprintf(b[i].path, sizeof(b[i].path), "%s/%s", dev->otherend,
				       f[i].name);

		if (len < 0 || (size_t)len >= sizeof(b[i].path))
			rc = -PVK_XEN_ENAMETOOLONG;
		r[i] = (struct pvk_xs_read_req){ .path = b[i].path, .buf = b[i].text,
						 .size = sizeof(b[i].text) };
	}
	if (!rc)
		pvk_xs_read_many(PVK_XBT_NIL, r, n);
	/* In order, each text read once; the first refusal ends it, as
	 * one read after another would. */
	for (unsigned int i = 0; i < n && !rc; i++) {
		rc = parse_otherend(dev, f[i].name, r[i].rc, b[i].text, f[i].def, f[i].out);
		if (rc && bad)
			*bad = i;
	}
	pvk_port_free(b);
	return rc;
}
#endif
