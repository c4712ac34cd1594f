/*
 * pvkit/xen/io/ring.h - shared request/response rings between a frontend
 * and a backend (the layout of Xen's io/ring.h, our own helpers).
 *
 * A ring lives in one shared page (or several, contiguous in the guest):
 *
 *   offset  0  req_prod   written by the frontend: requests produced
 *           4  req_event  written by the backend: "notify me at this req_prod"
 *           8  rsp_prod   written by the backend: responses produced
 *          12  rsp_event  written by the frontend: "notify me at this rsp_prod"
 *          16  pvt        4 bytes some protocols use (netif smartpoll)
 *          20  pad        44 bytes, zero
 *          64  ring[]     entries: a union of the request and response type
 *
 * The number of entries is the largest power of two that fits, so an index
 * becomes a slot by masking. Indices are free-running 32-bit counters:
 * they are never reduced, all differences are taken in unsigned 32-bit
 * arithmetic, and so wrap-around needs no special case.
 *
 * Each side also keeps private state (pvk_<name>_front_ring or _back_ring)
 * that the other side never sees: what it has produced but not yet
 * published, and what it has consumed.
 *
 * Everything here is inline and depends only on pvkit/types.h, so host
 * unit tests use the same code as the guest. The macros are thin adapters
 * from a typed ring to small functions on the raw indices; the functions
 * hold the logic, including the memory barriers.
 */
#ifndef PVKIT_XEN_IO_RING_H
#define PVKIT_XEN_IO_RING_H

#include <pvkit/types.h>

typedef uint32_t pvk_ring_idx_t;	/* Xen's RING_IDX */

/* Bytes before ring[]: the four indices, pvt and pad. */
#define PVK_RING_HEADER_SIZE 64

/*
 * Shared-memory ordering. Requests and responses are plain memory, the
 * indices publish them: write entries, then release the producer index;
 * read the producer index, then acquire before reading entries. The
 * event-suppression handshake needs a full barrier (store index, load the
 * other side's event), which x86 only gives with a locked/fenced op.
 */
#define pvk_ring_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#define pvk_ring_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define pvk_ring_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

/*
 * Largest power of two <= x, and 0 for x = 0 (as Xen's __RD32), as a
 * constant expression: smear the top set bit into every lower bit, then
 * keep only the top one.
 */
#define PVK_RING_SMEAR1(x)  ((x) | ((x) >> 1))
#define PVK_RING_SMEAR2(x)  (PVK_RING_SMEAR1(x) | (PVK_RING_SMEAR1(x) >> 2))
#define PVK_RING_SMEAR4(x)  (PVK_RING_SMEAR2(x) | (PVK_RING_SMEAR2(x) >> 4))
#define PVK_RING_SMEAR8(x)  (PVK_RING_SMEAR4(x) | (PVK_RING_SMEAR4(x) >> 8))
#define PVK_RING_SMEAR16(x) (PVK_RING_SMEAR8(x) | (PVK_RING_SMEAR8(x) >> 16))
#define PVK_RING_POW2_FLOOR(x) \
	((PVK_RING_SMEAR16((uint32_t)(x)) >> 1) + ((uint32_t)(x) != 0))

/*
 * Entries of ring `name` in `bytes` of shared memory, as a constant; 0
 * when the header leaves no room for one, as Xen's __CONST_RING_SIZE.
 */
#define PVK_CONST_RING_SIZE(name, bytes)					\
	PVK_RING_POW2_FLOOR(((bytes) - PVK_RING_HEADER_SIZE) /			\
			    sizeof(union pvk_##name##_sring_entry))

/* The same at run time; 0 when not even one entry fits. */
static inline uint32_t pvk_ring_entries(size_t bytes, size_t entry_size)
{
	size_t n;

	if (bytes < PVK_RING_HEADER_SIZE + entry_size)
		return 0;
	n = (bytes - PVK_RING_HEADER_SIZE) / entry_size;
	if (n > 0x80000000u)
		n = 0x80000000u;
	return PVK_RING_POW2_FLOOR(n);
}

/*
 * The types of one ring: PVK_DEFINE_RING_TYPES(blkif, struct
 * pvk_blkif_request, struct pvk_blkif_response) gives union
 * pvk_blkif_sring_entry, struct pvk_blkif_sring (the shared page),
 * struct pvk_blkif_front_ring and struct pvk_blkif_back_ring.
 */
#define PVK_DEFINE_RING_TYPES(name, req_type, rsp_type)			\
union pvk_##name##_sring_entry {						\
	req_type req;								\
	rsp_type rsp;								\
};										\
										\
struct pvk_##name##_sring {							\
	pvk_ring_idx_t req_prod, req_event;					\
	pvk_ring_idx_t rsp_prod, rsp_event;					\
	union {									\
		struct {							\
			uint8_t smartpoll_active;				\
		} netif;							\
		struct {							\
			uint8_t msg;						\
		} tapif_user;							\
		uint8_t pvt_pad[4];						\
	} pvt;									\
	uint8_t pad[44];							\
	union pvk_##name##_sring_entry ring[];					\
};										\
										\
struct pvk_##name##_front_ring {						\
	pvk_ring_idx_t req_prod_pvt;	/* requests produced, maybe unpushed */	\
	pvk_ring_idx_t rsp_cons;	/* responses consumed */		\
	uint32_t nr_ents;							\
	struct pvk_##name##_sring *sring;					\
};										\
										\
struct pvk_##name##_back_ring {							\
	pvk_ring_idx_t rsp_prod_pvt;	/* responses produced, maybe unpushed */\
	pvk_ring_idx_t req_cons;	/* requests consumed */			\
	uint32_t nr_ents;							\
	struct pvk_##name##_sring *sring;					\
}

/* ---- functions on raw indices: all the logic is here ---- */

/*
 * What the other side writes (its producer, the event index it asks us
 * to notify at, the entries it produced) is read once per use: through
 * pvk_ring_read_index() and PVK_RING_COPY_RESPONSE(), after asking for an
 * event through pvk_ring_ask_event(). Empty here; the fuzzers build with
 * PVK_RING_READ_HOOKS and define the hooks to check each read
 * (tests/fuzz/fuzz_read_once.c): an index read again at the position
 * where a read of it found work (no event asked for in between), an
 * entry read twice, fails.
 */
#ifdef PVK_RING_READ_HOOKS
void pvk_ring_hook_index(const volatile pvk_ring_idx_t *index, pvk_ring_idx_t step);
void pvk_ring_hook_event_asked(const volatile pvk_ring_idx_t *event);
void pvk_ring_hook_entry(const volatile void *sring, pvk_ring_idx_t idx);
#else
#define pvk_ring_hook_index(index, step)	((void)(index), (void)(step))
#define pvk_ring_hook_event_asked(event)	((void)(event))
#define pvk_ring_hook_entry(sring, idx)		((void)(sring), (void)(idx))
#endif

/* One read of an index the other side writes; step: where the reader
 * stands (its consumer index, or the producer it publishes). */
static inline pvk_ring_idx_t pvk_ring_read_index(const pvk_ring_idx_t *index,
						 pvk_ring_idx_t step)
{
	pvk_ring_hook_index(index, step);
	return PVK_READ_ONCE(*index);
}

/* Whether the other side has produced past cons: one read of its index,
 * and only a yes or no, so the value read cannot be used as a count or a
 * bound (that takes pvk_ring_unconsumed(), which checks it). For a cheap
 * "is there work" look; the frontends read a producer raw nowhere else. */
static inline bool pvk_ring_has_unconsumed(const pvk_ring_idx_t *shared_prod,
					   pvk_ring_idx_t cons)
{
	return pvk_ring_read_index(shared_prod, cons) != cons;
}

/* The consumer asks for an event at the entry after cons; full barrier
 * before its next read of the producer. */
static inline void pvk_ring_ask_event(pvk_ring_idx_t *event, pvk_ring_idx_t cons)
{
	PVK_WRITE_ONCE(*event, cons + 1);
	pvk_ring_mb();
	pvk_ring_hook_event_asked(event);
}

/*
 * A fresh shared ring: nothing produced; each side wants a notification
 * for the first entry (event = 1 means "when prod becomes 1"). The
 * PVK_SHARED_RING_INIT macro also zeroes pvt and pad.
 */
static inline void pvk_ring_shared_init(pvk_ring_idx_t *req_prod,
					pvk_ring_idx_t *req_event,
					pvk_ring_idx_t *rsp_prod,
					pvk_ring_idx_t *rsp_event)
{
	*req_prod = 0;
	*rsp_prod = 0;
	*req_event = 1;
	*rsp_event = 1;
}

/* Request slots the frontend may still fill: those not awaiting a response. */
static inline uint32_t pvk_ring_free_slots(uint32_t nr_ents,
					   pvk_ring_idx_t prod_pvt,
					   pvk_ring_idx_t rsp_cons)
{
	return nr_ents - (pvk_ring_idx_t)(prod_pvt - rsp_cons);
}

/*
 * Entries the other side has produced and we have not consumed, if that
 * number is plausible: at most `limit` can legitimately be there (for
 * responses: requests outstanding; for requests: slots the frontend was
 * free to fill). Returns false, leaving *count alone, when the other
 * side's producer index claims more: it is buggy or hostile, and the
 * caller must stop trusting the ring rather than read past it. On true,
 * entries up to prod may be read (acquire barrier included).
 */
static inline bool pvk_ring_unconsumed_seen(const pvk_ring_idx_t *shared_prod,
					    pvk_ring_idx_t cons, uint32_t limit,
					    uint32_t *count, pvk_ring_idx_t *seen)
{
	pvk_ring_idx_t prod = pvk_ring_read_index(shared_prod, cons);
	pvk_ring_idx_t n = (pvk_ring_idx_t)(prod - cons);

	*seen = prod;
	if (n > limit)
		return false;
	pvk_ring_rmb();
	*count = n;
	return true;
}

/* The same; *seen is the producer read, for the log of a refused one
 * (read again, it may say something else). */
static inline bool pvk_ring_unconsumed(const pvk_ring_idx_t *shared_prod,
				       pvk_ring_idx_t cons, uint32_t limit,
				       uint32_t *count)
{
	pvk_ring_idx_t seen;

	return pvk_ring_unconsumed_seen(shared_prod, cons, limit, count, &seen);
}

/*
 * Publish entries produced up to new_prod and say whether the other side
 * asked to be notified for one of them: it asked for index `event`, and
 * we moved the producer from old to new, so notify iff event is in
 * (old, new], i.e. new - event < new - old in wrapping arithmetic.
 */
static inline bool pvk_ring_push_from(pvk_ring_idx_t *shared_prod,
				      const pvk_ring_idx_t *shared_event,
				      pvk_ring_idx_t old_prod, pvk_ring_idx_t new_prod)
{
	pvk_ring_idx_t event;

	pvk_ring_wmb();			/* entries before the index */
	PVK_WRITE_ONCE(*shared_prod, new_prod);
	pvk_ring_mb();			/* index before reading the event */
	event = pvk_ring_read_index(shared_event, new_prod);
	return (pvk_ring_idx_t)(new_prod - event) <
	       (pvk_ring_idx_t)(new_prod - old_prod);
}

/* The same, the old producer taken from the shared index: only for a
 * side whose peer cannot write it (use pvk_ring_push_from() with a
 * private copy otherwise). */
static inline bool pvk_ring_push(pvk_ring_idx_t *shared_prod,
				 const pvk_ring_idx_t *shared_event,
				 pvk_ring_idx_t new_prod)
{
	return pvk_ring_push_from(shared_prod, shared_event,
				  pvk_ring_read_index(shared_prod, new_prod), new_prod);
}

/* Publish entries without asking about notification. */
static inline void pvk_ring_push_quiet(pvk_ring_idx_t *shared_prod,
				       pvk_ring_idx_t new_prod)
{
	pvk_ring_wmb();
	PVK_WRITE_ONCE(*shared_prod, new_prod);
}

/*
 * Before sleeping, the consumer asks for a notification at the next entry
 * (event = cons + 1), then looks again: an entry produced before the
 * producer saw the new event would otherwise be missed. True: there is
 * more work, do not sleep.
 */
static inline bool pvk_ring_final_check(const pvk_ring_idx_t *shared_prod,
					pvk_ring_idx_t *shared_event,
					pvk_ring_idx_t cons)
{
	if (pvk_ring_read_index(shared_prod, cons) != cons)
		return true;
	pvk_ring_ask_event(shared_event, cons);	/* before re-reading prod */
	return pvk_ring_read_index(shared_prod, cons) != cons;
}

/* ---- adapters from typed rings (r: front or back ring, s: sring) ---- */

#define PVK_SHARED_RING_INIT(s) do {					\
	__builtin_memset(&(s)->pvt, 0, sizeof((s)->pvt));		\
	__builtin_memset((s)->pad, 0, sizeof((s)->pad));		\
	pvk_ring_shared_init(&(s)->req_prod, &(s)->req_event,		\
			     &(s)->rsp_prod, &(s)->rsp_event);		\
} while (0)

/*
 * Attach private state to a shared ring of `bytes` bytes, starting at
 * index idx (0 for a new ring). nr_ents is 0 if no entry fits: callers
 * must check it.
 */
#define PVK_FRONT_RING_ATTACH(r, s, idx, bytes) do {			\
	(r)->req_prod_pvt = (idx);					\
	(r)->rsp_cons = (idx);						\
	(r)->nr_ents = pvk_ring_entries((bytes), sizeof((s)->ring[0]));	\
	(r)->sring = (s);						\
} while (0)

#define PVK_BACK_RING_ATTACH(r, s, idx, bytes) do {			\
	(r)->rsp_prod_pvt = (idx);					\
	(r)->req_cons = (idx);						\
	(r)->nr_ents = pvk_ring_entries((bytes), sizeof((s)->ring[0]));	\
	(r)->sring = (s);						\
} while (0)

#define PVK_FRONT_RING_INIT(r, s, bytes) PVK_FRONT_RING_ATTACH(r, s, 0, bytes)
#define PVK_BACK_RING_INIT(r, s, bytes)  PVK_BACK_RING_ATTACH(r, s, 0, bytes)

#define PVK_RING_SIZE(r) ((r)->nr_ents)

/* Slot of index idx; r->nr_ents is a power of two. */
#define PVK_RING_SLOT(r, idx) ((idx) & ((r)->nr_ents - 1))

#define PVK_RING_GET_REQUEST(r, idx)					\
	(&(r)->sring->ring[PVK_RING_SLOT(r, idx)].req)
#define PVK_RING_GET_RESPONSE(r, idx)					\
	(&(r)->sring->ring[PVK_RING_SLOT(r, idx)].rsp)

/*
 * Copy an entry out of shared memory exactly once, so that the other side
 * cannot change it between our checks and our use of it.
 */
#define PVK_RING_COPY_REQUEST(r, idx, dest)				\
	(*(dest) = *(const volatile __typeof__(*(dest)) *)		\
		    PVK_RING_GET_REQUEST(r, idx))
#define PVK_RING_COPY_RESPONSE(r, idx, dest) do {			\
	pvk_ring_hook_entry((r)->sring, (idx));				\
	*(dest) = *(const volatile __typeof__(*(dest)) *)		\
		   PVK_RING_GET_RESPONSE(r, idx);			\
} while (0)

/* Frontend side. */
#define PVK_RING_FREE_REQUESTS(r)					\
	pvk_ring_free_slots((r)->nr_ents, (r)->req_prod_pvt, (r)->rsp_cons)
#define PVK_RING_FULL(r) (PVK_RING_FREE_REQUESTS(r) == 0)

/* bool; *countp = responses ready, bounded by requests outstanding. */
#define PVK_RING_UNCONSUMED_RESPONSES(r, countp)			\
	pvk_ring_unconsumed(&(r)->sring->rsp_prod, (r)->rsp_cons,	\
			    (pvk_ring_idx_t)((r)->req_prod_pvt - (r)->rsp_cons), \
			    (countp))

#define PVK_RING_PUSH_REQUESTS(r)					\
	pvk_ring_push_quiet(&(r)->sring->req_prod, (r)->req_prod_pvt)
/* bool: true when the backend must be notified. */
#define PVK_RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(r)			\
	pvk_ring_push(&(r)->sring->req_prod, &(r)->sring->req_event,	\
		      (r)->req_prod_pvt)
/* The same, from old_prod, what we published last (the shared req_prod
 * is in the backend's reach). */
#define PVK_RING_PUSH_REQUESTS_FROM_AND_CHECK_NOTIFY(r, old_prod)	\
	pvk_ring_push_from(&(r)->sring->req_prod, &(r)->sring->req_event, \
			   (old_prod), (r)->req_prod_pvt)
#define PVK_RING_FINAL_CHECK_FOR_RESPONSES(r)				\
	pvk_ring_final_check(&(r)->sring->rsp_prod, &(r)->sring->rsp_event, \
			     (r)->rsp_cons)

/* Backend side. */

/*
 * bool; *countp = requests ready, bounded by the slots the frontend was
 * free to fill (those we have not answered yet are still taken).
 */
#define PVK_RING_UNCONSUMED_REQUESTS(r, countp)				\
	pvk_ring_unconsumed(&(r)->sring->req_prod, (r)->req_cons,	\
			    pvk_ring_free_slots((r)->nr_ents, (r)->req_cons, \
						(r)->rsp_prod_pvt),	\
			    (countp))

#define PVK_RING_PUSH_RESPONSES(r)					\
	pvk_ring_push_quiet(&(r)->sring->rsp_prod, (r)->rsp_prod_pvt)
#define PVK_RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(r)			\
	pvk_ring_push(&(r)->sring->rsp_prod, &(r)->sring->rsp_event,	\
		      (r)->rsp_prod_pvt)
#define PVK_RING_FINAL_CHECK_FOR_REQUESTS(r)				\
	pvk_ring_final_check(&(r)->sring->req_prod, &(r)->sring->req_event, \
			     (r)->req_cons)

#endif /* PVKIT_XEN_IO_RING_H */
