/*
 * frontends/control/control.c - control/shutdown and control/sysrq.
 *
 * Each node works as a mailbox: the toolstack writes a request, we read it
 * and write an empty value back in the same transaction (retried on
 * conflict), so a request is taken exactly once. The watch fires once at
 * registration and again for our own clearing write: an empty value is
 * "no request" and ignored.
 */
#include <pvkit/control.h>
#include <pvkit/log.h>
#include <pvkit/suspend.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

static pvk_control_handler_t control_handler;
static void *control_arg;

int pvk_control_parse_shutdown(const char *value)
{
	static const struct {
		const char *word;
		enum pvk_control_request req;
	} words[] = {
		{ "poweroff", PVK_CONTROL_POWEROFF },
		{ "halt", PVK_CONTROL_POWEROFF },
		{ "reboot", PVK_CONTROL_REBOOT },
		{ "suspend", PVK_CONTROL_SUSPEND },
	};

	for (size_t i = 0; i < PVK_ARRAY_SIZE(words); i++) {
		size_t n = __builtin_strlen(words[i].word);

		if (!__builtin_memcmp(value, words[i].word, n) && value[n] == '\0')
			return (int)words[i].req;
	}
	return -1;
}

int pvk_control_shutdown_reason(enum pvk_control_request req)
{
	switch (req) {
	case PVK_CONTROL_POWEROFF:
		return PVK_SHUTDOWN_poweroff;
	case PVK_CONTROL_REBOOT:
		return PVK_SHUTDOWN_reboot;
	default:
		return -1;
	}
}

/* Takes the request out of node (a transaction body). */
struct take {
	const char *node;
	char value[32];
};

static int take_request(pvk_xs_transaction_t t, void *arg)
{
	struct take *tk = arg;
	int rc = pvk_xs_read(t, tk->node, tk->value, sizeof(tk->value));

	if (rc == -PVK_XEN_ENOENT) {
		tk->value[0] = '\0';
		return 0;
	}
	if (rc < 0)
		return rc;
	if (!tk->value[0])
		return 0;
	return pvk_xs_write(t, tk->node, "");
}

static bool take(struct take *tk)
{
	int rc = pvk_xs_transaction(take_request, tk, NULL);

	if (rc) {
		pvk_err("control: cannot take the request in %s: %d", tk->node, rc);
		return false;
	}
	return tk->value[0] != '\0';
}

static void shutdown_changed(struct pvk_xs_watch *w, const char *path)
{
	struct take tk = { .node = "control/shutdown" };
	int req;

	(void)w;
	(void)path;
	if (!take(&tk))
		return;
	req = pvk_control_parse_shutdown(tk.value);
	if (req < 0) {
		char shown[PVK_XENBUS_PRINTABLE_SIZE(sizeof(tk.value))];

		pvk_warn("control: unknown shutdown request \"%s\" ignored",
			 pvk_xenbus_printable(shown, sizeof(shown), tk.value));
		return;
	}
	pvk_info("control: shutdown request \"%s\"", tk.value);	/* a known word */
	/* The kit answers suspend itself once the host registered for it
	 * (pvkit/suspend.h), right here in thread context; else the host's
	 * handler hears of it and may refuse. */
	if (req == PVK_CONTROL_SUSPEND && pvk_suspend_request())
		return;
	if (req == PVK_CONTROL_SUSPEND)
		pvk_warn("control: suspend refused: the host did not register for it (pvk_suspend_init)");
	control_handler((enum pvk_control_request)req, 0, control_arg);
}

static void sysrq_changed(struct pvk_xs_watch *w, const char *path)
{
	struct take tk = { .node = "control/sysrq" };
	char shown[PVK_XENBUS_PRINTABLE_SIZE(1)];

	(void)w;
	(void)path;
	if (!take(&tk))
		return;
	tk.value[1] = '\0';	/* the key is its first byte */
	pvk_info("control: sysrq '%s'", pvk_xenbus_printable(shown, sizeof(shown), tk.value));
	control_handler(PVK_CONTROL_SYSRQ, tk.value[0], control_arg);
}

static struct pvk_xs_watch shutdown_watch = {
	.path = "control/shutdown", .cb = shutdown_changed,
};
static struct pvk_xs_watch sysrq_watch = {
	.path = "control/sysrq", .cb = sysrq_changed,
};

int pvk_control_init(pvk_control_handler_t handler, void *arg)
{
	/* xl makes these two writable for us (not a feature-sysrq). */
	static const char *const features[] = {
		"control/feature-poweroff", "control/feature-reboot",
	};
	int rc;

	if (!handler)
		return -PVK_XEN_EINVAL;
	if (control_handler)
		return -PVK_XEN_EBUSY;
	control_handler = handler;
	control_arg = arg;
	for (size_t i = 0; i < PVK_ARRAY_SIZE(features); i++) {
		rc = pvk_xs_write(PVK_XBT_NIL, features[i], "1");
		if (rc)
			pvk_warn("control: cannot write %s: %d", features[i], rc);
	}
	rc = pvk_xs_watch(&shutdown_watch);
	if (!rc)
		rc = pvk_xs_watch(&sysrq_watch);
	if (rc) {
		pvk_err("control: cannot watch the control nodes: %d", rc);
		pvk_xs_unwatch(&shutdown_watch);
		control_handler = NULL;
	}
	return rc;
}
