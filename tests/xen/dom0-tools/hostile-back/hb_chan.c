/*
 * tests/xen/dom0-tools/hostile-back/hb_chan.c - the device's handles: open
 * and close, grant maps of the frontend's refs (libxengnttab) and the
 * interdomain event channel (libxenevtchn), its waits bounded.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "hb.h"

int hb_open(struct hb_dev *d, const char *type, unsigned int domid, unsigned int devid,
	    unsigned int max_seconds)
{
	d->type = type;
	d->domid = domid;
	d->devid = devid;
	d->start_ms = hb_now_ms();
	d->deadline_ms = d->start_ms + (uint64_t)max_seconds * 1000;
	snprintf(d->fe, sizeof(d->fe), "/local/domain/%u/device/%s/%u", domid, type, devid);
	/* Not under backend/: dom0's Linux blkback and netback watch
	 * backend/vbd and backend/vif and take over any device made there
	 * (blkback wrote its own features into ours and mapped the ring).
	 * The frontend finds the area through its backend node wherever it is. */
	snprintf(d->be, sizeof(d->be), "/local/domain/0/" HB_BACKEND_DIR "/%s/%u/%u", type, domid,
		 devid);
	d->xs = xs_open(0);
	d->gt = xengnttab_open(NULL, 0);
	d->xe = xenevtchn_open(NULL, 0);
	if (!d->xs || !d->gt || !d->xe) {
		hb_log(d, "cannot open %s: %s",
		       !d->xs ? "xenstore" : !d->gt ? "gntdev" : "evtchn", strerror(errno));
		hb_close(d);
		return -1;
	}
	/* Enough for a multi-page ring and indirect requests in flight. */
	xengnttab_set_max_grants(d->gt, 4096);
	return 0;
}

void hb_close(struct hb_dev *d)
{
	if (d->port_bound)
		xenevtchn_unbind(d->xe, d->port);
	d->port_bound = false;
	if (d->xe)
		xenevtchn_close(d->xe);
	if (d->gt)
		xengnttab_close(d->gt);
	if (d->xs)
		xs_close(d->xs);
	d->xe = NULL;
	d->gt = NULL;
	d->xs = NULL;
}

void *hb_map(struct hb_dev *d, const uint32_t *refs, unsigned int n, bool writable)
{
	void *p = xengnttab_map_domain_grant_refs(d->gt, n, d->domid, (uint32_t *)refs,
						  PROT_READ | (writable ? PROT_WRITE : 0));

	if (!p)
		hb_log(d, "grant map of %u ref(s) from %u (first %u) failed: %s", n, refs[0],
		       d->domid, strerror(errno));
	return p;
}

int hb_unmap(struct hb_dev *d, void *addr, unsigned int n)
{
	int rc = xengnttab_unmap(d->gt, addr, n);

	if (rc)
		hb_log(d, "grant unmap of %u page(s) failed: %s", n, strerror(errno));
	return rc;
}

int hb_evtchn_bind(struct hb_dev *d, unsigned int remote_port)
{
	xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(d->xe, d->domid, remote_port);

	if (p < 0) {
		hb_log(d, "event channel bind to %u:%u failed: %s", d->domid, remote_port,
		       strerror(errno));
		return -1;
	}
	d->port = (evtchn_port_t)p;
	d->port_bound = true;
	hb_log(d, "event channel: guest port %u bound as local %u", remote_port, d->port);
	return 0;
}

int hb_notify(struct hb_dev *d)
{
	if (!d->port_bound)
		return -1;
	return xenevtchn_notify(d->xe, d->port);
}

int hb_evtchn_wait(struct hb_dev *d, unsigned int ms)
{
	struct pollfd p = { .fd = xenevtchn_fd(d->xe), .events = POLLIN };
	unsigned int left = hb_left_ms(d, ms);
	xenevtchn_port_or_error_t port;
	int rc;

	if (!d->port_bound)
		return -1;
	rc = poll(&p, 1, (int)left);
	if (rc < 0)
		return errno == EINTR ? 0 : -1;
	if (rc == 0)
		return 0;
	port = xenevtchn_pending(d->xe);
	if (port < 0)
		return -1;
	xenevtchn_unmask(d->xe, (evtchn_port_t)port);
	return 1;
}
