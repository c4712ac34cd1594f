/*
 * tests/xen/dom0-tools/hostile-back/xs_attack.c - the xenstore attacks, for
 * a vbd or a vif: a device created as a toolstack would, whose backend then
 * misbehaves only in xenstore. It serves no request: what the guest sends
 * stays unanswered, and the frontend must fail it by itself.
 *
 *   xs-initwait  offers the device and stays in InitWait for good: the
 *                frontend's bounded wait must give up (its state Closed)
 *   xs-flap      connects (ring mapped, event channel bound), then the
 *                backend's state flaps Connected <-> Closing (--opt
 *                flaps=N, default 40, 10 ms apart); then the close
 *   xs-remove    connects (ring mapped), then deletes the backend's whole
 *                directory while the device is live; the frontend must
 *                take it as the end (its state Closed)
 *   xs-value     a malformed or absurd backend key: --opt key=NAME
 *                --opt value=TEXT writes it (before InitWait and again
 *                before Connected, over the normal value), --opt rm=NAME
 *                deletes a key the frontend needs; the frontend refuses
 *                (Closed) or connects with what it can use (logged)
 *
 * Then, in every mode, the toolstack's detach: online 0, the ring let go,
 * Closed, both areas removed. The exchange with the guest's test
 * (tests/guest/cases/hostile_xs.c), under its data/ directory:
 *   data/hostile-go-<devid>      (flap, remove) I/O is in flight: attack now
 *   data/hostile-close-<devid>   the guest is done looking (flap, remove:
 *                                it saw its request fail; xs-value)
 *   data/hostile-count-<devid>   count the guest's grants to dom0 now
 *   data/hostile-grants-<devid>  our answer: "grants-to-dom0: N"
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hb.h"

#define HANDSHAKE_MS	20000	/* the guest's xenbus answers within this */
#define GIVE_UP_MS	30000	/* the guest's bounded wait ends within this */
#define GUEST_TURN_MS	30000
#define CLOSE_MS	10000
#define FLAP_MS		10
#define VBD_SECTORS	8192

enum xs_mode { XS_INITWAIT, XS_FLAP, XS_REMOVE, XS_VALUE };

struct xs_run {
	struct hb_dev *d;
	enum xs_mode mode;
	bool vif;
	void *ring[2];			/* vbd: ring; vif: tx, rx */
	unsigned int nr_rings;
};

static void guest_path(const struct hb_dev *d, const char *name, char *path, size_t n)
{
	snprintf(path, n, "/local/domain/%u/data/%s-%u", d->domid, name, d->devid);
}

/* Polls the guest's data/<name>-<devid> (bounded): true when written. */
static bool guest_says(struct hb_dev *d, const char *name, unsigned int ms)
{
	uint64_t end = hb_now_ms() + hb_left_ms(d, ms);
	char path[128];

	guest_path(d, name, path, sizeof(path));
	for (;;) {
		unsigned int len;
		char *v = xs_read(d->xs, XBT_NULL, path, &len);

		free(v);
		if (v) {
			hb_log(d, "guest wrote %s", path);
			return true;
		}
		if (hb_now_ms() >= end) {
			hb_log(d, "guest did not write %s in time", path);
			return false;
		}
		hb_sleep_ms(d, 50);
	}
}

static void answer_grants(struct hb_dev *d)
{
	char path[128], val[64];

	if (!guest_says(d, "hostile-count", GUEST_TURN_MS))
		return;
	snprintf(val, sizeof(val), "grants-to-dom0: %ld", hb_count_guest_grants(d));
	guest_path(d, "hostile-grants", path, sizeof(path));
	if (xs_write(d->xs, XBT_NULL, path, val, (unsigned int)strlen(val)))
		hb_log(d, "told the guest %s \"%s\"", path, val);
	else
		hb_log(d, "cannot write %s", path);
}

/* xs-value: the bad key written (or the needed one removed), again and
 * again as the normal keys are written. */
static void apply_value(struct xs_run *r)
{
	const char *key = hb_opt(r->d, "key", NULL), *val = hb_opt(r->d, "value", "");
	const char *rm = hb_opt(r->d, "rm", NULL);

	if (r->mode != XS_VALUE)
		return;
	if (key && !hb_write(r->d, HB_BE, key, "%s", val))
		hb_log(r->d, "backend %s = \"%s\"", key, val);
	if (rm && !hb_rm(r->d, HB_BE, rm))
		hb_log(r->d, "backend %s removed", rm);
}

static int create(struct xs_run *r)
{
	char mac[24];
	struct hb_node fe_vif[] = { { "mac", mac }, { NULL, NULL } };
	struct hb_node be_vif[] = {
		{ "feature-rx-copy", "1" }, { "feature-sg", "0" }, { NULL, NULL },
	};
	struct hb_node be_vbd[] = { { "feature-flush-cache", "0" }, { NULL, NULL } };

	snprintf(mac, sizeof(mac), "00:16:3e:5a:%02x:%02x", (r->d->devid >> 8) & 0xff,
		 r->d->devid & 0xff);
	if (hb_create_device(r->d, r->vif ? fe_vif : NULL, r->vif ? be_vif : be_vbd))
		return -1;
	apply_value(r);
	return hb_set_state(r->d, XenbusStateInitWait);
}

/* Maps one ring page named by the frontend's key. */
static int map_ring(struct xs_run *r, const char *key)
{
	unsigned long ref;
	uint32_t ref32;

	if (hb_read_ulong(r->d, HB_FE, key, &ref) || ref > 0xffffffffUL) {
		hb_log(r->d, "frontend %s missing or bad", key);
		return -1;
	}
	ref32 = (uint32_t)ref;
	r->ring[r->nr_rings] = hb_map(r->d, &ref32, 1, true);
	if (!r->ring[r->nr_rings])
		return -1;
	r->nr_rings++;
	hb_log(r->d, "mapped %s %lu", key, ref);
	return 0;
}

/* A real backend's part of the handshake, with the ring mapped and the
 * event channel bound when map. Returns the frontend's state at the end
 * (Connected, or Closed when it refused), -1 when it went quiet. */
static int connect(struct xs_run *r, bool map)
{
	struct hb_dev *d = r->d;
	unsigned int closed = 1u << XenbusStateClosing | 1u << XenbusStateClosed;
	unsigned long port;
	char *nq;
	int s;

	/* netfront goes Connected once its keys are written, blkfront
	 * Initialised. */
	s = hb_wait_fe_state(d, closed | 1u << XenbusStateInitialised |
				1u << XenbusStateConnected, HANDSHAKE_MS);
	if (s < 0 || (closed & (1u << s)))
		return s < 0 ? -1 : XenbusStateClosed;
	nq = hb_read(d, HB_FE, "multi-queue-num-queues");
	hb_log(d, "frontend asks for %s queue(s)", nq ? nq : "1");
	free(nq);
	if (map) {
		if (r->vif ? map_ring(r, "tx-ring-ref") || map_ring(r, "rx-ring-ref")
			   : map_ring(r, "ring-ref"))
			return -1;
		if (hb_read_ulong(d, HB_FE, "event-channel", &port) ||
		    hb_evtchn_bind(d, (unsigned int)port))
			return -1;
	}
	if (!r->vif &&
	    (hb_write(d, HB_BE, "sectors", "%u", VBD_SECTORS) ||
	     hb_write(d, HB_BE, "sector-size", "512") || hb_write(d, HB_BE, "info", "0")))
		return -1;
	apply_value(r);
	if (hb_set_state(d, XenbusStateConnected))
		return -1;
	if (r->vif)
		return XenbusStateConnected;	/* it was already */
	s = hb_wait_fe_state(d, closed | 1u << XenbusStateConnected, HANDSHAKE_MS);
	return s < 0 ? -1 : (closed & (1u << s)) ? XenbusStateClosed : s;
}

static void flap(struct xs_run *r)
{
	unsigned long n = hb_opt_ulong(r->d, "flaps", 40);

	for (unsigned long i = 0; i < n && !hb_expired(r->d); i++) {
		hb_write(r->d, HB_BE, "state", "%d", XenbusStateClosing);
		hb_sleep_ms(r->d, FLAP_MS);
		hb_write(r->d, HB_BE, "state", "%d", XenbusStateConnected);
		hb_sleep_ms(r->d, FLAP_MS);
	}
	hb_log(r->d, "flapped Connected <-> Closing %lu times, %u ms apart; frontend now %s", n,
	       FLAP_MS, hb_state_name(hb_fe_state(r->d)));
}

/* The toolstack's detach, whatever state things are in. */
static void detach(struct xs_run *r, bool be_gone)
{
	struct hb_dev *d = r->d;

	if (!be_gone) {
		hb_write(d, HB_BE, "online", "0");
		hb_set_state(d, XenbusStateClosing);
		hb_wait_fe_state(d, 1u << XenbusStateClosed, CLOSE_MS);
	}
	for (unsigned int i = 0; i < r->nr_rings; i++)
		hb_unmap(d, r->ring[i], 1);
	if (r->nr_rings)
		hb_log(d, "ring(s) unmapped");
	r->nr_rings = 0;
	if (d->port_bound) {
		xenevtchn_unbind(d->xe, d->port);
		d->port_bound = false;
	}
	if (!be_gone)
		hb_set_state(d, XenbusStateClosed);
	hb_remove_device(d);
}

static int xs_run(struct hb_dev *d)
{
	struct xs_run r = {
		.d = d, .mode = (enum xs_mode)d->attack->mode, .vif = !strcmp(d->type, "vif"),
	};
	bool be_gone = false;
	int s, rc = HB_EXIT_OK;

	if (create(&r))
		return HB_EXIT_FAIL;
	switch (r.mode) {
	case XS_INITWAIT:
		s = hb_wait_fe_state(d, 1u << XenbusStateClosed, GIVE_UP_MS);
		hb_log(d, "stayed in InitWait: the frontend %s", s == XenbusStateClosed ?
		       "gave up (Closed)" : "never gave up");
		rc = s == XenbusStateClosed ? HB_EXIT_OK : HB_EXIT_FAIL;
		break;
	case XS_FLAP:
	case XS_REMOVE:
		s = connect(&r, true);
		if (s != XenbusStateConnected) {
			hb_log(d, "frontend did not connect: no attack");
			rc = HB_EXIT_FAIL;
			break;
		}
		if (!guest_says(d, "hostile-go", GUEST_TURN_MS)) {
			rc = HB_EXIT_FAIL;
			break;
		}
		if (r.mode == XS_FLAP) {
			/* It ends Connected: only the frontend itself can fail
			 * the request now; the guest says when it has seen it. */
			flap(&r);
			guest_says(d, "hostile-close", GUEST_TURN_MS);
			break;
		}
		be_gone = xs_rm(d->xs, XBT_NULL, d->be);
		hb_log(d, "backend directory %s %s while connected", d->be,
		       be_gone ? "deleted" : "NOT deleted");
		s = hb_wait_fe_state(d, 1u << XenbusStateClosed, CLOSE_MS);
		hb_log(d, "frontend %s", s == XenbusStateClosed ? "took it as the end (Closed)" :
		       "did not close");
		guest_says(d, "hostile-close", GUEST_TURN_MS);
		break;
	case XS_VALUE:
		s = connect(&r, false);
		if (s == XenbusStateConnected) {
			hb_log(d, "frontend connected despite the value");
			guest_says(d, "hostile-close", GUEST_TURN_MS);
		} else {
			hb_log(d, "frontend refused the device (%s)",
			       s < 0 ? "went quiet" : hb_state_name(s));
			/* Left as it is until the guest has looked. */
			guest_says(d, "hostile-close", GUEST_TURN_MS);
		}
		break;
	}
	detach(&r, be_gone);
	answer_grants(d);
	return rc;
}

static const struct hb_attack xs_attacks[] = {
	{ "xs-initwait", NULL, XS_INITWAIT, xs_run,
	  "stays in InitWait for good: the frontend's bounded wait gives up" },
	{ "xs-flap", NULL, XS_FLAP, xs_run,
	  "connects, then flaps Connected <-> Closing (--opt flaps=N)" },
	{ "xs-remove", NULL, XS_REMOVE, xs_run,
	  "connects, then deletes the backend's directory while connected" },
	{ "xs-value", NULL, XS_VALUE, xs_run,
	  "a malformed backend key (--opt key=K --opt value=V) or a needed one removed (--opt rm=K)" },
	{ NULL, NULL, 0, NULL, NULL },
};
HB_ATTACKS(xs_attacks)
