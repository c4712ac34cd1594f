/*
 * tests/unit/unit_xenbus.h - a xenbus device handed to a frontend
 * driver's probe as the kit's bus does it, for the unit tests that drive
 * a driver's xenbus side by hand (test_blkfront.c,
 * test_netfront_xenbus.c): one place that knows which fields the bus
 * fills before probe.
 */
#ifndef UNIT_XENBUS_H
#define UNIT_XENBUS_H

#include <string.h>
#include <pvkit/xenbus.h>
#include "tests/unit/unit.h"

/* xd afresh: nodename ("device/<type>/<id>"), its id, the backend's
 * directory, Initialising; probed by drv (which must accept it).
 * Returns the driver's device. */
static inline void *unit_xenbus_probe(struct pvk_xenbus_device *xd,
				      const struct pvk_xenbus_driver *drv,
				      const char *nodename, const char *otherend)
{
	memset(xd, 0, sizeof(*xd));
	strcpy(xd->nodename, nodename);
	xd->id = strrchr(xd->nodename, '/') + 1;
	strcpy(xd->otherend, otherend);
	xd->state = PVK_XenbusStateInitialising;
	CHECK_EQ(drv->probe(xd), 0);
	return xd->priv;
}

#endif /* UNIT_XENBUS_H */
