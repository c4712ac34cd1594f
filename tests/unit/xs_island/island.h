/*
 * tests/unit/xs_island/island.h - the island's played xenstored, ring and
 * clock (test_xs_suspend.c says how they play), shared by its tests.
 */
#ifndef PVK_TEST_XS_ISLAND_H
#define PVK_TEST_XS_ISLAND_H

#include <pvkit/xen/io/xs_wire.h>

struct island_peer {
	bool reads, answers, events;
	bool swallow;		/* reads the bytes of a message not whole yet too */
	bool refuse_watch;	/* answers a WATCH with ENOSPC (its quota) */
	bool echo;		/* answers a READ with its path, not "OK" */
	bool reverse;		/* a turn's answers go out last first */
	bool stray;		/* each answer comes first with a wrong req_id and tx_id */
	const char *enoent;	/* a READ of this path is answered ENOENT */
	const char *lost;	/* a request for this path is never answered */
	bool one;		/* reads at most one message a turn (as
				 * cxenstored, one at a time: a slow peer) */
	uint64_t tick_ns;	/* the played clock moves this much each turn */
};

struct seen_msg {
	uint32_t type;
	char body[64];
};

extern struct pvk_xenstore_domain_interface ring;
extern struct island_peer peer;
extern void (*hook)(void);
extern uint64_t now_ns;
extern struct seen_msg seen[64];
extern unsigned int nr_seen;

/* A fresh ring, peer and client (pvk_xs_init()). */
void island_up(void);
/* Messages of a type xenstored got. */
unsigned int sent_of(uint32_t type);

#endif /* PVK_TEST_XS_ISLAND_H */
