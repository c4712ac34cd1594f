/*
 * pvkit/xenbus.h - the xenbus device model: PV devices found in xenstore,
 * matched to drivers by class, and the frontend/backend state machine.
 *
 * The toolstack describes each device of ours under
 * device/<class>/<id> (e.g. device/vif/0): its "backend" path, the
 * "backend-id" domain, and our "state"; the backend keeps its own "state"
 * under its path. Both sides walk the XenbusState values below; each
 * watches the other's node. The kit watches device/ for hotplug: a device
 * that appears is probed, one whose directory disappears is removed.
 *
 * Every callback runs in thread context (from pvk_xs_run_watches() or the
 * registering call), so drivers may use xenstore freely. Backend-supplied
 * values are read once, bounded and checked (state must be a known
 * number, backend-id a domain id, backend a path that fits).
 */
#ifndef PVKIT_XENBUS_H
#define PVKIT_XENBUS_H

#include <pvkit/types.h>
#include <pvkit/xen/io/xenbus.h>	/* enum pvk_xenbus_state: the states */
#include <pvkit/xenstore.h>

#define PVK_XENBUS_PATH_MAX	128

struct pvk_xenbus_driver;

struct pvk_xenbus_device {
	char nodename[PVK_XENBUS_PATH_MAX];	/* "device/vif/0" */
	char otherend[PVK_XENBUS_PATH_MAX];	/* the backend's directory */
	unsigned long otherend_id;		/* the backend's domain */
	const char *devclass;			/* the driver's class */
	const char *id;				/* points into nodename */
	enum pvk_xenbus_state state;		/* ours, as last written */
	enum pvk_xenbus_state otherend_state;	/* the backend's, last seen */
	/* True while otherend_changed/_rewritten runs for the kit's re-read
	 * after watch events were lost (a full queue), not for a write seen:
	 * the backend may have written nothing. */
	bool otherend_reread;
	struct pvk_xenbus_driver *drv;
	void *priv;				/* the driver's */
	/* Private. */
	struct pvk_xs_watch otherend_watch;
	char otherend_state_path[PVK_XENBUS_PATH_MAX + 8];
	struct pvk_xenbus_device *next;
	bool seen;				/* rescan bookkeeping */
	bool removed;				/* gone: freed when not busy */
	unsigned int busy;			/* kit callbacks using it */
	/* A reconnect after a resume in a new domain, measured (kit clock):
	 * from the suspend hypercall's return to our Connected, and the
	 * xenstore requests the device's own calls made meanwhile. */
	/* The resume's own watch firing (xenbus.c, otherend_update): the
	 * watch was set at the resume and no poll has run since; and how
	 * many deliveries after the poll may still absorb one repeat. */
	bool otherend_watch_fresh;
	unsigned int otherend_absorb_left;
	bool resume_timing;			/* since device_resume, until done */
	bool resume_done;			/* the driver is back: the count ends
						 * with the callback that said so */
	uint64_t resume_t0_ns;			/* the hypercall's return */
	uint64_t resume_xs_requests;		/* counted so far / in the last one */
	uint64_t resume_connected_ns;		/* the last one, from resume_t0_ns */
};

struct pvk_xenbus_driver {
	const char *devclass;			/* "vif", "vbd", ... */
	/* A device of this class appeared; nonzero leaves it unbound. */
	int (*probe)(struct pvk_xenbus_device *dev);
	/* The backend moved to a new state. The kit has already handled a
	 * backend in Closing/Closed for a driver without this callback. */
	void (*otherend_changed)(struct pvk_xenbus_device *dev,
				 enum pvk_xenbus_state backend_state);
	/* The device is gone (its directory was removed) or being
	 * unregistered: release everything. This may run nested inside
	 * otherend_changed of the same device (watches run inside a
	 * xenstore wait); dev itself stays valid until that returns. */
	void (*remove)(struct pvk_xenbus_device *dev);
	/* Optional: the backend wrote its state node again with the state
	 * last seen (blkback does so after changing "sectors" of a Connected
	 * disk); also once when the watch is first set. */
	void (*otherend_rewritten)(struct pvk_xenbus_device *dev,
				   enum pvk_xenbus_state backend_state);
	/* Private. */
	struct pvk_xenbus_driver *next;
};

/* Registers the driver, probes the devices of its class present now, and
 * (first time) watches device/ for hotplug. */
int pvk_xenbus_register_driver(struct pvk_xenbus_driver *drv);
/* Removes its devices and the driver. -PVK_XEN_ETIMEDOUT (logged) if the
 * watch worker stayed busy (a callback on another CPU may be walking the
 * devices): nothing changed, the driver stays registered and must not be
 * freed. */
int pvk_xenbus_unregister_driver(struct pvk_xenbus_driver *drv);

/*
 * The watch worker role. Every xenbus callback of every driver runs in
 * it, and one holder has it at a time, so a driver's state has one user
 * at a time. A frontend's call made from a host's thread, not from a
 * callback, that changes a device the callbacks also change (release,
 * the wait_connected give-up, closing a broken vif) takes the role around
 * that change: enter waits at most timeout_ns while another holder
 * delivers (-PVK_XEN_ETIMEDOUT, logged: nothing may be changed then) and
 * nests on the holder (a callback's, or a host's that already holds it);
 * each successful enter is paired with one leave. What the caller saw
 * before it entered may have changed: look again inside. Thread context.
 * timeout_ns 0 is a try for background work: the role only when nobody
 * holds it, not even this CPU or thread (no nesting on a holder whose
 * wait runs the work), never waits, -PVK_XEN_EBUSY not logged.
 *
 * The holder, for the kit's own xenbus (frontends/xenbus/), is a CPU
 * (pvk_port_cpu_id()), not a thread: a second thread on the holder's CPU
 * would nest in the role, not wait for it, and run beside the first. So
 * on a host with several threads per CPU, either the host brings its own
 * xenbus whose role is held by a thread (as ports/linux does, on a
 * mutex), or it makes every call that may take the role (the frontends'
 * wait_connected and release, pvk_xs_run_watches() and
 * pvk_xs_wait_watches(), driver registration) from one thread per CPU,
 * which does not move to another CPU while it holds the role.
 */
int pvk_xenbus_worker_enter(uint64_t timeout_ns);
void pvk_xenbus_worker_leave(void);

/* Writes our state node, in a transaction that first checks the device's
 * directory still exists (-PVK_XEN_ENOENT once the toolstack removed it:
 * the node is not created again); refuses transitions the state machine
 * forbids (-PVK_XEN_EINVAL). Conflicts are retried, bounded. */
int pvk_xenbus_switch_state(struct pvk_xenbus_device *dev,
			    enum pvk_xenbus_state state);

/*
 * After a resume in a new domain (pvkit/suspend.h), from a frontend's
 * suspend part (thread context, the watch worker): the old backend died
 * with the old domain and the toolstack made a new one, and wrote our
 * device's nodes afresh (state Initialising). The device forgets the
 * backend's state first (Unknown, before any xenstore request, so an event
 * of the old watch delivered meanwhile reads nothing), reads "backend" and
 * "backend-id" again, moves the state watch to the new backend (it fires
 * once: the driver's otherend_changed brings the handshake) and takes our
 * own state as Initialising, written again. 0, or the failed step's error
 * (logged): the watch then stays on the path it had.
 * -PVK_XEN_EOPNOTSUPP on a host whose own xenbus does suspend (Linux:
 * ports/linux).
 */
int pvk_xenbus_device_resume(struct pvk_xenbus_device *dev);

/*
 * After pvk_xenbus_device_resume() (the frontend has taken the new
 * backend's domain): the backend's state read now and acted on as a watch
 * event would be (otherend_changed), instead of waiting for the watch's
 * round trip; a backend already in InitWait is answered from the resume
 * itself (what Linux's frontends do from their resume callbacks). The
 * watch's own first event then finds the same state (otherend_rewritten).
 * Nothing on a host whose own xenbus does suspend.
 */
void pvk_xenbus_otherend_poll(struct pvk_xenbus_device *dev);

/* Pure: may a frontend go from `from` to `to`? */
bool pvk_xenbus_transition_ok(enum pvk_xenbus_state from,
			      enum pvk_xenbus_state to);
/* Pure: the name of a state ("Connected"), "invalid" if out of range. */
const char *pvk_xenbus_state_name(unsigned long state);
/* Pure: a xenstore state value to a state; -1 unless "0".."8". */
int pvk_xenbus_parse_state(const char *value);

/*
 * Pure: a value read from xenstore (bytes a backend or the toolstack
 * chose), made safe to log: printable ASCII is kept; a backslash, a double
 * quote and every other byte become \xNN, so no control character or
 * escape sequence reaches the console and a quoted value stays one. Cut at
 * the last whole character that fits out (size bytes, NUL included); a
 * buffer of PVK_XENBUS_PRINTABLE_SIZE(n) holds any n-byte value. Log the
 * very text that was judged (read once), never a second read. Returns out.
 */
#define PVK_XENBUS_PRINTABLE_SIZE(n)	(4 * (n) + 1)
const char *pvk_xenbus_printable(char *out, size_t size, const char *value);

/*
 * For a host's xenbus (the kit's own, the Linux port's): the whole of
 * pvk_xenbus_switch_state() but the write. Refuses what the state machine
 * forbids, writes nothing for an unchanged state, calls write_state to
 * write the node otherwise, logs its failure (-PVK_XEN_ENOENT: the
 * device's directory is gone) and updates dev->state on success.
 */
int pvk_xenbus_switch_state_by(struct pvk_xenbus_device *dev, enum pvk_xenbus_state state,
			       int (*write_state)(struct pvk_xenbus_device *dev,
						  enum pvk_xenbus_state state));

/* The backend feature otherend/name as a number, def if absent. */
int pvk_xenbus_read_feature(struct pvk_xenbus_device *dev, const char *name,
			    unsigned long def, unsigned long *out);
/* Several backend features at once: f[i].out = otherend/f[i].name as a
 * number, f[i].def if absent; in order, the first refusal returned (as
 * pvk_xenbus_read_feature would, logged) and its index in *bad (if not
 * NULL), later ones left unread. The kit's xenstore client asks for them
 * all in one round trip. */
struct pvk_xenbus_feature {
	const char *name;
	unsigned long def;
	unsigned long *out;
};
int pvk_xenbus_read_features(struct pvk_xenbus_device *dev,
			     const struct pvk_xenbus_feature *f, unsigned int n,
			     unsigned int *bad);
/* The text a number may have (as pvk_xs_read_ulong(): longer is not). */
#define PVK_XENBUS_NUMBER_TEXT	24
/* What pvk_xenbus_read_features() does on the kit's xenstore client. */
int pvk_xenbus_read_otherend_many(const struct pvk_xenbus_device *dev,
				  const struct pvk_xenbus_feature *f, unsigned int n,
				  unsigned int *bad);
/* What pvk_xenbus_read_feature() reads, for a host's xenbus to share:
 * the key name of the backend's directory as a number, def if absent. */
int pvk_xenbus_read_otherend_ulong(const struct pvk_xenbus_device *dev, const char *name,
				   unsigned long def, unsigned long *out);

/* Writes n keys under our nodename in one transaction (retried on
 * conflict); a NULL value removes that key (absent already: fine). Our
 * node deleted meanwhile: -PVK_XEN_ENOENT, nothing written. */
struct pvk_xenbus_kv {
	const char *key;
	const char *value;
};
int pvk_xenbus_write_keys(struct pvk_xenbus_device *dev,
			  const struct pvk_xenbus_kv *kv, unsigned int n);
/*
 * The same keys and our state switched to `state`, all in ONE transaction
 * (the backend sees the keys and the state together): a negotiation's
 * whole publication. A removal costs a request only when its key's first
 * component is in our node's listing (read once in the transaction: keys
 * of an earlier layout are still removed, absent ones cost nothing).
 * The transition is checked first (-PVK_XEN_EINVAL); dev->state follows
 * on success; -PVK_XEN_ENOENT once our node is gone (nothing written).
 */
int pvk_xenbus_publish(struct pvk_xenbus_device *dev, const struct pvk_xenbus_kv *kv,
		       unsigned int n, enum pvk_xenbus_state state);
/*
 * The same with the publication's working memory (the listing, the
 * requests, their paths) given by the caller: a frontend allocates it
 * once per device (at most max_keys keys, none longer than key_max) and
 * keeps it until the device is released, so that a resume's publication
 * allocates nothing. More keys than it was sized for: -PVK_XEN_EINVAL,
 * nothing written. pvk_xenbus_publish allocates one for its call.
 */
struct pvk_xenbus_publish_scratch;
struct pvk_xenbus_publish_scratch *
pvk_xenbus_publish_scratch_alloc(const struct pvk_xenbus_device *dev, unsigned int max_keys,
				 size_t key_max);
void pvk_xenbus_publish_scratch_free(struct pvk_xenbus_publish_scratch *s);
int pvk_xenbus_publish_with(struct pvk_xenbus_device *dev, const struct pvk_xenbus_kv *kv,
			    unsigned int n, enum pvk_xenbus_state state,
			    struct pvk_xenbus_publish_scratch *s);

#endif /* PVKIT_XENBUS_H */
