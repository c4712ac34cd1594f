/*
 * tests/xen/dom0-tools/hostile-back/net_frames.c - the frames the network
 * backend makes for the guest's small netstack (tests/guest/netstack.c):
 * an ARP request for the guest's address (it answers and learns our MAC)
 * and UDP datagrams to its echo port with real IPv4 and UDP checksums (it
 * verifies them and sends each back), and the recognition of its answers.
 */
#include <string.h>
#include "net.h"
#include "../inet-csum.h"

#define ETH_P_IP	0x0800u
#define ETH_P_ARP	0x0806u
#define UDP_ECHO_PORT	7u
#define UDP_SRC_PORT	40007u

static void put16(uint8_t *p, unsigned int v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void eth_header(const struct net_back *nb, uint8_t *f, const uint8_t *dst,
		       unsigned int type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, nb->my_mac, 6);
	put16(f + 12, type);
}

size_t net_frame_arp_request(const struct net_back *nb, uint8_t *f)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	memset(f, 0, 60);
	eth_header(nb, f, bcast, ETH_P_ARP);
	put16(f + 14, 1);		/* Ethernet */
	put16(f + 16, ETH_P_IP);
	f[18] = 6;
	f[19] = 4;
	put16(f + 20, 1);		/* request */
	memcpy(f + 22, nb->my_mac, 6);
	memcpy(f + 28, nb->my_ip, 4);
	memcpy(f + 38, nb->guest_ip, 4);
	return 60;
}

size_t net_frame_udp(struct net_back *nb, uint8_t *f, size_t payload)
{
	uint8_t *ip = f + 14, *udp = f + 34;
	size_t ulen = 8 + payload;
	uint32_t sum;

	eth_header(nb, f, nb->guest_mac, ETH_P_IP);
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (unsigned int)(20 + ulen));
	put16(ip + 4, nb->udp_seq & 0xffff);
	ip[8] = 64;
	ip[9] = 17;
	memcpy(ip + 12, nb->my_ip, 4);
	memcpy(ip + 16, nb->guest_ip, 4);
	put16(ip + 10, csum_fold(csum_add(0, ip, 20)));
	put16(udp, UDP_SRC_PORT);
	put16(udp + 2, UDP_ECHO_PORT);
	put16(udp + 4, (unsigned int)ulen);
	put16(udp + 6, 0);
	for (size_t i = 0; i < payload; i++)
		udp[8 + i] = (uint8_t)(i * 13 + nb->udp_seq);
	nb->udp_seq++;
	/* Pseudo-header: addresses, protocol, UDP length. */
	sum = csum_add(0, ip + 12, 8) + 17 + (uint32_t)ulen;
	sum = csum_fold(csum_add(sum, udp, ulen));
	put16(udp + 6, sum ? sum : 0xffff);
	return 14 + 20 + ulen;
}

bool net_frame_is_echo(const struct net_back *nb, const uint8_t *f, size_t len)
{
	return len >= 42 && get16(f + 12) == ETH_P_IP && f[23] == 17 &&
	       !memcmp(f + 26, nb->guest_ip, 4) && !memcmp(f + 30, nb->my_ip, 4) &&
	       get16(f + 34) == UDP_ECHO_PORT && get16(f + 36) == UDP_SRC_PORT;
}

bool net_frame_is_arp_reply(const struct net_back *nb, const uint8_t *f, size_t len)
{
	return len >= 42 && get16(f + 12) == ETH_P_ARP && get16(f + 20) == 2 &&
	       !memcmp(f + 28, nb->guest_ip, 4);
}
