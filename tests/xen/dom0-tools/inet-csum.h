/*
 * tests/xen/dom0-tools/inet-csum.h - the Internet checksum (RFC 1071) as
 * dom0's tools compute it over frames they make or check
 * (pvk-net-vifrx, hostile-back/net_frames.c): big-endian 16-bit words
 * summed, the carries folded in at the end.
 */
#ifndef PVK_INET_CSUM_H
#define PVK_INET_CSUM_H

#include <stddef.h>
#include <stdint.h>

static inline unsigned int get16(const uint8_t *p)
{
	return (unsigned int)p[0] << 8 | p[1];
}

/* Adds len bytes to sum (an odd last byte padded with zero). Unfolded:
 * a 64 KiB frame's words fit in 32 bits. */
static inline uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

/* The checksum field's value: the sum folded to 16 bits, inverted (0
 * when checking data that holds its right checksum). */
static inline uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

#endif /* PVK_INET_CSUM_H */
