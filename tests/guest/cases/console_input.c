/*
 * tests/guest/cases/console_input.c - the kit's console driver: output
 * counters, input typed from dom0 (run by the guest-dom0 scenario, whose
 * ON_LINE rule writes a line to the console's pty, as `xl console` would),
 * a backend that misbehaves, and a write that interrupts another.
 *
 * The misbehaving-backend and re-entry tests lend the driver a ring page of
 * ours on a loopback port (alloc_unbound for DOMID_SELF, bind_interdomain
 * to it), so the test plays the backend and can be hostile: it moves the
 * indexes as it likes and raises the driver's port by sending on the other
 * end. Everything runs with upcalls masked, events dispatched by calling
 * the upcall ourselves, and nothing is printed until the driver is back on
 * the real ring (what the kit logs meanwhile lands in our page, or, once
 * it disabled that ring, on console_io).
 */
#include <pvkit/console.h>
#include <pvkit/events.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#define PVK_GUEST_XEN_ONLY_FILE	/* every test here needs Xen */
#include "../test.h"

#ifdef CONFIG_PVK_CONSOLE

PVK_GUEST_TEST(console_kit_driver_output)
{
	struct pvk_console_stats before, after;
	static const char line[] = "console: this line went through the kit's driver\n";

	guest_events_enable();
	PVK_CHECK(pvk_console_ready());
	pvk_console_get_stats(&before);
	guest_printf("%s", line);
	pvk_console_get_stats(&after);
	PVK_CHECK_EQ(after.out_bytes - before.out_bytes, sizeof(line) - 1);
	PVK_CHECK(pvk_console_flush());
	PVK_CHECK_EQ(after.ring_errors, before.ring_errors);
	PVK_CHECK_EQ(after.stalls, before.stalls);
	PVK_CHECK(!after.disabled);
}

PVK_GUEST_TEST_EXPLICIT(console_input)
{
	char line[64];
	int len;

	guest_events_enable();
	guest_printf("console: type a line now\n");
	len = guest_console_read_line(line, sizeof(line), 30ULL * 1000 * 1000 * 1000);
	PVK_CHECK_GE(len, 1);
	guest_printf("console: read \"%s\" (%d bytes)\n", line, len);
	PVK_CHECK_STR_CONTAINS(line, "hello-console");
}


/* A ring page of ours and a loopback pair: the driver's end, ours. */
struct fake_backend {
	struct pvk_xencons_interface *ring;
	pvk_evtchn_port_t kit_port, peer_port;
	int open_rc;
};

static void fake_open(struct fake_backend *f)
{
	memset(f, 0, sizeof(*f));
	f->ring = pvk_port_alloc_page();
	if (!f->ring) {
		f->open_rc = -PVK_XEN_ENOMEM;
		return;
	}
	f->open_rc = pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, NULL, NULL, &f->kit_port);
	if (!f->open_rc)
		f->open_rc = pvk_evtchn_bind_interdomain(PVK_DOMID_SELF, f->kit_port,
							 NULL, NULL, &f->peer_port);
}

static void fake_close(struct fake_backend *f)
{
	if (f->peer_port)
		pvk_evtchn_close(f->peer_port);
	if (f->kit_port)
		pvk_evtchn_close(f->kit_port);
	if (f->ring)
		pvk_port_free_page(f->ring);
}

/* The driver back on start_info's ring and port, as events.c started it. */
static int kit_to_real_ring(void)
{
	return pvk_console_init(guest_mfn_to_virt(pvk_mfn(guest_start_info->console.domU.mfn),
						  "console ring"),
				guest_start_info->console.domU.evtchn,
				guest_console_input, NULL);
}

/* The backend raises the driver's port; we take the upcall. */
static void fake_kick(struct fake_backend *f)
{
	pvk_evtchn_send(f->peer_port);
	pvk_evtchn_do_upcall();
}

/*
 * A backend that keeps raising the port and moving in_cons back by one (as
 * if to offer a byte again), with no new data: no event is work, so the
 * port is held as flooding after exactly PVK_EVTCHN_FLOOD_LIMIT events, no
 * byte is taken twice, and the driver stays up (nothing here is an index
 * error: the driver never reads in_cons back).
 */
PVK_GUEST_TEST(console_nudge_is_a_flood)
{
	struct pvk_evtchn_stats ev0, ev1;
	struct pvk_console_stats c0, c1;
	struct fake_backend f;
	unsigned int kicks = 0;
	int init_rc, back_rc;
	bool held = false, ready;
	unsigned long fl;

	guest_events_enable();
	PVK_CHECK(guest_console_flush());
	fake_open(&f);
	if (f.open_rc) {
		fake_close(&f);
		PVK_CHECK_RC(f.open_rc, 0);
	}
	fl = pvk_irq_save();
	pvk_evtchn_get_stats(&ev0);
	pvk_console_get_stats(&c0);
	init_rc = pvk_console_init(f.ring, f.kit_port, NULL, NULL);
	while (!init_rc && !held && kicks < 4 * PVK_EVTCHN_FLOOD_LIMIT) {
		PVK_WRITE_ONCE(f.ring->in_cons, f.ring->in_cons - 1);
		fake_kick(&f);
		kicks++;
		held = pvk_evtchn_is_masked(f.kit_port);
	}
	pvk_evtchn_get_stats(&ev1);
	pvk_console_get_stats(&c1);
	ready = pvk_console_ready();
	back_rc = kit_to_real_ring();
	fake_close(&f);
	pvk_restore_fl(fl);

	guest_printf("console: a backend moving in_cons back with no data: port held after %u events (%llu flood), %llu bytes taken, driver %s\n",
		     kicks, (unsigned long long)(ev1.floods - ev0.floods),
		     (unsigned long long)(c1.in_bytes - c0.in_bytes),
		     ready ? "still up" : "disabled");
	PVK_CHECK_RC(init_rc, 0);
	PVK_CHECK_RC(back_rc, 0);
	PVK_CHECK(held);
	PVK_CHECK_EQ(kicks, (unsigned int)PVK_EVTCHN_FLOOD_LIMIT);
	PVK_CHECK_EQ(ev1.floods, ev0.floods + 1);
	PVK_CHECK_EQ(c1.in_bytes, c0.in_bytes);
	PVK_CHECK_EQ(c1.ring_errors, c0.ring_errors);
	PVK_CHECK(ready);
	PVK_CHECK(pvk_console_ready());
}

/*
 * A backend whose index is out of range: in_prod more than a ring ahead of
 * what we consumed, then (a second backend) out_cons beyond what we wrote.
 * Each event is an index error, not work; at the limit the driver stops
 * using that ring, says so, and writes return 0; started again on the real
 * ring it works.
 */
struct bad_index_result {
	unsigned int kicks;
	int init_rc, back_rc;
	size_t write_after;
	bool ready_before_limit, ready_after;
	struct pvk_console_stats c0, c1;
};

static void bad_index_run(struct bad_index_result *r, bool bad_in_prod)
{
	struct fake_backend f;
	unsigned long fl;

	memset(r, 0, sizeof(*r));
	fake_open(&f);
	r->init_rc = f.open_rc;
	fl = pvk_irq_save();
	pvk_console_get_stats(&r->c0);
	if (!r->init_rc)
		r->init_rc = pvk_console_init(f.ring, f.kit_port, NULL, NULL);
	r->ready_before_limit = true;
	while (!r->init_rc && pvk_console_ready() && r->kicks < 4 * PVK_CONSOLE_RING_ERROR_LIMIT) {
		if (bad_in_prod)
			PVK_WRITE_ONCE(f.ring->in_prod, PVK_READ_ONCE(f.ring->in_cons) + 5000);
		else
			PVK_WRITE_ONCE(f.ring->out_cons, PVK_READ_ONCE(f.ring->out_prod) + 1);
		fake_kick(&f);
		r->kicks++;
		if (r->kicks < PVK_CONSOLE_RING_ERROR_LIMIT && !pvk_console_ready())
			r->ready_before_limit = false;
	}
	r->ready_after = pvk_console_ready();
	r->write_after = pvk_console_write("x", 1);
	pvk_console_get_stats(&r->c1);
	r->back_rc = kit_to_real_ring();
	fake_close(&f);
	pvk_restore_fl(fl);
}

PVK_GUEST_TEST(console_bad_index_disables_ring)
{
	for (int bad_in_prod = 1; bad_in_prod >= 0; bad_in_prod--) {
		const char *what = bad_in_prod ? "in_prod 5000 ahead" : "out_cons beyond out_prod";
		struct pvk_console_stats c0, c;
		struct bad_index_result r;
		static const char line[] = "console: the driver is back on the real ring\n";

		guest_events_enable();
		PVK_CHECK(guest_console_flush());
		bad_index_run(&r, bad_in_prod);
		guest_printf("console: a backend with %s: ring disabled after %u events (%llu index errors)\n",
			     what, r.kicks, (unsigned long long)(r.c1.ring_errors - r.c0.ring_errors));
		PVK_CHECK_RC(r.init_rc, 0);
		PVK_CHECK_RC(r.back_rc, 0);
		PVK_CHECK(r.ready_before_limit);
		PVK_CHECK(!r.ready_after);
		PVK_CHECK(r.c1.disabled);
		PVK_CHECK_EQ(r.kicks, (unsigned int)PVK_CONSOLE_RING_ERROR_LIMIT);
		PVK_CHECK_EQ(r.c1.ring_errors, r.c0.ring_errors + PVK_CONSOLE_RING_ERROR_LIMIT);
		PVK_CHECK_EQ(r.c1.in_bytes, r.c0.in_bytes);
		PVK_CHECK_EQ(r.write_after, 0u);
		/* Back on the real ring: up, and writing. */
		PVK_CHECK(pvk_console_ready());
		pvk_console_get_stats(&c0);
		guest_printf("%s", line);
		pvk_console_get_stats(&c);
		PVK_CHECK(!c.disabled);
		PVK_CHECK_EQ(c.out_bytes, c0.out_bytes + sizeof(line) - 1);
	}
}

/* ---- Re-entry ---------------------------------------------------------- */

#define OUT_RING_SIZE	sizeof(((struct pvk_xencons_interface *)0)->out)

#define NEST_SAMPLES	16

static const char *nest_text[PVK_CONSOLE_MAX_NEST];
static unsigned int nest_levels;	/* nest this deep (1: no nesting) */
static bool nest_done[PVK_CONSOLE_MAX_NEST];
static struct pvk_xencons_interface *nest_ring;
static uint32_t nest_prod[NEST_SAMPLES];
static unsigned int nest_samples;
static size_t nest_written[PVK_CONSOLE_MAX_NEST];

static void nest_sample(void)
{
	if (nest_samples < NEST_SAMPLES)
		nest_prod[nest_samples++] = PVK_READ_ONCE(nest_ring->out_prod);
}

/* Called by the driver halfway through each chunk's copy: the first time
 * at each depth, write the next level's text from there. */
static void nest_hook(unsigned int depth)
{
	nest_sample();
	if (depth + 1 >= nest_levels || nest_done[depth])
		return;
	nest_done[depth] = true;
	nest_written[depth + 1] = pvk_console_write(nest_text[depth + 1],
						    strlen(nest_text[depth + 1]));
	nest_sample();
}

static void nest_reset(struct pvk_xencons_interface *ring, unsigned int levels)
{
	memset(nest_done, 0, sizeof(nest_done));
	memset(nest_written, 0, sizeof(nest_written));
	nest_ring = ring;
	nest_levels = levels;
	nest_samples = 0;
}

/* The first sample where out_prod went backwards, or -1. */
static int nest_backwards(void)
{
	for (unsigned int i = 1; i < nest_samples; i++) {
		if ((int32_t)(nest_prod[i] - nest_prod[i - 1]) < 0)
			return (int)i;
	}
	return -1;
}

/* A write nested levels deep on a ring page of ours (nest_text[0] is the
 * outer write): what happened, checked after the driver is back. */
struct nested_result {
	int open_rc, init_rc, back_rc;
	size_t outer_written;
	uint32_t prod;
	uint64_t nested;
	char got[1024];
};

static void nested_on_fake(unsigned int levels, struct nested_result *r)
{
	struct pvk_console_stats c0, c1;
	struct fake_backend f;
	unsigned long fl;

	memset(r, 0, sizeof(*r));
	fake_open(&f);
	r->open_rc = f.open_rc;
	fl = pvk_irq_save();
	pvk_console_get_stats(&c0);
	r->init_rc = r->open_rc ? r->open_rc : pvk_console_init(f.ring, f.kit_port, NULL, NULL);
	if (!r->init_rc) {
		nest_reset(f.ring, levels);
		pvk_console_write_hook = nest_hook;
		r->outer_written = pvk_console_write(nest_text[0], strlen(nest_text[0]));
		pvk_console_write_hook = NULL;
		nest_sample();		/* where the outer write left it */
		r->prod = PVK_READ_ONCE(f.ring->out_prod);
		for (uint32_t i = 0; i < r->prod && i < sizeof(r->got); i++)
			r->got[i] = f.ring->out[PVK_MASK_XENCONS_IDX(i, f.ring->out)];
	}
	pvk_console_get_stats(&c1);
	r->nested = c1.nested - c0.nested;
	r->back_rc = kit_to_real_ring();
	fake_close(&f);
	pvk_restore_fl(fl);
}

/*
 * Three writes deep, on our own ring page: the outer write (longer than one
 * claim of the driver) is interrupted halfway through its first chunk by a
 * second, which is interrupted by a third. The ring must then hold the
 * outer chunk, the second text, the third, and the rest of the outer, each
 * whole; out_prod must never go back, and the innermost write must be
 * published before it returns (a fault handler's last words).
 */
PVK_GUEST_TEST(console_nested_write)
{
	static char outer[700], expect[1000];
	static const char mid[] = "[second write, from inside the first]";
	static const char inner[] = "[third write, from inside the second]";
	static struct nested_result r;
	size_t chunk = OUT_RING_SIZE / PVK_CONSOLE_MAX_NEST, elen = 0;
	uint32_t prod_after_inner;
	int backwards;

	for (size_t i = 0; i < sizeof(outer) - 1; i++)
		outer[i] = (char)('a' + i % 26);
	outer[sizeof(outer) - 1] = '\0';
	nest_text[0] = outer;
	nest_text[1] = mid;
	nest_text[2] = inner;

	guest_events_enable();
	PVK_CHECK(guest_console_flush());
	nested_on_fake(3, &r);
	/* Sample 3 was taken right after the third write returned. */
	prod_after_inner = nest_samples > 3 ? nest_prod[3] : 0;
	backwards = nest_backwards();

	/* What the ring must hold: the outer's first claim, the nested ones
	 * in order, the rest of the outer. */
	memcpy(expect, outer, chunk);
	elen = chunk;
	memcpy(expect + elen, mid, sizeof(mid) - 1);
	elen += sizeof(mid) - 1;
	memcpy(expect + elen, inner, sizeof(inner) - 1);
	elen += sizeof(inner) - 1;
	memcpy(expect + elen, outer + chunk, strlen(outer) - chunk);
	elen += strlen(outer) - chunk;
	guest_printf("console: 3 writes nested: out_prod %u (expected %zu), %u samples, %llu nested writes, innermost published at %u\n",
		     r.prod, elen, nest_samples, (unsigned long long)r.nested, prod_after_inner);

	PVK_CHECK_RC(r.init_rc, 0);
	PVK_CHECK_RC(r.back_rc, 0);
	PVK_CHECK_EQ(r.outer_written, strlen(outer));
	PVK_CHECK_EQ(nest_written[1], sizeof(mid) - 1);
	PVK_CHECK_EQ(nest_written[2], sizeof(inner) - 1);
	PVK_CHECK_EQ(r.nested, 2u);
	if (backwards >= 0)
		PVK_FAIL("out_prod went back from %u to %u (sample %d)",
			 nest_prod[backwards - 1], nest_prod[backwards], backwards);
	PVK_CHECK_EQ(r.prod, elen);
	for (size_t i = 0; i < elen; i++) {
		if (r.got[i] != expect[i])
			PVK_FAIL("ring byte %zu is '%c', expected '%c'", i, r.got[i], expect[i]);
	}
	/* The innermost was out before it returned: everything up to its end. */
	PVK_CHECK_EQ(prod_after_inner, chunk + sizeof(mid) - 1 + sizeof(inner) - 1);
}

/*
 * A short write interrupted by a longer one: the nested text comes after
 * the short one, and out_prod, published by the nested write up to its
 * end, stays there when the short one finishes (the old writer published
 * its own end then, moving out_prod back).
 */
PVK_GUEST_TEST(console_nested_write_longer_than_outer)
{
	static const char outer[] = "[short]";
	static const char nested[] = "[a longer write, from inside the short one]";
	static struct nested_result r;
	uint32_t prod_after_nested;
	int backwards;

	nest_text[0] = outer;
	nest_text[1] = nested;
	guest_events_enable();
	PVK_CHECK(guest_console_flush());
	nested_on_fake(2, &r);
	prod_after_nested = nest_samples > 2 ? nest_prod[2] : 0;	/* after it returned */
	backwards = nest_backwards();
	guest_printf("console: a %zu-byte write inside a %zu-byte one: out_prod %u after the nested one, %u at the end\n",
		     sizeof(nested) - 1, sizeof(outer) - 1, prod_after_nested, r.prod);
	PVK_CHECK_RC(r.init_rc, 0);
	PVK_CHECK_RC(r.back_rc, 0);
	PVK_CHECK_EQ(r.outer_written, sizeof(outer) - 1);
	PVK_CHECK_EQ(nest_written[1], sizeof(nested) - 1);
	if (backwards >= 0)
		PVK_FAIL("out_prod went back from %u to %u (sample %d)",
			 nest_prod[backwards - 1], nest_prod[backwards], backwards);
	PVK_CHECK_EQ(prod_after_nested, sizeof(outer) - 1 + sizeof(nested) - 1);
	PVK_CHECK_EQ(r.prod, sizeof(outer) - 1 + sizeof(nested) - 1);
	if (memcmp(r.got, outer, sizeof(outer) - 1) ||
	    memcmp(r.got + sizeof(outer) - 1, nested, sizeof(nested) - 1))
		PVK_FAIL("ring holds \"%.*s\"", (int)r.prod, r.got);
}

/*
 * The same through xenconsoled: a line written from inside the write of
 * another reaches the console whole, after it (the harness's guest-basic
 * EXPECT_REGEX looks for both lines).
 */
PVK_GUEST_TEST(console_nested_write_real_ring)
{
	static const char outer_line[] = "console: outer line, a nested write happened inside it\n";
	static const char inner_line[] = "console: nested line, written from inside the outer one\n";
	struct pvk_console_stats c0, c1;
	size_t n;

	guest_events_enable();
	PVK_CHECK(guest_console_flush());
	pvk_console_get_stats(&c0);
	nest_reset(guest_mfn_to_virt(pvk_mfn(guest_start_info->console.domU.mfn), "console ring"), 2);
	nest_text[1] = inner_line;
	pvk_console_write_hook = nest_hook;
	n = pvk_console_write(outer_line, sizeof(outer_line) - 1);
	pvk_console_write_hook = NULL;
	nest_sample();
	pvk_console_get_stats(&c1);
	PVK_CHECK_EQ(n, sizeof(outer_line) - 1);
	PVK_CHECK_EQ(nest_written[1], sizeof(inner_line) - 1);
	PVK_CHECK_EQ(c1.nested, c0.nested + 1);
	PVK_CHECK_EQ(nest_backwards(), -1);
	PVK_CHECK(guest_console_flush());
}

#endif /* CONFIG_PVK_CONSOLE */
