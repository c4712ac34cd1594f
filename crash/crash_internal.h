/*
 * crash/crash_internal.h - the call-trace walk, apart from its printing so
 * the host unit tests can run it over stacks they build (test_crash.c).
 */
#ifndef PVK_CRASH_INTERNAL_H
#define PVK_CRASH_INTERNAL_H

#include <pvkit/crash.h>

enum pvk_crash_walk_end {
	PVK_CRASH_WALK_DONE,	/* frame pointer or return address 0: outermost */
	PVK_CRASH_WALK_LIMIT,	/* PVK_CRASH_MAX_FRAMES frames and more to go */
	PVK_CRASH_WALK_BAD,	/* a frame pointer failed the checks: not read */
	PVK_CRASH_WALK_LOOP,	/* the next frame is not above this one */
};

struct pvk_crash_walk {
	unsigned long ret[PVK_CRASH_MAX_FRAMES];	/* return addresses */
	unsigned int frames;
	enum pvk_crash_walk_end end;
	unsigned long stop;	/* the frame pointer it stopped at (BAD, LOOP) */
};

/* Userspace and kernel halves: bits 63..47 all equal. */
static inline bool pvk_crash_canonical(unsigned long va)
{
	unsigned long top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

/*
 * Follows the %rbp chain from rbp: [rbp] is the caller's rbp, [rbp + 8]
 * the return address. Each frame pointer is checked before anything is
 * read through it: 8-byte aligned, canonical, and readable(rbp, 16), or
 * without readable inside [sp, sp + PVK_CRASH_STACK_SPAN). Callers' frames
 * are higher on the stack, so a chain that does not climb stops (it would
 * loop); PVK_CRASH_MAX_FRAMES bounds the rest.
 */
void pvk_crash_walk(unsigned long rbp, unsigned long sp,
		    bool (*readable)(unsigned long va, size_t len),
		    struct pvk_crash_walk *w);

/* The check above, for one range (also the stack dump's). */
bool pvk_crash_can_read(unsigned long va, size_t len, unsigned long sp,
			bool (*readable)(unsigned long va, size_t len));

#endif /* PVK_CRASH_INTERNAL_H */
