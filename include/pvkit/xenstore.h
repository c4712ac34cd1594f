/*
 * pvkit/xenstore.h - the xenstore client: the configuration store every PV
 * device is described in.
 *
 * Any number of requests may be outstanding: a call made while others
 * wait (from a watch callback, from background work run inside another
 * call's wait, or from another thread) is queued behind them and matched
 * to its reply by req_id. Every call waits at most PVK_XS_TIMEOUT_NS for
 * its reply and returns 0 / a length / a count, or a negative Xen errno:
 * the name xenstored sent back ("ENOENT" -> -PVK_XEN_ENOENT),
 * -PVK_XEN_ETIMEDOUT, or -PVK_XEN_EIO when xenstored broke the protocol
 * (a malformed message, ring indices out of range again and again; the
 * client logs why and stays down, the guest runs on).
 * Paths without a leading '/' are relative to the domain's home,
 * /local/domain/<domid>. Thread context only (the calls sleep).
 */
#ifndef PVKIT_XENSTORE_H
#define PVKIT_XENSTORE_H

#include <pvkit/types.h>
#include <pvkit/xen/event_channel.h>
#include <pvkit/xen/io/xs_wire.h>

#define PVK_XS_TIMEOUT_NS	(5ULL * 1000 * 1000 * 1000)
/* A call made while a suspend is under way waits at most this long for it
 * to end before it is queued (pvk_xs_suspend()). */
#define PVK_XS_HOLD_NS		(60ULL * 1000 * 1000 * 1000)
/* How long the suspend waits for answers and open transactions. */
#define PVK_XS_SUSPEND_WAIT_NS	(5ULL * 1000 * 1000 * 1000)
/* pvk_xs_transaction() gives up after this many EAGAIN conflicts. */
#define PVK_XS_TRANSACTION_RETRIES	16
/* Bytes of queued watch events (each: 16 bytes and its path). An event
 * that does not fit is counted and its watch gets a re-read callback. */
#define PVK_XS_WATCH_QUEUE_BYTES	8192

/* Opaque. With the kit's client (frontends/xenbus) it is the kit's handle
 * of a transaction, not xenstored's id: it names one transaction only,
 * and after a resume in a new domain an old handle names none (its
 * requests fail with -PVK_XEN_EIO), whatever ids the new xenstored hands
 * out. (ports/linux passes Linux's own transaction id.) */
typedef uint32_t pvk_xs_transaction_t;
#define PVK_XBT_NIL	((pvk_xs_transaction_t)0)

/* The ring page (mapped) and its port, from start_info store_mfn/evtchn.
 * Needs pvk_evtchn_init(). */
int pvk_xs_init(struct pvk_xenstore_domain_interface *ring,
		pvk_evtchn_port_t port);

/* Value of path into buf (NUL-terminated); returns its length. A value
 * that does not fit is -PVK_XEN_E2BIG. */
int pvk_xs_read(pvk_xs_transaction_t t, const char *path, char *buf, size_t size);
/* n reads sent together, then every answer waited for: one round trip
 * with xenstored instead of n. n over 16 go in rounds of 16, one after
 * the other; each round is waited for within one bound as a
 * pvk_xs_read's, from that round's start (so n reads take at most
 * ceil(n/16) bounds). Each r[i].rc is what pvk_xs_read() would have
 * returned for it, but for the bound (shared by its round: an answer a
 * lone read would have waited for may be -PVK_XEN_ETIMEDOUT here). After
 * a round with -PVK_XEN_ETIMEDOUT, -PVK_XEN_EIO or -PVK_XEN_ENODEV, or in
 * a transaction with any error but -PVK_XEN_ENOENT, no later round is
 * sent: each of its entries has that error. */
struct pvk_xs_read_req {
	const char *path;
	char *buf;
	size_t size;
	int rc;
};
void pvk_xs_read_many(pvk_xs_transaction_t t, struct pvk_xs_read_req *r, unsigned int n);
/* The same for writes (value NULL: remove the node), the same rounds,
 * bounds and stops: each w[i].rc as pvk_xs_write() / pvk_xs_rm() would
 * have returned, but for the bound; xenstored carries them out in order
 * (a write that timed out may still be carried out). */
struct pvk_xs_write_req {
	const char *path;
	const char *value;
	int rc;
};
void pvk_xs_write_many(pvk_xs_transaction_t t, struct pvk_xs_write_req *w, unsigned int n);
int pvk_xs_write(pvk_xs_transaction_t t, const char *path, const char *value);
int pvk_xs_mkdir(pvk_xs_transaction_t t, const char *path);
int pvk_xs_rm(pvk_xs_transaction_t t, const char *path);
/* Children of path, as consecutive NUL-terminated names in buf; returns
 * how many. */
int pvk_xs_directory(pvk_xs_transaction_t t, const char *path, char *buf,
		     size_t size);
/* Permissions as xenstored lists them ("n0", "r5", ... NUL-separated);
 * returns how many. */
int pvk_xs_get_perms(pvk_xs_transaction_t t, const char *path, char *buf,
		     size_t size);
/* perms: nr strings like "b0" (owner and default) then "r5" etc. */
int pvk_xs_set_perms(pvk_xs_transaction_t t, const char *path,
		     const char *const *perms, unsigned int nr);
/* A xenstore value as an unsigned decimal number: digits only, no sign,
 * no overflow (-PVK_XEN_EINVAL, -PVK_XEN_ERANGE). */
int pvk_xs_parse_ulong(const char *s, unsigned long *out);
/* Reads path as an unsigned decimal number (pvk_xs_parse_ulong). */
int pvk_xs_read_ulong(pvk_xs_transaction_t t, const char *path,
		      unsigned long *out);

int pvk_xs_transaction_start(pvk_xs_transaction_t *t);
/* abort: discard the changes. -PVK_XEN_EAGAIN: conflict, nothing applied. */
int pvk_xs_transaction_end(pvk_xs_transaction_t t, bool abort);
/*
 * Runs fn in a transaction and commits it, starting over when the commit
 * reports a conflict (at most PVK_XS_TRANSACTION_RETRIES times). fn's
 * negative return aborts the transaction and is returned. *attempts, if
 * not NULL, gets the number of tries.
 */
int pvk_xs_transaction(int (*fn)(pvk_xs_transaction_t t, void *arg), void *arg,
		       unsigned int *attempts);

/*
 * A watch: cb runs in thread context, from pvk_xs_run_watches(), never in
 * the event handler; path is the node that changed (a copy, valid during
 * the call, whatever the callback does). Xen fires every new watch once at
 * registration. When events were lost to a full queue, cb is called once
 * more, after the queued ones, with path equal to w->path: re-read what
 * you watch (w->missed counts the events lost). cb may use xenstore,
 * unwatch and free its own watch (nothing of it is touched after cb
 * returns); no event queued for a watch is delivered after
 * pvk_xs_unwatch() (each registration has a token of its own, never
 * reused). pvk_xs_unwatch(w) called from inside a callback of w returns
 * at once (waiting would wait for itself); called from anywhere else it
 * waits, bounded, until no callback of w runs, so the caller may then
 * free w; -PVK_XEN_EBUSY means one still runs: do not free w. Any other
 * error is xenstored's (or its timeout): w is unlinked and may be freed.
 *
 * A driver that runs on its own (not when a caller runs watches) sets
 * notify instead of cb: it is called in the event handler, with the
 * watch lock held, the moment the event arrives, and the event is not
 * queued. It must only record the news and schedule the driver's work
 * (which then reads xenstore in thread context).
 */
struct pvk_xs_watch {
	const char *path;
	void (*cb)(struct pvk_xs_watch *w, const char *path);
	void (*notify)(struct pvk_xs_watch *w);
	void *arg;
	uint64_t missed;		/* events lost to a full queue (read only) */
	/* True while cb runs as the missed-events re-read, not for a write
	 * seen (read only): a callback that must tell the two apart. */
	bool rereading;
	/* Private. */
	struct pvk_xs_watch *next;
	uint64_t id;			/* this registration's number */
	bool owe_reread;		/* a missed-events callback is due */
	unsigned int running;		/* callbacks of w in progress */
	/* A pvk_xs_watch() call for it is in progress: a rewatch meanwhile
	 * records its result for that call (rewatch_rc). */
	bool registering;
	bool rewatching;		/* a resume's rewatch is sending its WATCH */
	int rewatch_rc;			/* that rewatch's result; 1: none yet */
	char token[24];
};

int pvk_xs_watch(struct pvk_xs_watch *w);
int pvk_xs_unwatch(struct pvk_xs_watch *w);
/* Delivers queued watch events; returns how many. The host's background
 * work (port.h) does it too, so calling it is never required. */
int pvk_xs_run_watches(void);
/* Waits (bounded) until at least one watch event is queued, then runs
 * them; returns how many callbacks were delivered since the call (here or
 * by background work), or -PVK_XEN_ETIMEDOUT when none was. */
int pvk_xs_wait_watches(uint64_t timeout_ns);

struct pvk_xs_stats {
	uint64_t requests, replies, watch_events;
	uint64_t stray_replies;		/* no request waits for its req_id: dropped */
	uint64_t watch_dropped;		/* malformed, or for a removed watch */
	uint64_t watch_overflows;	/* lost to a full queue (and re-read) */
	uint64_t watch_rereads;		/* missed-events callbacks delivered */
	uint64_t index_errors;		/* event passes with a ring index out of range */
	uint64_t max_outstanding;	/* most requests waiting at once */
	uint64_t protocol_errors;	/* 1 once the connection was given up */
};
void pvk_xs_get_stats(struct pvk_xs_stats *out);

/* ---- between the kit's parts: around a suspend --------------------- */

/*
 * suspend/, before upcalls are masked (thread context, irqs on): new
 * calls wait (at most PVK_XS_HOLD_NS) until the suspend is over, except
 * those of a transaction open now (its requests and its end go on, so
 * it can end; a TRANSACTION_START waits); then
 * waits, at most timeout_ns (logged when it gives up), until every
 * request queued has its answer and no transaction is open (but one with
 * a call in progress on this CPU, beneath the suspend, which cannot end
 * before it: logged); then no new message is started. 0, or
 * -PVK_XEN_EBUSY when a message stays half written or bytes we wrote stay
 * unread in the ring for a second (xenstored stopped reading: the new
 * xenstored would read them, after their callers were told EIO): the
 * suspend must be refused, the hold is lifted again.
 * A wait that gave up goes on with requests xenstored read and did not
 * answer, and transactions open: in a new domain their callers get
 * -PVK_XEN_EIO, which then means "unknown": the old xenstored may have
 * carried the request out (a commit too). A transaction is seen as
 * beneath the suspend only through a call in it (its id) pending on this
 * CPU: a body that makes a PVK_XBT_NIL call, or waits otherwise, when the
 * suspend runs inside it costs the whole wait, and the transaction fails
 * with EIO in a new domain all the same.
 * A call's wait for its reply is not charged with the time from here to
 * the resume or cancel (the downtime included): its PVK_XS_TIMEOUT_NS
 * moves by it, bounded (a request of an open transaction queued and held
 * unsent by the freeze gets its answer after a long `xl save -c`). An
 * end whose reply never comes ends its transaction on the client's side.
 */
int pvk_xs_suspend(uint64_t timeout_ns);
/* The suspend was refused or cancelled (same domain): everything goes on,
 * nothing was lost. */
void pvk_xs_suspend_cancel(void);
/* suspend/, after a resume in a new domain (CPU 0, upcalls masked): the
 * old xenstored's last answers in the ring delivered; what it took and
 * never answered, and what belongs to a transaction of before, failed
 * with -PVK_XEN_EIO (not retried by pvk_xs_transaction()) and counted in
 * *lost, logged; transactions of before refused from now on (EIO); the
 * requests queued during the suspend sent on the new port's ring. */
int pvk_xs_resume(pvk_evtchn_port_t port, uint64_t *lost);
/* suspend/: every watch registered again (thread context, irqs on);
 * returns how many failed. */
int pvk_xs_rewatch_all(void);

#endif /* PVKIT_XENSTORE_H */
