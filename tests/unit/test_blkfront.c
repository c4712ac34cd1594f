/*
 * tests/unit/test_blkfront.c - blkfront's pure logic and data path
 * (frontends/blkfront/: options, ring entry access, queues, requests)
 * against a backend played by the test, on rings in host memory.
 *
 * The backend consumes requests and answers them as blkback would (a
 * 4,000-sector disk in memory; direct, indirect, flush and discard
 * requests; data through the granted pages), or as a broken or hostile
 * one might: an unknown or repeated id, another operation, an unknown
 * status, a response index beyond what is outstanding, a grant it keeps
 * mapped. Each of those must mark the device broken, fail the outstanding
 * request with -EIO, refuse later ones, and never free a page the backend
 * still maps. Also: option parsing, the packed segment layout of
 * scatter-gather requests, indirect page layout, multi-page rings,
 * persistent grant accounting, id rotation, notification batching, and
 * grants kept (not claimed lost) when the device closes with I/O in flight.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <pvkit/smp.h>
#include <pvkit/suspend.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include "frontends/blkfront/blkfront_internal.h"
#include "fake_kit.h"
#include "unit.h"
#include "unit_xenbus.h"

/* ---- The kit interfaces blkfront uses, played by the test ------------- */

#define MAX_REFS 4096
#define FAKE_PORTS 64		/* ports handed out between resets */
static struct {
	void *page[MAX_REFS];		/* granted page by ref, NULL when free */
	bool readonly[MAX_REFS];
	bool mapped[MAX_REFS];		/* "the backend maps it": end refused */
	unsigned int next, live;
	unsigned int sends;
	int grants_left;		/* > 0: grants that succeed, then ENOSPC */
	bool refuse;			/* every grant ENOSPC (netfront tests) */
	bool map_on_grant;		/* a hostile backend maps each grant at once */
	void (*on_grant)(void);		/* runs first in the next grant (once): a
					 * second submitter meanwhile */
	void *last_page;		/* the page granted last */
	pvk_domid_t grant_domid;	/* the domain of the last grant */
	pvk_domid_t port_domid;		/* of the last unbound channel */
	pvk_evtchn_handler_t handler[FAKE_PORTS];
	void *arg[FAKE_PORTS];
	unsigned int ports;
} kit;

/* The played watch worker role (below) watches these. */
static void role_note_free(const void *ptr);
static void role_outside_moment(void);

/* Non-zero: an allocation larger than this fails (a test's low memory). */
size_t unit_fail_malloc_over;

void *pvk_port_malloc(size_t size)
{
	return unit_fail_malloc_over && size > unit_fail_malloc_over ? NULL : malloc(size);
}
void pvk_port_free(void *ptr)
{
	role_note_free(ptr);
	free(ptr);
}
void pvk_port_wait_init(struct pvk_wait *w) { (void)w; }
void pvk_port_wake(struct pvk_wait *w) { (void)w; }
/* Nothing runs behind the caller's back here: a false condition stays so;
 * except what a test plays inside the next wait (once): another thread's
 * work while the caller sleeps (a whole suspend and resume, say). */
static void (*during_next_wait)(void);
/* The timeouts asked of the waits: the last, the longest since reset. */
static uint64_t last_wait_ns;
/* Waits that would never have ended on a real port: an infinite timeout
 * (2^63 ns and more) whose condition was false at the end. Returned as
 * timed out here, but counted: a test whose waits must end by a deadline
 * checks none did (review s12-int M2). */
static unsigned int hung_waits;

int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			uint64_t timeout_ns)
{
	(void)w;
	last_wait_ns = timeout_ns;
	if (during_next_wait) {
		void (*f)(void) = during_next_wait;

		during_next_wait = NULL;
		f();
	}
	if (cond(arg))
		return 0;
	hung_waits += timeout_ns >= (1ULL << 63);
	return -PVK_XEN_ETIMEDOUT;
}

int pvk_grant_access_page(pvk_domid_t domid, const void *page, bool readonly,
			  pvk_grant_ref_t *ref)
{
	kit.grant_domid = domid;
	if (kit.on_grant) {
		void (*f)(void) = kit.on_grant;

		kit.on_grant = NULL;
		f();
	}
	if (kit.grants_left > 0 && --kit.grants_left == 0)
		return -PVK_XEN_ENOSPC;
	if (kit.refuse)
		return -PVK_XEN_ENOSPC;
	for (unsigned int i = 0; i < MAX_REFS; i++) {
		unsigned int r = (kit.next + i) % MAX_REFS;

		if (r >= 8 && !kit.page[r]) {
			kit.page[r] = (void *)page;
			kit.last_page = (void *)page;
			kit.readonly[r] = readonly;
			kit.next = r + 1;
			kit.live++;
			kit.mapped[r] = kit.map_on_grant;
			*ref = r;
			return 0;
		}
	}
	return -PVK_XEN_ENOSPC;
}

int pvk_grant_end_access(pvk_grant_ref_t ref)
{
	role_outside_moment();
	if (ref >= MAX_REFS || !kit.page[ref])
		unit_fail(__FILE__, __LINE__, "ending grant %u never given", ref);
	if (kit.mapped[ref])
		return -PVK_XEN_EBUSY;
	kit.page[ref] = NULL;
	kit.live--;
	return 0;
}

/* Pages are the test's to free (see teardown()): kept ones included. */
int pvk_grant_end_access_page(pvk_grant_ref_t ref, void *page)
{
	(void)page;
	return pvk_grant_end_access(ref);
}

int pvk_evtchn_alloc_unbound(pvk_domid_t remote_dom, pvk_evtchn_handler_t handler,
			     void *arg, pvk_evtchn_port_t *port)
{
	kit.port_domid = remote_dom;
	if (kit.ports >= FAKE_PORTS)
		return -PVK_XEN_ENOSPC;
	kit.handler[kit.ports] = handler;
	kit.arg[kit.ports] = arg;
	*port = 5 + kit.ports++;
	return 0;
}

int pvk_evtchn_send(pvk_evtchn_port_t port)
{
	(void)port;
	kit.sends++;
	return 0;
}

unsigned int unit_fake_sends(void)
{
	return kit.sends;
}

int pvk_evtchn_close(pvk_evtchn_port_t port)
{
	kit.handler[port - 5] = NULL;
	return 0;
}

/* For the netfront tests, which share these played kit interfaces: a
 * fresh state, a grant the backend maps (or lets go), a port's handler. */
void unit_fake_kit_reset(void)
{
	memset(&kit, 0, sizeof(kit));
	kit.next = 8;
}

void unit_fake_grants_refused(bool refuse)
{
	kit.refuse = refuse;
}

unsigned int unit_fake_grants_live(void)
{
	return kit.live;
}

void unit_fake_grant_mapped(pvk_grant_ref_t ref, bool mapped)
{
	if (ref < MAX_REFS)
		kit.mapped[ref] = mapped;
}

void unit_fake_grant_fail_in(int n)
{
	kit.grants_left = n;
}

void unit_fake_grant_map_on_grant(bool on)
{
	kit.map_on_grant = on;
}

bool unit_fake_event(pvk_evtchn_port_t port)
{
	if (port < 5 || port - 5 >= FAKE_PORTS || !kit.handler[port - 5])
		return false;
	return kit.handler[port - 5](port, kit.arg[port - 5]);
}

/* ---- The device and the backend --------------------------------------- */

#define DISK_SECTORS 4000
static uint8_t disk[DISK_SECTORS * 512];
static struct pvk_blkfront *dev;
static struct pvk_blkif_back_ring back[BLKFRONT_MAX_QUEUES];
static bool dev_of_driver;	/* dev came from the driver's probe */

struct setup_opts {
	unsigned int queues, ring_pages, indirect;
	bool persistent;
};

static void setup_with(struct setup_opts o)
{
	dev_of_driver = false;
	memset(&kit, 0, sizeof(kit));
	kit.next = 8;
	dev = calloc(1, sizeof(*dev));
	strcpy(dev->name, "device/vbd/51712");
	dev->info.vdev = 51712;
	CHECK_EQ(blkfront_queues_setup(dev, o.queues, o.ring_pages), 0);
	dev->info.sectors = DISK_SECTORS;
	dev->info.sector_size = 512;
	dev->info.physical_sector_size = 512;
	dev->info.flush = true;
	dev->info.discard = true;
	dev->info.persistent = o.persistent;
	dev->info.indirect_segments = o.indirect;
	dev->info.max_segments = o.indirect ? o.indirect : PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST;
	dev->info.max_bytes = (size_t)dev->info.max_segments * 4096;
	dev->connected = true;
	for (unsigned int i = 0; i < o.queues; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		for (unsigned int j = 0; j < o.ring_pages; j++)
			CHECK(kit.page[q->ring_ref[j]] == q->ring_page[j]);
		PVK_BACK_RING_ATTACH(&back[i], (struct pvk_blkif_sring *)q->ring_page[0], 0,
				     (size_t)o.ring_pages * 4096);
	}
	unit_log_clear();
}

static void setup(void)
{
	setup_with((struct setup_opts){ .queues = 1, .ring_pages = 1 });
}

/* Frees what the port's page free only counts (see test_mmu_queue.c):
 * every page blkfront holds, pooled, retired or kept, and the ring. */
static void free_chain(struct blkfront_page *p)
{
	for (; p; p = p->next)
		free(p->va);
}

static void *freed_pages[4096];
static unsigned int n_freed;

static void remember(void *va)
{
	for (unsigned int k = 0; k < n_freed; k++)
		if (freed_pages[k] == va)
			return;
	freed_pages[n_freed++] = va;
}

/* The pages blkfront holds now, to be freed by teardown() (the port's
 * page free only counts them). */
static void remember_pages(void)
{
	for (unsigned int i = 0; dev->queues && i < dev->nr_queues_set_up; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		for (struct blkfront_page *p = q->pool; p; p = p->next)
			remember(p->va);
		for (struct blkfront_page *p = q->retired; p; p = p->next)
			remember(p->va);
		for (unsigned int j = 0; j < BLKFRONT_MAX_RING_PAGES; j++)
			if (q->ring_page[j])
				remember(q->ring_page[j]);
	}
}

/* blkfront_queues_teardown(), remembering the pages it frees. */
static void queues_teardown(void)
{
	remember_pages();
	blkfront_queues_teardown(dev);
}

static void teardown(void)
{
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	queues_teardown();
	for (unsigned int i = 0; i < dev->nr_queues_set_up; i++) {
		struct blkfront_queue *q = &dev->queues[i];

		/* Kept pages stay on the retired list / in ring_page[]. */
		for (struct blkfront_page *p = q->retired; p; p = p->next)
			for (unsigned int k = 0; k < n_freed; k++)
				if (freed_pages[k] == p->va)
					freed_pages[k] = NULL;
		for (unsigned int j = 0; j < BLKFRONT_MAX_RING_PAGES; j++)
			for (unsigned int k = 0; q->ring_page[j] && k < n_freed; k++)
				if (freed_pages[k] == q->ring_page[j])
					freed_pages[k] = NULL;
		free_chain(q->retired);
		for (unsigned int j = 0; j < BLKFRONT_MAX_RING_PAGES; j++)
			free(q->ring_page[j]);
		for (unsigned int j = 0; j < BLKFRONT_SLOT_PAGES; j++)
			free(q->slot_page[j]);
		for (struct blkfront_desc_page *dp = q->desc_pages, *n; dp; dp = n) {
			n = dp->next;
			free(dp);
		}
	}
	for (unsigned int k = 0; k < n_freed; k++)
		free(freed_pages[k]);
	n_freed = 0;
	/* A device the driver probed stays on its list (the host may hold
	 * it); the driver's tests leave it, and its queues, allocated. */
	if (!dev_of_driver) {
		free(dev->queues);
		free(dev);
	}
}

static void *const *ring_pages(unsigned int qi)
{
	return dev->queues[qi].ring_page;
}

/* Takes the next request off queue qi's ring (copied), false if none. */
static bool backend_take_q(unsigned int qi, struct pvk_blkif_request *rq)
{
	uint32_t n;

	CHECK(PVK_RING_UNCONSUMED_REQUESTS(&back[qi], &n));
	if (!n)
		return false;
	blkfront_ring_get_request(ring_pages(qi), back[qi].nr_ents, back[qi].req_cons, rq);
	back[qi].req_cons++;
	return true;
}

static bool backend_take(struct pvk_blkif_request *rq)
{
	return backend_take_q(0, rq);
}

/* One segment on the disk as blkback would. */
static int16_t do_seg(uint8_t op, const struct pvk_blkif_request_segment *sg, uint64_t *sect)
{
	uint8_t *page = kit.page[sg->gref];
	size_t off = sg->first_sect * 512u;
	size_t n = (sg->last_sect - sg->first_sect + 1u) * 512u;

	CHECK(page != NULL);
	CHECK(sg->first_sect <= sg->last_sect && sg->last_sect < 8);
	if (!page || *sect * 512 + n > sizeof(disk))
		return PVK_BLKIF_RSP_ERROR;
	if (op == PVK_BLKIF_OP_WRITE) {
		CHECK(kit.readonly[sg->gref] || dev->info.persistent);
		memcpy(disk + *sect * 512, page + off, n);
	} else {
		CHECK(!kit.readonly[sg->gref]);
		memcpy(page + off, disk + *sect * 512, n);
	}
	*sect += n / 512;
	return PVK_BLKIF_RSP_OKAY;
}

/* Does a request on the disk as blkback would; returns its status and
 * the operation its answer names. */
static int16_t backend_do(const struct pvk_blkif_request *rq, uint8_t *rsp_op)
{
	uint64_t sect = rq->sector_number;
	int16_t st = PVK_BLKIF_RSP_OKAY;

	*rsp_op = rq->operation;
	if (rq->operation == PVK_BLKIF_OP_FLUSH_DISKCACHE)
		return rq->nr_segments ? PVK_BLKIF_RSP_ERROR : PVK_BLKIF_RSP_OKAY;
	if (rq->operation == PVK_BLKIF_OP_DISCARD) {
		const struct pvk_blkif_request_discard *d = (const void *)rq;

		if (d->sector_number + d->nr_sectors > DISK_SECTORS)
			return PVK_BLKIF_RSP_ERROR;
		memset(disk + d->sector_number * 512, 0, d->nr_sectors * 512);
		return PVK_BLKIF_RSP_OKAY;
	}
	if (rq->operation == PVK_BLKIF_OP_INDIRECT) {
		const struct pvk_blkif_request_indirect *ind = (const void *)rq;

		*rsp_op = ind->indirect_op;
		CHECK(ind->nr_segments > PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST);
		CHECK(ind->nr_segments <= dev->info.indirect_segments);
		for (unsigned int i = 0; i < ind->nr_segments && !st; i++) {
			const struct pvk_blkif_request_segment *segs =
				kit.page[ind->indirect_grefs[i / 512]];

			CHECK(segs != NULL);
			CHECK(kit.readonly[ind->indirect_grefs[i / 512]] || dev->info.persistent);
			st = do_seg(ind->indirect_op, &segs[i % 512], &sect);
		}
		return st;
	}
	CHECK(rq->nr_segments <= PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST);
	for (unsigned int i = 0; i < rq->nr_segments && !st; i++)
		st = do_seg(rq->operation == PVK_BLKIF_OP_READ ? PVK_BLKIF_OP_READ :
			    PVK_BLKIF_OP_WRITE, &rq->seg[i], &sect);
	return st;
}

static void backend_respond_q(unsigned int qi, uint64_t id, uint8_t op, int16_t status)
{
	struct pvk_blkif_response rsp = { .id = id, .operation = op, .status = status };

	blkfront_ring_put_response(ring_pages(qi), back[qi].nr_ents, back[qi].rsp_prod_pvt, &rsp);
	back[qi].rsp_prod_pvt++;
	if (PVK_RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back[qi]) && kit.handler[qi])
		kit.handler[qi](5 + qi, kit.arg[qi]);
}

static void backend_respond(uint64_t id, uint8_t op, int16_t status)
{
	backend_respond_q(0, id, op, status);
}

/* Serves every request on queue qi correctly. */
static unsigned int backend_serve_q(unsigned int qi)
{
	struct pvk_blkif_request rq;
	unsigned int n = 0;

	while (backend_take_q(qi, &rq)) {
		uint8_t op;
		int16_t st = backend_do(&rq, &op);

		backend_respond_q(qi, rq.id, op, st);
		n++;
	}
	/* As blkback before it sleeps: notify me at the next request. */
	CHECK(!PVK_RING_FINAL_CHECK_FOR_REQUESTS(&back[qi]));
	return n;
}

static unsigned int backend_serve(void)
{
	return backend_serve_q(0);
}

struct result {
	bool done;
	int status;
	unsigned int calls;
};

static void on_done(struct pvk_blk_req *req, int status)
{
	struct result *r = req->arg;

	r->done = true;
	r->status = status;
	r->calls++;
}

static int submit(struct pvk_blk_req *req, struct result *res, enum pvk_blk_op op,
		  uint64_t sector, void *buf, size_t len)
{
	memset(res, 0, sizeof(*res));
	*req = (struct pvk_blk_req){ .op = op, .sector = sector, .buf = buf, .len = len,
				     .done = on_done, .arg = res };
	return pvk_blkfront_submit(dev, req);
}

static uint8_t buf[260 * 4096] __attribute__((aligned(4096)));
static uint8_t back_buf[260 * 4096] __attribute__((aligned(4096)));

/* ---- Options ----------------------------------------------------------- */

UNIT_TEST(blkfront_options_parse)
{
	struct blkfront_options o = { .persistent = true, .indirect = 256, .queues = 4,
				      .ring_order = 4, .flush = true, .barrier = true,
				      .discard = true };
	struct blkfront_options before;

	CHECK_EQ(blkfront_parse_option(&o, "persistent", "0"), 0);
	CHECK(!o.persistent);
	CHECK_EQ(blkfront_parse_option(&o, "indirect", "0"), 0);
	CHECK_EQ(o.indirect, 0);
	CHECK_EQ(blkfront_parse_option(&o, "indirect", "32"), 0);
	CHECK_EQ(o.indirect, 32);
	CHECK_EQ(blkfront_parse_option(&o, "queues", "1"), 0);
	CHECK_EQ(o.queues, 1);
	CHECK_EQ(blkfront_parse_option(&o, "ring_order", "0"), 0);
	CHECK_EQ(o.ring_order, 0);
	CHECK_EQ(blkfront_parse_option(&o, "flush", "0"), 0);
	CHECK_EQ(blkfront_parse_option(&o, "barrier", "0"), 0);
	CHECK_EQ(blkfront_parse_option(&o, "discard", "1"), 0);
	CHECK(!o.flush && !o.barrier && o.discard);
	before = o;
	/* Refused, and nothing changes: unknown names, bad numbers, ranges. */
	CHECK_EQ(blkfront_parse_option(&o, "persistant", "1"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "persistent", "2"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "persistent", ""), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "persistent", "yes"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "queues", "0"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "queues", "9"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "ring_order", "5"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "indirect", "257"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "indirect", "-1"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "indirect", "99999999999999999999"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, "", "1"), -PVK_XEN_EINVAL);
	CHECK_EQ(blkfront_parse_option(&o, NULL, "1"), -PVK_XEN_EINVAL);
	CHECK(memcmp(&o, &before, sizeof(o)) == 0);
}

/* ---- Layout (pure) ----------------------------------------------------- */

UNIT_TEST(blkfront_segment_layout_packs_from_page_zero)
{
	uint8_t f, l;

	blkfront_seg_layout(512, 0, &f, &l);
	CHECK(f == 0 && l == 0);
	blkfront_seg_layout(3 * 4096 + 1536, 0, &f, &l);
	CHECK(f == 0 && l == 7);
	blkfront_seg_layout(3 * 4096 + 1536, 3, &f, &l);
	CHECK(f == 0 && l == 2);
	blkfront_seg_layout(8192, 1, &f, &l);
	CHECK(f == 0 && l == 7);
	CHECK_EQ(blkfront_indirect_pages(11), 0);
	CHECK_EQ(blkfront_indirect_pages(12), 1);
	CHECK_EQ(blkfront_indirect_pages(512), 1);
	CHECK_EQ(blkfront_indirect_pages(513), 2);
}

UNIT_TEST(blkfront_request_bytes_checks_pieces)
{
	struct pvk_blk_seg sg[3] = { { buf + 7, 512 }, { buf + 5000, 1024 }, { buf, 0 } };
	struct pvk_blk_req req = { .op = PVK_BLK_READ, .sg = sg, .nr_sg = 3 };

	CHECK_EQ(blkfront_req_bytes(&req), 1536);
	sg[1].len = 1000;
	CHECK_EQ(blkfront_req_bytes(&req), 0);		/* not a 512 multiple */
	sg[1].len = 1024;
	sg[2] = (struct pvk_blk_seg){ NULL, 512 };
	CHECK_EQ(blkfront_req_bytes(&req), 0);		/* data nowhere */
	sg[2] = (struct pvk_blk_seg){ buf, SIZE_MAX - 511 };
	CHECK_EQ(blkfront_req_bytes(&req), 0);		/* wraps */
	req.nr_sg = 0;
	CHECK_EQ(blkfront_req_bytes(&req), 0);
	req.nr_sg = 2;
	req.buf = buf;
	CHECK_EQ(blkfront_req_bytes(&req), 0);		/* both sg and buf */
	req = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .buf = buf + 3, .len = 4608 };
	CHECK_EQ(blkfront_req_bytes(&req), 4608);
}

/* ---- Data path --------------------------------------------------------- */

UNIT_TEST(blkfront_roundtrip_every_shape)
{
	static const struct { unsigned int sectors, off; } shapes[] = {
		{ 1, 0 }, { 8, 512 }, { 88, 0 }, { 85, 1536 }, { 7, 100 }, { 1, 4095 },
	};
	struct pvk_blk_req req;
	struct result res;

	setup();
	for (unsigned int s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		size_t len = shapes[s].sectors * 512u;
		uint8_t *b = buf + shapes[s].off, *rb = back_buf + shapes[s].off;
		uint64_t sector = 3 + s * 100;

		for (size_t i = 0; i < len; i++)
			b[i] = (uint8_t)(i * 7 + s);
		CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, sector, b, len), 0);
		CHECK_EQ(backend_serve(), 1);
		CHECK(res.done);
		CHECK_EQ(res.status, 0);
		CHECK(memcmp(disk + sector * 512, b, len) == 0);
		memset(rb, 0, len);
		CHECK_EQ(submit(&req, &res, PVK_BLK_READ, sector, rb, len), 0);
		CHECK_EQ(backend_serve(), 1);
		CHECK(res.done);
		CHECK_EQ(res.status, 0);
		CHECK(memcmp(rb, b, len) == 0);
	}
	/* Every segment's grant was taken back: only the ring's remains. */
	CHECK_EQ(kit.live, 1);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 1);
	CHECK_EQ(dev->queues[0].outstanding, 0);
	CHECK(!pvk_blkfront_broken(dev));
	/* One request at a time: each one found the backend waiting. */
	CHECK_EQ(dev->queues[0].stats.notify_sent, 12);
	CHECK_EQ(kit.sends, 12);
	CHECK_EQ(dev->queues[0].stats.requests, 12);
	CHECK_EQ(dev->queues[0].stats.grants, dev->queues[0].stats.segments);
	teardown();
}

/* Pieces of odd lengths at odd addresses make one request, packed. */
UNIT_TEST(blkfront_scatter_gather_roundtrip)
{
	struct pvk_blk_seg sg[4] = {
		{ buf + 7, 512 }, { buf + 9000, 3 * 1024 }, { buf + 70001, 4096 }, { buf + 200000, 1536 },
	};
	struct pvk_blk_seg rsg[4];
	struct pvk_blk_req req;
	struct pvk_blkif_request rq;
	struct result res;
	size_t total = 512 + 3072 + 4096 + 1536, pos = 0;

	setup();
	for (unsigned int i = 0; i < 4; i++)
		for (size_t j = 0; j < sg[i].len; j++)
			((uint8_t *)sg[i].buf)[j] = (uint8_t)(pos++ * 13 + 1);
	memset(&res, 0, sizeof(res));
	req = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sector = 40, .sg = sg, .nr_sg = 4,
				    .done = on_done, .arg = &res };
	CHECK(pvk_blkfront_fits(dev, &req));
	CHECK_EQ(pvk_blkfront_submit(dev, &req), 0);
	CHECK(backend_take(&rq));
	/* 9,216 bytes: pages of 8, 8 and 2 sectors, all from offset 0. */
	CHECK_EQ(rq.nr_segments, 3);
	CHECK(rq.seg[0].first_sect == 0 && rq.seg[0].last_sect == 7);
	CHECK(rq.seg[1].first_sect == 0 && rq.seg[1].last_sect == 7);
	CHECK(rq.seg[2].first_sect == 0 && rq.seg[2].last_sect == 1);
	/* The last page holds nothing beyond the request. */
	for (unsigned int i = 1024; i < 4096; i++)
		if (((uint8_t *)kit.page[rq.seg[2].gref])[i]) {
			unit_fail(__FILE__, __LINE__, "byte %u of the last page is not zero", i);
			break;
		}
	{
		uint8_t op;

		backend_respond(rq.id, rq.operation, backend_do(&rq, &op));
	}
	CHECK_EQ(res.status, 0);
	for (size_t j = 0; j < total; j++)
		if (disk[40 * 512 + j] != (uint8_t)(j * 13 + 1)) {
			unit_fail(__FILE__, __LINE__, "disk byte %zu wrong", j);
			break;
		}
	/* Read it back into other pieces. */
	rsg[0] = (struct pvk_blk_seg){ back_buf + 1, 4608 };
	rsg[1] = (struct pvk_blk_seg){ back_buf + 100003, 4608 };
	memset(back_buf, 0, sizeof(back_buf));
	req = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = 40, .sg = rsg, .nr_sg = 2,
				    .done = on_done, .arg = &res };
	CHECK_EQ(pvk_blkfront_submit(dev, &req), 0);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(res.status, 0);
	CHECK(memcmp(back_buf + 1, disk + 40 * 512, 4608) == 0);
	CHECK(memcmp(back_buf + 100003, disk + 40 * 512 + 4608, 4608) == 0);
	teardown();
}

UNIT_TEST(blkfront_bounce_pages_hold_only_the_request)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	setup();
	/* A first request leaves its page dirty in the pool. */
	memset(buf, 0xa5, 4096);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 4096), 0);
	CHECK_EQ(backend_serve(), 1);
	memset(buf + 1024, 0x11, 512);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf + 1024, 512), 0);
	CHECK(backend_take(&rq));
	CHECK_EQ(rq.nr_segments, 1);
	CHECK_EQ(rq.seg[0].first_sect, 0);
	CHECK_EQ(rq.seg[0].last_sect, 0);
	for (unsigned int i = 0; i < 4096; i++) {
		uint8_t want = i < 512 ? 0x11 : 0;

		if (((uint8_t *)kit.page[rq.seg[0].gref])[i] != want) {
			unit_fail(__FILE__, __LINE__, "byte %u of the granted page is 0x%02x", i,
				  ((uint8_t *)kit.page[rq.seg[0].gref])[i]);
			break;
		}
	}
	backend_respond(rq.id, rq.operation, PVK_BLKIF_RSP_OKAY);
	CHECK_EQ(res.status, 0);
	/* A read's page is zeroed whole before the backend gets it. */
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, back_buf, 512), 0);
	CHECK(backend_take(&rq));
	for (unsigned int i = 0; i < 4096; i++)
		if (((uint8_t *)kit.page[rq.seg[0].gref])[i]) {
			unit_fail(__FILE__, __LINE__, "byte %u of the read page is not zero", i);
			break;
		}
	backend_respond(rq.id, rq.operation, PVK_BLKIF_RSP_OKAY);
	teardown();
}

UNIT_TEST(blkfront_indirect_layout_and_roundtrip)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	const struct pvk_blkif_request_indirect *ind = (const void *)&rq;
	const struct pvk_blkif_request_segment *segs;
	size_t len = 100 * 4096 + 1024;
	uint8_t op;

	setup_with((struct setup_opts){ .queues = 1, .ring_pages = 1, .indirect = 256 });
	/* A first, bigger request fills the pool; then every pooled page is
	 * dirtied, as a hostile host's data would leave it. */
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, back_buf, 200 * 4096), 0);
	CHECK_EQ(backend_serve(), 1);
	for (struct blkfront_page *p = dev->queues[0].pool; p; p = p->next)
		memset(p->va, 0xa5, 4096);
	for (size_t i = 0; i < len; i++)
		buf[i + 3] = (uint8_t)(i * 31 + 7);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 100, buf + 3, len), 0);
	CHECK(backend_take(&rq));
	CHECK_EQ(ind->operation, PVK_BLKIF_OP_INDIRECT);
	CHECK_EQ(ind->indirect_op, PVK_BLKIF_OP_WRITE);
	CHECK_EQ(ind->nr_segments, 101);
	CHECK_EQ(ind->handle, 51712);
	CHECK_EQ(ind->sector_number, 100);
	segs = kit.page[ind->indirect_grefs[0]];
	CHECK(kit.readonly[ind->indirect_grefs[0]]);
	CHECK(segs[0].first_sect == 0 && segs[0].last_sect == 7);
	CHECK(segs[100].first_sect == 0 && segs[100].last_sect == 1);
	/* Past the last descriptor the indirect page is zero. */
	for (unsigned int i = 101 * 8; i < 4096; i++)
		if (((const uint8_t *)segs)[i]) {
			unit_fail(__FILE__, __LINE__, "indirect page byte %u not zero", i);
			break;
		}
	backend_respond(rq.id, ind->indirect_op, backend_do(&rq, &op));
	CHECK_EQ(res.status, 0);
	CHECK(memcmp(disk + 100 * 512, buf + 3, len) == 0);
	memset(back_buf, 0, len);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 100, back_buf, len), 0);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(res.status, 0);
	CHECK(memcmp(back_buf, buf + 3, len) == 0);
	CHECK_EQ(dev->queues[0].stats.indirect, 3);
	CHECK_EQ(dev->queues[0].stats.segments, 402);
	/* Data pages and 1 indirect page each time. */
	CHECK_EQ(dev->queues[0].stats.grants, 405);
	CHECK_EQ(kit.live, 1);
	/* Beyond what the backend takes: refused, never sent. */
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, back_buf, 257 * 4096), -PVK_XEN_EINVAL);
	teardown();
}

/* An indirect request is answered with its indirect_op: the operation
 * code INDIRECT in the answer is a backend the device cannot trust. */
UNIT_TEST(blkfront_indirect_answered_as_indirect_breaks_the_device)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	setup_with((struct setup_opts){ .queues = 1, .ring_pages = 1, .indirect = 64 });
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, back_buf, 20 * 4096), 0);
	CHECK(backend_take(&rq));
	backend_respond(rq.id, PVK_BLKIF_OP_INDIRECT, 0);
	CHECK(pvk_blkfront_broken(dev));
	CHECK_EQ(res.status, -PVK_XEN_EIO);
	teardown();
}

UNIT_TEST(blkfront_persistent_grants_are_reused_and_ended_at_teardown)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	pvk_grant_ref_t first[4];
	struct pvk_blkfront_stats st;

	setup_with((struct setup_opts){ .queues = 1, .ring_pages = 1, .persistent = true });
	memset(buf, 0x5a, 4 * 4096);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 4 * 4096), 0);
	CHECK(backend_take(&rq));
	for (unsigned int i = 0; i < 4; i++) {
		first[i] = rq.seg[i].gref;
		CHECK(!kit.readonly[first[i]]);		/* read-write, for good */
	}
	{
		uint8_t op;

		backend_respond(rq.id, rq.operation, backend_do(&rq, &op));
	}
	CHECK_EQ(res.status, 0);
	/* Not ended at completion: the backend keeps them mapped. */
	CHECK_EQ(kit.live, 5);
	for (unsigned int i = 0; i < 4; i++)
		kit.mapped[first[i]] = true;
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, back_buf, 4 * 4096), 0);
	CHECK(backend_take(&rq));
	for (unsigned int i = 0; i < 4; i++) {
		bool seen = false;

		for (unsigned int j = 0; j < 4; j++)
			seen |= rq.seg[i].gref == first[j];
		CHECK(seen);
	}
	{
		uint8_t op;

		backend_respond(rq.id, rq.operation, backend_do(&rq, &op));
	}
	CHECK_EQ(res.status, 0);
	CHECK(memcmp(back_buf, buf, 4 * 4096) == 0);
	CHECK(!pvk_blkfront_broken(dev));
	pvk_blkfront_get_stats(dev, &st);
	CHECK_EQ(st.grants, 4);
	CHECK_EQ(st.grants_reused, 4);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 5);
	/* The backend Closed: it unmapped them; teardown ends every one. */
	for (unsigned int i = 0; i < 4; i++)
		kit.mapped[first[i]] = false;
	queues_teardown();
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	CHECK(!unit_log_has("kept"));
	teardown();
}

/* The backend goes away with I/O in flight: the requests fail with
 * ENODEV at once, but their grants are not ended (nor their pages called
 * lost) until teardown, when the backend is Closed and unmapped them. */
UNIT_TEST(blkfront_close_with_io_in_flight_keeps_grants_until_teardown)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	setup();
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 2 * 4096), 0);
	CHECK(backend_take(&rq));
	kit.mapped[rq.seg[0].gref] = true;	/* it is still writing */
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	CHECK_EQ(res.calls, 1);
	CHECK_EQ(res.status, -PVK_XEN_ENODEV);
	CHECK_EQ(kit.live, 3);
	CHECK(!unit_log_has("kept"));
	CHECK(!pvk_blkfront_broken(dev));
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 512), -PVK_XEN_ENODEV);
	kit.mapped[rq.seg[0].gref] = false;	/* Closed */
	queues_teardown();
	CHECK_EQ(kit.live, 0);
	CHECK(!unit_log_has("kept"));
	teardown();
}

/* The backend still maps a page after it is Closed: that one is kept. */
UNIT_TEST(blkfront_page_mapped_after_close_is_kept)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	setup();
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 4096), 0);
	CHECK(backend_take(&rq));
	kit.mapped[rq.seg[0].gref] = true;
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	queues_teardown();
	CHECK_EQ(kit.live, 1);
	CHECK(unit_log_has("still mapped by the backend at teardown"));
	CHECK(kit.page[rq.seg[0].gref] == dev->queues[0].retired->va);
	kit.mapped[rq.seg[0].gref] = false;
	teardown();
}

UNIT_TEST(blkfront_refuses_what_the_protocol_cannot_carry)
{
	struct pvk_blk_req req;
	struct result res;

	setup();
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 0), -PVK_XEN_EINVAL);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 100), -PVK_XEN_EINVAL);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf + 512, 89 * 512), -PVK_XEN_EINVAL);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, DISK_SECTORS, buf, 512), -PVK_XEN_EINVAL);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, DISK_SECTORS - 1, buf, 1024), -PVK_XEN_EINVAL);
	/* A length near SIZE_MAX must not wrap into "fits". */
	req = (struct pvk_blk_req){ .op = PVK_BLK_READ, .buf = buf + 512, .len = SIZE_MAX - 511 };
	CHECK(!pvk_blkfront_fits(dev, &req));
	req.len = 88 * 512;
	CHECK(pvk_blkfront_fits(dev, &req));
	req.len = 89 * 512;
	CHECK(!pvk_blkfront_fits(dev, &req));
	dev->info.vdisk_info = PVK_VDISK_READONLY;
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 512), -PVK_XEN_EROFS);
	CHECK_EQ(submit(&req, &res, PVK_BLK_DISCARD, 0, NULL, 4096), -PVK_XEN_EROFS);
	dev->info.vdisk_info = 0;
	dev->info.flush = false;
	CHECK_EQ(submit(&req, &res, PVK_BLK_FLUSH, 0, NULL, 0), -PVK_XEN_EOPNOTSUPP);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE_BARRIER, 0, buf, 512), -PVK_XEN_EOPNOTSUPP);
	req = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .len = 4096,
				    .flags = PVK_BLK_REQ_SECURE, .done = on_done, .arg = &res };
	CHECK_EQ(pvk_blkfront_submit(dev, &req), -PVK_XEN_EOPNOTSUPP);
	dev->info.discard = false;
	CHECK_EQ(submit(&req, &res, PVK_BLK_DISCARD, 0, NULL, 4096), -PVK_XEN_EOPNOTSUPP);
	CHECK_EQ(dev->queues[0].stats.requests, 0);
	CHECK_EQ(res.calls, 0);
	teardown();
}

UNIT_TEST(blkfront_discard_flush_barrier_requests)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	const struct pvk_blkif_request_discard *d = (const void *)&rq;
	uint8_t op;

	setup();
	memset(disk, 0x77, sizeof(disk));
	dev->info.discard_secure = true;
	memset(&res, 0, sizeof(res));
	req = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .sector = 16, .len = 8192,
				    .flags = PVK_BLK_REQ_SECURE, .done = on_done, .arg = &res };
	CHECK_EQ(pvk_blkfront_submit(dev, &req), 0);
	CHECK(backend_take(&rq));
	CHECK_EQ(d->operation, PVK_BLKIF_OP_DISCARD);
	CHECK_EQ(d->flag, PVK_BLKIF_DISCARD_SECURE);
	CHECK_EQ(d->sector_number, 16);
	CHECK_EQ(d->nr_sectors, 16);
	CHECK_EQ(d->handle, 51712);
	backend_respond(rq.id, rq.operation, backend_do(&rq, &op));
	CHECK_EQ(res.status, 0);
	CHECK(disk[16 * 512] == 0 && disk[32 * 512 - 1] == 0 && disk[32 * 512] == 0x77);
	CHECK_EQ(submit(&req, &res, PVK_BLK_DISCARD, DISK_SECTORS - 1, NULL, 1024), -PVK_XEN_EINVAL);
	CHECK_EQ(submit(&req, &res, PVK_BLK_FLUSH, 0, NULL, 0), 0);
	CHECK(backend_take(&rq));
	CHECK_EQ(rq.operation, PVK_BLKIF_OP_FLUSH_DISKCACHE);
	CHECK_EQ(rq.nr_segments, 0);
	backend_respond(rq.id, rq.operation, 0);
	CHECK_EQ(res.status, 0);
	dev->info.barrier = true;
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE_BARRIER, 5, buf, 1024), 0);
	CHECK(backend_take(&rq));
	CHECK_EQ(rq.operation, PVK_BLKIF_OP_WRITE_BARRIER);
	CHECK_EQ(rq.nr_segments, 1);
	backend_respond(rq.id, rq.operation, backend_do(&rq, &op));
	CHECK_EQ(res.status, 0);
	/* Barriers go direct: at most 11 pages. */
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE_BARRIER, 0, buf, 12 * 4096), -PVK_XEN_EINVAL);
	CHECK_EQ(dev->queues[0].stats.segments, 1);
	CHECK(!pvk_blkfront_broken(dev));
	teardown();
}

UNIT_TEST(blkfront_queue_full_is_eagain_and_notifies_are_suppressed)
{
	static struct pvk_blk_req reqs[33];
	static struct result res[33];
	struct pvk_blkif_request rq;

	setup();
	for (unsigned int i = 0; i < 32; i++)
		CHECK_EQ(submit(&reqs[i], &res[i], PVK_BLK_READ, i, buf + i * 512, 512), 0);
	CHECK_EQ(submit(&reqs[32], &res[32], PVK_BLK_READ, 0, buf, 512), -PVK_XEN_EAGAIN);
	CHECK_EQ(dev->queues[0].stats.eagain, 1);
	/* The backend never took the first: one notification for all 32. */
	CHECK_EQ(kit.sends, 1);
	/* Backend answers them all, notifying once at the end. */
	while (backend_take(&rq)) {
		uint8_t op;
		struct pvk_blkif_response rsp = { .id = rq.id, .operation = rq.operation };

		rsp.status = backend_do(&rq, &op);
		blkfront_ring_put_response(ring_pages(0), back[0].nr_ents, back[0].rsp_prod_pvt, &rsp);
		back[0].rsp_prod_pvt++;
	}
	CHECK(PVK_RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back[0]));
	kit.handler[0](5, kit.arg[0]);
	for (unsigned int i = 0; i < 32; i++)
		CHECK(res[i].done && res[i].status == 0);
	CHECK_EQ(dev->queues[0].outstanding, 0);
	CHECK_EQ(submit(&reqs[32], &res[32], PVK_BLK_READ, 0, buf, 512), 0);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(res[32].status, 0);
	teardown();
}

/* PVK_BLK_REQ_MORE queues without a notification; the next submit
 * without it pushes the batch with one. */
UNIT_TEST(blkfront_batch_is_one_notification)
{
	static struct pvk_blk_req reqs[5];
	static struct result res[5];

	setup();
	for (unsigned int i = 0; i < 5; i++) {
		memset(&res[i], 0, sizeof(res[i]));
		reqs[i] = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = i, .buf = buf + i * 512,
						.len = 512, .flags = i < 4 ? PVK_BLK_REQ_MORE : 0,
						.done = on_done, .arg = &res[i] };
		CHECK_EQ(pvk_blkfront_submit(dev, &reqs[i]), 0);
		CHECK_EQ(kit.sends, 0 + (i == 4));
		CHECK_EQ(back[0].sring->req_prod, i == 4 ? 5u : 0u);
	}
	CHECK_EQ(backend_serve(), 5);
	/* Kick pushes what MORE left behind. */
	reqs[0].flags = PVK_BLK_REQ_MORE;
	CHECK_EQ(pvk_blkfront_submit(dev, &reqs[0]), 0);
	CHECK_EQ(kit.sends, 1);
	pvk_blkfront_kick(dev, 0);
	CHECK_EQ(kit.sends, 2);
	CHECK_EQ(backend_serve(), 1);
	teardown();
}

/* A freed id is not the next one handed out. */
UNIT_TEST(blkfront_ids_rotate)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	uint64_t last = UINT64_MAX;

	setup();
	for (unsigned int i = 0; i < 40; i++) {
		CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 512), 0);
		CHECK(backend_take(&rq));
		CHECK(rq.id != last);
		if (last != UINT64_MAX)
			CHECK_EQ(rq.id, (last + 1) % 32);
		last = rq.id;
		backend_respond(rq.id, rq.operation, 0);
		CHECK_EQ(res.status, 0);
	}
	teardown();
}

/* Rings of several pages (entries straddle page boundaries) and more
 * than one queue, each with its own ring, event channel and counts. */
UNIT_TEST(blkfront_multi_page_rings_and_queues)
{
	static struct pvk_blk_req reqs[200];
	static struct result res[200];
	struct pvk_blkfront_stats st0, st1, all;

	setup_with((struct setup_opts){ .queues = 2, .ring_pages = 4 });
	CHECK_EQ(dev->info.depth, 128);
	CHECK_EQ(back[0].nr_ents, 128);
	CHECK_EQ(kit.live, 8);
	for (unsigned int round = 0; round < 3; round++) {
		for (unsigned int i = 0; i < 200; i++) {
			uint64_t sector = (round * 200 + i) % DISK_SECTORS;

			memset(buf + i * 512, (int)(i + round), 512);
			memset(&res[i], 0, sizeof(res[i]));
			reqs[i] = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sector = sector,
							.buf = buf + i * 512, .len = 512,
							.queue = i, .done = on_done, .arg = &res[i] };
			CHECK_EQ(pvk_blkfront_submit(dev, &reqs[i]), 0);
		}
		CHECK_EQ(backend_serve_q(0), 100);
		CHECK_EQ(backend_serve_q(1), 100);
		for (unsigned int i = 0; i < 200; i++) {
			CHECK(res[i].done && res[i].status == 0);
			CHECK_EQ(disk[((round * 200 + i) % DISK_SECTORS) * 512], (uint8_t)(i + round));
		}
	}
	CHECK_EQ(pvk_blkfront_get_queue_stats(dev, 0, &st0), 0);
	CHECK_EQ(pvk_blkfront_get_queue_stats(dev, 1, &st1), 0);
	CHECK_EQ(pvk_blkfront_get_queue_stats(dev, 2, &all), -PVK_XEN_EINVAL);
	pvk_blkfront_get_stats(dev, &all);
	CHECK_EQ(st0.requests, 300);
	CHECK_EQ(st1.requests, 300);
	CHECK_EQ(all.requests, 600);
	CHECK_EQ(all.responses, 600);
	CHECK(!pvk_blkfront_broken(dev));
	teardown();
	CHECK_EQ(kit.live, 0);
}

/* ---- A hostile backend ------------------------------------------------- */

/* One request outstanding, answered by `answer`; then checks the device is
 * broken, the request failed with -EIO, and a new one is refused. */
static void hostile(void (*answer)(const struct pvk_blkif_request *rq), const char *says)
{
	struct pvk_blk_req req, later;
	struct result res, res_later;
	struct pvk_blkif_request rq;

	setup();
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 10, buf, 4096), 0);
	CHECK(backend_take(&rq));
	answer(&rq);
	CHECK(pvk_blkfront_broken(dev));
	CHECK(res.done);
	CHECK_EQ(res.calls, 1);
	CHECK_EQ(res.status, -PVK_XEN_EIO);
	CHECK_EQ(dev->queues[0].outstanding, 0);
	CHECK(unit_log_has("device broken"));
	if (!unit_log_has(says))
		unit_fail(__FILE__, __LINE__, "log lacks \"%s\": %s", says, unit_log());
	CHECK_EQ(submit(&later, &res_later, PVK_BLK_READ, 0, buf, 512), -PVK_XEN_EIO);
	CHECK_EQ(res_later.calls, 0);
	teardown();
}

static void answer_unknown_id(const struct pvk_blkif_request *rq)
{
	backend_respond(rq->id + 1, rq->operation, 0);
}

static void answer_huge_id(const struct pvk_blkif_request *rq)
{
	backend_respond(rq->id + 0x100000000ULL, rq->operation, 0);
}

static void answer_other_op(const struct pvk_blkif_request *rq)
{
	backend_respond(rq->id, PVK_BLKIF_OP_READ, 0);
}

static void answer_bad_status(const struct pvk_blkif_request *rq)
{
	backend_respond(rq->id, rq->operation, 7);
}

static void answer_index_beyond(const struct pvk_blkif_request *rq)
{
	(void)rq;
	back[0].rsp_prod_pvt += 5;
	PVK_RING_PUSH_RESPONSES(&back[0]);
	kit.handler[0](5, kit.arg[0]);
}

static void answer_keeping_it_mapped(const struct pvk_blkif_request *rq)
{
	kit.mapped[rq->seg[0].gref] = true;
	backend_respond(rq->id, rq->operation, 0);
}

UNIT_TEST(blkfront_unknown_id_breaks_the_device)
{
	hostile(answer_unknown_id, "not outstanding");
}

UNIT_TEST(blkfront_id_out_of_range_breaks_the_device)
{
	hostile(answer_huge_id, "not outstanding");
}

/* A second answer to a request already completed, while another one is
 * outstanding (so the index itself is plausible). */
UNIT_TEST(blkfront_duplicate_response_breaks_the_device)
{
	struct pvk_blk_req a, b;
	struct result ra, rb;
	struct pvk_blkif_request rqa, rqb;

	setup();
	CHECK_EQ(submit(&a, &ra, PVK_BLK_READ, 0, buf, 512), 0);
	CHECK_EQ(submit(&b, &rb, PVK_BLK_READ, 1, buf + 4096, 512), 0);
	CHECK(backend_take(&rqa));
	CHECK(backend_take(&rqb));
	backend_respond(rqa.id, rqa.operation, 0);
	CHECK_EQ(ra.status, 0);
	CHECK(!pvk_blkfront_broken(dev));
	backend_respond(rqa.id, rqa.operation, 0);
	CHECK(pvk_blkfront_broken(dev));
	CHECK(unit_log_has("not outstanding"));
	CHECK_EQ(ra.calls, 1);
	CHECK_EQ(rb.calls, 1);
	CHECK_EQ(rb.status, -PVK_XEN_EIO);
	/* B's answer, late: ignored, nothing runs twice. */
	backend_respond(rqb.id, rqb.operation, 0);
	CHECK_EQ(rb.calls, 1);
	teardown();
}

UNIT_TEST(blkfront_other_operation_breaks_the_device)
{
	hostile(answer_other_op, "another operation");
}

UNIT_TEST(blkfront_unknown_status_breaks_the_device)
{
	hostile(answer_bad_status, "unknown status");
}

UNIT_TEST(blkfront_response_index_beyond_breaks_the_device)
{
	hostile(answer_index_beyond, "more responses than requests");
}

/* The backend answers but keeps the page mapped: the request fails, the
 * grant stays, and the page is never handed out again. */
UNIT_TEST(blkfront_page_still_mapped_is_never_reused)
{
	hostile(answer_keeping_it_mapped, "still maps grant");
}

UNIT_TEST(blkfront_page_still_mapped_is_out_of_the_pool)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	void *page;

	setup();
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 512), 0);
	CHECK(backend_take(&rq));
	page = kit.page[rq.seg[0].gref];
	answer_keeping_it_mapped(&rq);
	CHECK(kit.page[rq.seg[0].gref] == page);	/* still granted */
	for (struct blkfront_page *p = dev->queues[0].pool; p; p = p->next)
		CHECK(p->va != page);
	CHECK(dev->queues[0].retired && dev->queues[0].retired->va == page);
	kit.mapped[rq.seg[0].gref] = false;
	teardown();
}

UNIT_TEST(blkfront_backend_error_is_eio_not_broken)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	setup();
	CHECK_EQ(submit(&req, &res, PVK_BLK_FLUSH, 0, NULL, 0), 0);
	CHECK(backend_take(&rq));
	CHECK_EQ(rq.operation, PVK_BLKIF_OP_FLUSH_DISKCACHE);
	CHECK_EQ(rq.nr_segments, 0);
	backend_respond(rq.id, rq.operation, PVK_BLKIF_RSP_EOPNOTSUPP);
	CHECK_EQ(res.status, -PVK_XEN_EOPNOTSUPP);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 512), 0);
	CHECK(backend_take(&rq));
	backend_respond(rq.id, rq.operation, PVK_BLKIF_RSP_ERROR);
	CHECK_EQ(res.status, -PVK_XEN_EIO);
	CHECK(!pvk_blkfront_broken(dev));
	CHECK_EQ(dev->queues[0].stats.errors, 2);
	teardown();
}

/* The backend maps a grant of a request before it is sent (it can guess
 * references), and the request's next grant fails: the submit fails, the
 * mapped page leaves the pool, and the device is broken. */
UNIT_TEST(blkfront_grant_mapped_before_send_breaks_the_device)
{
	struct pvk_blk_req req;
	struct result res;
	unsigned int mapped_ref = 0;

	setup();
	kit.map_on_grant = true;
	kit.grants_left = 2;		/* the first segment's grant, not the second */
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 2 * 4096), -PVK_XEN_EIO);
	CHECK_EQ(res.calls, 0);
	CHECK(pvk_blkfront_broken(dev));
	CHECK(unit_log_has("never sent"));
	CHECK_EQ(dev->queues[0].stats.requests, 0);
	CHECK_EQ(dev->queues[0].outstanding, 0);
	kit.map_on_grant = false;
	kit.grants_left = 0;
	for (unsigned int r = 8; r < MAX_REFS; r++)
		if (kit.mapped[r])
			mapped_ref = r;
	CHECK(mapped_ref != 0);
	for (struct blkfront_page *p = dev->queues[0].pool; p; p = p->next)
		CHECK(p->va != kit.page[mapped_ref]);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 4096), -PVK_XEN_EIO);
	CHECK_EQ(res.calls, 0);
	kit.mapped[mapped_ref] = false;
	teardown();
}

/* Out of grant references: back-pressure while other requests are out
 * (their completions free some), -ENOMEM when none is; never broken. */
UNIT_TEST(blkfront_out_of_grants_is_eagain_or_enomem)
{
	struct pvk_blk_req a, b;
	struct result ra, rb;

	setup();
	CHECK_EQ(submit(&a, &ra, PVK_BLK_READ, 0, buf, 512), 0);
	kit.grants_left = 1;		/* the next grant fails */
	CHECK_EQ(submit(&b, &rb, PVK_BLK_READ, 1, buf + 4096, 512), -PVK_XEN_EAGAIN);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(ra.status, 0);
	kit.grants_left = 1;
	CHECK_EQ(submit(&b, &rb, PVK_BLK_READ, 1, buf + 4096, 512), -PVK_XEN_ENOMEM);
	CHECK(!pvk_blkfront_broken(dev));
	CHECK_EQ(rb.calls, 0);
	kit.grants_left = 0;
	CHECK_EQ(submit(&b, &rb, PVK_BLK_READ, 1, buf + 4096, 512), 0);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(rb.status, 0);
	CHECK_EQ(kit.live, 1);
	teardown();
}

/* Another submitter (B) is refused for want of grants while this one (A)
 * holds the only reservation; then A fails too and gives its pages back.
 * Nothing is outstanding: the queue must not stay starved, or wait_slot
 * would wait out its whole timeout for a completion that cannot come. */
static struct pvk_blk_req starve_req;
static struct result starve_res;
static int starve_rc;

static void starve_meanwhile(void)
{
	kit.grants_left = 1;		/* B's grant fails */
	starve_rc = submit(&starve_req, &starve_res, PVK_BLK_READ, 1, buf + 4096, 512);
	kit.grants_left = 1;		/* and then A's own */
}

UNIT_TEST(blkfront_not_starved_when_nothing_is_outstanding)
{
	struct pvk_blk_req a;
	struct result ra;

	setup();
	kit.on_grant = starve_meanwhile;
	CHECK_EQ(submit(&a, &ra, PVK_BLK_READ, 0, buf, 512), -PVK_XEN_ENOMEM);
	CHECK_EQ(starve_rc, -PVK_XEN_EAGAIN);
	CHECK_EQ(dev->queues[0].outstanding, 0);
	CHECK(!dev->queues[0].starved);
	CHECK(!pvk_blkfront_broken(dev));
	kit.grants_left = 0;
	CHECK_EQ(submit(&a, &ra, PVK_BLK_READ, 0, buf, 512), 0);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(ra.status, 0);
	CHECK_EQ(ra.calls, 1);
	CHECK_EQ(starve_res.calls, 0);
	teardown();
}

/* Requests queued with PVK_BLK_REQ_MORE reach the backend when the next
 * submit is refused: with -EAGAIN (here for want of grants, after the
 * slot was taken) whatever its flags, and for any other reason when it
 * does not carry MORE itself; else the host waits for completions of
 * requests the backend was never shown. */
UNIT_TEST(blkfront_refused_submit_pushes_the_batch)
{
	struct pvk_blk_req a, b;
	struct result ra, rb;

	setup();
	a = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = 0, .buf = buf, .len = 512,
				  .flags = PVK_BLK_REQ_MORE, .done = on_done, .arg = &ra };
	memset(&ra, 0, sizeof(ra));
	CHECK_EQ(pvk_blkfront_submit(dev, &a), 0);
	CHECK_EQ(back[0].sring->req_prod, 0u);
	kit.grants_left = 1;		/* b's grant fails: -EAGAIN (a is out) */
	b = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = 1, .buf = buf + 4096,
				  .len = 512, .flags = PVK_BLK_REQ_MORE, .done = on_done,
				  .arg = &rb };
	CHECK_EQ(pvk_blkfront_submit(dev, &b), -PVK_XEN_EAGAIN);
	CHECK_EQ(back[0].sring->req_prod, 1u);
	CHECK_EQ(kit.sends, 1);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(ra.status, 0);
	CHECK_EQ(ra.calls, 1);
	/* Refused as invalid (beyond the disk), without MORE: pushes too. */
	memset(&ra, 0, sizeof(ra));
	CHECK_EQ(pvk_blkfront_submit(dev, &a), 0);
	CHECK_EQ(back[0].sring->req_prod, 1u);
	CHECK_EQ(submit(&b, &rb, PVK_BLK_READ, DISK_SECTORS, buf + 4096, 512), -PVK_XEN_EINVAL);
	CHECK_EQ(back[0].sring->req_prod, 2u);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(ra.calls, 1);
	CHECK_EQ(rb.calls, 0);
	teardown();
}

/* PVK_BLK_REQ_MORE is for every operation: a discard in a batch is queued
 * like a read (not refused as an unknown flag), and pushed with the rest. */
UNIT_TEST(blkfront_discard_batches_with_more)
{
	struct pvk_blk_req d, r;
	struct result rd, rr;

	setup();
	memset(&rd, 0, sizeof(rd));
	d = (struct pvk_blk_req){ .op = PVK_BLK_DISCARD, .sector = 8, .len = 4096,
				  .flags = PVK_BLK_REQ_MORE, .done = on_done, .arg = &rd };
	CHECK_EQ(pvk_blkfront_submit(dev, &d), 0);
	CHECK_EQ(back[0].sring->req_prod, 0u);
	CHECK_EQ(submit(&r, &rr, PVK_BLK_READ, 0, buf, 512), 0);
	CHECK_EQ(back[0].sring->req_prod, 2u);
	CHECK_EQ(kit.sends, 1);
	CHECK_EQ(backend_serve(), 2);
	CHECK_EQ(rd.calls, 1);
	CHECK_EQ(rd.status, 0);
	CHECK_EQ(rr.status, 0);
	/* Unknown flags are still refused. */
	d.flags = 1u << 7;
	CHECK_EQ(pvk_blkfront_submit(dev, &d), -PVK_XEN_EINVAL);
	teardown();
}

/* The disk is closed and torn down while a submit prepares its pages
 * (another CPU): the submit fails with -ENODEV, and the persistent grant
 * it made meanwhile is ended then, not left for a teardown that already
 * ran (dom0 could map it for ever). */
static void close_meanwhile(void)
{
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	queues_teardown();
}

UNIT_TEST(blkfront_torn_down_during_submit_leaves_no_grant)
{
	struct pvk_blk_req req;
	struct result res;

	setup_with((struct setup_opts){ .queues = 1, .ring_pages = 1, .persistent = true });
	kit.on_grant = close_meanwhile;
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 4096), -PVK_XEN_ENODEV);
	CHECK_EQ(res.calls, 0);
	CHECK_EQ(dev->queues[0].outstanding, 0);
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	CHECK(dev->queues[0].retired == NULL);
	remember(kit.last_page);	/* freed by blkfront: the test's to free */
	teardown();
}

/* ---- The xenbus side (blkfront_xenbus.c): negotiation and lifecycle ----
 *
 * The driver runs against a backend directory played by the test (a
 * table of keys, read as pvk_xenbus_read_feature would: absent is the
 * default, present must be a decimal number) and a xenbus that records
 * our state and refuses what the state machine forbids.
 */

static struct {
	struct pvk_xenbus_driver *drv;
	struct pvk_xenbus_device xd;
	const char *const *keys;	/* name, value, ..., NULL */
	unsigned int bad_transitions, keys_written;
	unsigned int keys_removed, layout_keys_removed;	/* NULL values */
	unsigned int added, resized, removed;
	uint64_t old_sectors;
	void (*on_wait)(void);		/* what a watch delivers meanwhile */
	unsigned int waits;
	void (*on_switch)(void);	/* watches run in a state write's wait */
} xb;

int pvk_xenbus_read_feature(struct pvk_xenbus_device *d, const char *name,
			    unsigned long def, unsigned long *out)
{
	if (unit_fake_is_vif(d))
		return unit_vif_read_feature(d, name, def, out);
	for (const char *const *k = xb.keys; k && *k; k += 2)
		if (!strcmp(k[0], name))
			return pvk_xs_parse_ulong(k[1], out);
	*out = def;
	return 0;
}

/* Several at once: as the kit's, one after another here. */
int pvk_xenbus_read_features(struct pvk_xenbus_device *d, const struct pvk_xenbus_feature *f,
			     unsigned int n, unsigned int *bad)
{
	int rc = 0;

	for (unsigned int i = 0; i < n && !rc; i++) {
		rc = pvk_xenbus_read_feature(d, f[i].name, f[i].def, f[i].out);
		if (rc && bad)
			*bad = i;
	}
	return rc;
}

int pvk_xenbus_switch_state(struct pvk_xenbus_device *d, enum pvk_xenbus_state s)
{
	if (unit_fake_is_vif(d))
		return unit_vif_switch_state(d, s);
	if (!pvk_xenbus_transition_ok(d->state, s)) {
		xb.bad_transitions++;
		return -PVK_XEN_EINVAL;
	}
	if (xb.on_switch) {
		void (*f)(void) = xb.on_switch;

		xb.on_switch = NULL;
		f();
	}
	d->state = s;
	return 0;
}

int pvk_xenbus_write_keys(struct pvk_xenbus_device *d, const struct pvk_xenbus_kv *kv,
			  unsigned int n)
{
	if (unit_fake_is_vif(d))
		return unit_vif_write_keys(d, kv, n);
	for (unsigned int i = 0; i < n; i++) {
		if (kv[i].value) {
			xb.keys_written++;
		} else {
			xb.keys_removed++;
			if (!strcmp(kv[i].key, "multi-queue-num-queues") ||
			    !strcmp(kv[i].key, "ring-page-order") || !strcmp(kv[i].key, "queue-0"))
				xb.layout_keys_removed++;
		}
	}
	return 0;
}

/* A test's hook run inside a publication (a nested watch there). */
static void (*on_publish)(struct pvk_xenbus_device *d);

/* The keys, then the state, as the kit's xenbus does in one transaction
 * (nothing here can come between the two). */
int pvk_xenbus_publish(struct pvk_xenbus_device *d, const struct pvk_xenbus_kv *kv,
		       unsigned int n, enum pvk_xenbus_state s)
{
	int rc;

	if (!pvk_xenbus_transition_ok(d->state, s))
		return pvk_xenbus_switch_state(d, s);	/* refused, counted */
	rc = pvk_xenbus_write_keys(d, kv, n);
	return rc ? rc : pvk_xenbus_switch_state(d, s);
}

/* The caller's scratch (xenbus.c's is tested in test_xenbus_keys.c):
 * as big as the real one's listing, so that a test's low memory refuses
 * it; publications made without one fail as the real one does. */
struct pvk_xenbus_publish_scratch {
	unsigned int max_keys;
	char listing[PVK_XENSTORE_PAYLOAD_MAX + 1];
};
static unsigned int scratch_allocs;

struct pvk_xenbus_publish_scratch *
pvk_xenbus_publish_scratch_alloc(const struct pvk_xenbus_device *d, unsigned int max_keys,
				 size_t key_max)
{
	struct pvk_xenbus_publish_scratch *s = pvk_port_malloc(sizeof(*s));

	(void)d;
	(void)key_max;
	scratch_allocs++;
	if (s)
		s->max_keys = max_keys;
	return s;
}
void pvk_xenbus_publish_scratch_free(struct pvk_xenbus_publish_scratch *s)
{
	pvk_port_free(s);
}

int pvk_xenbus_publish_with(struct pvk_xenbus_device *d, const struct pvk_xenbus_kv *kv,
			    unsigned int n, enum pvk_xenbus_state st,
			    struct pvk_xenbus_publish_scratch *s)
{
	if (!s || n > s->max_keys)
		return -PVK_XEN_EINVAL;
	if (on_publish)
		on_publish(d);
	return pvk_xenbus_publish(d, kv, n, st);
}

/* The backend's state looked at from a resume: a test that wants it
 * delivers it itself (xb.on_poll), else nothing is seen yet. */
static void (*on_poll)(struct pvk_xenbus_device *d);
static unsigned int polls;

void pvk_xenbus_otherend_poll(struct pvk_xenbus_device *d)
{
	polls++;
	if (on_poll)
		on_poll(d);
}

/* Suspend (blkfront_suspend.c): blkfront's part is kept, for a test to
 * play a resume with; the device's move to a new backend only counted.
 * The unit binary links suspend/suspend.c (test_suspend.c), so the
 * registration is seen through the linker's --wrap (unit.mk) and then
 * made for real. */
static struct pvk_suspend_part *suspend_part;
static unsigned int device_resumes;
static unsigned int resume_backend_id;	/* non-zero: the new backend's domain */

int __real_pvk_suspend_register(struct pvk_suspend_part *part);
int __wrap_pvk_suspend_register(struct pvk_suspend_part *part);
int __wrap_pvk_suspend_register(struct pvk_suspend_part *part)
{
	if (part && part->name && !strcmp(part->name, "blkfront"))
		suspend_part = part;
	return __real_pvk_suspend_register(part);
}

int pvk_xenbus_device_resume(struct pvk_xenbus_device *d)
{
	d->state = PVK_XenbusStateInitialising;
	d->otherend_state = PVK_XenbusStateUnknown;
	if (resume_backend_id)
		d->otherend_id = resume_backend_id;
	device_resumes++;
	return 0;
}

int pvk_xenbus_register_driver(struct pvk_xenbus_driver *drv)
{
	if (!strcmp(drv->devclass, "vif"))
		return unit_vif_register_driver(drv);
	xb.drv = drv;
	return 0;
}

int pvk_xs_wait_watches(uint64_t timeout_ns)
{
	(void)timeout_ns;
	xb.waits++;
	if (xb.on_wait)
		xb.on_wait();
	return 0;
}

static struct {
	unsigned int depth;
	void (*elsewhere)(void);	/* under way on another CPU now */
	void (*later)(void);		/* arrives once the code entered */
	bool later_due;
	bool busy;
	const void *watched;		/* see unit_fake_worker_watch_free */
	bool watched_freed_beside;
} role;

static void run_elsewhere(void)
{
	void (*deliver)(void) = role.elsewhere;

	role.elsewhere = NULL;
	if (!role.later)
		unit_log_hook = NULL;
	if (deliver)
		deliver();
}

static void run_later(void)
{
	void (*deliver)(void) = role.later;

	role.later = NULL;
	role.later_due = false;
	if (!role.elsewhere)
		unit_log_hook = NULL;
	if (deliver)
		deliver();
}

/* A log line, a grant ended: a moment another CPU may run beside the
 * code under test, unless that code holds the role. */
static void role_outside_moment(void)
{
	if (role.depth)
		return;
	if (role.elsewhere)
		run_elsewhere();
	else if (role.later && role.later_due)
		run_later();
}

static void role_note_free(const void *ptr)
{
	if (ptr && ptr == role.watched && role.elsewhere)
		role.watched_freed_beside = true;
}

void unit_fake_worker_elsewhere(void (*deliver)(void))
{
	CHECK(unit_log_hook == NULL);
	role.elsewhere = deliver;
	unit_log_hook = role_outside_moment;
}

void unit_fake_worker_later(void (*deliver)(void))
{
	CHECK(unit_log_hook == NULL);
	role.later = deliver;
	role.later_due = false;
	unit_log_hook = role_outside_moment;
}

bool unit_fake_worker_run_later(void)
{
	if (!role.later)
		return false;
	run_later();
	return true;
}

void unit_fake_worker_watch_free(const void *ptr)
{
	role.watched = ptr;
	role.watched_freed_beside = false;
}

bool unit_fake_worker_freed_beside(void)
{
	return role.watched_freed_beside;
}

void unit_fake_worker_busy(bool busy)
{
	role.busy = busy;
}

unsigned int unit_fake_worker_depth(void)
{
	return role.depth;
}

int pvk_xenbus_worker_enter(uint64_t timeout_ns)
{
	if (role.busy)
		return timeout_ns ? -PVK_XEN_ETIMEDOUT : -PVK_XEN_EBUSY;
	/* 0: a try that never nests on a holder (pvkit/xenbus.h). */
	if (!timeout_ns && role.depth)
		return -PVK_XEN_EBUSY;
	/* The other CPU's callback returns, then the role is ours. */
	if (!role.depth) {
		run_elsewhere();
		if (role.later)
			role.later_due = true;
	}
	role.depth++;
	return 0;
}

void pvk_xenbus_worker_leave(void)
{
	CHECK(role.depth > 0);
	role.depth--;
}

static void xb_added(struct pvk_blkfront *d) { (void)d; xb.added++; }
static void xb_resized(struct pvk_blkfront *d, uint64_t old) { (void)d; xb.resized++; xb.old_sectors = old; }
static void xb_removed(struct pvk_blkfront *d) { (void)d; xb.removed++; }
static const struct pvk_blkfront_hooks xb_hooks = { xb_added, xb_resized, xb_removed };

/* What Linux blkback writes for a 4 MiB file on a loop device. */
static const char *const blkback_keys[] = {
	"max-ring-page-order", "4", "multi-queue-max-queues", "2",
	"sectors", "8192", "sector-size", "512", "physical-sector-size", "512",
	"info", "0", "feature-flush-cache", "1", "feature-barrier", "1",
	"feature-persistent", "1", "feature-max-indirect-segments", "256",
	"feature-discard", "1", "discard-granularity", "4096",
	"discard-alignment", "0", "discard-secure", "0", NULL,
};

/* A new device probed, the backend in InitWait with keys, then Connected
 * with disk (keys the Connected step reads; NULL: the same). Returns our
 * state after it. */
/* A fresh kit and disk, probed by the driver (still Initialising). */
static void xb_probe(void)
{
	memset(&kit, 0, sizeof(kit));
	kit.next = 8;
	if (!xb.drv)
		CHECK_EQ(pvk_blkfront_init(&xb_hooks), 0);
	CHECK(xb.drv != NULL);
	xb.bad_transitions = xb.keys_written = 0;
	xb.keys_removed = xb.layout_keys_removed = 0;
	xb.added = xb.resized = xb.removed = 0;
	dev = unit_xenbus_probe(&xb.xd, xb.drv, "device/vbd/51712", "backend/vbd/0/51712");
	dev_of_driver = true;
	CHECK(dev != NULL);
}

static enum pvk_xenbus_state xb_bring_up(const char *const *ring_keys,
					 const char *const *disk_keys)
{
	xb_probe();
	unit_log_clear();
	xb.keys = ring_keys;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	if (xb.xd.state == PVK_XenbusStateInitialised) {
		for (unsigned int i = 0; i < dev->info.nr_queues; i++)
			PVK_BACK_RING_ATTACH(&back[i],
					     (struct pvk_blkif_sring *)dev->queues[i].ring_page[0],
					     0, (size_t)dev->info.ring_pages * 4096);
		xb.keys = disk_keys ? disk_keys : ring_keys;
		xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
	}
	return xb.xd.state;
}

/* The backend Closed (it maps nothing of ours): everything is ended. */
static void xb_close_and_free(void)
{
	remember_pages();
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateClosed);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	CHECK_EQ(xb.bad_transitions, 0);
	teardown();
}

/* A backend that never leaves InitWait: the host's bounded wait gives
 * the disk up (logged, Closed, every grant ended) and hands it back. */
UNIT_TEST(blkfront_wait_connected_gives_up_a_disk_never_connected)
{
	struct pvk_blkfront *d = NULL;

	xb_probe();
	xb.keys = blkback_keys;
	xb.xd.otherend_state = PVK_XenbusStateInitWait;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	CHECK(kit.live > 0);
	remember_pages();
	unit_log_clear();
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == dev);
	CHECK(unit_log_has("backend still InitWait after"));
	CHECK(unit_log_has("giving up: device closed"));
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	CHECK_EQ(xb.added, 0);
	/* Given up once: a second wait finds nothing left to give up. */
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == NULL);
	xb_close_and_free();
}

/*
 * Review s8 #2: the backend's Connected is being delivered by the watch
 * worker on another CPU just as the host's bounded wait runs out. The
 * give-up must not tear the rings down beside that connect (which tells
 * the host the disk is there): it takes the worker role, so the connect
 * finishes first, and then finds the disk connected. Played: the
 * delivery runs at the waiting thread's first log line outside the role,
 * or when it asks for the role.
 */
static void xb_connected_elsewhere(void)
{
	xb.keys = blkback_keys;
	xb.xd.otherend_state = PVK_XenbusStateConnected;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
}

UNIT_TEST(blkfront_wait_connected_give_up_waits_for_a_connect_on_the_worker)
{
	struct pvk_blkfront *d = NULL;

	xb_probe();
	xb.keys = blkback_keys;
	xb.xd.otherend_state = PVK_XenbusStateInitWait;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	unit_log_clear();
	unit_fake_worker_elsewhere(xb_connected_elsewhere);
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), 0);
	CHECK(d == dev);
	CHECK_EQ(xb.added, 1);
	CHECK(!unit_log_has("giving up"));
	CHECK(dev->connected && !dev->gone);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateConnected);
	CHECK(kit.live > 0);			/* the rings, still shared */
	CHECK_EQ(unit_fake_worker_depth(), 0);
	xb_close_and_free();
}

/* The role cannot be had (another CPU's callbacks run on): nothing is
 * given up, nothing changed; the next wait gives it up. */
UNIT_TEST(blkfront_wait_connected_gives_up_nothing_without_the_role)
{
	struct pvk_blkfront *d = dev;

	xb_probe();
	xb.keys = blkback_keys;
	xb.xd.otherend_state = PVK_XenbusStateInitWait;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	unit_fake_worker_busy(true);
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), -PVK_XEN_ETIMEDOUT);
	unit_fake_worker_busy(false);
	CHECK(d == NULL);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	CHECK(kit.live > 0);
	remember_pages();
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == dev);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	xb_close_and_free();
}

/* The host waits from inside a callback of the disk (a hook it called,
 * here while the Initialised write waits): the give-up leaves the device
 * to that callback. */
static int nested_wait_rc;
static struct pvk_blkfront *nested_wait_out;

static void wait_inside_callback(void)
{
	nested_wait_out = dev;
	nested_wait_rc = pvk_blkfront_wait_connected(51712, 0, &nested_wait_out);
}

UNIT_TEST(blkfront_wait_connected_inside_a_callback_gives_nothing_up)
{
	xb_probe();
	xb.keys = blkback_keys;
	xb.on_switch = wait_inside_callback;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(nested_wait_rc, -PVK_XEN_ETIMEDOUT);
	CHECK(nested_wait_out == NULL);
	CHECK(!unit_log_has("giving up"));
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	CHECK(kit.live > 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	xb_close_and_free();
}

/*
 * Review s9-14 #7: a Connected that arrives on another CPU once the
 * give-up has looked (it found the disk still negotiating) must find the
 * disk given up, not connect it beside the teardown: the give-up holds
 * the role until its teardown is over. Played: the delivery runs at the
 * first line logged or grant ended outside the role after the give-up
 * entered it, else after the wait returned.
 */
UNIT_TEST(blkfront_wait_connected_give_up_holds_the_role_through_the_teardown)
{
	struct pvk_blkfront *d = NULL;

	xb_probe();
	xb.keys = blkback_keys;
	xb.xd.otherend_state = PVK_XenbusStateInitWait;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	remember_pages();
	unit_log_clear();
	unit_fake_worker_later(xb_connected_elsewhere);
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == dev);
	unit_fake_worker_run_later();
	CHECK(unit_log_has("giving up: device closed"));
	CHECK_EQ(xb.added, 0);
	CHECK(!dev->connected && dev->gone);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	xb_close_and_free();
}

/*
 * Review s9-14 #1: the host releases a removed disk while the watch
 * worker on another CPU probes a hot-plugged one, which links it into the
 * device list that release unlinks from. Release takes the role, so that
 * probe is over before the list is touched, and the list keeps both
 * changes: the new disk listed beside the one that stays, the released
 * one gone (a walk that met it would read freed memory: ASan). Played:
 * the probe is under way elsewhere; the released device must not be
 * freed (unlinked just before) while it is.
 */
static struct pvk_xenbus_device xb_hot_xd, xb_stays_xd;
static struct pvk_blkfront *xb_hot;

static void xb_hotplug_elsewhere(void)
{
	xb_hot = unit_xenbus_probe(&xb_hot_xd, xb.drv, "device/vbd/51744", "backend/vbd/0/51744");
}

UNIT_TEST(blkfront_release_waits_for_a_probe_on_the_worker)
{
	struct pvk_blkfront *stays, *released, *d = NULL;

	xb_probe();
	released = dev;
	stays = unit_xenbus_probe(&xb_stays_xd, xb.drv, "device/vbd/51728",
				  "backend/vbd/0/51728");
	xb.drv->remove(&xb.xd);
	unit_log_clear();
	unit_fake_worker_watch_free(released);
	unit_fake_worker_elsewhere(xb_hotplug_elsewhere);
	CHECK_EQ(pvk_blkfront_release(released), 0);
	CHECK(!unit_fake_worker_freed_beside());
	CHECK(xb_hot != NULL);
	CHECK_EQ(unit_fake_worker_depth(), 0);
	/* Each listed device is found by its number (and given up, as
	 * none connected); the released one is not. */
	CHECK_EQ(pvk_blkfront_wait_connected(51744, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == xb_hot);
	CHECK_EQ(pvk_blkfront_wait_connected(51728, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == stays);
	CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == NULL);
}

/* The role cannot be had: release changes nothing and says "try again". */
UNIT_TEST(blkfront_release_without_the_role_is_busy)
{
	struct pvk_blkfront *released;

	xb_probe();
	released = dev;
	xb.drv->remove(&xb.xd);
	unit_fake_worker_busy(true);
	CHECK_EQ(pvk_blkfront_release(released), -PVK_XEN_EBUSY);
	unit_fake_worker_busy(false);
	CHECK_EQ(pvk_blkfront_release(released), 0);
	CHECK_EQ(unit_fake_worker_depth(), 0);
}

UNIT_TEST(blkfront_negotiates_what_blkback_offers)
{
	const struct pvk_blkfront_info *i;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	i = pvk_blkfront_info(dev);
	CHECK_EQ(i->nr_queues, 2);		/* ours 4, its 2 */
	CHECK_EQ(i->ring_pages, 16);
	CHECK_EQ(i->sectors, 8192);
	CHECK_EQ(i->sector_size, 512);
	CHECK(i->persistent && i->flush && i->barrier && i->discard);
	CHECK_EQ(i->discard_granularity, 4096);
	CHECK_EQ(i->indirect_segments, 256);
	CHECK_EQ(xb.added, 1);
	CHECK_EQ(kit.live, 2 * 16);		/* the rings */
	/* protocol, persistent, order, queues; per queue 16 refs + port */
	CHECK_EQ(xb.keys_written, 4 + 2 * 17);
	/* What a single-page, single-queue connection before would have left:
	 * event-channel, ring-ref, ring-ref0..15 (the layout's own keys are
	 * rewritten, not removed). */
	CHECK_EQ(xb.keys_removed, 1 + 1 + 16);
	CHECK_EQ(xb.layout_keys_removed, 0);
	xb_close_and_free();
}

/* Reloaded with one queue and one ring page after a multi-queue,
 * multi-page connection: the old layout's keys are removed before ours
 * are written (seen on Xen: blkback took the stale
 * multi-queue-num-queues and mapped old refs). */
UNIT_TEST(blkfront_single_queue_removes_the_multi_queue_keys)
{
	unsigned int queues = blkfront_opts.queues, order = blkfront_opts.ring_order;

	blkfront_opts.queues = 1;
	blkfront_opts.ring_order = 0;
	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(pvk_blkfront_info(dev)->nr_queues, 1);
	CHECK_EQ(pvk_blkfront_info(dev)->ring_pages, 1);
	/* ring-page-order, multi-queue-num-queues, queue-0..7, ring-ref0..15 */
	CHECK_EQ(xb.keys_removed, 1 + 1 + 8 + 16);
	CHECK_EQ(xb.layout_keys_removed, 3);
	/* protocol, persistent; ring-ref, event-channel */
	CHECK_EQ(xb.keys_written, 2 + 2);
	xb_close_and_free();
	blkfront_opts.queues = queues;
	blkfront_opts.ring_order = order;
}

UNIT_TEST(blkfront_absurd_ring_offers_only_lower_what_it_asks)
{
	static const char *const keys[] = {
		"max-ring-page-order", "4294967295", "multi-queue-max-queues", "100000000",
		"sectors", "8", NULL,
	};
	const struct pvk_blkfront_info *i;

	CHECK_EQ(xb_bring_up(keys, NULL), PVK_XenbusStateConnected);
	i = pvk_blkfront_info(dev);
	CHECK_EQ(i->nr_queues, BLKFRONT_DEFAULT_QUEUES);
	CHECK_EQ(i->ring_pages, BLKFRONT_MAX_RING_PAGES);
	CHECK_EQ(i->indirect_segments, 0);	/* not offered */
	CHECK(!i->persistent && !i->flush && !i->discard);
	xb_close_and_free();
}

UNIT_TEST(blkfront_ring_keys_not_numbers_close_the_device)
{
	static const char *const order[] = { "max-ring-page-order", "2x", NULL };
	static const char *const queues[] = { "multi-queue-max-queues", "", NULL };
	static const char *const huge[] = {
		"multi-queue-max-queues", "99999999999999999999999", NULL,
	};
	const char *const *bad[] = { order, queues, huge };

	for (unsigned int k = 0; k < PVK_ARRAY_SIZE(bad); k++) {
		CHECK_EQ(xb_bring_up(bad[k], NULL), PVK_XenbusStateClosed);
		CHECK_EQ(xb.added, 0);
		CHECK_EQ(kit.live, 0);		/* nothing was shared */
		CHECK(unit_log_has("backend's ring offer unreadable: device refused"));
		CHECK_EQ(xb.bad_transitions, 0);
	}
}

/* The refusal's line ("badly: <key> ...") names key. */
static bool named_in_refusal(const char *key)
{
	char want[80];

	snprintf(want, sizeof(want), "badly: %s", key);
	return unit_log_has(want);
}

UNIT_TEST(blkfront_bad_disk_descriptions_close_the_device)
{
	/* Each replaces or adds one key of blkback's: the disk is refused,
	 * our state Closed, the host never hears of it, I/O is refused. */
	static const char *const bad[][6] = {
		{ "sectors", "0" },
		{ "sectors", "36028797018963968" },	/* 2^55: bytes overflow */
		{ "sectors", "18446744073709551615" },
		{ "sectors", "18446744073709551616" },	/* not an unsigned long */
		{ "sectors", "8192 " },
		{ "sectors", "-1" },
		{ "sector-size", "1000" },
		{ "sector-size", "256" },
		{ "sector-size", "8192", "physical-sector-size", "8192" },
		/* 8191 sectors are not whole 4,096-byte ones */
		{ "sectors", "8191", "sector-size", "4096", "physical-sector-size", "4096" },
		/* physical (blkback's 512) below it */
		{ "physical-sector-size", "512", "sector-size", "4096" },
		{ "physical-sector-size", "131072" },
		{ "physical-sector-size", "1536" },
		{ "info", "65536" },
		{ "feature-persistent", "2" },
		{ "feature-flush-cache", "yes" },
		{ "feature-discard", "7" },
		{ "feature-max-indirect-segments", "0x100" },
	};
	static const char *keys[64];
	/* Outlives each round: a disk wrongly accepted has it in flight. */
	static struct pvk_blk_req req;
	static struct result res;

	/* The good neighbour of two of them, so those fail for their reason. */
	{
		static const char *const good[] = {
			"sectors", "8192", "sector-size", "4096", "physical-sector-size", "4096", NULL,
		};

		CHECK_EQ(xb_bring_up(blkback_keys, good), PVK_XenbusStateConnected);
		xb_close_and_free();
	}
	for (unsigned int k = 0; k < PVK_ARRAY_SIZE(bad); k++) {
		unsigned int n = 0;

		for (const char *const *p = blkback_keys; *p; p += 2) {
			keys[n++] = p[0];
			keys[n++] = p[1];
			for (unsigned int j = 0; j < 6 && bad[k][j]; j += 2)
				if (!strcmp(p[0], bad[k][j]))
					keys[n - 1] = bad[k][j + 1];
		}
		keys[n] = NULL;
		unit_log_clear();
		CHECK_EQ(xb_bring_up(blkback_keys, keys), PVK_XenbusStateClosed);
		if (xb.xd.state != PVK_XenbusStateClosed)
			unit_fail(__FILE__, __LINE__, "%s=%s accepted", bad[k][0], bad[k][1]);
		CHECK_EQ(xb.added, 0);
		CHECK(unit_log_has("backend describes the disk badly"));
		/* The message names the key that was wrong: the row's first. */
		if (!named_in_refusal(bad[k][0]))
			unit_fail(__FILE__, __LINE__, "%s=%s refused without naming it: %s",
				  bad[k][0], bad[k][1], unit_log());
		CHECK(!dev->connected);
		CHECK(submit(&req, &res, PVK_BLK_READ, 0, buf, 512) < 0);
		CHECK_EQ(res.calls, 0);
		/* Its rings stay granted until the backend is Closed. */
		CHECK_EQ(kit.live, 2 * 16);
		xb_close_and_free();
		CHECK_EQ(xb.removed, 0);	/* never added, never removed */
	}
}

UNIT_TEST(blkfront_senseless_discard_limits_turn_discard_off)
{
	static const char *const bad[][2] = {
		{ "discard-granularity", "1000" },
		{ "discard-alignment", "4096" },	/* not inside a granule */
		{ "discard-secure", "2" },
		{ "discard-granularity", "2147483648" },
	};
	static const char *keys[64];

	for (unsigned int k = 0; k < PVK_ARRAY_SIZE(bad); k++) {
		unsigned int n = 0;

		for (const char *const *p = blkback_keys; *p; p += 2) {
			keys[n++] = p[0];
			keys[n++] = strcmp(p[0], bad[k][0]) ? p[1] : bad[k][1];
		}
		keys[n] = NULL;
		CHECK_EQ(xb_bring_up(keys, NULL), PVK_XenbusStateConnected);
		CHECK(!pvk_blkfront_info(dev)->discard);
		CHECK_EQ(pvk_blkfront_info(dev)->discard_granularity, 0);
		CHECK(unit_log_has("discard not used"));
		xb_close_and_free();
	}
}

UNIT_TEST(blkfront_resize_only_on_a_new_valid_size)
{
	static const char *const grown[] = { "sectors", "12288", NULL };
	static const char *const shrunk[] = { "sectors", "16", NULL };
	static const char *const odd[] = { "sectors", "12a", NULL };
	static const char *const zero[] = { "sectors", "0", NULL };
	static const char *const too_big[] = { "sectors", "36028797018963968", NULL };
	struct pvk_blk_req req;
	struct result res;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(xb.added, 1);
	/* Connected written again, nothing changed: no hook, no new connect. */
	xb.drv->otherend_rewritten(&xb.xd, PVK_XenbusStateConnected);
	CHECK_EQ(xb.resized, 0);
	CHECK_EQ(xb.added, 1);
	/* Bad new sizes: the old one is kept. */
	const char *const *bad[] = { odd, zero, too_big };
	for (unsigned int k = 0; k < PVK_ARRAY_SIZE(bad); k++) {
		xb.keys = bad[k];
		xb.drv->otherend_rewritten(&xb.xd, PVK_XenbusStateConnected);
		CHECK_EQ(xb.resized, 0);
		CHECK_EQ(pvk_blkfront_info(dev)->sectors, 8192);
	}
	xb.keys = grown;
	xb.drv->otherend_rewritten(&xb.xd, PVK_XenbusStateConnected);
	CHECK_EQ(xb.resized, 1);
	CHECK_EQ(xb.old_sectors, 8192);
	CHECK_EQ(pvk_blkfront_info(dev)->sectors, 12288);
	/* Shrunk below a request in flight: the backend answers it (with an
	 * error); new I/O past the new end is refused, the device lives on. */
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 12000, buf, 4096), 0);
	xb.keys = shrunk;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);	/* as a change, too */
	CHECK_EQ(xb.resized, 2);
	CHECK_EQ(pvk_blkfront_info(dev)->sectors, 16);
	{
		struct pvk_blk_req r2;
		struct result res2;

		CHECK_EQ(submit(&r2, &res2, PVK_BLK_READ, 16, buf + 8192, 512), -PVK_XEN_EINVAL);
		CHECK_EQ(submit(&r2, &res2, PVK_BLK_READ, 8, buf + 8192, 4096), 0);
		CHECK_EQ(backend_serve_q(0) + backend_serve_q(1), 2);
		/* This test's backend has 4,000 sectors: sector 12000 fails. */
		CHECK_EQ(res.status, -PVK_XEN_EIO);
		CHECK_EQ(res2.status, 0);
		pvk_blkfront_poll(dev);
		CHECK_EQ(res.calls, 1);
		CHECK_EQ(res2.calls, 1);
	}
	CHECK(!pvk_blkfront_broken(dev));
	CHECK_EQ(xb.added, 1);
	xb_close_and_free();
	CHECK_EQ(xb.removed, 1);
}

/* An answer on queue qi whose event is lost: on the ring, no handler. */
static void backend_respond_silently_q(unsigned int qi, uint64_t id, uint8_t op)
{
	struct pvk_blkif_response rsp = { .id = id, .operation = op,
					  .status = PVK_BLKIF_RSP_OKAY };

	blkfront_ring_put_response(ring_pages(qi), back[qi].nr_ents, back[qi].rsp_prod_pvt, &rsp);
	back[qi].rsp_prod_pvt++;
	PVK_RING_PUSH_RESPONSES(&back[qi]);
}

/* The Linux port's request timeout polls the request's own queue, then
 * test-reads on it: pvk_blkfront_poll_queue collects that queue's answers
 * (lost events) and no other's; pvk_blkfront_rw_sync_queue sends on the
 * queue it is given and, unanswered, breaks the whole device, failing
 * what the other queue holds too. */
UNIT_TEST(blkfront_poll_and_test_read_one_queue)
{
	struct pvk_blk_req r0, r1;
	struct result s0, s1;
	struct pvk_blkif_request rq0, rq1;
	uint8_t sector[512];

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(dev->info.nr_queues, 2);
	CHECK_EQ(submit(&r0, &s0, PVK_BLK_READ, 0, buf, 512), 0);
	memset(&s1, 0, sizeof(s1));
	r1 = (struct pvk_blk_req){ .op = PVK_BLK_READ, .sector = 8, .buf = buf + 4096,
				   .len = 512, .queue = 1, .done = on_done, .arg = &s1 };
	CHECK_EQ(pvk_blkfront_submit(dev, &r1), 0);
	CHECK(backend_take_q(0, &rq0));
	CHECK(backend_take_q(1, &rq1));
	backend_respond_silently_q(0, rq0.id, PVK_BLKIF_OP_READ);
	backend_respond_silently_q(1, rq1.id, PVK_BLKIF_OP_READ);
	pvk_blkfront_poll_queue(dev, 1);
	CHECK_EQ(s1.calls, 1);
	CHECK_EQ(s1.status, 0);
	CHECK_EQ(s0.calls, 0);			/* queue 0 not looked at */
	pvk_blkfront_poll_queue(dev, 2);	/* 2 modulo 2: queue 0 */
	CHECK_EQ(s0.calls, 1);
	CHECK_EQ(s0.status, 0);

	/* Something outstanding on queue 0; a test read on queue 1 that is
	 * not answered in time (this test's wait returns at once). */
	CHECK_EQ(submit(&r0, &s0, PVK_BLK_READ, 0, buf, 512), 0);
	CHECK_EQ(pvk_blkfront_rw_sync_queue(dev, 1, PVK_BLK_READ, 0, sector, 512, 1000),
		 -PVK_XEN_EIO);
	CHECK(backend_take_q(1, &rq1));		/* it went to queue 1 */
	CHECK(pvk_blkfront_broken(dev));
	CHECK(unit_log_has("did not answer in time (queue, timeout ms) (1, "));
	CHECK_EQ(s0.calls, 1);			/* queue 0's request failed too */
	CHECK_EQ(s0.status, -PVK_XEN_EIO);
	xb_close_and_free();
}

/* The host's give-up: its reason logged, every queue's requests failed,
 * later ones refused. */
UNIT_TEST(blkfront_host_break_fails_every_queue)
{
	struct pvk_blk_req r0, r1;
	struct result s0, s1;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(submit(&r0, &s0, PVK_BLK_READ, 0, buf, 512), 0);
	memset(&s1, 0, sizeof(s1));
	r1 = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sector = 8, .buf = buf + 4096,
				   .len = 512, .queue = 1, .done = on_done, .arg = &s1 };
	CHECK_EQ(pvk_blkfront_submit(dev, &r1), 0);
	pvk_blkfront_break(dev, "a request unanswered for 3 timeouts");
	CHECK(pvk_blkfront_broken(dev));
	CHECK(unit_log_has("the host gave up on the backend: a request unanswered for 3 timeouts"));
	CHECK_EQ(s0.calls, 1);
	CHECK_EQ(s0.status, -PVK_XEN_EIO);
	CHECK_EQ(s1.calls, 1);
	CHECK_EQ(s1.status, -PVK_XEN_EIO);
	CHECK_EQ(submit(&r0, &s0, PVK_BLK_READ, 0, buf, 512), -PVK_XEN_EIO);
	xb_close_and_free();
}

UNIT_TEST(blkfront_closing_with_io_in_flight_then_flapping)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	unsigned int live;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 2 * 4096), 0);
	live = kit.live;
	CHECK(backend_take_q(req.queue % 2, &rq));	/* taken, never answered */
	kit.mapped[rq.seg[0].gref] = true;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateClosing);
	/* The drain is bounded (here: over at once); the rest fails. */
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(res.calls, 1);
	CHECK_EQ(res.status, -PVK_XEN_ENODEV);
	CHECK_EQ(xb.removed, 1);
	/* The backend may still map the pages: no grant ended yet. */
	CHECK_EQ(kit.live, live);
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 512), -PVK_XEN_ENODEV);
	/* The backend flaps: Connected, InitWait, Connected again. Nothing
	 * is set up afresh, no hook runs, nothing is granted. */
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
	xb.drv->otherend_rewritten(&xb.xd, PVK_XenbusStateConnected);
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, live);
	CHECK_EQ(xb.added, 1);
	CHECK_EQ(xb.resized, 0);
	CHECK_EQ(xb.removed, 1);
	CHECK_EQ(res.calls, 0);
	kit.mapped[rq.seg[0].gref] = false;	/* Closed: it let them go */
	xb_close_and_free();
	CHECK_EQ(xb.removed, 1);		/* told once */
	CHECK(!unit_log_has("kept"));
}

UNIT_TEST(blkfront_removed_device_stays_and_refuses_io)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;
	struct pvk_blkfront *d;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	d = dev;
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 4096), 0);
	CHECK(backend_take_q(req.queue % 2, &rq));
	/* The toolstack removes our directory while the backend still maps
	 * a ring page and the request's page: those are kept, never freed. */
	kit.mapped[rq.seg[0].gref] = true;
	kit.mapped[dev->queues[0].ring_ref[0]] = true;
	remember_pages();
	xb.drv->remove(&xb.xd);
	CHECK(d->xdev == NULL);
	CHECK_EQ(res.calls, 1);
	CHECK_EQ(res.status, -PVK_XEN_ENODEV);
	CHECK_EQ(xb.removed, 1);
	CHECK_EQ(kit.live, 2);
	CHECK(unit_log_has("still mapped by the backend at teardown"));
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 512), -PVK_XEN_ENODEV);
	CHECK_EQ(pvk_blkfront_info(d)->sectors, 8192);	/* still readable */
	pvk_blkfront_poll(d);
	pvk_blkfront_kick(d, 0);
	CHECK_EQ(res.calls, 0);
	kit.mapped[rq.seg[0].gref] = false;
	kit.mapped[dev->queues[0].ring_ref[0]] = false;
	teardown();
}

/* Release gives nothing back while the device is on xenbus or the
 * backend may still map a page of it. */
UNIT_TEST(blkfront_release_refused_while_in_use)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(pvk_blkfront_release(dev), -PVK_XEN_EBUSY);	/* connected */
	CHECK_EQ(submit(&req, &res, PVK_BLK_READ, 0, buf, 4096), 0);
	CHECK(backend_take_q(req.queue % 2, &rq));
	kit.mapped[rq.seg[0].gref] = true;
	remember_pages();
	xb.drv->remove(&xb.xd);
	CHECK(dev->xdev == NULL);
	/* Removed, but a page is still mapped: it stays, and so does dev. */
	CHECK_EQ(pvk_blkfront_release(dev), -PVK_XEN_EBUSY);
	CHECK(dev->queues != NULL);
	CHECK_EQ(pvk_blkfront_info(dev)->sectors, 8192);
	kit.mapped[rq.seg[0].gref] = false;
	teardown();
}

/* Watches run inside the wait of the Closed path's state write: xenbus
 * removes the device there, and the host then releases it, all before
 * the Closed handler has returned (it still uses dev after the write). */
static int nested_release_rc;

static void remove_and_release_meanwhile(void)
{
	xb.drv->remove(&xb.xd);
	nested_release_rc = pvk_blkfront_release(dev);
}

UNIT_TEST(blkfront_release_refused_inside_a_callback_of_the_device)
{
	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	remember_pages();
	/* Release frees these through the port, which only counts pages. */
	for (unsigned int i = 0; i < dev->nr_queues_set_up; i++) {
		for (unsigned int j = 0; j < BLKFRONT_SLOT_PAGES; j++)
			if (dev->queues[i].slot_page[j])
				remember(dev->queues[i].slot_page[j]);
		for (struct blkfront_desc_page *dp = dev->queues[i].desc_pages; dp; dp = dp->next)
			remember(dp);
	}
	xb.on_switch = remove_and_release_meanwhile;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateClosed);
	CHECK_EQ(nested_release_rc, -PVK_XEN_EBUSY);
	CHECK_EQ(xb.removed, 1);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	/* Once the handler has returned the host may give it back. */
	CHECK_EQ(pvk_blkfront_release(dev), 0);
	/* Off the device list: a lookup walks it without touching dev. */
	{
		struct pvk_blkfront *out;

		CHECK_EQ(pvk_blkfront_wait_connected(51712, 0, &out), -PVK_XEN_ETIMEDOUT);
	}
	for (unsigned int k = 0; k < n_freed; k++)
		free(freed_pages[k]);
	n_freed = 0;
}

static void xb_backend_connects(void)
{
	xb.keys = blkback_keys;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
}

/* A host with no deadline of its own passes the largest timeout: that is
 * a long wait, not none (now + timeout must not wrap). */
UNIT_TEST(blkfront_wait_connected_with_the_largest_timeout_waits)
{
	static struct pvk_shared_info si;	/* system time 1 s, no TSC part */
	struct pvk_blkfront *d = NULL;

	/* A disk whose backend is in InitWait only: Connected comes by watch. */
	xb_bring_up(blkback_keys, NULL);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateConnected);
	memset(&si, 0, sizeof(si));
	si.vcpu_info[0].time.system_time = 1000000000ULL;
	pvk_time_init(&si);
	/* The same directory again, as after a detach and re-attach. */
	remember_pages();
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, 0);
	teardown();
	dev = unit_xenbus_probe(&xb.xd, xb.drv, "device/vbd/51712", "backend/vbd/0/51712");
	xb.keys = blkback_keys;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	xb.on_wait = xb_backend_connects;
	xb.waits = 0;
	CHECK_EQ(pvk_blkfront_wait_connected(51712, UINT64_MAX, &d), 0);
	xb.on_wait = NULL;
	CHECK(d == dev);
	CHECK_EQ(xb.waits, 1);
	/* A disk that never comes: a zero timeout is an answer at once. */
	CHECK_EQ(pvk_blkfront_wait_connected(4242, 0, &d), -PVK_XEN_ETIMEDOUT);
	CHECK(d == NULL);
	pvk_time_init(NULL);
	xb_close_and_free();
}

/* ---- Suspend and resume (blkfront_suspend.c) ---------------------------- */

/* What the backend offers after the restore in these tests: one queue,
 * one ring page, no indirect descriptors, no persistent grants. */
static const char *const small_keys[] = {
	"max-ring-page-order", "0", "multi-queue-max-queues", "1",
	"sectors", "8192", "sector-size", "512", "physical-sector-size", "512",
	"info", "0", "feature-flush-cache", "1", NULL,
};

/* The same, but another disk. */
static const char *const other_disk_keys[] = {
	"max-ring-page-order", "0", "multi-queue-max-queues", "1",
	"sectors", "4096", "sector-size", "512", NULL,
};

static void free_given_page(void *page)
{
	free(page);
}

/*
 * Resumed in a new domain: the part runs (the pages it lets go are freed
 * here: the played page free only counts), the old ports must not have
 * been closed (they are not ours any more), then the kit's event table is
 * played reset, as suspend/ did before the parts ran.
 */
static void play_new_domain(void)
{
	unsigned int resumes = device_resumes;

	unit_fake_page_freed_hook = free_given_page;
	suspend_part->resume(PVK_SUSPEND_RESUMED, suspend_part->arg);
	unit_fake_page_freed_hook = NULL;
	CHECK_EQ(device_resumes, resumes + 1);
	for (unsigned int i = 0; i < kit.ports; i++)
		CHECK(kit.handler[i] != NULL);
	memset(kit.handler, 0, sizeof(kit.handler));
	kit.ports = 0;
	/* Every grant of before ended at once, nothing waited for. */
	CHECK_EQ(kit.live, 0);
	CHECK_EQ(pvk_blkfront_grants_held(dev), 0);
	/* The queues stay where they were (a host may hold one), as new. */
	CHECK(dev->queues != NULL);
	CHECK_EQ(dev->nr_queues_set_up, 0);
	for (unsigned int i = 0; i < BLKFRONT_MAX_QUEUES; i++)
		CHECK(!dev->queues[i].live && !dev->queues[i].port_bound);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialising);
}

static void (*at_requeue)(void);

/* The new backend: InitWait with keys, our rings attached, Connected. */
static void play_reconnect(const char *const *keys)
{
	xb.keys = keys;
	xb.xd.otherend_state = PVK_XenbusStateInitWait;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	for (unsigned int i = 0; i < dev->info.nr_queues; i++) {
		memset(&back[i], 0, sizeof(back[i]));
		PVK_BACK_RING_ATTACH(&back[i], (struct pvk_blkif_sring *)dev->queues[i].ring_page[0],
				     0, (size_t)dev->info.ring_pages * 4096);
	}
	xb.xd.otherend_state = PVK_XenbusStateConnected;
	/* What a test plays at the requeue's first grant. */
	kit.on_grant = at_requeue;
	at_requeue = NULL;
	/* The replay list's pages go back as it ends. */
	unit_fake_page_freed_hook = free_given_page;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
	unit_fake_page_freed_hook = NULL;
}

struct held {
	struct pvk_blk_req req;
	struct result res;
};

static int submit_q(struct held *h, enum pvk_blk_op op, uint64_t sector, void *b,
		    size_t len, unsigned int queue)
{
	memset(&h->res, 0, sizeof(h->res));
	h->req = (struct pvk_blk_req){ .op = op, .sector = sector, .buf = b, .len = len,
				       .queue = queue, .done = on_done, .arg = &h->res };
	return pvk_blkfront_submit(dev, &h->req);
}

/* Four requests in flight, the backend answering none: a 200-page write
 * (indirect) on queue 1, a write and a read on queue 0, then a write over
 * the first one's first page on queue 1 (issued after it: it must land
 * after it again). One request answered before, never issued again. */
static void in_flight(struct held *h)
{
	struct pvk_blk_req done_req;
	struct result done_res;

	for (size_t i = 0; i < 200 * 4096; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	for (size_t i = 0; i < 4096; i++)
		back_buf[i] = (uint8_t)(i * 7 + 3);
	memset(disk, 0, sizeof(disk));
	for (size_t i = 0; i < 8 * 512; i++)
		disk[3000 * 512 + i] = (uint8_t)(i + 9);
	CHECK_EQ(submit(&done_req, &done_res, PVK_BLK_WRITE, 3500, back_buf, 512), 0);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(done_res.calls, 1);
	CHECK_EQ(submit_q(&h[0], PVK_BLK_WRITE, 0, buf, 200 * 4096, 1), 0);
	CHECK_EQ(submit_q(&h[1], PVK_BLK_WRITE, 2000, buf + 4096, 3 * 4096, 0), 0);
	CHECK_EQ(submit_q(&h[2], PVK_BLK_READ, 3000, back_buf + 8192, 4096, 0), 0);
	CHECK_EQ(submit_q(&h[3], PVK_BLK_WRITE, 0, back_buf, 4096, 1), 0);
}

/*
 * A restore: the four requests in flight are requeued on the new backend
 * (one queue, no indirect descriptors) in the order they were issued, the
 * 200-page write split again into 19 requests of at most 11 pages; each
 * host request completes once, the disk holds what a backend serving them
 * in order holds (the later write over the first page on top), the read
 * reads the disk, and the one answered before is not issued again.
 */
UNIT_TEST(blkfront_resume_requeues_in_order_and_splits_again)
{
	struct pvk_blkfront_resume_stats rs;
	struct held h[4], late;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK(suspend_part != NULL);
	CHECK_EQ(dev->info.nr_queues, 2);
	CHECK_EQ(dev->info.indirect_segments, 256);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	/* Quiesced: nothing more on the ring; the host waits, bounded. */
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_EAGAIN);
	play_new_domain();
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.calls, 0);
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_EAGAIN);
	play_reconnect(small_keys);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateConnected);
	CHECK_EQ(dev->info.nr_queues, 1);
	CHECK_EQ(dev->info.indirect_segments, 0);
	CHECK_EQ(xb.added, 1);	/* told once, at boot */
	CHECK_EQ(backend_serve_q(0), 19 + 3);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(h[i].res.calls, 1);
		CHECK_EQ(h[i].res.status, 0);
	}
	CHECK(memcmp(disk, back_buf, 4096) == 0);
	CHECK(memcmp(disk + 4096, buf + 4096, 199 * 4096) == 0);
	CHECK(memcmp(disk + 2000 * 512, buf + 4096, 3 * 4096) == 0);
	CHECK(memcmp(back_buf + 8192, disk + 3000 * 512, 4096) == 0);
	pvk_blkfront_get_resume_stats(dev, &rs);
	CHECK_EQ(rs.resumes, 1);
	CHECK_EQ(rs.requeued, 4);
	CHECK_EQ(rs.split, 1);
	CHECK_EQ(rs.pieces, 22);
	CHECK_EQ(rs.completed, 4);
	CHECK_EQ(rs.failed, 0);
	/* The host's own submits are taken again. */
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 3), 0);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(late.res.calls, 1);
	xb_close_and_free();
}

/* The host's counters go on across a resume (review s12 N3): not back
 * to 0 during the reconnect, nor after it on fewer queues (queue 1's
 * requests of before still count). */
UNIT_TEST(blkfront_resume_keeps_the_stats)
{
	struct pvk_blkfront_stats before, during, after;
	struct held h[4];

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	pvk_blkfront_get_stats(dev, &before);
	CHECK(before.requests >= 5);
	CHECK_EQ(before.responses, 1);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	pvk_blkfront_get_stats(dev, &during);
	CHECK_EQ(during.requests, before.requests);
	CHECK_EQ(during.responses, 1);
	play_reconnect(small_keys);
	CHECK_EQ(dev->info.nr_queues, 1);
	CHECK_EQ(backend_serve_q(0), 19 + 3);
	pvk_blkfront_get_stats(dev, &after);
	CHECK_EQ(after.requests, before.requests + 22);
	CHECK_EQ(after.responses, 1 + 22);
	xb_close_and_free();
}

/* A resume's publication needs no memory (review s12: the keyset was
 * allocated at each one, and a failure gave the disk up; review s13 M1:
 * xenbus's scratch too): with every allocation of more than a page
 * failing, the disk reconnects, and the scratch was allocated once. */
UNIT_TEST(blkfront_resume_publishes_without_allocating)
{
	struct held h[4];

	scratch_allocs = 0;
	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(scratch_allocs, 1);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	unit_fail_malloc_over = 4096;
	play_reconnect(small_keys);
	unit_fail_malloc_over = 0;
	CHECK_EQ(scratch_allocs, 1);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateConnected);
	CHECK_EQ(backend_serve_q(0), 19 + 3);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.calls, 1);
	xb_close_and_free();
}

/* A watch delivered inside a publication's xenstore wait (review s13
 * S1): a second publication of the device there must not overwrite the
 * keys the outer transaction still reads; refused, logged, and the outer
 * one publishes its own keys. (A nested InitWait fails earlier today, at
 * the rings already set up: the publication is called directly.) */
static int nested_rc;

static void publish_nested(struct pvk_xenbus_device *d)
{
	(void)d;
	on_publish = NULL;	/* one nesting */
	nested_rc = blkfront_publish(dev, 0);
}

UNIT_TEST(blkfront_nested_publication_refused)
{
	nested_rc = 1;
	xb_probe();
	unit_log_clear();
	xb.keys = blkback_keys;
	on_publish = publish_nested;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	on_publish = NULL;
	CHECK_EQ(nested_rc, -PVK_XEN_EBUSY);
	CHECK(unit_log_has("nested inside another refused"));
	CHECK_EQ(xb.xd.state, PVK_XenbusStateInitialised);
	for (unsigned int i = 0; i < dev->info.nr_queues; i++)
		PVK_BACK_RING_ATTACH(&back[i], (struct pvk_blkif_sring *)dev->queues[i].ring_page[0],
				     0, (size_t)dev->info.ring_pages * 4096);
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateConnected);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateConnected);
	xb_close_and_free();
}

/* A submit still under way at a second restore while the first one's
 * reconnect waits (review s12 N5): the device is broken, and what the
 * first restore listed fails too, each done() once (the list's pages
 * freed), instead of being dropped with the reconnect. */
UNIT_TEST(blkfront_resume_stuck_submit_while_reconnecting_fails_the_list)
{
	struct held h[4];

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	CHECK(dev->resuming);
	suspend_part->quiesce(suspend_part->arg);
	__atomic_store_n(&dev->issuing, 1, __ATOMIC_SEQ_CST);
	unit_fake_page_freed_hook = free_given_page;
	suspend_part->resume(PVK_SUSPEND_RESUMED, suspend_part->arg);
	unit_fake_page_freed_hook = NULL;
	__atomic_store_n(&dev->issuing, 0, __ATOMIC_SEQ_CST);
	CHECK(pvk_blkfront_broken(dev));
	CHECK(!dev->resuming);
	CHECK_EQ(dev->replay_n, 0);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(h[i].res.calls, 1);
		CHECK_EQ(h[i].res.status, -PVK_XEN_EIO);
	}
	xb_close_and_free();
}

/* A restore onto another disk (its size changed): refused, said, every
 * request of before fails once with EIO, the host's waits end. */
UNIT_TEST(blkfront_resume_onto_another_disk_fails_its_requests)
{
	struct held h[4], late;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	unit_log_clear();
	play_reconnect(other_disk_keys);
	CHECK(unit_log_has("the disk changed across the restore"));
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(h[i].res.calls, 1);
		CHECK_EQ(h[i].res.status, -PVK_XEN_EIO);
	}
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_ENODEV);
	xb_close_and_free();
}

/* Cancelled (`xl save -c`): the same rings; what was queued unpushed
 * meanwhile reaches the backend, nothing is issued twice. */
UNIT_TEST(blkfront_resume_cancelled_goes_on_on_the_same_rings)
{
	struct pvk_blkfront_resume_stats rs;
	struct held a, b;
	unsigned int resumes;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	memset(&a.res, 0, sizeof(a.res));
	a.req = (struct pvk_blk_req){ .op = PVK_BLK_WRITE, .sector = 8, .buf = buf, .len = 4096,
				      .flags = PVK_BLK_REQ_MORE, .done = on_done, .arg = &a.res };
	CHECK_EQ(pvk_blkfront_submit(dev, &a.req), 0);
	suspend_part->quiesce(suspend_part->arg);
	pvk_blkfront_kick(dev, 0);	/* quiesced: pushes nothing */
	CHECK_EQ(backend_serve_q(0), 0);
	CHECK_EQ(submit_q(&b, PVK_BLK_READ, 8, back_buf, 512, 0), -PVK_XEN_EAGAIN);
	resumes = device_resumes;
	suspend_part->resume(PVK_SUSPEND_CANCELLED, suspend_part->arg);
	CHECK_EQ(device_resumes, resumes);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(a.res.calls, 1);
	CHECK_EQ(a.res.status, 0);
	CHECK_EQ(submit_q(&b, PVK_BLK_READ, 8, back_buf, 512, 0), 0);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(b.res.calls, 1);
	CHECK(memcmp(back_buf, buf, 512) == 0);
	pvk_blkfront_get_resume_stats(dev, &rs);
	CHECK_EQ(rs.cancelled, 1);
	CHECK_EQ(rs.requeued, 0);
	xb_close_and_free();
}

/*
 * An answer the old backend left in the saved ring proves nothing about
 * its data page (the save may have copied the ring after the answer and
 * the page before the data): after the quiesce nothing takes it, not a
 * host's poll, and nothing is notified on the old ports; the read is
 * issued again and returns the new backend's data. A cancelled suspend
 * during the reconnect leaves the device waiting for it.
 */
UNIT_TEST(blkfront_resume_does_not_take_answers_left_in_the_old_ring)
{
	struct held r, late;
	unsigned int sends;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	memset(disk, 0, sizeof(disk));
	memset(disk + 100 * 512, 0xa1, 4096);
	memset(back_buf, 0, 4096);
	CHECK_EQ(submit_q(&r, PVK_BLK_READ, 100, back_buf, 4096, 0), 0);
	suspend_part->quiesce(suspend_part->arg);
	sends = kit.sends;
	/* The old backend answers, its event comes: nothing taken. */
	CHECK_EQ(backend_serve_q(0), 1);
	pvk_blkfront_poll(dev);
	pvk_blkfront_poll_queue(dev, 0);
	CHECK_EQ(r.res.calls, 0);
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 8, back_buf + 8192, 512, 0), -PVK_XEN_EAGAIN);
	pvk_blkfront_kick(dev, 0);
	CHECK_EQ(kit.sends, sends);
	memset(disk + 100 * 512, 0xb2, 4096);
	play_new_domain();
	CHECK_EQ(kit.sends, sends);
	pvk_blkfront_poll(dev);
	CHECK_EQ(r.res.calls, 0);
	/* Another suspend, cancelled, while the reconnect is under way. */
	suspend_part->quiesce(suspend_part->arg);
	suspend_part->resume(PVK_SUSPEND_CANCELLED, suspend_part->arg);
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 8, back_buf + 8192, 512, 0), -PVK_XEN_EAGAIN);
	play_reconnect(small_keys);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(r.res.calls, 1);
	CHECK_EQ(r.res.status, 0);
	for (size_t i = 0; i < 4096; i++)
		if (back_buf[i] != 0xb2) {
			CHECK_EQ(back_buf[i], 0xb2);
			break;
		}
	xb_close_and_free();
}

/* A whole save and restore, played while a host thread sleeps. */
static void suspend_and_restore(void)
{
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	play_reconnect(small_keys);
}

/*
 * A host thread waits for a slot on queue 1 of two; a restore happens
 * meanwhile and the new backend offers one queue. The waiter wakes on the
 * device of now (the queue array is not freed under it: ASan says so if
 * it is), and its submit goes to the one queue there is.
 */
UNIT_TEST(blkfront_resume_under_a_waiter_keeps_its_queue)
{
	struct held r;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(dev->info.nr_queues, 2);
	during_next_wait = suspend_and_restore;
	CHECK_EQ(pvk_blkfront_wait_slot(dev, 1, 1000000000ULL), 0);
	CHECK(during_next_wait == NULL);
	CHECK_EQ(dev->info.nr_queues, 1);
	CHECK_EQ(submit_q(&r, PVK_BLK_READ, 8, back_buf, 512, 1), 0);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(r.res.calls, 1);
	xb_close_and_free();
}

static void suspend_only(void)
{
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
}

/*
 * rw_sync's wait runs out while its request waits, listed, for the new
 * backend: the break fails it (its done() has run when rw_sync returns,
 * its record, on the heap, freed once), never a success for a read that
 * never ran.
 */
UNIT_TEST(blkfront_resume_rw_sync_timeout_fails_the_listed_request)
{
	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	during_next_wait = suspend_only;
	CHECK_EQ(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 8, back_buf, 512, 1000000ULL),
		 -PVK_XEN_EIO);
	CHECK(dev->broken);
	CHECK(!dev->quiesced && !dev->resuming);
	play_reconnect(small_keys);
	CHECK_EQ(backend_serve_q(0), 0);	/* nothing requeued */
	xb_close_and_free();
}

/*
 * The reconnect after a restore has a deadline of its own: the new
 * backend never gets to InitWait, PVK_BLKFRONT_RESUME_TIMEOUT_NS pass
 * (played: the resume's start moved back by that much), and the host's
 * next poll (never its submit, which says EAGAIN) finds the device given
 * up: broken, said in the log, each request it kept done once with
 * -ENODEV; the host's submits then say EIO. A
 * backend that shows up after that gets no rings: it is told Closed.
 */
UNIT_TEST(blkfront_resume_deadline_breaks_the_device_and_fails_kept_requests)
{
	struct pvk_blkfront_resume_stats rs;
	struct held h[4], late;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	CHECK(dev->resuming);
	/* Not due yet: the host waits, nothing fails. */
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_EAGAIN);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.calls, 0);
	CHECK(blkfront_resume_deadline_left(dev) > 0);
	dev->resume_t0 -= PVK_BLKFRONT_RESUME_TIMEOUT_NS;
	CHECK_EQ(blkfront_resume_deadline_left(dev), 0);
	unit_log_clear();
	/* Never from inside a submit (N7): it would run the kept requests'
	 * done() there; the host's next poll gives the reconnect up. */
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_EAGAIN);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.calls, 0);
	CHECK(!dev->broken);
	pvk_blkfront_poll(dev);
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_EIO);
	CHECK(unit_log_has("not connected again 30 s after the resume"));
	CHECK(dev->broken);
	CHECK(!dev->quiesced && !dev->resuming);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(h[i].res.calls, 1);
		CHECK_EQ(h[i].res.status, -PVK_XEN_ENODEV);
	}
	pvk_blkfront_get_resume_stats(dev, &rs);
	CHECK_EQ(rs.gave_up, 1);
	/* Once: a poll after it changes nothing. */
	pvk_blkfront_poll(dev);
	pvk_blkfront_get_resume_stats(dev, &rs);
	CHECK_EQ(rs.gave_up, 1);
	/* The backend comes late: no rings for it, Closed. */
	xb.keys = small_keys;
	xb.xd.otherend_state = PVK_XenbusStateInitWait;
	xb.drv->otherend_changed(&xb.xd, PVK_XenbusStateInitWait);
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	CHECK_EQ(kit.live, 0);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.calls, 1);
	xb_close_and_free();
}

/* The new backend lives in another domain: every ring, page and channel
 * of the reconnect is granted or offered to it, none to the old one. */
UNIT_TEST(blkfront_resume_grants_to_the_new_backend_domain)
{
	struct held r;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	CHECK_EQ(kit.grant_domid, 0);
	CHECK_EQ(submit_q(&r, PVK_BLK_READ, 8, back_buf, 4096, 0), 0);
	suspend_part->quiesce(suspend_part->arg);
	resume_backend_id = 7;
	play_new_domain();
	resume_backend_id = 0;
	kit.grant_domid = kit.port_domid = 0;
	play_reconnect(small_keys);
	CHECK_EQ(kit.grant_domid, 7);
	CHECK_EQ(kit.port_domid, 7);
	CHECK_EQ(backend_serve_q(0), 1);
	CHECK_EQ(r.res.calls, 1);
	CHECK_EQ(kit.grant_domid, 7);	/* the replayed read's page too */
	xb_close_and_free();
	xb.xd.otherend_id = 0;
}

static const char *const bad_sector_keys[] = {
	"max-ring-page-order", "0", "multi-queue-max-queues", "1",
	"sectors", "8192", "sector-size", "3", NULL,
};

/* The new backend describes the disk badly: given up, every request of
 * before fails once with EIO, and the host hears -ENODEV at once (not
 * -EAGAIN for ever). */
UNIT_TEST(blkfront_resume_refused_backend_fails_the_requests_once)
{
	struct held h[4], late;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	unit_log_clear();
	play_reconnect(bad_sector_keys);
	CHECK(unit_log_has("backend describes the disk badly"));
	CHECK_EQ(xb.xd.state, PVK_XenbusStateClosed);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(h[i].res.calls, 1);
		CHECK_EQ(h[i].res.status, -PVK_XEN_EIO);
	}
	CHECK(!dev->quiesced && !dev->resuming);
	CHECK_EQ(submit_q(&late, PVK_BLK_READ, 100, back_buf, 512, 0), -PVK_XEN_ENODEV);
	xb_close_and_free();
}

/* ---- rw_sync's deadline across suspends (review s12 S3, N4) ------------ */

static struct pvk_shared_info ck_si;	/* the clock these tests move */
static unsigned int checkpoints;

static void clock_advance(uint64_t ns)
{
	ck_si.vcpu_info[0].time.version += 2;
	ck_si.vcpu_info[0].time.system_time += ns;
}

/* xenstore's quiesce inside pvk_suspend(): the parts are quiesced now;
 * 50 ms pass (the checkpoint's downtime), then the suspend goes no
 * further, and the parts resume(CANCELLED), as after `xl save -c`. */
static int checkpoint_downtime(void)
{
	clock_advance(50ULL * 1000 * 1000);
	return -PVK_XEN_EBUSY;
}

/* In each of rw_sync's waits: the guest runs 100 ms, the backend says
 * nothing, and a checkpoint comes (at most 100 of them). */
static void periodic_checkpoint(void)
{
	clock_advance(100ULL * 1000 * 1000);
	checkpoints++;
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	if (checkpoints < 100)
		during_next_wait = periodic_checkpoint;
}

static void suspend_host_up(void)
{
	static uint64_t start_info[512];
	static const struct pvk_suspend_host host = {
		.start_info = (struct pvk_start_info *)start_info,
	};

	memset(&ck_si, 0, sizeof(ck_si));
	ck_si.vcpu_info[0].time.system_time = 1000000000ULL;
	pvk_time_init(&ck_si);
	CHECK_EQ(pvk_suspend_init(&host), 0);
	CHECK_EQ(pvk_smp_init(), 0);
	unit_suspend_xs_hook = checkpoint_downtime;
	checkpoints = 0;
}

/*
 * A backend that never answers, under periodic checkpoints (Remus, `xl
 * save -c` every 150 ms here): rw_sync still gives up, once the backend
 * had its timeout of the time the guest ran: each checkpoint's 50 ms of
 * downtime moves the 1 s deadline on, nothing more. Restarting the whole
 * timeout at each suspend never ended (100 checkpoints here, then one
 * more timeout); not moving it at all broke the disk at the first.
 */
UNIT_TEST(blkfront_rw_sync_ends_under_periodic_checkpoints)
{
	struct pvk_suspend_stats st;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	suspend_host_up();
	during_next_wait = periodic_checkpoint;
	CHECK_EQ(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 8, back_buf, 512, 1000000000ULL),
		 -PVK_XEN_EIO);
	during_next_wait = NULL;
	/* 150 ms a cycle, 50 of them not the backend's: 1 s of running
	 * time is ten cycles. */
	CHECK(checkpoints >= 9 && checkpoints <= 11);
	CHECK(dev->broken);
	CHECK_EQ(pvk_suspend_parts_out_ns(), checkpoints * 50ULL * 1000 * 1000);
	pvk_suspend_get_stats(&st);
	CHECK_EQ(st.suspends, 0);	/* none reached Xen: played */
	unit_suspend_xs_hook = NULL;
	pvk_time_init(NULL);
	xb_close_and_free();
}

/*
 * wait_slot called once the reconnect's deadline has already passed (no
 * submit or poll in between) with the host's infinite timeout: it gives
 * the reconnect up at once and returns, never waiting the host's
 * timeout for a backend that is not coming (S3 of the review).
 */
UNIT_TEST(blkfront_resume_wait_slot_fires_a_passed_deadline)
{
	struct held h[4];

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	dev->resume_t0 -= PVK_BLKFRONT_RESUME_TIMEOUT_NS;
	pvk_blkfront_wait_slot(dev, 0, UINT64_MAX);
	CHECK(dev->broken);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.status, -PVK_XEN_ENODEV);
	xb_close_and_free();
}

static uint64_t aged_in_wait_ns;

static void age_the_resume(void)
{
	aged_in_wait_ns = last_wait_ns;
	dev->resume_t0 -= PVK_BLKFRONT_RESUME_TIMEOUT_NS;
}

static void suspend_then_age(void)
{
	suspend_only();
	during_next_wait = age_the_resume;
}

/*
 * rw_sync waits on a request kept across the resume, on an otherwise
 * idle disk (nobody submits or polls) with an infinite timeout: its wait
 * is capped by the reconnect's deadline, which fails the request with
 * -ENODEV when it passes (S4), not the host's break after its timeout.
 */
UNIT_TEST(blkfront_resume_rw_sync_on_a_kept_request_meets_the_deadline)
{
	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	/* The suspend and the resume come while rw_sync already waits, its
	 * wait not capped yet (review s12-int M2): the resume's arming must
	 * cap it, or it sleeps for ever on a real port. */
	during_next_wait = suspend_then_age;
	hung_waits = 0;
	CHECK_EQ(pvk_blkfront_rw_sync(dev, PVK_BLK_READ, 8, back_buf, 512, UINT64_MAX),
		 -PVK_XEN_ENODEV);
	CHECK_EQ(hung_waits, 0);
	/* The wait that met the deadline was capped by it. */
	CHECK(aged_in_wait_ns <= PVK_BLKFRONT_RESUME_TIMEOUT_NS);
	CHECK(dev->broken);
	CHECK(!dev->quiesced && !dev->resuming);
	xb_close_and_free();
}

static void new_domain_then_age(void)
{
	play_new_domain();
	during_next_wait = age_the_resume;
}

/*
 * review s12-int M2, wait_slot: a host waits for the device (EAGAIN
 * during the quiesce) with an infinite timeout, from before the resume;
 * the resume arms the deadline during that wait: the wait is capped by
 * it, the deadline gives the reconnect up, the kept requests fail and the
 * wait ends (the device broken counts as back), none sleeping for ever.
 */
UNIT_TEST(blkfront_resume_wait_slot_begun_before_the_resume_meets_the_deadline)
{
	struct held h[4];

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	during_next_wait = new_domain_then_age;
	hung_waits = 0;
	aged_in_wait_ns = 0;
	pvk_blkfront_wait_slot(dev, 0, UINT64_MAX);
	CHECK_EQ(hung_waits, 0);
	CHECK(aged_in_wait_ns && aged_in_wait_ns <= PVK_BLKFRONT_RESUME_TIMEOUT_NS);
	CHECK(dev->broken);
	for (unsigned int i = 0; i < 4; i++)
		CHECK_EQ(h[i].res.status, -PVK_XEN_ENODEV);
	xb_close_and_free();
}

/*
 * review s12-revfix SF-3: a host thread that judges rw_sync's deadline
 * while a suspend is still in progress (after the hypercall's clock jump,
 * before the parts resumed: the suspend thread waits there, for xenstore
 * and the parts' reconnects) must see that suspend counted, from its
 * quiesce: a 5 s downtime against a 1 s timeout would otherwise break a
 * healthy disk. Read inside the suspend, after 5 s of played downtime.
 */
static uint64_t out_inside;

static int long_downtime(void)
{
	clock_advance(5ULL * 1000 * 1000 * 1000);
	out_inside = pvk_suspend_parts_out_ns();
	return -PVK_XEN_EBUSY;
}

UNIT_TEST(blkfront_suspend_in_progress_counts_for_the_deadline)
{
	uint64_t before;

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	suspend_host_up();
	unit_suspend_xs_hook = long_downtime;
	before = pvk_suspend_parts_out_ns();
	out_inside = 0;
	CHECK_EQ(pvk_suspend(), -PVK_XEN_EBUSY);
	CHECK_EQ(out_inside - before, 5ULL * 1000 * 1000 * 1000);
	/* Once back, the same 5 s stay counted, and no more. */
	clock_advance(1000);
	CHECK_EQ(pvk_suspend_parts_out_ns() - before, 5ULL * 1000 * 1000 * 1000);
	unit_suspend_xs_hook = NULL;
	pvk_time_init(NULL);
	xb_close_and_free();
}

/*
 * The backend reached Connected; the deadline passes while the requeue
 * is under way (played: the host polls from inside the requeue's wait
 * for room, 30 s after the resume). The device is not broken by it: its
 * deadline ended at Connected (S2).
 */
static void poll_past_the_deadline(void)
{
	dev->resume_t0 -= PVK_BLKFRONT_RESUME_TIMEOUT_NS;
	pvk_blkfront_poll(dev);
}

UNIT_TEST(blkfront_resume_deadline_spares_a_connected_device)
{
	struct held h[4];

	CHECK_EQ(xb_bring_up(blkback_keys, NULL), PVK_XenbusStateConnected);
	in_flight(h);
	suspend_part->quiesce(suspend_part->arg);
	play_new_domain();
	/* Connected reached: the requeue's first step is what a host's poll
	 * meets 30 s later. */
	at_requeue = poll_past_the_deadline;
	play_reconnect(small_keys);
	CHECK(at_requeue == NULL && kit.on_grant == NULL);	/* it ran */
	CHECK(!dev->broken);
	CHECK_EQ(blkfront_resume_deadline_left(dev), 0);
	/* Requeued, and answered by the new backend. */
	CHECK_EQ(backend_serve_q(0), 19 + 3);
	for (unsigned int i = 0; i < 4; i++) {
		CHECK_EQ(h[i].res.calls, 1);
		CHECK_EQ(h[i].res.status, 0);
	}
	xb_close_and_free();
}
