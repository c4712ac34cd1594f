/*
 * pvkit/types.h - the basic types and compiler annotations every kit file uses.
 *
 * The kit is freestanding: it takes fixed-width integers and size_t from the
 * compiler's own freestanding headers, never from a libc. The sparse
 * annotations (__pvk_bitwise, __pvk_force) let `make C=1` reject mixing up
 * values that share a C type but not a meaning, such as frame numbers.
 */
#ifndef PVKIT_TYPES_H
#define PVKIT_TYPES_H

/*
 * The one host switch: built by Linux's kbuild (ports/linux/Kbuild defines
 * PVK_HOST_LINUX) the kit takes its types from Linux, which has no
 * <stdint.h> and builds with -nostdinc; everywhere else from the compiler.
 */
#ifdef PVK_HOST_LINUX
#include <linux/types.h>
#include <linux/stddef.h>	/* offsetof */
#include <linux/limits.h>	/* SIZE_MAX */
#include <linux/stdarg.h>
#define UINT64_MAX U64_MAX	/* the <stdint.h> limits the kit uses */
#else
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#ifdef __CHECKER__
#define __pvk_bitwise __attribute__((bitwise))
#define __pvk_force   __attribute__((force))
#else
#define __pvk_bitwise
#define __pvk_force
#endif

#define __pvk_packed      __attribute__((packed))
#define __pvk_aligned(n)  __attribute__((aligned(n)))
#define __pvk_noreturn    __attribute__((noreturn))
#define __pvk_printf(f, a) __attribute__((format(printf, f, a)))
#define __pvk_unused      __attribute__((unused))

#define PVK_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Compile-time check, usable at file scope and inside functions. */
#define PVK_BUILD_BUG_ON(cond) _Static_assert(!(cond), #cond)

/* Compiler barrier: stops the compiler, not the CPU, from reordering. */
#define pvk_barrier() __asm__ __volatile__("" ::: "memory")

/* Read or write a shared location exactly once (shared with Xen or a backend). */
#define PVK_READ_ONCE(x)     (*(const volatile __typeof__(x) *)&(x))
#define PVK_WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

#define PVK_PAGE_SHIFT 12
#define PVK_PAGE_SIZE  (1UL << PVK_PAGE_SHIFT)
#define PVK_PAGE_MASK  (~(PVK_PAGE_SIZE - 1))

#endif /* PVKIT_TYPES_H */
