/*
 * tests/unit/test_blkfront.c - blkfront's data path
 * (frontends/blkfront/blkfront_ring.c) against a backend played by the
 * test, on a ring page in host memory.
 *
 * The backend consumes requests and answers them as blkback would (a
 * 1,000-sector disk in memory, data through the granted bounce pages), or
 * as a broken or hostile one might: an unknown or repeated id, another
 * operation, an unknown status, a response index beyond what is
 * outstanding, a grant it keeps mapped. Each of those must mark the
 * device broken, fail the outstanding request with -EIO, refuse later
 * ones, and never free a page the backend still maps.
 */
#include <stdint.h>
#include <stdlib.h>
#include <pvkit/xen/errno.h>
#include "frontends/blkfront/blkfront_internal.h"
#include "unit.h"

/* ---- The kit interfaces blkfront uses, played by the test ------------- */

#define MAX_REFS 1024
static struct {
	void *page[MAX_REFS];		/* granted page by ref, NULL when free */
	bool readonly[MAX_REFS];
	bool mapped[MAX_REFS];		/* "the backend maps it": end refused */
	unsigned int next, live;
	unsigned int sends;
	int grants_left;		/* > 0: grants that succeed, then ENOSPC */
	bool map_on_grant;		/* a hostile backend maps each grant at once */
	pvk_evtchn_handler_t handler;
	void *arg;
} kit;

void *pvk_port_malloc(size_t size) { return malloc(size); }
void pvk_port_free(void *ptr) { free(ptr); }
void pvk_port_wait_init(struct pvk_wait *w) { (void)w; }
void pvk_port_wake(struct pvk_wait *w) { (void)w; }
/* Nothing runs behind the caller's back here: a false condition stays so. */
int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			uint64_t timeout_ns)
{
	(void)w;
	(void)timeout_ns;
	return cond(arg) ? 0 : -PVK_XEN_ETIMEDOUT;
}

int pvk_grant_access_page(pvk_domid_t domid, const void *page, bool readonly,
			  pvk_grant_ref_t *ref)
{
	(void)domid;
	if (kit.grants_left > 0 && --kit.grants_left == 0)
		return -PVK_XEN_ENOSPC;
	for (unsigned int i = 0; i < MAX_REFS; i++) {
		unsigned int r = (kit.next + i) % MAX_REFS;

		if (r >= 8 && !kit.page[r]) {
			kit.page[r] = (void *)page;
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
	(void)remote_dom;
	kit.handler = handler;
	kit.arg = arg;
	*port = 5;
	return 0;
}

int pvk_evtchn_send(pvk_evtchn_port_t port)
{
	(void)port;
	kit.sends++;
	return 0;
}

int pvk_evtchn_close(pvk_evtchn_port_t port)
{
	(void)port;
	kit.handler = NULL;
	return 0;
}

/* ---- The device and the backend --------------------------------------- */

#define DISK_SECTORS 1000
static uint8_t disk[DISK_SECTORS * 512];
static struct pvk_xenbus_device xdev = { .nodename = "device/vbd/51712" };
static struct pvk_blkfront *dev;
static struct pvk_blkif_back_ring back;
static void *all_pages[PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST * 64 + 1];
static unsigned int n_pages;

static void setup(void)
{
	memset(&kit, 0, sizeof(kit));
	kit.next = 8;
	dev = calloc(1, sizeof(*dev));
	dev->xdev = &xdev;
	strcpy(dev->name, xdev.nodename);
	dev->info.vdev = 51712;
	CHECK_EQ(blkfront_ring_setup(dev), 0);
	dev->info.sectors = DISK_SECTORS;
	dev->info.sector_size = 512;
	dev->info.flush = true;
	dev->connected = true;
	CHECK_EQ(dev->info.depth, 32);
	CHECK_EQ(kit.page[dev->ring_ref], dev->ring_page);
	PVK_BACK_RING_ATTACH(&back, (struct pvk_blkif_sring *)dev->ring_page, 0, 4096);
	/* The pages, to free them after teardown (pvk_port_free_page of
	 * the unit build only counts). */
	n_pages = 0;
	all_pages[n_pages++] = dev->ring_page;
	for (unsigned int i = 0; i < dev->info.depth; i++)
		for (unsigned int j = 0; j < PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST; j++)
			all_pages[n_pages++] = dev->slots[i].page[j];
	unit_log_clear();
}

static void teardown(void)
{
	blkfront_fail_all(dev, -PVK_XEN_ENODEV);
	blkfront_ring_teardown(dev);
	for (unsigned int i = 0; i < n_pages; i++)
		free(all_pages[i]);
	free(dev);
}

/* Takes the next request off the ring (copied), false if none. */
static bool backend_take(struct pvk_blkif_request *rq)
{
	uint32_t n;

	CHECK(PVK_RING_UNCONSUMED_REQUESTS(&back, &n));
	if (!n)
		return false;
	PVK_RING_COPY_REQUEST(&back, back.req_cons, rq);
	back.req_cons++;
	return true;
}

/* Does a request on the disk as blkback would; returns its status. */
static int16_t backend_do(const struct pvk_blkif_request *rq)
{
	uint64_t sect = rq->sector_number;

	for (unsigned int i = 0; i < rq->nr_segments; i++) {
		const struct pvk_blkif_request_segment *sg = &rq->seg[i];
		uint8_t *page = kit.page[sg->gref];
		size_t off = sg->first_sect * 512u;
		size_t n = (sg->last_sect - sg->first_sect + 1u) * 512u;

		CHECK(page != NULL);
		CHECK(sg->first_sect <= sg->last_sect && sg->last_sect < 8);
		if (!page || sect * 512 + n > sizeof(disk))
			return PVK_BLKIF_RSP_ERROR;
		if (rq->operation == PVK_BLKIF_OP_WRITE) {
			CHECK(kit.readonly[sg->gref]);
			memcpy(disk + sect * 512, page + off, n);
		} else {
			CHECK(!kit.readonly[sg->gref]);
			memcpy(page + off, disk + sect * 512, n);
		}
		sect += n / 512;
	}
	return PVK_BLKIF_RSP_OKAY;
}

static void backend_respond(uint64_t id, uint8_t op, int16_t status)
{
	struct pvk_blkif_response *rsp = PVK_RING_GET_RESPONSE(&back, back.rsp_prod_pvt);

	rsp->id = id;
	rsp->operation = op;
	rsp->status = status;
	back.rsp_prod_pvt++;
	if (PVK_RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back) && kit.handler)
		kit.handler(5, kit.arg);
}

/* Serves every request on the ring correctly. */
static unsigned int backend_serve(void)
{
	struct pvk_blkif_request rq;
	unsigned int n = 0;

	while (backend_take(&rq)) {
		backend_respond(rq.id, rq.operation, backend_do(&rq));
		n++;
	}
	/* As blkback before it sleeps: notify me at the next request. */
	CHECK(!PVK_RING_FINAL_CHECK_FOR_REQUESTS(&back));
	return n;
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

static uint8_t buf[12 * 4096] __attribute__((aligned(4096)));
static uint8_t back_buf[12 * 4096] __attribute__((aligned(4096)));

/* ---- Tests ------------------------------------------------------------- */

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
	CHECK_EQ(dev->outstanding, 0);
	CHECK(!pvk_blkfront_broken(dev));
	/* One request at a time: each one found the backend waiting. */
	CHECK_EQ(dev->stats.notify_sent, 12);
	CHECK_EQ(kit.sends, 12);
	CHECK_EQ(dev->stats.requests, 12);
	teardown();
}

UNIT_TEST(blkfront_bounce_pages_hold_only_the_request)
{
	struct pvk_blk_req req;
	struct result res;
	struct pvk_blkif_request rq;

	setup();
	/* Dirty every bounce page, as earlier requests would have. */
	for (unsigned int i = 0; i < dev->info.depth; i++)
		for (unsigned int j = 0; j < PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST; j++)
			memset(dev->slots[i].page[j], 0xa5, 4096);
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
	dev->info.vdisk_info = 0;
	dev->info.flush = false;
	CHECK_EQ(submit(&req, &res, PVK_BLK_FLUSH, 0, NULL, 0), -PVK_XEN_EOPNOTSUPP);
	CHECK_EQ(dev->stats.requests, 0);
	CHECK_EQ(res.calls, 0);
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
	CHECK_EQ(dev->stats.eagain, 1);
	/* The backend never took the first: one notification for all 32. */
	CHECK_EQ(kit.sends, 1);
	/* Backend answers them all, notifying once at the end. */
	while (backend_take(&rq)) {
		struct pvk_blkif_response *rsp =
			PVK_RING_GET_RESPONSE(&back, back.rsp_prod_pvt);

		rsp->id = rq.id;
		rsp->operation = rq.operation;
		rsp->status = backend_do(&rq);
		back.rsp_prod_pvt++;
	}
	CHECK(PVK_RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&back));
	kit.handler(5, kit.arg);
	for (unsigned int i = 0; i < 32; i++)
		CHECK(res[i].done && res[i].status == 0);
	CHECK_EQ(dev->outstanding, 0);
	CHECK_EQ(submit(&reqs[32], &res[32], PVK_BLK_READ, 0, buf, 512), 0);
	CHECK_EQ(backend_serve(), 1);
	CHECK_EQ(res[32].status, 0);
	teardown();
}

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
	CHECK_EQ(dev->outstanding, 0);
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
	back.rsp_prod_pvt += 5;
	PVK_RING_PUSH_RESPONSES(&back);
	kit.handler(5, kit.arg);
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

UNIT_TEST(blkfront_page_still_mapped_is_out_of_the_slot)
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
	for (unsigned int i = 0; i < dev->info.depth; i++)
		for (unsigned int j = 0; j < PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST; j++)
			CHECK(dev->slots[i].page[j] != page);
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
	CHECK_EQ(dev->stats.errors, 2);
	teardown();
}

/* The backend maps a grant of a request before it is sent (it can guess
 * references), and the request's next grant fails: the submit fails, the
 * mapped page leaves the slot, and the device is broken, so no later submit
 * ever fills that slot (its page would be NULL). */
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
	CHECK_EQ(dev->stats.requests, 0);
	CHECK_EQ(dev->outstanding, 0);
	kit.map_on_grant = false;
	kit.grants_left = 0;
	for (unsigned int r = 8; r < MAX_REFS; r++)
		if (kit.mapped[r])
			mapped_ref = r;
	CHECK(mapped_ref != 0);
	/* Slot 0 is the free one a new submit would take first. */
	CHECK_EQ(submit(&req, &res, PVK_BLK_WRITE, 0, buf, 4096), -PVK_XEN_EIO);
	CHECK_EQ(res.calls, 0);
	kit.mapped[mapped_ref] = false;
	teardown();
}
