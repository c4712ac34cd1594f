/*
 * tests/guest/cases/migrate.c - live migration of the running guest by
 * dom0's `xl migrate` to the same host (tests/xen/scenarios/guest-migrate.scn,
 * tests/xen/dom0/save-restore migrate).
 *
 * Live migration copies the guest's memory while it runs: a first round
 * sends every page, later rounds send the pages Xen's log-dirty mode saw
 * written since the round before, and the last round, with the guest
 * suspended, the rest. Memory the guest writes during the rounds is what
 * such a copy can lose, so while it waits for the suspend this test keeps
 * writing pages, each filled with a pattern named by its page number and a
 * generation it counts in a table of its own (other pages: the kernel
 * image). After the resume every page must hold its table's generation:
 * a page written after it was sent and not sent again would hold an older
 * one (and a table not sent again would name an older one than its page).
 * The rest is the save/restore cycle (suspend_cycle.h): the domain's id
 * changed, xenstore answers on the new ring, a watch of before fires for
 * dom0's write of after, the clock never went back, and dom0 says the
 * move was live (live=yes: only a Xen with shadow paging gives a PV
 * domain log-dirty mode, tests/xen/xen-shadow.sh; on one without, xl
 * migrate fails and so does this test). This file links first among the
 * tests (tests/guest/guest.mk), so the tests a scenario names after it
 * run in the migrated domain.
 */
#define PVK_GUEST_XEN_ONLY_FILE

#include <pvkit/port.h>
#include <pvkit/time.h>

#include "../test.h"
#include "suspend_cycle.h"

#ifdef CONFIG_PVK_XENBUS

#define MS		(1000ULL * 1000)
/* 2 MiB of the 32 MiB guest, rewritten 16 pages at a time with a 10 ms
 * wait between: all of them about three times a second, several times
 * per log-dirty round under TCG (the first alone sends 8,192 pages), so
 * each round finds pages to send again, with few enough wake-ups to
 * leave the shared host's CPUs to dom0's copy (the ON_LINE rule that
 * moves the guest has 30 s). */
#define DIRTY_PAGES	512
#define DIRTY_PER_STEP	16
#define DIRTY_WAIT_NS	(10 * MS)
#define WORDS		(PVK_PAGE_SIZE / sizeof(uint64_t))

struct dirtier {
	uint64_t *page[DIRTY_PAGES];
	uint32_t gen[DIRTY_PAGES];	/* each page's last generation written */
	unsigned int next;
	uint64_t writes;		/* page fills */
};

static struct dirtier dirt;

static uint64_t pattern(unsigned int p, uint32_t gen, unsigned int i)
{
	uint64_t v = ((uint64_t)p << 40) ^ ((uint64_t)gen << 12) ^ i;

	/* Spread the bits: no two (page, generation, word) alike. */
	return (v + 1) * 0x9e3779b97f4a7c15ULL;
}

static void fill(struct dirtier *d, unsigned int p)
{
	uint32_t gen = d->gen[p] + 1;

	for (unsigned int i = 0; i < WORDS; i++)
		PVK_WRITE_ONCE(d->page[p][i], pattern(p, gen, i));
	d->gen[p] = gen;
	d->writes++;
}

static void dirty_step(void *arg)
{
	struct dirtier *d = arg;

	for (unsigned int k = 0; k < DIRTY_PER_STEP; k++) {
		fill(d, d->next);
		d->next = (d->next + 1) % DIRTY_PAGES;
	}
}

/* Pages whose words are not all their generation's; the first printed. */
static unsigned int check_pages(const struct dirtier *d)
{
	unsigned int bad = 0;

	for (unsigned int p = 0; p < DIRTY_PAGES; p++) {
		for (unsigned int i = 0; i < WORDS; i++) {
			uint64_t want = pattern(p, d->gen[p], i);
			uint64_t got = PVK_READ_ONCE(d->page[p][i]);

			if (got == want)
				continue;
			if (!bad)
				guest_printf("migrate: page %u word %u holds 0x%llx, generation %u wants 0x%llx\n",
					     p, i, (unsigned long long)got, d->gen[p],
					     (unsigned long long)want);
			bad++;
			break;
		}
	}
	return bad;
}

PVK_GUEST_TEST_XEN_EXPLICIT(suspend_migrate)
{
	struct suspend_cycle c = {
		.want = PVK_SUSPEND_RESUMED,
		.what = "xl migrate",
		.busy = dirty_step,
		.arg = &dirt,
		.busy_wait_ns = DIRTY_WAIT_NS,
	};
	uint64_t writes_before;
	unsigned int bad, p;
	const char *dom0;

	for (p = 0; p < DIRTY_PAGES; p++) {
		dirt.page[p] = pvk_port_alloc_page();
		if (!dirt.page[p])
			break;
		dirt.gen[p] = 0;
		fill(&dirt, p);
	}
	PVK_CHECK_EQ(p, DIRTY_PAGES);
	if (p < DIRTY_PAGES)
		goto out;
	writes_before = dirt.writes;
	guest_printf("migrate: %u pages (%u KiB) written with generation 1; rewriting %u every %llu ms until the suspend\n",
		     DIRTY_PAGES, DIRTY_PAGES * 4, DIRTY_PER_STEP,
		     (unsigned long long)(DIRTY_WAIT_NS / MS));
	suspend_cycle(&c);
	if (guest_test_ended())
		goto out;
	bad = check_pages(&dirt);
	guest_printf("migrate: dirty pages: %u checked, %u bad; %llu page writes while dom0 copied (%llu sweeps of all)\n",
		     DIRTY_PAGES, bad, (unsigned long long)(dirt.writes - writes_before),
		     (unsigned long long)((dirt.writes - writes_before) / DIRTY_PAGES));
	PVK_CHECK_EQ(bad, 0);
	/* Written after the migration too: the new domain's pages are ours. */
	for (p = 0; p < DIRTY_PAGES; p++)
		fill(&dirt, p);
	PVK_CHECK_EQ(check_pages(&dirt), 0);
	/* How dom0 moved us (dom0/save-restore migrate): live, and its
	 * checks around the move (its hooks) said nothing failed. */
	dom0 = suspend_cycle_dom0_value();
	if (guest_strstr(dom0, "failed"))
		guest_test_fail(__FILE__, __LINE__,
				"dom0 says a check around the move failed: \"%s\"", dom0);
	else
		PVK_CHECK_STR_CONTAINS(dom0, "live=yes");
out:
	for (p = 0; p < DIRTY_PAGES && dirt.page[p]; p++) {
		pvk_port_free_page(dirt.page[p]);
		dirt.page[p] = NULL;
	}
}

#endif /* CONFIG_PVK_XENBUS */
