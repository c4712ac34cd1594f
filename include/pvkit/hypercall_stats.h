/*
 * pvkit/hypercall_stats.h - how many hypercalls the kit has made, by number.
 *
 * Every pvk_hyp_*() wrapper counts itself before it enters Xen (so calls
 * that never return, iret and shutdown, are counted too). The counters are
 * global, shared by all CPUs and incremented with relaxed atomics: exact
 * totals, no ordering promise between different counters. Benchmarks read
 * them to count transitions into Xen; tests read them to prove that a
 * batch really went out as one multicall.
 */
#ifndef PVKIT_HYPERCALL_STATS_H
#define PVKIT_HYPERCALL_STATS_H

#include <pvkit/hypercall.h>
#include <pvkit/types.h>

struct pvk_hypercall_stats {
	/* Wrapper calls per hypercall number (PVK_HYPERVISOR_*). */
	uint64_t calls[PVK_HYPERCALL_SLOTS];
	/* HYPERVISOR_multicall issued (also counted in calls[multicall]). */
	uint64_t multicalls;
	/* Entries those multicalls carried. */
	uint64_t multicall_entries;
	/* Entries the multicall batcher found failed after a flush. */
	uint64_t multicall_entry_errors;
};

/* Calls made to hypercall nr so far; 0 for nr >= PVK_HYPERCALL_SLOTS. */
uint64_t pvk_hypercall_count(unsigned int nr);

/* Copy every counter into *out. Each counter is read atomically; the set is
 * not one instant's snapshot if other CPUs are making hypercalls. */
void pvk_hypercall_stats_snapshot(struct pvk_hypercall_stats *out);

/* Zero every counter. Calls racing with the reset may or may not count. */
void pvk_hypercall_stats_reset(void);

/* ---- Used by the kit's own wrappers and batcher ------------------------ */

/* Count one call of hypercall nr (nr < PVK_HYPERCALL_SLOTS). */
void pvk_hypercall_account(unsigned int nr);

/* Count one multicall carrying `entries` entries. */
void pvk_hypercall_account_multicall(unsigned int entries);

/* Count `n` multicall entries that Xen reported as failed. */
void pvk_hypercall_account_entry_errors(unsigned int n);

/* ---- The last call and the last refusal, per CPU ----------------------- */

/*
 * What a crash report says about Xen: the calling CPU's latest hypercall
 * (noted before it enters Xen, so one that never came back still shows)
 * and its latest one Xen refused (a wrapper's error result, or the first
 * failed entry of a multicall batch). Each CPU writes only its own
 * records, with plain stores: a reader on another CPU, or an upcall that
 * interrupted the writer, may see a half-written one. seq counts the
 * CPU's noted calls; 0 means no call yet.
 */
#define PVK_HYPERCALL_RECORD_ARGS 6
struct pvk_hypercall_record {
	unsigned long seq;
	unsigned int nr;			/* PVK_HYPERVISOR_* */
	unsigned int nargs;			/* args[] used */
	unsigned long args[PVK_HYPERCALL_RECORD_ARGS];
	long result;				/* valid when returned */
	bool returned;				/* the call came back from Xen */
	bool in_multicall;			/* an entry of a multicall batch */
};

/* Copies CPU cpu's latest call and latest refusal (seq 0: none); false for
 * a cpu >= PVK_MAX_CPUS. Meant for reports, any context. */
bool pvk_hypercall_last(unsigned int cpu, struct pvk_hypercall_record *call,
			struct pvk_hypercall_record *refused);

/* Used by the wrappers: note the call before it enters Xen, returning a
 * token for pvk_hypercall_note_result() after it returned. */
unsigned long pvk_hypercall_note_call(unsigned int nr, const unsigned long *args,
				      unsigned int nargs);
void pvk_hypercall_note_result(unsigned long token, unsigned int nr,
			       const unsigned long *args, unsigned int nargs,
			       long result);
/* Used by the multicall batcher: entry op of a batch failed with result. */
void pvk_hypercall_note_refused_entry(unsigned int nr, const unsigned long *args,
				      unsigned int nargs, long result);

#endif /* PVKIT_HYPERCALL_STATS_H */
