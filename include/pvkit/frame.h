/*
 * pvkit/frame.h - frame numbers that cannot be mixed up.
 *
 * A PV guest juggles three kinds of page frame number that are all 64-bit
 * integers underneath:
 *   pvk_pfn_t  pseudo-physical frame: the guest's own contiguous view of RAM;
 *   pvk_mfn_t  machine frame: the real frame Xen gave us, used in page tables;
 *   pvk_gfn_t  guest frame as a backend or Xen's grant code sees it (for a PV
 *              guest this is the machine frame, for HVM the pseudo-physical).
 * Each is a distinct sparse "bitwise" type: `make C=1` refuses arithmetic on
 * them and assignments between them. Convert only through the named
 * functions below, so every crossing is visible in the source.
 */
#ifndef PVKIT_FRAME_H
#define PVKIT_FRAME_H

#include <pvkit/types.h>

typedef uint64_t __pvk_bitwise pvk_pfn_t;
typedef uint64_t __pvk_bitwise pvk_mfn_t;
typedef uint64_t __pvk_bitwise pvk_gfn_t;

#define PVK_INVALID_RAW_FRAME (~0ULL)

static inline pvk_pfn_t pvk_pfn(uint64_t raw)   { return (__pvk_force pvk_pfn_t)raw; }
static inline pvk_mfn_t pvk_mfn(uint64_t raw)   { return (__pvk_force pvk_mfn_t)raw; }
static inline pvk_gfn_t pvk_gfn(uint64_t raw)   { return (__pvk_force pvk_gfn_t)raw; }

static inline uint64_t pvk_pfn_raw(pvk_pfn_t f) { return (__pvk_force uint64_t)f; }
static inline uint64_t pvk_mfn_raw(pvk_mfn_t f) { return (__pvk_force uint64_t)f; }
static inline uint64_t pvk_gfn_raw(pvk_gfn_t f) { return (__pvk_force uint64_t)f; }

static inline bool pvk_pfn_eq(pvk_pfn_t a, pvk_pfn_t b) { return pvk_pfn_raw(a) == pvk_pfn_raw(b); }
static inline bool pvk_mfn_eq(pvk_mfn_t a, pvk_mfn_t b) { return pvk_mfn_raw(a) == pvk_mfn_raw(b); }

/* For a PV guest the frame it hands to Xen and backends is the machine frame. */
static inline pvk_gfn_t pvk_pv_mfn_to_gfn(pvk_mfn_t m) { return pvk_gfn(pvk_mfn_raw(m)); }

#endif /* PVKIT_FRAME_H */
