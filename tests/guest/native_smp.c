/*
 * tests/guest/native_smp.c - the reference guest's CPUs on a native boot:
 * which there are (ACPI's MADT), the low pages and IPI vector the kit's
 * native start needs (pvk_native_smp_init()), and the number of the
 * calling CPU (its local APIC id looked up in the table given to the kit).
 *
 * The ACPI tables and the PVH start info are read where pvh.S's identity
 * map of the first GiB puts them; an address above it is refused.
 *
 *   hvm_start_info (Xen's public hvm/start_info.h, version >= 1)
 *   offset | field
 *   -------+---------------------------------------------------------
 *     0x00 | magic 0x336ec578
 *     0x04 | version
 *     0x20 | rsdp_paddr (0: search the BIOS area as firmware would)
 *     0x28 | memmap_paddr: entries of (addr u64, size u64, type u32,
 *          | reserved u32), type 1 = RAM
 *     0x30 | memmap_entries
 *
 *   RSDP "RSD PTR " -> revision >= 2 ? XSDT (8-byte entries) : RSDT
 *   (4-byte) -> the table "APIC" (MADT): after its 44-byte head, entries
 *   (type u8, length u8, ...); type 0 = processor local APIC: ACPI id u8,
 *   APIC id u8, flags u32 (bit 0 enabled, bit 1 online capable).
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/smp.h>

#include "guest.h"

#define HVM_START_MAGIC		0x336ec578u
#define HVM_START_RSDP		0x20
#define HVM_START_MEMMAP	0x28
#define HVM_START_MEMMAP_NR	0x30
#define HVM_START_SIZE		0x38
#define MEMMAP_ENTRY_SIZE	24
#define MEMMAP_RAM		1

#define IDENTITY_LIMIT		(1UL << 30)	/* pvh.S maps 0 .. 1 GiB 1:1 */
#define SDT_HEADER		36
#define MADT_ENTRIES		44
#define MADT_LOCAL_APIC		0
#define MADT_X2APIC		9
#define LAPIC_ENABLED		1u
#define APIC_ID_REG		0x020

/* Where the trampoline goes unless the memory map says it is not RAM. */
#define LOW_FIRST		0x8000u
#define LOW_LIMIT		0xa0000u

static volatile uint32_t *lapic;
static uint32_t apic_ids[PVK_MAX_CPUS];
static unsigned int nr_cpus;		/* 0 until the table is complete */

unsigned long guest_native_hvm_start_info;

static const void *phys(uint64_t addr, uint64_t len)
{
	if (!addr || addr >= IDENTITY_LIMIT || len > IDENTITY_LIMIT - addr)
		return NULL;
	return (const void *)(unsigned long)addr;
}

static bool checksum_ok(const uint8_t *p, uint32_t len)
{
	uint8_t sum = 0;

	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return sum == 0;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	__builtin_memcpy(&v, p, sizeof(v));
	return v;
}

static bool is_rsdp(const uint8_t *p)
{
	return !__builtin_memcmp(p, "RSD PTR ", 8) && checksum_ok(p, 20);
}

/* The BIOS read-only area, on 16-byte boundaries (ACPI spec, "Finding the RSDP"). */
static uint64_t rsdp_search(void)
{
	for (uint64_t a = 0xe0000; a < 0x100000; a += 16)
		if (is_rsdp(phys(a, 36)))
			return a;
	return 0;
}

/* A system description table: its header checked, or NULL. */
static const uint8_t *sdt(uint64_t addr)
{
	const uint8_t *h = phys(addr, SDT_HEADER);
	uint32_t len;

	if (!h)
		return NULL;
	len = rd32(h + 4);
	if (len < SDT_HEADER || !phys(addr, len) || !checksum_ok(h, len))
		return NULL;
	return h;
}

static const uint8_t *find_madt(uint64_t rsdp_addr)
{
	const uint8_t *rsdp = phys(rsdp_addr, 36), *root;
	unsigned int entry_size;

	if (!rsdp || !is_rsdp(rsdp)) {
		guest_printf("native smp: no valid RSDP at 0x%llx\n", (unsigned long long)rsdp_addr);
		return NULL;
	}
	if (rsdp[15] >= 2 && rd64(rsdp + 24)) {
		root = sdt(rd64(rsdp + 24));
		entry_size = 8;
	} else {
		root = sdt(rd32(rsdp + 16));
		entry_size = 4;
	}
	if (!root) {
		guest_printf("native smp: the RSDT/XSDT is not readable or its checksum is wrong\n");
		return NULL;
	}
	for (uint32_t off = SDT_HEADER; off + entry_size <= rd32(root + 4); off += entry_size) {
		uint64_t a = entry_size == 8 ? rd64(root + off) : rd32(root + off);
		const uint8_t *t = sdt(a);

		if (t && !__builtin_memcmp(t, "APIC", 4))
			return t;
	}
	guest_printf("native smp: no MADT (\"APIC\") in the ACPI tables\n");
	return NULL;
}

/* The enabled local APICs, the boot CPU's first; returns how many. */
static unsigned int madt_cpus(const uint8_t *madt, uint32_t boot_id, uint32_t *ids)
{
	uint32_t len = rd32(madt + 4), off = MADT_ENTRIES;
	unsigned int n = 1, seen = 0;
	bool boot_seen = false;

	ids[0] = boot_id;
	while (off + 2 <= len) {
		uint8_t type = madt[off], elen = madt[off + 1];

		if (elen < 2 || off + elen > len) {
			guest_printf("native smp: MADT entry at %u has length %u: stop reading\n",
				     off, elen);
			break;
		}
		if (type == MADT_LOCAL_APIC && elen >= 8 && (rd32(madt + off + 4) & LAPIC_ENABLED)) {
			uint32_t id = madt[off + 3];

			seen++;
			if (id == boot_id)
				boot_seen = true;
			else if (n < PVK_MAX_CPUS)
				ids[n++] = id;
			else
				guest_printf("native smp: APIC id %u beyond %u CPUs: not used\n",
					     id, PVK_MAX_CPUS);
		} else if (type == MADT_X2APIC) {
			guest_printf("native smp: an x2APIC entry (not supported): not used\n");
		}
		off += elen;
	}
	if (!boot_seen)
		guest_printf("native smp: the boot CPU (APIC id %u) is not in the MADT\n", boot_id);
	guest_printf("native smp: MADT lists %u enabled local APICs\n", seen);
	return n;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* PVK_NATIVE_SMP_LOW_PAGES pages of RAM below LOW_LIMIT that hold none of
 * the start info's structures; 0 if there are none. */
static uint32_t pick_low_pages(const uint8_t *si)
{
	uint64_t len = PVK_NATIVE_SMP_LOW_PAGES * PVK_PAGE_SIZE;
	uint64_t map = rd64(si + HVM_START_MEMMAP);
	uint32_t nr = rd32(si + HVM_START_MEMMAP_NR);
	const uint8_t *m = phys(map, (uint64_t)nr * MEMMAP_ENTRY_SIZE);

	if (!m || !nr) {
		guest_printf("native smp: no memory map in the start info\n");
		return 0;
	}
	for (uint64_t a = LOW_FIRST; a + len <= LOW_LIMIT; a += PVK_PAGE_SIZE) {
		bool ram = false;

		for (uint32_t i = 0; i < nr; i++) {
			const uint8_t *e = m + i * MEMMAP_ENTRY_SIZE;
			uint64_t base = rd64(e), size = rd64(e + 8);

			if (rd32(e + 16) == MEMMAP_RAM && base <= a && a + len <= base + size)
				ram = true;
		}
		if (!ram ||
		    overlaps(a, len, guest_native_hvm_start_info, HVM_START_SIZE) ||
		    overlaps(a, len, map, (uint64_t)nr * MEMMAP_ENTRY_SIZE) ||
		    overlaps(a, len, rd64(si + 24), PVK_PAGE_SIZE))	/* cmdline */
			continue;
		return (uint32_t)a;
	}
	guest_printf("native smp: no %llu bytes of RAM below 0x%x for the trampoline\n",
		     (unsigned long long)len, LOW_LIMIT);
	return 0;
}

unsigned int guest_native_smp_init(void)
{
	const uint8_t *si = phys(guest_native_hvm_start_info, HVM_START_SIZE), *madt;
	uint32_t ids[PVK_MAX_CPUS], low, boot_id;
	uint64_t apic_phys, rsdp;
	unsigned int n;
	int rc;

	if (!si || rd32(si) != HVM_START_MAGIC || rd32(si + 4) < 1) {
		guest_printf("native smp: no PVH start info (version >= 1): one CPU\n");
		return 1;
	}
	if (pvk_native_timer_probe(&apic_phys))
		return 1;
	/* native_timer.c mapped the APIC page at its identity address. */
	lapic = (volatile uint32_t *)(unsigned long)apic_phys;
	boot_id = lapic[APIC_ID_REG / 4] >> 24;
	rsdp = rd64(si + HVM_START_RSDP);
	if (!rsdp)
		rsdp = rsdp_search();
	madt = find_madt(rsdp);
	if (!madt)
		return 1;
	n = madt_cpus(madt, boot_id, ids);
	low = pick_low_pages(si);
	if (!low)
		return 1;
	rc = pvk_native_smp_init(ids, n, (void *)(unsigned long)low, low, GUEST_NATIVE_IPI_VECTOR);
	if (rc) {
		guest_printf("native smp: pvk_native_smp_init: %d: one CPU\n", rc);
		return 1;
	}
	for (unsigned int i = 0; i < n; i++)
		apic_ids[i] = ids[i];
	__atomic_store_n(&nr_cpus, n, __ATOMIC_RELEASE);
	guest_printf("native smp: %u CPUs, APIC ids", n);
	for (unsigned int i = 0; i < n; i++)
		guest_printf(" %u", ids[i]);
	guest_printf(", trampoline at 0x%x\n", low);
	return n;
}

unsigned int guest_native_cpu_id(void)
{
	unsigned int n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE);
	uint32_t id;

	/* One CPU: no MMIO read, the single-CPU path stays as fast as before. */
	if (n <= 1)
		return 0;
	id = lapic[APIC_ID_REG / 4] >> 24;
	for (unsigned int i = 0; i < n; i++)
		if (apic_ids[i] == id)
			return i;
	/* Not a CPU we gave the kit: no answer is right, and the panic path
	 * would ask again. Say so on COM1 directly and stop this CPU. */
	{
		static const char msg[] = "native smp: a CPU whose APIC id is not in the table: halted\n";

		guest_serial_write(msg, sizeof(msg) - 1);
		for (;;)
			__asm__ __volatile__("cli; hlt");
	}
}

unsigned int guest_native_smp_cpus(void)
{
	unsigned int n = __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE);

	return n ? n : 1;
}

uint32_t guest_native_smp_apic_id_of(unsigned int cpu)
{
	return cpu < __atomic_load_n(&nr_cpus, __ATOMIC_ACQUIRE) ? apic_ids[cpu] : 0xffffffffu;
}

uint32_t guest_native_apic_id(void)
{
	return lapic ? lapic[APIC_ID_REG / 4] >> 24 : 0;
}
