/*
 * tests/xen/dom0-tools/hostile-back/hb_xs.c - the device's xenstore areas,
 * made as a toolstack makes them (libxl's layout for vbd and vif), read and
 * written by the backends, and the frontend's state waited for, bounded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hb.h"

static const char *area_path(const struct hb_dev *d, enum hb_area a)
{
	return a == HB_FE ? d->fe : d->be;
}

static bool put(struct hb_dev *d, xs_transaction_t t, const char *dir, const char *node,
		const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, node);
	if (xs_write(d->xs, t, path, val, (unsigned int)strlen(val)))
		return true;
	hb_log(d, "xenstore write %s failed: %s", path, strerror(errno));
	return false;
}

/* One attempt at the whole layout in transaction t. */
static bool layout(struct hb_dev *d, xs_transaction_t t, const struct hb_node *fe_extra,
		   const struct hb_node *be_extra)
{
	struct xs_permissions fe_perm[2] = {
		{ .id = d->domid, .perms = XS_PERM_NONE },	/* owner: the guest */
		{ .id = 0, .perms = XS_PERM_READ },
	};
	struct xs_permissions be_perm[2] = {
		{ .id = 0, .perms = XS_PERM_NONE },		/* owner: dom0 */
		{ .id = d->domid, .perms = XS_PERM_READ },
	};
	char num[16];
	bool vbd = !strcmp(d->type, "vbd");
	bool ok;

	xs_rm(d->xs, t, d->fe);
	xs_rm(d->xs, t, d->be);
	if (!xs_mkdir(d->xs, t, d->fe) || !xs_set_permissions(d->xs, t, d->fe, fe_perm, 2) ||
	    !xs_mkdir(d->xs, t, d->be) || !xs_set_permissions(d->xs, t, d->be, be_perm, 2)) {
		hb_log(d, "xenstore mkdir/permissions of the device failed: %s", strerror(errno));
		return false;
	}
	snprintf(num, sizeof(num), "%u", d->devid);
	ok = put(d, t, d->be, "frontend", d->fe) && put(d, t, d->be, "online", "1") &&
	     put(d, t, d->be, "state", "1");
	snprintf(num, sizeof(num), "%u", d->domid);
	ok = ok && put(d, t, d->be, "frontend-id", num);
	snprintf(num, sizeof(num), "%u", d->devid);
	if (vbd)
		ok = ok && put(d, t, d->be, "mode", "w") && put(d, t, d->be, "device-type", "disk") &&
		     put(d, t, d->be, "removable", "0") && put(d, t, d->be, "bootable", "0");
	else
		ok = ok && put(d, t, d->be, "handle", num);
	ok = ok && put(d, t, d->fe, "backend", d->be) && put(d, t, d->fe, "backend-id", "0") &&
	     put(d, t, d->fe, vbd ? "virtual-device" : "handle", num);
	if (vbd)
		ok = ok && put(d, t, d->fe, "device-type", "disk");
	for (; ok && be_extra && be_extra->name; be_extra++)
		ok = put(d, t, d->be, be_extra->name, be_extra->value);
	for (; ok && fe_extra && fe_extra->name; fe_extra++)
		ok = put(d, t, d->fe, fe_extra->name, fe_extra->value);
	/* The frontend's state last: the guest acts on the device once it reads it. */
	return ok && put(d, t, d->fe, "state", "1");
}

int hb_create_device(struct hb_dev *d, const struct hb_node *fe_extra,
		     const struct hb_node *be_extra)
{
	for (int tries = 0; tries < 10; tries++) {
		xs_transaction_t t = xs_transaction_start(d->xs);

		if (t == XBT_NULL) {
			hb_log(d, "xenstore transaction start failed: %s", strerror(errno));
			return -1;
		}
		if (!layout(d, t, fe_extra, be_extra)) {
			xs_transaction_end(d->xs, t, true);
			return -1;
		}
		if (xs_transaction_end(d->xs, t, false)) {
			hb_log(d, "device created: %s <-> %s", d->fe, d->be);
			return 0;
		}
		if (errno != EAGAIN) {
			hb_log(d, "xenstore transaction end failed: %s", strerror(errno));
			return -1;
		}
	}
	hb_log(d, "xenstore transaction kept conflicting: device not created");
	return -1;
}

void hb_remove_device(struct hb_dev *d)
{
	bool fe = xs_rm(d->xs, XBT_NULL, d->fe), be = xs_rm(d->xs, XBT_NULL, d->be);

	hb_log(d, "device removed (frontend area %s, backend area %s)",
	       fe ? "removed" : "already gone", be ? "removed" : "already gone");
}

int hb_write(struct hb_dev *d, enum hb_area a, const char *node, const char *fmt, ...)
{
	char val[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	return put(d, XBT_NULL, area_path(d, a), node, val) ? 0 : -1;
}

void hb_tell_guest_v(struct hb_dev *d, const char *node, const char *fmt, va_list ap)
{
	char path[128], val[256];

	vsnprintf(val, sizeof(val), fmt, ap);
	snprintf(path, sizeof(path), "/local/domain/%u/data/%s", d->domid, node);
	if (!xs_write(d->xs, XBT_NULL, path, val, (unsigned int)strlen(val)))
		hb_log(d, "cannot write %s", path);
	else
		hb_log(d, "told the guest %s \"%s\"", path, val);
}

int hb_rm(struct hb_dev *d, enum hb_area a, const char *node)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", area_path(d, a), node);
	return xs_rm(d->xs, XBT_NULL, path) ? 0 : -1;
}

char *hb_read(struct hb_dev *d, enum hb_area a, const char *node)
{
	char path[256];
	unsigned int len;

	snprintf(path, sizeof(path), "%s/%s", area_path(d, a), node);
	return xs_read(d->xs, XBT_NULL, path, &len);
}

int hb_read_ulong(struct hb_dev *d, enum hb_area a, const char *node, unsigned long *out)
{
	char *v = hb_read(d, a, node), *end;
	int rc = -1;

	if (v && *v) {
		errno = 0;
		*out = strtoul(v, &end, 10);
		rc = *end || errno ? -1 : 0;
	}
	if (rc && v)
		hb_log(d, "%s/%s is \"%s\": not a number", area_path(d, a), node, v);
	free(v);
	return rc;
}

int hb_set_state(struct hb_dev *d, enum xenbus_state s)
{
	int rc = hb_write(d, HB_BE, "state", "%d", (int)s);

	hb_log(d, "backend state -> %s%s", hb_state_name(s), rc ? " (write failed)" : "");
	return rc;
}

int hb_fe_state(struct hb_dev *d)
{
	unsigned long v;

	if (hb_read_ulong(d, HB_FE, "state", &v) || v > XenbusStateReconfigured)
		return -1;
	return (int)v;
}

const char *hb_state_name(int s)
{
	static const char *const names[] = {
		"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
		"Closing", "Closed", "Reconfiguring", "Reconfigured",
	};

	return s >= 0 && s <= XenbusStateReconfigured ? names[s] : "(unreadable)";
}

/*
 * Polled, not watched: libxenstore delivers watches through a reader thread
 * it starts with a 16 KiB stack when it cannot ask glibc for the minimum
 * (dlsym, which a static binary lacks), and in this static tool that
 * connection was seen to drop right after the first xs_watch (every later
 * request failing with EBADF). A read every POLL_MS is as bounded.
 */
#define POLL_MS	20

int hb_wait_fe_state(struct hb_dev *d, unsigned int mask, unsigned int ms)
{
	uint64_t end = hb_now_ms() + hb_left_ms(d, ms);
	int s, last = -2;

	for (;;) {
		s = hb_fe_state(d);
		if (s != last)
			hb_log(d, "frontend state %s", hb_state_name(s));
		last = s;
		if (s >= 0 && (mask & (1u << s)))
			return s;
		if (hb_now_ms() >= end) {
			hb_log(d, "frontend state still %s after the wait: gave up", hb_state_name(s));
			return -1;
		}
		hb_sleep_ms(d, POLL_MS);
	}
}
