/*
 * tests/xen/dom0-tools/grant-map.h - what the dom0 grant tools share:
 * reading DOMID and REF from the command line, mapping the grant read-only
 * through gntdev (libxengnttab, the path a backend takes), and the text the
 * guest left at the start of the page.
 *
 * Exit codes the tools share: 1 for usage or setup errors, 2 when the map
 * is refused. Included by each tool (one .c per binary, see build.sh).
 */
#ifndef PVK_DOM0_GRANT_MAP_H
#define PVK_DOM0_GRANT_MAP_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xengnttab.h>

/* Parses DOMID (a domU's, not dom0 or DOMID_*) and REF; on a bad value
 * prints "<tool>: bad ..." to stderr and returns 0. */
static int grant_parse_args(const char *tool, const char *dom_s, const char *ref_s,
			    uint32_t *domid, uint32_t *ref)
{
	unsigned long v;
	char *end;

	v = strtoul(dom_s, &end, 0);
	if (*end || v == 0 || v >= 0x7ff0) {
		fprintf(stderr, "%s: bad domid \"%s\"\n", tool, dom_s);
		return 0;
	}
	*domid = (uint32_t)v;
	v = strtoul(ref_s, &end, 0);
	if (*end || v > 0xffffffffUL) {
		fprintf(stderr, "%s: bad grant reference \"%s\"\n", tool, ref_s);
		return 0;
	}
	*ref = (uint32_t)v;
	return 1;
}

/*
 * Opens gntdev and maps the grant read-only. On failure prints the "fail:"
 * line the guest reads back and returns NULL with the exit code in *rc
 * (1: gntdev could not be opened, 2: the map was refused).
 */
static const char *grant_map(xengnttab_handle **xgt, uint32_t domid, uint32_t ref, int *rc)
{
	const char *page;

	*xgt = xengnttab_open(NULL, 0);
	if (!*xgt) {
		printf("fail:xengnttab_open: %s\n", strerror(errno));
		*rc = 1;
		return NULL;
	}
	page = xengnttab_map_grant_ref(*xgt, domid, ref, PROT_READ);
	if (!page) {
		printf("fail:map domid %u ref %u: %s\n", domid, ref, strerror(errno));
		xengnttab_close(*xgt);
		*rc = 2;
		return NULL;
	}
	return page;
}

/* The printable ASCII at the start of the page, up to size - 1 bytes. */
static void grant_page_text(const char *page, char *text, size_t size)
{
	size_t i;

	for (i = 0; i < size - 1 && page[i] >= 0x20 && page[i] < 0x7f; i++)
		text[i] = page[i];
	text[i] = '\0';
}

#endif /* PVK_DOM0_GRANT_MAP_H */
