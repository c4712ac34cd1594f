/*
 * frontends/console/cons_ring.h - the console ring's index rules and the
 * output writer's core (cons_ring.c), kept free of hypercalls so the host
 * unit tests (tests/unit/test_console.c) run them as they are.
 */
#ifndef PVK_CONSOLE_RING_H
#define PVK_CONSOLE_RING_H

#include <pvkit/console.h>

#define PVK_CONS_IN_SIZE	sizeof(((struct pvk_xencons_interface *)0)->in)
#define PVK_CONS_OUT_SIZE	sizeof(((struct pvk_xencons_interface *)0)->out)
/* The most one write claims at a time: a writer nested MAX_NEST - 1 deep
 * still finds room once the backend drained what the others claimed. */
#define PVK_CONS_CHUNK		(PVK_CONS_OUT_SIZE / PVK_CONSOLE_MAX_NEST)

/* a is after b on the free-running 32-bit index line. */
static inline bool pvk_cons_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/*
 * The backend's in_prod against our own in_cons: true and *avail = the new
 * bytes (0..size), or false when prod is more than a ring ahead of cons or
 * behind it (an index error).
 */
bool pvk_cons_in_avail(uint32_t cons, uint32_t prod, uint32_t size,
		       uint32_t *avail);

/*
 * The backend's out_cons against what we published (pub) and the last
 * out_cons we accepted (seen): valid when it is at most a ring behind pub,
 * not beyond it, and not behind seen (unless seen is older than a ring, when
 * only the first two hold).
 */
bool pvk_cons_out_cons_ok(uint32_t seen, uint32_t cons, uint32_t pub,
			  uint32_t size);

/* ---- The output writer ------------------------------------------------ */

/* A writer's state (struct pvk_cons_writer.state). */
enum {
	PVK_CONS_W_IDLE,	/* between chunks, or not writing */
	PVK_CONS_W_PREPARING,	/* computing a claim */
	PVK_CONS_W_CONFLICT,	/* a nested writer claimed meanwhile: redo */
	PVK_CONS_W_CLAIMED,	/* owns [start, start + len) of the ring */
};

/* One active write, at its nesting depth. */
struct pvk_cons_writer {
	const char *text;	/* the bytes of the claimed chunk */
	uint32_t start, len;
	uint32_t state;
};

/*
 * The output side: only copies go to the ring page. pub is the out_prod we
 * published (the ring's copy is never read back as truth), seen the last
 * out_cons accepted, depth the number of writes in progress on this CPU.
 */
struct pvk_cons_out {
	struct pvk_xencons_interface *ring;
	uint32_t pub, seen;
	uint32_t depth;
	struct pvk_cons_writer w[PVK_CONSOLE_MAX_NEST];
	/* Test seam: called in the middle of every chunk's copy. */
	void (*hook)(unsigned int depth);
};

/* Reads out_cons once and judges it (pvk_cons_out_cons_ok); when valid,
 * *cons = it and it becomes seen. */
bool pvk_cons_out_cons_read(struct pvk_cons_out *o, uint32_t *cons);

/* Starts over on ring, taking its out_prod as ours; false (and out_cons
 * taken as drained up to there) when out_cons is not within a ring of it. */
bool pvk_cons_out_reset(struct pvk_cons_out *o, struct pvk_xencons_interface *ring);

/* Enters a write: its depth, or -1 when PVK_CONSOLE_MAX_NEST are active. */
int pvk_cons_out_enter(struct pvk_cons_out *o);
void pvk_cons_out_leave(struct pvk_cons_out *o, unsigned int depth);

/*
 * The writer at depth d puts the first bytes of text[0..len) into the ring,
 * as many as there is room for now (at most PVK_CONS_CHUNK), and publishes
 * them: returns how many, 0 when there is no room (what the writes it
 * interrupted claimed is published first, so the backend can make room),
 * or -1 when out_cons is invalid (nothing written). Never waits.
 */
long pvk_cons_out_put(struct pvk_cons_out *o, unsigned int d,
		      const char *text, size_t len);

#endif /* PVK_CONSOLE_RING_H */
