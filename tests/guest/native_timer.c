/*
 * tests/guest/native_timer.c - the kit's local APIC one-shot timer wired
 * into a native boot: the APIC's register page mapped, the two IDT
 * entries (native_timer_entry.S), and the kit's timer set up, so that the pvops
 * timer_set / timer_stop and pvk_time_timer_fired() behave as on Xen.
 *
 * pvh.S's page tables map the low 1 GiB and the image; the APIC page
 * (0xfee00000 after reset) is above, so it is mapped at its identity
 * address as one 2 MiB page, uncached (PCD | PWT), in a page directory of
 * its own unless its 1 GiB already has one.
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/time.h>

#include "guest.h"

/* Above the PIC's 32-47; the spurious one's low nibble 0xf: old CPUs
 * force it. */
#define LAPIC_TIMER_VECTOR	GUEST_NATIVE_TIMER_VECTOR
#define LAPIC_SPURIOUS_VECTOR	GUEST_NATIVE_SPURIOUS_VECTOR
#define PTE_PRESENT		0x001ULL
#define PTE_RW			0x002ULL
#define PTE_PWT			0x008ULL
#define PTE_PCD			0x010ULL
#define PTE_LARGE		0x080ULL
#define PTE_ADDR		0x000ffffffffff000ULL
#define LARGE_PAGE		(1ULL << 21)
#define LAPIC_TIMER_INITIAL	0x380

/* native_timer_entry.S and entry_native.S give the stubs these vectors'
 * numbers (the frame's PVK_REGS_VECTOR_IRQ(n)) as plain numbers. */
PVK_BUILD_BUG_ON(GUEST_NATIVE_TIMER_VECTOR != 0xf0);
PVK_BUILD_BUG_ON(GUEST_NATIVE_IPI_VECTOR != 0xf8);

void guest_nirq_lapic_timer(void);
void guest_nirq_lapic_spurious(void);

static uint64_t lapic_pd[512] __attribute__((aligned(PVK_PAGE_SIZE)));
static volatile uint32_t *lapic;

/* pvh.S's tables live in the image: physical -> the image's mapping. */
static uint64_t *image_table(uint64_t phys)
{
	if (phys < PVK_GUEST_LOAD_PHYS || phys - PVK_GUEST_LOAD_PHYS >= (1ULL << 30))
		pvk_port_panic("native timer: a page table outside the image");
	return (uint64_t *)(phys - PVK_GUEST_LOAD_PHYS + PVK_GUEST_VIRT_BASE);
}

static void *map_uncached(uint64_t phys)
{
	uint64_t *pml4 = image_table(pvk_read_cr3() & PTE_ADDR), *pdpt, *pd;
	unsigned int l4 = (phys >> 39) & 511, l3 = (phys >> 30) & 511;
	unsigned int l2 = (phys >> 21) & 511;

	if (!(pml4[l4] & PTE_PRESENT))
		pvk_port_panic("native timer: no PML4 entry for the APIC page");
	pdpt = image_table(pml4[l4] & PTE_ADDR);
	if (!(pdpt[l3] & PTE_PRESENT))
		pvk_set_pte(&pdpt[l3], guest_image_phys(lapic_pd) | PTE_RW | PTE_PRESENT);
	else if (pdpt[l3] & PTE_LARGE)
		pvk_port_panic("native timer: a 1 GiB page covers the APIC page (cached?)");
	pd = image_table(pdpt[l3] & PTE_ADDR);
	if (pd[l2] & PTE_PRESENT)
		pvk_port_panic("native timer: the APIC page's 2 MiB is mapped already (cached?)");
	pvk_set_pte(&pd[l2], (phys & ~(LARGE_PAGE - 1)) | PTE_LARGE |
		    PTE_PCD | PTE_PWT | PTE_RW | PTE_PRESENT);
	pvk_flush_tlb_local();
	return (void *)(unsigned long)phys;
}

unsigned int guest_native_timer_traps(struct pvk_trap_desc *traps)
{
	traps[0] = (struct pvk_trap_desc){
		.vector = LAPIC_TIMER_VECTOR, .mask_irqs = true,
		.handler = (unsigned long)guest_nirq_lapic_timer,
	};
	traps[1] = (struct pvk_trap_desc){
		.vector = LAPIC_SPURIOUS_VECTOR, .mask_irqs = true,
		.handler = (unsigned long)guest_nirq_lapic_spurious,
	};
	return GUEST_NATIVE_TIMER_TRAPS;
}

/* pvk_native_boot() probes the APIC, calls this, then starts the timer. */
void *guest_native_map_lapic(uint64_t phys, void *arg)
{
	(void)arg;
	lapic = map_uncached(phys);
	return (void *)lapic;
}

uint32_t guest_native_lapic_initial_count(void)
{
	return lapic ? lapic[LAPIC_TIMER_INITIAL / 4] : 0;
}
