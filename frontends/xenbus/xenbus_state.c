/*
 * frontends/xenbus/xenbus_state.c - the frontend's side of the xenbus
 * state machine, as a table.
 *
 * Rows: where the frontend is; columns: where it may go next. The normal
 * life is Initialising -> Initialised -> Connected -> Closing -> Closed;
 * a frontend may close from any state (the backend went away, or the
 * device is being removed) and may start over from Closed (reconnect
 * after the backend restarted). Reconfiguring/Reconfigured are backend
 * states in practice; the frontend only passes through them from
 * Connected.
 *
 * Also the rules of a state switch around the node's write, for every
 * host's xenbus (the kit's own, the Linux port's): one place says what is
 * refused, what is not written again and what each outcome logs.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xenbus.h>

#define S(x)	(1u << PVK_XenbusState##x)

static const unsigned int next_ok[] = {
	[PVK_XenbusStateUnknown]	= S(Initialising) | S(Closing) | S(Closed),
	[PVK_XenbusStateInitialising]	= S(InitWait) | S(Initialised) | S(Connected) |
					  S(Closing) | S(Closed),
	[PVK_XenbusStateInitWait]	= S(Initialised) | S(Connected) | S(Closing) |
					  S(Closed),
	[PVK_XenbusStateInitialised]	= S(Connected) | S(Closing) | S(Closed),
	[PVK_XenbusStateConnected]	= S(Closing) | S(Closed) | S(Reconfiguring),
	[PVK_XenbusStateClosing]	= S(Closed),
	[PVK_XenbusStateClosed]		= S(Initialising),
	[PVK_XenbusStateReconfiguring]	= S(Reconfigured) | S(Closing) | S(Closed),
	[PVK_XenbusStateReconfigured]	= S(Connected) | S(Closing) | S(Closed),
};

static const char *const names[] = {
	"Unknown", "Initialising", "InitWait", "Initialised", "Connected",
	"Closing", "Closed", "Reconfiguring", "Reconfigured",
};

bool pvk_xenbus_transition_ok(enum pvk_xenbus_state from,
			      enum pvk_xenbus_state to)
{
	if ((unsigned int)from >= PVK_ARRAY_SIZE(next_ok) ||
	    (unsigned int)to >= PVK_ARRAY_SIZE(names))
		return false;
	return from == to || (next_ok[from] & (1u << to));
}

const char *pvk_xenbus_state_name(unsigned long state)
{
	return state < PVK_ARRAY_SIZE(names) ? names[state] : "invalid";
}

int pvk_xenbus_parse_state(const char *value)
{
	if (value[0] >= '0' && value[0] <= '0' + PVK_XenbusStateReconfigured && value[1] == '\0')
		return value[0] - '0';
	return -1;
}

int pvk_xenbus_switch_state_by(struct pvk_xenbus_device *dev, enum pvk_xenbus_state state,
			       int (*write_state)(struct pvk_xenbus_device *dev,
						  enum pvk_xenbus_state state))
{
	int rc;

	if (!pvk_xenbus_transition_ok(dev->state, state)) {
		pvk_err("xenbus: %s: refusing %s -> %s", dev->nodename,
			pvk_xenbus_state_name(dev->state), pvk_xenbus_state_name(state));
		return -PVK_XEN_EINVAL;
	}
	if (state == dev->state)
		return 0;
	rc = write_state(dev, state);
	if (rc == -PVK_XEN_ENOENT) {
		pvk_info("xenbus: %s is gone: state %s not written", dev->nodename,
			 pvk_xenbus_state_name(state));
		return rc;
	}
	if (rc) {
		pvk_err("xenbus: %s: cannot write state %s: %d", dev->nodename,
			pvk_xenbus_state_name(state), rc);
		return rc;
	}
	dev->state = state;
	return 0;
}
