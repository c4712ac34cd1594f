/*
 * tests/guest/netstack.h - the reference guest's network responder: test
 * equipment on the kit's netfront interface (include/pvkit/netfront.h),
 * enough for dom0's ordinary tools to talk to the guest. Not a TCP/IP
 * stack: no routing, no fragments, no TCP, one IPv4 address per interface.
 *
 * Per interface (a struct pvk_netfront and an IPv4 address) it answers, in
 * the rx hook:
 *   ARP requests for its address (and learns the asker's MAC),
 *   ICMPv4 echo requests to it,
 *   UDP datagrams to its echo port (sent back as they came; the payload,
 *     when it is a datagram of tests/bench/netbench.h, checked and counted,
 *     its sequence number marked in seq_seen),
 *   UDP datagrams to its sink port, when set (netbench datagrams checked,
 *     counted, sequence numbers marked in seq_seen; nothing sent back),
 *   IPv6 neighbour solicitations and ICMPv6 echo requests for its
 *     link-local address fe80::/64 with the EUI-64 of its MAC.
 * Frames it does not consume go to a small receive queue the tests read
 * (nst_wait_frame). Received frames come in pieces; they are copied into
 * one buffer first. A checksum the backend left blank (PVK_NET_CSUM_PARTIAL)
 * is not verified, every other one is.
 *
 * The sender side (thread context): nst_resolve (ARP), nst_ping (an echo
 * request, the reply checked byte for byte), nst_udp_send (a datagram,
 * optionally cut into pieces and with its checksum left to the backend).
 *
 * The host's hooks.rx must call nst_rx() for frames of interfaces it
 * attached. Several interfaces may be attached at once (NST_MAX_IFS).
 */
#ifndef PVK_GUEST_NETSTACK_H
#define PVK_GUEST_NETSTACK_H

#include <pvkit/netfront.h>
#include <pvkit/port.h>

#define NST_MAX_IFS	4
#define NST_RXQ		16
#define NST_RXQ_FRAME	9216	/* frames longer than this are not queued */
#define NST_UDP_ECHO	7	/* the echo port, as RFC 862 */
#define NST_SEQS	8192	/* sequence numbers tracked in seq_seen */

/* Counts of one interface; read them as a snapshot. */
struct nst_counts {
	unsigned long rx_frames, rx_bytes;
	unsigned long rx_csum_partial;	/* L4 checksum left blank: not verified */
	unsigned long rx_bad;		/* a header or checksum that does not add up */
	unsigned long rx_queued, rx_queue_full, rx_too_long;
	unsigned long arp_answered, icmp_answered, nd_answered, icmp6_answered;
	unsigned long udp_echoed;	/* datagrams sent back */
	unsigned long udp_echo_intact;	/* of them, netbench datagrams intact */
	unsigned long udp_echo_bad;	/* of them, netbench-sized but wrong */
	unsigned long udp_echo_min, udp_echo_max;	/* payload bytes */
	unsigned long udp_sink;		/* sink datagrams intact */
	unsigned long udp_sink_bad;	/* sink datagrams not intact */
	unsigned long udp_csum_verified;	/* echo or sink: a real UDP
						 * checksum checked here */
	unsigned long seq_dup;		/* a number seq_seen had already */
	unsigned long seq_over;		/* a number >= NST_SEQS */
	unsigned long tx_refused;	/* a reply the driver did not take */
	unsigned long tx_done_ok, tx_done_err;
};

struct nst_if {
	struct pvk_netfront *dev;
	uint8_t mac[PVK_NET_ETH_ALEN];
	uint8_t ip[4];
	uint8_t ip6_ll[16];
	uint16_t udp_echo_port;		/* 0: no UDP echo */
	uint16_t udp_sink_port;		/* 0: no sink; the test sets it */
	/* Sequence numbers of intact echo and sink datagrams seen (the test
	 * clears it before a round; a duplicate counts in c.seq_dup). */
	uint8_t seq_seen[NST_SEQS];
	/* ARP cache of one entry per attached peer address: enough for tests. */
	uint8_t peer_ip[4], peer_mac[PVK_NET_ETH_ALEN];
	bool peer_known;
	struct nst_counts c;
	/* When set: called as each of its sends completes (any context),
	 * with the opts' tag and the driver's status. */
	void (*tx_done_tag)(uint32_t tag, int status);
	/* Receive queue (frames not consumed by the responder). */
	unsigned int q_head, q_tail;
	size_t q_len[NST_RXQ];
	unsigned int q_queue[NST_RXQ];
	enum pvk_net_csum q_csum[NST_RXQ];
	uint8_t q_frame[NST_RXQ][NST_RXQ_FRAME];
	struct pvk_wait wait;
};

/* How nst_udp_send / nst_send_frame put a frame on the wire. */
struct nst_tx_opts {
	unsigned int queue;
	size_t piece;		/* >0: cut into pieces of this many bytes
				 * (the last one takes the rest when more
				 * than PVK_NET_MAX_FRAGS would be needed) */
	size_t first_piece;	/* >0: the first piece is this long */
	bool csum_partial;	/* leave the UDP checksum to the backend */
	bool no_udp_csum;	/* UDP checksum 0 (none, IPv4 allows it) */
	bool more;		/* PVK_NET_TX_MORE: queued, not pushed to the
				 * backend (the next send without it, or
				 * pvk_netfront_kick(), pushes) */
	uint32_t tag;		/* given back to nst_if.tx_done_tag */
};

/* Attaches dev with address ip and UDP echo on echo_port (0: none). The
 * MAC is dev's. nif stays the caller's; at most NST_MAX_IFS at once. */
int nst_attach(struct nst_if *nif, struct pvk_netfront *dev,
	       const uint8_t ip[4], uint16_t echo_port);
/* Stops answering for nif (the device going away). */
void nst_detach(struct nst_if *nif);
/* For the host's hooks.rx: frames of an attached device are handled, others
 * ignored. Returns whether dev is attached. */
bool nst_rx(struct pvk_netfront *dev, const struct pvk_net_rx *frame);
/* A pvk_netfront_hooks.rx that is just nst_rx. */
void nst_rx_hook(struct pvk_netfront *dev, const struct pvk_net_rx *frame);

/* Sends a whole frame (Ethernet header included) as opts says; waits
 * (bounded) for room on the ring. 0 or a negative PVK_XEN_E* status. */
int nst_send_frame(struct nst_if *nif, const uint8_t *frame, size_t len,
		   const struct nst_tx_opts *opts);
/* Waits until every frame sent so far completed (bounded): 0 or -ETIMEDOUT. */
int nst_tx_drain(uint64_t timeout_ns);

/* The MAC of ip (ARP, a few tries within timeout_ns): 0 or -ETIMEDOUT. */
int nst_resolve(struct nst_if *nif, const uint8_t ip[4],
		uint8_t mac[PVK_NET_ETH_ALEN], uint64_t timeout_ns);
/* One echo request of payload bytes to ip (resolved already or now), the
 * reply checked byte for byte (what the responder may choose aside) and its
 * checksums: 0, -ETIMEDOUT (no reply), -EIO (a wrong reply, printed). */
int nst_ping(struct nst_if *nif, const uint8_t ip[4], uint16_t seq,
	     size_t payload, const struct nst_tx_opts *opts,
	     uint64_t timeout_ns);
/* A UDP datagram from sport to ip:dport. 0 or a negative status. */
int nst_udp_send(struct nst_if *nif, const uint8_t ip[4], uint16_t sport,
		 uint16_t dport, const void *data, size_t len,
		 const struct nst_tx_opts *opts);

/* The next queued frame match() accepts, within timeout_ns (others are
 * dropped and counted in *other, may be NULL). The frame stays valid until
 * the next call on nif. NULL on timeout. */
const uint8_t *nst_wait_frame(struct nst_if *nif,
			      bool (*match)(const uint8_t *f, size_t len, void *arg),
			      void *arg, size_t *len, unsigned int *other,
			      uint64_t timeout_ns);

/* The Internet checksum (RFC 1071) folded but not complemented, and
 * complemented: for tests that build or check their own frames. */
uint32_t nst_csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t nst_csum_fold(uint32_t sum);
/* The netbench pattern (filled at the first attach). */
const uint8_t *nst_pattern(void);

#endif /* PVK_GUEST_NETSTACK_H */
