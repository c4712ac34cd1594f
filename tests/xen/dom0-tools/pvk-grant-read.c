/*
 * tests/xen/dom0-tools/pvk-grant-read.c - dom0's side of the grant test.
 *
 *   pvk-grant-read DOMID REF
 *
 * Maps grant REF of domain DOMID read-only through Xen's gntdev (Debian's
 * libxengnttab, the same path a backend takes), prints "ok:" and the text
 * the guest left at the start of the page (printable ASCII, up to 63
 * bytes), unmaps, and exits 0. When the map is refused it prints "fail:"
 * and the reason and exits 2; usage or setup errors exit 1. The guest reads
 * the line back from xenstore (the scenario's ON_LINE rule writes it).
 */
#include "grant-map.h"

int main(int argc, char **argv)
{
	xengnttab_handle *xgt;
	uint32_t domid, ref;
	char text[64];
	const char *page;
	int rc;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DOMID REF\n", argv[0]);
		return 1;
	}
	if (!grant_parse_args("pvk-grant-read", argv[1], argv[2], &domid, &ref))
		return 1;
	page = grant_map(&xgt, domid, ref, &rc);
	if (!page)
		return rc;
	grant_page_text(page, text, sizeof(text));
	if (xengnttab_unmap(xgt, (void *)page, 1))
		fprintf(stderr, "pvk-grant-read: unmap: %s\n", strerror(errno));
	xengnttab_close(xgt);
	printf("ok:%s\n", text);
	return 0;
}
