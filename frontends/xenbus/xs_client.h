/*
 * frontends/xenbus/xs_client.h - state shared by the xenstore client's
 * files: xenstore.c (requests and replies) and xs_watch.c (watches).
 */
#ifndef PVK_XS_CLIENT_H
#define PVK_XS_CLIENT_H

#include <pvkit/port.h>
#include <pvkit/xenstore.h>

#include "xs_proto.h"

/* Send a request made of nr parts (concatenated into the payload) and wait
 * for its reply; on success the reply body is copied to out (NUL-
 * terminated) when out is not NULL, and its length returned. */
int pvk_xs_request(uint32_t type, pvk_xs_transaction_t t,
		   const char *const *parts, const uint32_t *lens,
		   unsigned int nr, char *out, size_t out_size);

/* xenstore.c: resumes in a new domain so far (pvk_xs_resume()). */
uint64_t pvk_xs_resumes(void);

/* Several requests (no transaction start among them) sent together,
 * then each reply waited for: one round trip instead of n. */
#define PVK_XS_MANY_MAX	16
struct pvk_xs_many {
	uint32_t type;
	pvk_xs_transaction_t t;
	const char *const *parts;
	const uint32_t *lens;
	unsigned int nr;
	char *out;
	size_t out_size;
	int rc;			/* as pvk_xs_request() for it alone, but for
				 * the bound: the batch's one */
	bool queued;		/* private */
};
void pvk_xs_request_many(struct pvk_xs_many *m, unsigned int n);

/* One bound for requests that belong together (a batch; a round of
 * read_many/write_many, each round its own): their replies are waited
 * for until start + PVK_XS_TIMEOUT_NS, moved by the time the client was
 * quiesced since (capped); a suspend holds them until start +
 * PVK_XS_HOLD_NS. A message still half written into the ring when the
 * bound ends gets up to PVK_XS_TIMEOUT_NS from its own wait's start to
 * be written whole, as before batches shared a bound. Kit clock. */
struct pvk_xs_bound {
	uint64_t start;
	uint64_t quiesced0;
};
void pvk_xs_bound_start(struct pvk_xs_bound *b);
/* pvk_xs_request_many() within b (pvk_xs_request_many() starts its own). */
void pvk_xs_request_many_within(struct pvk_xs_many *m, unsigned int n,
				const struct pvk_xs_bound *b);

/* xs_watch.c: a watch event arrived (upcall context): queue a copy. */
void pvk_xs_watch_event(const char *body, uint32_t len);

/* xs_watch.c: the watch worker role (one CPU delivers callbacks at a
 * time), for work that must not run beside callbacks: waits (bounded)
 * while another CPU has it; nests on the same CPU. timeout_ns 0: a
 * try that takes the role only when nobody holds it, not even this CPU
 * (no nesting), -PVK_XEN_EBUSY otherwise, not logged (netfront's
 * deadline work comes again). */
int pvk_xs_worker_enter(uint64_t timeout_ns);
void pvk_xs_worker_leave(void);

extern struct pvk_xs_stats pvk_xs_counters;
extern struct pvk_wait pvk_xs_waitq;

#endif /* PVK_XS_CLIENT_H */
