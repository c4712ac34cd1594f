/*
 * tests/guest/dom0_answer.c - reading a verdict dom0 left for the guest.
 *
 * A scenario's ON_LINE command runs a check in dom0 (a grant scan, a ping,
 * a disk compare) and writes its result under the guest's data/NAME; the
 * guest's test waits for it here, bounded, and prints what dom0 said so a
 * failing run shows dom0's words next to the guest's check.
 */
#include <pvkit/log.h>
#include <pvkit/time.h>
#include <pvkit/xenstore.h>

#include "guest.h"

int guest_dom0_answer(const char *who, const char *name, char *buf, size_t size,
		      uint64_t timeout_ns)
{
	uint64_t deadline = pvk_time_now_ns() + timeout_ns;
	char path[64];
	int rc;

	pvk_snprintf(path, sizeof(path), "data/%s", name);
	/* A fifth of a second between reads: watches run meanwhile. */
	while ((rc = pvk_xs_read(PVK_XBT_NIL, path, buf, size)) < 0 &&
	       pvk_time_now_ns() < deadline)
		pvk_xs_wait_watches(200000000ULL);
	guest_printf("%s: dom0 says \"%s\" (%s)\n", who, rc >= 0 ? buf : "", name);
	return rc < 0 ? rc : 0;
}
