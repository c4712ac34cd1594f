/*
 * ports/linux/xen_module.c - pvk-xen.ko: the kit's interfaces on Linux's
 * Xen core, shared by pvk-blkfront.ko and pvk-netfront.ko. Exports the
 * pvk_ functions they call (GPL-only: they sit on Linux's GPL-only Xen
 * exports), including those of the pure kit files compiled in unchanged.
 */
#include <linux/module.h>
#include <linux/init.h>
#include <xen/xen.h>

#include <pvkit/port.h>
#include <pvkit/time.h>
#include <pvkit/log.h>
#include <pvkit/events.h>
#include <pvkit/grant.h>
#include <pvkit/suspend.h>
#include <pvkit/xenbus.h>
#include <pvkit/xenstore.h>

#include "port_linux.h"

/* port.c */
EXPORT_SYMBOL_GPL(pvk_port_alloc_page);
EXPORT_SYMBOL_GPL(pvk_port_free_page);
EXPORT_SYMBOL_GPL(pvk_port_malloc);
EXPORT_SYMBOL_GPL(pvk_port_free);
EXPORT_SYMBOL_GPL(pvk_port_log_write);
EXPORT_SYMBOL_GPL(pvk_port_panic);
EXPORT_SYMBOL_GPL(pvk_port_lock_init);
EXPORT_SYMBOL_GPL(pvk_port_lock);
EXPORT_SYMBOL_GPL(pvk_port_unlock);
EXPORT_SYMBOL_GPL(pvk_port_cpu_id);
EXPORT_SYMBOL_GPL(pvk_port_wait_init);
EXPORT_SYMBOL_GPL(pvk_port_wait_until);
EXPORT_SYMBOL_GPL(pvk_port_wake);
EXPORT_SYMBOL_GPL(pvk_time_now_ns);
/* events.c */
EXPORT_SYMBOL_GPL(pvk_evtchn_alloc_unbound);
EXPORT_SYMBOL_GPL(pvk_evtchn_send);
EXPORT_SYMBOL_GPL(pvk_evtchn_close);
/* grant.c */
EXPORT_SYMBOL_GPL(pvk_grant_access_page);
EXPORT_SYMBOL_GPL(pvk_grant_end_access);
EXPORT_SYMBOL_GPL(pvk_grant_end_access_page);
EXPORT_SYMBOL_GPL(pvk_grant_stats_snapshot);
/* xenbus.c */
EXPORT_SYMBOL_GPL(pvk_xenbus_register_driver);
EXPORT_SYMBOL_GPL(pvk_xenbus_unregister_driver);
EXPORT_SYMBOL_GPL(pvk_xenbus_switch_state);
EXPORT_SYMBOL_GPL(pvk_xenbus_read_feature);
EXPORT_SYMBOL_GPL(pvk_xenbus_write_keys);
EXPORT_SYMBOL_GPL(pvk_xenbus_worker_enter);
EXPORT_SYMBOL_GPL(pvk_xenbus_worker_leave);
EXPORT_SYMBOL_GPL(pvk_xs_read);
EXPORT_SYMBOL_GPL(pvk_xs_read_ulong);
EXPORT_SYMBOL_GPL(pvk_xs_wait_watches);
EXPORT_SYMBOL_GPL(pvk_suspend_register);
EXPORT_SYMBOL_GPL(pvk_suspend_parts_out_ns);
EXPORT_SYMBOL_GPL(pvk_xenbus_device_resume);
EXPORT_SYMBOL_GPL(pvk_xenbus_otherend_poll);
EXPORT_SYMBOL_GPL(pvk_xenbus_publish);
EXPORT_SYMBOL_GPL(pvk_xenbus_publish_with);
EXPORT_SYMBOL_GPL(pvk_xenbus_publish_scratch_alloc);
EXPORT_SYMBOL_GPL(pvk_xenbus_publish_scratch_free);
EXPORT_SYMBOL_GPL(pvk_xenbus_read_features);
/* options.c */
EXPORT_SYMBOL_GPL(pvk_linux_apply_options);
EXPORT_SYMBOL_GPL(pvk_linux_option_named);
/* The pure kit files: lib/format.c, lib/log.c, frontends/xenbus/. */
EXPORT_SYMBOL_GPL(pvk_vsnprintf);
EXPORT_SYMBOL_GPL(pvk_snprintf);
EXPORT_SYMBOL_GPL(pvk_log);
EXPORT_SYMBOL_GPL(pvk_xs_parse_ulong);
EXPORT_SYMBOL_GPL(pvk_xenbus_printable);
EXPORT_SYMBOL_GPL(pvk_xenbus_state_name);
EXPORT_SYMBOL_GPL(pvk_xenbus_transition_ok);
EXPORT_SYMBOL_GPL(pvk_xenbus_parse_state);

static int __init pvk_xen_init(void)
{
	if (!xen_domain())
		return -ENODEV;
	return pvk_linux_xenbus_init();
}

static void __exit pvk_xen_exit(void)
{
	pvk_linux_xenbus_exit();
	pvk_linux_events_exit();
	pvk_linux_grant_exit();
}

module_init(pvk_xen_init);
module_exit(pvk_xen_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pvkit: the kit's Xen interfaces on Linux's Xen core");
