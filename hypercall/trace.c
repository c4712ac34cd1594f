/*
 * hypercall/trace.c - CONFIG_PVK_TRACE: log every wrapper call.
 *
 * Logging can itself make hypercalls (the host's pvk_port_log_write() may
 * write Xen's console or kick a console event channel), and those would
 * trace themselves, and so on forever. So one trace line is written at a
 * time: a call made while a line is being written (by that very write, or
 * by another CPU meanwhile) is not traced but counted, and the next line
 * says how many went untraced.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include "trace.h"

static int writing;		/* a trace line is being written */
static unsigned long untraced;	/* calls skipped because of that */

static bool begin_line(void)
{
	if (__atomic_exchange_n(&writing, 1, __ATOMIC_ACQUIRE)) {
		__atomic_fetch_add(&untraced, 1, __ATOMIC_RELAXED);
		return false;
	}
	return true;
}

static void end_line(void)
{
	__atomic_store_n(&writing, 0, __ATOMIC_RELEASE);
}

static void format_args(char *buf, size_t size, const unsigned long *args,
			unsigned int nargs)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < nargs && len < size; i++)
		len += (size_t)pvk_snprintf(buf + len, size - len, "%s0x%lx",
					    i ? ", " : "", args[i]);
}

static void report_untraced(void)
{
	unsigned long n = __atomic_exchange_n(&untraced, 0, __ATOMIC_RELAXED);

	if (n)
		pvk_log(PVK_LOG_DEBUG,
			"hypercall trace: %lu calls not traced (made while a trace line was being written)",
			n);
}

void pvk_hypercall_trace(unsigned int nr, const unsigned long *args,
			 unsigned int nargs, long result)
{
	char a[128];

	if (!begin_line())
		return;
	report_untraced();
	format_args(a, sizeof(a), args, nargs);
	pvk_log(PVK_LOG_DEBUG, "hypercall %s(%s) = %ld", pvk_hypercall_name(nr),
		a, result);
	end_line();
}

void pvk_hypercall_trace_enter(unsigned int nr, const unsigned long *args,
			       unsigned int nargs)
{
	char a[128];

	if (!begin_line())
		return;
	report_untraced();
	format_args(a, sizeof(a), args, nargs);
	pvk_log(PVK_LOG_DEBUG, "hypercall %s(%s) ...", pvk_hypercall_name(nr), a);
	end_line();
}
