/*
 * pvkit/xen/io/xenbus.h - the xenbus device states (Xen's io/xenbus.h):
 * the numbers a frontend and its backend write to their "state" nodes in
 * xenstore. The state machine itself is pvkit/xenbus.h's.
 */
#ifndef PVKIT_XEN_IO_XENBUS_H
#define PVKIT_XEN_IO_XENBUS_H

enum pvk_xenbus_state {
	PVK_XenbusStateUnknown = 0,
	PVK_XenbusStateInitialising = 1,
	PVK_XenbusStateInitWait = 2,	/* backend waits for frontend details */
	PVK_XenbusStateInitialised = 3,	/* frontend published its details */
	PVK_XenbusStateConnected = 4,
	PVK_XenbusStateClosing = 5,
	PVK_XenbusStateClosed = 6,
	PVK_XenbusStateReconfiguring = 7,
	PVK_XenbusStateReconfigured = 8,
};

#endif /* PVKIT_XEN_IO_XENBUS_H */
