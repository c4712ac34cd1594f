/*
 * tests/xen/dom0-tools/pvk-net-udp.c - dom0's UDP end of the network tests
 * and benchmark: sends or receives the datagrams of tests/bench/netbench.h
 * (sequence number, length, header check, pattern payload) and checks
 * every byte it receives.
 *
 *   pvk-net-udp sink PORT COUNT SECONDS [NOTIFY_HOST NOTIFY_PORT]
 *     Receives on PORT (any address) until datagrams 0..COUNT-1 all came,
 *     SECONDS passed, or nothing came for 3 s after the first datagram.
 *     With NOTIFY_*, sends one datagram "ready" there once it listens, so
 *     a sender can wait for it instead of guessing, and at the end its
 *     result line, so the sender learns what arrived. Prints one line:
 *       ok: N received, lost L, duplicated D, reordered R, bad B bytes=X ns=T
 *     (or "fail: ..." with the same counts). N counts intact datagrams of
 *     ours; lost, the sequence numbers below COUNT never received intact;
 *     bad, datagrams that are not intact (a wrong byte, length or header)
 *     or carry a number >= COUNT; reordered, intact ones that came after a
 *     higher number (reported, not a failure: nothing in UDP forbids it).
 *     ok means lost, duplicated and bad are all 0. bytes and ns: payload
 *     bytes of the intact datagrams and the time from the first to the
 *     last datagram (CLOCK_MONOTONIC).
 *   pvk-net-udp source HOST PORT COUNT SIZE
 *     Sends datagrams 0..COUNT-1 of SIZE bytes (8..65507) to HOST:PORT as
 *     fast as the socket takes them (a full socket buffer is waited out,
 *     30 s at most in all). Prints "ok: sent N datagrams of S bytes
 *     bytes=X ns=T" or "fail: ...".
 *   pvk-net-udp echo HOST PORT MIN MAX STEP [WINDOW]
 *     Sends one datagram of each size MIN, MIN+STEP, ... and MAX itself
 *     (1..65507 bytes) to a UDP echo at HOST:PORT, WINDOW (default 8) in
 *     flight at once, and checks every echo byte for byte against what it
 *     sent. Each size is sent once, so an echo is known by its length;
 *     from 8 bytes on a datagram is netbench's (sequence number, length,
 *     header check, pattern), below it the pattern with the sequence
 *     number's low byte first. An echo not back within 3 s is lost; 25 s
 *     in all. Prints a line per wrong echo and then
 *       ok: N datagrams of MIN to MAX bytes echoed byte-exact, window W,
 *       lost 0, bad 0, duplicated 0 ns=T
 *     ("fail: ..." with the counts when any is not 0).
 * Exit status 0 with ok, 1 with fail, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/netbench.h"
#include "net-tool.h"

#define IDLE_MS		3000
#define SOURCE_SECS	30

static uint8_t pat[2 * NETB_PAT_LEN];
static uint8_t buf[65536];

static int usage(void)
{
	fprintf(stderr, "usage: pvk-net-udp sink PORT COUNT SECONDS [NOTIFY_HOST NOTIFY_PORT]\n"
		"       pvk-net-udp source HOST PORT COUNT SIZE\n"
		"       pvk-net-udp echo HOST PORT MIN MAX STEP [WINDOW]\n");
	return 2;
}

static int addr_of(const char *host, long long port, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sa->sin_addr) == 1 ? 0 : -1;
}

static int sink(int argc, char **argv)
{
	long long port, count, secs, nport = 0;
	struct sockaddr_in sa, na;
	uint64_t t_end, first = 0, last = 0, bytes = 0;
	uint64_t got = 0, dup = 0, reord = 0, bad = 0, lost;
	uint8_t *seen;
	int64_t highest = -1;
	int fd, n, one = 1, rcvbuf = 8 << 20;
	char line[200];

	if (argc != 5 && argc != 7)
		return usage();
	port = arg_num(argv[2], 1, 65535);
	count = arg_num(argv[3], 1, 1LL << 30);
	secs = arg_num(argv[4], 1, 3600);
	if (port < 0 || count < 0 || secs < 0)
		return usage();
	if (argc == 7 && ((nport = arg_num(argv[6], 1, 65535)) < 0 ||
			  addr_of(argv[5], nport, &na)))
		return usage();
	seen = calloc((size_t)count, 1);
	if (!seen) {
		printf("fail: no memory for %lld sequence numbers\n", count);
		return 1;
	}
	netb_fill_pattern(pat);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("fail: socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* A burst at full rate must not overflow the default buffer: as root
	 * (dom0), FORCE goes past net.core.rmem_max; the plain one otherwise. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	addr_of("0.0.0.0", port, &sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("fail: bind port %lld: %s\n", port, strerror(errno));
		return 1;
	}
	if (nport && sendto(fd, "ready", 5, 0, (struct sockaddr *)&na, sizeof(na)) != 5)
		fprintf(stderr, "pvk-net-udp: notify %s:%lld: %s\n", argv[5], nport,
			strerror(errno));
	t_end = now_ns() + (uint64_t)secs * 1000000000u;
	while (got < (uint64_t)count) {
		uint64_t t = now_ns();
		int64_t wait_ms = (int64_t)(t_end - t) / 1000000;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint32_t seq;
		ssize_t n;

		if (t >= t_end)
			break;
		if (first && wait_ms > IDLE_MS)
			wait_ms = IDLE_MS;
		if (poll(&p, 1, (int)wait_ms) <= 0)
			break;	/* deadline or idle: what came is the result */
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		last = now_ns();
		if (!first)
			first = last;
		if (netb_udp_check(buf, (uint32_t)n, &seq, pat) || seq >= (uint64_t)count) {
			bad++;
			continue;
		}
		if (seen[seq]) {
			dup++;
			continue;
		}
		seen[seq] = 1;
		got++;
		bytes += (uint64_t)n;
		if ((int64_t)seq < highest)
			reord++;
		else
			highest = seq;
	}
	lost = (uint64_t)count - got;
	n = snprintf(line, sizeof(line),
		     "%s: %llu received, lost %llu, duplicated %llu, reordered %llu, bad %llu bytes=%llu ns=%llu",
		     lost || dup || bad ? "fail" : "ok", (unsigned long long)got,
		     (unsigned long long)lost, (unsigned long long)dup,
		     (unsigned long long)reord, (unsigned long long)bad,
		     (unsigned long long)bytes, (unsigned long long)(last - first));
	printf("%s\n", line);
	if (nport && sendto(fd, line, (size_t)n, 0, (struct sockaddr *)&na, sizeof(na)) != n)
		fprintf(stderr, "pvk-net-udp: result to %s:%lld: %s\n", argv[5], nport,
			strerror(errno));
	return lost || dup || bad ? 1 : 0;
}

static int source(int argc, char **argv)
{
	long long port, count, size;
	struct sockaddr_in sa;
	uint64_t t0, t_end, sent = 0;
	int fd, sndbuf = 4 << 20;

	if (argc != 6)
		return usage();
	port = arg_num(argv[3], 1, 65535);
	count = arg_num(argv[4], 1, 1LL << 32);
	size = arg_num(argv[5], NETB_HDR_LEN, NETB_MAX_UDP);
	if (port < 0 || count < 0 || size < 0 || addr_of(argv[2], port, &sa))
		return usage();
	netb_fill_pattern(pat);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("fail: socket to %s:%lld: %s\n", argv[2], port, strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sndbuf, sizeof(sndbuf)))
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof(sndbuf));
	t0 = now_ns();
	t_end = t0 + SOURCE_SECS * 1000000000ull;
	while (sent < (uint64_t)count) {
		ssize_t n;

		netb_udp_fill(buf, (uint32_t)size, (uint32_t)sent, pat);
		n = send(fd, buf, (size_t)size, 0);
		if (n == size) {
			sent++;
			continue;
		}
		/* A full queue (ENOBUFS) or an ICMP error of an earlier
		 * datagram (ECONNREFUSED: nobody listens yet) is retried
		 * until the deadline; anything else ends the run. */
		if (n >= 0 || (errno != ENOBUFS && errno != EAGAIN &&
			       errno != ECONNREFUSED && errno != EINTR)) {
			printf("fail: send datagram %llu: %s\n", (unsigned long long)sent,
			       n >= 0 ? "short" : strerror(errno));
			return 1;
		}
		if (now_ns() >= t_end) {
			printf("fail: sent %llu of %lld datagrams in %d s\n",
			       (unsigned long long)sent, count, SOURCE_SECS);
			return 1;
		}
		usleep(100);
	}
	printf("ok: sent %llu datagrams of %lld bytes bytes=%llu ns=%llu\n",
	       (unsigned long long)sent, size, (unsigned long long)(sent * (uint64_t)size),
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

/* ---- echo: every size there and back ---- */

#define ECHO_LOST_MS	3000
#define ECHO_SECS	25

static uint8_t want[65536];

/* Datagram idx of size bytes, as echo sends it. */
static void echo_fill(uint8_t *b, uint32_t size, uint32_t idx)
{
	const uint8_t *src = pat + netb_udp_start(idx);

	if (size >= NETB_HDR_LEN) {
		netb_udp_fill(b, size, idx, pat);
		return;
	}
	b[0] = (uint8_t)idx;
	for (uint32_t i = 1; i < size; i++)
		b[i] = src[i];
}

static int echo(int argc, char **argv)
{
	long long port, min, max, step, window = 8;
	struct sockaddr_in sa;
	uint32_t *sizes, n = 0, next = 0, inflight = 0;
	int32_t *idx_of;
	uint64_t *sent_at, t0, t_end;
	uint8_t *state;		/* 0 not sent, 1 in flight, 2 back, 3 lost */
	uint64_t ok = 0, lost = 0, bad = 0, dup = 0;
	int fd, rcvbuf = 8 << 20;

	if (argc != 7 && argc != 8)
		return usage();
	port = arg_num(argv[3], 1, 65535);
	min = arg_num(argv[4], 1, NETB_MAX_UDP);
	max = arg_num(argv[5], 1, NETB_MAX_UDP);
	step = arg_num(argv[6], 1, NETB_MAX_UDP);
	if (argc == 8)
		window = arg_num(argv[7], 1, 256);
	if (port < 0 || min < 0 || max < min || step < 0 || window < 0 ||
	    addr_of(argv[2], port, &sa))
		return usage();
	netb_fill_pattern(pat);
	sizes = calloc(65536, sizeof(*sizes));
	idx_of = malloc(65536 * sizeof(*idx_of));
	sent_at = calloc(65536, sizeof(*sent_at));
	state = calloc(65536, 1);
	if (!sizes || !idx_of || !sent_at || !state) {
		printf("fail: no memory\n");
		return 1;
	}
	memset(idx_of, 0xff, 65536 * sizeof(*idx_of));
	for (long long s = min; s <= max; s += step) {
		idx_of[s] = (int32_t)n;
		sizes[n++] = (uint32_t)s;
	}
	if (sizes[n - 1] != max) {
		idx_of[max] = (int32_t)n;
		sizes[n++] = (uint32_t)max;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("fail: socket to %s:%lld: %s\n", argv[2], port, strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	t0 = now_ns();
	t_end = t0 + ECHO_SECS * 1000000000ull;
	while ((next < n || inflight) && now_ns() < t_end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint64_t t;
		ssize_t got;

		/* Fill the window. */
		while (next < n && inflight < (uint64_t)window) {
			ssize_t w;

			echo_fill(buf, sizes[next], next);
			w = send(fd, buf, sizes[next], 0);
			if (w < 0 && (errno == ENOBUFS || errno == EAGAIN ||
				      errno == ECONNREFUSED || errno == EINTR))
				break;	/* tried again after the poll */
			if (w != (ssize_t)sizes[next]) {
				printf("fail: send of %u bytes: %s\n", sizes[next],
				       w < 0 ? strerror(errno) : "short");
				return 1;
			}
			sent_at[next] = now_ns();
			state[next++] = 1;
			inflight++;
		}
		/* Echoes overdue are lost (t after the sends: none is newer). */
		t = now_ns();
		for (uint32_t i = 0; i < next; i++)
			if (state[i] == 1 && t - sent_at[i] > ECHO_LOST_MS * 1000000ull) {
				state[i] = 3;
				inflight--;
				if (lost++ < 20)
					printf("lost: datagram %u of %u bytes\n", i, sizes[i]);
			}
		if (poll(&p, 1, 20) <= 0)
			continue;
		got = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (got < 0)
			continue;	/* e.g. ECONNREFUSED: an ICMP error */
		{
			int32_t i = got > 0 && got < 65536 ? idx_of[got] : -1;

			if (i < 0) {
				if (bad++ < 20)
					printf("bad: an echo of %zd bytes, a size never sent\n", got);
				continue;
			}
			if (state[i] != 1) {
				dup++;
				continue;
			}
			echo_fill(want, sizes[i], (uint32_t)i);
			if (memcmp(buf, want, sizes[i])) {
				uint32_t b = 0;

				while (buf[b] == want[b])
					b++;
				if (bad++ < 20)
					printf("bad: echo of datagram %d (%u bytes): byte %u is %#x, sent %#x\n",
				       i, sizes[i], b, buf[b], want[b]);
			} else {
				ok++;
			}
			state[i] = 2;
			inflight--;
		}
	}
	lost += n - ok - bad - lost;	/* never sent or still out at the end */
	if (lost || bad || dup)
		printf("fail: %llu of %u datagrams of %lld to %lld bytes echoed byte-exact, window %lld, lost %llu, bad %llu, duplicated %llu ns=%llu\n",
		       (unsigned long long)ok, n, min, max, window, (unsigned long long)lost,
		       (unsigned long long)bad, (unsigned long long)dup,
		       (unsigned long long)(now_ns() - t0));
	else
		printf("ok: %u datagrams of %lld to %lld bytes echoed byte-exact, window %lld, lost 0, bad 0, duplicated 0 ns=%llu\n",
		       n, min, max, window, (unsigned long long)(now_ns() - t0));
	return lost || bad || dup ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc >= 2 && !strcmp(argv[1], "sink"))
		return sink(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "source"))
		return source(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "echo"))
		return echo(argc, argv);
	return usage();
}
