/*
 * tests/guest/page_alloc.c - pvk_port_alloc_page() / pvk_port_free_page().
 *
 * The pool starts as the part of the start-of-day mapping Xen left unused
 * (from bootmem.c: at least 512 KiB, at most up to the next 4 MiB
 * boundary) and grows as bootmem.c maps the rest of the domain's memory
 * (guest_page_alloc_add()): a range that continues the last one extends
 * it, another (the window above 2 GiB, memory the balloon grew into)
 * starts a new one. Natively it is a .bss array (native.c). Pages are
 * handed out from each range's bump pointer in turn; freed pages go on a
 * singly linked list (the link lives in the free page itself) and are
 * reused first. guest_pages_alloc_contig() takes a run of pages from a
 * bump pointer only (the CPUs' stacks, smp.c). One lock covers it all:
 * every CPU allocates.
 */
#include <pvkit/port.h>

#include "guest.h"

struct free_page {
	struct free_page *next;
};

#define MAX_RANGES	8

static struct range {
	unsigned long start, next, end;
} ranges[MAX_RANGES];
static unsigned int nr_ranges;
static struct free_page *free_list;
static size_t nr_free_listed;
static struct pvk_lock lock = GUEST_LOCK_INIT;

void guest_page_alloc_init(unsigned long start, unsigned long end)
{
	nr_ranges = 0;
	guest_page_alloc_add(start, end);
}

void guest_page_alloc_add(unsigned long start, unsigned long end)
{
	struct range *last;

	if (end <= start || (start | end) & (PVK_PAGE_SIZE - 1))
		pvk_port_panic("guest_page_alloc_add: not a range of whole pages");
	pvk_port_lock(&lock);
	last = nr_ranges ? &ranges[nr_ranges - 1] : NULL;
	if (last && start == last->end) {
		last->end = end;
	} else {
		if (nr_ranges == MAX_RANGES)
			pvk_port_panic("guest_page_alloc_add: too many ranges");
		ranges[nr_ranges++] = (struct range){ start, start, end };
	}
	pvk_port_unlock(&lock);
}

size_t guest_pages_total(void)
{
	size_t n = 0;

	pvk_port_lock(&lock);
	for (unsigned int i = 0; i < nr_ranges; i++)
		n += (ranges[i].end - ranges[i].start) / PVK_PAGE_SIZE;
	pvk_port_unlock(&lock);
	return n;
}

size_t guest_pages_free(void)
{
	size_t n;

	pvk_port_lock(&lock);
	n = nr_free_listed;
	for (unsigned int i = 0; i < nr_ranges; i++)
		n += (ranges[i].end - ranges[i].next) / PVK_PAGE_SIZE;
	pvk_port_unlock(&lock);
	return n;
}

void *pvk_port_alloc_page(void)
{
	void *page = NULL;

	pvk_port_lock(&lock);
	if (free_list) {
		page = free_list;
		free_list = free_list->next;
		nr_free_listed--;
	} else {
		for (unsigned int i = 0; i < nr_ranges && !page; i++) {
			if (ranges[i].next < ranges[i].end) {
				page = (void *)ranges[i].next;
				ranges[i].next += PVK_PAGE_SIZE;
			}
		}
	}
	pvk_port_unlock(&lock);
	if (page)
		memset(page, 0, PVK_PAGE_SIZE);
	return page;
}

void *guest_pages_alloc_contig(unsigned int n)
{
	unsigned long size = (unsigned long)n * PVK_PAGE_SIZE;
	void *pages = NULL;

	pvk_port_lock(&lock);
	for (unsigned int i = 0; i < nr_ranges && !pages; i++) {
		if (ranges[i].end - ranges[i].next >= size) {
			pages = (void *)ranges[i].next;
			ranges[i].next += size;
		}
	}
	pvk_port_unlock(&lock);
	if (pages)
		memset(pages, 0, size);
	return pages;
}

void pvk_port_free_page(void *page)
{
	unsigned long va = (unsigned long)page;
	struct free_page *p = page;
	bool ours = false;

	pvk_port_lock(&lock);
	for (unsigned int i = 0; i < nr_ranges; i++)
		ours |= va >= ranges[i].start && va < ranges[i].next;
	if (va & (PVK_PAGE_SIZE - 1) || !ours)
		pvk_port_panic("pvk_port_free_page: not a page from pvk_port_alloc_page()");
	p->next = free_list;
	free_list = p;
	nr_free_listed++;
	pvk_port_unlock(&lock);
}
