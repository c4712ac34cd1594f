/*
 * hypercall/stats.c - the hypercall counters behind pvkit/hypercall_stats.h.
 *
 * Plain global counters bumped with relaxed atomic adds: any CPU may make a
 * hypercall at any time, the totals must be exact, and nothing orders
 * itself on them, so relaxed is all that is needed (one locked add each).
 */
#include <pvkit/hypercall_stats.h>
#include <pvkit/port.h>

static uint64_t calls[PVK_HYPERCALL_SLOTS];
static uint64_t multicalls;
static uint64_t multicall_entries;
static uint64_t multicall_entry_errors;

static inline void count(uint64_t *c, uint64_t n)
{
	__atomic_fetch_add(c, n, __ATOMIC_RELAXED);
}

static inline uint64_t read(const uint64_t *c)
{
	return __atomic_load_n(c, __ATOMIC_RELAXED);
}

static inline void clear(uint64_t *c)
{
	__atomic_store_n(c, 0, __ATOMIC_RELAXED);
}

void pvk_hypercall_account(unsigned int nr)
{
	/* The wrappers pass constants below the bound: anything else is a kit
	 * bug, and stopping beats writing past the array. */
	if (nr >= PVK_HYPERCALL_SLOTS)
		pvk_port_panic("pvkit: hypercall counted with a number beyond the hypercall page");
	count(&calls[nr], 1);
}

void pvk_hypercall_account_multicall(unsigned int entries)
{
	count(&multicalls, 1);
	count(&multicall_entries, entries);
}

void pvk_hypercall_account_entry_errors(unsigned int n)
{
	count(&multicall_entry_errors, n);
}

uint64_t pvk_hypercall_count(unsigned int nr)
{
	return nr < PVK_HYPERCALL_SLOTS ? read(&calls[nr]) : 0;
}

void pvk_hypercall_stats_snapshot(struct pvk_hypercall_stats *out)
{
	for (unsigned int i = 0; i < PVK_HYPERCALL_SLOTS; i++)
		out->calls[i] = read(&calls[i]);
	out->multicalls = read(&multicalls);
	out->multicall_entries = read(&multicall_entries);
	out->multicall_entry_errors = read(&multicall_entry_errors);
}

void pvk_hypercall_stats_reset(void)
{
	for (unsigned int i = 0; i < PVK_HYPERCALL_SLOTS; i++)
		clear(&calls[i]);
	clear(&multicalls);
	clear(&multicall_entries);
	clear(&multicall_entry_errors);
}
