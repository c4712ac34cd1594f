/*
 * tests/guest/boot.c - guest_main(): from Xen's entry to the tests and out.
 *
 * The order is what each step needs from the ones before:
 *   1. the hypercall page must have been filled by Xen (no output without it);
 *   2. trap table, so any later fault prints a report; CPU 0's per-CPU area
 *      (its GS base, smp.c: pvk_port_cpu_id() reads it from here on);
 *   3. start_info magic, or we are not a 64-bit PV guest of Xen 3.0+ ABI;
 *   4. shared_info (event mask, time), the start-of-day area, the console
 *      ring: from here on output goes to the ring the harness captures;
 *   5. the page allocator and the kit's multicall batcher, then the rest of
 *      the domain's memory mapped and given to the allocator (its page
 *      tables come from the allocator; above 2 GiB in a second window,
 *      bootmem.c), then the command line, the tests and the shutdown.
 * The other vCPUs start with events (guest_events_enable(), events.c): the
 * first test that needs them, so the early tests still see the boot state.
 */
#include <pvkit/hypercall.h>
#include <pvkit/mmu.h>
#include <pvkit/multicall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>
#include <pvkit/xen/sched.h>

#include "guest.h"
#include "user/user.h"

#define START_INFO_MAGIC "xen-3.0-x86_64"

const struct pvk_start_info *guest_start_info;
uint64_t guest_boot_ns;

static void check_magic(const struct pvk_start_info *si)
{
	static const char msg[] =
		"pvkit-guest: start_info magic is not \"" START_INFO_MAGIC "\": "
		"not a 64-bit PV guest of the Xen 3.0+ ABI\n";

	if (!memcmp(si->magic, START_INFO_MAGIC, sizeof(START_INFO_MAGIC)))
		return;
	/* Nothing else is known to work yet: say it on Xen's console. */
	guest_console_io_write(msg, sizeof(msg) - 1);
	guest_crash_now();
}

__pvk_noreturn void guest_main(const struct pvk_start_info *si,
			       unsigned long boot_stack_top)
{
	unsigned long nr_scratch;
	uint64_t map_ns;
	pvk_pfn_t scratch;
	unsigned int failed;

	/* Without a filled hypercall page we cannot even report that. */
	if (!pvk_hypercall_page_filled())
		guest_crash_hard();
	pvk_pvops_select_xen(NULL);	/* irq ops wait for shared_info */
	guest_traps_init();
	guest_smp_early_init();
	check_magic(si);
	guest_start_info = si;

	guest_shared_info_map(si);
	pvk_pvops_xen_set_shared_info(guest_shared_info);
	pvk_time_init(guest_shared_info);	/* guest_now_ns() is the pvops clock */
	guest_boot_ns = guest_now_ns();
	guest_bootmem_init(si, boot_stack_top);
	pvk_mmu_init(si, guest_pfn_to_virt_or_null);
	guest_console_init(si);
	guest_page_alloc_init(guest_free_start, guest_free_end);
	pvk_multicall_init();
	guest_work_init();
	map_ns = guest_now_ns();
	guest_bootmem_map_rest();
	map_ns = guest_now_ns() - map_ns;
	guest_smp_reserve_stacks();	/* before anyone takes pages apart */
	guest_events_init();	/* FIFO event pages come from the page allocator */
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
