/*
 * tests/abi/abi-data.c - compares data our headers hold, not just layouts:
 * the xenstore error-name table (pvk_xsd_errors against Xen's xsd_errors,
 * entry by entry: the order is the wire contract, new names only appended).
 * Xen's table takes errno values from the includer's <errno.h>, which on
 * Linux are Xen's values.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <xen/io/xs_wire.h>
#include <pvkit/xen/io/xs_wire.h>

#include "abi-report.h"

#define N_OURS (sizeof(pvk_xsd_errors) / sizeof(pvk_xsd_errors[0]))
#define N_XEN  (sizeof(xsd_errors) / sizeof(xsd_errors[0]))

void abi_check_data(struct abi_tally *t)
{
	size_t i;

	t->data++;
	if (N_OURS != N_XEN)
		abi_fail(t, "pvk_xsd_errors: %zu entries, Xen's xsd_errors %zu",
			 N_OURS, N_XEN);
	for (i = 0; i < N_OURS && i < N_XEN; i++) {
		t->data++;
		if (pvk_xsd_errors[i].errnum != xsd_errors[i].errnum ||
		    strcmp(pvk_xsd_errors[i].errstring, xsd_errors[i].errstring))
			abi_fail(t, "pvk_xsd_errors[%zu]: ours { %d, \"%s\" }, Xen's { %d, \"%s\" }",
				 i, pvk_xsd_errors[i].errnum, pvk_xsd_errors[i].errstring,
				 xsd_errors[i].errnum, xsd_errors[i].errstring);
	}
}
