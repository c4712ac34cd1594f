/*
 * hypercall/trace.h - CONFIG_PVK_TRACE: one log line per wrapper call.
 *
 * Private to hypercall/. Without CONFIG_PVK_TRACE the calls compile away.
 */
#ifndef PVK_HYPERCALL_TRACE_H
#define PVK_HYPERCALL_TRACE_H

#include <pvkit/types.h>

#ifdef CONFIG_PVK_TRACE
/* "hypercall <name>(<args>) = <result>", after the call returned. */
void pvk_hypercall_trace(unsigned int nr, const unsigned long *args,
			 unsigned int nargs, long result);
/* "hypercall <name>(<args>) ...", before a call that may never return. */
void pvk_hypercall_trace_enter(unsigned int nr, const unsigned long *args,
			       unsigned int nargs);
#else
static inline void pvk_hypercall_trace(unsigned int nr __pvk_unused,
				       const unsigned long *args __pvk_unused,
				       unsigned int nargs __pvk_unused,
				       long result __pvk_unused)
{
}

static inline void pvk_hypercall_trace_enter(unsigned int nr __pvk_unused,
					     const unsigned long *args __pvk_unused,
					     unsigned int nargs __pvk_unused)
{
}
#endif

#endif /* PVK_HYPERCALL_TRACE_H */
