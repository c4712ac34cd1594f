/*
 * tests/xen/domu/netbench.c - Linux's side of the network benchmark: runs
 * the cases of tests/bench/netbench.h through the Linux PV domU's own
 * xen-netfront against dom0 (10.0.0.1 on the bridge xenbr0), whose side is
 * tests/xen/dom0-tools/pvk-net-udp and pvk-net-tcp. Plain sockets; every
 * byte the guest receives is checked against the shared pattern.
 *
 *   netbench [CASE...]   all cases in netbench.h's order by default;
 *                        static, no libraries at run time
 *
 * dom0 is asked for its side by a console line the scenario's ON_LINE
 * rules (tests/xen/scenarios/bench-netfront-linux.scn) match, carrying the
 * dom0 tool's arguments, so the figures are defined only in netbench.h:
 *   bench-net-want CASE: ARGS...
 * For "tx" cases (guest sends) dom0 runs the receiving tool: UDP's sink
 * tells the guest it listens by a datagram to NETB_PORT_NOTIFY and at the
 * end sends its result line there (printed as "bench-net-dom0-said CASE
 * ..."; a datagram dom0 found damaged fails the case); TCP's recv is found
 * by retrying the connection, and one wrong byte makes it close early, so
 * the guest's send or its wait for dom0's close fails. For "rx" cases the guest listens
 * first, then asks. Every wait is bounded (WAIT_S).
 * A case with an mtu (the largest-frame "sg" cases) first sets eth0's MTU
 * and asks dom0 for the same on its vif and bridge ("bench-net-want mtu:
 * N", a rule of its own that comes before the case's in the scenario).
 *
 * Per case one line:
 *   bench-net CASE linux ops=N bytes=B ns=T irqs=I [lost=L dup=D]
 * ("pvklinux" for "linux" when our modules are the frontends: see
 * domu-tool.h)
 * ops: datagrams (UDP; received intact ones for rx) or 0 (TCP); bytes:
 * payload bytes; ns: CLOCK_MONOTONIC from the first to the last one sent
 * or received; irqs: events of the vif's interrupts (/proc/interrupts
 * lines naming eth* or vif*), lost and dup for UDP rx. dom0's verdict comes as
 * "[NAME:dom0] bench-net-dom0 CASE ok: ..." from the scenario. Ends with
 * "bench-net: done" or "bench-net: FAIL ..." (exit status 1): a case that
 * could not run or received a wrong byte.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../../bench/netbench.h"
#include "domu-tool.h"

#define DOM0_IP		"10.0.0.1"
#define GUEST_IP	"10.0.0.2"
#define WAIT_S		45	/* for dom0: its ON_LINE turn comes between polls */
#define IDLE_MS		3000	/* UDP rx: the stream ended */

static uint8_t pat[2 * NETB_PAT_LEN];
static uint8_t buf[1 << 16];

static int fail(const char *c, const char *what)
{
	printf("bench-net: FAIL %s: %s%s%s\n", c, what, errno ? ": " : "",
	       errno ? strerror(errno) : "");
	return 1;
}

/* The vif's /proc/interrupts lines: its event channels are named after
 * the device ("eth0-q0-tx"), or after the template when they were bound
 * before the device got its name ("eth%d"). */
static bool is_linux_vif(const char *line)
{
	return strstr(line, " eth") || strstr(line, "vif");
}

static bool is_vif(const char *line)
{
	return irq_is_drivers(line, is_linux_vif);
}

/* Events of the vif's interrupts, all CPUs. */
static uint64_t vif_irqs(void)
{
	return proc_irqs(is_vif);
}

static struct sockaddr_in addr(const char *ip, unsigned int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	inet_pton(AF_INET, ip, &sa.sin_addr);
	return sa;
}

/* Waits up to ms for events on fd: 1 ready, 0 not. */
static int wait_fd(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, ms) > 0;
}

static int bound_socket(int type, unsigned int port)
{
	struct sockaddr_in sa = addr("0.0.0.0", port);
	int fd = socket(AF_INET, type, 0), one = 1, big = 8 << 20;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

static void report(const struct netb_case *c, uint64_t ops, uint64_t bytes,
		   uint64_t ns, uint64_t irqs, const char *extra)
{
	printf("bench-net %s %s ops=%llu bytes=%llu ns=%llu irqs=%llu%s\n", c->name, bench_side(),
	       (unsigned long long)ops, (unsigned long long)bytes,
	       (unsigned long long)ns, (unsigned long long)irqs, extra);
}

static int udp_tx(const struct netb_case *c)
{
	struct sockaddr_in to = addr(DOM0_IP, c->port);
	struct timeval tv = { .tv_sec = 5 };
	int nfd = bound_socket(SOCK_DGRAM, NETB_PORT_NOTIFY);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t i0, t0;
	ssize_t n;

	if (nfd < 0 || fd < 0)
		return fail(c->name, "socket");
	printf("bench-net-want %s: sink %u %u 25 %s %u\n", c->name, c->port, c->count,
	       GUEST_IP, NETB_PORT_NOTIFY);
	if (!wait_fd(nfd, POLLIN, WAIT_S * 1000) || recv(nfd, buf, sizeof(buf), 0) < 0)
		return fail(c->name, "dom0's sink did not say it was ready");
	/* Blocking sends wait for room in the socket buffer; 5 s at most. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&to, sizeof(to)))
		return fail(c->name, "connect");
	i0 = vif_irqs();
	t0 = now_ns();
	for (uint32_t s = 0; s < c->count; s++) {
		netb_udp_fill(buf, c->size, s, pat);
		if (send(fd, buf, c->size, 0) != (ssize_t)c->size)
			return fail(c->name, "send");
	}
	report(c, c->count, (uint64_t)c->count * c->size, now_ns() - t0, vif_irqs() - i0, "");
	close(fd);
	/* dom0's verdict: "ok: ..." or "fail: ... bad B ..." (sink's line).
	 * Loss is a figure of the benchmark; a damaged datagram is not. */
	if (wait_fd(nfd, POLLIN, WAIT_S * 1000) &&
	    (n = recv(nfd, buf, sizeof(buf) - 1, 0)) > 0) {
		unsigned long long bad = 1;
		const char *b;

		buf[n] = 0;
		printf("bench-net-dom0-said %s %s\n", c->name, (char *)buf);
		b = strstr((char *)buf, ", bad ");
		if (b)
			bad = strtoull(b + 6, NULL, 10);
		close(nfd);
		errno = 0;
		return bad ? fail(c->name, "dom0 received damaged datagrams") : 0;
	}
	close(nfd);
	return fail(c->name, "no result from dom0's sink");
}

static int udp_rx(const struct netb_case *c)
{
	int fd = bound_socket(SOCK_DGRAM, c->port);
	uint8_t *seen = calloc(c->count, 1);
	uint64_t got = 0, dup = 0, bad = 0, bytes = 0, first = 0, last = 0, i0;
	char extra[96];

	if (fd < 0 || !seen)
		return fail(c->name, "socket");
	i0 = vif_irqs();
	printf("bench-net-want %s: source %s %u %u %u\n", c->name, GUEST_IP, c->port,
	       c->count, c->size);
	while (got < c->count) {
		uint32_t seq;
		ssize_t n;

		if (!wait_fd(fd, POLLIN, first ? IDLE_MS : WAIT_S * 1000))
			break;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			continue;
		last = now_ns();
		if (!first)
			first = last;
		if (netb_udp_check(buf, (uint32_t)n, &seq, pat) || seq >= c->count) {
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
	}
	close(fd);
	free(seen);
	if (!got) {
		errno = 0;
		return fail(c->name, "no datagram from dom0");
	}
	snprintf(extra, sizeof(extra), " lost=%llu dup=%llu",
		 (unsigned long long)(c->count - got), (unsigned long long)dup);
	report(c, got, bytes, last - first, vif_irqs() - i0, extra);
	if (bad) {
		errno = 0;
		snprintf(extra, sizeof(extra), "%llu datagrams not intact",
			 (unsigned long long)bad);
		return fail(c->name, extra);
	}
	return 0;
}

static int tcp_tx(const struct netb_case *c)
{
	struct sockaddr_in to = addr(DOM0_IP, c->port);
	uint64_t deadline = now_ns() + WAIT_S * 1000000000ull, sent = 0, t0, i0;
	struct timeval tv = { .tv_sec = 10 };
	int fd;

	printf("bench-net-want %s: recv %u %llu 25\n", c->name, c->port,
	       (unsigned long long)c->bytes);
	for (;;) {	/* dom0 listens once its ON_LINE turn comes */
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return fail(c->name, "socket");
		if (!connect(fd, (struct sockaddr *)&to, sizeof(to)))
			break;
		close(fd);
		if (now_ns() >= deadline)
			return fail(c->name, "dom0 did not listen");
		usleep(100000);
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	i0 = vif_irqs();
	t0 = now_ns();
	while (sent < c->bytes) {
		uint64_t left = c->bytes - sent;
		ssize_t n = send(fd, pat + sent % NETB_PAT_LEN,
				 left < NETB_PAT_LEN ? left : NETB_PAT_LEN, MSG_NOSIGNAL);

		if (n <= 0)
			return fail(c->name, "send");
		sent += (uint64_t)n;
	}
	shutdown(fd, SHUT_WR);
	/* dom0 closes after reading everything: the end of the transfer. */
	if (recv(fd, buf, sizeof(buf), 0) != 0)
		return fail(c->name, "dom0 did not close after the stream");
	report(c, 0, sent, now_ns() - t0, vif_irqs() - i0, "");
	close(fd);
	return 0;
}

static int tcp_rx(const struct netb_case *c)
{
	int lfd = bound_socket(SOCK_STREAM, c->port), fd;
	struct timeval tv = { .tv_sec = 10 };
	uint64_t got = 0, t0, i0;

	if (lfd < 0 || listen(lfd, 1))
		return fail(c->name, "listen");
	printf("bench-net-want %s: send %s %u %llu 25\n", c->name, GUEST_IP, c->port,
	       (unsigned long long)c->bytes);
	if (!wait_fd(lfd, POLLIN, WAIT_S * 1000) || (fd = accept(lfd, NULL, NULL)) < 0)
		return fail(c->name, "dom0 did not connect");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	i0 = vif_irqs();
	t0 = now_ns();
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n < 0)
			return fail(c->name, "recv");
		if (n == 0)
			break;
		if (got + (uint64_t)n > c->bytes) {
			errno = 0;
			return fail(c->name, "more bytes than sent");
		}
		/* Compared in runs inside the doubled table (n is at most
		 * sizeof(buf), which is more than NETB_PAT_LEN). */
		for (ssize_t i = 0; i < n;) {
			uint32_t at = (uint32_t)((got + (uint64_t)i) % NETB_PAT_LEN);
			size_t run = (size_t)(n - i) < NETB_PAT_LEN ? (size_t)(n - i) : NETB_PAT_LEN;

			if (memcmp(buf + i, pat + at, run)) {
				char m[96];
				size_t k = 0;

				while (buf[i + k] == pat[at + k])
					k++;
				errno = 0;
				snprintf(m, sizeof(m), "stream byte %llu is wrong",
					 (unsigned long long)(got + (uint64_t)i + k));
				return fail(c->name, m);
			}
			i += (ssize_t)run;
		}
		got += (uint64_t)n;
	}
	if (got != c->bytes) {
		errno = 0;
		return fail(c->name, "the stream ended short");
	}
	report(c, 0, got, now_ns() - t0, vif_irqs() - i0, "");
	close(fd);
	close(lfd);
	return 0;
}

/* eth0's MTU to mtu, and dom0's vif and bridge (the scenario's rule for
 * "bench-net-want mtu:" runs before the case's own). 0 or fail(). */
static int set_mtu(const struct netb_case *c)
{
	static unsigned int have;
	struct ifreq ifr = { .ifr_mtu = (int)c->mtu };
	int fd;

	if (have == c->mtu)
		return 0;
	strcpy(ifr.ifr_name, "eth0");
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || ioctl(fd, SIOCSIFMTU, &ifr))
		return fail(c->name, "cannot set eth0's MTU");
	close(fd);
	have = c->mtu;
	printf("bench-net-want mtu: %u\n", c->mtu);
	return 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	netb_fill_pattern(pat);
	for (unsigned int i = 0; i < NETB_NR_CASES; i++) {
		const struct netb_case *c = &netb_cases[i];
		int want = argc < 2;

		for (int a = 1; a < argc; a++)
			want |= !strcmp(argv[a], c->name);
		if (!want)
			continue;
		errno = 0;
		if (c->mtu && set_mtu(c)) {
			bad = 1;
			continue;
		}
		if (c->tcp)
			bad |= c->rx ? tcp_rx(c) : tcp_tx(c);
		else
			bad |= c->rx ? udp_rx(c) : udp_tx(c);
	}
	if (bad)
		return 1;
	printf("bench-net: done\n");
	return 0;
}
