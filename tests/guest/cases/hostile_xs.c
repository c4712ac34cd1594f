/*
 * tests/guest/cases/hostile_xs.c - the kit's blkfront and netfront against
 * a backend that misbehaves in xenstore (scenario hostile-xs, explicit
 * only): dom0's pvk-hostile-back (its xs_attack.c) creates a fresh device
 * for each attack, as a toolstack would, then:
 *
 *   initwait   never leaves InitWait: our bounded wait gives the device up
 *              (closed, no grant left), the guest runs on
 *   flap       connects, then its state flaps Connected <-> Closing with a
 *              request of ours in flight: the request fails, the device
 *              closes, no grant left once the toolstack removed it
 *   remove     connects, then its whole directory is deleted with a
 *              request in flight: taken as Closed, the request fails
 *   bad values non-numeric, trailing garbage, overflowing or absurd keys,
 *              a needed key missing: refused (our state Closed, the log
 *              names the key and the text) or, for an absurd offer that
 *              only bounds what we ask, connected with what we use
 *
 * After each: the disk xvda, served by Linux's blkback, still reads; dom0
 * counts the guest's grants to it, which must be exactly what xvda holds.
 * One line per attack, "hostile-xs: <name>: ...", says the outcome. The
 * dom0 side: the scenario's ON_LINE rules start the tool on each "ready
 * for" line; the exchange goes through our data/ (xs_attack.c lists it).
 */
#include <pvkit/blkfront.h>
#include <pvkit/grant.h>
#include <pvkit/log.h>
#include <pvkit/netfront.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

#define PVK_GUEST_XEN_ONLY_FILE
#include "../test.h"

#if defined(CONFIG_PVK_BLKFRONT) && defined(CONFIG_PVK_NETFRONT)

#define XVDA		51712
#define GRANT_VA	0xffff968000000000UL	/* as cases/grant_table.c */
#define GRANT_FRAMES	4
#define MS		(1000ULL * 1000)
#define SEC_NS		(1000 * MS)
/* Our bound on a backend's handshake: an initwait attack waits all of it,
 * and what it proves (given up, closed, no grant left) does not grow with
 * it; it need only outlast our own side of the handshake (Initialised, or
 * the vif's Connected, a few xenstore writes), as the give-up line says
 * which. */
#define GIVE_UP_NS	(5 * SEC_NS)
#define CONNECT_NS	(15 * SEC_NS)
#define DOM0_NS		(40 * SEC_NS)
#define ATTACK_NS	(20 * SEC_NS)	/* the request fails within */
#define MAX_VIF		16

enum kind { K_INITWAIT, K_FLAP, K_REMOVE, K_REFUSED, K_CAPPED };

struct attack {
	const char *name;	/* as the scenario's rule knows it */
	bool vif;
	unsigned int id;	/* vbd: vdev; vif: handle */
	enum kind kind;
};

/* vbd ids xvdd.. (202 << 8 | n << 4), vif ids 1..; each used once. */
static const struct attack attacks[] = {
	{ "vbd-initwait", false, 51760, K_INITWAIT },
	{ "vbd-flap", false, 51776, K_FLAP },
	{ "vbd-remove", false, 51792, K_REMOVE },
	{ "vbd-sectors-abc", false, 51808, K_REFUSED },
	{ "vbd-sector-size-garbage", false, 51824, K_REFUSED },
	{ "vbd-indirect-minus-1", false, 51840, K_REFUSED },
	{ "vbd-queues-4294967295", false, 51856, K_CAPPED },
	{ "vbd-queues-minus-1", false, 51872, K_REFUSED },
	{ "vbd-sectors-overflow", false, 51888, K_REFUSED },
	{ "vbd-ring-order-absurd", false, 51904, K_CAPPED },
	{ "vbd-sectors-missing", false, 51920, K_REFUSED },
	{ "vif-initwait", true, 1, K_INITWAIT },
	{ "vif-flap", true, 2, K_FLAP },
	{ "vif-remove", true, 3, K_REMOVE },
	{ "vif-queues-minus-1", true, 4, K_REFUSED },
	{ "vif-queues-4294967295", true, 5, K_CAPPED },
	{ "vif-queues-0", true, 6, K_CAPPED },
	{ "vif-rx-copy-missing", true, 7, K_REFUSED },
	{ "vif-sg-garbage", true, 8, K_REFUSED },
};

static struct pvk_wait xs_wait;
static struct pvk_netfront *vifs[MAX_VIF];
static bool vif_was_up[MAX_VIF];
static struct pvk_blkfront *xvda;
static unsigned int vbd_connected[32];	/* vdevs the added hook heard of */
static unsigned int nr_vbd_connected;

static void vif_added(struct pvk_netfront *dev)
{
	unsigned int id = pvk_netfront_info(dev)->id;

	if (id < MAX_VIF)
		vifs[id] = dev;
}

static void vif_link(struct pvk_netfront *dev, bool up)
{
	unsigned int id = pvk_netfront_info(dev)->id;

	if (up && id < MAX_VIF)
		vif_was_up[id] = true;
}

static const struct pvk_netfront_hooks vif_hooks = { .added = vif_added, .link = vif_link };

/* blkfront tells the host of a disk only once it is connected. */
static void vbd_added(struct pvk_blkfront *dev)
{
	if (nr_vbd_connected < PVK_ARRAY_SIZE(vbd_connected))
		vbd_connected[nr_vbd_connected++] = pvk_blkfront_info(dev)->vdev;
}

static const struct pvk_blkfront_hooks vbd_hooks = { .added = vbd_added };

static bool ever_connected(const struct attack *a)
{
	if (a->vif)
		return a->id < MAX_VIF && vif_was_up[a->id];
	for (unsigned int i = 0; i < nr_vbd_connected; i++)
		if (vbd_connected[i] == a->id)
			return true;
	return false;
}

/* Our device node's state: -1 once the node is gone. */
static int fe_state(const struct attack *a)
{
	char path[48], v[8];
	unsigned long s;

	pvk_snprintf(path, sizeof(path), "device/%s/%u/state", a->vif ? "vif" : "vbd", a->id);
	if (pvk_xs_read(PVK_XBT_NIL, path, v, sizeof(v)) < 0 || pvk_xs_parse_ulong(v, &s))
		return -1;
	return (int)s;
}

/* Runs watches until the node's state is want (-1: gone; -2: there, in
 * any state; -3: Closed or gone, as dom0's detach may follow our Closed
 * within a blink); bounded. */
static bool fe_is(int s, int want)
{
	if (want == -2)
		return s >= 0;
	if (want == -3)
		return s == -1 || s == PVK_XenbusStateClosed;
	return s == want;
}

static int wait_fe(const struct attack *a, int want, uint64_t timeout_ns)
{
	uint64_t end = pvk_time_now_ns() + timeout_ns;

	while (!fe_is(fe_state(a), want)) {
		if (pvk_time_now_ns() >= end)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(SEC_NS / 10);
	}
	return 0;
}

static void tell_dom0(const char *what, const struct attack *a)
{
	char path[48];

	pvk_snprintf(path, sizeof(path), "data/%s-%u", what, a->id);
	pvk_xs_write(PVK_XBT_NIL, path, "1");
}

/* One request (or frame) of ours left in flight on the attacked device. */
static int io_status;
static bool io_done;
static uint8_t io_buf[4096] __attribute__((aligned(4096)));
static struct pvk_blk_req io_req;
static struct pvk_net_tx io_tx;
static struct pvk_net_frag io_frag;

static void blk_done(struct pvk_blk_req *req, int status)
{
	(void)req;
	io_status = status;
	PVK_WRITE_ONCE(io_done, true);
	pvk_port_wake(&xs_wait);
}

static void net_done(struct pvk_net_tx *tx, int status)
{
	(void)tx;
	io_status = status;
	PVK_WRITE_ONCE(io_done, true);
	pvk_port_wake(&xs_wait);
}

static int start_io(const struct attack *a, struct pvk_blkfront *bd, struct pvk_netfront *nd)
{
	io_done = false;
	io_status = 1;
	if (!a->vif) {
		io_req = (struct pvk_blk_req){
			.op = PVK_BLK_READ, .sector = 0, .buf = io_buf, .len = sizeof(io_buf),
			.done = blk_done,
		};
		return pvk_blkfront_submit(bd, &io_req);
	}
	/* A broadcast frame nobody answers: the backend never consumes it. */
	__builtin_memset(io_buf, 0xff, 6);
	__builtin_memset(io_buf + 6, 0x02, 6);
	io_buf[12] = 0x88;
	io_buf[13] = 0xb5;	/* local experimental ethertype */
	io_frag = (struct pvk_net_frag){ .buf = io_buf, .len = 60 };
	io_tx = (struct pvk_net_tx){ .frags = &io_frag, .nr_frags = 1, .done = net_done };
	return pvk_netfront_xmit(nd, &io_tx);
}

static int wait_io(uint64_t timeout_ns)
{
	uint64_t end = pvk_time_now_ns() + timeout_ns;

	while (!PVK_READ_ONCE(io_done)) {
		if (pvk_time_now_ns() >= end)
			return -PVK_XEN_ETIMEDOUT;
		pvk_xs_wait_watches(SEC_NS / 10);
	}
	return 0;
}

/* Gives the device back once it is removed and holds no grant (bounded). */
static int release(const struct attack *a, struct pvk_blkfront *bd, struct pvk_netfront *nd)
{
	uint64_t end = pvk_time_now_ns() + DOM0_NS;
	int rc;

	if (!bd && !nd)
		return 0;	/* never announced to the host: nothing to give */
	while ((rc = a->vif ? pvk_netfront_release(nd) : pvk_blkfront_release(bd)) ==
	       -PVK_XEN_EBUSY) {
		if (pvk_time_now_ns() >= end)
			return rc;
		pvk_xs_wait_watches(SEC_NS / 10);
	}
	return rc;
}

/* dom0's count of our grants to it: -1 when it did not answer. */
static long dom0_grants(const struct attack *a)
{
	char name[40], buf[64];
	unsigned long n;

	tell_dom0("hostile-count", a);
	pvk_snprintf(name, sizeof(name), "hostile-grants-%u", a->id);
	if (guest_dom0_answer("hostile-xs", name, buf, sizeof(buf), DOM0_NS) ||
	    __builtin_memcmp(buf, "grants-to-dom0: ", 16) || pvk_xs_parse_ulong(buf + 16, &n))
		return -1;
	return (long)n;
}

static int xvda_reads(void)
{
	return pvk_blkfront_rw_sync(xvda, PVK_BLK_READ, 0, io_buf, 512, 10 * SEC_NS);
}

/* The disk Linux serves, and the kit's drivers: before any attack. */
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_setup)
{
	struct pvk_grant_stats gs;

	guest_events_enable();
	pvk_port_wait_init(&xs_wait);
	pvk_grant_stats_snapshot(&gs);
	if (gs.refs_total == 0)
		PVK_CHECK_RC(pvk_grant_init(GRANT_VA, GRANT_FRAMES), 0);
	PVK_CHECK_RC(pvk_blkfront_init(&vbd_hooks), 0);
	PVK_CHECK_RC(pvk_netfront_init(&vif_hooks), 0);
	PVK_CHECK_RC(pvk_blkfront_wait_connected(XVDA, CONNECT_NS, &xvda), 0);
}

/* One attack, start to end (a test of its own per attack, below, so one
 * that fails leaves the others to run and say their outcome). */
static void run_attack(const struct attack *a)
{
	struct pvk_blkfront *bd = NULL;
	struct pvk_netfront *nd = NULL;
	uint64_t t0 = pvk_time_now_ns();
	char outcome[96] = "";
	long dom0, held;
	int rc;

	if (!xvda)
		PVK_FAIL("hostile_xs_setup did not run or failed");
	guest_printf("hostile-xs: ready for %s\n", a->name);
	/* The device appears (dom0 creates it), then the attack; the
	 * bounds below run from its appearance. */
	PVK_CHECK_RC(wait_fe(a, -2, DOM0_NS), 0);
	t0 = pvk_time_now_ns();
	switch (a->kind) {
	case K_INITWAIT:
		rc = a->vif ? pvk_netfront_wait_connected(a->id, GIVE_UP_NS, &nd)
			    : pvk_blkfront_wait_connected(a->id, GIVE_UP_NS, &bd);
		PVK_CHECK_RC(rc, -PVK_XEN_ETIMEDOUT);
		/* Given up: Closed (then removed by dom0's detach). */
		PVK_CHECK_RC(wait_fe(a, -3, CONNECT_NS), 0);
		if (a->vif)
			nd = a->id < MAX_VIF ? vifs[a->id] : NULL;
		PVK_CHECK(a->vif ? nd != NULL : bd != NULL);
		pvk_snprintf(outcome, sizeof(outcome), "given up after %llu ms",
			     (unsigned long long)((pvk_time_now_ns() - t0) / MS));
		break;
	case K_FLAP:
	case K_REMOVE:
		rc = a->vif ? pvk_netfront_wait_connected(a->id, CONNECT_NS, &nd)
			    : pvk_blkfront_wait_connected(a->id, CONNECT_NS, &bd);
		PVK_CHECK_RC(rc, 0);
		PVK_CHECK_RC(start_io(a, bd, nd), 0);
		tell_dom0("hostile-go", a);
		/* The backend never answers it, and stays (flap: it ends
		 * Connected) until we say we are done: the kit alone must
		 * fail the request, not dom0's detach. */
		PVK_CHECK_RC(wait_io(ATTACK_NS), 0);
		PVK_CHECK_LT(io_status, 0);
		PVK_CHECK_RC(wait_fe(a, PVK_XenbusStateClosed, ATTACK_NS), 0);
		tell_dom0("hostile-close", a);
		pvk_snprintf(outcome, sizeof(outcome), "request in flight failed with %d, device closed",
			     io_status);
		break;
	case K_REFUSED:
		PVK_CHECK_RC(wait_fe(a, -3, CONNECT_NS), 0);
		/* Refused: never connected (no added hook, no link up). */
		PVK_CHECK(!ever_connected(a));
		if (a->vif) {
			nd = a->id < MAX_VIF ? vifs[a->id] : NULL;
			PVK_CHECK(nd != NULL);
		}
		tell_dom0("hostile-close", a);
		pvk_snprintf(outcome, sizeof(outcome), "refused (our state Closed) after %llu ms",
			     (unsigned long long)((pvk_time_now_ns() - t0) / MS));
		break;
	case K_CAPPED:
		rc = a->vif ? pvk_netfront_wait_connected(a->id, CONNECT_NS, &nd)
			    : pvk_blkfront_wait_connected(a->id, CONNECT_NS, &bd);
		PVK_CHECK_RC(rc, 0);
		pvk_snprintf(outcome, sizeof(outcome), "connected with %u queue(s), %u ring page(s)",
			     a->vif ? pvk_netfront_info(nd)->nr_queues
				    : pvk_blkfront_info(bd)->nr_queues,
			     a->vif ? 1 : pvk_blkfront_info(bd)->ring_pages);
		tell_dom0("hostile-close", a);
		break;
	}
	/* dom0's toolstack part removes the device; we give it back. */
	PVK_CHECK_RC(wait_fe(a, -1, DOM0_NS), 0);
	PVK_CHECK_RC(release(a, bd, nd), 0);
	if (a->vif && a->id < MAX_VIF)
		vifs[a->id] = NULL;
	PVK_CHECK_RC(xvda_reads(), 0);
	held = (long)pvk_blkfront_grants_held(xvda);
	dom0 = dom0_grants(a);
	guest_printf("hostile-xs: %s: %s; xvda reads; grants to dom0 %ld, xvda holds %ld\n",
		     a->name, outcome, dom0, held);
	/* Nothing of the attacked device is left granted. */
	PVK_CHECK_EQ(dom0, held);
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_initwait)
{
	PVK_CHECK_CALL(run_attack(&attacks[0]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_flap)
{
	PVK_CHECK_CALL(run_attack(&attacks[1]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_remove)
{
	PVK_CHECK_CALL(run_attack(&attacks[2]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_sectors_abc)
{
	PVK_CHECK_CALL(run_attack(&attacks[3]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_sector_size_garbage)
{
	PVK_CHECK_CALL(run_attack(&attacks[4]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_indirect_minus_1)
{
	PVK_CHECK_CALL(run_attack(&attacks[5]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_queues_4294967295)
{
	PVK_CHECK_CALL(run_attack(&attacks[6]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_queues_minus_1)
{
	PVK_CHECK_CALL(run_attack(&attacks[7]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_sectors_overflow)
{
	PVK_CHECK_CALL(run_attack(&attacks[8]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_ring_order_absurd)
{
	PVK_CHECK_CALL(run_attack(&attacks[9]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vbd_sectors_missing)
{
	PVK_CHECK_CALL(run_attack(&attacks[10]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_initwait)
{
	PVK_CHECK_CALL(run_attack(&attacks[11]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_flap)
{
	PVK_CHECK_CALL(run_attack(&attacks[12]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_remove)
{
	PVK_CHECK_CALL(run_attack(&attacks[13]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_queues_minus_1)
{
	PVK_CHECK_CALL(run_attack(&attacks[14]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_queues_4294967295)
{
	PVK_CHECK_CALL(run_attack(&attacks[15]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_queues_0)
{
	PVK_CHECK_CALL(run_attack(&attacks[16]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_rx_copy_missing)
{
	PVK_CHECK_CALL(run_attack(&attacks[17]));
}

PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_vif_sg_garbage)
{
	PVK_CHECK_CALL(run_attack(&attacks[18]));
}

/* The end: dom0 shows the tool's logs when it sees this line. */
PVK_GUEST_TEST_XEN_EXPLICIT(hostile_xs_done)
{
	guest_printf("hostile-xs: all %u attacks run\n", (unsigned int)PVK_ARRAY_SIZE(attacks));
}

#endif
