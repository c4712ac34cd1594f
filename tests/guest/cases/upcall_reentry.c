/*
 * tests/guest/cases/upcall_reentry.c - events that arrive while the previous
 * upcall is on its way out (events/upcall.S, "the critical region").
 *
 * A loopback port's handler raises its own port again, REENTRIES times.
 * Each new event finds the upcall mask set (Xen set it on delivery), so it
 * waits: the ABI's scan takes some in the same upcall (2-level: up to its
 * rounds; FIFO: up to its budget), and the rest are pending when the
 * upcall leaves through the iret hypercall. Xen restores the mask there
 * and, seeing the event, delivers the next upcall at once on the
 * interrupted stack: a fresh frame where the old one was.
 *
 * If anything unmasked upcalls before the iret, each of those events would
 * nest one more frame (more than 100 bytes) on the stack, and the stack
 * would grow with the number of upcalls until it overflowed. The test
 * records the handler's frame address on every call and requires that it
 * never moves by more than a frame, across hundreds of upcalls.
 */
#include <pvkit/events.h>
#include <pvkit/pvops.h>

#include "../test.h"

#define REENTRIES	3000
#define MAX_SPREAD	128	/* bytes: less than one nested upcall frame */

static unsigned int calls;
static uintptr_t lowest, highest;
static pvk_evtchn_port_t rx_port, tx_port;
static int send_error;

static bool reraise(pvk_evtchn_port_t port, void *arg)
{
	uintptr_t frame = (uintptr_t)__builtin_frame_address(0);

	(void)port;
	(void)arg;
	if (!calls || frame < lowest)
		lowest = frame;
	if (!calls || frame > highest)
		highest = frame;
	if (++calls < REENTRIES && !send_error)
		send_error = pvk_evtchn_send(tx_port);
	return true;	/* work done: not a flood */
}

PVK_GUEST_TEST_XEN(upcall_reentry_no_nesting)
{
	struct pvk_evtchn_stats before, after;
	unsigned long fl;
	uint64_t upcalls;

	guest_events_enable();
	calls = 0;
	send_error = 0;
	PVK_CHECK_RC(pvk_evtchn_alloc_unbound(PVK_DOMID_SELF, reraise, NULL, &rx_port), 0);
	PVK_CHECK_RC(pvk_evtchn_bind_interdomain(PVK_DOMID_SELF, rx_port, NULL, NULL,
						 &tx_port), 0);
	/* Raise the first event with upcalls masked; unmasking delivers it,
	 * and the whole chain runs before pvk_restore_fl() returns. */
	fl = pvk_irq_save();
	pvk_evtchn_get_stats(&before);
	send_error = pvk_evtchn_send(tx_port);
	pvk_restore_fl(fl);
	pvk_evtchn_get_stats(&after);
	upcalls = after.upcalls - before.upcalls;
	pvk_evtchn_close(tx_port);
	pvk_evtchn_close(rx_port);
	guest_printf("upcall: %u handler calls in %llu upcalls (%s ABI), handler frame spread %lu bytes\n",
		     calls, (unsigned long long)upcalls, pvk_evtchn_abi_name(),
		     (unsigned long)(highest - lowest));
	PVK_CHECK_RC(send_error, 0);
	PVK_CHECK_EQ(calls, REENTRIES);
	/* The path under test was taken: events were pending at the iret. */
	PVK_CHECK_GE(upcalls, 2);
	PVK_CHECK_LT(highest - lowest, MAX_SPREAD);
}
