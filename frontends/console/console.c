/*
 * frontends/console/console.c - the PV console ring, both directions.
 *
 * Out: we produce into out[], xenconsoled consumes. Copy the bytes, a
 * barrier, publish out_prod, kick the port. A full ring means the backend
 * is behind: yield to let dom0 run and look again, for at most
 * PVK_CONSOLE_STALL_NS, then give up on that write (the caller learns how
 * much went out; a log line is not worth hanging the kernel for).
 *
 * In: xenconsoled produces into in[], we consume in the event handler:
 * in_prod is read once and checked (at most a ring ahead of in_cons; a
 * backend that breaks that is resynchronised by dropping what it claims
 * to have written), the bytes are copied into our own buffer, then
 * in_cons is published and the backend kicked so it can write more.
 *
 * Writing takes no lock: output must work from a fault handler that
 * interrupted a write, where a lock would deadlock. The host serialises
 * its writers (its console lock, upcalls masked around the call; the
 * input handler never writes). Reading takes a port lock against the
 * input handler, which masks upcalls on this vCPU.
 */
#include <pvkit/console.h>
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>

static struct pvk_xencons_interface *cons_ring;
static pvk_evtchn_port_t cons_port;
static struct pvk_lock in_lock;
static void (*rx_fn)(void *arg);
static void *rx_arg;
static struct pvk_console_stats stats;

/* Input bytes taken from the ring, not yet read by the host. */
static char inbuf[PVK_CONSOLE_INBUF];
static uint32_t in_head, in_count;

/* out_cons as the last event saw it: the backend also kicks us when it
 * drained output, which is work too (for flood accounting). */
static uint32_t seen_out_cons;

static bool input_event(pvk_evtchn_port_t port, void *arg)
{
	uint32_t cons = cons_ring->in_cons;
	uint32_t prod = PVK_READ_ONCE(cons_ring->in_prod);
	uint32_t avail = prod - cons;
	uint32_t out_cons = PVK_READ_ONCE(cons_ring->out_cons);
	bool drained = out_cons != seen_out_cons;

	(void)port;
	(void)arg;
	seen_out_cons = out_cons;
	if (avail > sizeof(cons_ring->in)) {
		stats.ring_errors++;
		PVK_WRITE_ONCE(cons_ring->in_cons, prod);
		return true;
	}
	if (!avail)
		return drained;
	pvk_barrier();	/* the bytes after the index that covers them */
	for (; cons != prod; cons++) {
		char c = PVK_READ_ONCE(cons_ring->in[PVK_MASK_XENCONS_IDX(cons, cons_ring->in)]);

		if (in_count == sizeof(inbuf)) {
			stats.in_dropped++;
			continue;
		}
		inbuf[(in_head + in_count++) % sizeof(inbuf)] = c;
		stats.in_bytes++;
	}
	pvk_barrier();
	PVK_WRITE_ONCE(cons_ring->in_cons, cons);
	pvk_evtchn_send(cons_port);
	if (rx_fn)
		rx_fn(rx_arg);
	return true;
}

int pvk_console_init(struct pvk_xencons_interface *ring, pvk_evtchn_port_t port,
		     void (*rx)(void *arg), void *arg)
{
	if (!ring)
		return -PVK_XEN_EINVAL;
	pvk_port_lock_init(&in_lock);
	rx_fn = rx;
	rx_arg = arg;
	cons_port = port;
	seen_out_cons = PVK_READ_ONCE(ring->out_cons);
	cons_ring = ring;
	return pvk_evtchn_set_handler(port, input_event, NULL);
}

bool pvk_console_ready(void)
{
	return cons_ring != NULL;
}

/* Yields until out_cons passes target - size (room) or the stall bound. */
static bool wait_room(uint32_t prod, uint32_t need)
{
	uint64_t deadline = pvk_time_now_ns() + PVK_CONSOLE_STALL_NS;
	unsigned long polls = 0;

	while (sizeof(cons_ring->out) - (prod - PVK_READ_ONCE(cons_ring->out_cons)) < need) {
		/* A clock that does not move still ends the wait. */
		if (pvk_time_now_ns() > deadline || ++polls > 10UL * 1000 * 1000)
			return false;
		pvk_evtchn_send(cons_port);
		pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
	}
	return true;
}

size_t pvk_console_write(const char *text, size_t len)
{
	size_t done = 0;

	if (!cons_ring)
		return 0;
	while (done < len) {
		uint32_t prod = cons_ring->out_prod;
		uint32_t used = prod - PVK_READ_ONCE(cons_ring->out_cons);
		size_t space, n;

		if (used > sizeof(cons_ring->out)) {
			/* Backend index out of range: stop using the ring. */
			stats.ring_errors++;
			break;
		}
		space = sizeof(cons_ring->out) - used;
		if (!space) {
			if (!wait_room(prod, 1)) {
				stats.stalls++;
				break;
			}
			continue;
		}
		/* Our stores to out[] stay after the load of out_cons. */
		pvk_barrier();
		n = len - done < space ? len - done : space;
		for (size_t i = 0; i < n; i++)
			cons_ring->out[PVK_MASK_XENCONS_IDX(prod++, cons_ring->out)] = text[done + i];
		pvk_barrier();
		PVK_WRITE_ONCE(cons_ring->out_prod, prod);
		pvk_evtchn_send(cons_port);
		done += n;
		stats.out_bytes += n;
	}
	return done;
}

bool pvk_console_flush(void)
{
	if (!cons_ring)
		return true;
	return wait_room(cons_ring->out_prod, sizeof(cons_ring->out));
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

void pvk_console_get_stats(struct pvk_console_stats *out)
{
	*out = stats;
}
