/*
 * frontends/blkfront/blkfront_ring.c - entries of a blkif ring spread
 * over separately allocated pages (ring-page-order > 0).
 *
 * The shared ring is one range of bytes to the backend (it maps the ring
 * pages contiguously), but our pages need not be contiguous in our own
 * address space: the kit hands out single pages. So entries are copied in
 * and out by byte offset, split where they cross a page. The header
 * (indices, event thresholds) lies in page 0 and is used through the
 * ring.h macros on struct pvk_blkif_front_ring. Pure: no kit calls.
 */
#include "blkfront_internal.h"

#define ENTRY	sizeof(union pvk_blkif_sring_entry)

uint32_t blkfront_ring_entries(unsigned int nr_pages)
{
	return pvk_ring_entries((size_t)nr_pages * BLKFRONT_PAGE, ENTRY);
}

/* Copies n bytes at ring byte offset off to (to_ring) or from buf. */
static void ring_copy(void *const *pages, size_t off, void *buf, size_t n,
		      bool to_ring)
{
	uint8_t *b = buf;

	while (n) {
		uint8_t *p = (uint8_t *)pages[off / BLKFRONT_PAGE] + off % BLKFRONT_PAGE;
		size_t k = BLKFRONT_PAGE - off % BLKFRONT_PAGE;

		if (k > n)
			k = n;
		if (to_ring)
			__builtin_memcpy(p, b, k);
		else
			__builtin_memcpy(b, p, k);
		b += k;
		off += k;
		n -= k;
	}
}

static size_t entry_off(uint32_t nr_ents, uint32_t idx)
{
	return PVK_RING_HEADER_SIZE + (size_t)(idx & (nr_ents - 1)) * ENTRY;
}

void blkfront_ring_put_request(void *const *pages, uint32_t nr_ents,
			       uint32_t idx, const struct pvk_blkif_request *rq)
{
	ring_copy(pages, entry_off(nr_ents, idx), (void *)rq, sizeof(*rq), true);
}

/* Read once into rsp: the backend may change the entry meanwhile, we
 * only ever look at our copy. */
void blkfront_ring_get_response(void *const *pages, uint32_t nr_ents,
				uint32_t idx, struct pvk_blkif_response *rsp)
{
	ring_copy(pages, entry_off(nr_ents, idx), rsp, sizeof(*rsp), false);
}

void blkfront_ring_get_request(void *const *pages, uint32_t nr_ents,
			       uint32_t idx, struct pvk_blkif_request *rq)
{
	ring_copy(pages, entry_off(nr_ents, idx), rq, sizeof(*rq), false);
}

void blkfront_ring_put_response(void *const *pages, uint32_t nr_ents,
				uint32_t idx, const struct pvk_blkif_response *rsp)
{
	ring_copy(pages, entry_off(nr_ents, idx), (void *)rsp, sizeof(*rsp), true);
}
