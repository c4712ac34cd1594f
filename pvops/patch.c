/*
 * pvops/patch.c - the patch sites of the hottest pvops (pvkit/pvops_patch.h
 * has the site format and the contract): the thunks an unpatched site
 * calls, and the rewrite of every site when a world is selected.
 *
 * Every record is checked before its site is written: a known op, the
 * length that op's sites have, a clobber set that covers what the world's
 * bytes change, and the site itself still the call to that op's thunk the
 * compiler emitted. Anything else (a record from an object built against
 * another version of the header, a site patched twice, bytes that are not
 * a site) panics naming the site: a wrong rewrite of kernel code would
 * fail far from here.
 */
#include <pvkit/log.h>
#include <pvkit/port.h>
#include <pvkit/smp.h>

#include "pvops_internal.h"
#include "patch.h"

/*
 * The table's thunks: an unpatched site calls one, which calls the op
 * through pvk_pvops (before selection the op that panics naming itself).
 * The asm only adds text to another section; this function is never
 * called.
 */
__attribute__((used)) static void table_thunks(void)
{
	__asm__(PVK_PVOPS_THUNK_RET("pvk_pvops_thunk_save_fl", "call *%c0(%%rip)")
		PVK_PVOPS_THUNK_VOID("pvk_pvops_thunk_restore_fl", "call *%c1(%%rip)")
		PVK_PVOPS_THUNK_VOID("pvk_pvops_thunk_irq_disable", "call *%c2(%%rip)")
		PVK_PVOPS_THUNK_VOID("pvk_pvops_thunk_irq_enable", "call *%c3(%%rip)")
		: : "i"(&pvk_pvops.irq.save_fl), "i"(&pvk_pvops.irq.restore_fl),
		    "i"(&pvk_pvops.irq.irq_disable), "i"(&pvk_pvops.irq.irq_enable));
}

static const char *const op_name[PVK_PVOPS_OPS] = {
	[PVK_PVOPS_OP_SAVE_FL] = "save_fl",
	[PVK_PVOPS_OP_RESTORE_FL] = "restore_fl",
	[PVK_PVOPS_OP_IRQ_DISABLE] = "irq_disable",
	[PVK_PVOPS_OP_IRQ_ENABLE] = "irq_enable",
};

static const char *const table_thunk[PVK_PVOPS_OPS] = {
	[PVK_PVOPS_OP_SAVE_FL] = pvk_pvops_thunk_save_fl,
	[PVK_PVOPS_OP_RESTORE_FL] = pvk_pvops_thunk_restore_fl,
	[PVK_PVOPS_OP_IRQ_DISABLE] = pvk_pvops_thunk_irq_disable,
	[PVK_PVOPS_OP_IRQ_ENABLE] = pvk_pvops_thunk_irq_enable,
};

static struct pvk_pvops_patch_stats stats;

void pvk_pvops_patch_stats(struct pvk_pvops_patch_stats *out)
{
	*out = stats;
	out->sites = (unsigned int)(pvk_pvops_sites_end - pvk_pvops_sites_start);
}

static __pvk_noreturn void site_bad(unsigned int i, uint64_t addr, unsigned int op,
				    const char *why)
{
	pvk_err("pvops patch: site %u at 0x%llx (op %u %s): %s", i, (unsigned long long)addr,
		op, op && op < PVK_PVOPS_OPS ? op_name[op] : "?", why);
	pvk_port_panic("pvops patch: a site does not match its record (the line above names it)");
}

/* The rel32 of a call at site (5 bytes from site) to target; false if the
 * distance does not fit (a non-kernel code model). */
static bool call_rel32(uint64_t site, const void *target, int32_t *rel)
{
	int64_t d = (int64_t)((unsigned long)target - (site + PVK_PVOPS_SITE_CALL_LEN));

	if (d != (int32_t)d)
		return false;
	*rel = (int32_t)d;
	return true;
}

/* The recommended NOPs (Intel SDM, "NOP"), 1 to 8 bytes; longer runs are
 * several of them. */
static const uint8_t nops[9][8] = {
	[1] = { 0x90 },
	[2] = { 0x66, 0x90 },
	[3] = { 0x0f, 0x1f, 0x00 },
	[4] = { 0x0f, 0x1f, 0x40, 0x00 },
	[5] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[6] = { 0x66, 0x0f, 0x1f, 0x44, 0x00, 0x00 },
	[7] = { 0x0f, 0x1f, 0x80, 0x00, 0x00, 0x00, 0x00 },
	[8] = { 0x0f, 0x1f, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00 },
};

static void fill_nops(uint8_t *p, size_t n)
{
	while (n) {
		size_t k = n > 8 ? 8 : n;

		__builtin_memcpy(p, nops[k], k);
		p += k;
		n -= k;
	}
}

/* The site's new bytes for world w into buf (len bytes). */
static void new_bytes(const struct pvk_pvops_patch_world *w, unsigned int i, uint64_t addr,
		      unsigned int op, size_t len, uint8_t *buf)
{
	const struct pvk_pvops_patch_op *o = &w->op[op];
	size_t used;
	int32_t rel;

	if (o->bytes) {
		if (o->len > len)
			site_bad(i, addr, op, "the world's bytes do not fit in the site");
		__builtin_memcpy(buf, o->bytes, o->len);
		used = o->len;
	} else {
		if (!o->call || !call_rel32(addr, o->call, &rel))
			site_bad(i, addr, op, "the world's call target is not reachable with a rel32");
		buf[0] = 0xe8;
		__builtin_memcpy(buf + 1, &rel, sizeof(rel));
		used = PVK_PVOPS_SITE_CALL_LEN;
	}
	fill_nops(buf + used, len - used);
}

/* A store to code: volatile, so that the compiler neither drops nor
 * reorders it (nothing in C reads these bytes back). */
static void write_code(uint64_t addr, const uint8_t *src, size_t n)
{
	volatile uint8_t *dst = (volatile uint8_t *)(unsigned long)addr;

	for (size_t k = 0; k < n; k++)
		dst[k] = src[k];
}

/* cpuid serialises: the CPU drops what it fetched of the old bytes. It is
 * legal in ring 3 (Xen PV); its answer does not matter. */
static void sync_core(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ __volatile__("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d) : : "memory");
}

void pvk_pvops_patch_sites(const struct pvk_pvops_patch_world *w)
{
	const struct pvk_pvops_site *s = pvk_pvops_sites_start;
	unsigned int n = (unsigned int)(pvk_pvops_sites_end - pvk_pvops_sites_start);
	struct pvk_cpumask cpus;
	uint8_t buf[PVK_PVOPS_SITE_MAX_LEN];

	/* Another CPU could be executing a site while it is rewritten. */
	pvk_smp_tlb_mask(&cpus);
	if (cpus.bits != 1) {
		pvk_err("pvops patch: CPUs 0x%llx may run kernel code: sites are patched before any other CPU starts",
			(unsigned long long)cpus.bits);
		pvk_port_panic("pvops patch: other CPUs started before pvops selection");
	}
	for (unsigned int i = 0; i < n; i++) {
		uint64_t addr = s[i].addr;
		unsigned int op = s[i].op, len = s[i].len, clobbers = s[i].clobbers;
		const uint8_t *code = (const uint8_t *)(unsigned long)addr;
		int32_t rel, now;

		if (!op || op >= PVK_PVOPS_OPS)
			site_bad(i, addr, op, "unknown op");
		if (len != PVK_PVOPS_SITE_LEN(op))
			site_bad(i, addr, op, "length is not that op's (another header version?)");
		if (w->op[op].clobbers & ~clobbers)
			site_bad(i, addr, op, "the world's bytes change registers the site does not let them");
		/* Still the compiler's call to this op's thunk. */
		__builtin_memcpy(&now, code + 1, sizeof(now));
		if (code[0] != 0xe8 || !call_rel32(addr, table_thunk[op], &rel) || now != rel)
			site_bad(i, addr, op, "the bytes are not the call to the op's thunk (patched twice?)");
		new_bytes(w, i, addr, op, len, buf);
		write_code(addr, buf, len);
		stats.patched++;
	}
	sync_core();
	stats.world = w->name;
}
