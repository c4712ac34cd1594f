/*
 * events/evtchn_fifo.c - the FIFO event channel ABI.
 *
 * Each port has a 32-bit event word in the event array (pages we give Xen
 * with EVTCHNOP_expand_array, 1024 words each): PENDING, MASKED, LINKED
 * and BUSY bits and a LINK field. Xen links a port that becomes pending
 * onto the tail of its priority's queue and sets that queue's bit in the
 * per-vCPU control block's READY word; head[q] is where the guest starts.
 * Each vCPU has its own control block (EVTCHNOP_init_control: vCPU 0's at
 * init, another's by pvk_evtchn_cpu_prepare() before it starts, as Xen
 * drops the events of a vCPU without one) and its own place in its
 * queues; the event array is the domain's, grown under the bind lock.
 * An event a CPU finds on its queue for a port the kit has bound to
 * another vCPU since (events/cpu.c) is sent on: masked and unmasked, so
 * that Xen links it on the port's vCPU; sent on again only if the port
 * moved meanwhile, so that a record of Xen's that disagreed with ours
 * could not bounce it for ever (it is then handled where it landed).
 *
 * Scan (on CPU n, its control block): take READY with an atomic
 * exchange, then for the highest
 * priority ready queue consume one event at a time: the word at our head
 * gives the next port in LINK; we clear LINKED and LINK in one
 * compare-exchange (Xen may be linking onto it this very moment), and a
 * LINK of 0 means the queue is empty for now. Every event consumed is
 * handled if pending and unmasked. The number of events per upcall is
 * bounded (SCAN_BUDGET); a queue left non-empty keeps its READY bit, which
 * we set again, and Xen raises a new upcall when we leave.
 *
 * The control block and the event words are shared with Xen: READY is
 * taken once and only its 16 queue bits are used (a bit above would index
 * past head[]), a head or LINK is used only when it names a port whose
 * event word exists; anything else is counted (bad_queue) and logged once.
 *
 * Unmask: clear MASKED only while PENDING is clear and BUSY (Xen in the
 * middle of an update) is not set, in one compare-exchange; a pending port
 * must be unmasked by Xen (EVTCHNOP_unmask), which then links it.
 *
 * The array grows as ports are bound (setup_port, from evtchn.c's bind),
 * up to the ABI's 2^17 ports (128 pages); new pages start with every port
 * MASKED. Xen lets a domain allocate ports beyond the array (their events
 * wait inside Xen until the page exists, and are raised when it is added),
 * so a bound port must get its page before it is used. A page is entered
 * in our table before Xen gets it: Xen may link one of its ports (an event
 * that waited) and raise an upcall the moment the hypercall returns.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/xen/errno.h>

#include "evtchn_internal.h"

#define WORDS_PER_PAGE	(PVK_PAGE_SIZE / sizeof(pvk_event_word_t))
#define MAX_PAGES	(PVK_EVTCHN_FIFO_NR_CHANNELS / WORDS_PER_PAGE)
#define QUEUE_BITS	((1u << PVK_EVTCHN_FIFO_MAX_QUEUES) - 1)
#define SCAN_BUDGET	1024

#define BIT(b)		((pvk_event_word_t)1 << (b))
#define W_PENDING	BIT(PVK_EVTCHN_FIFO_PENDING)
#define W_MASKED	BIT(PVK_EVTCHN_FIFO_MASKED)
#define W_LINKED	BIT(PVK_EVTCHN_FIFO_LINKED)
#define W_BUSY		BIT(PVK_EVTCHN_FIFO_BUSY)
#define W_LINK		((pvk_event_word_t)PVK_EVTCHN_FIFO_LINK_MASK)

/* Each CPU's control block, NULL until Xen accepted it. */
static struct pvk_evtchn_fifo_control_block *control[PVK_MAX_CPUS];
/* A CPU's block that a new domain's Xen does not know (after a resume,
 * until the CPU is prepared again): kept and given again, not leaked. */
static struct pvk_evtchn_fifo_control_block *spare[PVK_MAX_CPUS];
/* Entered before Xen gets the page, cleared if it refuses it. */
static pvk_event_word_t *pages[MAX_PAGES];
static unsigned int nr_pages;	/* pages Xen accepted: pages[0..nr_pages) */
static bool warned_bad_queue;
static bool warned_relink;
/* Where each CPU is in each of its queues; 0: read head[q] from its
 * control block. Only that CPU (or pvk_evtchn_fifo_drain() once it is
 * down) touches its row. */
static uint32_t q_head[PVK_MAX_CPUS][PVK_EVTCHN_FIFO_MAX_QUEUES];

static uint64_t page_gfn(void *page)
{
	return pvk_mfn_raw(pvk_port_pfn_to_mfn(pvk_port_virt_to_pfn(page)));
}

/* The event word of port, NULL when it has none (any value of port). */
static pvk_event_word_t *word(pvk_evtchn_port_t port)
{
	pvk_event_word_t *page;

	if (port >= PVK_EVTCHN_FIFO_NR_CHANNELS)
		return NULL;
	page = PVK_READ_ONCE(pages[port / WORDS_PER_PAGE]);
	return page ? &page[port % WORDS_PER_PAGE] : NULL;
}

static int expand(void)
{
	struct pvk_evtchn_expand_array op;
	pvk_event_word_t *page;
	unsigned int slot = nr_pages;
	long rc;

	if (slot == MAX_PAGES)
		return -PVK_XEN_ENOSPC;
	page = pvk_port_alloc_page();
	if (!page)
		return -PVK_XEN_ENOMEM;
	for (size_t i = 0; i < WORDS_PER_PAGE; i++)
		page[i] = W_MASKED;
	op.array_gfn = page_gfn(page);
	pvk_barrier();	/* the words before the page is visible */
	PVK_WRITE_ONCE(pages[slot], page);
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_expand_array, &op);
	if (rc) {
		PVK_WRITE_ONCE(pages[slot], NULL);
		pvk_barrier();
		pvk_port_free_page(page);
		pvk_err("evtchn: FIFO event array page %u refused by Xen: %ld", slot, rc);
		return (int)rc;
	}
	nr_pages = slot + 1;
	return 0;
}

/* Gives Xen cpu's control block: a new page, or the one it had before a
 * resume in a new domain (spare[], cleared here); bind lock held or at
 * init. */
static int init_control(unsigned int cpu)
{
	struct pvk_evtchn_init_control op = { .vcpu = cpu };
	struct pvk_evtchn_fifo_control_block *cb;
	long rc;

	cb = spare[cpu];
	spare[cpu] = NULL;
	if (cb)
		__builtin_memset(cb, 0, PVK_PAGE_SIZE);
	else
		cb = pvk_port_alloc_page();
	if (!cb)
		return -PVK_XEN_ENOMEM;
	__builtin_memset(cb, 0, PVK_PAGE_SIZE);
	op.control_gfn = page_gfn(cb);
	op.offset = 0;
	for (unsigned int q = 0; q < PVK_EVTCHN_FIFO_MAX_QUEUES; q++)
		q_head[cpu][q] = 0;
	rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_init_control, &op);
	if (rc) {
		pvk_port_free_page(cb);
		return (int)rc;
	}
	PVK_WRITE_ONCE(control[cpu], cb);
	return 0;
}

static int cpu_prepare_fifo(unsigned int cpu)
{
	int rc = 0;

	pvk_port_lock(&pvk_evtchn_bind_lock);
	/* Once per vCPU: Xen refuses a second block (-EINVAL) and keeps
	 * the first across the vCPU going down and up. */
	if (!control[cpu])
		rc = init_control(cpu);
	pvk_port_unlock(&pvk_evtchn_bind_lock);
	if (rc)
		pvk_err("evtchn: FIFO control block of vCPU %u refused: %d", cpu, rc);
	return rc;
}

int pvk_evtchn_fifo_init(void)
{
	long rc;

	if (control[0])
		return 0;	/* on already: Xen keeps it and our blocks */
	rc = init_control(0);
	if (rc) {
		pvk_info("evtchn: FIFO ABI not available (%ld): using 2-level", rc);
		return (int)rc;
	}
	/*
	 * From here on Xen uses FIFO; there is no way back. An array page
	 * must exist before the first port of ours is used (start_info's
	 * console and xenstore ports are bound already: ports 1-2).
	 */
	rc = expand();
	if (rc)
		pvk_port_panic("evtchn: FIFO ABI on, but no event array page");
	return 0;
}

static void mask_fifo(pvk_evtchn_port_t port)
{
	pvk_event_word_t *w = word(port);

	if (w)
		__atomic_fetch_or(w, W_MASKED, __ATOMIC_SEQ_CST);
}

static bool test_and_mask_fifo(pvk_evtchn_port_t port)
{
	pvk_event_word_t *w = word(port);

	return !w || (__atomic_fetch_or(w, W_MASKED, __ATOMIC_SEQ_CST) & W_MASKED);
}

static void moved_fifo(pvk_evtchn_port_t port, unsigned int from, unsigned int to)
{
	/* Xen links the port's next event on to's queues. */
	(void)port;
	(void)from;
	(void)to;
}

/* Clears MASKED unless PENDING; false when Xen must do the unmask. */
static bool clear_masked_cond(pvk_event_word_t *w)
{
	pvk_event_word_t old = PVK_READ_ONCE(*w);

	for (;;) {
		pvk_event_word_t expect, new;

		if (!(old & W_MASKED))
			return true;
		if (old & W_PENDING)
			return false;
		expect = old & ~W_BUSY;		/* never while Xen holds BUSY */
		new = expect & ~W_MASKED;
		if (__atomic_compare_exchange_n(w, &expect, new, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			return true;
		old = expect;
		__asm__ __volatile__("pause" ::: "memory");
	}
}

static void unmask_fifo(pvk_evtchn_port_t port)
{
	pvk_event_word_t *w = word(port);
	struct pvk_evtchn_unmask op = { .port = port };

	if (w && !clear_masked_cond(w))
		pvk_hyp_event_channel_op(PVK_EVTCHNOP_unmask, &op);
}

static void clear_fifo(pvk_evtchn_port_t port)
{
	pvk_event_word_t *w = word(port);

	if (w)
		__atomic_fetch_and(w, ~W_PENDING, __ATOMIC_SEQ_CST);
}

static bool is_pending_fifo(pvk_evtchn_port_t port)
{
	pvk_event_word_t *w = word(port);

	return w && (PVK_READ_ONCE(*w) & W_PENDING);
}

static bool is_masked_fifo(pvk_evtchn_port_t port)
{
	pvk_event_word_t *w = word(port);

	return !w || (PVK_READ_ONCE(*w) & W_MASKED);
}

static int setup_port_fifo(pvk_evtchn_port_t port)
{
	if (port >= PVK_EVTCHN_FIFO_NR_CHANNELS)
		return -PVK_XEN_ERANGE;
	while (port / WORDS_PER_PAGE >= nr_pages) {
		int rc = expand();

		if (rc)
			return rc;
	}
	return 0;
}

/* Clears LINKED and LINK together; returns the LINK it held. */
static uint32_t clear_linked(pvk_event_word_t *w)
{
	pvk_event_word_t old = PVK_READ_ONCE(*w);

	while (!__atomic_compare_exchange_n(w, &old, old & ~(W_LINKED | W_LINK),
					    false, __ATOMIC_SEQ_CST,
					    __ATOMIC_SEQ_CST))
		;
	return old & W_LINK;
}

/* Counts (and logs once) a READY bit or queue entry that cannot be. */
static void bad_queue(unsigned int cpu, const char *what, uint32_t value)
{
	pvk_evtchn_cpus[cpu].stats.bad_queue++;
	if (warned_bad_queue)
		return;
	warned_bad_queue = true;
	pvk_err("evtchn: FIFO control block: %s 0x%x cannot be: ignored (counted in bad_queue, logged once)",
		what, value);
}

/* A pending, unmasked event linked on a CPU's queue that is no longer
 * the port's (moved, or drained after the CPU went down): have Xen link
 * it on the port's vCPU (its unmask of a pending port does that).
 * EVTCHNOP_unmask clears MASKED whoever set it, so a mask another CPU
 * set meanwhile would be undone: we leave the port masked when the slot
 * says, after our mask, that someone else wants it so (set_handler()
 * cleared its handler, or a flood hold). Narrowed, not closed: a change
 * that masks after that look and clears the handler after our unmask can
 * still see one event dispatched to no handler (left masked, dropped). */
static void relink(pvk_evtchn_port_t port)
{
	struct pvk_evtchn_slot *s = pvk_evtchn_slot(port);

	mask_fifo(port);
	if (s && (!PVK_READ_ONCE(s->handler) ||
		  __atomic_load_n(&s->held_until, __ATOMIC_SEQ_CST)))
		return;
	unmask_fifo(port);
}

/* Consumes the event at the head of cpu's queue q (below
 * PVK_EVTCHN_FIFO_MAX_QUEUES); clears *ready's bit when the queue is
 * empty. drain: cpu is down, nothing runs here. */
static void consume_one(unsigned int cpu, unsigned int q, uint32_t *ready,
			bool drain)
{
	uint32_t head = q_head[cpu][q];
	struct pvk_evtchn_slot *s;
	pvk_event_word_t *w;
	pvk_evtchn_port_t port;
	unsigned int owner;

	if (!head)
		head = PVK_READ_ONCE(control[cpu]->head[q]);
	port = head;
	w = word(port);
	if (!w || !port) {
		/* Xen queued a port we never gave it a word for: impossible
		 * unless the control block is corrupt. Drop the queue. */
		bad_queue(cpu, "queue head (no such event word)", head);
		q_head[cpu][q] = 0;
		*ready &= ~(1u << q);
		return;
	}
	head = clear_linked(w);
	if (!head)
		*ready &= ~(1u << q);
	q_head[cpu][q] = head;
	s = pvk_evtchn_slot(port);
	owner = s ? PVK_READ_ONCE(s->cpu) : cpu;
	if (owner == cpu && s && s->relink_to)
		s->relink_to = 0;	/* it arrived where it belongs */
	if ((PVK_READ_ONCE(*w) & (W_PENDING | W_MASKED)) != W_PENDING)
		return;
	if (owner != cpu) {
		/*
		 * Sent on to where our record says. Sent on again when it
		 * arrived where it was sent, or the record changed since (the
		 * port moved meanwhile). Else Xen linked it on another vCPU
		 * than our unchanged record says: a record that disagrees
		 * with Xen's (or Xen's move done, ours not yet written) could
		 * bounce it for ever, so it is handled here, said once.
		 */
		if (!s->relink_to || s->relink_to == cpu + 1 ||
		    s->relink_to != owner + 1) {
			s->relink_to = (uint8_t)(owner + 1);
			relink(port);
			return;
		}
		if (!warned_relink) {
			warned_relink = true;
			pvk_warn("evtchn: FIFO: port %u sent on to vCPU %u came to vCPU %u's queue: handled here (logged once)",
				 port, owner, cpu);
		}
		s->relink_to = 0;
	}
	if (!drain)
		pvk_evtchn_handle_port(port, cpu);
	else
		/* Still cpu's (an IPI, a per-vCPU VIRQ), or Xen's record
		 * disagrees: masked until its owner's unmask has Xen link
		 * it again. */
		mask_fifo(port);
}

static void scan_fifo(unsigned int cpu)
{
	struct pvk_vcpu_info *v = pvk_xen_vcpu_info(cpu);
	struct pvk_evtchn_fifo_control_block *cb = control[cpu];
	unsigned int budget = SCAN_BUDGET;
	uint32_t ready;

	PVK_WRITE_ONCE(v->evtchn_upcall_pending, 0);
	if (!cb)
		return;		/* not prepared: Xen has nothing for it */
	/* Read once; only the queues that exist are used. */
	ready = __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST);
	if (ready & ~QUEUE_BITS) {
		bad_queue(cpu, "READY", ready);
		ready &= QUEUE_BITS;
	}
	while (ready && budget--) {
		unsigned int q = (unsigned int)__builtin_ctz(ready);

		consume_one(cpu, q, &ready, false);
	}
	if (ready) {
		/* Out of budget: put the non-empty queues back, and make sure
		 * Xen comes back to us. */
		__atomic_fetch_or(&cb->ready, ready, __ATOMIC_SEQ_CST);
		PVK_WRITE_ONCE(v->evtchn_upcall_pending, 1);
	}
}

void pvk_evtchn_fifo_drain(unsigned int cpu)
{
	struct pvk_evtchn_fifo_control_block *cb;
	unsigned int budget = PVK_EVTCHN_FIFO_NR_CHANNELS;
	uint32_t ready;

	if (pvk_evtchn_abi != &pvk_evtchn_fifo || cpu >= PVK_MAX_CPUS)
		return;
	cb = control[cpu];
	if (!cb)
		return;
	/* Like the scan: the READY bits and our own cursors only. Xen
	 * writes head[q] when it links onto an empty queue and never clears
	 * it, so a queue without its READY bit may hold a stale head: a port
	 * since moved and linked on another vCPU's queue, whose LINKED and
	 * LINK we must not touch. */
	ready = __atomic_exchange_n(&cb->ready, 0, __ATOMIC_SEQ_CST) & QUEUE_BITS;
	for (unsigned int q = 0; q < PVK_EVTCHN_FIFO_MAX_QUEUES; q++)
		if (q_head[cpu][q])
			ready |= 1u << q;
	while (ready && budget--)
		consume_one(cpu, (unsigned int)__builtin_ctz(ready), &ready, true);
}

struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control_cpu(unsigned int cpu)
{
	if (pvk_evtchn_abi != &pvk_evtchn_fifo || cpu >= PVK_MAX_CPUS)
		return NULL;
	return PVK_READ_ONCE(control[cpu]);
}

struct pvk_evtchn_fifo_control_block *pvk_evtchn_fifo_control(void)
{
	return pvk_evtchn_fifo_control_cpu(0);
}

const struct pvk_evtchn_abi pvk_evtchn_fifo = {
	.name = "FIFO",
	.nr_ports = PVK_EVTCHN_FIFO_NR_CHANNELS,
	.mask = mask_fifo,
	.test_and_mask = test_and_mask_fifo,
	.unmask = unmask_fifo,
	.clear = clear_fifo,
	.is_pending = is_pending_fifo,
	.is_masked = is_masked_fifo,
	.setup_port = setup_port_fifo,
	.moved = moved_fifo,
	.cpu_prepare = cpu_prepare_fifo,
	.scan = scan_fifo,
};

/*
 * Resumed in a new domain (suspend/): Xen starts it on the 2-level ABI
 * with no port bound. Our control blocks and event array pages are kept
 * (they are our memory, now at other machine frames): vCPU 0's block is
 * cleared and given to Xen again first (that switches the domain to
 * FIFO), the other CPUs' blocks are kept as spares that their next
 * prepare clears and gives to Xen (only vCPU 0 runs now), then every
 * array page, all MASKED (no port exists), in its old order, so that
 * port n's word is where it was. Upcalls are masked on every CPU
 * meanwhile.
 */
int pvk_evtchn_fifo_resume(void)
{
	struct pvk_evtchn_init_control ic = { .offset = 0 };
	struct pvk_evtchn_expand_array ea;
	unsigned int had = nr_pages;
	long rc;

	for (unsigned int cpu = 0; cpu < PVK_MAX_CPUS; cpu++) {
		struct pvk_evtchn_fifo_control_block *cb = control[cpu];

		if (!cb)
			continue;
		for (unsigned int q = 0; q < PVK_EVTCHN_FIFO_MAX_QUEUES; q++)
			q_head[cpu][q] = 0;
		if (cpu)	/* only vCPU 0 runs now; the others' blocks
				 * are cleared by init_control() at their
				 * next prepare */
			continue;
		__builtin_memset(cb, 0, PVK_PAGE_SIZE);
		ic.control_gfn = page_gfn(cb);
		ic.vcpu = cpu;
		rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_init_control, &ic);
		if (rc) {
			pvk_err("evtchn: resume: FIFO control block of vCPU %u refused: %ld",
				cpu, rc);
			return (int)rc;
		}
	}
	/* Prepared anew before they start, with the same pages: a page
	 * per CPU and resume was lost here before (session 11's ten cycles
	 * with 4 vCPUs counted 3 fewer free pages each). */
	for (unsigned int cpu = 1; cpu < PVK_MAX_CPUS; cpu++) {
		if (control[cpu])
			spare[cpu] = control[cpu];
		PVK_WRITE_ONCE(control[cpu], NULL);
	}
	nr_pages = 0;
	for (unsigned int i = 0; i < had; i++) {
		for (size_t w = 0; w < WORDS_PER_PAGE; w++)
			PVK_WRITE_ONCE(pages[i][w], W_MASKED);
		ea.array_gfn = page_gfn(pages[i]);
		rc = pvk_hyp_event_channel_op(PVK_EVTCHNOP_expand_array, &ea);
		if (rc) {
			pvk_err("evtchn: resume: FIFO event array page %u refused: %ld", i, rc);
			return (int)rc;
		}
		nr_pages = i + 1;
	}
	return 0;
}
