/*
 * tests/guest/cases/pvops_cpu.c - the kit's cpu ops through the table, in
 * both worlds: on Xen what a PV kernel sees and may change, natively the
 * instructions themselves (ring 0, no TSS, pvh.S's GDT).
 */
#include <pvkit/hypercall.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/xen/errno.h>
#include <pvkit/xen/version.h>

#include "../test.h"

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
 * Natively: a GDT with pvh.S's code and data selectors (so %cs and %ss
 * stay valid), entry 3 empty until write_desc fills it. It stays the GDT
 * for the rest of the run.
 */
static uint64_t native_gdt[PVK_PAGE_SIZE / 8] __attribute__((aligned(PVK_PAGE_SIZE))) = {
	0, 0x00af9a000000ffffULL, 0x00cf92000000ffffULL,
};

static void pvops_gdt_native(void)
{
	unsigned long ar = 0;
	bool code, empty, filled;

	PVK_CHECK_RC(pvk_load_gdt(native_gdt, 4), 0);
	code = lar(0x08, &ar);
	PVK_CHECK(code);
	PVK_CHECK_EQ(ar & 0xfe00, 0x9a00);
	empty = lar(0x18, &ar);
	PVK_CHECK_RC(pvk_write_desc(native_gdt, 3, 0x00cf92000000ffffULL), 0);
	filled = lar(0x18, &ar);
	PVK_CHECK(!empty);
	PVK_CHECK(filled);
	PVK_CHECK_EQ(ar & 0xfe00, 0x9200);
	PVK_CHECK_RC(pvk_load_gdt(native_gdt + 1, 4), -PVK_XEN_EINVAL);
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

	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	return fl;
}

/* Natively there is no TSS (refused, nothing written) and IOPL is the
 * real RFLAGS.IOPL; on Xen both are hypercalls. */
PVK_GUEST_TEST(pvops_stack_switch_iopl)
{
	PVK_CHECK_RC(pvk_stack_switch((unsigned long)guest_stack_top),
		     guest_native_boot ? -PVK_XEN_EINVAL : 0);
	PVK_CHECK_RC(pvk_set_iopl(1), 0);
	if (guest_native_boot)
		PVK_CHECK_EQ(rflags() & 0x3000, 0x1000);
	PVK_CHECK_RC(pvk_set_iopl(0), 0);
	if (guest_native_boot)
		PVK_CHECK_EQ(rflags() & 0x3000, 0);
	PVK_CHECK_RC(pvk_set_iopl(4), -PVK_XEN_EINVAL);
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
