/*
 * frontends/blkfront/blkfront_xenbus.c - blkfront's side of xenbus: the
 * vbd driver, the negotiation with the backend, the lifecycle, the host's
 * hooks and the device list.
 *
 * Following the backend: when it waits (InitWait) we read what it offers
 * for the rings (max-ring-page-order, multi-queue-max-queues), set up
 * min(ours, its) queues of rings, and publish in one transaction
 * ring-ref (ring-page-order and ring-refN for multi-page rings),
 * event-channel (under queue-N/ with multi-queue-num-queues when more than
 * one queue), protocol and feature-persistent, and Initialised with them
 * (pvk_xenbus_publish_with: one round of requests, as Linux's blkfront). When it
 * is Connected we read the disk (sectors, sector-size,
 * physical-sector-size, info) and its features (persistent, indirect
 * segments, flush, barrier, discard and its limits), check them, and go
 * Connected. Connected written again means "read sectors again": an
 * online resize. When it closes, in-flight I/O gets a bounded chance to
 * complete, the rest fails with -PVK_XEN_ENODEV, we go Closed, and once
 * the backend is Closed (it maps nothing of ours any more) every grant is
 * ended and the pages freed. After a resume in a new domain
 * (blkfront_suspend.c) the same negotiation runs with the new backend, the
 * disk must be the one of before, and what was in flight is requeued
 * before the host's submits are taken again.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "blkfront_internal.h"

/* How long a closing backend gets to answer what is in flight. */
#define DRAIN_NS	(5ULL * 1000 * 1000 * 1000)

/*
 * The device list. Probe (a xenbus callback) links into it and release
 * unlinks from it, both in the watch worker role and under devices_lock;
 * so a holder of the role may walk it as it is, and anyone else (the
 * wait_connected loop, on a host's thread) walks it under the lock.
 */
static struct pvk_blkfront *devices;
static struct pvk_lock devices_lock;
static bool registered, devices_lock_ready;
static const struct pvk_blkfront_hooks *hooks;

/* How long a host's call (release, the give-up) waits for another CPU's
 * callbacks to return before it takes the role. */
#define ROLE_WAIT_NS	PVK_XS_TIMEOUT_NS

/* The device id is the virtual device number: all digits, in range. */
static int parse_vdev(const char *id, unsigned int *out)
{
	unsigned long v;
	int rc = pvk_xs_parse_ulong(id, &v);

	if (rc || v > 0xffffffffUL)
		return -PVK_XEN_EINVAL;
	*out = (unsigned int)v;
	return 0;
}

static int blkfront_probe(struct pvk_xenbus_device *xdev)
{
	struct pvk_blkfront *dev;
	unsigned int vdev;

	if (parse_vdev(xdev->id, &vdev))
		return -PVK_XEN_EINVAL;
	dev = pvk_port_malloc(sizeof(*dev));
	if (!dev)
		return -PVK_XEN_ENOMEM;
	__builtin_memset(dev, 0, sizeof(*dev));
	pvk_port_lock_init(&dev->lock);
	pvk_port_wait_init(&dev->wait);
	dev->xdev = xdev;
	pvk_snprintf(dev->name, sizeof(dev->name), "%s", xdev->nodename);
	dev->backend = (pvk_domid_t)xdev->otherend_id;
	dev->info.vdev = vdev;
	xdev->priv = dev;
	pvk_port_lock(&devices_lock);
	dev->next = devices;
	devices = dev;
	pvk_port_unlock(&devices_lock);
	return 0;
}

/* The host hears once that a disk it was told of is gone. */
static void tell_removed(struct pvk_blkfront *dev)
{
	if (dev->removed_told || !dev->connected_once)
		return;
	dev->removed_told = true;
	if (hooks && hooks->removed)
		hooks->removed(dev);
}

static unsigned int min_u(unsigned long a, unsigned long b)
{
	return (unsigned int)(a < b ? a : b);
}

/* Every key of a connection, and the removals of another layout's, are
 * written with our Initialised in ONE transaction (pvk_xenbus_publish:
 * the backend sees them together, and a removal of a key that is not
 * there costs nothing). The most there can be: the old layout's removals
 * (ring-page-order, multi-queue-num-queues and every queue-N; ring-ref
 * and every ring-refN), the top-level keys (protocol, feature-persistent,
 * ring-page-order, multi-queue-num-queues) and each queue's refs and
 * port. Some 9 KiB (not on the stack): allocated at the device's first
 * publication and kept with it (dev->keyset), with the xenbus
 * publication's own working memory (the listing, the requests, their
 * paths: ks->scratch, pvk_xenbus_publish_with), so that a resume's
 * publication allocates nothing (review s12: a failed allocation gave the
 * disk up then; review s13 M1: xenbus.c still allocated per publication). */
#define QUEUE_KEYS		(BLKFRONT_MAX_RING_PAGES + 1)
#define STALE_LAYOUT_KEYS	(2 + BLKFRONT_MAX_QUEUES)
#define STALE_RING_KEYS		(1 + BLKFRONT_MAX_RING_PAGES)
#define TOP_KEYS		4
#define MAX_KEYS		(STALE_LAYOUT_KEYS + STALE_RING_KEYS + TOP_KEYS + \
				 BLKFRONT_MAX_QUEUES * QUEUE_KEYS)

struct blkfront_keyset {
	struct pvk_xenbus_publish_scratch *scratch;
	/* A publication under way fills kv/key/val and its transaction
	 * reads them until it ends (again at a retry): a second one of the
	 * same device nested inside it (a watch delivered in its xenstore
	 * wait) is refused, never allowed to overwrite them (review s13 S1). */
	bool publishing;
	unsigned int n;
	bool overflow;		/* a key did not fit: nothing is written */
	struct pvk_xenbus_kv kv[MAX_KEYS];
	char key[MAX_KEYS][24];
	char val[MAX_KEYS][12];
};

static void add_key(struct blkfront_keyset *ks, const char *prefix, const char *key,
		    unsigned int num, bool numbered, const char *val)
{
	unsigned int i = ks->n;

	/* MAX_KEYS counts the most a publication adds; a batch grown past
	 * it fails the write instead of the memory. */
	if (i >= MAX_KEYS) {
		ks->overflow = true;
		return;
	}
	ks->n++;
	if (numbered)
		pvk_snprintf(ks->key[i], sizeof(ks->key[i]), "%s%s%u", prefix, key, num);
	else
		pvk_snprintf(ks->key[i], sizeof(ks->key[i]), "%s%s", prefix, key);
	pvk_snprintf(ks->val[i], sizeof(ks->val[i]), "%s", val);
	ks->kv[i].key = ks->key[i];
	ks->kv[i].value = ks->val[i];
}

/* A key to remove (absent already: fine). */
static void add_removal(struct blkfront_keyset *ks, const char *key, unsigned int num, bool numbered)
{
	add_key(ks, "", key, num, numbered, "");
	if (!ks->overflow)
		ks->kv[ks->n - 1].value = NULL;
}

/*
 * The keys of another layout that an earlier connection of this device
 * may have left (the driver reloaded with other options: fewer queues, a
 * smaller ring), removed before we publish ours: the backend reads
 * multi-queue-num-queues and ring-page-order first and would take the old
 * ones, and the old ring refs with them. Seen on Xen: a reload with
 * queues=1,ring_order=0 left multi-queue-num-queues=2 and blkback mapped
 * the old queue-N refs.
 */
static void add_stale(struct blkfront_keyset *ks, unsigned int order, unsigned int nq)
{
	if (!order)
		add_removal(ks, "ring-page-order", 0, false);
	if (nq <= 1) {
		add_removal(ks, "multi-queue-num-queues", 0, false);
		for (unsigned int i = 0; i < BLKFRONT_MAX_QUEUES; i++)
			add_removal(ks, "queue-", i, true);
	} else {
		add_removal(ks, "event-channel", 0, false);
	}
	if (nq > 1 || order)
		add_removal(ks, "ring-ref", 0, false);
	if (nq > 1 || !order)
		for (unsigned int j = 0; j < BLKFRONT_MAX_RING_PAGES; j++)
			add_removal(ks, "ring-ref", j, true);
}

/* Our keys and Initialised, one transaction. */
int blkfront_publish(struct pvk_blkfront *dev, unsigned int order)
{
	unsigned int nq = dev->info.nr_queues;
	struct blkfront_keyset *ks = dev->keyset;
	char num[12];
	int rc;

	if (!ks) {
		ks = pvk_port_malloc(sizeof(*ks));
		if (!ks)
			return -PVK_XEN_ENOMEM;
		ks->scratch = NULL;
		ks->publishing = false;
		dev->keyset = ks;
	}
	if (!ks->scratch) {
		ks->scratch = pvk_xenbus_publish_scratch_alloc(dev->xdev, MAX_KEYS,
							       sizeof(ks->key[0]) - 1);
		if (!ks->scratch)
			return -PVK_XEN_ENOMEM;
	}
	if (ks->publishing) {
		pvk_err("blkfront: %s: a publication nested inside another refused", dev->name);
		return -PVK_XEN_EBUSY;
	}
	ks->publishing = true;
	ks->n = 0;
	ks->overflow = false;
	add_stale(ks, order, nq);
	add_key(ks, "", "protocol", 0, false, "x86_64-abi");
	add_key(ks, "", "feature-persistent", 0, false, blkfront_opts.persistent ? "1" : "0");
	if (order) {
		pvk_snprintf(num, sizeof(num), "%u", order);
		add_key(ks, "", "ring-page-order", 0, false, num);
	}
	if (nq > 1) {
		pvk_snprintf(num, sizeof(num), "%u", nq);
		add_key(ks, "", "multi-queue-num-queues", 0, false, num);
	}
	for (unsigned int i = 0; i < nq; i++) {
		struct blkfront_queue *q = &dev->queues[i];
		char prefix[12] = "";

		/* One queue: the keys of old, at the top; else queue-N/. */
		if (nq > 1)
			pvk_snprintf(prefix, sizeof(prefix), "queue-%u/", i);
		for (unsigned int j = 0; j < dev->info.ring_pages; j++) {
			pvk_snprintf(num, sizeof(num), "%u", q->ring_ref[j]);
			add_key(ks, prefix, "ring-ref", j, order > 0, num);
		}
		pvk_snprintf(num, sizeof(num), "%u", q->port);
		add_key(ks, prefix, "event-channel", 0, false, num);
	}
	if (ks->overflow) {
		pvk_err("blkfront: %s: more than %u keys to publish: none written (a kit bug)",
			dev->name, (unsigned int)MAX_KEYS);
		rc = -PVK_XEN_ENOSPC;
	} else {
		rc = pvk_xenbus_publish_with(dev->xdev, ks->kv, ks->n,
					     PVK_XenbusStateInitialised, ks->scratch);
	}
	ks->publishing = false;
	return rc;
}

/* Offers no backend could mean: warned about (the smaller of ours and
 * its is used either way). */
#define OFFER_ABSURD_ORDER	16
#define OFFER_ABSURD_QUEUES	1024

/* The device is not used: told Closed; the grants end when the backend
 * is Closed too (it may have seen the keys), or when the bounded wait
 * gives up on it (a page it maps stays granted). */
static void give_up(struct pvk_blkfront *dev)
{
	dev->gone = true;
	pvk_xenbus_switch_state(dev->xdev, PVK_XenbusStateClosed);
	/* Reconnecting after a restore: the requests of before fail (EIO),
	 * each host request's done() once, and the device is back to the
	 * host, given up (its submits say -ENODEV). */
	if (PVK_READ_ONCE(dev->resuming))
		pvk_err("blkfront: %s: the new backend was refused after the restore: device closed",
			dev->name);
	blkfront_replay_fail(dev, -PVK_XEN_EIO);
}

void blkfront_give_up(struct pvk_blkfront *dev)
{
	give_up(dev);
}

struct pvk_blkfront *blkfront_devices(void)
{
	return devices;
}

/* Backend in InitWait: share the rings and tell it where they are. */
static void blkfront_initialise(struct pvk_blkfront *dev)
{
	struct pvk_xenbus_device *xdev = dev->xdev;
	unsigned long max_order, max_queues;
	unsigned int order, nq;
	int rc;

	if (xdev->state != PVK_XenbusStateInitialising || dev->gone)
		return;
	if (__atomic_load_n(&dev->resume_gave_up, __ATOMIC_ACQUIRE)) {
		/* Its reconnect ran past its deadline: no new rings. */
		give_up(dev);
		return;
	}
	{
		const struct pvk_xenbus_feature f[] = {
			{ "max-ring-page-order", 0, &max_order },
			{ "multi-queue-max-queues", 1, &max_queues },
		};

		rc = pvk_xenbus_read_features(xdev, f, PVK_ARRAY_SIZE(f), NULL);
	}
	if (rc) {
		/* xenbus logged which key and what text. */
		pvk_err("blkfront: %s: backend's ring offer unreadable: device refused",
			xdev->nodename);
		give_up(dev);
		return;
	}
	/* What it offers only ever lowers what we ask for; an offer past
	 * anything real is said, and changes nothing. */
	if (max_order > OFFER_ABSURD_ORDER || max_queues > OFFER_ABSURD_QUEUES)
		pvk_warn("blkfront: %s: backend offers max-ring-page-order %lu, multi-queue-max-queues %lu: absurd, at most ours used (%u, %u)",
			 xdev->nodename, max_order, max_queues, blkfront_opts.ring_order,
			 blkfront_opts.queues);
	order = min_u(blkfront_opts.ring_order, max_order);
	nq = min_u(blkfront_opts.queues, max_queues ? max_queues : 1);
	rc = blkfront_queues_setup(dev, nq, 1u << order);
	if (!rc && xdev->resume_timing)
		/* Where a reconnect's time goes (xenbus stamps the rest). */
		pvk_info("blkfront: %s: rings set up (+%llu us after the resume)", dev->name,
			 (unsigned long long)((pvk_time_now_ns() - xdev->resume_t0_ns) / 1000));
	if (!rc)
		rc = blkfront_publish(dev, order);
	if (rc) {
		pvk_err("blkfront: %s: cannot set up the rings: %d", xdev->nodename, rc);
		give_up(dev);
	}
}

/* Why the backend's description of the disk is refused: the message. */
struct refusal {
	char why[112];
};

/* The disk's size (512-byte units, as blkif counts it), checked against
 * its sector size: whole logical sectors, and bytes that fit in 64 bits. */
static int check_sectors(unsigned long sectors, unsigned int ssize, uint64_t *out,
			 struct refusal *r)
{
	if (sectors == 0)
		pvk_snprintf(r->why, sizeof(r->why), "sectors missing or 0");
	else if (sectors > UINT64_MAX / BLKFRONT_SECT)
		pvk_snprintf(r->why, sizeof(r->why),
			     "sectors %lu: the size in bytes overflows 64 bits", sectors);
	else if (sectors % (ssize / BLKFRONT_SECT))
		pvk_snprintf(r->why, sizeof(r->why),
			     "sectors %lu: not whole %u-byte sectors", sectors, ssize);
	else {
		*out = sectors;
		return 0;
	}
	return -PVK_XEN_EINVAL;
}

/* The size alone, read again (an online resize). */
static int read_sectors(struct pvk_xenbus_device *xdev, unsigned int ssize,
			uint64_t *out, struct refusal *r)
{
	unsigned long sectors;
	int rc = pvk_xenbus_read_feature(xdev, "sectors", 0, &sectors);

	if (rc) {
		pvk_snprintf(r->why, sizeof(r->why), "sectors unreadable (%d)", rc);
		return rc;
	}
	return check_sectors(sectors, ssize, out, r);
}

struct backend_says {
	unsigned long ssize, pssize, info, flush, barrier, persistent, indirect;
	unsigned long discard, gran, align, secure, sectors_text;
	uint64_t sectors;
};

static bool pow2_in(unsigned long v, unsigned long lo, unsigned long hi)
{
	return v >= lo && v <= hi && !(v & (v - 1));
}

static int read_backend(struct pvk_xenbus_device *xdev, struct backend_says *b,
			struct refusal *r)
{
	static const struct {
		const char *key;
		unsigned long def;
		size_t off;
	} keys[] = {
		{ "sector-size", 512, __builtin_offsetof(struct backend_says, ssize) },
		{ "physical-sector-size", 0, __builtin_offsetof(struct backend_says, pssize) },
		{ "info", 0, __builtin_offsetof(struct backend_says, info) },
		{ "feature-flush-cache", 0, __builtin_offsetof(struct backend_says, flush) },
		{ "feature-barrier", 0, __builtin_offsetof(struct backend_says, barrier) },
		{ "feature-persistent", 0, __builtin_offsetof(struct backend_says, persistent) },
		{ "feature-max-indirect-segments", 0,
		  __builtin_offsetof(struct backend_says, indirect) },
		{ "feature-discard", 0, __builtin_offsetof(struct backend_says, discard) },
		{ "discard-granularity", 0, __builtin_offsetof(struct backend_says, gran) },
		{ "discard-alignment", 0, __builtin_offsetof(struct backend_says, align) },
		{ "discard-secure", 0, __builtin_offsetof(struct backend_says, secure) },
		{ "sectors", 0, __builtin_offsetof(struct backend_says, sectors_text) },
	};
	struct pvk_xenbus_feature f[PVK_ARRAY_SIZE(keys)];
	unsigned int bad = PVK_ARRAY_SIZE(keys);
	const char *flag = NULL;
	int rc;

	/* All in one round trip, the size with them; each text still read
	 * once and checked. */
	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(keys); i++)
		f[i] = (struct pvk_xenbus_feature){ keys[i].key, keys[i].def,
						    (unsigned long *)((char *)b + keys[i].off) };
	rc = pvk_xenbus_read_features(xdev, f, PVK_ARRAY_SIZE(f), &bad);
	if (rc) {
		/* xenbus logged the text it found. */
		pvk_snprintf(r->why, sizeof(r->why), "%s unreadable (%d)",
			     bad < PVK_ARRAY_SIZE(keys) ? keys[bad].key : "?", rc);
		return rc;
	}
	if (!b->pssize)
		b->pssize = b->ssize;
	if (b->flush > 1)
		flag = "feature-flush-cache";
	else if (b->barrier > 1)
		flag = "feature-barrier";
	else if (b->persistent > 1)
		flag = "feature-persistent";
	else if (b->discard > 1)
		flag = "feature-discard";
	if (!pow2_in(b->ssize, 512, 4096))
		pvk_snprintf(r->why, sizeof(r->why),
			     "sector-size %lu: not a power of two in 512..4096", b->ssize);
	else if (!pow2_in(b->pssize, b->ssize, 65536))
		pvk_snprintf(r->why, sizeof(r->why),
			     "physical-sector-size %lu: not a power of two in %lu..65536",
			     b->pssize, b->ssize);
	else if (b->info > 0xffff)
		pvk_snprintf(r->why, sizeof(r->why), "info 0x%lx: more than 16 bits", b->info);
	else if (flag)
		pvk_snprintf(r->why, sizeof(r->why), "%s: not 0 or 1", flag);
	else
		return check_sectors(b->sectors_text, (unsigned int)b->ssize, &b->sectors, r);
	return -PVK_XEN_EINVAL;
}

/* Discard limits that make sense: 512-byte multiples, the alignment
 * inside one granule. Else discard is not used (the disk still is). */
static bool discard_sane(const struct backend_says *b)
{
	if (b->gran % BLKFRONT_SECT || b->align % BLKFRONT_SECT || b->secure > 1 ||
	    b->gran > 0x40000000UL)
		return false;
	return b->gran ? b->align < b->gran : b->align == 0;
}

static void log_connected(struct pvk_blkfront *dev)
{
	const struct pvk_blkfront_info *i = &dev->info;

	/* Two lines: the kit's log lines are at most 256 bytes. */
	pvk_info("blkfront: %s: connected: %llu sectors, sector size %u, physical %u, info 0x%x%s",
		 dev->name, (unsigned long long)i->sectors, i->sector_size,
		 i->physical_sector_size, i->vdisk_info,
		 (i->vdisk_info & PVK_VDISK_READONLY) ? " (read-only)" : "");
	pvk_info("blkfront: %s: ring pages %u, queues %u, depth %u, persistent %s, indirect segments %u, max segments %u, flush %s, barrier %s, discard %s (granularity %u, alignment %u, secure %s)",
		 dev->name, i->ring_pages, i->nr_queues, i->depth, i->persistent ? "yes" : "no",
		 i->indirect_segments, i->max_segments, i->flush ? "yes" : "no",
		 i->barrier ? "yes" : "no", i->discard ? "yes" : "no",
		 i->discard_granularity, i->discard_alignment,
		 i->discard_secure ? "yes" : "no");
}

/* Backend Connected: learn the disk, check it, and go Connected. */
static void blkfront_connect(struct pvk_blkfront *dev)
{
	struct pvk_xenbus_device *xdev = dev->xdev;
	struct backend_says b;
	struct refusal r;
	unsigned int ind;
	int rc;

	if (xdev->state != PVK_XenbusStateInitialised || dev->gone)
		return;
	if (__atomic_load_n(&dev->resume_gave_up, __ATOMIC_ACQUIRE)) {
		/* Its reconnect's deadline passed meanwhile: told Closed. */
		give_up(dev);
		return;
	}
	rc = read_backend(xdev, &b, &r);
	if (rc) {
		pvk_err("blkfront: %s: backend describes the disk badly: %s: device refused",
			dev->name, r.why);
		give_up(dev);
		return;
	}
	if (b.discard && !discard_sane(&b)) {
		pvk_warn("blkfront: %s: backend's discard limits make no sense (granularity %lu, alignment %lu, secure %lu): discard not used",
			 dev->name, b.gran, b.align, b.secure);
		b.discard = 0;
	}
	/* After a resume: the same disk, or none. Requests of before name
	 * its sectors in its sector size; another disk would get them. */
	if (dev->resuming && dev->connected_once && (b.sectors != dev->info.sectors ||
			      b.ssize != dev->info.sector_size)) {
		pvk_err("blkfront: %s: the disk changed across the restore (%llu sectors of %u bytes, now %llu of %lu): device refused, its requests fail",
			dev->name, (unsigned long long)dev->info.sectors, dev->info.sector_size,
			(unsigned long long)b.sectors, b.ssize);
		give_up(dev);
		return;
	}
	/* Indirect only pays beyond what a direct request carries. */
	ind = min_u(blkfront_opts.indirect, b.indirect);
	if (ind <= PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST)
		ind = 0;
	pvk_port_lock(&dev->lock);
	dev->info.sectors = b.sectors;
	dev->info.sector_size = (unsigned int)b.ssize;
	dev->info.physical_sector_size = (unsigned int)b.pssize;
	dev->info.vdisk_info = (unsigned int)b.info;
	dev->info.flush = b.flush && blkfront_opts.flush;
	dev->info.barrier = b.barrier && blkfront_opts.barrier;
	dev->info.discard = b.discard && blkfront_opts.discard;
	dev->info.discard_secure = dev->info.discard && b.secure;
	dev->info.discard_granularity = dev->info.discard ? (unsigned int)b.gran : 0;
	dev->info.discard_alignment = dev->info.discard ? (unsigned int)b.align : 0;
	/* We offered it (feature-persistent) and the backend uses it. */
	dev->info.persistent = b.persistent && blkfront_opts.persistent;
	dev->info.indirect_segments = ind;
	dev->info.max_segments = ind ? ind : PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST;
	dev->info.max_bytes = (size_t)dev->info.max_segments * BLKFRONT_PAGE;
	pvk_port_unlock(&dev->lock);
	rc = pvk_xenbus_switch_state(xdev, PVK_XenbusStateConnected);
	if (rc) {
		if (dev->resuming) {
			pvk_err("blkfront: %s: cannot say Connected to the new backend (%d)",
				dev->name, rc);
			give_up(dev);
		}
		return;
	}
	pvk_port_lock(&dev->lock);
	dev->connected = true;
	pvk_port_unlock(&dev->lock);
	log_connected(dev);
	/* After a resume the requests of before go first, then the host's
	 * own again; a disk the host knows is not announced twice. */
	if (dev->resuming)
		blkfront_replay_all(dev);
	if (dev->connected_once)
		return;
	pvk_port_lock(&dev->lock);
	dev->connected_once = true;
	pvk_port_unlock(&dev->lock);
	if (hooks && hooks->added)
		hooks->added(dev);
}

/* Connected again: the backend changed the disk's size. */
static void blkfront_resize(struct pvk_blkfront *dev)
{
	uint64_t sectors, old;
	struct refusal r;
	int rc;

	if (!dev->connected || dev->gone || !dev->xdev)
		return;
	rc = read_sectors(dev->xdev, dev->info.sector_size, &sectors, &r);
	if (rc) {
		pvk_err("blkfront: %s: backend gives a bad new size: %s: size kept", dev->name,
			r.why);
		return;
	}
	pvk_port_lock(&dev->lock);
	old = dev->info.sectors;
	dev->info.sectors = sectors;
	pvk_port_unlock(&dev->lock);
	if (old == sectors)
		return;
	pvk_info("blkfront: %s: resized from %llu to %llu sectors", dev->name,
		 (unsigned long long)old, (unsigned long long)sectors);
	if (hooks && hooks->resized)
		hooks->resized(dev, old);
}

static bool drained(void *arg)
{
	struct pvk_blkfront *dev = arg;
	unsigned int out = 0;

	pvk_blkfront_poll(dev);
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++)
		out += PVK_READ_ONCE(dev->queues[i].outstanding);
	return out == 0 || PVK_READ_ONCE(dev->broken);
}

/* No new I/O; what is in flight gets a bounded chance to be answered (the
 * backend answers it before it lets the rings go); the rest fails. */
static void blkfront_close(struct pvk_blkfront *dev, bool wait)
{
	pvk_port_lock(&dev->lock);
	dev->connected = false;
	pvk_port_unlock(&dev->lock);
	if (wait && !dev->gone)
		pvk_port_wait_until(&dev->wait, drained, dev, DRAIN_NS);
	dev->gone = true;
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	/* Closed while reconnecting after a resume: what waited to be
	 * requeued fails too, and the host's waits end. */
	blkfront_replay_fail(dev, -PVK_XEN_ENODEV);
}

static void blkfront_backend_changed(struct pvk_xenbus_device *xdev,
				     enum pvk_xenbus_state s)
{
	struct pvk_blkfront *dev = xdev->priv;

	dev->in_callback++;
	blkfront_resume_check_deadline(dev);
	switch (s) {
	case PVK_XenbusStateInitWait:
		blkfront_initialise(dev);
		break;
	case PVK_XenbusStateConnected:
		if (xdev->state == PVK_XenbusStateConnected)
			blkfront_resize(dev);
		else
			blkfront_connect(dev);
		break;
	case PVK_XenbusStateClosing:
		/* The backend may map our pages until it is Closed: their
		 * grants end then, not now. */
		blkfront_close(dev, true);
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		pvk_info("blkfront: %s: backend closing: device closed", xdev->nodename);
		tell_removed(dev);
		break;
	case PVK_XenbusStateClosed:
		blkfront_close(dev, false);
		blkfront_queues_teardown(dev);
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		tell_removed(dev);
		break;
	default:
		break;
	}
	dev->in_callback--;
}

static void blkfront_rewritten(struct pvk_xenbus_device *xdev,
			       enum pvk_xenbus_state s)
{
	struct pvk_blkfront *dev = xdev->priv;

	if (s == PVK_XenbusStateConnected && xdev->state == PVK_XenbusStateConnected) {
		dev->in_callback++;
		blkfront_resize(dev);
		dev->in_callback--;
	}
}

static void blkfront_remove(struct pvk_xenbus_device *xdev)
{
	struct pvk_blkfront *dev = xdev->priv;

	blkfront_close(dev, false);
	blkfront_queues_teardown(dev);
	tell_removed(dev);
	/* The structure stays (the host may still hold it: every request
	 * on it fails with -PVK_XEN_ENODEV); only xdev goes away. */
	pvk_port_lock(&dev->lock);
	dev->xdev = NULL;
	pvk_port_unlock(&dev->lock);
}

/* In the role: what pvk_blkfront_release() decides and does. */
static int release_in_role(struct pvk_blkfront *dev)
{
	bool removed;

	pvk_port_lock(&dev->lock);
	removed = dev->xdev == NULL && !dev->in_callback;
	pvk_port_unlock(&dev->lock);
	/* Still on xenbus, or removed by watches run inside one of its
	 * callbacks that has yet to return, or the backend still maps a page
	 * of it (not yet Closed, or it kept one): nothing may go. */
	if (!removed)
		return -PVK_XEN_EBUSY;
	/* A page the backend kept mapped at teardown may be free by now. */
	if (pvk_blkfront_grants_held(dev))
		blkfront_queues_retry_kept(dev);
	if (pvk_blkfront_grants_held(dev))
		return -PVK_XEN_EBUSY;
	/* Nor while a queue's event channel could not be closed: its
	 * handler may still run on the queue (blkfront_queues_teardown). */
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++)
		if (dev->queues[i].port_bound)
			return -PVK_XEN_EBUSY;
	pvk_port_lock(&devices_lock);
	for (struct pvk_blkfront **pp = &devices; *pp; pp = &(*pp)->next) {
		if (*pp == dev) {
			*pp = dev->next;
			break;
		}
	}
	pvk_port_unlock(&devices_lock);
	blkfront_queues_free(dev);
	if (dev->keyset)
		pvk_xenbus_publish_scratch_free(dev->keyset->scratch);
	pvk_port_free(dev->keyset);
	pvk_port_free(dev);
	return 0;
}

/*
 * A host's thread, not a callback: the device's callbacks (a removal's
 * teardown, a hot-plugged disk's probe linking into the list) run on the
 * watch worker, maybe another CPU, so the whole decision is made in the
 * role. When it cannot be had, -PVK_XEN_EBUSY: nothing changed, try
 * again, as for any other refusal.
 */
int pvk_blkfront_release(struct pvk_blkfront *dev)
{
	int rc;

	if (pvk_xenbus_worker_enter(ROLE_WAIT_NS))
		return -PVK_XEN_EBUSY;	/* logged */
	rc = release_in_role(dev);
	pvk_xenbus_worker_leave();
	return rc;
}

static struct pvk_xenbus_driver blkfront_driver = {
	.devclass = "vbd",
	.probe = blkfront_probe,
	.otherend_changed = blkfront_backend_changed,
	.remove = blkfront_remove,
	.otherend_rewritten = blkfront_rewritten,
};

int pvk_blkfront_init(const struct pvk_blkfront_hooks *h)
{
	int rc;

	if (registered)
		return 0;
	if (!devices_lock_ready) {
		pvk_port_lock_init(&devices_lock);
		devices_lock_ready = true;
	}
	hooks = h;
	rc = pvk_xenbus_register_driver(&blkfront_driver);
	if (!rc) {
		registered = true;
		blkfront_suspend_register();
	}
	return rc;
}

/* With or without the role (under devices_lock). */
static struct pvk_blkfront *find_connected(unsigned int vdev)
{
	struct pvk_blkfront *found = NULL;

	if (!devices_lock_ready)
		return NULL;	/* not registered: no device yet */
	pvk_port_lock(&devices_lock);
	for (struct pvk_blkfront *d = devices; d && !found; d = d->next)
		if (d->info.vdev == vdev && PVK_READ_ONCE(d->connected) && !PVK_READ_ONCE(d->gone))
			found = d;
	pvk_port_unlock(&devices_lock);
	return found;
}

/* In the role: a disk of that number still on xenbus, not connected,
 * not given up; not one reconnecting after a resume (its backend did
 * connect it: its own waits bound that). */
static struct pvk_blkfront *find_negotiating(unsigned int vdev)
{
	for (struct pvk_blkfront *d = devices; d; d = d->next)
		if (d->info.vdev == vdev && d->xdev && !d->gone && !d->resuming &&
		    !PVK_READ_ONCE(d->connected))
			return d;
	return NULL;
}

/*
 * The bounded wait ran out while the backend never connected the disk (it
 * stayed in InitWait, or went quiet half-way): the device is given up,
 * not left half-negotiated. No I/O was ever accepted on it; it goes
 * Closed toward the backend and its grants end now (a page the backend
 * maps stays granted, never reused; the toolstack's removal tries again).
 *
 * This runs from the host's thread, and the device's callbacks run on
 * the watch worker, maybe another CPU: a Connected arriving just as the
 * bound runs out would connect the disk (and tell the host) beside a
 * teardown that frees its rings. So the give-up takes the worker role,
 * then looks again: a disk connected meanwhile is returned as connected;
 * one given up, removed, or inside a callback of its own (the host waits
 * from a hook that callback called) is left as it is.
 */
static int give_up_waiting(unsigned int vdev, uint64_t waited_ns, struct pvk_blkfront **out)
{
	struct pvk_blkfront *dev;
	int rc = -PVK_XEN_ETIMEDOUT;

	*out = NULL;
	if (pvk_xenbus_worker_enter(ROLE_WAIT_NS))
		return rc;	/* logged; nothing changed, the host may wait again */
	*out = find_connected(vdev);
	if (*out) {
		rc = 0;
	} else if ((dev = find_negotiating(vdev)) && !dev->in_callback) {
		struct pvk_xenbus_device *xdev = dev->xdev;

		pvk_err("blkfront: %s: backend still %s after %llu ms (we are %s): giving up: device closed",
			dev->name, pvk_xenbus_state_name(xdev->otherend_state),
			(unsigned long long)(waited_ns / 1000000),
			pvk_xenbus_state_name(xdev->state));
		/* Watches run inside the state write's wait (nested, in this
		 * role): a removal there must not free dev under us. */
		dev->in_callback++;
		blkfront_close(dev, false);
		pvk_xenbus_switch_state(xdev, PVK_XenbusStateClosed);
		blkfront_queues_teardown(dev);
		dev->in_callback--;
		*out = dev;
	}
	pvk_xenbus_worker_leave();
	return rc;
}

int pvk_blkfront_wait_connected(unsigned int vdev, uint64_t timeout_ns,
				struct pvk_blkfront **out)
{
	uint64_t start = pvk_time_now_ns();
	/* The largest timeout is a long wait, not none: no wrap. */
	uint64_t deadline = start + timeout_ns < start ? UINT64_MAX : start + timeout_ns;

	while (!(*out = find_connected(vdev))) {
		uint64_t now = pvk_time_now_ns();

		if (now >= deadline)
			return give_up_waiting(vdev, now - start, out);
		pvk_xs_wait_watches(deadline - now);
	}
	return 0;
}
