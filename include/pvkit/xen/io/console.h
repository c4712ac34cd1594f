/*
 * pvkit/xen/io/console.h - the PV console ring page (Xen's io/console.h):
 * two byte rings, input from the backend and output to it, each with
 * free-running 32-bit producer/consumer indices. The page's frame and
 * event channel come from start_info (console.domU).
 */
#ifndef PVKIT_XEN_IO_CONSOLE_H
#define PVKIT_XEN_IO_CONSOLE_H

#include <pvkit/types.h>

typedef uint32_t pvk_xencons_ring_idx_t;

/* Index into one of the rings: both sizes are powers of two. */
#define PVK_MASK_XENCONS_IDX(idx, ring) ((idx) & (sizeof(ring) - 1))

struct pvk_xencons_interface {
	char in[1024];			/* backend -> guest */
	char out[2048];			/* guest -> backend */
	pvk_xencons_ring_idx_t in_cons, in_prod;
	pvk_xencons_ring_idx_t out_cons, out_prod;
};
PVK_BUILD_BUG_ON(sizeof(struct pvk_xencons_interface) != 3088);

#endif /* PVKIT_XEN_IO_CONSOLE_H */
