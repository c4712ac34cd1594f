/*
 * crash/backtrace.c - the call trace's walk along the %rbp chain, made
 * safe to run on a corrupt stack.
 *
 * A crash report runs when something is already wrong, often the stack
 * itself: every frame pointer is checked before it is dereferenced
 * (crash_internal.h says how), the chain must climb, and it is cut after
 * PVK_CRASH_MAX_FRAMES. A walk that stops early says why, so the report
 * can tell a porter "the chain is corrupt" from "that was the outermost
 * frame".
 */
#include "crash_internal.h"

bool pvk_crash_can_read(unsigned long va, size_t len, unsigned long sp,
			bool (*readable)(unsigned long va, size_t len))
{
	if (len == 0 || va + len - 1 < va)	/* empty, or wraps past 2^64 */
		return false;
	if (!pvk_crash_canonical(va) || !pvk_crash_canonical(va + len - 1))
		return false;
	if (readable)
		return readable(va, len);
	return va >= sp && len <= PVK_CRASH_STACK_SPAN &&
	       va - sp <= PVK_CRASH_STACK_SPAN - len;
}

void pvk_crash_walk(unsigned long rbp, unsigned long sp,
		    bool (*readable)(unsigned long va, size_t len),
		    struct pvk_crash_walk *w)
{
	w->frames = 0;
	w->stop = 0;
	for (;;) {
		const unsigned long *frame = (const unsigned long *)rbp;
		unsigned long next, ret;

		if (rbp == 0) {
			w->end = PVK_CRASH_WALK_DONE;
			return;
		}
		if (rbp % 8 || !pvk_crash_can_read(rbp, 16, sp, readable)) {
			w->end = PVK_CRASH_WALK_BAD;
			w->stop = rbp;
			return;
		}
		next = PVK_READ_ONCE(frame[0]);
		ret = PVK_READ_ONCE(frame[1]);
		if (ret == 0) {
			w->end = PVK_CRASH_WALK_DONE;
			return;
		}
		if (w->frames == PVK_CRASH_MAX_FRAMES) {
			w->end = PVK_CRASH_WALK_LIMIT;
			return;
		}
		w->ret[w->frames++] = ret;
		if (next != 0 && next <= rbp) {
			w->end = PVK_CRASH_WALK_LOOP;
			w->stop = next;
			return;
		}
		rbp = next;
	}
}
