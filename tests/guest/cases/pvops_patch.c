/*
 * tests/guest/cases/pvops_patch.c - the irq ops' patch sites
 * (pvkit/pvops_patch.h), in both worlds: every site the image records was
 * rewritten for the selected world (its bytes read back and compared with
 * what this file expects, written here independently of the kit's
 * templates), the registers each path keeps, and save/restore behaving
 * through the patched sites (round trip, nesting).
 */
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_patch.h>
#include <pvkit/xen/vcpu.h>

#include "../test.h"

/* Natively each site holds the instructions, padded with the recommended
 * NOPs; on Xen a direct call to the Xen op's thunk, then the padding the
 * compiler left (the same NOPs). */
static const uint8_t native_bytes[PVK_PVOPS_OPS][PVK_PVOPS_SITE_MAX_LEN] = {
	/* pushfq; popq %rax; andl $0x200, %eax */
	[PVK_PVOPS_OP_SAVE_FL] = { 0x9c, 0x58, 0x25, 0x00, 0x02, 0x00, 0x00 },
	/* btl $9, %edi; jnc +3; sti; jmp +1; cli */
	[PVK_PVOPS_OP_RESTORE_FL] = { 0x0f, 0xba, 0xe7, 0x09, 0x73, 0x03, 0xfb, 0xeb, 0x01, 0xfa },
	/* cli; nopl 0(%rax) */
	[PVK_PVOPS_OP_IRQ_DISABLE] = { 0xfa, 0x0f, 0x1f, 0x40, 0x00 },
	/* sti; nopl 0(%rax) */
	[PVK_PVOPS_OP_IRQ_ENABLE] = { 0xfb, 0x0f, 0x1f, 0x40, 0x00 },
};
static const uint8_t xen_padding[PVK_PVOPS_OPS][PVK_PVOPS_SITE_MAX_LEN - 5] = {
	[PVK_PVOPS_OP_SAVE_FL] = { 0x66, 0x90 },
	[PVK_PVOPS_OP_RESTORE_FL] = { 0x0f, 0x1f, 0x44, 0x00, 0x00 },
};
static const uint8_t site_len[PVK_PVOPS_OPS] = {
	[PVK_PVOPS_OP_SAVE_FL] = 7, [PVK_PVOPS_OP_RESTORE_FL] = 10,
	[PVK_PVOPS_OP_IRQ_DISABLE] = 5, [PVK_PVOPS_OP_IRQ_ENABLE] = 5,
};
static const char *const xen_thunk[PVK_PVOPS_OPS] = {
	[PVK_PVOPS_OP_SAVE_FL] = pvk_xen_thunk_save_fl,
	[PVK_PVOPS_OP_RESTORE_FL] = pvk_xen_thunk_restore_fl,
	[PVK_PVOPS_OP_IRQ_DISABLE] = pvk_xen_thunk_irq_disable,
	[PVK_PVOPS_OP_IRQ_ENABLE] = pvk_xen_thunk_irq_enable,
};

/* Whether the site's bytes are what the selected world wants there. */
static bool site_patched(const struct pvk_pvops_site *s)
{
	const uint8_t *code = (const uint8_t *)(unsigned long)s->addr;
	unsigned int op = s->op;
	int32_t rel;

	if (!op || op >= PVK_PVOPS_OPS || s->len != site_len[op])
		return false;
	if (guest_native_boot)
		return !memcmp(code, native_bytes[op], s->len);
	memcpy(&rel, code + 1, sizeof(rel));
	return code[0] == 0xe8 &&
	       s->addr + 5 + (uint64_t)(int64_t)rel == (uint64_t)(unsigned long)xen_thunk[op] &&
	       !memcmp(code + 5, xen_padding[op], s->len - 5u);
}

static const char *const op_names[PVK_PVOPS_OPS] = {
	"?", "save_fl", "restore_fl", "irq_disable", "irq_enable",
};

PVK_GUEST_TEST(pvops_patch_sites)
{
	const struct pvk_pvops_site *s;
	struct pvk_pvops_patch_stats st;
	unsigned int n = 0, good = 0, per_op[PVK_PVOPS_OPS] = { 0 };
	const struct pvk_pvops_site *bad = NULL;

	pvk_pvops_patch_stats(&st);
	for (s = pvk_pvops_sites_start; s < pvk_pvops_sites_end; s++) {
		n++;
		if (s->op && s->op < PVK_PVOPS_OPS)
			per_op[s->op]++;
		if (site_patched(s))
			good++;
		else if (!bad)
			bad = s;
	}
	guest_printf("pvops patch: %u sites, the kit patched %u for %s, %u read back right (save_fl %u, restore_fl %u, irq_disable %u, irq_enable %u)\n",
		     n, st.patched, st.world ? st.world : "(none)", good,
		     per_op[PVK_PVOPS_OP_SAVE_FL], per_op[PVK_PVOPS_OP_RESTORE_FL],
		     per_op[PVK_PVOPS_OP_IRQ_DISABLE], per_op[PVK_PVOPS_OP_IRQ_ENABLE]);
	if (bad) {
		const uint8_t *b = (const uint8_t *)(unsigned long)bad->addr;

		guest_printf("pvops patch: first wrong site at 0x%llx, op %u (%s), %u bytes: %02x %02x %02x %02x %02x %02x %02x ...\n",
			     (unsigned long long)bad->addr, bad->op,
			     bad->op < PVK_PVOPS_OPS ? op_names[bad->op] : "?", bad->len,
			     b[0], b[1], b[2], b[3], b[4], b[5], b[6]);
	}
	PVK_CHECK(st.world && !guest_strncmp(st.world, pvk_pvops_name(), 16));
	PVK_CHECK_EQ(st.sites, n);
	PVK_CHECK_EQ(st.patched, n);
	PVK_CHECK_EQ(good, n);
	/* Every op's inline is used somewhere in the image. */
	for (unsigned int op = 1; op < PVK_PVOPS_OPS; op++)
		PVK_CHECK_GE(per_op[op], 1);
}

/* ---- Registers each path keeps ----------------------------------------- */

#define PAT(r)	(0x5a5a000000000000UL | ((unsigned long)(r) << 8) | 0xa5)
#define RAX_BIT	0x100u

/*
 * One call with rcx, rdx, rsi, rdi, r8-r11 loaded with patterns, given as
 * asm text (a site, or a call of a thunk); returns a bit per register
 * changed (rcx = bit 0 ... r11 = bit 7, rax = bit 8: only save_fl may
 * change it, its result); rdi is restore_fl's flags, so the caller passes
 * the ones it wants restored in it.
 */
#define KEEPS(insn, ret, flags, ...)					\
	do {								\
		register unsigned long r8_ __asm__("r8") = PAT(8);	\
		register unsigned long r9_ __asm__("r9") = PAT(9);	\
		register unsigned long r10_ __asm__("r10") = PAT(10);	\
		register unsigned long r11_ __asm__("r11") = PAT(11);	\
		unsigned long c_ = PAT(1), d_ = PAT(2), s_ = PAT(3), di_ = (flags); \
		unsigned long a_ = PAT(0);				\
									\
		__asm__ __volatile__(insn				\
				     : "+a"(a_), "+c"(c_), "+d"(d_), "+S"(s_), \
				       "+D"(di_), "+r"(r8_), "+r"(r9_),	\
				       "+r"(r10_), "+r"(r11_)		\
				     : __VA_ARGS__			\
				     : "cc", "memory");			\
		(ret) = (c_ != PAT(1)) | (d_ != PAT(2)) << 1 |		\
			(s_ != PAT(3)) << 2 | (di_ != (flags)) << 3 |	\
			(r8_ != PAT(8)) << 4 | (r9_ != PAT(9)) << 5 |	\
			(r10_ != PAT(10)) << 6 | (r11_ != PAT(11)) << 7 | \
			(a_ != PAT(0)) << 8;				\
	} while (0)

/* The four ops through patched sites of their own (recorded like any
 * other, so the selection rewrote them), then through thunk (the table's
 * path, what an unpatched site runs, or on Xen the Xen ops' path). */
static unsigned int keeps_sites(unsigned long flags)
{
	unsigned int a, b, c, d;

	KEEPS(PVK_PVOPS_SITE("pvk_pvops_thunk_save_fl"), a, flags,
	      PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_SAVE_FL,
				  PVK_PVOPS_CLOBBER_RAX | PVK_PVOPS_CLOBBER_CC));
	KEEPS(PVK_PVOPS_SITE("pvk_pvops_thunk_irq_disable"), b, flags,
	      PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_IRQ_DISABLE, PVK_PVOPS_CLOBBER_CC));
	KEEPS(PVK_PVOPS_SITE("pvk_pvops_thunk_irq_enable"), c, flags,
	      PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_IRQ_ENABLE, PVK_PVOPS_CLOBBER_CC));
	KEEPS(PVK_PVOPS_SITE("pvk_pvops_thunk_restore_fl"), d, flags,
	      PVK_PVOPS_SITE_ARGS(PVK_PVOPS_OP_RESTORE_FL, PVK_PVOPS_CLOBBER_CC));
	return (a & ~RAX_BIT) | b | c | d;
}

#define KEEPS_CALL(thunk, ret, flags) KEEPS("call " thunk, ret, flags, "i"(0))

static unsigned int keeps_table_thunks(unsigned long flags)
{
	unsigned int a, b, c, d;

	KEEPS_CALL("pvk_pvops_thunk_save_fl", a, flags);
	KEEPS_CALL("pvk_pvops_thunk_irq_disable", b, flags);
	KEEPS_CALL("pvk_pvops_thunk_irq_enable", c, flags);
	KEEPS_CALL("pvk_pvops_thunk_restore_fl", d, flags);
	return (a & ~RAX_BIT) | b | c | d;
}

static unsigned int keeps_xen_thunks(unsigned long flags)
{
	unsigned int a, b, c, d;

	KEEPS_CALL("pvk_xen_thunk_save_fl", a, flags);
	KEEPS_CALL("pvk_xen_thunk_irq_disable", b, flags);
	KEEPS_CALL("pvk_xen_thunk_irq_enable", c, flags);
	KEEPS_CALL("pvk_xen_thunk_restore_fl", d, flags);
	return (a & ~RAX_BIT) | b | c | d;
}

/* Each ends with irqs as they were: disable, enable, restore(flags). */
PVK_GUEST_TEST(pvops_patch_registers_kept)
{
	unsigned long flags = pvk_irq_save();
	unsigned int sites, table, xen = 0;

	sites = keeps_sites(0);		/* restore_fl(0) ends it disabled */
	table = keeps_table_thunks(0);
	if (!guest_native_boot)
		xen = keeps_xen_thunks(0);
	pvk_restore_fl(flags);
	PVK_CHECK_EQ(sites, 0);
	PVK_CHECK_EQ(table, 0);
	PVK_CHECK_EQ(xen, 0);
}

/* ---- Behaviour through the patched sites ------------------------------- */

static unsigned long native_if(void)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(native_if);
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	return fl & PVK_X86_EFLAGS_IF;
}

/* The real state, not what save_fl says: RFLAGS.IF, or the upcall mask. */
static unsigned long irqs_now(void)
{
	if (guest_native_boot)
		return native_if();
	return PVK_READ_ONCE(guest_vcpu0()->evtchn_upcall_mask) ? 0 : PVK_X86_EFLAGS_IF;
}

PVK_GUEST_TEST(pvops_patch_irq_nesting)
{
	unsigned long s0 = irqs_now(), fl0, f1, f2, f3, off1, off2, on1, on2, off3, back;
	unsigned long st_off, st_on;

	fl0 = pvk_save_fl();
	f1 = pvk_irq_save();		/* outer section */
	off1 = irqs_now();
	f2 = pvk_irq_save();		/* nested: already off */
	pvk_restore_fl(f2);		/* inner end: stays off */
	off2 = irqs_now();
	st_off = pvk_save_fl();
	pvk_irq_enable();
	on1 = irqs_now();
	st_on = pvk_save_fl();
	f3 = pvk_irq_save();		/* from on */
	off3 = irqs_now();
	pvk_restore_fl(f3);		/* back on */
	on2 = irqs_now();
	pvk_restore_fl(f1);		/* outer end: as at the start */
	back = irqs_now();
	PVK_CHECK_EQ(fl0, s0);
	PVK_CHECK_EQ(f1, s0);
	PVK_CHECK_EQ(off1, 0);
	PVK_CHECK_EQ(f2, 0);
	PVK_CHECK_EQ(off2, 0);
	PVK_CHECK_EQ(st_off, 0);
	PVK_CHECK_EQ(on1, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(st_on, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(f3, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(off3, 0);
	PVK_CHECK_EQ(on2, PVK_X86_EFLAGS_IF);
	PVK_CHECK_EQ(back, s0);
}
