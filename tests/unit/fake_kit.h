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
/* Runs port's handler; false if it has none. */
bool unit_fake_event(pvk_evtchn_port_t port);

#endif /* UNIT_FAKE_KIT_H */
