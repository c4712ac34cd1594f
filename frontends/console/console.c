/*
 * frontends/console/console.c - the PV console driver: init, the event
 * handler (input, drained output, flood accounting), writing with its
 * bounded wait, reading, and giving up on a backend that breaks the ring.
 *
 * Out: cons_ring.c claims, copies and publishes (safe when a write is
 * interrupted by another one); here the port is kicked after each chunk,
 * and a full ring makes us yield to let dom0 run and look again, for at
 * most PVK_CONSOLE_STALL_NS, then give up on that write (the caller learns
 * how much went out; a log line is not worth hanging the kernel for).
 *
 * In: xenconsoled produces into in[], we consume in the event handler:
 * in_prod is read once and checked against our own in_cons (at most a ring
 * ahead of it), the bytes are copied into our own buffer, then in_cons is
 * published and the backend kicked so it can write more.
 *
 * The handler's "work found" feeds the flood protection of
 * events/dispatch.c: only input bytes taken and output the backend really
 * drained (out_cons moved forward, not beyond what we wrote) count. Index
 * errors do not; PVK_CONSOLE_RING_ERROR_LIMIT of them disable the ring.
 *
 * Writing takes no lock (a fault handler may write while a write is in
 * progress, where a lock would deadlock). Reading takes a port lock
 * against the input handler, which masks upcalls on this vCPU.
 *
 * Several CPUs: the writer's claims assume its nesting is last-in
 * first-out, which holds on one CPU only. So the writes of one CPU at a
 * time go on: the outermost write of a CPU takes `writer_cpu` with a
 * compare-exchange (a nested write on the same CPU finds it its own and
 * goes on), and a write from another CPU spins until it is free, bounded
 * by twice the stall bound the owner itself obeys; past it the line is
 * dropped and counted (stalls), never written over the owner's.
 */
#include <pvkit/console.h>
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>

#include "cons_ring.h"

/* Bound for the (impossible) case of a clock that does not move. */
#define STALL_MAX_POLLS	(10UL * 1000 * 1000)

void (*pvk_console_write_hook)(unsigned int depth);

static struct pvk_xencons_interface *cons_ring;
static pvk_evtchn_port_t cons_port;
static bool disabled;
static uint32_t error_run;	/* index errors since init */
static struct pvk_lock in_lock;
static void (*rx_fn)(void *arg);
static void *rx_arg;
static struct pvk_console_stats stats;

static struct pvk_cons_out out;
#define NO_WRITER	(~0U)
static uint32_t writer_cpu = NO_WRITER;	/* the CPU whose writes are in progress */
/* out_cons as the event handler last accepted it: output drained since is
 * work (for flood accounting). */
static uint32_t drained_seen;

/* Our in_cons (the ring's copy is only written), and the input bytes taken
 * from the ring, not yet read by the host. */
static uint32_t in_cons;
static char inbuf[PVK_CONSOLE_INBUF];
static uint32_t in_head, in_count;

static void count(uint64_t *counter, uint64_t n)
{
	/* Writers nest: one locked add, not a load and a store. */
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static void disable(const char *what, uint32_t value, uint32_t ours)
{
	if (__atomic_exchange_n(&disabled, true, __ATOMIC_SEQ_CST))
		return;
	stats.disabled = true;
	/* No more events from this backend: the port stays masked. */
	pvk_evtchn_set_handler(cons_port, NULL, NULL);
	pvk_err("console: the backend broke the ring's indexes %u times (last: %s 0x%x, ours 0x%x): ring disabled, not used any more",
		error_run, what, value, ours);
}

static void ring_error(const char *what, uint32_t value, uint32_t ours)
{
	count(&stats.ring_errors, 1);
	if (__atomic_add_fetch(&error_run, 1, __ATOMIC_SEQ_CST) >= PVK_CONSOLE_RING_ERROR_LIMIT)
		disable(what, value, ours);
}

/* Takes avail bytes (already validated) from in[]; true if any. */
static void take_input(uint32_t avail)
{
	pvk_barrier();	/* the bytes after the index that covers them */
	for (uint32_t i = 0; i < avail; i++) {
		char c = PVK_READ_ONCE(cons_ring->in[PVK_MASK_XENCONS_IDX(in_cons + i, cons_ring->in)]);

		if (in_count == sizeof(inbuf)) {
			stats.in_dropped++;
			continue;
		}
		inbuf[(in_head + in_count++) % sizeof(inbuf)] = c;
		stats.in_bytes++;
	}
	in_cons += avail;
	pvk_barrier();	/* done with the bytes before handing them back */
	PVK_WRITE_ONCE(cons_ring->in_cons, in_cons);
	pvk_evtchn_send(cons_port);
	if (rx_fn)
		rx_fn(rx_arg);
}

static bool input_event(pvk_evtchn_port_t port, void *arg)
{
	uint32_t prod, avail, cons, pub;
	bool work = false;

	(void)port;
	(void)arg;
	if (PVK_READ_ONCE(disabled))
		return false;
	prod = PVK_READ_ONCE(cons_ring->in_prod);
	if (!pvk_cons_in_avail(in_cons, prod, PVK_CONS_IN_SIZE, &avail)) {
		ring_error("in_prod", prod, in_cons);
		return false;
	}
	if (avail) {
		take_input(avail);
		work = true;
	}
	/* out_cons before our pub: a write of ours (a nested log line) may
	 * publish between the two loads. */
	cons = PVK_READ_ONCE(cons_ring->out_cons);
	pvk_barrier();
	pub = PVK_READ_ONCE(out.pub);
	if (!pvk_cons_out_cons_ok(drained_seen, cons, pub, PVK_CONS_OUT_SIZE)) {
		ring_error("out_cons", cons, pub);
		return work;
	}
	if (cons != drained_seen) {
		drained_seen = cons;
		work = true;
	}
	return work;
}

int pvk_console_init(struct pvk_xencons_interface *ring, pvk_evtchn_port_t port,
		     void (*rx)(void *arg), void *arg)
{
	if (!ring)
		return -PVK_XEN_EINVAL;
	if (cons_ring && PVK_READ_ONCE(out.depth))
		return -PVK_XEN_EBUSY;
	if (cons_ring && cons_port != port && !disabled)
		pvk_evtchn_set_handler(cons_port, NULL, NULL);
	cons_ring = NULL;	/* writers stay out while we start over */
	pvk_barrier();
	pvk_port_lock_init(&in_lock);
	rx_fn = rx;
	rx_arg = arg;
	cons_port = port;
	error_run = 0;
	if (!pvk_cons_out_reset(&out, ring)) {
		count(&stats.ring_errors, 1);
		pvk_warn("console: out_cons is not within a ring of out_prod 0x%x: taken as drained",
			 out.pub);
	}
	drained_seen = out.seen;
	in_cons = PVK_READ_ONCE(ring->in_cons);
	in_head = 0;
	in_count = 0;
	stats.disabled = false;
	PVK_WRITE_ONCE(disabled, false);
	pvk_barrier();
	PVK_WRITE_ONCE(cons_ring, ring);
	return pvk_evtchn_set_handler(port, input_event, NULL);
}

/*
 * After a resume in a new domain (suspend/, upcalls masked): the ring is
 * ours still (same pfn, drained before the suspend), xenconsoled of the new
 * domain reads it from where out_cons is; only the port is new. The old
 * port's record is gone with the port table, so it is not touched. Our
 * in_cons is kept, not read back from the ring (whose copy is only
 * written, above; review s10-16 #13), and so is the input taken and not
 * yet read by the host: none of it is lost.
 */
int pvk_console_resume(pvk_evtchn_port_t port)
{
	if (!cons_ring)
		return -PVK_XEN_ENODEV;
	cons_port = port;
	return pvk_evtchn_set_handler(port, input_event, NULL);
}

bool pvk_console_ready(void)
{
	return PVK_READ_ONCE(cons_ring) && !PVK_READ_ONCE(disabled);
}

/* True when this CPU now owns the writer and must give it back; false
 * when it owned it already (a nested write). *ok false: not obtained. */
static bool writer_take(bool *ok)
{
	uint32_t self = pvk_port_cpu_id();
	uint64_t deadline = 0;
	unsigned long polls = 0;

	*ok = true;
	/* Only this CPU stores its own number: seeing it is stable. */
	if (__atomic_load_n(&writer_cpu, __ATOMIC_ACQUIRE) == self)
		return false;
	for (;;) {
		uint32_t free = NO_WRITER;
		uint64_t now;

		if (__atomic_compare_exchange_n(&writer_cpu, &free, self, false,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return true;
		now = pvk_time_now_ns();
		if (!deadline) {
			deadline = now + 2 * PVK_CONSOLE_STALL_NS;
		} else if (now > deadline || ++polls > STALL_MAX_POLLS) {
			*ok = false;
			return false;
		}
		__asm__ __volatile__("pause" ::: "memory");
	}
}

size_t pvk_console_write(const char *text, size_t len)
{
	uint64_t stall_deadline = 0;
	unsigned long polls = 0;
	size_t done = 0;
	bool release, ok;
	int d;

	if (!pvk_console_ready())
		return 0;
	release = writer_take(&ok);
	if (!ok) {
		count(&stats.stalls, 1);
		return 0;
	}
	d = pvk_cons_out_enter(&out);
	if (d < 0) {
		count(&stats.nest_dropped, 1);
		if (release)
			__atomic_store_n(&writer_cpu, NO_WRITER, __ATOMIC_RELEASE);
		return 0;
	}
	if (d)
		count(&stats.nested, 1);
	PVK_WRITE_ONCE(out.hook, PVK_READ_ONCE(pvk_console_write_hook));
	while (done < len && !PVK_READ_ONCE(disabled)) {
		long n = pvk_cons_out_put(&out, (unsigned int)d, text + done, len - done);

		if (n < 0) {
			/* Bad out_cons: counted; a backend that keeps it
			 * bad gets the ring disabled within a few rounds. */
			ring_error("out_cons", PVK_READ_ONCE(cons_ring->out_cons),
				   PVK_READ_ONCE(out.pub));
			continue;
		}
		if (!n) {
			/* Full: yield to dom0, bounded by time and polls (a
			 * clock that does not move still ends the wait). */
			uint64_t now = pvk_time_now_ns();

			if (!stall_deadline) {
				stall_deadline = now + PVK_CONSOLE_STALL_NS;
			} else if (now > stall_deadline || ++polls > STALL_MAX_POLLS) {
				count(&stats.stalls, 1);
				break;
			}
			pvk_evtchn_send(cons_port);
			pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
			continue;
		}
		stall_deadline = 0;
		polls = 0;
		done += (size_t)n;
		count(&stats.out_bytes, (uint64_t)n);
		pvk_evtchn_send(cons_port);
	}
	pvk_cons_out_leave(&out, (unsigned int)d);
	if (release)
		__atomic_store_n(&writer_cpu, NO_WRITER, __ATOMIC_RELEASE);
	return done;
}

bool pvk_console_flush(void)
{
	uint64_t deadline;
	unsigned long polls = 0;

	if (!PVK_READ_ONCE(cons_ring))
		return true;
	deadline = pvk_time_now_ns() + PVK_CONSOLE_STALL_NS;
	while (!PVK_READ_ONCE(disabled)) {
		uint32_t cons;

		if (!pvk_cons_out_cons_read(&out, &cons))
			ring_error("out_cons", PVK_READ_ONCE(cons_ring->out_cons),
				   PVK_READ_ONCE(out.pub));
		else if (cons == PVK_READ_ONCE(out.pub))
			return true;
		if (pvk_time_now_ns() > deadline || ++polls > STALL_MAX_POLLS)
			return false;
		pvk_evtchn_send(cons_port);
		pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
	}
	return false;
}

size_t pvk_console_read(char *buf, size_t size)
{
	size_t n = 0;

	if (!cons_ring)
		return 0;
	/* The lock masks upcalls: the handler cannot add meanwhile. */
	pvk_port_lock(&in_lock);
	while (n < size && in_count) {
		buf[n++] = inbuf[in_head];
		in_head = (in_head + 1) % sizeof(inbuf);
		in_count--;
	}
	pvk_port_unlock(&in_lock);
	return n;
}

void pvk_console_get_stats(struct pvk_console_stats *out_stats)
{
	*out_stats = stats;
}
