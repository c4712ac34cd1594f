/*
 * pvkit/xen/io/xs_wire.h - the xenstore wire protocol (Xen's
 * io/xs_wire.h): message header and types, the shared ring page a domU
 * talks to xenstored through (its frame and event channel come from
 * start_info), size limits, and the error names xenstored sends back.
 */
#ifndef PVKIT_XEN_IO_XS_WIRE_H
#define PVKIT_XEN_IO_XS_WIRE_H

#include <pvkit/types.h>
#include <pvkit/xen/errno.h>

/* pvk_xsd_sockmsg.type */
enum pvk_xsd_sockmsg_type {
	PVK_XS_CONTROL,
	PVK_XS_DIRECTORY,
	PVK_XS_READ,
	PVK_XS_GET_PERMS,
	PVK_XS_WATCH,
	PVK_XS_UNWATCH,
	PVK_XS_TRANSACTION_START,
	PVK_XS_TRANSACTION_END,
	PVK_XS_INTRODUCE,
	PVK_XS_RELEASE,
	PVK_XS_GET_DOMAIN_PATH,
	PVK_XS_WRITE,
	PVK_XS_MKDIR,
	PVK_XS_RM,
	PVK_XS_SET_PERMS,
	PVK_XS_WATCH_EVENT,		/* unsolicited: a watch fired */
	PVK_XS_ERROR,			/* reply: payload is an error name */
	PVK_XS_IS_DOMAIN_INTRODUCED,
	PVK_XS_RESUME,
	PVK_XS_SET_TARGET,
	/* 20 was XS_RESTRICT, removed */
	PVK_XS_RESET_WATCHES = PVK_XS_SET_TARGET + 2,
	PVK_XS_DIRECTORY_PART,
	PVK_XS_TYPE_COUNT,		/* number of valid types */
	PVK_XS_INVALID = 0xffff		/* never a valid type */
};

/*
 * The one number below PVK_XS_TYPE_COUNT that is no type: XS_RESTRICT,
 * removed from the protocol (Xen's enum skips it, naming it in a comment).
 */
#define PVK_XS_RESTRICT_REMOVED	(PVK_XS_SET_TARGET + 1)
#define PVK_XS_DEBUG PVK_XS_CONTROL

/* Payload words of an XS_WATCH_EVENT: path, then token. */
enum pvk_xs_watch_type {
	PVK_XS_WATCH_PATH = 0,
	PVK_XS_WATCH_TOKEN
};

/* Legacy write modes (first payload string of an old-style write). */
#define PVK_XS_WRITE_NONE		"NONE"
#define PVK_XS_WRITE_CREATE		"CREATE"
#define PVK_XS_WRITE_CREATE_EXCL	"CREATE|EXCL"

/* Both rings are this size; indices are free-running. */
#define PVK_XENSTORE_RING_SIZE	1024
#define PVK_MASK_XENSTORE_IDX(idx) ((idx) & (PVK_XENSTORE_RING_SIZE - 1))

/* Limits: a payload over PAYLOAD_MAX is a protocol violation. */
#define PVK_XENSTORE_PAYLOAD_MAX	4096
#define PVK_XENSTORE_ABS_PATH_MAX	3072
#define PVK_XENSTORE_REL_PATH_MAX	2048

/* pvk_xenstore_domain_interface.server_features */
#define PVK_XENSTORE_SERVER_FEATURE_RECONNECTION	1
#define PVK_XENSTORE_SERVER_FEATURE_ERROR		2

/* pvk_xenstore_domain_interface.connection */
#define PVK_XENSTORE_CONNECTED	0
#define PVK_XENSTORE_RECONNECT	1

/* pvk_xenstore_domain_interface.error */
#define PVK_XENSTORE_ERROR_NONE		0
#define PVK_XENSTORE_ERROR_COMM		1
#define PVK_XENSTORE_ERROR_RINGIDX	2
#define PVK_XENSTORE_ERROR_PROTO	3

typedef uint32_t pvk_xenstore_ring_idx_t;

/* Every message, either way: this header, then len bytes of payload. */
struct pvk_xsd_sockmsg {
	uint32_t type;			/* enum pvk_xsd_sockmsg_type */
	uint32_t req_id;		/* echoed in the reply */
	uint32_t tx_id;			/* transaction, 0 if none */
	uint32_t len;			/* payload bytes */
};

/* The xenstore ring page. */
struct pvk_xenstore_domain_interface {
	char req[PVK_XENSTORE_RING_SIZE];	/* guest -> xenstored */
	char rsp[PVK_XENSTORE_RING_SIZE];	/* replies and watch events */
	pvk_xenstore_ring_idx_t req_cons, req_prod;
	pvk_xenstore_ring_idx_t rsp_cons, rsp_prod;
	uint32_t server_features;	/* PVK_XENSTORE_SERVER_FEATURE_* */
	uint32_t connection;		/* PVK_XENSTORE_CONNECTED/RECONNECT */
	uint32_t error;			/* PVK_XENSTORE_ERROR_* */
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_xenstore_domain_interface) != 2076);

/*
 * An XS_ERROR reply carries an error's name ("ENOENT"); this table maps
 * the names xenstored uses to Xen errno values. Order as Xen's: new
 * errors are only ever appended.
 */
struct pvk_xsd_errors {
	int32_t errnum;
	const char *errstring;
};

static const struct pvk_xsd_errors pvk_xsd_errors[] __pvk_unused = {
	{ PVK_XEN_EINVAL,	"EINVAL" },
	{ PVK_XEN_EACCES,	"EACCES" },
	{ PVK_XEN_EEXIST,	"EEXIST" },
	{ PVK_XEN_EISDIR,	"EISDIR" },
	{ PVK_XEN_ENOENT,	"ENOENT" },
	{ PVK_XEN_ENOMEM,	"ENOMEM" },
	{ PVK_XEN_ENOSPC,	"ENOSPC" },
	{ PVK_XEN_EIO,		"EIO" },
	{ PVK_XEN_ENOTEMPTY,	"ENOTEMPTY" },
	{ PVK_XEN_ENOSYS,	"ENOSYS" },
	{ PVK_XEN_EROFS,	"EROFS" },
	{ PVK_XEN_EBUSY,	"EBUSY" },
	{ PVK_XEN_EAGAIN,	"EAGAIN" },
	{ PVK_XEN_EISCONN,	"EISCONN" },
	{ PVK_XEN_E2BIG,	"E2BIG" },
	{ PVK_XEN_EPERM,	"EPERM" },
};

#endif /* PVKIT_XEN_IO_XS_WIRE_H */
