/*
 * tests/sparse/bad_argument.c - a machine frame passed where the p2m wants a pfn.
 * EXPECT: incorrect type in argument 1 (different base types)
 */
#include <pvkit/p2m.h>

pvk_mfn_t sparse_bad_argument(pvk_mfn_t mfn);

pvk_mfn_t sparse_bad_argument(pvk_mfn_t mfn)
{
	return pvk_pfn_to_mfn(mfn);
}
