/*
 * hypercall/last.c - each CPU's latest hypercall and latest refusal, for
 * crash reports (pvkit/hypercall_stats.h, crash/report.c).
 *
 * Cheap on purpose, as every wrapper call passes here twice: per-CPU
 * records written by their own CPU with plain stores, no lock, no atomic.
 * The price is that a report may show a record half-written by the code it
 * interrupted; the report is read by a person, who is told so (seq).
 *
 * An upcall can interrupt a call between its note and its result and make
 * calls of its own: the token (the call's seq) keeps the outer result from
 * being written over the inner call's record.
 *
 * Calls made while the CPU writes a log line (the host's console kicking
 * its backend, waiting for ring space) are not noted: otherwise the last
 * hypercall before a crash would nearly always be the console's, for the
 * error line that came just before it. Their refusals still are.
 */
#include <pvkit/hypercall_stats.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>

struct cpu_last {
	struct pvk_hypercall_record call;
	struct pvk_hypercall_record refused;
};

static struct cpu_last last[PVK_MAX_CPUS];

/* The calling CPU's records, NULL from a CPU the kit does not drive (its
 * calls are not recorded: a report is no reason to panic). */
static struct cpu_last *mine(void)
{
	unsigned int cpu = pvk_port_cpu_id();

	return cpu < PVK_MAX_CPUS ? &last[cpu] : NULL;
}

static void fill(struct pvk_hypercall_record *r, unsigned int nr,
		 const unsigned long *args, unsigned int nargs)
{
	if (nargs > PVK_HYPERCALL_RECORD_ARGS)
		nargs = PVK_HYPERCALL_RECORD_ARGS;
	r->nr = nr;
	r->nargs = nargs;
	for (unsigned int i = 0; i < nargs; i++)
		r->args[i] = args[i];
}

unsigned long pvk_hypercall_note_call(unsigned int nr, const unsigned long *args,
				      unsigned int nargs)
{
	struct cpu_last *l = mine();

	if (!l || pvk_log_writing())
		return 0;
	l->call.returned = false;
	l->call.in_multicall = false;
	fill(&l->call, nr, args, nargs);
	pvk_barrier();		/* a report from a fault in Xen's call sees it */
	return ++l->call.seq;
}

void pvk_hypercall_note_result(unsigned long token, unsigned int nr,
			       const unsigned long *args, unsigned int nargs,
			       long result)
{
	struct cpu_last *l = mine();

	if (!l)
		return;
	if (token && l->call.seq == token) {
		l->call.result = result;
		l->call.returned = true;
	}
	if (!pvk_hypercall_failed(result))
		return;
	/* From the caller's own copy of the arguments: the call record may
	 * already describe a call an upcall made meanwhile. */
	fill(&l->refused, nr, args, nargs);
	l->refused.result = result;
	l->refused.returned = true;
	l->refused.in_multicall = false;
	l->refused.seq = token ? token : l->call.seq;	/* not noted: while logging */
}

void pvk_hypercall_note_refused_entry(unsigned int nr, const unsigned long *args,
				      unsigned int nargs, long result)
{
	struct cpu_last *l = mine();

	if (!l)
		return;
	fill(&l->refused, nr, args, nargs);
	l->refused.result = result;
	l->refused.returned = true;
	l->refused.in_multicall = true;
	l->refused.seq = l->call.seq;	/* the multicall, or a call after it */
}

bool pvk_hypercall_last(unsigned int cpu, struct pvk_hypercall_record *call,
			struct pvk_hypercall_record *refused)
{
	if (cpu >= PVK_MAX_CPUS)
		return false;
	if (call)
		*call = last[cpu].call;
	if (refused)
		*refused = last[cpu].refused;
	return true;
}
