/*
 * boot/console_early.c - the Xen console from the first instruction on
 * (pvk_xen_console_write(), pvkit/boot.h): console_io, then the console
 * ring written directly, then the kit's console driver.
 *
 * A PV domU gets one console page (start_info->console.domU.mfn) shared
 * with the console backend (xenconsoled in dom0) and an event channel to
 * kick it. Before the driver runs we are the producer of the "out" ring:
 *
 *   1. read out_cons (how far the backend got) and out_prod (ours);
 *   2. copy bytes into out[prod % size] while prod - cons < size;
 *   3. write barrier, so the bytes are visible before the index;
 *   4. publish out_prod, then EVTCHNOP_send on the console port (sending
 *      needs no binding: this works before pvk_evtchn_init()).
 *
 * When the ring is full we yield to let the backend run and wait, bounded
 * by CONSOLE_WAIT_NS; a backend that never drains it makes us fall back to
 * HYPERVISOR_console_io for the rest of the run and say so. Before the ring
 * is known text goes to console_io, which reaches Xen's own console (xl
 * dmesg; a domU's needs guest_loglvl=all).
 *
 * Early on one vCPU runs, with upcalls masked, so nothing interrupts this
 * writer but a fault, and the fault path only appends: no lock (a lock
 * here could deadlock a fault report). Once the kit's driver has started
 * (pvk_console_init(), boot step 9) output goes through it, with upcalls
 * masked so that an event handler's line cannot interleave with ours
 * (its writer is safe when re-entered, frontends/console/cons_ring.c). From
 * then on the ring is the driver's alone (it keeps its own copy of
 * out_prod): when it disabled the ring (a backend that broke the indexes)
 * output goes to console_io, said once, until the driver is started
 * again.
 */
#include <pvkit/boot.h>
#include <pvkit/console.h>
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/event_channel.h>
#include <pvkit/xen/io/console.h>
#include <pvkit/xen/sched.h>

#define CONSOLE_WAIT_NS		(10ULL * 1000 * 1000 * 1000)
/* Bound for a clock that does not move (before pvk_time_init()). */
#define CONSOLE_MAX_POLLS	(50UL * 1000 * 1000)

static struct pvk_xencons_interface *ring;
static pvk_evtchn_port_t console_port;
static bool ring_stalled, driver_owns_ring;

void pvk_xen_console_io_write(const char *text, size_t len)
{
	pvk_hyp_console_io(PVK_CONSOLEIO_write, (int)len, (char *)text);
}

void pvk_xen_console_early_init(void *r, uint32_t port)
{
	ring = r;
	console_port = port;
}

/* A resume in a new domain (suspend/): the same ring, a new port. */
void pvk_xen_console_early_set_port(uint32_t port)
{
	console_port = port;
}

bool pvk_xen_console_ring_ready(void)
{
	return ring && !ring_stalled;
}

uint32_t pvk_xen_console_ring_cons(void)
{
	return ring ? PVK_READ_ONCE(ring->out_cons) : 0;
}

uint32_t pvk_xen_console_ring_prod(void)
{
	return ring ? ring->out_prod : 0;
}

static void notify_backend(void)
{
	struct pvk_evtchn_send send = { .port = console_port };

	pvk_hyp_event_channel_op(PVK_EVTCHNOP_send, &send);
}

/* Waits until the backend's out_cons reaches `target`; false on timeout. */
static bool wait_for_cons(uint32_t target)
{
	uint64_t deadline = pvk_time_now_ns() + CONSOLE_WAIT_NS;
	unsigned long polls = 0;

	while ((int32_t)(PVK_READ_ONCE(ring->out_cons) - target) < 0) {
		if (pvk_time_now_ns() > deadline || ++polls > CONSOLE_MAX_POLLS)
			return false;
		pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
	}
	return true;
}

static void give_up_ring(const char *text, size_t len)
{
	static const char msg[] =
		"pvkit: console ring not drained by the backend; using console_io from now on\n";

	ring_stalled = true;
	pvk_xen_console_io_write(msg, sizeof(msg) - 1);
	pvk_xen_console_io_write(text, len);
}

#ifdef CONFIG_PVK_CONSOLE
static void driver_disabled_write(const char *text, size_t len)
{
	static const char msg[] =
		"pvkit: the console driver disabled the ring; using console_io while it is\n";
	static bool said;

	if (!said) {
		said = true;
		pvk_xen_console_io_write(msg, sizeof(msg) - 1);
	}
	pvk_xen_console_io_write(text, len);
}
#endif

/* Through the kit's driver once it started; false: not started. */
static bool driver_write(const char *text, size_t len)
{
#ifdef CONFIG_PVK_CONSOLE
	unsigned long fl;
	size_t n;

	if (ring_stalled)
		return false;
	if (!pvk_console_ready()) {
		if (!driver_owns_ring)
			return false;
		driver_disabled_write(text, len);
		return true;
	}
	driver_owns_ring = true;
	fl = pvk_irq_save();
	n = pvk_console_write(text, len);
	pvk_restore_fl(fl);
	if (n < len) {
		if (!pvk_console_ready())
			driver_disabled_write(text + n, len - n);
		else
			give_up_ring(text + n, len - n);
	}
	return true;
#else
	(void)text;
	(void)len;
	return false;
#endif
}

void pvk_xen_console_write(const char *text, size_t len)
{
	if (driver_write(text, len))
		return;
	if (!ring || ring_stalled) {
		pvk_xen_console_io_write(text, len);
		return;
	}
	while (len) {
		uint32_t cons = PVK_READ_ONCE(ring->out_cons);
		uint32_t prod = ring->out_prod;
		size_t space = sizeof(ring->out) - (prod - cons);
		size_t n;

		/* x86 does not move our stores to out[] above the load of
		 * out_cons; the compiler must not either. */
		pvk_barrier();
		if (space == 0) {
			notify_backend();
			if (!wait_for_cons(cons + 1)) {
				give_up_ring(text, len);
				return;
			}
			continue;
		}
		n = len < space ? len : space;
		for (size_t i = 0; i < n; i++)
			ring->out[PVK_MASK_XENCONS_IDX(prod++, ring->out)] = text[i];
		/* The bytes must be visible before the index that covers them
		 * (stores are ordered on x86: a compiler barrier is the wmb). */
		pvk_barrier();
		PVK_WRITE_ONCE(ring->out_prod, prod);
		notify_backend();
		text += n;
		len -= n;
	}
}

bool pvk_xen_console_flush(void)
{
#ifdef CONFIG_PVK_CONSOLE
	if (pvk_console_ready() && !ring_stalled)
		return pvk_console_flush();
	if (driver_owns_ring)
		return true;	/* console_io is synchronous */
#endif
	if (!ring || ring_stalled)
		return true;	/* console_io is synchronous */
	notify_backend();
	return wait_for_cons(ring->out_prod);
}
