/*
 * frontends/xenbus/xs_reply.c - what a xenstore reply means.
 *
 * Bodies reach here already copied out of the ring and NUL-terminated by
 * the ring consumer (xs_ring.c), with their length; these checks use the
 * length, never the terminator the peer may or may not have sent.
 */
#include <pvkit/xen/errno.h>

#include "xs_proto.h"

int pvk_xs_error_to_errno(const char *name, uint32_t len)
{
	/* The peer's body may or may not include the terminating NUL. */
	if (len && name[len - 1] == '\0')
		len--;
	for (size_t i = 0; i < PVK_ARRAY_SIZE(pvk_xsd_errors); i++) {
		const char *e = pvk_xsd_errors[i].errstring;
		uint32_t n = 0;

		while (e[n])
			n++;
		if (n != len)
			continue;
		for (n = 0; n < len && e[n] == name[n]; n++)
			;
		if (n == len)
			return -pvk_xsd_errors[i].errnum;
	}
	return -PVK_XEN_EIO;
}

int pvk_xs_reply_check(const struct pvk_xsd_sockmsg *hdr, const char *body,
		       uint32_t sent)
{
	if (hdr->type == PVK_XS_ERROR)
		return pvk_xs_error_to_errno(body, hdr->len);
	if (hdr->type != sent)
		return -PVK_XEN_EIO;
	return 0;
}

int pvk_xs_count_strings(const char *body, uint32_t len)
{
	int count = 0;

	if (len && body[len - 1] != '\0')
		return -PVK_XEN_EIO;
	for (uint32_t i = 0; i < len; i++)
		if (body[i] == '\0')
			count++;
	return count;
}

const char *pvk_xs_string_at(const char *body, uint32_t len, unsigned int index)
{
	uint32_t i = 0;

	if (pvk_xs_count_strings(body, len) <= (int)index)
		return NULL;
	while (index--) {
		while (body[i])
			i++;
		i++;
	}
	return body + i;
}

int pvk_xs_watch_reply_ok(int rc)
{
	/* Our tokens are unique per registration: xenstored has exactly
	 * this watch already. Usually a frontend registered its moved
	 * watch during the parts' resume and the later rewatch finds it
	 * (review s13 N2); or the rewatch sent it first. */
	return rc == -PVK_XEN_EEXIST ? 0 : rc;
}
