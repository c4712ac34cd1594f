/*
 * frontends/xenbus/xs_watch.c - xenstore watches and the delivery of their
 * events outside the event handler.
 *
 * A watch is registered with a token naming it: "pvk" and a 64-bit number
 * taken from a counter at each registration, so a token is never used
 * twice in the life of the guest and an event that was on its way for an
 * earlier watch (even one whose struct now sits at the same address) can
 * never match a later one. xenstored sends XS_WATCH_EVENT messages (path,
 * token) whenever a node at or below the watched path changes, and once
 * right after the watch is set.
 *
 * The event handler only copies each event (the watch's number and the
 * path) into a bounded byte queue; pvk_xs_run_watches(), in thread
 * context, takes them out one at a time, looks the number up among the
 * registered watches (a number since unwatched is dropped and counted) and
 * calls the callback with its own copy of the path, which stays valid
 * whatever the callback does: it may use xenstore, run watches itself
 * (nested), or unwatch and free its watch; nothing of the watch is
 * touched after its callback returns. When the queue is full the event is
 * not silently lost: it is counted (pvk_xs_stats.watch_overflows and the
 * watch's `missed`), reported once per episode, and the watch owes a
 * callback with its own path, delivered after the queued events: "you may
 * have missed events below here, read again". A watch with a notify
 * function instead is told in the handler and nothing is queued.
 *
 * Locking: watch_lock guards the list, the queue, the counters and each
 * watch's `running` count; the handler takes it inside xs_lock.
 *
 * Unwatch and running callbacks: a delivery counts itself in w->running
 * (under the lock, before the lock is dropped) and records itself on a
 * chain of the deliveries in progress (`delivering`, innermost first;
 * nested delivery from inside a callback pushes another record). After
 * the callback returns, the count is dropped under the lock, unless the
 * callback unwatched w itself: then its record says so and w is not
 * touched again (the callback may have freed it). pvk_xs_unwatch(w)
 * unlinks w, so no new delivery can start, then:
 *  - from inside a callback of w (w is on the chain, however deep):
 *    marks those records and returns at once; waiting would wait for
 *    ourselves;
 *  - otherwise waits, bounded by PVK_XS_TIMEOUT_NS, until w->running is
 *    0: a callback of w running elsewhere (another CPU once the kit is
 *    SMP) has returned, so the caller may free w. If the wait times out,
 *    -PVK_XEN_EBUSY says w is still in use and must not be freed.
 * Any other error is xenstored's answer to UNWATCH (or its timeout): w is
 * unlinked all the same and may be freed; events xenstored may still send
 * for its token are dropped as unknown.
 *
 * Several CPUs: callbacks are delivered by one CPU at a time, the watch
 * worker (`worker`, under watch_lock). pvk_xs_run_watches() on a CPU
 * takes the role when it is free or already its own (nested delivery
 * from a callback's wait), and returns 0 at once when another CPU holds
 * it: that CPU delivers what is queued, since it gives the role back only
 * under the lock that saw the queue empty. So callbacks never run side
 * by side (w->rereading, a driver's state and the chain of deliveries
 * are the worker's alone), and unwatch looks for its own callback on the
 * chain only when its CPU is the worker. xenbus.c takes the role around
 * its device-list work (pvk_xs_worker_enter()), so a driver registered
 * on one CPU and a hotplug scan in a callback on another do not meet. A
 * host's thread must not move to another CPU inside a watch callback.
 * The role is keyed by CPU, not thread: two threads of one CPU would
 * share it (pvkit/xenbus.h says what a host with threads does).
 */
#include <pvkit/log.h>
#include <pvkit/smp.h>
#include <pvkit/xenbus.h>
#include <pvkit/xen/errno.h>

#include "xs_client.h"

struct queued_hdr {
	uint64_t id;		/* the watch's number */
	uint32_t len;		/* path bytes that follow, no NUL */
};

static unsigned char queue[PVK_XS_WATCH_QUEUE_BYTES];
static uint32_t q_head, q_used;
static struct pvk_xs_watch *watches;
static uint64_t next_watch_id = 1;
static struct pvk_lock watch_lock;
static bool watch_lock_ready;
static uint64_t delivered;	/* callbacks run, for pvk_xs_wait_watches() */

/* One delivery in progress (on run_watches' stack). */
struct delivery {
	struct pvk_xs_watch *w;
	bool unwatched;			/* the callback unwatched w: hands off */
	struct delivery *outer;
};
static struct delivery *delivering;
static struct pvk_wait unwatch_waitq;

#define NO_WORKER	(~0U)
static unsigned int worker = NO_WORKER;	/* CPU delivering callbacks */
static unsigned int worker_depth;	/* its nested deliveries and claims */
static struct pvk_wait worker_waitq;

/* watch_lock held: takes the worker role if free or ours. */
static bool worker_enter_locked(void)
{
	unsigned int self = pvk_port_cpu_id();

	if (worker != NO_WORKER && worker != self)
		return false;
	worker = self;
	worker_depth++;
	return true;
}

/* watch_lock held; the caller wakes the waiters after unlocking. */
static void worker_leave_locked(void)
{
	if (!--worker_depth)
		worker = NO_WORKER;
}

static void worker_woken(void)
{
	pvk_port_wake(&worker_waitq);
	/* pvk_xs_wait_watches() on other CPUs waits for the role too. */
	pvk_port_wake(&pvk_xs_waitq);
}

static void lock_init_once(void)
{
	if (!watch_lock_ready) {
		pvk_port_lock_init(&watch_lock);
		pvk_port_wait_init(&unwatch_waitq);
		pvk_port_wait_init(&worker_waitq);
		watch_lock_ready = true;
	}
}

static void q_put(const void *src, uint32_t len)
{
	const unsigned char *s = src;

	for (uint32_t i = 0; i < len; i++)
		queue[(q_head + q_used + i) % PVK_XS_WATCH_QUEUE_BYTES] = s[i];
	q_used += len;
}

/* dst NULL: skip. */
static void q_get(void *dst, uint32_t len)
{
	unsigned char *d = dst;

	for (uint32_t i = 0; d && i < len; i++)
		d[i] = queue[(q_head + i) % PVK_XS_WATCH_QUEUE_BYTES];
	q_head = (q_head + len) % PVK_XS_WATCH_QUEUE_BYTES;
	q_used -= len;
}

/* "pvk" + lowercase hex of a nonzero number: the number, else 0. */
static uint64_t token_id(const char *token)
{
	uint64_t id = 0;
	int digits = 0;

	if (token[0] != 'p' || token[1] != 'v' || token[2] != 'k')
		return 0;
	for (const char *p = token + 3; *p; p++, digits++) {
		unsigned int d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned int)(*p - '0');
		else if (*p >= 'a' && *p <= 'f')
			d = (unsigned int)(*p - 'a' + 10);
		else
			return 0;
		if (digits == 16)
			return 0;
		id = id << 4 | d;
	}
	return id;
}

static struct pvk_xs_watch *find(uint64_t id)
{
	if (!id)
		return NULL;
	for (struct pvk_xs_watch *w = watches; w; w = w->next)
		if (w->id == id)
			return w;
	return NULL;
}

/* Queue full: the event is lost, the watch owes a re-read callback. */
static void overflow(struct pvk_xs_watch *w, const char *path)
{
	pvk_xs_counters.watch_overflows++;
	w->missed++;
	if (!w->owe_reread)
		pvk_warn("xenstore: watch queue full (%u bytes): event %s for watch %s lost; its callback will be told to read again",
			 (unsigned int)PVK_XS_WATCH_QUEUE_BYTES, path, w->path);
	w->owe_reread = true;
}

/* Background work (see the top): true asks the host to try again later. */
static bool watch_work_fn(struct pvk_work *work)
{
	bool held;

	(void)work;
	lock_init_once();
	pvk_port_lock(&watch_lock);
	held = worker != NO_WORKER;
	pvk_port_unlock(&watch_lock);
	if (held)
		return true;
	pvk_xs_run_watches();
	return false;
}

static struct pvk_work watch_work = { .fn = watch_work_fn };

void pvk_xs_watch_event(const char *body, uint32_t len)
{
	const char *path = pvk_xs_string_at(body, len, PVK_XS_WATCH_PATH);
	const char *token = pvk_xs_string_at(body, len, PVK_XS_WATCH_TOKEN);
	struct queued_hdr h;
	struct pvk_xs_watch *w;
	bool to_deliver = false;

	lock_init_once();
	pvk_port_lock(&watch_lock);
	w = token ? find(token_id(token)) : NULL;
	if (!path || !w) {
		/* Malformed, or for a watch since removed. */
		pvk_xs_counters.watch_dropped++;
		goto out;
	}
	if (w->notify) {
		w->notify(w);
		goto out;
	}
	h.id = w->id;
	h.len = (uint32_t)__builtin_strlen(path);
	to_deliver = true;
	if (sizeof(h) + h.len > PVK_XS_WATCH_QUEUE_BYTES - q_used) {
		overflow(w, path);
		goto out;
	}
	q_put(&h, sizeof(h));
	q_put(path, h.len);
out:
	pvk_port_unlock(&watch_lock);
	if (to_deliver)
		pvk_port_schedule_work(&watch_work);
	pvk_port_wake(&pvk_xs_waitq);
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

/* Takes w off the list (watch_lock held); false when it was not on it. */
static bool unlink_locked(struct pvk_xs_watch *w)
{
	for (struct pvk_xs_watch **p = &watches; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			return true;
		}
	}
	return false;
}

static bool not_rewatching(void *arg)
{
	struct pvk_xs_watch *w = arg;
	bool idle;

	pvk_port_lock(&watch_lock);
	idle = !w->rewatching;
	pvk_port_unlock(&watch_lock);
	return idle;
}

/*
 * watch_lock held, and held again on return: waits (bounded) until no
 * rewatch is sending w's WATCH. Non-zero when one still is. (A host
 * whose threads share a CPU; on the reference port the rewatch runs
 * beneath the caller's wait and is done when that wait returns.)
 */
static int wait_rewatch_locked(struct pvk_xs_watch *w)
{
	int rc;

	if (!w->rewatching)
		return 0;
	pvk_port_unlock(&watch_lock);
	rc = pvk_port_wait_until(&unwatch_waitq, not_rewatching, w, PVK_XS_TIMEOUT_NS);
	pvk_port_lock(&watch_lock);
	return rc && w->rewatching ? rc : 0;
}

int pvk_xs_watch(struct pvk_xs_watch *w)
{
	uint64_t resumes;
	int rc;

	if (!w || !w->path || !w->cb == !w->notify)
		return -PVK_XEN_EINVAL;
	lock_init_once();
	/* Listed first, so the event that comes with the reply finds it. */
	pvk_port_lock(&watch_lock);
	for (struct pvk_xs_watch *o = watches; o; o = o->next) {
		if (o == w) {
			pvk_port_unlock(&watch_lock);
			return -PVK_XEN_EEXIST;
		}
	}
	w->id = next_watch_id++;
	w->missed = 0;
	w->owe_reread = false;
	w->running = 0;
	w->registering = true;
	w->rewatching = false;
	w->rewatch_rc = 1;
	pvk_snprintf(w->token, sizeof(w->token), "pvk%llx", (unsigned long long)w->id);
	w->next = watches;
	watches = w;
	resumes = pvk_xs_resumes();
	pvk_port_unlock(&watch_lock);
	/* A resume in a new domain during this call re-registers every
	 * listed watch, this one too (pvk_xs_rewatch_all()): our request
	 * then reaches the new xenstored after it (EEXIST for our token,
	 * unique to this registration: registered), or was taken by the old
	 * one and failed (EIO), or was answered by the old one (the rewatch
	 * sent it again). What the new xenstored has is then the rewatch's
	 * result for w (review s12-revfix SF-2): an error of ours after a
	 * rewatch that registered w is success (unlinking would leave
	 * xenstored a watch nobody lists), and our EIO after a rewatch that
	 * failed is a failure; our EIO before one reached w sends w once
	 * more, and that reply is the call's. */
	rc = pvk_xs_watch_reply_ok(watch_op(PVK_XS_WATCH, w));
	if (rc == -PVK_XEN_EIO && pvk_xs_resumes() != resumes) {
		bool again;

		/* Taken by the old xenstored, failed by the resume; the
		 * rewatch runs after the parts' resume (suspend.c), which
		 * may make this thread wait long enough to get here first
		 * (review s13-int S1). The new xenstored is sent the WATCH
		 * once more, unless the rewatch has it or had it already
		 * (then its result is ours, below); EEXIST is success. */
		pvk_port_lock(&watch_lock);
		again = !w->rewatching && w->rewatch_rc == 1;
		pvk_port_unlock(&watch_lock);
		if (again)
			rc = pvk_xs_watch_reply_ok(watch_op(PVK_XS_WATCH, w));
	}
	pvk_port_lock(&watch_lock);
	if (rc && pvk_xs_resumes() != resumes && wait_rewatch_locked(w)) {
		pvk_port_unlock(&watch_lock);
		pvk_warn("xenstore: watch on %s: a resume's rewatch of it still under way after %llu ms: left listed",
			 w->path, (unsigned long long)(PVK_XS_TIMEOUT_NS / 1000000));
		pvk_port_lock(&watch_lock);
		rc = 0;	/* the rewatch still uses w: it must stay */
	} else if (rc && pvk_xs_resumes() != resumes && w->rewatch_rc != 1) {
		if (!w->rewatch_rc)
			rc = 0;
		else if (rc == -PVK_XEN_EIO)
			rc = w->rewatch_rc;
	}
	w->registering = false;
	if (rc)
		unlink_locked(w);	/* xenstored has no such watch */
	pvk_port_unlock(&watch_lock);
	return rc;
}

/*
 * After a resume in a new domain: xenstored forgot every watch of ours.
 * Each listed one is registered again with its token, so events keep
 * finding it, and fires once as at registration: its callback re-reads
 * (the balloon its target, xenbus its devices). Thread context; the list
 * is walked one entry per lock hold, as a request may not be made under
 * the lock; the entry being sent is marked (rewatching), so a caller
 * that would unlink it waits for its WATCH's reply first (on a host whose
 * threads share a CPU the list can change meanwhile). A watch whose own registration is still under
 * way is sent too (review s12 S1): its reply may have come from the old
 * xenstored already, and only this call reaches the new one then; when
 * the registration's own request goes to the new xenstored as well, the
 * second of the two gets EEXIST, which is success (the token is this
 * registration's alone); the result is recorded for that registration
 * (rewatch_rc), whose call then reports it when its own request failed
 * (pvk_xs_watch()). Returns how many failed (each logged).
 */
int pvk_xs_rewatch_all(void)
{
	int failed = 0;

	lock_init_once();
	for (unsigned int i = 0;; i++) {
		struct pvk_xs_watch *w;
		unsigned int n = 0;
		int rc;

		pvk_port_lock(&watch_lock);
		for (w = watches; w && n < i; w = w->next)
			n++;
		/* Marked under the lock (review s12-revfix SF-2): a caller
		 * that would unlink w (its registration failing, an unwatch)
		 * waits for this WATCH first, so w is neither freed under us
		 * nor left registered in xenstored and unlisted. */
		if (w)
			w->rewatching = true;
		pvk_port_unlock(&watch_lock);
		if (!w)
			break;
		/* EEXIST: its held registration went first. */
		rc = pvk_xs_watch_reply_ok(watch_op(PVK_XS_WATCH, w));
		pvk_port_lock(&watch_lock);
		if (w->registering)
			w->rewatch_rc = rc;
		w->rewatching = false;
		pvk_port_unlock(&watch_lock);
		pvk_port_wake(&unwatch_waitq);
		if (rc) {
			char shown[PVK_XENBUS_PRINTABLE_SIZE(64)];

			pvk_err("xenstore: resume: watch on %s not registered again: %d",
				pvk_xenbus_printable(shown, sizeof(shown), w->path), rc);
			failed++;
		}
	}
	return failed;
}

static bool not_running(void *arg)
{
	struct pvk_xs_watch *w = arg;
	bool idle;

	pvk_port_lock(&watch_lock);
	idle = w->running == 0;
	pvk_port_unlock(&watch_lock);
	return idle;
}

/*
 * True when the caller runs inside a callback of w; marks those
 * deliveries so they leave w alone after the callback returns (their
 * counts are dropped here instead).
 */
static bool inside_own_callback(struct pvk_xs_watch *w)
{
	bool inside = false;

	pvk_port_lock(&watch_lock);
	for (struct delivery *d = worker == pvk_port_cpu_id() ? delivering : NULL; d;
	     d = d->outer) {
		if (d->w == w && !d->unwatched) {
			d->unwatched = true;
			w->running--;
			inside = true;
		}
	}
	pvk_port_unlock(&watch_lock);
	return inside;
}

int pvk_xs_unwatch(struct pvk_xs_watch *w)
{
	int rc, wait_rc = 0;

	if (!w)
		return -PVK_XEN_ENOENT;
	lock_init_once();
	pvk_port_lock(&watch_lock);
	/* A resume's rewatch sending w's WATCH: after ours, its WATCH would
	 * leave xenstored a watch nobody lists (review s12-revfix SF-2). */
	if (wait_rewatch_locked(w)) {
		pvk_port_unlock(&watch_lock);
		pvk_warn("xenstore: unwatch %s: a resume's rewatch of it still under way after %llu ms; the watch must not be freed",
			 w->path, (unsigned long long)(PVK_XS_TIMEOUT_NS / 1000000));
		return -PVK_XEN_EBUSY;
	}
	if (!unlink_locked(w)) {
		pvk_port_unlock(&watch_lock);
		return -PVK_XEN_ENOENT;
	}
	pvk_port_unlock(&watch_lock);
	/* From here no event of w is delivered: its number is unknown. */
	rc = watch_op(PVK_XS_UNWATCH, w);
	/* ENOENT: the watch failed to register in the first place. */
	if (rc == -PVK_XEN_ENOENT)
		rc = 0;
	if (!inside_own_callback(w)) {
		wait_rc = pvk_port_wait_until(&unwatch_waitq, not_running, w,
					      PVK_XS_TIMEOUT_NS);
		if (wait_rc) {
			pvk_warn("xenstore: unwatch %s: its callback is still running after %llu ms; the watch must not be freed",
				 w->path, (unsigned long long)(PVK_XS_TIMEOUT_NS / 1000000));
			/* EBUSY, never xenstored's errors: only this one
			 * means "do not free". */
			return -PVK_XEN_EBUSY;
		}
	}
	return rc;
}

/* Path copies up to this size go on the stack, longer ones to the heap. */
#define SMALL_PATH	256

static bool try_enter(void *arg)
{
	bool in;

	(void)arg;
	pvk_port_lock(&watch_lock);
	in = worker_enter_locked();
	pvk_port_unlock(&watch_lock);
	return in;
}

/* timeout 0: the role only when nobody has it, not even this CPU (a
 * background work run inside a holder's wait must not act in the middle
 * of that holder's change, as watch_work_fn refuses); never waits. */
static int try_free(void)
{
	int rc = 0;

	pvk_port_lock(&watch_lock);
	if (worker != NO_WORKER)
		rc = -PVK_XEN_EBUSY;
	else
		(void)worker_enter_locked();
	pvk_port_unlock(&watch_lock);
	return rc;
}

int pvk_xs_worker_enter(uint64_t timeout_ns)
{
	int rc;

	lock_init_once();
	if (!timeout_ns)
		return try_free();
	rc = pvk_port_wait_until(&worker_waitq, try_enter, NULL, timeout_ns);
	if (rc)
		pvk_err("xenstore: CPU %u waited %llu ms for the watch worker role (CPU %u has it)",
			pvk_port_cpu_id(), (unsigned long long)(timeout_ns / 1000000),
			PVK_READ_ONCE(worker));
	return rc;
}

void pvk_xs_worker_leave(void)
{
	pvk_port_lock(&watch_lock);
	worker_leave_locked();
	pvk_port_unlock(&watch_lock);
	worker_woken();
}

int pvk_xs_run_watches(void)
{
	int ran = 0;

	lock_init_once();
	pvk_port_lock(&watch_lock);
	if (!worker_enter_locked()) {
		pvk_port_unlock(&watch_lock);
		return 0;	/* the worker CPU delivers them */
	}
	pvk_port_unlock(&watch_lock);
	for (;;) {
		char small[SMALL_PATH], *buf = small;
		struct pvk_xs_watch *w = NULL;
		struct queued_hdr h;
		const char *path;
		bool reread = false;

		pvk_port_lock(&watch_lock);
		if (q_used) {
			q_get(&h, sizeof(h));
			w = find(h.id);
			if (!w) {
				/* For a watch since removed. */
				q_get(NULL, h.len);
				pvk_xs_counters.watch_dropped++;
				pvk_port_unlock(&watch_lock);
				continue;
			}
			if (h.len >= sizeof(small) && !(buf = pvk_port_malloc(h.len + 1))) {
				/* Cannot copy it: owe a re-read instead. */
				q_get(NULL, h.len);
				overflow(w, "(no memory for its path)");
				pvk_port_unlock(&watch_lock);
				continue;
			}
			q_get(buf, h.len);
			buf[h.len] = '\0';
			path = buf;
		} else {
			uint32_t len;

			for (w = watches; w && !w->owe_reread; w = w->next)
				;
			if (!w)
				break;	/* with the lock: see worker_leave */
			/* A copy here too: w->path may live inside w, which
			 * the callback (or one nested in it) may free. */
			len = (uint32_t)__builtin_strlen(w->path);
			if (len >= sizeof(small) && !(buf = pvk_port_malloc(len + 1)))
				break;	/* still owed: the next run tries again */
			__builtin_memcpy(buf, w->path, len + 1);
			w->owe_reread = false;
			reread = true;
			pvk_xs_counters.watch_rereads++;
			path = buf;
		}
		/* Counted before the lock is dropped: unwatch waits for it. */
		struct delivery d = { .w = w, .outer = delivering };

		bool outer_reread = w->rereading;

		w->running++;
		delivering = &d;
		w->rereading = reread;
		pvk_port_unlock(&watch_lock);
		w->cb(w, path);
		pvk_port_lock(&watch_lock);
		delivering = d.outer;
		/* Unwatched by its own callback: w may be freed, hands off. */
		if (!d.unwatched) {
			w->rereading = outer_reread;
			w->running--;
		}
		delivered++;
		pvk_port_unlock(&watch_lock);
		pvk_port_wake(&unwatch_waitq);
		if (buf != small)
			pvk_port_free(buf);
		ran++;
	}
	/* Given back under the lock that saw nothing left to deliver: an
	 * event queued after it finds the role free. */
	worker_leave_locked();
	pvk_port_unlock(&watch_lock);
	worker_woken();
	return ran;
}

/* arg: the count of callbacks delivered when the wait began. */
static bool queued(void *arg)
{
	const uint64_t *since = arg;
	bool any;

	pvk_port_lock(&watch_lock);
	if (delivered != *since) {
		pvk_port_unlock(&watch_lock);
		return true;	/* delivered meanwhile (background work) */
	}
	any = q_used != 0;
	for (struct pvk_xs_watch *w = watches; w && !any; w = w->next)
		any = w->owe_reread;
	/* Queued for the worker on another CPU: not ours to run. */
	if (worker != NO_WORKER && worker != pvk_port_cpu_id())
		any = false;
	pvk_port_unlock(&watch_lock);
	return any;
}

int pvk_xs_wait_watches(uint64_t timeout_ns)
{
	uint64_t since, now;
	int rc;

	lock_init_once();
	pvk_port_lock(&watch_lock);
	since = delivered;
	pvk_port_unlock(&watch_lock);
	rc = pvk_port_wait_until(&pvk_xs_waitq, queued, &since, timeout_ns);
	if (rc)
		return rc;
	pvk_xs_run_watches();
	pvk_port_lock(&watch_lock);
	now = delivered;
	pvk_port_unlock(&watch_lock);
	return (int)(now - since);
}
