/*
 * tests/xen/dom0-tools/pvk-net-seq.c - dom0's end of a UDP stream that
 * must live through a gap (the guest saved and restored meanwhile:
 * scenarios guest-save-traffic and guest-save-net-checkpoint,
 * tests/guest/cases/suspend_net.c). Datagrams are
 * tests/bench/netbench.h's (sequence number, length, header check,
 * pattern); what is missing or duplicated is listed by number.
 *
 *   pvk-net-seq recv PORT SECONDS [NOTIFY_HOST NOTIFY_PORT]
 *     Receives on PORT until the sender's "END n" datagram (n: how many
 *     it sent, numbers 0..n-1) and 1 s more, or SECONDS in all. With
 *     NOTIFY_*, sends "ready" there once it listens (three times, 100 ms
 *     apart: the first may go before ARP has an answer), so the sender
 *     starts with nothing lost to a port not yet bound. A silence
 *     of any length is no end (the sender was away). Prints one line:
 *       recv: received R of N, missing M [list], duplicated D [list], bad B
 *     (N: the END's count, "?" without one; lists as ranges a-b, the first
 *     ones only).
 *   pvk-net-seq send HOST PORT RATE MAX SECONDS STOPPORT
 *     Sends datagrams 0, 1, ... of 200 bytes to HOST:PORT at RATE per
 *     second, from local port STOPPORT, until a datagram "STOP" arrives on
 *     that port, MAX were sent or SECONDS passed. A send the kernel
 *     refuses (no neighbour while the guest is away) is tried again with
 *     the same number at the next tick, so a number is missing at the
 *     receiver only when the network lost it. Prints one line:
 *       send: sent S at RATE/s, refused F, ended by stop|max|time
 *   pvk-net-seq arp IFACE IP SECONDS
 *     Watches ARP on IFACE (AF_PACKET) for a gratuitous one for IP (sender
 *     and target address both IP) and ends at the first, or after SECONDS.
 *     Prints one line:
 *       arp: gratuitous for IP from MAC (request|reply) after T ms, other ARP A
 *     or "arp: no gratuitous ARP for IP in S s, other ARP A".
 * Exit status 0, 1 on a failure to run, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../bench/netbench.h"
#include "net-tool.h"

#define SEND_SIZE	200
#define MAX_SEQ		(1u << 20)
#define LIST_MAX	300	/* characters of a number list */

static uint8_t pat[2 * NETB_PAT_LEN];
static uint8_t buf[65536];

static int usage(void)
{
	fprintf(stderr, "usage: pvk-net-seq recv PORT SECONDS [NOTIFY_HOST NOTIFY_PORT]\n"
		"       pvk-net-seq send HOST PORT RATE MAX SECONDS STOPPORT\n"
		"       pvk-net-seq arp IFACE IP SECONDS\n");
	return 2;
}

/* Appends the numbers i < n with want(i) to out as ranges; the count. */
static unsigned long list(char *out, size_t size, const uint8_t *v, uint32_t n, bool (*want)(uint8_t))
{
	unsigned long count = 0;
	size_t used = 0;
	bool cut = false;

	out[0] = '\0';
	for (uint32_t i = 0; i < n; i++) {
		uint32_t j = i;
		int k;

		if (!want(v[i]))
			continue;
		while (j + 1 < n && want(v[j + 1]))
			j++;
		count += j - i + 1;
		if (!cut) {
			k = i == j ? snprintf(out + used, size - used, "%s%u", used ? "," : "", i) :
				snprintf(out + used, size - used, "%s%u-%u", used ? "," : "", i, j);
			if (k < 0 || (size_t)k >= size - used - 4) {
				out[used] = '\0';
				snprintf(out + used, size - used, ",...");
				cut = true;
			} else {
				used += (size_t)k;
			}
		}
		i = j;
	}
	return count;
}

static bool never(uint8_t c)
{
	return c == 0;
}

static bool twice(uint8_t c)
{
	return c > 1;
}

static int recv_mode(int argc, char **argv)
{
	long long port, secs, nport = 0;
	struct sockaddr_in sa = { .sin_family = AF_INET }, na = { .sin_family = AF_INET };
	uint8_t *count;
	uint64_t t_end, t_stop = 0;
	uint32_t top = 0;	/* 1 + the highest number seen */
	long long total = -1;
	unsigned long got = 0, bad = 0, missing, dup;
	char miss_s[LIST_MAX], dup_s[LIST_MAX], total_s[48];
	int fd, one = 1, rcvbuf = 8 << 20;

	if (argc != 4 && argc != 6)
		return usage();
	port = arg_num(argv[2], 1, 65535);
	secs = arg_num(argv[3], 1, 3600);
	if (port < 0 || secs < 0)
		return usage();
	if (argc == 6 && ((nport = arg_num(argv[5], 1, 65535)) < 0 ||
			  inet_pton(AF_INET, argv[4], &na.sin_addr) != 1))
		return usage();
	na.sin_port = htons((uint16_t)nport);
	count = calloc(MAX_SEQ, 1);
	netb_fill_pattern(pat);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (!count || fd < 0) {
		printf("recv: fail: no memory or socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sa.sin_port = htons((uint16_t)port);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		printf("recv: fail: bind port %lld: %s\n", port, strerror(errno));
		return 1;
	}
	for (int i = 0; nport && i < 3; i++) {
		if (sendto(fd, "ready", 5, 0, (struct sockaddr *)&na, sizeof(na)) != 5)
			fprintf(stderr, "pvk-net-seq: notify: %s\n", strerror(errno));
		usleep(100000);
	}
	t_end = now_ns() + (uint64_t)secs * 1000000000u;
	for (;;) {
		uint64_t t = now_ns(), until = t_stop ? t_stop : t_end;
		struct pollfd p = { .fd = fd, .events = POLLIN };
		uint32_t seq;
		ssize_t n;

		if (t >= until)
			break;
		if (poll(&p, 1, (int)((until - t) / 1000000 + 1)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf) - 1, MSG_DONTWAIT);
		if (n < 0)
			continue;
		if (n > 4 && n < 24 && !memcmp(buf, "END ", 4)) {
			buf[n] = '\0';
			total = atoll((char *)buf + 4);
			if (total < 0 || total > MAX_SEQ)
				total = MAX_SEQ;
			if (!t_stop)
				t_stop = now_ns() + 1000000000u;
			continue;
		}
		if (netb_udp_check(buf, (uint32_t)n, &seq, pat) || seq >= MAX_SEQ) {
			bad++;
			continue;
		}
		if (count[seq] < 255)
			count[seq]++;
		if (count[seq] == 1)
			got++;
		if (seq + 1 > top)
			top = seq + 1;
	}
	if (total >= 0) {
		if ((uint32_t)total < top)
			bad++;	/* numbers beyond what the sender said it sent */
		top = (uint32_t)total;
		snprintf(total_s, sizeof(total_s), "%lld", total);
	} else {
		snprintf(total_s, sizeof(total_s), "? (no END; highest %u)", top);
	}
	missing = list(miss_s, sizeof(miss_s), count, top, never);
	dup = list(dup_s, sizeof(dup_s), count, MAX_SEQ, twice);
	printf("recv: received %lu of %s, missing %lu [%s], duplicated %lu [%s], bad %lu\n", got,
	       total_s, missing, miss_s, dup, dup_s, bad);
	return 0;
}

static int send_mode(int argc, char **argv)
{
	long long port, rate, max, secs, sport;
	struct sockaddr_in sa = { .sin_family = AF_INET }, la = { .sin_family = AF_INET };
	uint64_t t0, t_end, tick;
	unsigned long sent = 0, refused = 0;
	const char *why = "time";
	int fd, one = 1;

	if (argc != 8)
		return usage();
	port = arg_num(argv[3], 1, 65535);
	rate = arg_num(argv[4], 1, 100000);
	max = arg_num(argv[5], 1, MAX_SEQ);
	secs = arg_num(argv[6], 1, 3600);
	sport = arg_num(argv[7], 1, 65535);
	if (port < 0 || rate < 0 || max < 0 || secs < 0 || sport < 0 ||
	    inet_pton(AF_INET, argv[2], &sa.sin_addr) != 1)
		return usage();
	sa.sin_port = htons((uint16_t)port);
	la.sin_port = htons((uint16_t)sport);
	netb_fill_pattern(pat);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		printf("send: fail: socket: %s\n", strerror(errno));
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&la, sizeof(la))) {
		printf("send: fail: bind port %lld: %s\n", sport, strerror(errno));
		return 1;
	}
	tick = 1000000000ull / (uint64_t)rate;
	t0 = now_ns();
	t_end = t0 + (uint64_t)secs * 1000000000u;
	for (uint64_t due = t0;;) {
		uint64_t t = now_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t n;

		if (t >= t_end)
			break;
		if (sent >= (unsigned long)max) {
			why = "max";
			break;
		}
		if (t < due) {
			if (poll(&p, 1, (int)((due - t) / 1000000 + 1)) > 0) {
				n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
				if (n == 4 && !memcmp(buf, "STOP", 4)) {
					why = "stop";
					break;
				}
			}
			continue;
		}
		due += tick;
		netb_udp_fill(buf, SEND_SIZE, (uint32_t)sent, pat);
		if (sendto(fd, buf, SEND_SIZE, 0, (struct sockaddr *)&sa, sizeof(sa)) == SEND_SIZE)
			sent++;
		else
			refused++;	/* the same number next tick */
	}
	printf("send: sent %lu at %lld/s, refused %lu, ended by %s\n", sent, rate, refused, why);
	return 0;
}

static int arp_mode(int argc, char **argv)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct in_addr ip;
	long long secs;
	unsigned long other = 0;
	uint64_t t0, t_end;
	int fd;

	if (argc != 5)
		return usage();
	secs = arg_num(argv[4], 1, 3600);
	if (secs < 0 || inet_pton(AF_INET, argv[3], &ip) != 1)
		return usage();
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ARP));
	sll.sll_protocol = htons(ETH_P_ARP);
	sll.sll_ifindex = (int)if_nametoindex(argv[2]);
	if (fd < 0 || !sll.sll_ifindex || bind(fd, (struct sockaddr *)&sll, sizeof(sll))) {
		printf("arp: fail: packet socket on %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	t0 = now_ns();
	t_end = t0 + (uint64_t)secs * 1000000000u;
	for (;;) {
		uint64_t t = now_ns();
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const uint8_t *a = buf + 14;
		ssize_t n;

		if (t >= t_end)
			break;
		if (poll(&p, 1, (int)((t_end - t) / 1000000 + 1)) <= 0)
			continue;
		n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 42 || buf[12] != 0x08 || buf[13] != 0x06)
			continue;
		/* Ethernet/IPv4 ARP: sender address at 14, target at 24. */
		if (a[0] == 0 && a[1] == 1 && a[2] == 8 && a[3] == 0 && a[4] == 6 && a[5] == 4 &&
		    !memcmp(a + 14, &ip, 4) && !memcmp(a + 24, &ip, 4)) {
			printf("arp: gratuitous for %s from %02x:%02x:%02x:%02x:%02x:%02x (%s) after %llu ms, other ARP %lu\n",
			       argv[3], a[8], a[9], a[10], a[11], a[12], a[13],
			       a[7] == 1 ? "request" : a[7] == 2 ? "reply" : "op?",
			       (unsigned long long)((now_ns() - t0) / 1000000), other);
			return 0;
		}
		other++;
	}
	printf("arp: no gratuitous ARP for %s in %lld s, other ARP %lu\n", argv[3], secs, other);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "recv"))
		return recv_mode(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "send"))
		return send_mode(argc, argv);
	if (argc >= 2 && !strcmp(argv[1], "arp"))
		return arp_mode(argc, argv);
	return usage();
}
