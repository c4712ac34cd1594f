/*
 * pvkit/blkfront.h - the PV block frontend: the block interface a host
 * kernel uses for the virtual disks (vbd devices) the toolstack gave it.
 *
 * The kit finds each device/vbd/N on xenbus, negotiates with the
 * backend (blkback), and once the backend is Connected the disk can be
 * read and written here. Requests are asynchronous: pvk_blkfront_submit()
 * queues one on the shared ring and returns; its done() callback runs
 * once with the status. At most pvk_blkfront_info()->depth requests are
 * outstanding per device; past that submit says -PVK_XEN_EAGAIN (wait
 * for a completion, then submit again). pvk_blkfront_rw_sync() does one
 * request and waits for it (bounded), for simple kernels.
 *
 * The backend is untrusted: data goes through whole bounce pages of the
 * kit's (zeroed before each use, so nothing of ours beyond the request is
 * ever visible to it); each response is copied once and checked against
 * the requests outstanding; one it cannot have sent marks the device
 * broken: a clear log line, every outstanding and future request fails
 * with -PVK_XEN_EIO, and the rest of the guest runs on.
 *
 * Implemented: one-page ring (32 requests), direct requests of up to 11
 * segments (PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST pages), read, write, cache
 * flush (feature-flush-cache), sector-size and read-only info, clean close
 * when the backend closes. Not yet implemented, and so never negotiated:
 * multi-page rings (ring-page-order), multi-queue, persistent grants,
 * indirect descriptors, barriers, discard, online resize, hotplug beyond
 * the probe of devices xenbus reports.
 *
 * Status values: 0, -PVK_XEN_EIO (backend error or device broken),
 * -PVK_XEN_EOPNOTSUPP (the backend does not support the operation),
 * -PVK_XEN_ENODEV (the device closed), -PVK_XEN_EROFS (write to a
 * read-only disk), -PVK_XEN_EINVAL (a request the protocol cannot carry).
 */
#ifndef PVKIT_BLKFRONT_H
#define PVKIT_BLKFRONT_H

#include <pvkit/types.h>

struct pvk_blkfront;

enum pvk_blk_op {
	PVK_BLK_READ,
	PVK_BLK_WRITE,
	PVK_BLK_FLUSH,		/* the backend's write cache to stable storage */
};

/*
 * One request, owned by the host until done() ran. buf/len: any address,
 * len a multiple of the disk's sector size; the data is laid out in the
 * backend's pages at the buffer's offset within a page (rounded down to
 * 512 bytes), so len plus that offset must fit in
 * PVK_BLKIF_MAX_SEGMENTS_PER_REQUEST pages (pvk_blkfront_fits()). Flush
 * takes neither buf nor sector.
 */
struct pvk_blk_req {
	enum pvk_blk_op op;
	uint64_t sector;		/* in 512-byte units, as the protocol */
	void *buf;
	size_t len;
	/* Runs once, in event-handler context (must not sleep) or inside
	 * pvk_blkfront_poll()/submit's caller when the device fails. */
	void (*done)(struct pvk_blk_req *req, int status);
	void *arg;			/* the host's */
};

struct pvk_blkfront_info {
	unsigned int vdev;		/* the xenbus id: 51712 is xvda */
	uint64_t sectors;		/* size in 512-byte sectors */
	unsigned int sector_size;	/* the backend's logical sector size */
	unsigned int vdisk_info;	/* PVK_VDISK_* */
	bool flush;			/* feature-flush-cache */
	unsigned int depth;		/* requests outstanding at most */
	unsigned int max_segments;
};

struct pvk_blkfront_stats {
	uint64_t requests;		/* sent to the backend */
	uint64_t segments;
	uint64_t grants;		/* grants issued (one per segment) */
	uint64_t notify_sent;		/* event channel sends */
	uint64_t notify_recv;		/* events received */
	uint64_t responses;
	uint64_t errors;		/* responses with an error status */
	uint64_t eagain;		/* submits refused: queue full */
};

/* Registers the vbd driver with xenbus (once; later calls return 0). */
int pvk_blkfront_init(void);

/* Waits (bounded, running xenstore watches) until disk vdev is connected. */
int pvk_blkfront_wait_connected(unsigned int vdev, uint64_t timeout_ns,
				struct pvk_blkfront **out);

const struct pvk_blkfront_info *pvk_blkfront_info(const struct pvk_blkfront *dev);
bool pvk_blkfront_fits(const struct pvk_blkfront *dev, const void *buf, size_t len);

/* 0: queued, done() will run. Else nothing was queued and done() will
 * not run: -PVK_XEN_EAGAIN (queue full), or a status as above. */
int pvk_blkfront_submit(struct pvk_blkfront *dev, struct pvk_blk_req *req);

/* Processes responses now (a host polling with events masked). */
void pvk_blkfront_poll(struct pvk_blkfront *dev);

/* One request, waited for (at most timeout_ns; then the device is marked
 * broken and the request failed). Returns its status. Thread context. */
int pvk_blkfront_rw_sync(struct pvk_blkfront *dev, enum pvk_blk_op op,
			 uint64_t sector, void *buf, size_t len,
			 uint64_t timeout_ns);

/* Waits (bounded) until fewer than depth requests are outstanding. */
int pvk_blkfront_wait_slot(struct pvk_blkfront *dev, uint64_t timeout_ns);

void pvk_blkfront_get_stats(const struct pvk_blkfront *dev,
			    struct pvk_blkfront_stats *out);
/* Whether the device was marked broken (a misbehaving backend). */
bool pvk_blkfront_broken(const struct pvk_blkfront *dev);

#endif /* PVKIT_BLKFRONT_H */
