/*
 * tests/unit/test_crash.c - the crash report's pure parts: symbol lookup
 * (crash/symbols.c), the call-trace walk over good and corrupt stacks
 * (crash/backtrace.c), and each CPU's last hypercall and refusal
 * (hypercall/last.c).
 *
 * The stacks are arrays of the test's own; a corrupt frame pointer points
 * somewhere the test does not own, so a walk that read through it would
 * be caught by AddressSanitizer or crash the test: the walk must stop on
 * the checks alone.
 */
#include <pvkit/crash.h>
#include <pvkit/hypercall.h>
#include <pvkit/hypercall_stats.h>
#include <pvkit/log.h>
#include <pvkit/smp.h>
#include <pvkit/xen/errno.h>
#include "crash/crash_internal.h"
#include "unit.h"

static const struct pvk_symbol syms[] = {
	{ .addr = 0x1000, .name = 0 },		/* "alpha" */
	{ .addr = 0x1010, .name = 6 },		/* "beta" */
	{ .addr = 0x1100, .name = 11 },		/* "gamma" */
};
static const char names[] = "alpha\0beta\0gamma";
static const struct pvk_symtab table = {
	.count = 3, .syms = syms, .names = names, .end = 0x1200,
};

UNIT_TEST(crash_symbol_lookup)
{
	unsigned long off = 99;

	CHECK(pvk_symtab_lookup(&table, 0xfff, &off) == NULL);
	CHECK_STR(pvk_symtab_lookup(&table, 0x1000, &off), "alpha");
	CHECK_EQ(off, 0);
	CHECK_STR(pvk_symtab_lookup(&table, 0x100f, &off), "alpha");
	CHECK_EQ(off, 0xf);
	CHECK_STR(pvk_symtab_lookup(&table, 0x1010, &off), "beta");
	CHECK_EQ(off, 0);
	CHECK_STR(pvk_symtab_lookup(&table, 0x10ff, &off), "beta");
	CHECK_EQ(off, 0xef);
	CHECK_STR(pvk_symtab_lookup(&table, 0x11ff, &off), "gamma");
	CHECK_EQ(off, 0xff);
	CHECK(pvk_symtab_lookup(&table, 0x1200, &off) == NULL);	/* past end */
	CHECK(pvk_symtab_lookup(&table, ~0UL, &off) == NULL);
	CHECK(pvk_symtab_lookup(NULL, 0x1000, &off) == NULL);
}

UNIT_TEST(crash_symbol_registration)
{
	const struct pvk_symtab empty = { .count = 0, .syms = syms, .names = names, .end = 0x1200 };
	unsigned long off;

	pvk_crash_set_symbols(NULL);
	CHECK(pvk_crash_symbol(0x1000, &off) == NULL);
	pvk_crash_set_symbols(&empty);		/* the first link's table */
	CHECK(pvk_crash_symbol(0x1000, &off) == NULL);
	pvk_crash_set_symbols(&table);
	CHECK_STR(pvk_crash_symbol(0x1104, &off), "gamma");
	CHECK_EQ(off, 4);
	pvk_crash_set_symbols(NULL);
}

/* A stack of the test's: frame f at words[f * 8], [0] = next, [1] = ret. */
static unsigned long stack[256] __attribute__((aligned(16)));

static unsigned long frame_at(unsigned int f)
{
	return (unsigned long)&stack[f * 8];
}

static void link_frames(unsigned int n)
{
	memset(stack, 0, sizeof(stack));
	for (unsigned int f = 0; f < n; f++) {
		stack[f * 8] = f + 1 < n ? frame_at(f + 1) : 0;
		stack[f * 8 + 1] = 0x1000 + f;
	}
}

static unsigned int readable_calls;
static bool only_the_stack(unsigned long va, size_t len)
{
	readable_calls++;
	return va >= (unsigned long)stack &&
	       va + len <= (unsigned long)stack + sizeof(stack);
}

UNIT_TEST(crash_walk_follows_a_good_chain)
{
	struct pvk_crash_walk w;

	link_frames(3);
	pvk_crash_walk(frame_at(0), (unsigned long)stack, NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_DONE);
	CHECK_EQ(w.frames, 3);
	CHECK_EQ(w.ret[0], 0x1000);
	CHECK_EQ(w.ret[2], 0x1002);
	/* The same through the host's check, which is asked each frame. */
	readable_calls = 0;
	pvk_crash_walk(frame_at(0), 0, only_the_stack, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_DONE);
	CHECK_EQ(w.frames, 3);
	CHECK_EQ(readable_calls, 3);
	/* rbp 0: nothing to walk. */
	pvk_crash_walk(0, 0, NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_DONE);
	CHECK_EQ(w.frames, 0);
}

UNIT_TEST(crash_walk_stops_at_a_corrupt_frame_pointer)
{
	/* Pointers the walk must not read through: non-canonical, in the
	 * kernel half, misaligned, far above the stack, the top of memory. */
	const unsigned long bad[] = {
		0xdead0000dead0000UL, 0xffff800000001000UL,
		frame_at(2) + 4, (unsigned long)stack + (1UL << 30),
		~0UL & ~7UL,
	};
	struct pvk_crash_walk w;

	for (unsigned int i = 0; i < PVK_ARRAY_SIZE(bad); i++) {
		link_frames(4);
		stack[1 * 8] = bad[i];		/* frame 1's saved rbp */
		pvk_crash_walk(frame_at(0), (unsigned long)stack, NULL, &w);
		CHECK_EQ(w.end, PVK_CRASH_WALK_BAD);
		CHECK_EQ(w.frames, 2);		/* frames 0 and 1 only */
		CHECK_EQ(w.stop, bad[i]);
		pvk_crash_walk(frame_at(0), 0, only_the_stack, &w);
		CHECK_EQ(w.end, PVK_CRASH_WALK_BAD);
		CHECK_EQ(w.frames, 2);
	}
	/* The first frame pointer itself bad: no frame at all. */
	pvk_crash_walk(0xdead0000dead0000UL, (unsigned long)stack, NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_BAD);
	CHECK_EQ(w.frames, 0);
	/* Below the stack pointer: not a caller's frame. */
	link_frames(2);
	pvk_crash_walk(frame_at(0), frame_at(1), NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_BAD);
	CHECK_EQ(w.frames, 0);
}

UNIT_TEST(crash_walk_stops_on_a_loop)
{
	struct pvk_crash_walk w;

	link_frames(3);
	stack[2 * 8] = frame_at(2);		/* frame 2 names itself */
	pvk_crash_walk(frame_at(0), (unsigned long)stack, NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_LOOP);
	CHECK_EQ(w.frames, 3);
	link_frames(3);
	stack[2 * 8] = frame_at(0);		/* back down the stack */
	pvk_crash_walk(frame_at(0), (unsigned long)stack, only_the_stack, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_LOOP);
	CHECK_EQ(w.stop, frame_at(0));
}

UNIT_TEST(crash_walk_is_bounded)
{
	struct pvk_crash_walk w;

	/* 31 climbing frames: the walk keeps PVK_CRASH_MAX_FRAMES and says so. */
	link_frames(31);
	pvk_crash_walk(frame_at(0), (unsigned long)stack, NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_LIMIT);
	CHECK_EQ(w.frames, PVK_CRASH_MAX_FRAMES);
	CHECK_EQ(w.ret[PVK_CRASH_MAX_FRAMES - 1], 0x1000 + PVK_CRASH_MAX_FRAMES - 1);
	/* Exactly the bound, ending properly: all of them, no cut. */
	link_frames(PVK_CRASH_MAX_FRAMES);
	pvk_crash_walk(frame_at(0), (unsigned long)stack, NULL, &w);
	CHECK_EQ(w.end, PVK_CRASH_WALK_DONE);
	CHECK_EQ(w.frames, PVK_CRASH_MAX_FRAMES);
}

UNIT_TEST(crash_default_window)
{
	unsigned long sp = 0xffffffff80100000UL;

	CHECK(pvk_crash_can_read(sp, 16, sp, NULL));
	CHECK(pvk_crash_can_read(sp + PVK_CRASH_STACK_SPAN - 16, 16, sp, NULL));
	CHECK(!pvk_crash_can_read(sp + PVK_CRASH_STACK_SPAN - 15, 16, sp, NULL));
	CHECK(!pvk_crash_can_read(sp - 8, 16, sp, NULL));
	CHECK(!pvk_crash_can_read(~0UL - 7, 16, ~0UL - 7, NULL));	/* wraps */
	CHECK(!pvk_crash_can_read(0x0000800000000000UL, 16, 0x0000800000000000UL, NULL));
	CHECK(!pvk_crash_can_read(sp, 0, sp, NULL));
}

UNIT_TEST(crash_last_hypercall_and_refusal)
{
	const unsigned long a[] = { 1, 2, 3 }, b[] = { 7, 8 };
	struct pvk_hypercall_record call, refused;
	unsigned long outer, inner;

	unit_fake_cpu = 3;
	CHECK(pvk_hypercall_last(3, &call, &refused));
	CHECK(!pvk_hypercall_last(PVK_MAX_CPUS, &call, &refused));

	/* A call that has not returned shows as such. */
	outer = pvk_hypercall_note_call(PVK_HYPERVISOR_mmu_update, a, 3);
	CHECK(outer != 0);
	pvk_hypercall_last(3, &call, NULL);
	CHECK_EQ(call.nr, PVK_HYPERVISOR_mmu_update);
	CHECK_EQ(call.nargs, 3);
	CHECK_EQ(call.args[2], 3);
	CHECK(!call.returned);

	/* An upcall's call in between: the outer result must not land on
	 * the inner call's record, and a refusal keeps the outer arguments. */
	inner = pvk_hypercall_note_call(PVK_HYPERVISOR_event_channel_op, b, 2);
	pvk_hypercall_note_result(inner, PVK_HYPERVISOR_event_channel_op, b, 2, 0);
	pvk_hypercall_note_result(outer, PVK_HYPERVISOR_mmu_update, a, 3, -PVK_XEN_EINVAL);
	pvk_hypercall_last(3, &call, &refused);
	CHECK_EQ(call.nr, PVK_HYPERVISOR_event_channel_op);
	CHECK(call.returned);
	CHECK_EQ(call.result, 0);
	CHECK(refused.returned);
	CHECK_EQ(refused.nr, PVK_HYPERVISOR_mmu_update);
	CHECK_EQ(refused.args[0], 1);
	CHECK_EQ(refused.result, -PVK_XEN_EINVAL);
	CHECK(!refused.in_multicall);

	/* A value that only looks negative is no refusal. */
	outer = pvk_hypercall_note_call(PVK_HYPERVISOR_get_debugreg, b, 1);
	pvk_hypercall_note_result(outer, PVK_HYPERVISOR_get_debugreg, b, 1,
				  (long)0xffff800000001000UL);
	pvk_hypercall_last(3, &call, &refused);
	CHECK_EQ(refused.nr, PVK_HYPERVISOR_mmu_update);

	/* A multicall entry Xen refused. */
	pvk_hypercall_note_refused_entry(PVK_HYPERVISOR_update_va_mapping, a, 3,
					 -PVK_XEN_ENOMEM);
	pvk_hypercall_last(3, NULL, &refused);
	CHECK_EQ(refused.nr, PVK_HYPERVISOR_update_va_mapping);
	CHECK(refused.in_multicall);
	CHECK_EQ(refused.result, -PVK_XEN_ENOMEM);

	/* Another CPU's records are its own. */
	pvk_hypercall_last(2, &call, &refused);
	CHECK(call.nr != PVK_HYPERVISOR_event_channel_op || call.seq == 0);
	unit_fake_cpu = 0;
}

static unsigned long token_while_logging;
static void call_while_logging(void)
{
	const unsigned long a[] = { 0 };

	token_while_logging = pvk_hypercall_note_call(PVK_HYPERVISOR_console_io, a, 1);
}

UNIT_TEST(crash_calls_made_while_logging_are_not_the_last)
{
	const unsigned long a[] = { 5 };
	struct pvk_hypercall_record call;
	unsigned long t;

	unit_fake_cpu = 4;
	t = pvk_hypercall_note_call(PVK_HYPERVISOR_mmuext_op, a, 1);
	pvk_hypercall_note_result(t, PVK_HYPERVISOR_mmuext_op, a, 1, 0);
	/* The host's console makes a hypercall to write a kit log line. */
	unit_log_hook = call_while_logging;
	pvk_err("a line whose writing makes a hypercall");
	unit_log_hook = NULL;
	CHECK_EQ(token_while_logging, 0);
	CHECK(!pvk_log_writing());
	pvk_hypercall_last(4, &call, NULL);
	CHECK_EQ(call.nr, PVK_HYPERVISOR_mmuext_op);
	CHECK_EQ(call.seq, t);
	CHECK(call.returned);
	unit_fake_cpu = 0;
}
