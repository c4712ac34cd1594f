/*
 * pvkit/xen/io/netif.h - the PV network device protocol (Xen's
 * io/netif.h): transmit and receive rings with their request/response
 * formats and flags, "extra info" slots (GSO, multicast filter, hash),
 * and the optional control ring used to configure hashing.
 *
 * A packet on the tx ring is one request per grant (NETTXF_more_data
 * chains them), optionally followed by extra-info slots (NETTXF_extra_info).
 */
#ifndef PVKIT_XEN_IO_NETIF_H
#define PVKIT_XEN_IO_NETIF_H

#include <pvkit/xen/io/ring.h>
#include <pvkit/xen/grant_table.h>

/* A backend accepts packets of at least this many slots. */
#define PVK_XEN_NETIF_NR_SLOTS_MIN	18

/* Largest packet one tx request chain may describe. */
#define PVK_XEN_NETIF_MAX_TX_SIZE	0xFFFF

/* pvk_netif_tx_request.flags */
#define PVK_NETTXF_csum_blank		(1U << 0)	/* checksum left for the backend */
#define PVK_NETTXF_data_validated	(1U << 1)
#define PVK_NETTXF_more_data		(1U << 2)	/* packet continues in the next request */
#define PVK_NETTXF_extra_info		(1U << 3)	/* extra-info slot(s) follow */

/* pvk_netif_rx_response.flags */
#define PVK_NETRXF_data_validated	(1U << 0)
#define PVK_NETRXF_csum_blank		(1U << 1)
#define PVK_NETRXF_more_data		(1U << 2)
#define PVK_NETRXF_extra_info		(1U << 3)
#define PVK_NETRXF_gso_prefix		(1U << 4)	/* deprecated */

/* pvk_netif_tx_response.status, pvk_netif_rx_response.status (rx: < 0) */
#define PVK_NETIF_RSP_DROPPED		-2
#define PVK_NETIF_RSP_ERROR		-1
#define PVK_NETIF_RSP_OKAY		0
#define PVK_NETIF_RSP_NULL		1	/* no response: an extra-info slot */

/* pvk_netif_extra_info.type */
#define PVK_XEN_NETIF_EXTRA_TYPE_NONE		(0)
#define PVK_XEN_NETIF_EXTRA_TYPE_GSO		(1)	/* u.gso */
#define PVK_XEN_NETIF_EXTRA_TYPE_MCAST_ADD	(2)	/* u.mcast */
#define PVK_XEN_NETIF_EXTRA_TYPE_MCAST_DEL	(3)	/* u.mcast */
#define PVK_XEN_NETIF_EXTRA_TYPE_HASH		(4)	/* u.hash */
#define PVK_XEN_NETIF_EXTRA_TYPE_MAX		(5)

/* pvk_netif_extra_info.flags: another extra-info slot follows */
#define PVK_XEN_NETIF_EXTRA_FLAG_MORE	(1U << 0)

/* pvk_netif_extra_info.u.gso.type */
#define PVK_XEN_NETIF_GSO_TYPE_NONE	(0)
#define PVK_XEN_NETIF_GSO_TYPE_TCPV4	(1)
#define PVK_XEN_NETIF_GSO_TYPE_TCPV6	(2)

/* Control ring: hash types (bits) and algorithms. */
#define PVK_XEN_NETIF_CTRL_HASH_TYPE_IPV4	(1 << 0)
#define PVK_XEN_NETIF_CTRL_HASH_TYPE_IPV4_TCP	(1 << 1)
#define PVK_XEN_NETIF_CTRL_HASH_TYPE_IPV6	(1 << 2)
#define PVK_XEN_NETIF_CTRL_HASH_TYPE_IPV6_TCP	(1 << 3)
#define PVK_XEN_NETIF_CTRL_HASH_ALGORITHM_NONE		0
#define PVK_XEN_NETIF_CTRL_HASH_ALGORITHM_TOEPLITZ	1

/* pvk_xen_netif_ctrl_request.type */
#define PVK_XEN_NETIF_CTRL_TYPE_INVALID			0
#define PVK_XEN_NETIF_CTRL_TYPE_GET_HASH_FLAGS		1
#define PVK_XEN_NETIF_CTRL_TYPE_SET_HASH_FLAGS		2
#define PVK_XEN_NETIF_CTRL_TYPE_SET_HASH_KEY		3
#define PVK_XEN_NETIF_CTRL_TYPE_GET_HASH_MAPPING_SIZE	4
#define PVK_XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING_SIZE	5
#define PVK_XEN_NETIF_CTRL_TYPE_SET_HASH_MAPPING	6
#define PVK_XEN_NETIF_CTRL_TYPE_SET_HASH_ALGORITHM	7
#define PVK_XEN_NETIF_CTRL_TYPE_GET_GREF_MAPPING_SIZE	8
#define PVK_XEN_NETIF_CTRL_TYPE_ADD_GREF_MAPPING	9
#define PVK_XEN_NETIF_CTRL_TYPE_DEL_GREF_MAPPING	10

/* pvk_xen_netif_ctrl_response.status */
#define PVK_XEN_NETIF_CTRL_STATUS_SUCCESS		0
#define PVK_XEN_NETIF_CTRL_STATUS_NOT_SUPPORTED		1
#define PVK_XEN_NETIF_CTRL_STATUS_INVALID_PARAMETER	2
#define PVK_XEN_NETIF_CTRL_STATUS_BUFFER_OVERFLOW	3

/* pvk_xen_netif_gref.flags */
#define PVK_XEN_NETIF_CTRLF_GREF_readonly	(1U << 0)

#ifndef __ASSEMBLY__

/* Transmit: send size bytes at offset in the granted page (first slot: whole packet size). */
struct pvk_netif_tx_request {
	pvk_grant_ref_t gref;
	uint16_t offset;
	uint16_t flags;			/* PVK_NETTXF_* */
	uint16_t id;			/* echoed in the response */
	uint16_t size;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_netif_tx_request) != 12);

struct pvk_netif_tx_response {
	uint16_t id;
	int16_t status;			/* PVK_NETIF_RSP_* */
};

/* An extra-info slot, in place of a request or response. */
struct pvk_netif_extra_info {
	uint8_t type;			/* PVK_XEN_NETIF_EXTRA_TYPE_* */
	uint8_t flags;			/* PVK_XEN_NETIF_EXTRA_FLAG_* */
	union {
		struct {
			uint16_t size;		/* MSS */
			uint8_t type;		/* PVK_XEN_NETIF_GSO_TYPE_* */
			uint8_t pad;
			uint16_t features;
		} gso;
		struct {
			uint8_t addr[6];	/* multicast MAC */
		} mcast;
		struct {
			uint8_t type;		/* PVK_XEN_NETIF_CTRL_HASH_TYPE_* bit number */
			uint8_t algorithm;
			uint8_t value[4];
		} hash;
		uint16_t pad[3];
	} u;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_netif_extra_info) != 8);

/* Receive: a page (by grant) the backend may fill. */
struct pvk_netif_rx_request {
	uint16_t id;
	uint16_t pad;
	pvk_grant_ref_t gref;
};

/* status: bytes received (>= 0) or PVK_NETIF_RSP_* (< 0). */
struct pvk_netif_rx_response {
	uint16_t id;
	uint16_t offset;
	uint16_t flags;			/* PVK_NETRXF_* */
	int16_t status;
};

PVK_DEFINE_RING_TYPES(netif_tx, struct pvk_netif_tx_request,
		      struct pvk_netif_tx_response);
PVK_DEFINE_RING_TYPES(netif_rx, struct pvk_netif_rx_request,
		      struct pvk_netif_rx_response);

/* Control ring. */
struct pvk_xen_netif_ctrl_request {
	uint16_t id;
	uint16_t type;			/* PVK_XEN_NETIF_CTRL_TYPE_* */
	uint32_t data[3];
};

struct pvk_xen_netif_ctrl_response {
	uint16_t id;
	uint16_t type;
	uint32_t status;		/* PVK_XEN_NETIF_CTRL_STATUS_* */
	uint32_t data;
};

/* An entry of the gref mapping page (ADD/DEL_GREF_MAPPING). */
struct pvk_xen_netif_gref {
	pvk_grant_ref_t ref;
	uint16_t flags;			/* PVK_XEN_NETIF_CTRLF_GREF_* */
	uint16_t status;
};

PVK_DEFINE_RING_TYPES(xen_netif_ctrl, struct pvk_xen_netif_ctrl_request,
		      struct pvk_xen_netif_ctrl_response);

#endif /* !__ASSEMBLY__ */

#endif /* PVKIT_XEN_IO_NETIF_H */
