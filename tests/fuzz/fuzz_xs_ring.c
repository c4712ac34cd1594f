/*
 * tests/fuzz/fuzz_xs_ring.c - libFuzzer target: a hostile xenstored.
 *
 * The input is a script for the peer: each step takes one control byte
 * (how many bytes to append to the response ring this time, 0-255, or a
 * corrupt rsp_prod when the top bits say so) and that many data bytes.
 * After every step the client's ring consumer runs, and every complete
 * message goes through the reply checks the client makes. ASan/UBSan
 * catch any overrun; the asserts catch broken promises (indices past the
 * producer, an unterminated body, a body longer than its limit).
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <pvkit/xen/errno.h>
#include "frontends/xenbus/xs_proto.h"

static struct pvk_xenstore_domain_interface ring;
static struct pvk_xs_rx rx;

static void check_message(void)
{
	uint32_t len = rx.hdr.len;
	int n;

	assert(len <= PVK_XENSTORE_PAYLOAD_MAX);
	assert(rx.body[len] == '\0');
	(void)pvk_xs_reply_check(&rx.hdr, rx.body, PVK_XS_READ);
	n = pvk_xs_count_strings(rx.body, len);
	if (n >= 0) {
		for (int i = 0; i <= n; i++) {
			const char *s = pvk_xs_string_at(rx.body, len, (unsigned int)i);

			assert((i < n) == (s != NULL));
			if (s)
				assert(s >= rx.body && s + strlen(s) < rx.body + len);
		}
	}
	if (rx.hdr.type == PVK_XS_ERROR)
		assert(pvk_xs_error_to_errno(rx.body, len) < 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t i = 0;
	uint32_t start = size >= 4 ? (uint32_t)data[0] << 24 | (uint32_t)data[1] << 16 |
				     (uint32_t)data[2] << 8 | data[3] : 0;

	memset(&ring, 0, sizeof(ring));
	ring.rsp_cons = ring.rsp_prod = start;
	pvk_xs_rx_reset(&rx);
	i = size >= 4 ? 4 : size;
	while (i < size) {
		uint8_t ctl = data[i++];
		int rc;

		if (ctl >= 0xf8) {
			/* A corrupt producer index. */
			ring.rsp_prod += (uint32_t)(ctl - 0xf8) * 0x40000000u + 1;
		} else {
			uint32_t room = PVK_XENSTORE_RING_SIZE - (ring.rsp_prod - ring.rsp_cons);
			uint32_t n = ctl;

			if ((uint32_t)(ring.rsp_prod - ring.rsp_cons) > PVK_XENSTORE_RING_SIZE)
				room = 0;
			if (n > room)
				n = room;
			if (n > size - i)
				n = (uint32_t)(size - i);
			for (uint32_t k = 0; k < n; k++)
				ring.rsp[PVK_MASK_XENSTORE_IDX(ring.rsp_prod + k)] = (char)data[i + k];
			ring.rsp_prod += n;
			i += n;
		}
		uint32_t before = ring.rsp_cons;

		rc = pvk_xs_rx_feed(&rx, &ring);
		/* Never consumes past what was produced. */
		assert((uint32_t)(ring.rsp_cons - before) <= PVK_XENSTORE_RING_SIZE);
		/* A header is judged as soon as it is complete. */
		if (rc >= 0 && rx.have >= sizeof(rx.hdr)) {
			assert(rx.hdr.len <= PVK_XENSTORE_PAYLOAD_MAX);
			assert(rx.have - sizeof(rx.hdr) <= rx.hdr.len);
		}
		if (rc < 0) {
			assert(rc == -PVK_XEN_EIO);
			return 0;	/* the client gives the connection up */
		}
		if (rc == PVK_XS_RX_MESSAGE) {
			check_message();
			pvk_xs_rx_reset(&rx);
		}
	}
	return 0;
}
