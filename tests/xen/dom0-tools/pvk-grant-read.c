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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xengnttab.h>

int main(int argc, char **argv)
{
	xengnttab_handle *xgt;
	unsigned long domid, ref;
	char *end, text[64];
	const char *page;
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s DOMID REF\n", argv[0]);
		return 1;
	}
	domid = strtoul(argv[1], &end, 0);
	if (*end || domid == 0 || domid >= 0x7ff0) {
		fprintf(stderr, "pvk-grant-read: bad domid \"%s\"\n", argv[1]);
		return 1;
	}
	ref = strtoul(argv[2], &end, 0);
	if (*end || ref > 0xffffffffUL) {
		fprintf(stderr, "pvk-grant-read: bad grant reference \"%s\"\n", argv[2]);
		return 1;
	}
	xgt = xengnttab_open(NULL, 0);
	if (!xgt) {
		printf("fail:xengnttab_open: %s\n", strerror(errno));
		return 1;
	}
	page = xengnttab_map_grant_ref(xgt, (uint32_t)domid, (uint32_t)ref, PROT_READ);
	if (!page) {
		printf("fail:map domid %lu ref %lu: %s\n", domid, ref, strerror(errno));
		xengnttab_close(xgt);
		return 2;
	}
	for (i = 0; i < sizeof(text) - 1 && page[i] >= 0x20 && page[i] < 0x7f; i++)
		text[i] = page[i];
	text[i] = '\0';
	if (xengnttab_unmap(xgt, (void *)page, 1))
		fprintf(stderr, "pvk-grant-read: unmap: %s\n", strerror(errno));
	xengnttab_close(xgt);
	printf("ok:%s\n", text);
	return 0;
}
