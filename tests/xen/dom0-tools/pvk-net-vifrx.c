/*
 * tests/xen/dom0-tools/pvk-net-vifrx.c - dom0's receiver on a guest's vif
 * (scenario guest-netfront): checks the frames the guest sends as netback
 * hands them to dom0's stack, before the bridge, with their checksum state.
 *
 *   pvk-net-vifrx IFACE PORT COUNT SECONDS NOTIFY_HOST NOTIFY_PORT
 *
 * Opens a packet socket on IFACE (vif<domid>.0) with PACKET_AUXDATA, then
 * sends one UDP datagram "ready" to NOTIFY_HOST:NOTIFY_PORT (the guest
 * starts sending once it has it). Takes the IPv4 UDP frames to PORT coming
 * from the guest until datagrams 0..COUNT-1 (tests/bench/netbench.h) all
 * came, SECONDS passed, or nothing came for 5 s after the first. Each one:
 * IP header sane and its checksum right; UDP length as IP says; where the
 * aux data says the checksum is not filled in (TP_STATUS_CSUMNOTREADY:
 * the guest left it to the backend, the field holds the pseudo-header
 * sum) it is completed here, as a NIC would; then the UDP checksum must
 * verify; the payload must be datagram seq's, every byte.
 * Prints a line per bad frame (20 at most) and, last,
 *   ok: N frames of COUNT, P with a partial checksum completed, M over one
 *   page (largest L bytes), bad B
 * ("fail: ..." the same when a datagram is missing or B > 0). L and "over
 * one page" count whole frames (Ethernet header included) as received.
 * Exit 0 with ok, 1 with fail, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../bench/netbench.h"
#include "inet-csum.h"
#include "net-tool.h"

#define IDLE_MS		5000
#define PAGE		4096u

static uint8_t pat[2 * NETB_PAT_LEN];
static uint8_t frame[65536 + 64];

static unsigned long nbad;

static void bad(const char *why, size_t len)
{
	if (nbad++ < 20)
		printf("bad: frame of %zu bytes: %s\n", len, why);
}

int main(int argc, char **argv)
{
	long long port, count, secs, nport;
	struct sockaddr_ll sll = { 0 };
	struct sockaddr_in na;
	unsigned int ifindex;
	uint64_t t_end, first = 0;
	unsigned long got = 0, partial = 0, multi = 0;
	size_t largest = 0;
	uint8_t *seen;
	int fd, ufd, one = 1, rcvbuf = 8 << 20;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 7)
		goto usage;
	port = arg_num(argv[2], 1, 65535);
	count = arg_num(argv[3], 1, 1 << 20);
	secs = arg_num(argv[4], 1, 3600);
	nport = arg_num(argv[6], 1, 65535);
	ifindex = if_nametoindex(argv[1]);
	memset(&na, 0, sizeof(na));
	na.sin_family = AF_INET;
	na.sin_port = htons((uint16_t)nport);
	if (port < 0 || count < 0 || secs < 0 || nport < 0 ||
	    inet_pton(AF_INET, argv[5], &na.sin_addr) != 1)
		goto usage;
	if (!ifindex) {
		printf("fail: no interface %s\n", argv[1]);
		return 1;
	}
	seen = calloc((size_t)count, 1);
	netb_fill_pattern(pat);
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0 || !seen) {
		printf("fail: packet socket: %s\n", strerror(errno));
		return 1;
	}
	sll.sll_family = AF_PACKET;
	sll.sll_protocol = htons(ETH_P_ALL);
	sll.sll_ifindex = (int)ifindex;
	if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
	    setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one))) {
		printf("fail: bind to %s / PACKET_AUXDATA: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ufd = socket(AF_INET, SOCK_DGRAM, 0);
	if (ufd < 0 || sendto(ufd, "ready", 5, 0, (struct sockaddr *)&na, sizeof(na)) != 5) {
		printf("fail: ready to %s:%lld: %s\n", argv[5], nport, strerror(errno));
		return 1;
	}
	t_end = now_ns() + (uint64_t)secs * 1000000000u;
	while (got < (unsigned long)count) {
		union {
			struct cmsghdr h;
			uint8_t b[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
		} ctl;
		struct sockaddr_ll from;
		struct iovec iov = { frame, sizeof(frame) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = &ctl, .msg_controllen = sizeof(ctl),
		};
		struct pollfd p = { .fd = fd, .events = POLLIN };
		const struct tpacket_auxdata *aux = NULL;
		uint64_t t = now_ns();
		int64_t wait_ms = (int64_t)(t_end - t) / 1000000;
		size_t len, ihl, ip_len, ulen;
		uint8_t *u;
		uint32_t seq;
		ssize_t n;

		if (t >= t_end)
			break;
		if (first && wait_ms > IDLE_MS)
			wait_ms = IDLE_MS;
		if (poll(&p, 1, (int)wait_ms) <= 0)
			break;
		n = recvmsg(fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 || from.sll_pkttype == PACKET_OUTGOING)
			continue;	/* frames to the guest are not ours */
		len = (size_t)n;
		/* Ours: IPv4, UDP, to PORT. */
		if (len < 42 || get16(frame + 12) != ETHERTYPE_IP || (frame[14] >> 4) != 4 ||
		    frame[23] != IPPROTO_UDP)
			continue;
		ihl = (size_t)(frame[14] & 15) * 4;
		if (ihl < 20 || len < 14 + ihl + 8 || get16(frame + 14 + ihl + 2) != port)
			continue;
		if (!first)
			first = now_ns();
		if (len > sizeof(frame)) {
			bad("longer than 65,536 bytes", len);
			continue;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
			if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA)
				aux = (const void *)CMSG_DATA(c);
		if (!aux) {
			bad("no aux data", len);
			continue;
		}
		ip_len = get16(frame + 16);
		if (ip_len < ihl + 8 || 14 + ip_len != len) {
			bad("IP length does not match the frame", len);
			continue;
		}
		if (csum_fold(csum_add(0, frame + 14, ihl)) != 0) {
			bad("IP header checksum wrong", len);
			continue;
		}
		u = frame + 14 + ihl;
		ulen = get16(u + 4);
		if (ulen != ip_len - ihl) {
			bad("UDP length does not match IP's", len);
			continue;
		}
		if (aux->tp_status & TP_STATUS_CSUMNOTREADY) {
			/* The field holds the pseudo-header sum: summing the
			 * UDP header and data over it gives the checksum. */
			uint16_t c = csum_fold(csum_add(0, u, ulen));

			if (!c)
				c = 0xffff;	/* 0 would mean none */
			u[6] = (uint8_t)(c >> 8);
			u[7] = (uint8_t)c;
			partial++;
		}
		{
			uint32_t s = csum_add(0, frame + 26, 8);	/* addresses */

			s += IPPROTO_UDP + (uint32_t)ulen;
			if (get16(u + 6) == 0 || csum_fold(csum_add(s, u, ulen)) != 0) {
				bad(aux->tp_status & TP_STATUS_CSUMNOTREADY ?
				    "UDP checksum wrong once completed" : "UDP checksum wrong", len);
				continue;
			}
		}
		if (netb_udp_check(u + 8, (uint32_t)(ulen - 8), &seq, pat) ||
		    seq >= (uint64_t)count) {
			bad("payload is not the datagram it says", len);
			continue;
		}
		if (seen[seq]) {
			bad("datagram came twice", len);
			continue;
		}
		seen[seq] = 1;
		got++;
		if (len > PAGE)
			multi++;
		if (len > largest)
			largest = len;
		printf("frame %u: %zu bytes%s, ok\n", seq, len,
		       aux->tp_status & TP_STATUS_CSUMNOTREADY ? ", partial checksum completed" : "");
	}
	printf("%s: %lu frames of %lld, %lu with a partial checksum completed, %lu over one page (largest %zu bytes), bad %lu\n",
	       got == (unsigned long)count && !nbad ? "ok" : "fail", got, count, partial, multi,
	       largest, nbad);
	return got == (unsigned long)count && !nbad ? 0 : 1;
usage:
	fprintf(stderr, "usage: pvk-net-vifrx IFACE PORT COUNT SECONDS NOTIFY_HOST NOTIFY_PORT\n");
	return 2;
}
