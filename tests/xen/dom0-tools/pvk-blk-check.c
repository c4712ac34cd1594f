/*
 * tests/xen/dom0-tools/pvk-blk-check.c - dom0's own check of a disk file
 * the guest's blkfront tests (tests/guest/cases/blkfront*.c) wrote.
 *
 *   pvk-blk-check FILE [HOLES]
 *
 * Every byte of FILE must be the tests' pattern, except in HOLES: a comma
 * list of OFF+LEN byte ranges (decimal, ascending, apart; "-" or empty for
 * none) the guest discarded. Each of those must be a hole of the file
 * (SEEK_DATA finds no data inside: blkback passed the discard to the loop
 * device, which punched it) and, as a hole, read as zeroes. Prints one line,
 * "ok: N bytes match[, H holes (B bytes) unallocated, reading zero]" or
 * "fail: ..." naming the first bad byte and how many differ, and exits 0
 * or 1 (2 for usage). The guest reads the line back from xenstore and
 * trusts the "reading zero" part only because dom0 saw it here.
 * The pattern below must stay identical to the guest's (blkfront_io.c).
 */
#define _GNU_SOURCE		/* SEEK_DATA */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_HOLES	64

static uint8_t blk_pattern_byte(uint64_t o)
{
	uint64_t w = (o >> 3) * 0x9e3779b97f4a7c15ULL + 0x5bd1e995ULL;

	w ^= w >> 29;
	return (uint8_t)(w >> ((o & 7) * 8));
}

static struct { uint64_t off, len; } holes[MAX_HOLES];
static unsigned int nr_holes;

/* "OFF+LEN,OFF+LEN...": 0 or -1 (printed). */
static int parse_holes(const char *s)
{
	uint64_t end = 0;
	char *p;

	if (!*s || !strcmp(s, "-"))
		return 0;
	for (;;) {
		unsigned long long off, len;

		errno = 0;
		off = strtoull(s, &p, 10);
		if (errno || p == s || *p != '+')
			break;
		s = p + 1;
		len = strtoull(s, &p, 10);
		if (errno || p == s || (*p && *p != ','))
			break;
		if (nr_holes == MAX_HOLES || len == 0 || off < end || off + len < off) {
			printf("fail: holes must be at most %d ascending, apart, non-empty ranges\n",
			       MAX_HOLES);
			return -1;
		}
		holes[nr_holes].off = off;
		holes[nr_holes++].len = len;
		end = off + len;
		if (!*p)
			return 0;
		s = p + 1;
	}
	printf("fail: bad holes list at \"%s\" (want OFF+LEN,...)\n", s);
	return -1;
}

/* Whether byte o lies in a hole the guest discarded. */
static bool in_hole(uint64_t o)
{
	for (unsigned int i = 0; i < nr_holes; i++)
		if (o >= holes[i].off && o - holes[i].off < holes[i].len)
			return true;
	return false;
}

int main(int argc, char **argv)
{
	static uint8_t buf[1 << 16];
	uint64_t off = 0, bad = 0, first = 0, hole_bytes = 0;
	uint8_t got = 0, want = 0;
	struct stat st;
	ssize_t n;
	int fd;

	if (argc < 2 || argc > 3) {
		printf("fail: usage: pvk-blk-check FILE [OFF+LEN,...]\n");
		return 2;
	}
	if (parse_holes(argc == 3 ? argv[2] : "") < 0)
		return 2;
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &st)) {
		printf("fail: cannot open %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	/* The holes first: SEEK_DATA from each start must land past its end. */
	for (unsigned int i = 0; i < nr_holes; i++) {
		off_t d = lseek(fd, (off_t)holes[i].off, SEEK_DATA);

		if (holes[i].off + holes[i].len > (uint64_t)st.st_size) {
			printf("fail: hole %" PRIu64 "+%" PRIu64 " beyond the file's %lld bytes\n",
			       holes[i].off, holes[i].len, (long long)st.st_size);
			return 1;
		}
		if (d < 0 && errno != ENXIO) {
			printf("fail: SEEK_DATA: %s\n", strerror(errno));
			return 1;
		}
		if (d >= 0 && (uint64_t)d < holes[i].off + holes[i].len) {
			printf("fail: discarded range %" PRIu64 "+%" PRIu64
			       " is not a hole: data at byte %lld\n",
			       holes[i].off, holes[i].len, (long long)d);
			return 1;
		}
		hole_bytes += holes[i].len;
	}
	if (lseek(fd, 0, SEEK_SET)) {
		printf("fail: seek: %s\n", strerror(errno));
		return 1;
	}
	/* Then every byte: the pattern, or zero inside a hole. */
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++, off++) {
			uint8_t w = in_hole(off) ? 0 : blk_pattern_byte(off);

			if (buf[i] == w)
				continue;
			if (!bad++) {
				first = off;
				got = buf[i];
				want = w;
			}
		}
	}
	if (n < 0) {
		printf("fail: read at byte %" PRIu64 ": %s\n", off, strerror(errno));
		return 1;
	}
	close(fd);
	if (off == 0) {
		printf("fail: %s is empty\n", argv[1]);
		return 1;
	}
	if (bad) {
		printf("fail: %" PRIu64 " of %" PRIu64 " bytes differ, first at byte %" PRIu64
		       ": 0x%02x, want 0x%02x%s\n", bad, off, first, got, want,
		       in_hole(first) ? " (in a discarded range)" : "");
		return 1;
	}
	if (!nr_holes) {
		printf("ok: %" PRIu64 " bytes match\n", off);
		return 0;
	}
	printf("ok: %" PRIu64 " bytes match, %u holes (%" PRIu64
	       " bytes) unallocated, reading zero; %lld bytes allocated\n",
	       off - hole_bytes, nr_holes, hole_bytes, (long long)st.st_blocks * 512);
	return 0;
}
