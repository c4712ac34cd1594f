/*
 * tests/xen/domu/suspbench.c - Linux's side of make bench's suspend rows
 * (scenario bench-suspend-linux; the kit's side is
 * tests/guest/cases/bench_suspend.c): Debian's kernel as a PV domU is
 * saved and restored by dom0 (tests/xen/dom0/save-restore, one ON_LINE
 * rule a cycle), and this program, in the domU's initrd, measures what a
 * process sees.
 *
 *   suspbench CYCLES DEVICE DOM0_IP
 *
 * Setup: DEVICE opened O_DIRECT, a raw ICMP socket (init runs as root);
 * one read and one ping answered first. Then per cycle it prints
 * "bench-suspend linux: ready for xl save #K" and samples the clocks
 * every SAMPLE_NS (clock_nanosleep: the domU is idle between samples, as
 * the kit's guest is while it waits, so neither side takes dom0's CPU
 * from xl save) until the kernel went through a suspend:
 *   - CLOCK_MONOTONIC does not advance across Linux's suspend (its
 *     timekeeping_resume() injects the time it was gone as sleep), while
 *     CLOCK_BOOTTIME does: BOOTTIME - MONOTONIC grows by the time the
 *     kernel measured from its syscore suspend to its syscore resume,
 *     around the hypercall: kernel_us, the counterpart of the kit's
 *     last_downtime_ns (just before to just after the hypercall);
 *   - the largest step of CLOCK_BOOTTIME between two samples: the time
 *     this process did not run, frozen before the devices were suspended
 *     and thawed after they resumed: gap_us, the counterpart of the kit's
 *     host before() to after() (its resolution is SAMPLE_NS plus the
 *     wake-up's lateness).
 * Then, from the first sample after the suspend (this process runs
 * again), two threads side by side, both bounded by RECONNECT_NS:
 *   blk  pread() of 4 KiB at offset K * 4 KiB (O_DIRECT: from the disk,
 *        not the page cache) until one returns it all;
 *   net  an ICMP echo request to dom0, each waited for PING_MS, until one
 *        is answered (the reply's id and sequence ours).
 * One line a cycle (the kit's side prints the same fields):
 *   bench-suspend linux cycle=K kernel_us=D gap_us=G blk_us=B|lost net_us=N|lost
 * and at the end "bench-suspend: linux done". Exit status 0 when every
 * cycle came (devices lost are figures, not failures), 1 otherwise.
 * Times are CLOCK_BOOTTIME (after the resume it and MONOTONIC advance
 * alike; both are Xen's clock in a PV domU).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SAMPLE_NS	1000000ULL		/* 1 ms */
#define SUSPEND_WAIT_NS	(120ULL * 1000000000)	/* as the kit's side */
#define RECONNECT_NS	(20ULL * 1000000000)	/* as the kit's side */
#define PING_MS		200			/* as the kit's side */
#define PING_BYTES	56
#define READ_BYTES	4096
/* BOOTTIME - MONOTONIC must grow by more than this to count as a
 * suspend (the two are read one after the other: they differ by the
 * time between the reads, well under this). Not 1 ms: after a restore
 * Debian's kernel was seen moving the offset by 1.4 ms with no suspend
 * (session 12: cycle 2 "resumed" 28 ms after cycle 1, dom0 never saved
 * it); an xl save + restore here takes seconds. */
#define SLEPT_MIN_NS	(500ULL * 1000000)
/* Without that, a step of BOOTTIME this long between two samples counts
 * as the suspend (xl save + restore take seconds here). */
#define GAP_ALONE_NS	(3ULL * 1000000000)

static int disk = -1, sock = -1;
static struct sockaddr_in dom0;
static void *buf;
static uint16_t ping_id;

static uint64_t clk(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint16_t csum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (len & 1)
		s += (uint32_t)b[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return htons((uint16_t)~s);
}

/* One echo request, its reply waited for (at most PING_MS): 0 or -1. */
static int ping_once(uint16_t seq)
{
	uint8_t req[sizeof(struct icmphdr) + PING_BYTES], rep[1500];
	struct icmphdr *h = (struct icmphdr *)req;
	uint64_t end = clk(CLOCK_BOOTTIME) + PING_MS * 1000000ULL;

	memset(req, 0, sizeof(req));
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(ping_id);
	h->un.echo.sequence = htons(seq);
	for (size_t i = sizeof(*h); i < sizeof(req); i++)
		req[i] = (uint8_t)i;
	h->checksum = csum(req, sizeof(req));
	if (sendto(sock, req, sizeof(req), 0, (struct sockaddr *)&dom0, sizeof(dom0)) < 0)
		return -1;
	for (;;) {
		uint64_t now = clk(CLOCK_BOOTTIME);
		struct pollfd p = { .fd = sock, .events = POLLIN };
		const struct iphdr *ip = (const struct iphdr *)rep;
		const struct icmphdr *r;
		ssize_t n;

		if (now >= end)
			return -1;
		if (poll(&p, 1, (int)((end - now) / 1000000) + 1) <= 0)
			continue;
		n = recv(sock, rep, sizeof(rep), 0);
		/* A raw socket hands over the IP header too. */
		if (n < (ssize_t)sizeof(*ip) || n < (ssize_t)(ip->ihl * 4 + sizeof(*r)))
			continue;
		r = (const struct icmphdr *)(rep + ip->ihl * 4);
		if (ip->saddr == dom0.sin_addr.s_addr && r->type == ICMP_ECHOREPLY &&
		    ntohs(r->un.echo.id) == ping_id && ntohs(r->un.echo.sequence) == seq)
			return 0;
	}
}

static int read_once(unsigned int k)
{
	return pread(disk, buf, READ_BYTES, (off_t)k * READ_BYTES) == READ_BYTES ? 0 : -1;
}

struct probe {
	unsigned int k;
	uint64_t deadline;
	uint64_t done;		/* CLOCK_BOOTTIME when it answered, 0 if not */
	unsigned int tries;
	volatile bool finished;
};

static void *blk_probe(void *arg)
{
	struct probe *p = arg;

	while (clk(CLOCK_BOOTTIME) < p->deadline) {
		p->tries++;
		if (read_once(p->k) == 0) {
			p->done = clk(CLOCK_BOOTTIME);
			break;
		}
		usleep(10000);
	}
	p->finished = true;
	return NULL;
}

static void *net_probe(void *arg)
{
	struct probe *p = arg;
	uint16_t seq = (uint16_t)(p->k * 1000);
	uint64_t t;

	while ((t = clk(CLOCK_BOOTTIME)) < p->deadline) {
		p->tries++;
		if (ping_once(seq++) == 0) {
			p->done = clk(CLOCK_BOOTTIME);
			break;
		}
		if (clk(CLOCK_BOOTTIME) - t < PING_MS * 250000ULL)
			usleep(10000);	/* refused at once */
	}
	p->finished = true;
	return NULL;
}

static void fmt_us(char *s, size_t size, uint64_t done, uint64_t from)
{
	if (done)
		snprintf(s, size, "%llu", (unsigned long long)((done - from) / 1000));
	else
		snprintf(s, size, "lost");
}

/* Samples until the kernel suspended and resumed: 0, or -1 past the bound. */
static int wait_suspend(uint64_t *slept, uint64_t *gap, uint64_t *resumed)
{
	uint64_t b0 = clk(CLOCK_BOOTTIME), prev = b0;
	int64_t off0 = (int64_t)(b0 - clk(CLOCK_MONOTONIC));
	struct timespec ts = { 0, SAMPLE_NS };

	*gap = 0;
	for (;;) {
		uint64_t b, m;
		int64_t off;

		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		b = clk(CLOCK_BOOTTIME);
		m = clk(CLOCK_MONOTONIC);
		if (b - prev > *gap)
			*gap = b - prev;
		prev = b;
		/* m is read after b, so b - m is a little below the clocks'
		 * true offset (negative before any suspend): never above. */
		off = (int64_t)(b - m);
		if (off > off0 + (int64_t)SLEPT_MIN_NS) {
			*slept = (uint64_t)(off - off0);
			*resumed = b;
			return 0;
		}
		/* A kernel that let MONOTONIC run on across the suspend: the
		 * gap alone says it (kernel_us is then "-": no figure). */
		if (*gap >= GAP_ALONE_NS) {
			*slept = 0;
			*resumed = b;
			return 0;
		}
		if (off < off0)
			off0 = off;
		if (b - b0 > SUSPEND_WAIT_NS)
			return -1;
	}
}

int main(int argc, char **argv)
{
	unsigned int cycles;

	if (argc != 4) {
		fprintf(stderr, "usage: suspbench CYCLES DEVICE DOM0_IP\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	cycles = (unsigned int)strtoul(argv[1], NULL, 10);
	ping_id = (uint16_t)getpid();
	dom0.sin_family = AF_INET;
	if (inet_pton(AF_INET, argv[3], &dom0.sin_addr) != 1) {
		printf("bench-suspend linux: FAIL: bad address %s\n", argv[3]);
		return 1;
	}
	disk = open(argv[2], O_RDONLY | O_DIRECT);
	sock = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
	if (disk < 0 || sock < 0 || posix_memalign(&buf, 4096, READ_BYTES)) {
		printf("bench-suspend linux: FAIL: setup: %s\n", strerror(errno));
		return 1;
	}
	if (read_once(0) || ping_once(1)) {
		printf("bench-suspend linux: FAIL: the disk or dom0 does not answer before the first save\n");
		return 1;
	}
	for (unsigned int k = 1; k <= cycles; k++) {
		uint64_t slept, gap, resumed;
		struct probe pb = { .k = k }, pn = { .k = k };
		pthread_t tb, tn;
		char blk[24], net[24], kern[24];

		printf("bench-suspend linux: ready for xl save #%u\n", k);
		if (wait_suspend(&slept, &gap, &resumed)) {
			printf("bench-suspend linux: FAIL: cycle %u: no suspend within %llu s\n",
			       k, (unsigned long long)(SUSPEND_WAIT_NS / 1000000000));
			return 1;
		}
		pb.deadline = pn.deadline = resumed + RECONNECT_NS;
		if (pthread_create(&tb, NULL, blk_probe, &pb) ||
		    pthread_create(&tn, NULL, net_probe, &pn)) {
			printf("bench-suspend linux: FAIL: pthread_create\n");
			return 1;
		}
		/* A read blocked in the driver would never return: wait for
		 * the threads only until the bound, then leave one behind. */
		while ((!pb.finished || !pn.finished) &&
		       clk(CLOCK_BOOTTIME) < resumed + RECONNECT_NS + 1000000000ULL)
			usleep(10000);
		if (pn.finished)
			pthread_join(tn, NULL);
		if (!pb.finished) {
			printf("bench-suspend-note linux: cycle %u: a read is still blocked; the disk is lost for good\n", k);
			pb.done = 0;
		} else {
			pthread_join(tb, NULL);
		}
		fmt_us(blk, sizeof(blk), pb.done, resumed);
		fmt_us(net, sizeof(net), pn.done, resumed);
		printf("bench-suspend-note linux: cycle %u: pings %u, reads %u\n", k, pn.tries, pb.tries);
		if (slept)
			snprintf(kern, sizeof(kern), "%llu", (unsigned long long)(slept / 1000));
		else
			snprintf(kern, sizeof(kern), "-");
		printf("bench-suspend linux cycle=%u result=resumed kernel_us=%s gap_us=%llu blk_us=%s net_us=%s\n",
		       k, kern, (unsigned long long)(gap / 1000), blk, net);
		if (!pb.finished)
			break;	/* its thread still holds the disk */
	}
	printf("bench-suspend: linux done\n");
	return 0;
}
