/*
 * tests/xen/dom0-tools/grant-scan.h - reads a guest's grant table from dom0
 * and visits every entry that lets dom0 map one of the guest's pages; shared
 * by pvk-grant-scan.c (the scenarios' counter) and hostile-back (which counts
 * what a closed hostile device left granted). Header-only so that each dom0
 * tool stays one static binary built from one .c.
 *
 * The table is Xen's, not the guest's word on it: its current size comes
 * from GNTTABOP_query_size for the domain, and its shared frames are
 * mapped read-only into dom0 as the domain's grant-table resource
 * (XENMEM_acquire_resource through privcmd, Debian's libxenforeignmemory;
 * only the frames the guest set up, so the scan never grows its table).
 * Should Xen refuse the resource, the frames are mapped the older way
 * (GNTTABOP_setup_table for the domain, then a foreign map of its frames),
 * and the result says which way was taken.
 *
 * The toolstack's reserved entries (ref 0: console, ref 1: xenstore,
 * seeded by the domain builder for the backends in dom0) are visited as
 * reserved and not counted. Both must be there: without them the frames
 * read are not this guest's table (a map of the wrong frames, all zeroes,
 * would otherwise count 0 and pass).
 */
#ifndef PVK_DOM0_GRANT_SCAN_H
#define PVK_DOM0_GRANT_SCAN_H

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>

#define GRANT_SCAN_PER_FRAME	(XC_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define GRANT_SCAN_REF_CONSOLE	0	/* GNTTAB_RESERVED_CONSOLE */
#define GRANT_SCAN_REF_XENSTORE	1	/* GNTTAB_RESERVED_XENSTORE */

struct grant_scan {
	unsigned int nr_frames, max_nr_frames;
	unsigned long entries;		/* entries read */
	const char *how;		/* "resource" or "setup_table+foreign map" */
	unsigned long count;		/* permit_access to dom0, reserved excluded */
	unsigned long reserved;		/* of refs 0 and 1 found */
	char error[200];		/* why it failed, when it did */
};

/* Called for each permit_access entry whose domid is 0; e is a copy. */
typedef void grant_scan_visit_fn(void *ctx, unsigned long ref, const grant_entry_v1_t *e,
				 int reserved);

static inline const char *grant_scan_flag_names(uint16_t f, char *out, size_t n)
{
	snprintf(out, n, "%s%s%s%s",
		 (f & GTF_type_mask) == GTF_permit_access ? "permit_access" :
		 (f & GTF_type_mask) == GTF_accept_transfer ? "accept_transfer" :
		 (f & GTF_type_mask) == GTF_transitive ? "transitive" : "invalid",
		 f & GTF_readonly ? ",readonly" : "",
		 f & GTF_reading ? ",reading" : "",
		 f & GTF_writing ? ",writing" : "");
	return out;
}

/*
 * Scans domain domid's grant table, calling visit (may be NULL) per entry
 * granted to dom0. Returns 0 with s filled in; 1 on a setup error, 2 on a
 * table this code cannot read (not v1, or not the guest's); s->error says.
 */
static inline int grant_scan_domain(uint32_t domid, struct grant_scan *s,
				    grant_scan_visit_fn *visit, void *ctx)
{
	xenforeignmemory_resource_handle *res = NULL;
	xenforeignmemory_handle *fmem = NULL;
	struct gnttab_query_size qs;
	const grant_entry_v1_t *tab;
	xc_interface *xch = NULL;
	void *addr = NULL;
	int ver, nents = 0, rc = 1;

	memset(s, 0, sizeof(*s));
	s->how = "resource";
	xch = xc_interface_open(NULL, NULL, 0);
	fmem = xenforeignmemory_open(NULL, 0);
	if (!xch || !fmem) {
		snprintf(s->error, sizeof(s->error), "cannot open privcmd: %s", strerror(errno));
		goto out;
	}
	ver = xc_gnttab_get_version(xch, domid);
	if (ver != 1) {
		snprintf(s->error, sizeof(s->error),
			 "domain %u grant table version %d (%s): only v1 is read", domid, ver,
			 ver < 0 ? strerror(errno) : "not v1");
		rc = 2;
		goto out;
	}
	memset(&qs, 0, sizeof(qs));
	qs.dom = (domid_t)domid;
	if (xc_gnttab_query_size(xch, &qs) || qs.status != GNTST_okay || !qs.nr_frames) {
		snprintf(s->error, sizeof(s->error),
			 "GNTTABOP_query_size for domain %u: rc errno %s, status %d, %u frames",
			 domid, strerror(errno), qs.status, qs.nr_frames);
		goto out;
	}
	s->nr_frames = qs.nr_frames;
	s->max_nr_frames = qs.max_nr_frames;
	s->entries = qs.nr_frames * GRANT_SCAN_PER_FRAME;
	res = xenforeignmemory_map_resource(fmem, (domid_t)domid, XENMEM_resource_grant_table,
					    XENMEM_resource_grant_table_id_shared, 0,
					    qs.nr_frames, &addr, PROT_READ, 0);
	if (res) {
		tab = addr;
	} else {
		int e = errno;

		s->how = "setup_table+foreign map";
		tab = xc_gnttab_map_table_v1(xch, domid, &nents);
		if (!tab) {
			snprintf(s->error, sizeof(s->error),
				 "cannot map domain %u's grant table: resource: %s, setup_table: %s",
				 domid, strerror(e), strerror(errno));
			goto out;
		}
		if ((unsigned long)nents < s->entries)
			s->entries = (unsigned long)nents;
	}
	for (unsigned long ref = 0; ref < s->entries; ref++) {
		/* One copy of the entry: the guest may change it as we read. */
		grant_entry_v1_t e = ((const volatile grant_entry_v1_t *)tab)[ref];
		int reserved = ref == GRANT_SCAN_REF_CONSOLE || ref == GRANT_SCAN_REF_XENSTORE;

		if ((e.flags & GTF_type_mask) != GTF_permit_access || e.domid != 0)
			continue;
		if (reserved)
			s->reserved++;
		else
			s->count++;
		if (visit)
			visit(ctx, ref, &e, reserved);
	}
	if (res)
		xenforeignmemory_unmap_resource(fmem, res);
	else
		munmap((void *)tab, (size_t)qs.nr_frames * XC_PAGE_SIZE);
	rc = 0;
	if (s->reserved != 2) {
		snprintf(s->error, sizeof(s->error),
			 "the toolstack's console and xenstore entries (refs 0, 1) are not both there (%lu): not domain %u's grant table",
			 s->reserved, domid);
		rc = 2;
	}
out:
	if (fmem)
		xenforeignmemory_close(fmem);
	if (xch)
		xc_interface_close(xch);
	return rc;
}

#endif
