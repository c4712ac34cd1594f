/*
 * tests/sparse/bad_arithmetic.c - arithmetic straight on a frame number.
 * EXPECT: restricted pvk_pfn_t degrades to integer
 */
#include <pvkit/frame.h>

pvk_pfn_t sparse_bad_arithmetic(pvk_pfn_t pfn);

pvk_pfn_t sparse_bad_arithmetic(pvk_pfn_t pfn)
{
	return pfn + 1;
}
