/*
 * pvkit/console.h - the PV console: output to and input from the console
 * ring page that xenconsoled in dom0 serves (`xl console`).
 *
 * Output may be written from any context, a fault handler included: it
 * never sleeps or locks (when the ring is full it yields to Xen, bounded by
 * PVK_CONSOLE_STALL_NS, and returns what it could write), and a write may
 * be interrupted by another write on the same CPU (a fault or event
 * handler's), up to PVK_CONSOLE_MAX_NEST deep: the nested text goes out
 * whole, at once, after the interrupted write's current chunk, and out_prod
 * only ever moves forward over bytes that are in place. Writers on
 * different CPUs must still be serialised by the host (its console lock).
 *
 * Input arrives by event: the handler copies what the backend produced into
 * a buffer of PVK_CONSOLE_INBUF bytes (more is dropped and counted) and
 * calls the host's rx callback, if any; thread context reads it with
 * pvk_console_read().
 *
 * The backend's indexes (in_prod, out_cons) are read once and checked
 * against our own copies of ours; only bytes actually taken and output
 * actually drained count as work for the event flood protection
 * (pvkit/events.h), so a backend that only nudges an index gets its port
 * held, not served. After PVK_CONSOLE_RING_ERROR_LIMIT index errors (a
 * producer more than a ring ahead or going backwards, a consumer beyond
 * what we wrote or going backwards) the driver stops using the ring: it
 * says so once in the log, unbinds the port's handler, and writes return 0
 * from then on, so the host falls back to its other console.
 */
#ifndef PVKIT_CONSOLE_H
#define PVKIT_CONSOLE_H

#include <pvkit/types.h>
#include <pvkit/xen/event_channel.h>
#include <pvkit/xen/io/console.h>

#define PVK_CONSOLE_STALL_NS	(2ULL * 1000 * 1000 * 1000)
#define PVK_CONSOLE_INBUF	256
/* Writes in progress at once on one CPU (the outer one included). */
#define PVK_CONSOLE_MAX_NEST	4
/* Index errors after which the ring is not used any more. */
#define PVK_CONSOLE_RING_ERROR_LIMIT	8

struct pvk_console_stats {
	uint64_t out_bytes, in_bytes;
	uint64_t in_dropped;	/* input buffer full */
	uint64_t ring_errors;	/* backend indexes out of range */
	uint64_t stalls;	/* writes cut short by a backend not draining (or
				 * waiting too long for another CPU's write) */
	uint64_t nested;	/* writes that interrupted another write */
	uint64_t nest_dropped;	/* writes nested deeper than MAX_NEST: lost */
	bool disabled;		/* the ring is not used any more */
};

/*
 * The mapped ring page and its port (start_info console.domU), after
 * pvk_evtchn_init(). rx (may be NULL) runs in upcall context whenever
 * input arrived. Calling it again (not while writing) starts over on the
 * given ring and port, e.g. after the backend was reconnected: a disabled
 * ring is used again, and an earlier, different port loses its handler.
 */
int pvk_console_init(struct pvk_xencons_interface *ring, pvk_evtchn_port_t port,
		     void (*rx)(void *arg), void *arg);
/* Initialised, and not disabled. */
bool pvk_console_ready(void);
/* suspend/, after a resume in a new domain: start_info's new port for
 * the same ring (upcalls masked). */
int pvk_console_resume(pvk_evtchn_port_t port);

/* Writes len bytes; returns how many went into the ring (len unless the
 * backend stalled, or 0 before init, when disabled, or nested too deep). */
size_t pvk_console_write(const char *text, size_t len);
/* Waits (bounded) until the backend consumed all output; false if not. */
bool pvk_console_flush(void);

/* Copies up to size buffered input bytes; returns how many. */
size_t pvk_console_read(char *buf, size_t size);

void pvk_console_get_stats(struct pvk_console_stats *out);

/*
 * Test seam, NULL normally: when set, every write calls it halfway through
 * copying each chunk of its bytes into the ring, with the write's nesting
 * depth (0 for the outermost): the moment a fault or event handler may
 * interrupt it. A test writes from there to re-enter the writer.
 */
extern void (*pvk_console_write_hook)(unsigned int depth);

#endif /* PVKIT_CONSOLE_H */
