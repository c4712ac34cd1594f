/*
 * boot/xen_boot.c - pvk_xen_boot(): the kit's setup on Xen in its one
 * order, with the host's two hooks where only it can help (pvkit/boot.h
 * numbers the steps; the README's porting guide lists them for a host
 * that calls them itself).
 *
 * Why this order: nothing prints without the hypercall page; a fault
 * wants the trap table; the irq ops, the clock and every event need
 * shared_info; the p2m and the batchers need nothing of the host's but a
 * pfn's address; the host's allocator needs the start-of-day area
 * (pvk_boot_area()) and the MMU to map the rest; FIFO event pages come
 * from that allocator; the timer, xenstore and the console driver bind
 * ports; other CPUs need the timer (smp.h); the balloon driver and domain
 * control watch xenstore.
 */
#include <pvkit/balloon.h>
#include <pvkit/boot.h>
#include <pvkit/console.h>
#include <pvkit/control.h>
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/multicall.h>
#include <pvkit/p2m.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/xen.h>
#ifdef CONFIG_PVK_XENBUS
#include <pvkit/xenstore.h>
#endif

#include "boot_internal.h"

#define START_INFO_MAGIC	"xen-3.0-x86_64"
#define BALLOON_START_NS	(10ULL * 1000 * 1000 * 1000)

static const struct pvk_start_info *start_info;

__pvk_noreturn void pvk_boot_failed(const char *step, int rc)
{
	pvk_err("boot: %s failed: %d", step, rc);
	pvk_port_panic("pvkit boot: a step failed (the line above names it)");
}

/* No hypercall works: crash with no stack, which Xen cannot deliver the
 * #UD onto, so it crashes the domain. */
static __pvk_noreturn void crash_hard(void)
{
	for (;;)
		__asm__ __volatile__("xorl %%esp, %%esp; ud2" ::: "memory");
}

static void check_magic(const struct pvk_start_info *si)
{
	static const char msg[] =
		"pvkit: start_info magic is not \"" START_INFO_MAGIC "\": "
		"not a 64-bit PV guest of the Xen 3.0+ ABI\n";
	struct pvk_sched_shutdown crash = { .reason = PVK_SHUTDOWN_crash };

	if (!__builtin_memcmp(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC)))
		return;
	pvk_xen_console_io_write(msg, sizeof(msg) - 1);
	pvk_hyp_sched_op(PVK_SCHEDOP_shutdown, &crash);
	crash_hard();
}

/* A ring page of start_info, given by machine frame: its 1:1 address. */
static void *ring_of(const struct pvk_boot_config *cfg, uint64_t mfn, const char *what)
{
	pvk_pfn_t pfn = pvk_mfn_to_pfn(pvk_mfn(mfn));
	void *va;

	if (pvk_pfn_raw(pfn) >= pvk_p2m_nr_pages() ||
	    !pvk_mfn_eq(pvk_pfn_to_mfn(pfn), pvk_mfn(mfn)) ||
	    !(va = cfg->pfn_to_virt(pfn))) {
		pvk_err("boot: %s: mfn 0x%llx is not a mapped frame of ours", what,
			(unsigned long long)mfn);
		pvk_boot_failed(what, -PVK_XEN_EINVAL);
	}
	return va;
}

void pvk_xen_boot(const struct pvk_start_info *si, const struct pvk_boot_config *cfg)
{
	struct pvk_shared_info *shared;
	int rc;

	/* 1 */
	if (!pvk_hypercall_page_filled())
		crash_hard();
	pvk_pvops_select_xen(NULL);	/* irq ops wait for shared_info */
	/* 2 */
	if (cfg->traps && (rc = pvk_load_idt(cfg->traps, cfg->nr_traps)))
		pvk_boot_failed("the trap table (set_trap_table)", rc);
	if (cfg->early)
		cfg->early(cfg->arg);
	/* 3 */
	check_magic(si);
	start_info = si;
	/* 4 */
	rc = pvk_boot_map_shared_info(si);
	if (rc)
		pvk_boot_failed("mapping shared_info", rc);
	shared = pvk_xen_shared_info();
	pvk_pvops_xen_set_shared_info(shared);
	pvk_time_init(shared);
	/* 5 */
	if (cfg->boot_area)
		cfg->boot_area(si, cfg->arg);
	pvk_mmu_init(si, cfg->pfn_to_virt);
	pvk_multicall_init();
	pvk_xen_console_early_init(ring_of(cfg, si->console.domU.mfn, "the console ring"),
				   si->console.domU.evtchn);
	/* 6 */
	if (cfg->memory)
		cfg->memory(si, cfg->arg);
	/* 7 */
	rc = pvk_evtchn_init(shared, cfg->evtchn_flags);
	if (rc)
		pvk_boot_failed("event channels (pvk_evtchn_init)", rc);
	rc = pvk_evtchn_register_upcall();
	if (rc)
		pvk_boot_failed("registering the event upcall", rc);
	if (!cfg->events_later)
		pvk_xen_boot_events(cfg);
}

#ifdef CONFIG_PVK_XENBUS
static bool balloon_settled(void *arg)
{
	(void)arg;
	return pvk_balloon_settled();
}

static void start_balloon(const struct pvk_balloon_host *host)
{
	struct pvk_wait w;
	int rc = pvk_balloon_driver_start(host);

	/* Its registration event and first read here, where the caller
	 * expects xenstore traffic, rather than in some later wait. */
	if (!rc) {
		pvk_port_wait_init(&w);
		rc = pvk_port_wait_until(&w, balloon_settled, NULL, BALLOON_START_NS);
	}
	if (rc)
		pvk_boot_failed("the balloon driver", rc);
}
#endif

void pvk_xen_boot_events(const struct pvk_boot_config *cfg)
{
	const struct pvk_start_info *si = start_info;
	int rc;

	if (!si)
		pvk_port_panic("pvk_xen_boot_events() before pvk_xen_boot()");
	/* 9 */
	rc = pvk_time_timer_init(cfg->timer_fn, cfg->timer_arg);
	if (rc)
		pvk_boot_failed("the one-shot timer (VIRQ_TIMER)", rc);
#ifdef CONFIG_PVK_XENBUS
	rc = pvk_xs_init(ring_of(cfg, si->store_mfn, "the xenstore ring"), si->store_evtchn);
	if (rc)
		pvk_boot_failed("the xenstore client", rc);
#endif
#ifdef CONFIG_PVK_CONSOLE
	rc = pvk_console_init(ring_of(cfg, si->console.domU.mfn, "the console ring"),
			      si->console.domU.evtchn, cfg->console_rx, cfg->console_rx_arg);
	if (rc)
		pvk_boot_failed("the console driver", rc);
#endif
	/* The irq op unmasks and, if something is already pending, gives
	 * Xen a way back to us to deliver it. */
	pvk_irq_enable();
	/* 10 */
	if (cfg->cpus_start)
		cfg->cpus_start(cfg->arg);
	/* 11 */
#ifdef CONFIG_PVK_XENBUS
	if (cfg->balloon)
		start_balloon(cfg->balloon);
	if (cfg->control && (rc = pvk_control_init(cfg->control, cfg->control_arg)))
		pvk_boot_failed("domain control", rc);
#else
	if (cfg->balloon || cfg->control)
		pvk_boot_failed("the balloon driver and domain control need CONFIG_PVK_XENBUS",
				-PVK_XEN_ENOSYS);
#endif
}
