/*
 * tests/unit/fake_kit.h - controls of the kit interfaces test_blkfront.c
 * plays (grants, event channels) for other tests of this binary that use
 * them too (test_netfront.c): a fresh state, a grant the backend keeps
 * mapped, delivering a port's event; and the xenbus calls it plays for
 * blkfront, handed to test_netfront_xenbus.c for a vif device.
 */
#ifndef UNIT_FAKE_KIT_H
#define UNIT_FAKE_KIT_H

#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/xenbus.h>

void unit_fake_kit_reset(void);
/* test_oneshot.c's recording timer hardware and clock. */
uint64_t unit_fake_timer_deadline(void);
unsigned int unit_fake_timer_arms(void);
void unit_fake_clock_advance(uint64_t ns);
/* test_balloon_scan.c's pvk_port_schedule_work() records the last work. */
extern struct pvk_work *unit_fake_work_last;
extern unsigned int unit_fake_works_scheduled;
void unit_fake_grant_mapped(pvk_grant_ref_t ref, bool mapped);
/* The next n - 1 grants succeed, the n-th fails (-PVK_XEN_ENOSPC); 0: off. */
void unit_fake_grant_fail_in(int n);
/* A hostile backend maps each new grant at once (ending it is refused). */
void unit_fake_grant_map_on_grant(bool on);
/* Pages given to the played pvk_port_free_page() (which only counts). */
unsigned int unit_fake_pages_freed(void);
/* When set, also called with each page given to it (test_netfront_xenbus.c
 * frees them there and checks which the kit gave back). */
extern void (*unit_fake_page_freed_hook)(void *page);
/* Every grant refused (ENOSPC) until called again with false. */
void unit_fake_grants_refused(bool refuse);
unsigned int unit_fake_grants_live(void);
/* Runs port's handler; false if it has none. */
bool unit_fake_event(pvk_evtchn_port_t port);

/* test_netfront_xenbus.c's xenbus, for devices under device/vif/. */
static inline bool unit_fake_is_vif(const struct pvk_xenbus_device *d)
{
	return __builtin_strncmp(d->nodename, "device/vif/", 11) == 0;
}
int unit_vif_read_feature(struct pvk_xenbus_device *d, const char *name,
			  unsigned long def, unsigned long *out);
int unit_vif_switch_state(struct pvk_xenbus_device *d, enum pvk_xenbus_state s);
int unit_vif_write_keys(struct pvk_xenbus_device *d, const struct pvk_xenbus_kv *kv,
			unsigned int n);
int unit_vif_register_driver(struct pvk_xenbus_driver *drv);

/*
 * The played watch worker role (test_blkfront.c). A moment another CPU
 * may run beside the code under test: a line logged or a grant ended
 * while that code does not hold the role.
 *
 * elsewhere: deliver is a xenbus callback under way on another CPU, which
 * holds the role until it has run: it runs when the code under test asks
 * for the role, or earlier, at such a moment.
 * later: deliver is a callback that arrives on another CPU once the code
 * under test has entered the role (after it looked): it runs at the
 * first such moment after that enter, else when the test runs it
 * (run_later, false if it already ran): a code that leaves the role
 * before it has finished meets it half-way.
 * watch_free: freed_beside says whether ptr was freed while an elsewhere
 * callback was still under way (a device unlinked from a list that
 * callback may be changing).
 * Busy: every enter times out.
 */
void unit_fake_worker_elsewhere(void (*deliver)(void));
void unit_fake_worker_later(void (*deliver)(void));
bool unit_fake_worker_run_later(void);
void unit_fake_worker_watch_free(const void *ptr);
bool unit_fake_worker_freed_beside(void);
void unit_fake_worker_busy(bool busy);
/* Enters not left yet (0 after every kit call). */
unsigned int unit_fake_worker_depth(void);

/* test_xenbus_keys.c's played xenstore: whether path is a node there. */
bool unit_xs_node_exists(const char *path);
/* test_xenbus_keys.c: a backend's state node it plays; true (and *rc
 * set as pvk_xs_read's) when path is that node. */
bool unit_xs_read_played(const char *path, char *buf, size_t size, int *rc);

/* Event channel sends so far (test_blkfront.c's played pvk_evtchn_send). */
unsigned int unit_fake_sends(void);
/* test_mmu_queue.c's played lock: when set, run (once, then cleared) as
 * the next lock is given back: another thread's work in the moment a
 * thread preempted right after an unlock does not run. */
extern void (*unit_fake_unlock_hook)(void);

/* test_suspend.c's stand-in of xenstore's quiesce in pvk_suspend(): when
 * set, called there and its answer is the quiesce's (nonzero: the suspend
 * is refused after the parts quiesced, and they resume(CANCELLED), the
 * one path past the parts the unit tests can run). */
extern int (*unit_suspend_xs_hook)(void);

#endif /* UNIT_FAKE_KIT_H */
