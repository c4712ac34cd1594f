/*
 * tests/bench/blkbench.h - the block workload of "make bench", one
 * definition for both sides so they issue the same requests: the kit's
 * blkfront in the reference guest (tests/guest/cases/bench_blk.c) and
 * Linux's xen-blkfront in a Linux PV domU (tests/xen/domu/blkbench.c).
 *
 * Each case is a number of operations of one size, kept at most qd in
 * flight, submitted in index order; operation i's byte offset on the disk
 * comes from blkb_offset(): sequential cases walk the disk from 0 and wrap,
 * random ones draw a block from a splitmix64 generator seeded per case.
 * Both sides fold every offset and length they submitted into a digest
 * (blkb_digest) and print it: tests/bench/bench.sh refuses to compare two
 * sides whose digests differ.
 *
 * The cases run in this order on a fresh (sparse, all-zero) disk of
 * BLKB_DISK_BYTES: the sequential write fills it first, so every later
 * read on either side finds written data. The counts make each case last
 * about a second or more under TCG, so short disturbances by other work on
 * the machine weigh less; sequential operations are 1 MiB at depth 8.
 *
 * Plain C with no includes: the includer provides uint64_t.
 */
#ifndef PVK_TESTS_BENCH_BLKBENCH_H
#define PVK_TESTS_BENCH_BLKBENCH_H

#define BLKB_DISK_MIB	64u
#define BLKB_DISK_BYTES	((uint64_t)BLKB_DISK_MIB << 20)
#define BLKB_MAX_QD	32u
#define BLKB_MAX_BS	(1u << 20)

struct blkb_case {
	const char *name;	/* printed as "blkfront-NAME" */
	int write;		/* 0: read */
	int random;		/* 0: sequential */
	unsigned int bs;	/* bytes per operation */
	unsigned int qd;	/* operations in flight at most */
	unsigned int ops;	/* operations in the case */
};

static const struct blkb_case blkb_cases[] = {
	{ "seq-write-1m",	1, 0, 1u << 20, 8, 256 },
	{ "seq-read-1m",	0, 0, 1u << 20, 8, 256 },
	{ "rand-read-4k-qd1",	0, 1, 4096, 1, 3000 },
	{ "rand-read-4k-qd8",	0, 1, 4096, 8, 10000 },
	{ "rand-read-4k-qd32",	0, 1, 4096, 32, 10000 },
	{ "rand-write-4k-qd1",	1, 1, 4096, 1, 3000 },
	{ "rand-write-4k-qd8",	1, 1, 4096, 8, 10000 },
	{ "rand-write-4k-qd32",	1, 1, 4096, 32, 10000 },
};

#define BLKB_NR_CASES	(sizeof(blkb_cases) / sizeof(blkb_cases[0]))

/* splitmix64 (Steele, Lea, Flood): a well-mixed 64-bit sequence from a
 * counter; cheap enough that it costs neither side anything measurable. */
static inline uint64_t blkb_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* The generator's start for case number c. */
static inline uint64_t blkb_seed(unsigned int c)
{
	return 0x70766b6974ULL + c;	/* "pvkit" + c */
}

/* Byte offset of operation i of case c; call in order i = 0, 1, ... with
 * the state from blkb_seed(). */
static inline uint64_t blkb_offset(const struct blkb_case *c, uint64_t *state,
				   uint64_t i)
{
	uint64_t blocks = BLKB_DISK_BYTES / c->bs;

	if (c->random)
		return (blkb_next(state) % blocks) * c->bs;
	return (i % blocks) * c->bs;
}

/* Folds one submitted operation into a case's digest (start at 0). */
static inline uint64_t blkb_digest(uint64_t d, uint64_t offset, uint64_t len)
{
	return (d ^ offset ^ (len << 40)) * 0x100000001b3ULL + 1;
}

#endif /* PVK_TESTS_BENCH_BLKBENCH_H */
