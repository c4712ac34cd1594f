/*
 * tests/guest/user/cpu.c - the CPU state user mode needs, set through the
 * kit's cpu ops: a TSS (load_tr) in both worlds; natively also a GDT with
 * user segments and the SYSCALL MSRs. On Xen the user runs on Xen's flat
 * selectors and SYSCALL reaches us through the kit's syscall callback.
 *
 * The native GDT (one page, load_gdt):
 *
 *   selector | descriptor          | why
 *   ---------+---------------------+------------------------------------
 *   0x08     | 64-bit code, DPL 0  | kernel %cs (pvh.S's), STAR[47:32]
 *   0x10     | data, DPL 0         | kernel %ss: STAR[47:32] + 8
 *   0x18     | 32-bit code, DPL 3  | STAR[63:48], SYSRET's base (unused)
 *   0x20     | data, DPL 3         | user %ss 0x23: base + 8
 *   0x28     | 64-bit code, DPL 3  | user %cs 0x2b: base + 16
 *   0x30     | TSS, 16 bytes       | load_tr
 *   0x40     | LDT, 16 bytes       | load_ldt (the pvops_ldt test)
 *
 * EFER.NXE goes on when the CPU has NX, so user data pages can be
 * no-execute as on Xen. SYSCALL (EFER.SCE) enters syscall_native.S at LSTAR with %cs 0x08 and
 * %ss 0x10; FMASK clears IF, TF, DF, AC and NT on entry, so the entry runs
 * with interrupts off until SYSRET restores the program's RFLAGS.
 *
 * Both worlds: the TSS's rsp0 is the top of user_entry_stack, where every
 * syscall and exception from user mode lands (natively the CPU reads it
 * from the TSS, and syscall_native.S from guest_user_cur_tss; on Xen it is
 * what load_tr gives to stack_switch).
 */
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_callbacks.h>

#include "../guest.h"
#include "user.h"

#define MSR_EFER	0xc0000080u
#define MSR_STAR	0xc0000081u
#define MSR_LSTAR	0xc0000082u
#define MSR_FMASK	0xc0000084u
#define EFER_SCE	0x1ULL
#define EFER_NXE	0x800ULL
#define CPUID_EXT_FEATURES	0x80000001u
#define CPUID_EDX_NX	(1u << 20)
#define FMASK_BITS	0x44700ULL	/* AC | NT | DF | IF | TF */

#define USER_ENTRY_STACK_SIZE	(16 * 1024)

PVK_BUILD_BUG_ON(__builtin_offsetof(struct pvk_tss, rsp0) != GUEST_TSS_RSP0);

static char user_entry_stack[USER_ENTRY_STACK_SIZE] __attribute__((aligned(16)));
static struct pvk_tss boot_tss;
struct pvk_tss *guest_user_cur_tss;
bool guest_user_nx;

static uint64_t native_gdt[PVK_PAGE_SIZE / 8] __attribute__((aligned(PVK_PAGE_SIZE))) = {
	[GUEST_SEL_KERNEL_CS / 8]	= 0x00af9a000000ffffULL,
	[GUEST_SEL_KERNEL_DS / 8]	= 0x00cf92000000ffffULL,
	[GUEST_SEL_SYSRET_BASE / 8]	= 0x00cffa000000ffffULL,
	[GUEST_SEL_USER_DS / 8]		= 0x00cff2000000ffffULL,
	[GUEST_SEL_USER_CS / 8]		= 0x00affa000000ffffULL,
};

static void check(int rc, const char *what)
{
	if (rc) {
		guest_printf("user: %s failed: %d\n", what, rc);
		pvk_port_panic("user: cannot set up user mode");
	}
}

/* native.c's world: same kernel selectors as pvh.S's GDT, so nothing
 * needs reloading. */
void guest_native_user_init(void)
{
	struct pvk_cpuid_regs r;
	uint64_t efer;

	check(pvk_load_gdt(native_gdt, GUEST_GDT_ENTRIES), "load_gdt");
	pvk_cpuid(CPUID_EXT_FEATURES, 0, &r);
	guest_user_nx = r.edx & CPUID_EDX_NX;
	check(pvk_read_msr_safe(MSR_EFER, &efer), "rdmsr EFER");
	check(pvk_write_msr_safe(MSR_EFER, efer | EFER_SCE | (guest_user_nx ? EFER_NXE : 0)),
	      "wrmsr EFER");
	check(pvk_write_msr_safe(MSR_STAR, ((uint64_t)GUEST_SEL_SYSRET_BASE << 48) |
				 ((uint64_t)GUEST_SEL_KERNEL_CS << 32)), "wrmsr STAR");
	check(pvk_write_msr_safe(MSR_LSTAR, (unsigned long)guest_native_syscall_entry),
	      "wrmsr LSTAR");
	check(pvk_write_msr_safe(MSR_FMASK, FMASK_BITS), "wrmsr FMASK");
}

int guest_user_load_tss(struct pvk_tss *tss)
{
	int rc = pvk_load_tr(GUEST_SEL_TSS, tss);

	if (!rc)
		guest_user_cur_tss = tss;
	return rc;
}

struct pvk_tss *guest_user_boot_tss(void)
{
	return &boot_tss;
}

/* boot.c's world: the kit's syscall callback; a PV guest's PTEs may
 * always carry NX (Xen runs it with EFER.NXE on). */
void guest_xen_user_init(void)
{
	check(pvk_xen_callbacks_register(guest_user_syscall), "callback registration");
	guest_user_nx = true;
}

void guest_user_init(void)
{
	guest_world->user_init();
	boot_tss.rsp0 = (unsigned long)user_entry_stack + sizeof(user_entry_stack);
	check(guest_user_load_tss(&boot_tss), "load_tr");
}
