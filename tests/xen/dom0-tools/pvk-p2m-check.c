/*
 * tests/xen/dom0-tools/pvk-p2m-check.c - the toolstack's view of a PV
 * guest's p2m (scenario guest-maxmem).
 *
 *   pvk-p2m-check DOMID
 *
 * Finds the p2m the way save/restore does: Xen's domain info names the
 * shared_info frame, whose arch part holds max_pfn and the frame of the
 * frame-list-list; the three levels are mapped read-only (Debian's
 * libxenctrl/libxenforeignmemory, through privcmd). Then every frame the
 * p2m names is mapped too - Xen refuses a frame the domain does not own -
 * and no frame may be named twice. Prints
 *
 *   ok: max_pfn=N leaves=L valid=V tot_pages=T
 *
 * and exits 0 when all of that holds and V == T (every page the domain
 * holds is in its p2m); otherwise "fail:" and the reason, exit 2. Usage
 * or setup errors exit 1.
 */
#define XC_WANT_COMPAT_MAP_FOREIGN_API
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>

#define PER_PAGE	512UL
#define BATCH		4096UL
#define NO_FRAME	(~0UL)

static int cmp_ul(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* Maps n frames read-only (NULL on failure, reason printed). */
static void *map_frames(xc_interface *xch, uint32_t domid, const xen_pfn_t *mfns,
			unsigned long n, const char *what)
{
	void *p = xc_map_foreign_pages(xch, domid, PROT_READ, mfns, (int)n);

	if (!p)
		printf("fail: cannot map the %s (%lu frames): %s\n", what, n, strerror(errno));
	return p;
}

int main(int argc, char **argv)
{
	xc_interface *xch;
	xenforeignmemory_handle *fmem;
	xc_dominfo_t info;
	shared_info_t *shinfo;
	xen_pfn_t fll, *top, *mids, *leaf_mfns;
	unsigned long max_pfn, nr_leaves, nr_mids, valid = 0, *frames;
	const unsigned long *leaves;
	uint32_t domid;
	char *end;
	int *err;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DOMID\n", argv[0]);
		return 1;
	}
	domid = (uint32_t)strtoul(argv[1], &end, 10);
	if (*end || !*argv[1]) {
		fprintf(stderr, "pvk-p2m-check: bad domid %s\n", argv[1]);
		return 1;
	}
	xch = xc_interface_open(NULL, NULL, 0);
	fmem = xenforeignmemory_open(NULL, 0);
	if (!xch || !fmem) {
		fprintf(stderr, "pvk-p2m-check: cannot open privcmd\n");
		return 1;
	}
	if (xc_domain_getinfo(xch, domid, 1, &info) != 1 || info.domid != domid) {
		fprintf(stderr, "pvk-p2m-check: no domain %u\n", domid);
		return 1;
	}
	shinfo = xc_map_foreign_range(xch, domid, XC_PAGE_SIZE, PROT_READ,
				      info.shared_info_frame);
	if (!shinfo) {
		printf("fail: cannot map shared_info: %s\n", strerror(errno));
		return 2;
	}
	max_pfn = shinfo->arch.max_pfn;
	fll = shinfo->arch.pfn_to_mfn_frame_list_list;
	if (!fll || max_pfn > PER_PAGE * PER_PAGE * PER_PAGE) {
		printf("fail: no frame list published (fll 0x%lx, max_pfn %lu)\n",
		       (unsigned long)fll, max_pfn);
		return 2;
	}
	nr_leaves = (max_pfn + PER_PAGE - 1) / PER_PAGE;
	nr_mids = (nr_leaves + PER_PAGE - 1) / PER_PAGE;
	if (!(top = map_frames(xch, domid, &fll, 1, "frame-list-list")) ||
	    !(mids = map_frames(xch, domid, top, nr_mids, "frame lists")))
		return 2;
	leaf_mfns = malloc(nr_leaves * sizeof(*leaf_mfns));
	frames = malloc(max_pfn * sizeof(*frames));
	err = malloc(BATCH * sizeof(*err));
	if (!leaf_mfns || !frames || !err)
		return 1;
	memcpy(leaf_mfns, mids, nr_leaves * sizeof(*leaf_mfns));
	if (!(leaves = map_frames(xch, domid, leaf_mfns, nr_leaves, "p2m leaves")))
		return 2;
	for (unsigned long pfn = 0; pfn < max_pfn; pfn++) {
		if (leaves[pfn] != NO_FRAME)
			frames[valid++] = leaves[pfn];
	}
	/* Each named frame must be the domain's: privcmd maps only those. */
	for (unsigned long i = 0; i < valid; i += BATCH) {
		unsigned long n = valid - i < BATCH ? valid - i : BATCH;
		xen_pfn_t *arr = (xen_pfn_t *)(frames + i);
		void *p = xenforeignmemory_map(fmem, domid, PROT_READ, n, arr, err);

		if (!p) {
			printf("fail: mapping p2m frames %lu.. failed: %s\n", i, strerror(errno));
			return 2;
		}
		for (unsigned long k = 0; k < n; k++) {
			if (err[k]) {
				printf("fail: the p2m names mfn 0x%lx, which Xen will not map for domain %u: %d\n",
				       frames[i + k], domid, err[k]);
				return 2;
			}
		}
		xenforeignmemory_unmap(fmem, p, n);
	}
	qsort(frames, valid, sizeof(*frames), cmp_ul);
	for (unsigned long i = 1; i < valid; i++) {
		if (frames[i] == frames[i - 1]) {
			printf("fail: mfn 0x%lx is named twice in the p2m\n", frames[i]);
			return 2;
		}
	}
	if (valid != info.nr_pages) {
		printf("fail: max_pfn=%lu leaves=%lu valid=%lu but the domain holds %lu pages\n",
		       max_pfn, nr_leaves, valid, (unsigned long)info.nr_pages);
		return 2;
	}
	printf("ok: max_pfn=%lu leaves=%lu valid=%lu tot_pages=%lu\n",
	       max_pfn, nr_leaves, valid, (unsigned long)info.nr_pages);
	return 0;
}
