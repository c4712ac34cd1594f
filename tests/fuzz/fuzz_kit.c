/*
 * tests/fuzz/fuzz_kit.c - host stand-ins for the frontend fuzzers (see
 * fuzz_kit.h): pages and heap blocks tracked, a grant table the played
 * backend can map, event channels whose handlers the fuzzer runs, locks
 * that must not nest, waits that do not wait, a clock that ticks a
 * millisecond per read. Single-threaded: "meanwhile" is fuzz_lock_hook
 * and the host callbacks. Also what the fuzzers' scripts share: the
 * runner of one input, the chaos countdown, the common checks.
 */
#include <assert.h>
#include <sanitizer/asan_interface.h>
#include <stdlib.h>
#include <string.h>
#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "fuzz_kit.h"

#define PAGE		4096u
#define MAX_PAGES	8192u
#define HASH_SLOTS	32768u		/* power of two, > 2 * MAX_PAGES */
#define MAX_BLOCKS	64u
#define MAX_PORTS	64u

/* Allocated pages: a dense list, and a hash from page address to its
 * place there (entries of older generations are empty). */
static struct page_ent {
	uintptr_t page;
	uint32_t gen;
	bool dead;			/* freed: a tombstone this generation */
	unsigned int grants;		/* live grants of the page */
	unsigned int at;		/* index in pages[] */
} hash[HASH_SLOTS];
static uint32_t gen = 1;
static unsigned int used_slots;		/* this generation, tombstones too */
static void *pages[MAX_PAGES];
static unsigned int nr_pages;

/* Freed pages wait here, poisoned (a use after free is still caught),
 * and are reused oldest first once CACHE_SLACK wait: allocating pages
 * afresh for every input cost more than the rest of it, and a malloc
 * never freed in an input makes libFuzzer scan for leaks after it. */
#define CACHE_SLACK	64
#define CACHE_PAGES	(2 * MAX_PAGES)
static void *cache[CACHE_PAGES];
static unsigned int cache_head, cache_count;

static void *page_get(void)
{
	void *p;

	if (cache_count <= CACHE_SLACK) {
		p = aligned_alloc(PAGE, PAGE);
		assert(p);
	} else {
		p = cache[cache_head];
		cache_head = (cache_head + 1) % CACHE_PAGES;
		cache_count--;
		ASAN_UNPOISON_MEMORY_REGION(p, PAGE);
	}
	return p;
}

static void page_put(void *p)
{
	assert(cache_count < CACHE_PAGES);
	ASAN_POISON_MEMORY_REGION(p, PAGE);
	cache[(cache_head + cache_count) % CACHE_PAGES] = p;
	cache_count++;
}

static void *blocks[MAX_BLOCKS];
static unsigned int nr_blocks;

static struct {
	void *page;
	bool live, readonly, mapped;
} refs[FUZZ_MAX_REFS];
static unsigned int next_ref, live_refs, fail_in;
static pvk_grant_ref_t last_ref;
static bool refuse;

static struct {
	pvk_evtchn_handler_t handler;
	void *arg;
} ports[MAX_PORTS];
static unsigned int nr_ports, sends;

/* A smaller quarantine than ASan's 256 MiB: two fuzzers share a core and
 * memory with other work; a use after free still shows in the next
 * inputs' worth of frees. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "quarantine_size_mb=32";
}

static unsigned int locks_held;
static uint64_t clock_ns;
void (*fuzz_lock_hook)(void);
void (*fuzz_grant_hook)(const void *page);

static unsigned int slot_of(uintptr_t page)
{
	return (unsigned int)((page >> 12) * 2654435761u) & (HASH_SLOTS - 1);
}

/* The live entry of the page holding addr, or NULL. */
static struct page_ent *find(const void *addr)
{
	uintptr_t page = (uintptr_t)addr & ~(uintptr_t)(PAGE - 1);

	for (unsigned int i = slot_of(page);; i = (i + 1) & (HASH_SLOTS - 1)) {
		struct page_ent *e = &hash[i];

		if (e->gen != gen)
			return NULL;
		if (e->page == page && !e->dead)
			return e;
	}
}

void *pvk_port_alloc_page(void)
{
	void *p;
	unsigned int i;

	assert(nr_pages < MAX_PAGES && used_slots < HASH_SLOTS / 2);
	p = page_get();
	memset(p, 0, PAGE);
	for (i = slot_of((uintptr_t)p); hash[i].gen == gen; i = (i + 1) & (HASH_SLOTS - 1))
		assert(hash[i].dead || hash[i].page != (uintptr_t)p);
	hash[i] = (struct page_ent){ .page = (uintptr_t)p, .gen = gen, .at = nr_pages };
	pages[nr_pages++] = p;
	used_slots++;
	return p;
}

void pvk_port_free_page(void *page)
{
	struct page_ent *e = find(page);
	void *last;

	/* Only pages of ours, whole, once; never one the backend may map. */
	assert(e && e->page == (uintptr_t)page);
	assert(e->grants == 0);
	last = pages[--nr_pages];
	pages[e->at] = last;
	if (last != page)
		find(last)->at = e->at;
	e->dead = true;
	page_put(page);
}

void *pvk_port_malloc(size_t size)
{
	void *p;

	if (nr_blocks == MAX_BLOCKS)
		return NULL;
	p = calloc(1, size ? size : 1);
	assert(p);
	blocks[nr_blocks++] = p;
	return p;
}

void pvk_port_free(void *ptr)
{
	for (unsigned int i = 0; i < nr_blocks; i++) {
		if (blocks[i] == ptr) {
			blocks[i] = blocks[--nr_blocks];
			free(ptr);
			return;
		}
	}
	assert(!"pvk_port_free of a block not allocated");
}

void pvk_port_lock_init(struct pvk_lock *lock)
{
	memset(lock, 0, sizeof(*lock));
}

void pvk_port_lock(struct pvk_lock *lock)
{
	void (*hook)(void) = fuzz_lock_hook;

	/* One CPU: a lock taken twice would spin for ever. */
	assert(lock->opaque[0] == 0);
	if (hook) {
		/* The backend acts before we get the lock (not nested). */
		fuzz_lock_hook = NULL;
		hook();
		fuzz_lock_hook = hook;
	}
	lock->opaque[0] = 1;
	locks_held++;
}

void pvk_port_unlock(struct pvk_lock *lock)
{
	assert(lock->opaque[0] == 1);
	lock->opaque[0] = 0;
	/* A pass is over: the ring's indexes may be read afresh. */
	if (--locks_held == 0)
		fuzz_read_once_pass_over();
}

unsigned int fuzz_locks_held(void)
{
	return locks_held;
}

void pvk_port_wait_init(struct pvk_wait *w)
{
	(void)w;
}

void pvk_port_wake(struct pvk_wait *w)
{
	(void)w;
}

/* Nothing runs behind the caller's back: a false condition stays so. */
int pvk_port_wait_until(struct pvk_wait *w, bool (*cond)(void *arg), void *arg,
			uint64_t timeout_ns)
{
	(void)w;
	(void)timeout_ns;
	assert(locks_held == 0);
	return cond(arg) ? 0 : -PVK_XEN_ETIMEDOUT;
}

uint64_t pvk_time_now_ns(void)
{
	return clock_ns += 1000000;
}

/* ---- grants ---- */

int pvk_grant_access_page(pvk_domid_t domid, const void *page, bool readonly,
			  pvk_grant_ref_t *ref)
{
	struct page_ent *e = find(page);

	(void)domid;
	/* A page of ours, whole, not granted already (a page given to the
	 * backend twice at once is a page reused while it may map it). */
	assert(e && e->page == (uintptr_t)page);
	assert(e->grants == 0);
	if (fuzz_grant_hook)
		fuzz_grant_hook(page);
	if (refuse || (fail_in && --fail_in == 0))
		return -PVK_XEN_ENOSPC;
	for (unsigned int i = 0; i < FUZZ_MAX_REFS; i++) {
		unsigned int r = (next_ref + i) % FUZZ_MAX_REFS;

		if (r < 8 || refs[r].live)
			continue;
		refs[r].page = (void *)page;
		refs[r].live = true;
		refs[r].readonly = readonly;
		refs[r].mapped = false;
		next_ref = r + 1;
		live_refs++;
		e->grants++;
		*ref = last_ref = r;
		return 0;
	}
	return -PVK_XEN_ENOSPC;
}

int pvk_grant_end_access(pvk_grant_ref_t ref)
{
	/* Never a grant not given, nor one ended already. */
	assert(ref < FUZZ_MAX_REFS && refs[ref].live);
	if (refs[ref].mapped)
		return -PVK_XEN_EBUSY;
	refs[ref].live = false;
	live_refs--;
	find(refs[ref].page)->grants--;
	return 0;
}

int pvk_grant_end_access_page(pvk_grant_ref_t ref, void *page)
{
	int rc;

	assert(ref < FUZZ_MAX_REFS && refs[ref].page == page);
	rc = pvk_grant_end_access(ref);
	if (!rc)
		pvk_port_free_page(page);
	return rc;
}

bool pvk_grant_in_use(pvk_grant_ref_t ref)
{
	return ref < FUZZ_MAX_REFS && refs[ref].live && refs[ref].mapped;
}

unsigned int fuzz_grants_live(void)
{
	return live_refs;
}

bool fuzz_grant_live(pvk_grant_ref_t ref)
{
	return ref < FUZZ_MAX_REFS && refs[ref].live;
}

void *fuzz_grant_page(pvk_grant_ref_t ref)
{
	return fuzz_grant_live(ref) ? refs[ref].page : NULL;
}

bool fuzz_grant_readonly(pvk_grant_ref_t ref)
{
	return fuzz_grant_live(ref) && refs[ref].readonly;
}

bool fuzz_grant_map(pvk_grant_ref_t ref, bool mapped)
{
	if (!fuzz_grant_live(ref))
		return false;
	refs[ref].mapped = mapped;
	return true;
}

bool fuzz_grant_mapped(pvk_grant_ref_t ref)
{
	return fuzz_grant_live(ref) && refs[ref].mapped;
}

unsigned int fuzz_grants_mapped(void)
{
	unsigned int n = 0;

	for (unsigned int r = 0; r < FUZZ_MAX_REFS; r++)
		n += refs[r].live && refs[r].mapped;
	return n;
}

pvk_grant_ref_t fuzz_grant_mapped_nth(unsigned int n)
{
	unsigned int count = fuzz_grants_mapped();

	if (!count)
		return 0;
	n %= count;
	for (unsigned int r = 0; r < FUZZ_MAX_REFS; r++)
		if (refs[r].live && refs[r].mapped && n-- == 0)
			return r;
	return 0;
}

void fuzz_grant_unmap_all(void)
{
	for (unsigned int r = 0; r < FUZZ_MAX_REFS; r++)
		refs[r].mapped = false;
}

void fuzz_grants_refused(bool on)
{
	refuse = on;
}

void fuzz_grant_fail_in(unsigned int n)
{
	fail_in = n;
}

pvk_grant_ref_t fuzz_last_ref(void)
{
	return last_ref;
}

bool fuzz_page_granted(const void *addr)
{
	struct page_ent *e = find(addr);

	return e && e->grants;
}

bool fuzz_page_allocated(const void *addr)
{
	return find(addr) != NULL;
}

/* ---- event channels ---- */

int pvk_evtchn_alloc_unbound(pvk_domid_t remote_dom, pvk_evtchn_handler_t handler,
			     void *arg, pvk_evtchn_port_t *port)
{
	(void)remote_dom;
	if (nr_ports >= MAX_PORTS)
		return -PVK_XEN_ENOSPC;
	ports[nr_ports].handler = handler;
	ports[nr_ports].arg = arg;
	*port = 5 + nr_ports++;
	return 0;
}

int pvk_evtchn_send(pvk_evtchn_port_t port)
{
	assert(port >= 5 && port - 5 < nr_ports);
	sends++;
	return 0;
}

int pvk_evtchn_close(pvk_evtchn_port_t port)
{
	assert(port >= 5 && port - 5 < nr_ports && ports[port - 5].handler);
	ports[port - 5].handler = NULL;
	return 0;
}

bool fuzz_event(pvk_evtchn_port_t port)
{
	if (port < 5 || port - 5 >= nr_ports || !ports[port - 5].handler)
		return false;
	/* An upcall never comes while a kit lock is held (it masks them). */
	assert(locks_held == 0);
	return ports[port - 5].handler(port, ports[port - 5].arg);
}

unsigned int fuzz_sends(void)
{
	return sends;
}

/* ---- whole state ---- */

unsigned int fuzz_pages_allocated(void)
{
	return nr_pages;
}

unsigned int fuzz_blocks_allocated(void)
{
	return nr_blocks;
}

void fuzz_kit_free_all(void)
{
	for (unsigned int i = 0; i < nr_pages; i++)
		page_put(pages[i]);
	nr_pages = 0;
	for (unsigned int i = 0; i < nr_blocks; i++)
		free(blocks[i]);
	nr_blocks = 0;
}

void fuzz_kit_reset(void)
{
	fuzz_kit_free_all();
	gen++;
	used_slots = 0;
	memset(refs, 0, sizeof(refs));
	next_ref = 8;
	live_refs = 0;
	refuse = false;
	fail_in = 0;
	last_ref = 0;
	memset(ports, 0, sizeof(ports));
	nr_ports = sends = 0;
	locks_held = 0;
	fuzz_lock_hook = NULL;
	fuzz_grant_hook = NULL;
	fuzz_read_once_reset();
}

/* ---- what the frontend fuzzers' scripts share ---- */

void fuzz_run(struct fuzz_in *in, const uint8_t *data, size_t size,
	      const struct fuzz_script *s)
{
	*in = (struct fuzz_in){ .p = data, .n = size };
	s->setup();
	for (unsigned int steps = 0; fuzz_more(in) && steps < FUZZ_MAX_STEPS; steps++) {
		s->reap();
		s->act(fuzz_u8(in));
		s->check();
	}
	s->close();
}

static struct {
	struct fuzz_in *in;
	unsigned int countdown, gap;
	void (*act)(uint8_t action);
} chaos;

static void chaos_tick(void)
{
	if (!chaos.countdown || --chaos.countdown)
		return;
	chaos.countdown = chaos.gap + fuzz_u8(chaos.in) % 16;
	chaos.act(fuzz_u8(chaos.in));
}

void fuzz_chaos_start(struct fuzz_in *in, unsigned int first, unsigned int gap,
		      void (*act)(uint8_t action))
{
	chaos.in = in;
	chaos.countdown = first;
	chaos.gap = gap;
	chaos.act = act;
	fuzz_lock_hook = chaos_tick;
}

bool fuzz_trace_wanted(void)
{
	static int wanted = -1;

	if (wanted < 0)
		wanted = getenv("FUZZ_TRACE") != NULL;
	return wanted;
}

bool fuzz_refusal_ok(int rc)
{
	return rc == -PVK_XEN_EAGAIN || rc == -PVK_XEN_EIO || rc == -PVK_XEN_ENODEV ||
	       rc == -PVK_XEN_EINVAL || rc == -PVK_XEN_EOPNOTSUPP || rc == -PVK_XEN_ENOMEM;
}

void fuzz_grants_trouble(struct fuzz_in *in)
{
	uint8_t b = fuzz_u8(in);

	if (b & 0x80)
		fuzz_grants_refused(b & 1);
	else
		fuzz_grant_fail_in(b & 31);
}

void fuzz_check_kit(unsigned int dev_grants_live)
{
	assert(fuzz_locks_held() == 0);
	assert(dev_grants_live == fuzz_grants_live());
}

bool fuzz_teardown_checked(unsigned int dev_grants_live)
{
	assert(fuzz_grants_live() == fuzz_grants_mapped());
	assert(dev_grants_live == fuzz_grants_live());
	return fuzz_grants_live() == 0;
}

void fuzz_retry_kept(struct fuzz_in *in, void (*retry)(void),
		     unsigned int (*dev_grants_live)(void))
{
	unsigned int pages = fuzz_pages_allocated(), live = fuzz_grants_live();

	/* Nothing let go: nothing ended, nothing freed. */
	retry();
	assert(fuzz_grants_live() == live && fuzz_pages_allocated() == pages);
	assert(dev_grants_live() == live);
	while (fuzz_grants_live()) {
		pvk_grant_ref_t ref = fuzz_grant_mapped_nth(fuzz_u8(in));
		void *page = fuzz_grant_page(ref);

		assert(ref && page && fuzz_grants_live() == fuzz_grants_mapped());
		fuzz_grant_map(ref, false);
		live = fuzz_grants_live();
		pages = fuzz_pages_allocated();
		retry();
		/* Its grant ended; the others kept; the device counts so. */
		assert(!fuzz_grant_live(ref) && fuzz_grants_live() == live - 1);
		assert(fuzz_grants_live() == fuzz_grants_mapped());
		assert(dev_grants_live() == fuzz_grants_live());
		/* Freed now (a ring or data page), or at the free: no other. */
		assert(fuzz_pages_allocated() == pages ||
		       (fuzz_pages_allocated() == pages - 1 && !fuzz_page_allocated(page)));
	}
}

void fuzz_check_all_freed(void)
{
	assert(fuzz_pages_allocated() == 0 && fuzz_blocks_allocated() == 0);
}
