/*
 * tests/guest/cases/usermode.c - ring-3 programs (tests/guest/user/), on
 * Xen and natively: the same programs and the same checks.
 *
 *   usermode_program    the program of user/program.S in its own address
 *                       space: syscalls (write, get a value, report, exit),
 *                       two demand-zero faults, a %fs-relative variable;
 *                       every step checked, run three times in fresh
 *                       address spaces, no frame leaked; the kernel's own
 *                       tables do not map the program; syscalls and faults
 *                       arrive on the TSS's kernel stack
 *   usermode_isolation  a program passing a kernel address to write gets
 *                       -1; reading it faults (on Xen the kernel half is
 *                       not in the user L4, natively it is there without
 *                       the user bit) and it is killed; the kernel goes on
 *   usermode_kernel_mappings  kernel mappings made after the address
 *                       space exists are seen by the program's syscall
 *                       (natively on the user's CR3: shared kernel tables)
 *   usermode_failsafe   Xen, explicit (pvkit.test=usermode_failsafe, needs
 *                       2 vCPUs): vCPU 1 is started with a %ds selector
 *                       that cannot be loaded (an LDT selector, no LDT).
 *                       Xen's first switch to it (load_segments) fails and
 *                       bounces to the failsafe callback, which reports
 *                       ("FAILSAFE:") and crashes the domain: the expected
 *                       result. (A faulting IRET to the guest is not a
 *                       failsafe case on current Xen: it becomes a #GP.)
 */
#include <pvkit/mmu.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/hypercall.h>
#include <pvkit/xen/sched.h>
#include <pvkit/xen/vcpu.h>
#include <pvkit/xen/arch-x86.h>

#include "../test.h"
#include "../user/user.h"

#define RUNS	3

static const char hello[] = "hello from ring 3 through a system call";

PVK_GUEST_TEST(usermode_program)
{
	static struct guest_user_result res;
	unsigned long stack_top = (unsigned long)guest_user_boot_tss()->rsp0;
	size_t free0 = guest_pages_free();
	const uint64_t *page;

	for (unsigned int run = 0; run < RUNS; run++) {
		PVK_CHECK_RC(guest_uspace_create(), 0);
		/* 4 tables, code, TLS, stack. */
		PVK_CHECK_EQ(guest_uspace_frames(), 7);
		PVK_CHECK_EQ(guest_pages_free(), free0 - 7);
		/* Separate tables: the kernel's do not map the program. */
		PVK_CHECK(guest_uspace_ptr(USER_CODE_VA, 8) != NULL);
		PVK_CHECK(!guest_uspace_kernel_maps(USER_CODE_VA));
		PVK_CHECK_RC(guest_user_run(guest_user_main, &res), 0);

		PVK_CHECK_EQ(res.exit_code, USER_EXIT_OK);
		PVK_CHECK_EQ(res.syscalls, 4);		/* write, get_value, report, exit */
		PVK_CHECK_EQ(res.faults, 2);
		PVK_CHECK_EQ(res.output_len, sizeof(hello) - 1);
		PVK_CHECK(!memcmp(res.output, hello, sizeof(hello) - 1));
		PVK_CHECK_EQ(res.report[0], 0);			/* fresh page reads zero */
		PVK_CHECK_EQ(res.report[1], USER_VALUE);	/* and keeps what was written */
		PVK_CHECK_EQ(res.report[2], USER_FS_MAGIC);	/* %fs:0 */
		/* Both entries landed on the stack the TSS names. */
		PVK_CHECK(res.syscall_sp < stack_top && res.syscall_sp >= stack_top - 4096);
		PVK_CHECK(res.fault_sp < stack_top && res.fault_sp >= stack_top - 4096);
		/* The program's writes, seen through the kernel's own mappings. */
		page = guest_uspace_ptr(USER_DEMAND_VA + 0x3000, 8);
		PVK_CHECK(page != NULL);
		if (page)
			PVK_CHECK_EQ(*page, USER_VALUE);
		page = guest_uspace_ptr(USER_TLS_VA + 8, 8);
		PVK_CHECK(page != NULL);
		if (page)
			PVK_CHECK_EQ(*page, USER_FS_MAGIC + USER_FS_DELTA);
		PVK_CHECK(guest_uspace_ptr(USER_DEMAND_VA + 0x1000, 8) == NULL);
		PVK_CHECK_EQ(guest_uspace_frames(), 9);

		PVK_CHECK_RC(guest_uspace_destroy(), 0);
		PVK_CHECK_EQ(guest_uspace_frames(), 0);
		PVK_CHECK_EQ(guest_pages_free(), free0);
	}
	guest_printf("usermode: %s: %u runs: %u syscalls and %u demand faults each, exit %ld, free frames %zu before and after\n",
		     pvk_pvops_name(), RUNS, res.syscalls, res.faults, res.exit_code,
		     guest_pages_free());
}

PVK_GUEST_TEST(usermode_isolation)
{
	static struct guest_user_result res;
	size_t free0 = guest_pages_free();

	PVK_CHECK_RC(guest_uspace_create(), 0);
	PVK_CHECK_RC(guest_user_run(guest_user_poke_kernel, &res), 0);
	PVK_CHECK_EQ(res.exit_code, -1);
	PVK_CHECK_EQ(res.syscalls, 1);		/* the refused write */
	PVK_CHECK_EQ(res.output_len, 0);
	PVK_CHECK_EQ(res.faults, 0);
	PVK_CHECK_EQ(res.killed_vector, PVK_TRAP_page_fault);
	PVK_CHECK_EQ(res.killed_addr, 0xffffffff80000000UL);
	PVK_CHECK_RC(guest_uspace_destroy(), 0);
	PVK_CHECK_EQ(guest_pages_free(), free0);
	guest_printf("usermode: %s: the kernel-address poke was refused and the read killed the program\n",
		     pvk_pvops_name());
}

/*
 * Kernel mappings made after the program's address space exists reach its
 * syscall path. Natively the syscall runs in kernel mode on the user's CR3:
 * probe 0 is a page the kernel maps, after guest_uspace_create(), under a
 * new kernel-half L4 slot (PROBE_L4_SLOT, through guest_kernel_l4_set());
 * probe 1 a page under a new L2 in the image's existing L3 (L4 slot 511,
 * GiB PROBE_IMAGE_GIB of it). A user L4 made as a copy of the kernel's
 * misses probe 0 (the syscall's walk of CR3 finds nothing and returns
 * USER_PROBE_UNMAPPED); user tables copying the kernel's L3 would miss
 * probe 1. On Xen the syscall runs on the kernel's
 * own base pointer (Xen switches on every kernel entry), so what holds
 * there is checked instead: the probe ran on the kernel's tables and read
 * a kernel variable written after the address space was made.
 */
#define PROBE_L4_SLOT	400		/* 0xffffc80000000000: unused by this guest */
#define PROBE_IMAGE_GIB	500		/* the image is in GiB 510 */
#define PROBE_MAGIC0	0x5ca1ab1e00000001ULL
#define PROBE_MAGIC1	0x5ca1ab1e00000002ULL

struct probe_tables {
	uint64_t l3[PVK_PT_ENTRIES], l2[PVK_PT_ENTRIES], l1[PVK_PT_ENTRIES];
	uint64_t page[PVK_PT_ENTRIES];
};
static struct probe_tables probe_hi, probe_img __attribute__((aligned(PVK_PAGE_SIZE)));

/* pvh.S's tables are in the image: a physical address there -> its virtual. */
static uint64_t *image_table(uint64_t entry)
{
	unsigned long phys = entry & PVK_PTE_MFN_MASK;

	if (phys < PVK_GUEST_LOAD_PHYS || phys - PVK_GUEST_LOAD_PHYS >= (1UL << 30))
		return NULL;
	return (uint64_t *)(phys - PVK_GUEST_LOAD_PHYS + PVK_GUEST_VIRT_BASE);
}

/* t's L2 and L1 map t->page at va (the L3 entry is the caller's). */
static void probe_tables_fill(struct probe_tables *t, unsigned long va, uint64_t magic)
{
	memset(t, 0, sizeof(*t));
	t->page[0] = magic;
	t->l1[pvk_pt_index(va, 1)] = guest_image_phys(t->page) | PVK_PTE_KERNEL_RW;
	t->l2[pvk_pt_index(va, 2)] = guest_image_phys(t->l1) | PVK_PTE_TABLE;
	t->l3[pvk_pt_index(va, 3)] = guest_image_phys(t->l2) | PVK_PTE_TABLE;
}

PVK_GUEST_TEST(usermode_kernel_mappings)
{
	static struct guest_user_result res;
	static volatile uint64_t xen_probe;
	const unsigned long hi_va = 0xffff000000000000UL | ((unsigned long)PROBE_L4_SLOT << 39) | 0x123000;
	const unsigned long img_va = 0xffffff8000000000UL | ((unsigned long)PROBE_IMAGE_GIB << 30) | 0x456000;
	unsigned long kernel_cr3 = pvk_read_cr3();
	uint64_t *image_l3 = NULL;

	PVK_CHECK_RC(guest_uspace_create(), 0);
	if (guest_native_boot) {
		/* The kernel maps two pages after the address space exists. */
		probe_tables_fill(&probe_hi, hi_va, PROBE_MAGIC0);
		PVK_CHECK_RC(guest_kernel_l4_set(PROBE_L4_SLOT,
						 guest_image_phys(probe_hi.l3) | PVK_PTE_TABLE), 0);
		probe_tables_fill(&probe_img, img_va, PROBE_MAGIC1);
		image_l3 = image_table(((const uint64_t *)image_table(kernel_cr3))[511]);
		PVK_CHECK(image_l3 != NULL);
		PVK_CHECK_EQ(image_l3[PROBE_IMAGE_GIB], 0);
		pvk_set_pte(&image_l3[PROBE_IMAGE_GIB], probe_img.l3[PROBE_IMAGE_GIB]);
		guest_user_probe_va[0] = hi_va;
		guest_user_probe_va[1] = img_va;
	} else {
		xen_probe = PROBE_MAGIC0;
		guest_user_probe_va[0] = (unsigned long)&xen_probe;
		guest_user_probe_va[1] = 0;
	}
	PVK_CHECK_RC(guest_user_run(guest_user_probe, &res), 0);
	guest_user_probe_va[0] = guest_user_probe_va[1] = 0;
	if (guest_native_boot) {
		PVK_CHECK_RC(guest_kernel_l4_set(PROBE_L4_SLOT, 0), 0);
		pvk_set_pte(&image_l3[PROBE_IMAGE_GIB], 0);
		pvk_flush_tlb_local();
	}
	PVK_CHECK_RC(guest_uspace_destroy(), 0);
	PVK_CHECK_EQ(res.exit_code, USER_EXIT_OK);
	PVK_CHECK_EQ(res.syscalls, 4);		/* probe, probe, report, exit */
	PVK_CHECK_EQ(res.report[0], PROBE_MAGIC0);
	if (guest_native_boot) {
		PVK_CHECK_NE(res.probe_cr3, kernel_cr3);	/* on the user's tables */
		PVK_CHECK_EQ(res.report[1], PROBE_MAGIC1);
	} else {
		PVK_CHECK_EQ(res.probe_cr3, kernel_cr3);	/* on the kernel's */
		PVK_CHECK_EQ(res.report[1], 0);
	}
	guest_printf("usermode: %s: kernel mappings made after the address space were read by the program's syscall (CR3 0x%lx, the kernel's 0x%lx)\n",
		     pvk_pvops_name(), res.probe_cr3, kernel_cr3);
}

#define FAILSAFE_BAD_DS		0x000f	/* LDT entry 1, RPL 3: this guest has no LDT */
#define FAILSAFE_WAIT_NS	2000000000ULL

static struct pvk_vcpu_guest_context vcpu1_ctx;
static uint64_t vcpu1_stack[512] __attribute__((aligned(16)));

/* Where vCPU 1 would run if Xen loaded its segments: it must not get here. */
static void vcpu1_entry(void)
{
	guest_printf("usermode: vCPU 1 runs: Xen did not use the failsafe callback\n");
	for (;;)
		pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
}

PVK_GUEST_TEST_XEN_EXPLICIT(usermode_failsafe)
{
	struct pvk_vcpu_guest_context *c = &vcpu1_ctx;
	unsigned long top = (unsigned long)(vcpu1_stack + 512) - 8;
	uint64_t t0;

	memset(c, 0, sizeof(*c));
	c->flags = PVK_VGCF_in_kernel | PVK_VGCF_failsafe_disables_events;
	c->user_regs.rip = (unsigned long)vcpu1_entry;
	c->user_regs.cs = PVK_FLAT_KERNEL_CS;
	c->user_regs.ss = PVK_FLAT_KERNEL_SS;
	c->user_regs.ds = FAILSAFE_BAD_DS;
	c->user_regs.rsp = top;
	c->user_regs.rflags = 0x2;
	c->kernel_ss = PVK_FLAT_KERNEL_SS;
	c->kernel_sp = top;
	c->ctrlreg[3] = pvk_mfn_raw(pvk_mmu_kernel_base()) << 12;
	c->failsafe_callback_eip = (unsigned long)pvk_xen_failsafe_entry;
	/* pvk_port_cpu_id() on vCPU 1 reads its per-CPU area (smp.c). */
	c->gs_base_kernel = (unsigned long)guest_smp_area_of(1);

	guest_printf("usermode: starting vCPU 1 with %%ds=0x%x: expect a FAILSAFE report and a crash\n",
		     FAILSAFE_BAD_DS);
	PVK_CHECK_RC(pvk_hyp_vcpu_op(PVK_VCPUOP_initialise, 1, c), 0);
	PVK_CHECK_RC(pvk_hyp_vcpu_op(PVK_VCPUOP_up, 1, NULL), 0);
	t0 = guest_now_ns();
	while (guest_now_ns() - t0 < FAILSAFE_WAIT_NS)
		pvk_hyp_sched_op(PVK_SCHEDOP_yield, NULL);
	PVK_FAIL("still running %llu ms after vCPU 1 came up: no failsafe callback",
		 FAILSAFE_WAIT_NS / 1000000);
}
