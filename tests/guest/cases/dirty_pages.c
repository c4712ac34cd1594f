/*
 * tests/guest/cases/dirty_pages.c - memory rewritten during a live
 * migration and checked after it (dirty_pages.h; suspend_traffic.c's
 * suspend_migrate runs it beside the disk and UDP streams, scenario
 * guest-migrate).
 *
 * Live migration copies the guest's memory while it runs: a first round
 * sends every page, later rounds send the pages Xen's log-dirty mode saw
 * written since the round before, and the last round, with the guest
 * suspended, the rest. Memory the guest writes during the rounds is what
 * such a copy can lose, so the test's loop keeps rewriting pages here,
 * each filled with a pattern named by its page number and a generation
 * counted in a table of our own (other pages: the kernel image). The
 * caller stops the rewriting once resumed; then every page must hold its
 * table's generation: a page written after it was sent and not sent again
 * would hold an older one (and a table not sent again would name an
 * older one than its page).
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>

#include "../test.h"
#include "dirty_pages.h"

#define MS		(1000ULL * 1000)
/* 2 MiB of the 32 MiB guest, rewritten 16 pages every 10 ms or more:
 * all of them about three times a second, several times per log-dirty
 * round under TCG (the first alone sends 8,192 pages), so each round
 * finds pages to send again, with little enough work per turn of the
 * caller's loop to keep its UDP sends at their pace. */
#define DIRTY_PER_STEP	16
#define DIRTY_GAP_NS	(10 * MS)
#define WORDS		(PVK_PAGE_SIZE / sizeof(uint64_t))

static struct {
	uint64_t *page[DIRTY_PAGES];
	uint32_t gen[DIRTY_PAGES];	/* each page's last generation written */
	unsigned int next;
	uint64_t next_ns;
	uint64_t writes;		/* page fills since the set-up's */
} d;

static uint64_t pattern(unsigned int p, uint32_t gen, unsigned int i)
{
	uint64_t v = ((uint64_t)p << 40) ^ ((uint64_t)gen << 12) ^ i;

	/* Spread the bits: no two (page, generation, word) alike. */
	return (v + 1) * 0x9e3779b97f4a7c15ULL;
}

static void fill(unsigned int p)
{
	uint32_t gen = d.gen[p] + 1;

	for (unsigned int i = 0; i < WORDS; i++)
		PVK_WRITE_ONCE(d.page[p][i], pattern(p, gen, i));
	d.gen[p] = gen;
}

int dirty_pages_setup(void)
{
	for (unsigned int p = 0; p < DIRTY_PAGES; p++) {
		d.page[p] = pvk_port_alloc_page();
		if (!d.page[p]) {
			dirty_pages_free();
			return -PVK_XEN_ENOMEM;
		}
		d.gen[p] = 0;
		fill(p);
	}
	d.next = 0;
	d.writes = 0;
	d.next_ns = pvk_time_now_ns();
	guest_printf("dirty_pages: %u pages (%u KiB) written with generation 1; rewriting %u every %llu ms until the resume\n",
		     DIRTY_PAGES, DIRTY_PAGES * 4, DIRTY_PER_STEP,
		     (unsigned long long)(DIRTY_GAP_NS / MS));
	return 0;
}

void dirty_pages_step(void)
{
	uint64_t now = pvk_time_now_ns();

	if (!d.page[0] || (int64_t)(now - d.next_ns) < 0)
		return;
	d.next_ns = now + DIRTY_GAP_NS;
	for (unsigned int k = 0; k < DIRTY_PER_STEP; k++) {
		fill(d.next);
		d.writes++;
		d.next = (d.next + 1) % DIRTY_PAGES;
	}
}

/* Pages whose words are not all their generation's; the first printed. */
static unsigned int check_once(const char *when)
{
	unsigned int bad = 0;

	for (unsigned int p = 0; p < DIRTY_PAGES; p++) {
		for (unsigned int i = 0; i < WORDS; i++) {
			uint64_t want = pattern(p, d.gen[p], i);
			uint64_t got = PVK_READ_ONCE(d.page[p][i]);

			if (got == want)
				continue;
			if (!bad)
				guest_printf("dirty_pages: %s: page %u word %u holds 0x%llx, generation %u wants 0x%llx\n",
					     when, p, i, (unsigned long long)got, d.gen[p],
					     (unsigned long long)want);
			bad++;
			break;
		}
	}
	return bad;
}

unsigned int dirty_pages_check(void)
{
	unsigned int bad;

	if (!d.page[0])
		return DIRTY_PAGES;
	bad = check_once("as moved");
	for (unsigned int p = 0; p < DIRTY_PAGES; p++)
		fill(p);
	return bad + check_once("written again after the resume");
}

uint64_t dirty_pages_writes(void)
{
	return d.writes;
}

void dirty_pages_free(void)
{
	for (unsigned int p = 0; p < DIRTY_PAGES && d.page[p]; p++) {
		pvk_port_free_page(d.page[p]);
		d.page[p] = NULL;
	}
}
