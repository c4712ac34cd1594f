/*
 * tests/guest/cases/pvops_cpu.c - the kit's cpu ops through the table, in
 * both worlds: on Xen what a PV kernel sees and may change, natively the
 * instructions themselves (ring 0, the GDT and TSS of user/cpu.c). The
 * LDT and TR tests run a ring-3 program (tests/guest/user/) in both worlds
 * to see what the loaded tables really do.
 */
#include <pvkit/hypercall.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pv_lint.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/version.h>

#include "../test.h"
#include "../user/user.h"

#define CR0_PE		(1UL << 0)
#define CR0_PG		(1UL << 31)
#define CR4_PAE		(1UL << 5)
#define BOGUS_MSR	0xdead0000u	/* outside every architectural range */
#define DATA_DPL3	0x00cff2000000ffffULL	/* present, DPL 3, writable data */

/* lar: the access rights of a selector, if this CPL may see it. */
static bool lar(unsigned long sel, unsigned long *ar)
{
	bool ok;

	__asm__ __volatile__("lar %2, %0; setz %1" : "=r"(*ar), "=qm"(ok) : "r"(sel) : "cc");
	return ok;
}

/* The entry path (pvh.S or Xen's) decided the world, not the table. */
PVK_GUEST_TEST(pvops_selected)
{
	const char *want = guest_native_boot ? "native" : "xen";

	guest_printf("pvops: %s\n", pvk_pvops_name());
	PVK_CHECK_EQ(guest_strncmp(pvk_pvops_name(), want, 8), 0);
}

/* Both worlds: a real leaf 0; the Xen signature only under Xen. */
PVK_GUEST_TEST(pvops_cpuid)
{
	struct pvk_cpuid_regs r;
	bool xen_sig;

	pvk_cpuid(0, 0, &r);
	PVK_CHECK_GE(r.eax, 1);
	PVK_CHECK_NE(r.ebx, 0);		/* vendor string */
	pvk_cpuid(0x40000000, 0, &r);
	xen_sig = !memcmp(&r.ebx, "XenV", 4);
	PVK_CHECK_EQ(xen_sig, !guest_native_boot);
}

/* Through the forced-emulation prefix the hypervisor leaves show. */
PVK_GUEST_TEST_XEN(pvops_cpuid_hypervisor)
{
	struct pvk_cpuid_regs r;
	char sig[13];
	long ver = pvk_hyp_xen_version(PVK_XENVER_version, NULL);

	pvk_cpuid(0x40000000, 0, &r);
	memcpy(sig, &r.ebx, 4);
	memcpy(sig + 4, &r.ecx, 4);
	memcpy(sig + 8, &r.edx, 4);
	sig[12] = '\0';
	guest_printf("pvops: cpuid 0x40000000: \"%s\", max leaf 0x%x\n", sig, r.eax);
	PVK_CHECK_EQ(memcmp(sig, "XenVMMXenVMM", 12), 0);
	PVK_CHECK_GE(r.eax, 0x40000002);
	/* Leaf 1 of the range: Xen's version, as xen_version says. */
	pvk_cpuid(0x40000001, 0, &r);
	PVK_CHECK_EQ(r.eax, (uint64_t)ver);
	/* The PV view of leaf 1 says "running under a hypervisor". */
	pvk_cpuid(1, 0, &r);
	PVK_CHECK(r.ecx & (1U << 31));
}

PVK_GUEST_TEST(pvops_cr0)
{
	unsigned long cr0 = pvk_read_cr0();

	PVK_CHECK_EQ(cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
	PVK_CHECK_RC(pvk_write_cr0(cr0), 0);
	/* TS is the guest's: set and clear it (fpu_taskswitch). */
	PVK_CHECK_RC(pvk_write_cr0(cr0 | PVK_X86_CR0_TS), 0);
	PVK_CHECK(pvk_read_cr0() & PVK_X86_CR0_TS);
	PVK_CHECK_RC(pvk_write_cr0(cr0 & ~PVK_X86_CR0_TS), 0);
	PVK_CHECK(!(pvk_read_cr0() & PVK_X86_CR0_TS));
	if (guest_native_boot)
		return;		/* natively any write is the instruction */
	/* On Xen anything else is refused, and nothing changes. */
	PVK_CHECK_RC(pvk_write_cr0(cr0 & ~CR0_PG), -PVK_XEN_EPERM);
	PVK_CHECK_EQ(pvk_read_cr0() & ~PVK_X86_CR0_TS, cr0 & ~PVK_X86_CR0_TS);
	PVK_CHECK_RC(pvk_write_cr0(cr0), 0);
}

PVK_GUEST_TEST(pvops_cr4)
{
	unsigned long cr4 = pvk_read_cr4();

	guest_printf("pvops: cr0 0x%lx cr4 0x%lx\n", pvk_read_cr0(), cr4);
	PVK_CHECK(cr4 & CR4_PAE);
	PVK_CHECK_RC(pvk_write_cr4(cr4), 0);
	PVK_CHECK_EQ(pvk_read_cr4(), cr4);
	if (guest_native_boot)
		return;		/* clearing PAE in long mode would #GP */
	PVK_CHECK_RC(pvk_write_cr4(cr4 & ~CR4_PAE), -PVK_XEN_EPERM);
	PVK_CHECK_EQ(pvk_read_cr4(), cr4);
}

/* Written through set_segment_base, read back through Xen's emulated
 * rdmsr: both sides see the same FS base. The kit is built without stack
 * protector, so nothing reads %fs meanwhile. */
PVK_GUEST_TEST(pvops_msr_fs_base)
{
	uint64_t old = 1, val = 0;
	int rc_w, rc_r, rc_back;

	PVK_CHECK_RC(pvk_read_msr_safe(PVK_MSR_FS_BASE, &old), 0);
	rc_w = pvk_write_msr_safe(PVK_MSR_FS_BASE, 0x12345000);
	rc_r = pvk_read_msr_safe(PVK_MSR_FS_BASE, &val);
	rc_back = pvk_write_msr_safe(PVK_MSR_FS_BASE, old);
	PVK_CHECK_RC(rc_w, 0);
	PVK_CHECK_RC(rc_r, 0);
	PVK_CHECK_EQ(val, 0x12345000);
	PVK_CHECK_RC(rc_back, 0);
	PVK_CHECK_RC(pvk_read_msr_safe(PVK_MSR_FS_BASE, &val), 0);
	PVK_CHECK_EQ(val, old);
}

/*
 * Xen answers an MSR it does not offer with #GP: reported, not fatal. A
 * real CPU does too (through the native IDT, fixed up); QEMU's TCG raises
 * nothing (unknown MSRs read as 0, writes are dropped), so natively a
 * read of 0 without #GP is accepted and said.
 */
PVK_GUEST_TEST(pvops_msr_bogus)
{
	uint64_t val = 0x5a5a5a5a;
	int rc = pvk_read_msr_safe(BOGUS_MSR, &val);

	if (guest_native_boot && rc == 0) {
		guest_printf("pvops: unknown MSR 0x%x read as 0x%llx without #GP (QEMU TCG)\n",
			     BOGUS_MSR, (unsigned long long)val);
		PVK_CHECK_RC(pvk_read_msr_safe(PVK_MSR_FS_BASE, &val), 0);
		return;
	}
	PVK_CHECK_RC(rc, -PVK_XEN_EIO);
	PVK_CHECK_EQ(val, 0x5a5a5a5a);
	PVK_CHECK_RC(pvk_write_msr_safe(BOGUS_MSR, 1), -PVK_XEN_EIO);
	/* And the fix-up path left everything working. */
	PVK_CHECK_RC(pvk_read_msr_safe(PVK_MSR_FS_BASE, &val), 0);
}

PVK_GUEST_TEST(pvops_idt)
{
	static struct pvk_trap_desc too_many[257];

	/* The boot already installed the real table through load_idt. */
	PVK_CHECK_RC(pvk_load_idt(too_many, 257), -PVK_XEN_EINVAL);
}

/*
 * Natively: a GDT with the kernel's code and data selectors (so %cs and
 * %ss stay valid), entry 3 empty until write_desc fills it. The GDT of
 * user/cpu.c (user segments, TSS) is loaded again afterwards.
 */
static uint64_t native_gdt[PVK_PAGE_SIZE / 8] __attribute__((aligned(PVK_PAGE_SIZE))) = {
	0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL,
};

struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void pvops_gdt_native(void)
{
	struct desc_ptr saved;
	unsigned long ar = 0, ar3 = 0;
	bool code, empty, filled;
	int rc_load, rc_write, rc_bad, rc_back;

	PVK_NATIVE_ONLY(pvops_gdt_native);
	__asm__ __volatile__("sgdt %0" : "=m"(saved));
	rc_load = pvk_load_gdt(native_gdt, 4);
	code = lar(0x08, &ar);
	empty = lar(0x18, &ar3);
	rc_write = pvk_write_desc(native_gdt, 3, 0x00cf92000000ffffULL);
	filled = lar(0x18, &ar3);
	rc_bad = pvk_load_gdt(native_gdt + 1, 4);
	rc_back = pvk_load_gdt((void *)(unsigned long)saved.base, (saved.limit + 1u) / 8);
	PVK_CHECK_RC(rc_load, 0);
	PVK_CHECK(code);
	PVK_CHECK_EQ(ar & 0xfe00, 0x9a00);
	PVK_CHECK_RC(rc_write, 0);
	PVK_CHECK(!empty);
	PVK_CHECK(filled);
	PVK_CHECK_EQ(ar3 & 0xfe00, 0x9200);
	PVK_CHECK_RC(rc_bad, -PVK_XEN_EINVAL);
	PVK_CHECK_RC(rc_back, 0);
}

/* A GDT page of ours: read-only once loaded, written through Xen. The
 * page stays the GDT for the rest of the run (our selectors are Xen's). */
PVK_GUEST_TEST(pvops_gdt)
{
	uint64_t *gdt;
	unsigned long ar = 0;
	bool seen1, seen2_before, seen2_after;

	if (guest_native_boot) {
		pvops_gdt_native();
		return;
	}
	gdt = pvk_port_alloc_page();
	PVK_CHECK(gdt != NULL);
	gdt[1] = DATA_DPL3;
	PVK_CHECK_RC(pvk_load_gdt(gdt, 4), 0);
	seen1 = lar(0x0b, &ar);
	PVK_CHECK(seen1);
	PVK_CHECK_EQ(ar & 0xfe00, 0xf200);
	seen2_before = lar(0x13, &ar);
	PVK_CHECK_RC(pvk_write_desc(gdt, 2, DATA_DPL3), 0);
	seen2_after = lar(0x13, &ar);
	PVK_CHECK(!seen2_before);
	PVK_CHECK(seen2_after);
	PVK_CHECK_EQ(PVK_READ_ONCE(gdt[2]) & ~0x10000000000ULL, DATA_DPL3);
	PVK_CHECK_RC(pvk_load_gdt(gdt + 1, 4), -PVK_XEN_EINVAL);
}

static unsigned long rflags(void)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(rflags);
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	return fl;
}

/* Both worlds: stack_switch names the kernel stack of the next user ->
 * kernel transition, kept in the loaded TSS's rsp0 (natively the CPU reads
 * it there; on Xen load_tr keeps the record current). IOPL is the real
 * RFLAGS.IOPL natively, a hypercall on Xen. */
PVK_GUEST_TEST(pvops_stack_switch_iopl)
{
	struct pvk_tss *tss = guest_user_cur_tss;
	unsigned long old = tss->rsp0, seen;
	int rc, rc_back;

	rc = pvk_stack_switch((unsigned long)guest_stack_top - 64);
	seen = tss->rsp0;
	rc_back = pvk_stack_switch(old);
	PVK_CHECK_RC(rc, 0);
	PVK_CHECK_EQ(seen, (unsigned long)guest_stack_top - 64);
	PVK_CHECK_RC(rc_back, 0);
	PVK_CHECK_EQ(tss->rsp0, old);
	PVK_CHECK_RC(pvk_set_iopl(1), 0);
	if (guest_native_boot)
		PVK_CHECK_EQ(rflags() & 0x3000, 0x1000);
	PVK_CHECK_RC(pvk_set_iopl(0), 0);
	if (guest_native_boot)
		PVK_CHECK_EQ(rflags() & 0x3000, 0);
	PVK_CHECK_RC(pvk_set_iopl(4), -PVK_XEN_EINVAL);
}

/*
 * load_ldt, both worlds: an LDT page with entry 1 empty is loaded, then
 * entry 1 becomes a data segment (DPL 3, base USER_TLS_VA, limit 0xfff)
 * through write_desc (on Xen the page is read-only by then: Xen's
 * update_descriptor). The program guest_user_ldt loads USER_LDT_SEL into
 * %gs and reads %gs:0 (the TLS page's first word, USER_FS_MAGIC), the
 * limit (lsl) and %gs back. Then the LDT is unloaded and the page made
 * writable again (Xen) and freed.
 */
#define LDT_DATA_DPL3(base)	(0x0000f20000000fffULL |				\
				 (((uint64_t)(base) & 0xffffff) << 16) |		\
				 ((((uint64_t)(base) >> 24) & 0xff) << 56))

PVK_GUEST_TEST(pvops_ldt)
{
	static struct guest_user_result res;
	uint64_t *ldt = pvk_port_alloc_page();
	int rc_load, rc_write, rc_run, rc_unload, rc_rw = 0;
	uint64_t entry;

	PVK_CHECK(ldt != NULL);
	memset(ldt, 0, PVK_PAGE_SIZE);
	PVK_CHECK_RC(guest_uspace_create(), 0);
	rc_load = pvk_load_ldt(GUEST_SEL_LDT, ldt, 2);
	rc_write = pvk_write_desc(ldt, 1, LDT_DATA_DPL3(USER_TLS_VA));
	entry = PVK_READ_ONCE(ldt[1]);
	rc_run = guest_user_run(guest_user_ldt, &res);
	rc_unload = pvk_load_ldt(GUEST_SEL_LDT, NULL, 0);
	if (!guest_native_boot)
		rc_rw = pvk_mmu_make_writable(ldt);
	if (!rc_rw)
		pvk_port_free_page(ldt);
	PVK_CHECK_RC(guest_uspace_destroy(), 0);

	PVK_CHECK_RC(rc_load, 0);
	PVK_CHECK_RC(rc_write, 0);
	/* What the CPU (or Xen) stored, give or take the accessed bit. */
	PVK_CHECK_EQ(entry & ~0x10000000000ULL, LDT_DATA_DPL3(USER_TLS_VA));
	PVK_CHECK_RC(rc_run, 0);
	PVK_CHECK_EQ(res.exit_code, USER_EXIT_OK);
	PVK_CHECK_EQ(res.report[0], USER_FS_MAGIC);	/* %gs:0 through the LDT base */
	PVK_CHECK_EQ(res.report[1], 0xfff);		/* lsl */
	PVK_CHECK_EQ(res.report[2], USER_LDT_SEL);	/* %gs read back */
	PVK_CHECK_RC(rc_unload, 0);
	PVK_CHECK_RC(rc_rw, 0);
	guest_printf("pvops: %s: LDT selector 0x%x: %%gs:0 = 0x%llx, limit 0x%llx\n",
		     pvk_pvops_name(), USER_LDT_SEL, (unsigned long long)res.report[0],
		     (unsigned long long)res.report[1]);
}

/*
 * load_tr, both worlds: a TSS of the test's own whose rsp0 is the top of
 * the test's stack. Natively str shows the selector; in both worlds the
 * program's syscalls and demand faults then arrive on that stack, and after
 * stack_switch to a lower address, below it. The boot TSS is loaded again
 * before anything is checked. On Xen a TSS with an IST entry is refused.
 */
#define TR_STACK_SIZE	(16 * 1024)

static char tr_stack[TR_STACK_SIZE] __attribute__((aligned(16)));

static bool on_tr_stack(unsigned long sp, unsigned long top)
{
	return sp >= (unsigned long)tr_stack && sp < top;
}

PVK_GUEST_TEST(pvops_tr)
{
	static struct pvk_tss tss, ist_tss;
	static struct guest_user_result res1, res2;
	unsigned long top = (unsigned long)tr_stack + sizeof(tr_stack);
	unsigned long low = top - 8192;
	uint16_t tr = 0;
	int rc_load, rc_run1, rc_switch, rc_destroy, rc_create, rc_run2, rc_back, rc_ist = 0;
	unsigned long rsp0_after;

	tss.rsp0 = top;
	PVK_CHECK_RC(guest_uspace_create(), 0);
	rc_load = guest_user_load_tss(&tss);
	if (guest_native_boot)
		__asm__ __volatile__("str %0" : "=r"(tr));
	rc_run1 = guest_user_run(guest_user_main, &res1);
	rc_switch = pvk_stack_switch(low);
	rsp0_after = tss.rsp0;
	rc_destroy = guest_uspace_destroy();
	rc_create = guest_uspace_create();
	rc_run2 = rc_create ? rc_create : guest_user_run(guest_user_main, &res2);
	rc_back = guest_user_load_tss(guest_user_boot_tss());
	if (!rc_create)
		PVK_CHECK_RC(guest_uspace_destroy(), 0);
	PVK_CHECK_RC(rc_destroy, 0);
	if (!guest_native_boot) {
		ist_tss.rsp0 = top;
		ist_tss.ist[0] = top;
		rc_ist = pvk_load_tr(GUEST_SEL_TSS, &ist_tss);
	}

	PVK_CHECK_RC(rc_load, 0);
	PVK_CHECK_RC(rc_back, 0);
	if (guest_native_boot)
		PVK_CHECK_EQ(tr, GUEST_SEL_TSS);
	PVK_CHECK_RC(rc_run1, 0);
	PVK_CHECK_EQ(res1.exit_code, USER_EXIT_OK);
	PVK_CHECK(on_tr_stack(res1.syscall_sp, top));
	PVK_CHECK(on_tr_stack(res1.fault_sp, top));
	PVK_CHECK_RC(rc_switch, 0);
	PVK_CHECK_EQ(rsp0_after, low);
	PVK_CHECK_RC(rc_run2, 0);
	PVK_CHECK_EQ(res2.exit_code, USER_EXIT_OK);
	PVK_CHECK(on_tr_stack(res2.syscall_sp, low));
	PVK_CHECK(on_tr_stack(res2.fault_sp, low));
	if (!guest_native_boot)
		PVK_CHECK_RC(rc_ist, -PVK_XEN_EINVAL);
	if (guest_native_boot)
		guest_printf("pvops: native: str 0x%x\n", tr);
	guest_printf("pvops: %s: syscall frames at rsp0-0x%lx, after stack_switch at the first rsp0-0x%lx\n",
		     pvk_pvops_name(), top - res1.syscall_sp, top - res2.syscall_sp);
}

/* wbinvd is emulated (a refusal would be a #GP: a fault report). */
PVK_GUEST_TEST(pvops_wbinvd_io_delay)
{
	uint64_t t0 = guest_now_ns();

	pvk_wbinvd();
	pvk_io_delay();
	PVK_CHECK_GE(guest_now_ns(), t0);
}

/* Explicit: a void op that Xen refuses (a switch to machine frame 0, not
 * a pinned L4 of ours) must not return as if it worked: it panics, naming
 * the op. */
PVK_GUEST_TEST_XEN_EXPLICIT(pvops_refused_op)
{
	pvk_write_cr3(0);
	PVK_FAIL("mmu.write_cr3 returned");
}
