/*
 * tests/unit/test_xenbus_keys.c - pvk_xenbus_write_keys
 * (frontends/xenbus/xenbus.c) against a xenstore played here: keys
 * written and removed (a NULL value) in one transaction, and a device
 * node deleted meanwhile (a detach) not created again by the writes.
 * The file is included with its exported names changed, so that the
 * xenbus the other tests play stays theirs.
 */
#define pvk_xenbus_register_driver	xbk_register_driver
#define pvk_xenbus_unregister_driver	xbk_unregister_driver
#define pvk_xenbus_switch_state		xbk_switch_state
#define pvk_xenbus_read_feature		xbk_read_feature
#define pvk_xenbus_write_keys		xbk_write_keys
#define pvk_xenbus_worker_enter		xbk_worker_enter
#define pvk_xenbus_worker_leave		xbk_worker_leave
#define pvk_xenbus_device_resume	xbk_device_resume
#include "frontends/xenbus/xenbus.c"

#include <stdio.h>
#include <string.h>

#include "fake_kit.h"
#include "unit.h"

#define XS_KEYS 16
static struct {
	char key[XS_KEYS][64], val[XS_KEYS][16];
	bool used[XS_KEYS];
	unsigned int writes, rms;
} xs;

static int xs_find(const char *path)
{
	for (int i = 0; i < XS_KEYS; i++)
		if (xs.used[i] && !strcmp(xs.key[i], path))
			return i;
	return -1;
}

/* For xenbus.c: a node exists if it or a child of it is stored. */
bool unit_xs_node_exists(const char *path)
{
	size_t l = strlen(path);

	for (int i = 0; i < XS_KEYS; i++)
		if (xs.used[i] && !strncmp(xs.key[i], path, l) &&
		    (xs.key[i][l] == '\0' || xs.key[i][l] == '/'))
			return true;
	return false;
}

int pvk_xs_write(pvk_xs_transaction_t t, const char *path, const char *value)
{
	int i = xs_find(path);

	(void)t;
	xs.writes++;
	for (int j = 0; i < 0 && j < XS_KEYS; j++)
		if (!xs.used[j])
			i = j;
	if (i < 0)
		return -PVK_XEN_ENOSPC;
	xs.used[i] = true;
	snprintf(xs.key[i], sizeof(xs.key[i]), "%s", path);
	snprintf(xs.val[i], sizeof(xs.val[i]), "%s", value);
	return 0;
}

int pvk_xs_rm(pvk_xs_transaction_t t, const char *path)
{
	size_t l = strlen(path);
	bool any = false;

	(void)t;
	xs.rms++;
	for (int i = 0; i < XS_KEYS; i++)
		if (xs.used[i] && !strncmp(xs.key[i], path, l) &&
		    (xs.key[i][l] == '\0' || xs.key[i][l] == '/')) {
			xs.used[i] = false;
			any = true;
		}
	return any ? 0 : -PVK_XEN_ENOENT;
}

int pvk_xs_transaction(int (*fn)(pvk_xs_transaction_t t, void *arg), void *arg,
		       unsigned int *attempts)
{
	if (attempts)
		*attempts = 1;
	return fn(1, arg);
}

/* Not reached by these tests (the scan and removal of xenbus.c). */
int pvk_xs_unwatch(struct pvk_xs_watch *w)
{
	(void)w;
	return 0;
}

/* One played CPU: the watch worker role is always ours. */
int pvk_xs_worker_enter(uint64_t timeout_ns)
{
	(void)timeout_ns;
	return 0;
}

void pvk_xs_worker_leave(void)
{
}

int pvk_xs_directory(pvk_xs_transaction_t t, const char *path, char *buf, size_t size)
{
	(void)t;
	(void)path;
	(void)buf;
	(void)size;
	return 0;
}

static struct pvk_xenbus_device kd = { .nodename = "device/vbd/9" };

UNIT_TEST(xenbus_write_keys_writes_and_removes)
{
	const struct pvk_xenbus_kv kv[] = {
		{ "ring-ref", "8" }, { "event-channel", "5" },
		{ "queue-1", NULL }, { "event-channel-tx", NULL },
	};

	memset(&xs, 0, sizeof(xs));
	pvk_xs_write(0, "device/vbd/9/state", "1");
	pvk_xs_write(0, "device/vbd/9/queue-1/ring-ref", "9");
	pvk_xs_write(0, "device/vbd/9/event-channel-tx", "6");
	CHECK_EQ(xbk_write_keys(&kd, kv, 4), 0);
	CHECK(xs_find("device/vbd/9/ring-ref") >= 0);
	CHECK(xs_find("device/vbd/9/event-channel") >= 0);
	CHECK(xs_find("device/vbd/9/queue-1/ring-ref") < 0);
	CHECK(xs_find("device/vbd/9/event-channel-tx") < 0);
	/* Removing what is not there is fine. */
	CHECK_EQ(xbk_write_keys(&kd, kv, 4), 0);
}

UNIT_TEST(xenbus_write_keys_do_not_recreate_a_deleted_node)
{
	const struct pvk_xenbus_kv kv[] = { { "ring-ref", "8" } };

	memset(&xs, 0, sizeof(xs));
	/* The toolstack deleted device/vbd/9 (a detach) before our write. */
	CHECK_EQ(xbk_write_keys(&kd, kv, 1), -PVK_XEN_ENOENT);
	CHECK_EQ(xs.writes, 0);
	CHECK(!unit_xs_node_exists("device/vbd/9"));
}
