/*
 * tests/sparse/bad_return.c - a guest frame returned as a machine frame.
 * EXPECT: incorrect type in return expression (different base types)
 */
#include <pvkit/frame.h>

pvk_mfn_t sparse_bad_return(pvk_gfn_t gfn);

pvk_mfn_t sparse_bad_return(pvk_gfn_t gfn)
{
	return gfn;
}
