/*
 * tests/unit/fake_kit.h - controls of the kit interfaces test_blkfront.c
 * plays (grants, event channels) for other tests of this binary that use
 * them too (test_netfront.c): a fresh state, a grant the backend keeps
 * mapped, delivering a port's event.
 */
#ifndef UNIT_FAKE_KIT_H
#define UNIT_FAKE_KIT_H

#include <pvkit/events.h>
#include <pvkit/grant.h>

void unit_fake_kit_reset(void);
void unit_fake_grant_mapped(pvk_grant_ref_t ref, bool mapped);
/* The next n - 1 grants succeed, the n-th fails (-PVK_XEN_ENOSPC); 0: off. */
void unit_fake_grant_fail_in(int n);
/* A hostile backend maps each new grant at once (ending it is refused). */
void unit_fake_grant_map_on_grant(bool on);
/* Runs port's handler; false if it has none. */
bool unit_fake_event(pvk_evtchn_port_t port);

#endif /* UNIT_FAKE_KIT_H */
