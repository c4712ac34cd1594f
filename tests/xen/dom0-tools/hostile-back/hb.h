/*
 * tests/xen/dom0-tools/hostile-back/hb.h - the core of pvk-hostile-back, a
 * dom0 backend for one guest device that serves it correctly (attack
 * "none") or misbehaves on command. This header is what the backends
 * (blk*.c, net*.c) and the xenstore attacks (xs_attack*.c) build on:
 *
 *   - the device: its frontend and backend xenstore areas created and
 *     removed as a toolstack (libxl) would, with their permissions;
 *   - xenstore reads, writes and state waits, every wait bounded (polled:
 *     libxenstore's watch thread is not usable in a static binary, see
 *     hb_xs.c; do not call xs_watch on d->xs);
 *   - grant mapping of the frontend's refs (libxengnttab);
 *   - the interdomain event channel (libxenevtchn), waits bounded;
 *   - the attack table: each file registers its modes with HB_ATTACKS();
 *   - the tool's lifetime (--max-seconds): every bounded wait is also cut
 *     at the deadline, and a SIGALRM backstop removes the nodes and exits;
 *   - the guest's active grants to dom0, counted from dom0 (grant-scan.h).
 *
 * Everything is logged to stdout, one line per event, prefixed
 * "hb <type>/<devid> <attack> +<ms>:" so a scenario can show the log.
 */
#ifndef PVK_HOSTILE_BACK_HB_H
#define PVK_HOSTILE_BACK_HB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <xenctrl.h>
#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>
#include <xen/io/xenbus.h>

#define HB_PAGE_SIZE	4096u
/* The backend areas live in /local/domain/0/HB_BACKEND_DIR/<type>/<domid>/
 * <devid>, laid out as libxl lays out backend/<type>/...: a device made
 * under backend/ is taken over by dom0's own blkback or netback. */
#define HB_BACKEND_DIR	"pvk-hostile-back"
#define HB_MAX_OPTS	16

/* Exit codes of the tool. */
#define HB_EXIT_OK	0	/* the run ended as planned */
#define HB_EXIT_FAIL	1	/* the backend could not do what it meant to */
#define HB_EXIT_USAGE	2
#define HB_EXIT_TIMEOUT	3	/* --max-seconds reached */

struct hb_attack;

/* One device served for one guest. */
struct hb_dev {
	const char *type;		/* xenstore device type: "vbd", "vif" */
	unsigned int domid;		/* the guest (frontend) */
	unsigned int devid;		/* vbd: virtual-device number; vif: handle */
	const struct hb_attack *attack;
	char fe[128];			/* /local/domain/<domid>/device/<type>/<devid> */
	char be[128];			/* /local/domain/0/HB_BACKEND_DIR/<type>/<domid>/<devid> */
	struct xs_handle *xs;
	xengnttab_handle *gt;
	xenevtchn_handle *xe;
	evtchn_port_t port;		/* our end of the event channel, if bound */
	bool port_bound;
	uint64_t start_ms, deadline_ms;	/* monotonic */
	const char *opt_name[HB_MAX_OPTS], *opt_val[HB_MAX_OPTS];
	unsigned int nr_opts;
};

/* A mode of misbehaviour (or "none"), registered by the file that owns it. */
struct hb_attack {
	const char *name;		/* --attack NAME */
	const char *type;		/* device type it serves; NULL: any */
	int mode;			/* the owner's own code for it */
	int (*run)(struct hb_dev *d);	/* returns an HB_EXIT_* code */
	const char *what;		/* one line for --list */
};

/* Registers a NULL-name-terminated array of attacks at program start. */
void hb_register_attacks(const struct hb_attack *table);
#define HB_ATTACKS(table)						\
	static void __attribute__((constructor)) hb_reg_##table(void)	\
	{ hb_register_attacks(table); }
const struct hb_attack *hb_find_attack(const char *type, const char *name);
void hb_list_attacks(void);

/* Logging and time. */
void hb_log(const struct hb_dev *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
uint64_t hb_now_ms(void);
/* ms left before the deadline (0 when reached), capped at want_ms. */
unsigned int hb_left_ms(const struct hb_dev *d, unsigned int want_ms);
bool hb_expired(const struct hb_dev *d);
void hb_sleep_ms(const struct hb_dev *d, unsigned int ms);	/* bounded too */
/* --opt NAME=VALUE given on the command line, or dflt. */
const char *hb_opt(const struct hb_dev *d, const char *name, const char *dflt);
unsigned long hb_opt_ulong(const struct hb_dev *d, const char *name, unsigned long dflt);

/* Opening: xenstore, gnttab and evtchn handles; paths filled in. */
int hb_open(struct hb_dev *d, const char *type, unsigned int domid, unsigned int devid,
	    unsigned int max_seconds);
void hb_close(struct hb_dev *d);	/* unbinds, closes handles */

/* xenstore. area is HB_FE or HB_BE; node is relative to that area. */
enum hb_area { HB_FE, HB_BE };
struct hb_node {
	const char *name, *value;
};
/* Creates both areas in one transaction as libxl does: the frontend's
 * owned by the guest, readable by dom0; the backend's owned by dom0,
 * readable by the guest. Written: frontend backend, backend-id, state=1,
 * then fe_extra; backend frontend, frontend-id, online=1, state=1, then
 * be_extra (both {NULL} terminated, may be NULL). */
int hb_create_device(struct hb_dev *d, const struct hb_node *fe_extra,
		     const struct hb_node *be_extra);
/* Removes both areas (the guest sees its device vanish). */
void hb_remove_device(struct hb_dev *d);
int hb_write(struct hb_dev *d, enum hb_area a, const char *node, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
int hb_rm(struct hb_dev *d, enum hb_area a, const char *node);
/* Writes the guest's own data/<node> (formatted), where its test cases
 * wait for our answers; logs what was written or that it could not be. */
void hb_tell_guest_v(struct hb_dev *d, const char *node, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
char *hb_read(struct hb_dev *d, enum hb_area a, const char *node);	/* free() it */
/* Reads an unsigned number; -1 when missing or malformed (logged). */
int hb_read_ulong(struct hb_dev *d, enum hb_area a, const char *node, unsigned long *out);
int hb_set_state(struct hb_dev *d, enum xenbus_state s);	/* backend state */
/* The frontend's state, or -1 when unreadable. */
int hb_fe_state(struct hb_dev *d);
/* Waits (polling, bounded by ms and the deadline) until the
 * frontend's state is one of the bits of mask (1u << XenbusStateX).
 * Returns the state reached, or -1 on timeout / the node gone. */
int hb_wait_fe_state(struct hb_dev *d, unsigned int mask, unsigned int ms);
const char *hb_state_name(int s);

/* Grants: map n refs of the guest contiguously; NULL on failure (logged). */
void *hb_map(struct hb_dev *d, const uint32_t *refs, unsigned int n, bool writable);
int hb_unmap(struct hb_dev *d, void *addr, unsigned int n);

/* Event channel. */
int hb_evtchn_bind(struct hb_dev *d, unsigned int remote_port);
int hb_notify(struct hb_dev *d);
/* Waits for an event on our port, bounded: 1 event (already unmasked
 * again), 0 timeout, -1 error. */
int hb_evtchn_wait(struct hb_dev *d, unsigned int ms);

/* The guest's grants to dom0 now, counted from its grant table (the
 * toolstack's two reserved entries excluded); -1 on error (logged). */
long hb_count_guest_grants(struct hb_dev *d);
/* Whether the guest's grant ref still grants dom0 a page: 1 yes, 0 no,
 * -1 the table could not be read. *frame gets its frame when 1. */
int hb_guest_grant_active(struct hb_dev *d, uint32_t ref, uint32_t *frame);

#endif
