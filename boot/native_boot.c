/*
 * boot/native_boot.c - pvk_native_boot(): the kit's setup on bare
 * hardware, the same kernel image's other entry (pvkit/boot.h).
 *
 * The native pvops first (every later step uses them), the IDT so a fault
 * is reported, the host's early hook (its per-CPU answer, its interrupt
 * controllers), the local APIC one-shot (pvk_native_timer_init() measures
 * it against the PIT, before the host's allocator hands out the pages a
 * measurement does not need), the host's memory, then its CPUs.
 */
#include <pvkit/boot.h>
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>

static __pvk_noreturn void failed(const char *step, int rc)
{
	pvk_err("boot: %s failed: %d", step, rc);
	pvk_port_panic("pvkit native boot: a step failed (the line above names it)");
}

static void start_timer(const struct pvk_boot_config *cfg)
{
	void *lapic;
	uint64_t phys;
	int rc;

	rc = pvk_native_timer_probe(&phys);
	if (rc)
		failed("finding the local APIC (pvk_native_timer_probe)", rc);
	lapic = cfg->native_map_lapic(phys, cfg->arg);
	rc = pvk_native_timer_init(lapic, cfg->native_timer_vector, cfg->native_spurious_vector);
	if (rc)
		failed("the local APIC one-shot (pvk_native_timer_init)", rc);
	rc = pvk_time_timer_init(cfg->timer_fn, cfg->timer_arg);
	if (rc)
		failed("the one-shot timer (pvk_time_timer_init)", rc);
}

void pvk_native_boot(const struct pvk_boot_config *cfg)
{
	int rc;

	pvk_pvops_select_native();
	if (cfg->traps && (rc = pvk_load_idt(cfg->traps, cfg->nr_traps)))
		failed("the IDT", rc);
	if (cfg->early)
		cfg->early(cfg->arg);
	if (cfg->native_map_lapic)
		start_timer(cfg);
	if (cfg->memory)
		cfg->memory(NULL, cfg->arg);
	if (cfg->cpus_start)
		cfg->cpus_start(cfg->arg);
}
