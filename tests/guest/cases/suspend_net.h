/*
 * tests/guest/cases/suspend_net.h - netfront's UDP streams across a save
 * (cases/suspend_net.c), for a test that runs more alongside them
 * (cases/suspend_traffic.c: a disk's integrity stream in the same loop)
 * and is judged by every one of their verdicts and its own.
 */
#ifndef PVK_GUEST_SUSPEND_NET_H
#define PVK_GUEST_SUSPEND_NET_H

#include <pvkit/netfront.h>
#include <pvkit/suspend.h>

/* What a test adds to the streams; every hook optional. */
struct suspend_net_extra {
	/* Idle and connected, just before "ready" is said: its baseline,
	 * and what it puts in flight across the save. */
	void (*ready)(void *arg);
	/* Each turn of the streams' loop (never waits): < 0 failed (the run
	 * fails), 0 going on, 1 done for now. The loop ends once the net's
	 * window after the resume passed and this said done. */
	int (*pump)(void *arg);
	/* Grants it holds now: not counted in the net's "other refs". */
	unsigned int (*grants_held)(void *arg);
	/* Once the streams stopped (transmits drained): idle, its snapshot. */
	void (*idle)(void *arg);
	/* After the net's verdicts, its own through suspend_net_verdict(). */
	void (*verdicts)(void *arg);
	void *arg;
};

/* One save (RESUMED: restored in a new domain; CANCELLED: xl save -c),
 * the streams around it, every verdict (test checks). x may be NULL. */
void suspend_net_run(enum pvk_suspend_result want, const struct suspend_net_extra *x);
/* One verdict line, "suspend_net: ok|FAILED: what"; a failure fails the run. */
void suspend_net_verdict(bool ok, const char *what);
/* vif 0 (NULL until the run brought it up). */
struct pvk_netfront *suspend_net_dev(void);
/* The test's stack lets go of vif 0 (before a detach). */
void suspend_net_detach(void);

#endif /* PVK_GUEST_SUSPEND_NET_H */
