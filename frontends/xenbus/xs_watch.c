/*
 * frontends/xenbus/xs_watch.c - xenstore watches and the delivery of their
 * events outside the event handler.
 *
 * A watch is registered with a token naming it ("pvk" + the address of its
 * struct, unique while registered). xenstored sends XS_WATCH_EVENT
 * messages (path, token) whenever a node at or below the watched path
 * changes, and once right after the watch is set. The event handler only
 * copies each event into a bounded queue; pvk_xs_run_watches(), in thread
 * context, takes them out, looks the token up among the registered
 * watches (a token we never gave, or one since unwatched, is dropped) and
 * calls the callback, which may itself use xenstore. A watch with a
 * notify function instead is told in the handler and nothing is queued.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "xs_client.h"

struct queued_event {
	char path[PVK_XENSTORE_ABS_PATH_MAX];
	char token[sizeof(((struct pvk_xs_watch *)0)->token)];
};

static struct queued_event queue[PVK_XS_WATCH_QUEUE_MAX];
static unsigned int q_head, q_count;
static struct pvk_xs_watch *watches;
static struct pvk_lock watch_lock;
static bool watch_lock_ready;
/* What pvk_xs_run_watches() hands to a callback. */
static struct queued_event delivering;

static void lock_init_once(void)
{
	if (!watch_lock_ready) {
		pvk_port_lock_init(&watch_lock);
		watch_lock_ready = true;
	}
}

/* Copies a NUL-terminated string of at most size - 1 bytes; false if longer. */
static bool copy_str(char *dst, size_t size, const char *src)
{
	size_t n = __builtin_strlen(src);

	if (n >= size)
		return false;
	__builtin_memcpy(dst, src, n + 1);
	return true;
}

static struct pvk_xs_watch *find(const char *token)
{
	size_t n = __builtin_strlen(token) + 1;

	for (struct pvk_xs_watch *w = watches; w; w = w->next)
		if (n <= sizeof(w->token) && !__builtin_memcmp(w->token, token, n))
			return w;
	return NULL;
}

void pvk_xs_watch_event(const char *body, uint32_t len)
{
	const char *path = pvk_xs_string_at(body, len, PVK_XS_WATCH_PATH);
	const char *token = pvk_xs_string_at(body, len, PVK_XS_WATCH_TOKEN);
	struct pvk_xs_watch *w;
	struct queued_event *e;

	lock_init_once();
	pvk_port_lock(&watch_lock);
	w = token ? find(token) : NULL;
	if (w && w->notify) {
		w->notify(w);
		goto out;
	}
	if (!path || !token || q_count == PVK_XS_WATCH_QUEUE_MAX) {
		pvk_xs_counters.watch_dropped++;
		goto out;
	}
	e = &queue[(q_head + q_count) % PVK_XS_WATCH_QUEUE_MAX];
	if (!copy_str(e->path, sizeof(e->path), path) ||
	    !copy_str(e->token, sizeof(e->token), token)) {
		pvk_xs_counters.watch_dropped++;
		goto out;
	}
	q_count++;
out:
	pvk_port_unlock(&watch_lock);
}

static int watch_op(uint32_t type, struct pvk_xs_watch *w)
{
	const char *parts[] = { w->path, w->token };
	uint32_t lens[2];
	int rc;

	lens[0] = (uint32_t)__builtin_strlen(w->path) + 1;
	lens[1] = (uint32_t)__builtin_strlen(w->token) + 1;
	rc = pvk_xs_request(type, PVK_XBT_NIL, parts, lens, 2, NULL, 0);
	return rc < 0 ? rc : 0;
}

int pvk_xs_watch(struct pvk_xs_watch *w)
{
	int rc;

	if (!w || !w->path || !w->cb == !w->notify)
		return -PVK_XEN_EINVAL;
	lock_init_once();
	pvk_snprintf(w->token, sizeof(w->token), "pvk%lx", (unsigned long)w);
	/* Listed first, so the event that comes with the reply finds it. */
	pvk_port_lock(&watch_lock);
	w->next = watches;
	watches = w;
	pvk_port_unlock(&watch_lock);
	rc = watch_op(PVK_XS_WATCH, w);
	if (rc)
		pvk_xs_unwatch(w);	/* only unlinks: Xen has no such watch */
	return rc;
}

static bool unlink_watch(struct pvk_xs_watch *w)
{
	bool found = false;

	pvk_port_lock(&watch_lock);
	for (struct pvk_xs_watch **p = &watches; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			found = true;
			break;
		}
	}
	pvk_port_unlock(&watch_lock);
	return found;
}

int pvk_xs_unwatch(struct pvk_xs_watch *w)
{
	int rc;

	if (!w || !unlink_watch(w))
		return -PVK_XEN_ENOENT;
	rc = watch_op(PVK_XS_UNWATCH, w);
	/* ENOENT: the watch failed to register in the first place. */
	return rc == -PVK_XEN_ENOENT ? 0 : rc;
}

int pvk_xs_run_watches(void)
{
	int ran = 0;

	lock_init_once();
	for (;;) {
		struct pvk_xs_watch *w;

		pvk_port_lock(&watch_lock);
		if (!q_count) {
			pvk_port_unlock(&watch_lock);
			break;
		}
		delivering = queue[q_head];
		q_head = (q_head + 1) % PVK_XS_WATCH_QUEUE_MAX;
		q_count--;
		w = find(delivering.token);
		pvk_port_unlock(&watch_lock);
		if (!w) {
			pvk_xs_counters.watch_dropped++;
			continue;
		}
		w->cb(w, delivering.path);
		ran++;
	}
	return ran;
}

static bool queued(void *arg)
{
	(void)arg;
	return PVK_READ_ONCE(q_count) != 0;
}

int pvk_xs_wait_watches(uint64_t timeout_ns)
{
	int rc = pvk_port_wait_until(&pvk_xs_waitq, queued, NULL, timeout_ns);

	if (rc)
		return rc;
	return pvk_xs_run_watches();
}
