/*
 * pvkit/control.h - domain control requests from the toolstack.
 *
 * `xl shutdown` / `xl reboot` write "poweroff" / "reboot" to the domain's
 * control/shutdown node, `xl sysrq D K` writes the key K to control/sysrq.
 * The kit watches both, acknowledges each request by clearing the node
 * (in a transaction, so a request written meanwhile is not lost), and
 * hands it to the host kernel's handler, in thread context (from
 * pvk_xs_run_watches()). The host then does its orderly shutdown and ends
 * with SCHEDOP_shutdown and the matching reason, so `xl list` shows why
 * the domain ended. Suspend ("suspend") is carried out by the kit
 * (pvkit/suspend.h) when the host registered with pvk_suspend_init();
 * otherwise it is acknowledged, logged and reported as
 * PVK_CONTROL_SUSPEND for the host to refuse.
 */
#ifndef PVKIT_CONTROL_H
#define PVKIT_CONTROL_H

#include <pvkit/types.h>

enum pvk_control_request {
	PVK_CONTROL_POWEROFF,	/* "poweroff" or "halt" */
	PVK_CONTROL_REBOOT,	/* "reboot" */
	PVK_CONTROL_SUSPEND,	/* "suspend" without pvk_suspend_init() */
	PVK_CONTROL_SYSRQ,	/* control/sysrq: key in the call */
};

/* key: the sysrq key for PVK_CONTROL_SYSRQ, 0 otherwise. */
typedef void (*pvk_control_handler_t)(enum pvk_control_request req, char key,
				      void *arg);

/*
 * Watches control/shutdown and control/sysrq (needs pvk_xs_init()) and
 * advertises control/feature-poweroff and -reboot.
 */
int pvk_control_init(pvk_control_handler_t handler, void *arg);

/* The SHUTDOWN_* reason matching a request, -1 for sysrq/suspend. */
int pvk_control_shutdown_reason(enum pvk_control_request req);

/* Pure: parses a control/shutdown value; -1 if it is not a request. */
int pvk_control_parse_shutdown(const char *value);

#endif /* PVKIT_CONTROL_H */
