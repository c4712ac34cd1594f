/*
 * pvkit/console.h - the PV console: output to and input from the console
 * ring page that xenconsoled in dom0 serves (`xl console`).
 *
 * Output may be written from any context, a fault handler included (it
 * never sleeps or locks: when the ring is full it yields to Xen, bounded
 * by PVK_CONSOLE_STALL_NS, and returns what it could write); the host
 * serialises its writers, e.g. with upcalls masked around the call. Input arrives by event: the handler copies what the
 * backend produced into a buffer of PVK_CONSOLE_INBUF bytes (more is
 * dropped and counted) and calls the host's rx callback, if any; thread
 * context reads it with pvk_console_read().
 */
#ifndef PVKIT_CONSOLE_H
#define PVKIT_CONSOLE_H

#include <pvkit/types.h>
#include <pvkit/xen/event_channel.h>
#include <pvkit/xen/io/console.h>

#define PVK_CONSOLE_STALL_NS	(2ULL * 1000 * 1000 * 1000)
#define PVK_CONSOLE_INBUF	256

struct pvk_console_stats {
	uint64_t out_bytes, in_bytes;
	uint64_t in_dropped;	/* input buffer full */
	uint64_t ring_errors;	/* backend indices out of range */
	uint64_t stalls;	/* writes cut short by a backend not draining */
};

/*
 * The mapped ring page and its port (start_info console.domU), after
 * pvk_evtchn_init(). rx (may be NULL) runs in upcall context whenever
 * input arrived.
 */
int pvk_console_init(struct pvk_xencons_interface *ring, pvk_evtchn_port_t port,
		     void (*rx)(void *arg), void *arg);
bool pvk_console_ready(void);

/* Writes len bytes; returns how many went into the ring (len unless the
 * backend stalled, or 0 before init). */
size_t pvk_console_write(const char *text, size_t len);
/* Waits (bounded) until the backend consumed all output; false if not. */
bool pvk_console_flush(void);

/* Copies up to size buffered input bytes; returns how many. */
size_t pvk_console_read(char *buf, size_t size);

void pvk_console_get_stats(struct pvk_console_stats *out);

#endif /* PVKIT_CONSOLE_H */
