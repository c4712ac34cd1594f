/*
 * tests/xen/dom0-tools/pvk-migstream.c - dom0's witness of a live migration:
 * a filter in the migration stream between `xl migrate` and `xl
 * migrate-receive` (tests/xen/dom0/save-restore migrate) that passes every
 * byte through unchanged and counts the guest pages the stream carries,
 * round by round.
 *
 *   pvk-migstream OUT    (stdin: the stream from the sender; stdout: to
 *                         the receiver)
 *
 * Why: xl hides libxc's per-round progress while it migrates, so dom0 has
 * no word of xl's that the move was live. The stream itself says it. Inside
 * libxl's stream the guest's memory travels as libxc's migration stream
 * (version 2+: an image header whose 8-byte marker of ones and id "XENF"
 * are big-endian, a domain header, then records: type and length, 32 bits
 * each, little-endian, the body padded to 8 bytes). A PAGE_DATA record
 * (type 1) holds a count, 4 reserved bytes, then one 64-bit entry per page
 * (its pfn in the low 52 bits). libxc sends each round in ascending pfn
 * order (send_all_pages() for the first, send_dirty_pages() for each later
 * one, from the log-dirty bitmap), so a pfn not above the one before starts
 * a new round. A stop-and-copy (xl save) is one round; a live migration is
 * the round of every page while the guest runs, then one per log-dirty
 * bitmap, the last after the suspend. A page is only sent again when
 * log-dirty mode saw it written.
 *
 * Once libxc's END record (type 0) passed, OUT gets one line (written to
 * OUT.tmp, then renamed):
 *   "rounds=R pages=N resent=S round-pages=N0,N1,... distinct=D"
 * and where no libxc stream was found by the end of input, "rounds=0
 * no-libxc-stream". Every length read from the stream is bounded before
 * use (the stream is the sender's, a test's input). Exit 0 once the input
 * ended and every byte was written; 1 when the receiver went away early or
 * a record was malformed (the bytes still pass until then).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BUF		(64 * 1024)
#define MAX_PFN		(1u << 24)	/* 64 GiB of 4 KiB pages: bitmap 2 MiB */
#define MAX_ROUNDS	64
#define MAX_REC		(128u << 20)	/* libxc's own REC_LENGTH_MAX */
#define PFN_MASK	((1ULL << 52) - 1)

enum state { SCAN, IHDR, DHDR, RHDR, PD_HEAD, PD_PFN, SKIP, DONE, BAD };

static const uint8_t marker[12] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				     'X', 'E', 'N', 'F' };

static struct {
	enum state st;
	unsigned int matched;		/* SCAN: marker bytes seen */
	uint8_t col[16];		/* bytes being collected */
	unsigned int have, want;
	uint64_t skip;			/* SKIP: bytes left */
	uint32_t rec_len;		/* record body, padded */
	uint32_t left;			/* PAGE_DATA: body bytes left after its head */
	uint32_t pfns_left;
	uint64_t last_pfn;
	bool any_pfn;
	unsigned int rounds;
	uint64_t round_pages[MAX_ROUNDS];
	uint64_t pages, distinct;
	uint8_t *seen;
	const char *why;
} p;

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

static void collect(enum state st, unsigned int n)
{
	p.st = st;
	p.have = 0;
	p.want = n;
}

static void bad(const char *why)
{
	p.why = why;
	p.st = BAD;
}

static void page(uint64_t pfn)
{
	if (pfn >= MAX_PFN) {
		bad("pfn beyond the bound");
		return;
	}
	if (!p.any_pfn || pfn <= p.last_pfn) {
		if (p.rounds == MAX_ROUNDS) {
			bad("more rounds than counted");
			return;
		}
		p.rounds++;
	}
	p.any_pfn = true;
	p.last_pfn = pfn;
	p.round_pages[p.rounds - 1]++;
	p.pages++;
	if (!(p.seen[pfn / 8] & (1u << (pfn % 8)))) {
		p.seen[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
		p.distinct++;
	}
}

/* A collected header is complete: what comes next. */
static void collected(void)
{
	uint32_t type, len, count;

	switch (p.st) {
	case IHDR:	/* version (BE) and options: the rest of the 24 bytes */
		collect(DHDR, 16);
		break;
	case DHDR:
		collect(RHDR, 8);
		break;
	case RHDR:
		type = le32(p.col);
		len = le32(p.col + 4);
		if (len > MAX_REC) {
			bad("record longer than the bound");
			break;
		}
		p.rec_len = (len + 7) & ~7u;
		if (type == 0) {	/* END */
			p.st = DONE;
		} else if (type == 1 && p.rec_len >= 8) {
			p.left = p.rec_len - 8;
			collect(PD_HEAD, 8);
		} else {
			p.skip = p.rec_len;
			p.st = p.skip ? SKIP : RHDR;
			if (p.st == RHDR)
				collect(RHDR, 8);
		}
		break;
	case PD_HEAD:
		count = le32(p.col);
		if ((uint64_t)count * 8 > p.left) {
			bad("page count beyond the record");
			break;
		}
		p.pfns_left = count;
		p.left -= count * 8;
		if (count) {
			collect(PD_PFN, 8);
		} else {
			p.skip = p.left;
			p.st = SKIP;
		}
		break;
	case PD_PFN:
		page(le64(p.col) & PFN_MASK);
		if (p.st == BAD)
			break;
		if (--p.pfns_left) {
			collect(PD_PFN, 8);
		} else {
			p.skip = p.left;	/* the pages' data */
			p.st = SKIP;
		}
		break;
	default:
		break;
	}
	if (p.st == SKIP && !p.skip)
		collect(RHDR, 8);
}

static void feed(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		switch (p.st) {
		case SCAN:
			/* A marker's ones may start anywhere, also inside a run
			 * of ones longer than 8. */
			if (b[i] == marker[p.matched]) {
				p.matched++;
			} else if (p.matched == 8 && b[i] == 0xff) {
				/* still ones: the run goes on */
			} else {
				p.matched = b[i] == 0xff ? 1 : 0;
			}
			i++;
			if (p.matched == sizeof(marker))
				collect(IHDR, 12);
			break;
		case IHDR: case DHDR: case RHDR: case PD_HEAD: case PD_PFN: {
			size_t k = p.want - p.have;

			if (k > n - i)
				k = n - i;
			memcpy(p.col + p.have, b + i, k);
			p.have += (unsigned int)k;
			i += k;
			if (p.have == p.want)
				collected();
			break;
		}
		case SKIP: {
			uint64_t k = p.skip;

			if (k > n - i)
				k = n - i;
			p.skip -= k;
			i += (size_t)k;
			if (!p.skip)
				collect(RHDR, 8);
			break;
		}
		default:
			return;
		}
	}
}

static void report(const char *out)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	f = fopen(tmp, "w");
	if (!f)
		return;
	if (p.st == DONE) {
		fprintf(f, "rounds=%u pages=%llu resent=%llu round-pages=", p.rounds,
			(unsigned long long)p.pages, (unsigned long long)(p.pages - p.distinct));
		for (unsigned int r = 0; r < p.rounds; r++)
			fprintf(f, "%s%llu", r ? "," : "", (unsigned long long)p.round_pages[r]);
		fprintf(f, " distinct=%llu\n", (unsigned long long)p.distinct);
	} else if (p.st == BAD) {
		fprintf(f, "rounds=0 malformed: %s\n", p.why);
	} else {
		fprintf(f, "rounds=0 no-libxc-stream\n");
	}
	if (fclose(f) == 0)
		rename(tmp, out);
}

int main(int argc, char **argv)
{
	static uint8_t buf[BUF];
	bool reported = false;
	int rc = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: pvk-migstream OUT < stream > stream\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	p.seen = calloc(MAX_PFN / 8, 1);
	if (!p.seen)
		return 1;
	for (;;) {
		ssize_t n = read(0, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = 1;	/* the sender's side broke */
			break;
		}
		if (n == 0)
			break;
		if (p.st != DONE && p.st != BAD) {
			feed(buf, (size_t)n);
			if ((p.st == DONE || p.st == BAD) && !reported) {
				report(argv[1]);
				reported = true;
			}
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(1, buf + off, (size_t)(n - off));

			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = 1;	/* the receiver went away */
				goto out;
			}
			off += w;
		}
	}
out:
	if (!reported)
		report(argv[1]);
	return rc || p.st == BAD;
}
