/*
 * tests/lint/sample_c.c - pv-lint's self-test in C (run.sh): a marked
 * function, a marked helper inlined into an unmarked caller (covered: the
 * debug info names it), and unmarked instructions, one through an
 * unmarked inline helper (reported with both lines).
 */
#include <pvkit/pv_lint.h>

void c_marked(void);
void c_uses_native_helper(void);
void c_stray(void);
void c_inlined_stray(void);

__attribute__((noinline)) void c_marked(void)
{
	PVK_NATIVE_ONLY(c_marked);
	__asm__ __volatile__("hlt");
}

static inline void native_helper(void)
{
	PVK_NATIVE_ONLY(native_helper);
	__asm__ __volatile__("cli");
}

void c_uses_native_helper(void)
{
	native_helper();
	native_helper();
}

void c_stray(void)
{
	__asm__ __volatile__("wrmsr" : : "c"(0), "a"(0), "d"(0));
}

static inline void unmarked_helper(void)
{
	__asm__ __volatile__("sti");
}

void c_inlined_stray(void)
{
	unmarked_helper();
}

/* A static function whose name another file's static function shares
 * (sample_c2.c): the mark covers this one only. */
void c_twin(void);

static __attribute__((noinline)) void twin(void)
{
	PVK_NATIVE_ONLY(twin);
	__asm__ __volatile__("hlt");
}

void c_twin(void)
{
	twin();
}
