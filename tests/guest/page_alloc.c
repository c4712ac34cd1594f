/*
 * tests/guest/page_alloc.c - pvk_port_alloc_page() / pvk_port_free_page().
 *
 * The pool starts as the part of the start-of-day mapping Xen left unused
 * (from bootmem.c: at least 512 KiB, at most up to the next 4 MiB
 * boundary) and grows at its end as bootmem.c maps the rest of the
 * domain's memory right after it (guest_page_alloc_extend()). Natively it
 * is a .bss array (native.c). Pages are handed out from a bump pointer;
 * freed pages go on a singly linked list (the link lives in the free page
 * itself) and are reused first.
 */
#include <pvkit/port.h>

#include "guest.h"

struct free_page {
	struct free_page *next;
};

static unsigned long pool_start, pool_next, pool_end;
static struct free_page *free_list;
static size_t nr_free_listed;

void guest_page_alloc_init(unsigned long start, unsigned long end)
{
	pool_start = pool_next = start;
	pool_end = end;
}

void guest_page_alloc_extend(unsigned long end)
{
	if (end < pool_end || end & (PVK_PAGE_SIZE - 1))
		pvk_port_panic("guest_page_alloc_extend: the pool only grows, by whole pages");
	pool_end = end;
}

size_t guest_pages_total(void)
{
	return (pool_end - pool_start) / PVK_PAGE_SIZE;
}

size_t guest_pages_free(void)
{
	return (pool_end - pool_next) / PVK_PAGE_SIZE + nr_free_listed;
}

void *pvk_port_alloc_page(void)
{
	void *page;

	if (free_list) {
		page = free_list;
		free_list = free_list->next;
		nr_free_listed--;
	} else if (pool_next < pool_end) {
		page = (void *)pool_next;
		pool_next += PVK_PAGE_SIZE;
	} else {
		return NULL;
	}
	memset(page, 0, PVK_PAGE_SIZE);
	return page;
}

void pvk_port_free_page(void *page)
{
	unsigned long va = (unsigned long)page;
	struct free_page *p = page;

	if (va & (PVK_PAGE_SIZE - 1) || va < pool_start || va >= pool_next)
		pvk_port_panic("pvk_port_free_page: not a page from pvk_port_alloc_page()");
	p->next = free_list;
	free_list = p;
	nr_free_listed++;
}
