/*
 * tests/fuzz/fuzz_read_once.c - the frontend fuzzers' proof that what the
 * backend writes on a ring is read once: the hooks of
 * include/pvkit/xen/io/ring.h (the kit's frontends are built with
 * PVK_RING_READ_HOOKS here; a plain volatile read in the guest).
 *
 * An index the backend writes (its producer, the event index it set) is
 * read once per use: a read that found work (a producer past the
 * reader's position, step) is what the reader checks and uses, so a
 * second read at the same position is a double fetch (the check made on
 * one value, the use of another), unless the reader asked for an event
 * in between (then the second read replaces the first:
 * pvk_ring_ask_event) or let go of every kit lock (a new pass). Looking
 * again after finding nothing is not a fetch of anything used. An entry
 * (one response) is read once, ever: each ring's entries are read in
 * index order, none twice.
 * Either fails at once (abort: a fuzzer finding) naming what was read.
 * tests/fuzz/shared-reads.sh checks that the frontends read those
 * places only through the hooked calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <pvkit/xen/io/ring.h>

#include "fuzz_kit.h"

#define MAX_INDEXES	32
#define MAX_RINGS	32

static struct {
	const volatile pvk_ring_idx_t *at;
	pvk_ring_idx_t step;
	bool work;			/* read at step in this pass, found work */
} indexes[MAX_INDEXES];
static unsigned int nr_indexes;

static struct {
	const volatile void *sring;
	pvk_ring_idx_t last;		/* the entry read last */
} rings[MAX_RINGS];
static unsigned int nr_rings;
static unsigned long long reads;

static void found(const char *what, const volatile void *at, pvk_ring_idx_t step)
{
	fprintf(stderr, "fuzz_read_once: %s (at %p, step %u): a double fetch\n",
		what, (const void *)at, step);
	abort();
}

void pvk_ring_hook_index(const volatile pvk_ring_idx_t *index, pvk_ring_idx_t step)
{
	unsigned int i;

	reads++;
	for (i = 0; i < nr_indexes && indexes[i].at != index; i++)
		;
	if (i == nr_indexes) {
		if (nr_indexes == MAX_INDEXES)
			found("more shared indexes than the table holds", index, step);
		indexes[nr_indexes++].at = index;
	} else if (indexes[i].work && indexes[i].step == step) {
		found("a shared ring index read again at the position where it was used", index,
		      step);
	}
	indexes[i].step = step;
	indexes[i].work = *index != step;
}

void pvk_ring_hook_event_asked(const volatile pvk_ring_idx_t *event)
{
	/* The producer index sits just before the event index asked
	 * (rsp_prod, rsp_event; req_prod, req_event): read it again. */
	for (unsigned int i = 0; i < nr_indexes; i++)
		if (indexes[i].at == event - 1)
			indexes[i].work = false;
}

void pvk_ring_hook_entry(const volatile void *sring, pvk_ring_idx_t idx)
{
	unsigned int i;

	reads++;
	for (i = 0; i < nr_rings && rings[i].sring != sring; i++)
		;
	if (i == nr_rings) {
		if (nr_rings == MAX_RINGS)
			found("more rings than the table holds", sring, idx);
		rings[nr_rings++].sring = sring;
	} else if ((int32_t)(idx - rings[i].last) <= 0) {
		found("a ring entry read twice (or out of order)", sring, idx);
	}
	rings[i].last = idx;
}

void fuzz_read_once_pass_over(void)
{
	for (unsigned int i = 0; i < nr_indexes; i++)
		indexes[i].work = false;
}

void fuzz_read_once_reset(void)
{
	nr_indexes = 0;
	nr_rings = 0;
}

unsigned long long fuzz_read_once_reads(void)
{
	return reads;
}
