/*
 * tests/guest/cases/memory.c - the port's memory services.
 *
 * page_alloc: pages are distinct, aligned, zeroed (also when reused) and
 * translate to frames the p2m and Xen's M2P agree on. page_exhaustion: the
 * pool gives out exactly what it says it has, then NULL, and takes it all
 * back (on Xen that is all of the domain's memory but the image, Xen's
 * bootstrap area and the scratch window: ~11,700 pages of a 64 MiB
 * domain; it prints how long that took). heap: malloc alignment, reuse of freed blocks, merging of free
 * neighbours, NULL for what cannot fit. page_exhaustion and heap run
 * natively too, on native.c's pool.
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>

#include "../test.h"

static bool page_is_zero(const void *page)
{
	const uint64_t *w = page;

	for (size_t i = 0; i < PVK_PAGE_SIZE / sizeof(*w); i++) {
		if (w[i])
			return false;
	}
	return true;
}

PVK_GUEST_TEST_XEN(page_alloc)	/* frames: p2m and M2P */
{
	size_t free0 = guest_pages_free();
	uint8_t *a = pvk_port_alloc_page(), *b = pvk_port_alloc_page(), *c;
	pvk_pfn_t pfn;

	PVK_CHECK(a && b && a != b);
	PVK_CHECK_EQ((unsigned long)a % PVK_PAGE_SIZE, 0);
	PVK_CHECK_EQ(guest_pages_free(), free0 - 2);
	PVK_CHECK(page_is_zero(a) && page_is_zero(b));

	pfn = pvk_port_virt_to_pfn(a);
	PVK_CHECK(guest_pfn_to_virt(pfn) == a);
	/* The top page of the address space is no pfn's 1:1 address (pfn
	 * PVK_GUEST_LOW_PAGES, above 2 GiB, is in the high window). */
	PVK_CHECK(!guest_virt_is_mapped(PVK_GUEST_VIRT_BASE + PVK_GUEST_LOW_PAGES * PVK_PAGE_SIZE, 1));
	PVK_CHECK_EQ(pvk_pfn_raw(guest_mfn_to_pfn(guest_pfn_to_mfn(pfn))), pvk_pfn_raw(pfn));

	/* A freed page comes back first, zeroed again. */
	memset(a, 0xa5, PVK_PAGE_SIZE);
	pvk_port_free_page(a);
	c = pvk_port_alloc_page();
	PVK_CHECK(c == a);
	PVK_CHECK(page_is_zero(c));

	pvk_port_free_page(b);
	pvk_port_free_page(c);
	PVK_CHECK_EQ(guest_pages_free(), free0);
}

PVK_GUEST_TEST(page_exhaustion)
{
	size_t free0 = guest_pages_free(), got = 0;
	void **chain = NULL;	/* each page holds the address of the previous */
	void **page;
	uint64_t t0 = pvk_clock_ns();

	/* xen.h guarantees 512 KiB after the bootstrap area. */
	PVK_CHECK_GE(guest_pages_total(), 512 * 1024 / PVK_PAGE_SIZE);
	while ((page = pvk_port_alloc_page())) {
		*page = chain;
		chain = page;
		got++;
	}
	PVK_CHECK_EQ(guest_pages_free(), 0);
	while (chain) {
		page = chain;
		chain = *page;
		pvk_port_free_page(page);
	}
	PVK_CHECK_EQ(got, free0);
	PVK_CHECK_EQ(guest_pages_free(), free0);
	guest_printf("memory: all %zu free pages allocated (zeroed) and freed in %llu ms\n",
		     got, (unsigned long long)((pvk_clock_ns() - t0) / 1000000));
}

PVK_GUEST_TEST(heap)
{
	size_t free0 = guest_heap_free_bytes();
	uint8_t *p = pvk_port_malloc(24), *q = pvk_port_malloc(100), *r = pvk_port_malloc(1), *s;

	PVK_CHECK(p && q && r);
	PVK_CHECK_EQ((unsigned long)p % 16, 0);
	PVK_CHECK_EQ((unsigned long)q % 16, 0);
	PVK_CHECK(q >= p + 24 && r >= q + 100);		/* first fit, in order */
	memset(p, 0x11, 24);
	memset(q, 0x22, 100);
	memset(r, 0x33, 1);
	PVK_CHECK_EQ(p[23], 0x11);
	PVK_CHECK_EQ(r[0], 0x33);

	pvk_port_free(q);
	s = pvk_port_malloc(90);	/* fits in q's hole */
	PVK_CHECK(s == q);
	pvk_port_free(s);

	PVK_CHECK(pvk_port_malloc(free0 + 1) == NULL);
	pvk_port_free(p);
	pvk_port_free(r);
	pvk_port_free(NULL);
	/* Everything merged back into one block. */
	PVK_CHECK_EQ(guest_heap_free_bytes(), free0);
	s = pvk_port_malloc(free0);
	PVK_CHECK(s != NULL);
	pvk_port_free(s);
}
