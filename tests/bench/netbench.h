/*
 * tests/bench/netbench.h - the network test data and workload, one
 * definition for every side that produces or checks it: dom0's tools
 * (tests/xen/dom0-tools/pvk-net-udp.c, pvk-net-tcp.c), Linux's side of the
 * benchmark (tests/xen/domu/netbench.c) and the kit's netfront tests in
 * the reference guest, so a guest can produce the very bytes dom0 checks.
 *
 * The data comes from one pattern table: NETB_PAT_LEN bytes drawn from a
 * splitmix64 generator, stored twice in a row (netb_fill_pattern) so that
 * any run of up to NETB_PAT_LEN bytes starting anywhere in the first copy
 * is contiguous: producing and checking are memcpy and memcmp. The length
 * is a prime, so a datagram or stream shifted by a page, a power of two or
 * any offset short of NETB_PAT_LEN does not match by accident.
 *
 * A UDP datagram of the tests is NETB_HDR_LEN..NETB_MAX_UDP bytes:
 *   0..3  sequence number, little endian
 *   4..5  the datagram's own length, little endian (truncation shows)
 *   6..7  netb_hdr_check(seq, len), little endian (a header hit by noise)
 *   8..   pattern bytes from netb_udp_start(seq) on
 * A TCP stream of the tests is the pattern from offset 0, wrapping:
 * stream byte o is pattern[o % NETB_PAT_LEN].
 *
 * Plain C with no includes: the includer provides uint8_t, uint16_t,
 * uint32_t and uint64_t. Nothing here allocates or calls a library.
 */
#ifndef PVK_TESTS_BENCH_NETBENCH_H
#define PVK_TESTS_BENCH_NETBENCH_H

#define NETB_PAT_LEN	65521u	/* largest prime below 2^16 */
#define NETB_HDR_LEN	8u
/* The largest UDP payload IPv4 carries: 65535 - 20 (IP) - 8 (UDP). */
#define NETB_MAX_UDP	65507u

/* Fills pat[0 .. 2 * NETB_PAT_LEN - 1]: the table, twice. */
static inline void netb_fill_pattern(uint8_t *pat)
{
	uint64_t s = 0x6e6574666f6e74ULL;	/* "netfont": any fixed seed */

	for (uint32_t i = 0; i < NETB_PAT_LEN; i += 8) {
		/* splitmix64, as tests/bench/blkbench.h's blkb_next */
		uint64_t z = (s += 0x9e3779b97f4a7c15ULL);

		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
		z ^= z >> 31;
		for (uint32_t b = 0; b < 8 && i + b < NETB_PAT_LEN; b++)
			pat[i + b] = (uint8_t)(z >> (8 * b));
	}
	for (uint32_t i = 0; i < NETB_PAT_LEN; i++)
		pat[NETB_PAT_LEN + i] = pat[i];
}

/* Where datagram seq's payload starts in the pattern: differs per seq, so
 * a payload delivered under another datagram's header does not match. */
static inline uint32_t netb_udp_start(uint32_t seq)
{
	return (uint32_t)(((uint64_t)seq * 4099u) % NETB_PAT_LEN);
}

static inline uint16_t netb_hdr_check(uint32_t seq, uint16_t len)
{
	return (uint16_t)(0x5056u ^ seq ^ (seq >> 16) ^ len);	/* "PV" */
}

/* Writes datagram seq of len bytes (NETB_HDR_LEN <= len <= NETB_MAX_UDP)
 * into buf; pat as filled by netb_fill_pattern. */
static inline void netb_udp_fill(uint8_t *buf, uint32_t len, uint32_t seq,
				 const uint8_t *pat)
{
	uint16_t chk = netb_hdr_check(seq, (uint16_t)len);
	const uint8_t *src = pat + netb_udp_start(seq);

	for (int b = 0; b < 4; b++)
		buf[b] = (uint8_t)(seq >> (8 * b));
	buf[4] = (uint8_t)len;
	buf[5] = (uint8_t)(len >> 8);
	buf[6] = (uint8_t)chk;
	buf[7] = (uint8_t)(chk >> 8);
	for (uint32_t i = NETB_HDR_LEN; i < len; i++)
		buf[i] = src[i - NETB_HDR_LEN];
}

/* Checks a received datagram of len bytes, every byte. Returns 0 and sets
 * *seq when it is one of ours, intact; -1 when not (too short or long, a
 * header that does not add up, a payload byte that differs). */
static inline int netb_udp_check(const uint8_t *buf, uint32_t len,
				 uint32_t *seq, const uint8_t *pat)
{
	uint32_t s, l, c;
	const uint8_t *src;

	if (len < NETB_HDR_LEN || len > NETB_MAX_UDP)
		return -1;
	s = (uint32_t)buf[0] | (uint32_t)buf[1] << 8 | (uint32_t)buf[2] << 16 |
	    (uint32_t)buf[3] << 24;
	l = (uint32_t)buf[4] | (uint32_t)buf[5] << 8;
	c = (uint32_t)buf[6] | (uint32_t)buf[7] << 8;
	if (l != len || c != netb_hdr_check(s, (uint16_t)len))
		return -1;
	src = pat + netb_udp_start(s);
	for (uint32_t i = NETB_HDR_LEN; i < len; i++)
		if (buf[i] != src[i - NETB_HDR_LEN])
			return -1;
	*seq = s;
	return 0;
}

/*
 * The benchmark's cases ("bench-net CASE ..."), in the order they run.
 * tx: guest to dom0, rx: dom0 to guest. UDP payload sizes make the frame
 * on the wire (Ethernet 14 + IPv4 20 + UDP 8 + payload, no FCS) 64 and
 * 1,514 bytes: the minimum frame and a full 1,500-byte MTU packet; the
 * TCP streams are where segmentation offload and multi-page (SG) frames
 * come in. The "sg" cases send the largest single frame both frontends
 * and Linux netback take: netback's vif allows an MTU of at most
 * 65,535 - 18 (ETH_MAX_MTU less a VLAN header) when the frontend has
 * feature-sg (Linux netfront takes up to 65,521), so mtu is NETB_SG_MTU
 * on the guest, the vif and the bridge, and a datagram fills it: a frame
 * of 65,531 bytes over 17 pages. They come last, after TCP, so the
 * raised MTU does not change the other cases. Counts keep a case at a
 * second or more under QEMU TCG.
 */
struct netb_case {
	const char *name;	/* printed as "bench-net NAME ..." */
	int tcp;		/* 0: UDP datagrams */
	int rx;			/* 0: guest sends (tx), 1: guest receives */
	uint32_t size;		/* UDP payload bytes; TCP: 0 */
	uint32_t count;		/* UDP datagrams */
	uint64_t bytes;		/* TCP stream bytes */
	uint16_t port;		/* where the receiving side listens */
	uint32_t mtu;		/* IP MTU the case needs; 0: the default 1,500 */
};

#define NETB_PORT_NOTIFY	5099u	/* guest: "dom0's sink is ready" */
#define NETB_SG_MTU	65517u
/* The UDP payload that fills an IP packet of NETB_SG_MTU bytes. */
#define NETB_SG_UDP	(NETB_SG_MTU - 20u - 8u)

static const struct netb_case netb_cases[] = {
	{ "udp-tx-64",   0, 0, 22,   20000, 0,         5001, 0 },
	{ "udp-tx-1500", 0, 0, 1472, 10000, 0,         5002, 0 },
	{ "udp-rx-64",   0, 1, 22,   20000, 0,         5003, 0 },
	{ "udp-rx-1500", 0, 1, 1472, 10000, 0,         5004, 0 },
	{ "tcp-tx",      1, 0, 0,    0,     64u << 20, 5005, 0 },
	{ "tcp-rx",      1, 1, 0,    0,     64u << 20, 5006, 0 },
	{ "udp-tx-sg",   0, 0, NETB_SG_UDP, 2000, 0,   5007, NETB_SG_MTU },
	{ "udp-rx-sg",   0, 1, NETB_SG_UDP, 2000, 0,   5008, NETB_SG_MTU },
};

#define NETB_NR_CASES	(sizeof(netb_cases) / sizeof(netb_cases[0]))

#endif /* PVK_TESTS_BENCH_NETBENCH_H */
