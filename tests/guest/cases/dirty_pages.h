/*
 * tests/guest/cases/dirty_pages.h - memory the guest keeps rewriting
 * while dom0 migrates it live (cases/dirty_pages.c), and the check after
 * the resume that every page arrived as last written. Used by
 * suspend_traffic.c's suspend_migrate (scenario guest-migrate).
 */
#ifndef PVK_GUEST_DIRTY_PAGES_H
#define PVK_GUEST_DIRTY_PAGES_H

#include <pvkit/types.h>

#define DIRTY_PAGES	512

/* Allocates the pages and writes each once (generation 1): 0 or
 * -ENOMEM (then nothing is held). */
int dirty_pages_setup(void);
/* Never waits: rewrites the next few pages when their time came (each
 * with its generation + 1). Called each turn of a test's loop. */
void dirty_pages_step(void);
/* Pages whose words are not all of the generation last written (the
 * first printed), then every page written once more and checked again
 * (the new domain's pages are ours): the bad pages of both checks. */
unsigned int dirty_pages_check(void);
/* Page fills done since dirty_pages_setup()'s own. */
uint64_t dirty_pages_writes(void);
void dirty_pages_free(void);

#endif /* PVK_GUEST_DIRTY_PAGES_H */
