/*
 * tests/xen/dom0-tools/pvk-grant-hold.c - dom0 keeps a grant mapped.
 *
 *   pvk-grant-hold DOMID REF RELEASE_FILE
 *
 * Plays a backend that will not let go: maps grant REF of domain DOMID
 * read-only through gntdev (libxengnttab), prints "held:" and the text at
 * the start of the page, and keeps the mapping until RELEASE_FILE exists
 * (polled every 100 ms, at most 90 s); then unmaps and prints "released".
 * Meanwhile the guest's attempt to end the grant must be refused. Map
 * failure prints "fail:" and exits 2; waiting in vain prints "fail:" (after
 * unmapping) and exits 3; usage or setup errors exit 1. Every line is
 * flushed at once: the scenario's ON_LINE rules poll the output file.
 */
#include <time.h>
#include <unistd.h>

#include "grant-map.h"

#define POLL_NS		(100 * 1000 * 1000L)
#define POLLS		900

int main(int argc, char **argv)
{
	const struct timespec poll = { 0, POLL_NS };
	xengnttab_handle *xgt;
	uint32_t domid, ref;
	char text[64];
	const char *page;
	int i, rc;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 4) {
		fprintf(stderr, "usage: %s DOMID REF RELEASE_FILE\n", argv[0]);
		return 1;
	}
	if (!grant_parse_args("pvk-grant-hold", argv[1], argv[2], &domid, &ref))
		return 1;
	page = grant_map(&xgt, domid, ref, &rc);
	if (!page)
		return rc;
	grant_page_text(page, text, sizeof(text));
	printf("held:%s\n", text);

	for (i = 0; i < POLLS && access(argv[3], F_OK); i++)
		nanosleep(&poll, NULL);
	if (xengnttab_unmap(xgt, (void *)page, 1)) {
		printf("fail:unmap: %s\n", strerror(errno));
		xengnttab_close(xgt);
		return 1;
	}
	xengnttab_close(xgt);
	if (i == POLLS) {
		printf("fail:%s never appeared; unmapped after %d s\n",
		       argv[3], POLLS / 10);
		return 3;
	}
	printf("released\n");
	return 0;
}
