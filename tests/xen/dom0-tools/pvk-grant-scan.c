/*
 * tests/xen/dom0-tools/pvk-grant-scan.c - dom0 reads a guest's grant table
 * and lists every entry that lets dom0 map one of the guest's pages
 * (scenario guest-blkfront-life: after the guest closed its disks, none
 * may be left).
 *
 *   pvk-grant-scan DOMID
 *
 * The table is Xen's, not the guest's word on it: its current size comes
 * from GNTTABOP_query_size for the domain, and its shared frames are
 * mapped read-only into dom0 as the domain's grant-table resource
 * (XENMEM_acquire_resource through privcmd, Debian's libxenforeignmemory;
 * only the frames the guest set up, so the scan never grows its table).
 * Should Xen refuse the resource, the frames are mapped the older way
 * (GNTTABOP_setup_table for the domain, then a foreign map of its frames),
 * and the line says which way was taken.
 *
 * Output: one line per entry of type permit_access whose domid is 0,
 *   ref R flags 0xF (permit_access[,readonly][,reading][,writing]) frame 0xM
 * except the toolstack's reserved entries (ref 0: console, ref 1:
 * xenstore, seeded by the domain builder for the backends in dom0), which
 * are shown as "reserved ..." lines and not counted. Those two must be
 * there: without them the frames read are not this guest's table (a map
 * of the wrong frames, all zeroes, would otherwise count 0 and pass).
 * Then, last,
 *   grants-to-dom0: N
 * Exit 0. On any error the last line is "fail: ..." instead, exit 1 (setup)
 * or 2 (a table this tool cannot read, e.g. version 2).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xenctrl.h>
#include <xenforeignmemory.h>

#define ENTRIES_PER_FRAME	(XC_PAGE_SIZE / sizeof(grant_entry_v1_t))
#define REF_CONSOLE		0	/* GNTTAB_RESERVED_CONSOLE */
#define REF_XENSTORE		1	/* GNTTAB_RESERVED_XENSTORE */

static const char *flag_names(uint16_t f, char *out, size_t n)
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

int main(int argc, char **argv)
{
	xenforeignmemory_resource_handle *res = NULL;
	xenforeignmemory_handle *fmem;
	struct gnttab_query_size qs;
	const grant_entry_v1_t *tab = NULL;
	unsigned long n_ent, count = 0, reserved = 0;
	const char *how = "resource";
	xc_interface *xch;
	uint32_t domid;
	void *addr = NULL;
	char *end, names[64];
	int ver, nents = 0;

	if (argc != 2) {
		printf("fail: usage: pvk-grant-scan DOMID\n");
		return 1;
	}
	domid = (uint32_t)strtoul(argv[1], &end, 10);
	if (*end || !*argv[1] || domid == 0 || domid >= DOMID_FIRST_RESERVED) {
		printf("fail: bad domid \"%s\"\n", argv[1]);
		return 1;
	}
	xch = xc_interface_open(NULL, NULL, 0);
	fmem = xenforeignmemory_open(NULL, 0);
	if (!xch || !fmem) {
		printf("fail: cannot open privcmd: %s\n", strerror(errno));
		return 1;
	}
	ver = xc_gnttab_get_version(xch, domid);
	if (ver != 1) {
		printf("fail: domain %u grant table version %d (%s): only v1 is read\n",
		       domid, ver, ver < 0 ? strerror(errno) : "not v1");
		return 2;
	}
	memset(&qs, 0, sizeof(qs));
	qs.dom = (domid_t)domid;
	if (xc_gnttab_query_size(xch, &qs) || qs.status != GNTST_okay || !qs.nr_frames) {
		printf("fail: GNTTABOP_query_size for domain %u: rc errno %s, status %d, %u frames\n",
		       domid, strerror(errno), qs.status, qs.nr_frames);
		return 1;
	}
	n_ent = qs.nr_frames * ENTRIES_PER_FRAME;
	res = xenforeignmemory_map_resource(fmem, (domid_t)domid, XENMEM_resource_grant_table,
					    XENMEM_resource_grant_table_id_shared, 0,
					    qs.nr_frames, &addr, PROT_READ, 0);
	if (res) {
		tab = addr;
	} else {
		int e = errno;

		how = "setup_table+foreign map";
		tab = xc_gnttab_map_table_v1(xch, domid, &nents);
		if (!tab) {
			printf("fail: cannot map domain %u's grant table: resource: %s, setup_table: %s\n",
			       domid, strerror(e), strerror(errno));
			return 1;
		}
		if ((unsigned long)nents < n_ent)
			n_ent = (unsigned long)nents;
	}
	printf("grant table of domain %u: v1, %u frames (max %u), %lu entries, read as %s\n",
	       domid, qs.nr_frames, qs.max_nr_frames, n_ent, how);
	for (unsigned long ref = 0; ref < n_ent; ref++) {
		/* One copy of the entry: the guest may change it as we read. */
		grant_entry_v1_t e = ((const volatile grant_entry_v1_t *)tab)[ref];

		if ((e.flags & GTF_type_mask) != GTF_permit_access || e.domid != 0)
			continue;
		flag_names(e.flags, names, sizeof(names));
		if (ref == REF_CONSOLE || ref == REF_XENSTORE) {
			printf("reserved ref %lu (%s) flags 0x%x (%s) frame 0x%x: not counted\n",
			       ref, ref == REF_CONSOLE ? "console" : "xenstore", e.flags, names,
			       e.frame);
			reserved++;
			continue;
		}
		printf("ref %lu flags 0x%x (%s) frame 0x%x\n", ref, e.flags, names, e.frame);
		count++;
	}
	if (reserved != 2) {
		printf("fail: the toolstack's console and xenstore entries (refs 0, 1) are not both there (%lu): not domain %u's grant table\n",
		       reserved, domid);
		return 2;
	}
	printf("grants-to-dom0: %lu\n", count);
	if (res)
		xenforeignmemory_unmap_resource(fmem, res);
	else
		munmap((void *)tab, (size_t)qs.nr_frames * XC_PAGE_SIZE);
	return 0;
}
