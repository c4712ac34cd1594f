/*
 * ports/linux/port_linux.h - what pvk-xen.ko offers the glue modules beyond
 * the kit's interfaces (include/pvkit/), and what its files tell each other.
 */
#ifndef PVKIT_PORT_LINUX_H
#define PVKIT_PORT_LINUX_H

#include <pvkit/types.h>

/*
 * The kit's xenbus callbacks (probe, otherend_changed, remove) run one at
 * a time, from Linux's xenwatch thread or the registering thread. A glue
 * module takes the same role around kit calls that read state those
 * callbacks change (pvk_blkfront_wait_connected() walks the device list):
 * no callback runs while it is held, except while pvk_xs_wait_watches()
 * sleeps inside it (called by the holder; called from inside a callback
 * it keeps the role), or while pvk_xenbus_register_driver() and
 * _unregister_driver() wait for Linux (its bind and unbind call our
 * callbacks from other threads). Thread context.
 */
void pvk_linux_xenbus_enter(void);
void pvk_linux_xenbus_leave(void);

/*
 * Unregisters the kit driver of devclass ("vbd", "vif") that a frontend's
 * init registered (pvk_blkfront_init), for a glue module's exit, which has
 * no pointer to it. Linux unbinds each device; every unbind (this, a
 * device removed, a sysfs unbind) first closes a device still in use with
 * its backend as a detach does (Closing, then the driver follows the
 * backend to Closed, ending its grants; here at most timeout_ns per
 * device, 5 s for the other unbinds), then calls the driver's remove.
 * 0, or -ENOENT if no driver of devclass is registered. Thread context,
 * worker role not held.
 */
int pvk_linux_xenbus_unregister_class(const char *devclass, uint64_t timeout_ns);

/*
 * A glue module's hook, run after the kit driver of devclass removed a
 * device (every unbind: device gone, rmmod, sysfs unbind), with the kit
 * device its probe set (pvk_xenbus_device.priv: a struct pvk_blkfront or
 * pvk_netfront), in the worker role: the kit cannot list its devices, and
 * one that never connected never reached another hook, so this is where
 * the glue learns of every kit device it must release. NULL clears it.
 * 0, -EINVAL (class name too long), -ENOSPC (table full).
 */
int pvk_linux_xenbus_set_left_hook(const char *devclass, void (*left)(void *priv));

/*
 * Irq names (/proc/interrupts). A port allocated inside one of our xenbus
 * callbacks is bound as "pvk-vbd-51712" or "pvk-vif0" (the device whose
 * callback runs; "pvk" outside one); once the driver publishes it under
 * an event-channel key the name becomes the final "pvk-vbd-51712-q0",
 * "pvk-vif0-q1-tx" (xenbus.c reads the key, events.c renames).
 */
#define PVK_LINUX_IRQ_NAME_MAX	32
void pvk_linux_xenbus_irq_name(char *buf, size_t size);
void pvk_linux_evtchn_rename(unsigned int port, const char *name);

/* A kit timeout as a Linux sleep's jiffies: rounded up, never 0 for a
 * non-zero timeout, never wrapping, capped below MAX_SCHEDULE_TIMEOUT. */
long pvk_linux_timeout_ticks(uint64_t timeout_ns);

/*
 * Hands each name=value of options (pairs split at any of separators;
 * empty ones skipped) to apply, the frontend's switch call, in order; the
 * first refused (or a name without "=value": -EINVAL) is logged under the
 * module's name and returned, so a switch silently ignored never passes
 * for one applied. 0 for NULL or "". Thread context (it allocates).
 */
int pvk_linux_apply_options(const char *module, const char *options,
			    const char *separators,
			    int (*apply)(const char *name, const char *value));
/* Whether options names the switch name (an item "name=..."). */
bool pvk_linux_option_named(const char *options, const char *separators,
			    const char *name);

/* Module start and end of pvk-xen.ko (xen_module.c). */
int pvk_linux_xenbus_init(void);
void pvk_linux_xenbus_exit(void);
void pvk_linux_events_exit(void);
void pvk_linux_grant_exit(void);

#endif /* PVKIT_PORT_LINUX_H */
