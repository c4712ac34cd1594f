/*
 * tests/fuzz/fuzz_kit.h - the host stand-ins the frontend fuzzers link
 * the kit's frontend sources against: what touches Xen (grant table,
 * event channels, the clock) and port.h's memory, locks and waits, kept
 * so that the kit's promises about them can be checked. Log capture and
 * panic come from tests/unit/port.c (unit_log_has, unit_log_clear).
 *
 * Every page and heap block is tracked: freeing a page whose grant is
 * still live, granting a page twice at once, ending a grant never given
 * (or twice), freeing what was never allocated, taking a lock already
 * held: each aborts at once (assert). The played backend maps grants
 * (fuzz_grant_map): ending a mapped grant is refused with -EBUSY, as Xen
 * does. The scripts' common parts live here too (fuzz_run, chaos,
 * the refusal, grant and close checks).
 */
#ifndef FUZZ_KIT_H
#define FUZZ_KIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>

#define FUZZ_MAX_REFS	4096

/* On the scripts' checks and bookkeeping loops (walks of every slot,
 * record or id): they guide nothing, and their comparisons, traced for
 * coverage, were most of an execution's time. */
#define FUZZ_NO_COVERAGE __attribute__((no_sanitize("coverage")))

/* A fresh state: no page, grant, port or lock hook (after free_all). */
void fuzz_kit_reset(void);
/* Frees every page and heap block still allocated (kept ones too). */
void fuzz_kit_free_all(void);
/* Pages and heap blocks allocated and not yet freed. */
unsigned int fuzz_pages_allocated(void);
unsigned int fuzz_blocks_allocated(void);

/* Grants. */
unsigned int fuzz_grants_live(void);
bool fuzz_grant_live(pvk_grant_ref_t ref);
void *fuzz_grant_page(pvk_grant_ref_t ref);	/* NULL unless live */
bool fuzz_grant_readonly(pvk_grant_ref_t ref);
/* The backend maps (or lets go of) a live grant; false if not live. */
bool fuzz_grant_map(pvk_grant_ref_t ref, bool mapped);
bool fuzz_grant_mapped(pvk_grant_ref_t ref);
unsigned int fuzz_grants_mapped(void);
/* The n-th (mod their count) live mapped grant; 0 if none. */
pvk_grant_ref_t fuzz_grant_mapped_nth(unsigned int n);
/* Called with each page as it is granted (before the grant is given). */
extern void (*fuzz_grant_hook)(const void *page);
void fuzz_grant_unmap_all(void);
/* The next grant calls fail (-ENOSPC) while set. */
void fuzz_grants_refused(bool refuse);
/* The next n - 1 grants succeed, the n-th fails (-ENOSPC); 0: off. */
void fuzz_grant_fail_in(unsigned int n);
/* The grant given last (0 if none yet). */
pvk_grant_ref_t fuzz_last_ref(void);
/* Whether page (any address inside it) is live-granted / allocated. */
bool fuzz_page_granted(const void *addr);
bool fuzz_page_allocated(const void *addr);

/* Event channels: runs port's handler; false if none. */
bool fuzz_event(pvk_evtchn_port_t port);
unsigned int fuzz_sends(void);

/* Called on each pvk_port_lock() (a backend acting "meanwhile"). */
extern void (*fuzz_lock_hook)(void);
/* Kit locks held now (callbacks to the host must see 0). */
unsigned int fuzz_locks_held(void);

/* Input bytes, read in order; 0 once exhausted. */
struct fuzz_in {
	const uint8_t *p;
	size_t n, i;
};
static inline bool fuzz_more(const struct fuzz_in *in)
{
	return in->i < in->n;
}
static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->i < in->n ? in->p[in->i++] : 0;
}
static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t v = fuzz_u8(in);

	return (uint16_t)(v | fuzz_u8(in) << 8);
}
static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t v = fuzz_u16(in);

	return v | (uint32_t)fuzz_u16(in) << 16;
}

/* What the frontend fuzzers' scripts share (asserts abort). */
/* One input as a script (LLVMFuzzerTestOneInput): setup(), then, while
 * input is left (FUZZ_MAX_STEPS at most), reap() what completed, act()
 * on the next byte, check() the invariants; then close(). */
#define FUZZ_MAX_STEPS	2000
struct fuzz_script {
	void (*setup)(void);
	void (*reap)(void);
	void (*act)(uint8_t action);
	void (*check)(void);
	void (*close)(void);
};
void fuzz_run(struct fuzz_in *in, const uint8_t *data, size_t size,
	      const struct fuzz_script *s);
/* Chaos: the backend acts while the frontend runs. act(next byte) runs
 * at a kit lock call (fuzz_lock_hook) once first calls counted down,
 * then again after gap + (next byte % 16) more; a count of 0 stops it.
 * Off with fuzz_lock_hook = NULL (or fuzz_kit_reset). */
void fuzz_chaos_start(struct fuzz_in *in, unsigned int first, unsigned int gap,
		      void (*act)(uint8_t action));
/* Whether FUZZ_TRACE is set: one line per event. */
bool fuzz_trace_wanted(void);
/* A submit the frontend refused gave one of the errors it may give. */
bool fuzz_refusal_ok(int rc);
/* The grant table runs out (one input byte): every grant refused for a
 * while, or the n-th from now (a request half granted). */
void fuzz_grants_trouble(struct fuzz_in *in);
/* After every action: no kit lock held, and the device's grant count
 * (dev_grants_live) is the grant table's. */
void fuzz_check_kit(unsigned int dev_grants_live);
/* The close, after the device's teardown: every grant ended but those
 * the backend still maps, the device's count agreeing. True when no
 * grant is live: the device's pages may be freed, then
 * fuzz_check_all_freed() (no page or heap block left). */
bool fuzz_teardown_checked(unsigned int dev_grants_live);
/* Then, while grants are kept: retry (the device's retry_kept) changes
 * nothing until the backend lets go; then the backend lets go of one
 * (input byte), and retry ends its grant and of all pages frees at most
 * that one; until none is kept. */
void fuzz_retry_kept(struct fuzz_in *in, void (*retry)(void),
		     unsigned int (*dev_grants_live)(void));
void fuzz_check_all_freed(void);

/* fuzz_read_once.c: the ring read hooks' state (kept per pass, per
 * input), and how many reads they saw. */
void fuzz_read_once_pass_over(void);
void fuzz_read_once_reset(void);
unsigned long long fuzz_read_once_reads(void);

#endif /* FUZZ_KIT_H */
