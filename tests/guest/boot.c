/*
 * tests/guest/boot.c - guest_main(): from Xen's entry through the kit's
 * boot call to the tests and out.
 *
 * pvk_xen_boot() keeps the kit's order (pvkit/boot.h); the guest gives it
 * its trap stubs, the per-CPU area (smp.c), its start-of-day area and
 * 1:1 map (bootmem.c), and its memory: the page allocator, the rest of
 * the domain mapped (page tables from the allocator; above 2 GiB in a
 * second window) and the other vCPUs' stacks taken while pages are still
 * consecutive. It stops before upcalls are unmasked (events_later): the
 * early tests check the boot state, and guest_events_enable() (events.c)
 * finishes the boot at the first test that needs events.
 */
#include <pvkit/boot.h>
#include <pvkit/events.h>
#include <pvkit/hypercall.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/sched.h>

#include "guest.h"
#include "user/user.h"

const struct pvk_start_info *guest_start_info;
uint64_t guest_boot_ns;

/*
 * The Xen PV world (guest.h): what the rest of the guest does differently
 * here, chosen once, in this entry point. In place from the first
 * instruction, so no code can run before it is set.
 */
static void nothing(void)
{
}

static bool shared_info_known(void)
{
	return guest_shared_info != NULL;
}

static unsigned int cpu_zero(void)
{
	return 0;
}

static int guard_readonly(void *va)
{
	/* A 1:1 page of ours that no other CPU has used yet: the local
	 * invlpg of make_readonly is enough. */
	return pvk_mmu_make_readonly(va);
}

static void yield(void)
{
	pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
}

const struct guest_world guest_xen_world = {
	.name = "xen",
	.console_write = pvk_xen_console_write,
	.console_flush = pvk_xen_console_flush,
	.stop = guest_xen_stop,
	.crash_now = guest_xen_crash_now,
	.crash_hard = guest_xen_crash_hard,
	.wait_until = guest_xen_wait_until,
	.timer_prepare = guest_events_enable,
	.irq_ops_ready = shared_info_known,
	.virt_to_pfn = guest_xen_virt_to_pfn,
	.pfn_to_virt = guest_pfn_to_virt_or_null,
	.smp_prepare = nothing,
	.early_cpu_id = cpu_zero,
	.guard_page = guard_readonly,
	.cpu_relax = yield,
	.gs_is_cpu_area = true,
	.vcpu_hotplug = true,
	.user_init = guest_xen_user_init,
	.user_enter = guest_user_enter,
	.user_before_run = nothing,
	.user_after_run = guest_xen_user_after_run,
	.bench_pte = guest_xen_bench_pte,
	.bench_fork = guest_xen_bench_fork,
	.user_return_hypercalls = 1,
	.bench_clock_note = guest_bench_note_xen_tsc,
	.bench_set_pte_how = "one mmu_update",
	.bench_user_return_how = "HYPERVISOR_iret",
};
const struct guest_world *guest_world = &guest_xen_world;

static unsigned long boot_stack_top;
static uint64_t map_ns;
static struct pvk_trap_desc traps[GUEST_NR_EXCEPTIONS];

static void early(void *arg)
{
	(void)arg;
	guest_smp_early_init();
}

static void boot_area(const struct pvk_start_info *si, void *arg)
{
	(void)arg;
	guest_shared_info = pvk_xen_shared_info();
	guest_boot_ns = guest_now_ns();	/* the pvops clock runs from here */
	guest_bootmem_init(si, boot_stack_top);
}

static void memory(const struct pvk_start_info *si, void *arg)
{
	(void)si;
	(void)arg;
	guest_page_alloc_init(guest_free_start, guest_free_end);
	guest_work_init();
	map_ns = guest_now_ns();
	guest_bootmem_map_rest();
	map_ns = guest_now_ns() - map_ns;
	guest_smp_reserve_stacks();	/* before anyone takes pages apart */
}

static void cpus_start(void *arg)
{
	(void)arg;
	guest_smp_start_all();
}

struct pvk_boot_config guest_boot_config = {
	.traps = traps,
	.nr_traps = GUEST_NR_EXCEPTIONS,
	.early = early,
	.boot_area = boot_area,
	.memory = memory,
	.cpus_start = cpus_start,
	.pfn_to_virt = guest_pfn_to_virt_or_null,
	.events_later = true,
	.console_rx = guest_console_input,
#ifdef CONFIG_PVK_XENBUS
	.balloon = &guest_balloon_host,
#endif
};

__pvk_noreturn void guest_main(const struct pvk_start_info *si, unsigned long bootstack)
{
	unsigned long nr_scratch;
	pvk_pfn_t scratch;
	unsigned int failed;

	boot_stack_top = bootstack;
	guest_start_info = si;
	guest_trap_table(false, traps);
	/* "pvkit.evtchn=2l" on the command line: keep the 2-level ABI (the
	 * guest-2level scenario runs every test that way). */
	if (guest_strstr((const char *)si->cmd_line, "pvkit.evtchn=2l"))
		guest_boot_config.evtchn_flags = PVK_EVTCHN_NO_FIFO;
	pvk_xen_boot(si, &guest_boot_config);
	guest_user_init();	/* syscall and failsafe callbacks (user/run.c) */

	guest_printf("pvkit-guest: booted as a Xen PV guest, start_info %p\n", (void *)si);
	guest_printf("pvkit-guest: %lu pages of RAM, image %p-%p, %zu free pages mapped at %p-%p\n",
		     si->nr_pages, (void *)__image_start, (void *)__image_end,
		     guest_pages_total(), (void *)guest_free_start, (void *)guest_free_end);
	guest_unmapped_pfns(&scratch, &nr_scratch);
	guest_printf("pvkit-guest: page allocator got %zu pages (%lu mapped at boot beyond Xen's, in %llu ms), %lu scratch frames left unmapped from pfn 0x%llx\n",
		     guest_pages_total(), guest_boot_mapped_pages,
		     (unsigned long long)(map_ns / 1000000), nr_scratch,
		     (unsigned long long)pvk_pfn_raw(scratch));
	if (si->nr_pages > PVK_GUEST_LOW_PAGES)
		guest_printf("pvkit-guest: pfns from 0x%lx (2 GiB less a page) are mapped at %p + pfn * 4 KiB\n",
			     (unsigned long)PVK_GUEST_LOW_PAGES, (void *)PVK_GUEST_HIGH_MAP);
	guest_printf("pvops: %s\n", pvk_pvops_name());
	guest_printf("pvkit-guest: command line \"%s\"\n", (const char *)si->cmd_line);

	guest_cmdline_parse((const char *)si->cmd_line);
	failed = guest_run_tests();
	if (!failed)
		guest_control_shutdown_if_requested();
	guest_shutdown(failed ? PVK_SHUTDOWN_crash : PVK_SHUTDOWN_poweroff);
}
