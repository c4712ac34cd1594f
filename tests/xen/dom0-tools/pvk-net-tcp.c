/*
 * tests/xen/dom0-tools/pvk-net-tcp.c - dom0's TCP end of the network tests
 * and benchmark: one connection carrying the stream of
 * tests/bench/netbench.h (stream byte o is the pattern's byte o modulo
 * its length), every received byte checked.
 *
 *   pvk-net-tcp recv PORT BYTES [SECONDS]
 *     Listens on PORT (any address), accepts one connection, reads it to
 *     its end and checks it is exactly the first BYTES bytes of the stream.
 *     Prints "ok: received B bytes ns=T" or "fail: ..." (where the first
 *     wrong byte is, or how much came).
 *   pvk-net-tcp send HOST PORT BYTES [SECONDS]
 *     Connects to HOST:PORT (a refused connection is retried: the peer may
 *     not listen yet), sends the first BYTES bytes of the stream, closes
 *     its side and waits for the peer's close, so "ok" means the peer read
 *     everything. Prints "ok: sent B bytes ns=T" or "fail: ...".
 * Both are bounded by SECONDS (default 25) from their start, whatever the
 * peer does. ns: the data transfer, from the connection to the last byte
 * (CLOCK_MONOTONIC). Exit status 0 with ok, 1 with fail, 2 on a usage error.
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

static uint8_t pat[2 * NETB_PAT_LEN];
static uint8_t buf[1 << 16];
static uint64_t deadline;

static int usage(void)
{
	fprintf(stderr, "usage: pvk-net-tcp recv PORT BYTES [SECONDS]\n"
		"       pvk-net-tcp send HOST PORT BYTES [SECONDS]\n");
	return 2;
}

/* Waits for events on fd until the deadline: 1 ready, 0 deadline. */
static int wait_fd(int fd, short events)
{
	for (;;) {
		uint64_t t = now_ns();
		struct pollfd p = { .fd = fd, .events = events };
		int r;

		if (t >= deadline)
			return 0;
		r = poll(&p, 1, (int)((deadline - t) / 1000000) + 1);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return 0;
	}
}

static int do_recv(long long port, long long bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint64_t got = 0, t0;
	int lfd, fd, one = 1;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0) {
		printf("fail: socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) || listen(lfd, 1)) {
		printf("fail: listen on port %lld: %s\n", port, strerror(errno));
		return 1;
	}
	if (!wait_fd(lfd, POLLIN)) {
		printf("fail: no connection on port %lld in time\n", port);
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0) {
		printf("fail: accept: %s\n", strerror(errno));
		return 1;
	}
	t0 = now_ns();
	for (;;) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN)) {
			printf("fail: received %llu of %lld bytes in time\n",
			       (unsigned long long)got, bytes);
			return 1;
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			printf("fail: recv after %llu bytes: %s\n", (unsigned long long)got,
			       strerror(errno));
			return 1;
		}
		if (n == 0)
			break;
		if (got + (uint64_t)n > (uint64_t)bytes) {
			printf("fail: more than the %lld bytes expected\n", bytes);
			return 1;
		}
		/* buf holds stream bytes got..got+n-1; compare in runs that
		 * stay inside the doubled table. */
		for (ssize_t i = 0; i < n;) {
			uint32_t at = (uint32_t)((got + (uint64_t)i) % NETB_PAT_LEN);
			size_t run = (size_t)(n - i) < NETB_PAT_LEN ? (size_t)(n - i) : NETB_PAT_LEN;

			if (memcmp(buf + i, pat + at, run)) {
				size_t k = 0;

				while (buf[i + k] == pat[at + k])
					k++;
				printf("fail: byte %llu is 0x%02x, expected 0x%02x\n",
				       (unsigned long long)(got + (uint64_t)i + k),
				       buf[i + k], pat[at + k]);
				return 1;
			}
			i += (ssize_t)run;
		}
		got += (uint64_t)n;
	}
	if (got != (uint64_t)bytes) {
		printf("fail: the connection ended after %llu of %lld bytes\n",
		       (unsigned long long)got, bytes);
		return 1;
	}
	printf("ok: received %llu bytes ns=%llu\n", (unsigned long long)got,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

static int do_send(const char *host, long long port, long long bytes)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	uint64_t sent = 0, t0;
	int fd;

	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return usage();
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0) {
			printf("fail: socket: %s\n", strerror(errno));
			return 1;
		}
		if (!connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		if ((errno != ECONNREFUSED && errno != ETIMEDOUT && errno != EHOSTUNREACH) ||
		    now_ns() >= deadline) {
			printf("fail: connect to %s:%lld: %s\n", host, port, strerror(errno));
			return 1;
		}
		close(fd);
		usleep(100000);
	}
	t0 = now_ns();
	while (sent < (uint64_t)bytes) {
		uint32_t at = (uint32_t)(sent % NETB_PAT_LEN);
		uint64_t left = (uint64_t)bytes - sent;
		size_t run = left < NETB_PAT_LEN ? (size_t)left : NETB_PAT_LEN;
		ssize_t n;

		if (!wait_fd(fd, POLLOUT)) {
			printf("fail: sent %llu of %lld bytes in time\n",
			       (unsigned long long)sent, bytes);
			return 1;
		}
		n = send(fd, pat + at, run, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			printf("fail: send after %llu bytes: %s\n", (unsigned long long)sent,
			       strerror(errno));
			return 1;
		}
		sent += (uint64_t)n;
	}
	shutdown(fd, SHUT_WR);
	/* The peer closes once it has read everything: wait for that. */
	for (;;) {
		ssize_t n;

		if (!wait_fd(fd, POLLIN)) {
			printf("fail: the peer did not close after %llu bytes\n",
			       (unsigned long long)sent);
			return 1;
		}
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n == 0)
			break;
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			printf("fail: after sending: %s\n", strerror(errno));
			return 1;
		}
	}
	printf("ok: sent %llu bytes ns=%llu\n", (unsigned long long)sent,
	       (unsigned long long)(now_ns() - t0));
	return 0;
}

int main(int argc, char **argv)
{
	long long port, bytes, secs = 25;
	int recv_mode = argc >= 2 && !strcmp(argv[1], "recv");
	int send_mode = argc >= 2 && !strcmp(argv[1], "send");
	int a = send_mode ? 3 : 2;	/* index of PORT */

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((!recv_mode && !send_mode) || argc < a + 2 || argc > a + 3)
		return usage();
	port = arg_num(argv[a], 1, 65535);
	bytes = arg_num(argv[a + 1], 0, 1LL << 40);
	if (argc == a + 3)
		secs = arg_num(argv[a + 2], 1, 3600);
	if (port < 0 || bytes < 0 || secs < 0)
		return usage();
	deadline = now_ns() + (uint64_t)secs * 1000000000u;
	netb_fill_pattern(pat);
	return recv_mode ? do_recv(port, bytes) : do_send(argv[2], port, bytes);
}
