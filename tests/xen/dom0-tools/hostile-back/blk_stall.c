/*
 * tests/xen/dom0-tools/hostile-back/blk_stall.c - the block stalls: a
 * backend that serves the disk correctly until the trigger (the first read
 * or write touching --opt from-sector=S or beyond; without it, the
 * (--opt after=N)th request) and from then on
 *   silent     takes every request off the ring and never answers one;
 *   drop-one   never answers the trigger request, answers all the others;
 *   no-notify  answers every request but never sends the event (the
 *              frontend has to find the answers without one);
 *   slow       answers one request every --opt slow-ms (2000) while it
 *              holds the rest (the frontend's ring stays as full as it
 *              keeps it), oldest first, for --opt slow-count (8) answers;
 *              then answers what it holds and serves normally again.
 * These are what a frontend's request timeout must tell apart: a dead
 * backend, one lost request, a lost event, and a slow but working backend
 * (which must not be taken for dead). A request taken and not answered
 * never has its data pages mapped here, so the close leaves nothing of
 * the guest mapped in dom0.
 */
#include <stdlib.h>
#include "blk.h"

#define WAIT_SLICE_MS	100

struct stall {
	struct hb_blk *b;
	uint64_t from_sector;
	bool by_sector, triggered;
	/* slow: the requests held, oldest first (a ring's worth at most). */
	blkif_request_t *held;
	unsigned int nr_held, max_held;
	unsigned long slow_ms, slow_count, slow_answers;
	uint64_t next_answer_ms;
	/* what was done to the requests after the trigger */
	unsigned long unanswered, quiet_answers;
	bool dropped;
};

static bool data_request(const blkif_request_t *rq, uint64_t *sector)
{
	if (rq->operation == BLKIF_OP_READ || rq->operation == BLKIF_OP_WRITE) {
		*sector = rq->sector_number;
		return true;
	}
	if (rq->operation == BLKIF_OP_INDIRECT) {
		*sector = ((const struct blkif_request_indirect *)rq)->sector_number;
		return true;
	}
	return false;
}

static bool is_trigger(struct stall *s, const blkif_request_t *rq)
{
	uint64_t sector;

	if (!s->by_sector)
		return s->b->served + s->b->refused >= s->b->after;
	return data_request(rq, &sector) && sector >= s->from_sector;
}

static void answer(struct hb_blk *b, const blkif_request_t *rq, bool notify)
{
	blkif_response_t rsp;

	hb_blk_do_request(b, rq, &rsp, false);
	hb_blk_put_response(b, &rsp);
	if (notify)
		hb_blk_push(b, b->rsp_prod_pvt);
	else
		hb_blk_publish(b, b->rsp_prod_pvt);
}

/* slow: the oldest held request answered, when its time came. */
static void slow_tick(struct stall *s)
{
	struct hb_blk *b = s->b;

	if (!s->nr_held || hb_now_ms() < s->next_answer_ms)
		return;
	answer(b, &s->held[0], true);
	s->slow_answers++;
	hb_log(b->d, "slow answer %lu of %lu: request %llu; %u more held (at most %u of the ring's %u)",
	       s->slow_answers, s->slow_count, (unsigned long long)s->held[0].id, s->nr_held - 1,
	       s->max_held, b->nr_ents);
	s->nr_held--;
	for (unsigned int i = 0; i < s->nr_held; i++)
		s->held[i] = s->held[i + 1];
	s->next_answer_ms = hb_now_ms() + s->slow_ms;
	if (s->slow_answers < s->slow_count)
		return;
	hb_log(b->d, "slow phase over: answering the %u held now, then serving normally",
	       s->nr_held);
	for (unsigned int i = 0; i < s->nr_held; i++)
		answer(b, &s->held[i], true);
	s->nr_held = 0;
}

/* One request taken off the ring after the trigger. */
static void stalled(struct stall *s, const blkif_request_t *rq)
{
	struct hb_blk *b = s->b;

	switch (b->mode) {
	case BLK_SILENT:
		if (!s->unanswered++)
			hb_log(b->d, "silent from request %llu on: taking requests, answering none",
			       (unsigned long long)rq->id);
		return;
	case BLK_DROP_ONE:
		if (!s->dropped) {
			s->dropped = true;
			s->unanswered++;
			hb_log(b->d, "dropping request %llu (operation %u): never answered",
			       (unsigned long long)rq->id, rq->operation);
			return;
		}
		break;
	case BLK_NO_NOTIFY:
		if (!s->quiet_answers++)
			hb_log(b->d, "answering from request %llu on without an event",
			       (unsigned long long)rq->id);
		answer(b, rq, false);
		return;
	case BLK_SLOW:
		if (s->slow_answers >= s->slow_count)
			break;
		if (!s->nr_held && !s->slow_answers) {
			hb_log(b->d, "slow from request %llu on: one answer every %lu ms, the rest held",
			       (unsigned long long)rq->id, s->slow_ms);
			s->next_answer_ms = hb_now_ms() + s->slow_ms;
		}
		s->held[s->nr_held++] = *rq;	/* nr_held < nr_ents: the ring bounds it */
		if (s->nr_held > s->max_held)
			s->max_held = s->nr_held;
		return;
	default:
		break;
	}
	answer(b, rq, true);
}

static int stall_serve(struct hb_blk *b)
{
	struct stall s = { .b = b };
	uint64_t next_look = 0;
	const char *from = hb_opt(b->d, "from-sector", NULL);
	int rc = -1;

	s.by_sector = from != NULL;
	s.from_sector = hb_opt_ulong(b->d, "from-sector", 0);
	s.slow_ms = hb_opt_ulong(b->d, "slow-ms", 2000);
	s.slow_count = hb_opt_ulong(b->d, "slow-count", 8);
	s.held = calloc(b->nr_ents, sizeof(*s.held));
	if (!s.held)
		return -1;
	hb_log(b->d, "stall trigger: %s %llu", s.by_sector ? "the first I/O at sector" :
	       "request number", s.by_sector ? (unsigned long long)s.from_sector :
	       (unsigned long long)b->after);
	for (;;) {
		blkif_request_t rq;
		unsigned int wait = WAIT_SLICE_MS;

		while ((rc = hb_blk_next_request(b, &rq)) == 1) {
			if (!s.triggered && is_trigger(&s, &rq)) {
				s.triggered = true;
				b->attacked++;
			}
			if (s.triggered && b->mode == BLK_SLOW && s.nr_held == b->nr_ents) {
				hb_log(b->d, "more requests taken than the ring holds");
				rc = -1;
				break;
			}
			if (s.triggered)
				stalled(&s, &rq);
			else
				answer(b, &rq, true);
		}
		if (rc < 0)
			break;
		if (b->mode == BLK_SLOW)
			slow_tick(&s);
		if (hb_blk_stop_asked(b, &next_look)) {
			rc = 0;
			break;
		}
		if (hb_expired(b->d)) {
			rc = -1;
			break;
		}
		if (s.nr_held) {
			uint64_t now = hb_now_ms();

			wait = s.next_answer_ms <= now ? 0 :
			       s.next_answer_ms - now < wait ? (unsigned int)(s.next_answer_ms - now) : wait;
		}
		hb_evtchn_wait(b->d, wait);
	}
	hb_log(b->d, "stall: %s; %lu request(s) left unanswered, %lu answered without an event, %lu slow answer(s) (at most %u held of %u)",
	       s.triggered ? "triggered" : "never triggered", s.unanswered + s.nr_held,
	       s.quiet_answers, s.slow_answers, s.max_held, b->nr_ents);
	free(s.held);
	return rc;
}

static int stall_run(struct hb_dev *d)
{
	return hb_blk_run(d, stall_serve);
}

static const struct hb_attack blk_stalls[] = {
	{ "silent", "vbd", BLK_SILENT, stall_run,
	  "from the trigger on takes requests and answers none" },
	{ "drop-one", "vbd", BLK_DROP_ONE, stall_run,
	  "never answers the trigger request, answers the others" },
	{ "no-notify", "vbd", BLK_NO_NOTIFY, stall_run,
	  "from the trigger on answers without sending the event" },
	{ "slow", "vbd", BLK_SLOW, stall_run,
	  "from the trigger on one answer every slow-ms, the rest held (ring full)" },
	{ NULL, NULL, 0, NULL, NULL },
};
HB_ATTACKS(blk_stalls)
