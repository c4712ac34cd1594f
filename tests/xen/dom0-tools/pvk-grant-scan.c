/*
 * tests/xen/dom0-tools/pvk-grant-scan.c - dom0 reads a guest's grant table
 * and lists every entry that lets dom0 map one of the guest's pages
 * (scenario guest-blkfront-life: after the guest closed its disks, none
 * may be left). The reading is grant-scan.h's, shared with hostile-back.
 *
 *   pvk-grant-scan DOMID
 *
 * Output: a line saying how the table was read, then one line per entry of
 * type permit_access whose domid is 0,
 *   ref R flags 0xF (permit_access[,readonly][,reading][,writing]) frame 0xM
 * except the toolstack's reserved entries (refs 0 and 1), which are shown
 * as "reserved ..." lines and not counted. Then, last,
 *   grants-to-dom0: N
 * Exit 0. On any error the last line is "fail: ..." instead, exit 1 (setup)
 * or 2 (a table this tool cannot read, e.g. version 2, or not the guest's).
 */
#include <stdlib.h>
#include "grant-scan.h"

/* Entry lines are kept until the table's description line is printed. */
static void list_entry(void *ctx, unsigned long ref, const grant_entry_v1_t *e, int reserved)
{
	char names[64];

	grant_scan_flag_names(e->flags, names, sizeof(names));
	if (reserved)
		fprintf(ctx, "reserved ref %lu (%s) flags 0x%x (%s) frame 0x%x: not counted\n",
			ref, ref == GRANT_SCAN_REF_CONSOLE ? "console" : "xenstore", e->flags,
			names, e->frame);
	else
		fprintf(ctx, "ref %lu flags 0x%x (%s) frame 0x%x\n", ref, e->flags, names,
			e->frame);
}

int main(int argc, char **argv)
{
	struct grant_scan s;
	uint32_t domid;
	char *end, *lines = NULL;
	size_t len = 0;
	FILE *buf;
	int rc;

	if (argc != 2) {
		printf("fail: usage: pvk-grant-scan DOMID\n");
		return 1;
	}
	domid = (uint32_t)strtoul(argv[1], &end, 10);
	if (*end || !*argv[1] || domid == 0 || domid >= DOMID_FIRST_RESERVED) {
		printf("fail: bad domid \"%s\"\n", argv[1]);
		return 1;
	}
	buf = open_memstream(&lines, &len);
	if (!buf) {
		printf("fail: open_memstream: %s\n", strerror(errno));
		return 1;
	}
	rc = grant_scan_domain(domid, &s, list_entry, buf);
	fclose(buf);
	if (s.entries)
		printf("grant table of domain %u: v1, %u frames (max %u), %lu entries, read as %s\n",
		       domid, s.nr_frames, s.max_nr_frames, s.entries, s.how);
	fputs(lines ? lines : "", stdout);
	free(lines);
	if (rc) {
		printf("fail: %s\n", s.error);
		return rc;
	}
	printf("grants-to-dom0: %lu\n", s.count);
	return 0;
}
