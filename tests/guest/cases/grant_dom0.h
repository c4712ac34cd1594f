/*
 * tests/guest/cases/grant_dom0.h - what the grant tests that talk to dom0
 * share (grant_table.c, grant_grow.c): waiting for a xenstore value dom0
 * writes, and offering dom0 a page to map and read back.
 */
#ifndef PVK_GUEST_CASES_GRANT_DOM0_H
#define PVK_GUEST_CASES_GRANT_DOM0_H

#include <pvkit/grant.h>
#include <pvkit/time.h>
#include <pvkit/xenstore.h>

#include "../test.h"

#define GRANT_VA	0xffff968000000000UL	/* L4 slot 301: the table */
#define GRANT_FRAMES	4

/* grant_setup (grant_table.c) set the table up. */
extern bool grant_ready;

/* Polls xenstore until path exists (dom0 writes it) or timeout_s passes. */
static inline int wait_value(const char *path, char *buf, size_t size, unsigned int timeout_s)
{
	int len = -1;

	for (unsigned int i = 0; i < timeout_s * 20; i++) {
		len = pvk_xs_read(PVK_XBT_NIL, path, buf, size);
		if (len >= 0)
			return len;
		pvk_time_sleep_ns(50 * 1000 * 1000ULL);
	}
	return len;
}

/* A page granted to dom0, and what dom0 answered about it. */
struct dom0_offer {
	char text[64];		/* what the page says */
	char got[128];		/* dom0's reply */
	pvk_grant_ref_t ref;
	char *page;
};

/*
 * Grants a fresh page to dom0 (read-write), writes "<label>, ref N" into
 * it, publishes the reference under ref_key and waits (bounded) for dom0's
 * reply under reply_key, which must be "<reply_prefix><the page's text>".
 * Fails the current test through PVK_CHECK: call with PVK_CHECK_CALL.
 */
static inline void offer_to_dom0(struct dom0_offer *o, const char *label, const char *ref_key,
			  const char *reply_key, const char *reply_prefix)
{
	char want[96], num[16];

	o->page = pvk_port_alloc_page();
	PVK_CHECK(o->page);
	PVK_CHECK_RC(pvk_grant_access_page(0, o->page, true, &o->ref), 0);
	pvk_snprintf(o->text, sizeof(o->text), "%s, ref %u", label, o->ref);
	memcpy(o->page, o->text, strlen(o->text) + 1);
	pvk_snprintf(num, sizeof(num), "%u", o->ref);
	PVK_CHECK_RC(pvk_xs_write(PVK_XBT_NIL, ref_key, num), 0);
	guest_printf("grant: %s %u published for dom0\n", ref_key, o->ref);
	PVK_CHECK_RC_GE(wait_value(reply_key, o->got, sizeof(o->got), 60), 0);
	guest_printf("grant: dom0 says \"%s\"\n", o->got);
	pvk_snprintf(want, sizeof(want), "%s%s", reply_prefix, o->text);
	PVK_CHECK_EQ(strlen(o->got), strlen(want));
	PVK_CHECK(!memcmp(o->got, want, strlen(want)));
}

#endif /* PVK_GUEST_CASES_GRANT_DOM0_H */
