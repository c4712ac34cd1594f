/*
 * tests/guest/cases/suspend_cycle.h - one suspend of the whole guest by
 * dom0 and the checks after it (cases/suspend.c), shared by its save and
 * checkpoint tests.
 */
#ifndef PVK_GUEST_SUSPEND_CYCLE_H
#define PVK_GUEST_SUSPEND_CYCLE_H

#include <pvkit/suspend.h>
#include <pvkit/types.h>

struct suspend_cycle {
	enum pvk_suspend_result want;	/* what this domain must see */
};

/* The whole cycle: ready line, heartbeat until the kit's after callback
 * ran, then the checks (outcome, domid, clock, xenstore, grant table, a
 * watch of before firing for dom0's write of after). Checks fail the
 * running test. */
void suspend_cycle(const struct suspend_cycle *c);

/* The last value dom0 wrote to data/after-resume (its outcome: downtime,
 * and whatever its mode adds), "" if none. dom0 writing it before any
 * suspend means it gave up: suspend_cycle() fails, naming the value. */
const char *suspend_cycle_dom0_value(void);

#endif /* PVK_GUEST_SUSPEND_CYCLE_H */
