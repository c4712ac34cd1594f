/*
 * tests/sparse/ok_conversions.c - the same operations done through the named
 * conversions: sparse must accept them without a word, so the bad_*.c files
 * fail for their mistake and not for something else.
 * EXPECT: clean
 */
#include <pvkit/p2m.h>

pvk_pfn_t sparse_ok(pvk_mfn_t mfn, pvk_pfn_t pfn);

pvk_pfn_t sparse_ok(pvk_mfn_t mfn, pvk_pfn_t pfn)
{
	pvk_mfn_t m = pvk_pfn_to_mfn(pvk_pfn(pvk_pfn_raw(pfn) + 1));

	if (pvk_mfn_eq(m, mfn))
		return pvk_mfn_to_pfn(mfn);
	return pvk_pfn(pvk_mfn_raw(m));
}
