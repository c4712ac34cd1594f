/*
 * tests/sparse/bad_assign.c - a machine frame stored as a pseudo-physical one.
 * EXPECT: incorrect type in initializer (different base types)
 */
#include <pvkit/frame.h>

pvk_pfn_t sparse_bad_assign(pvk_mfn_t mfn);

pvk_pfn_t sparse_bad_assign(pvk_mfn_t mfn)
{
	pvk_pfn_t pfn = mfn;

	return pfn;
}
