/*
 * tests/guest/user/user.h - the reference guest's user mode, on Xen and
 * natively: one address space, one program at a time.
 *
 * User virtual layout (one L3, one L2, one L1 under L4 slot 0):
 *
 *   0x400000          program code (read-only, the blob of program.S)
 *   0x401000          TLS page: the program's %fs base
 *   0x410000-0x41ffff demand-zero area: a fresh page mapped on first touch
 *   0x420000-0x51ffff zero-page area: a read maps the one shared zero page
 *                     read-only (the page-fault benchmark)
 *   0x5ff000          stack page (top 0x600000)
 *
 * Everything else is unmapped for user mode: on Xen the user L4 has
 * nothing else; natively the kernel's own mappings are there too (the CPU
 * has one CR3), but without the user bit. The layout stays below 4 GiB:
 * the LDT test gives the program a segment based at USER_TLS_VA.
 */
#ifndef PVK_GUEST_USER_H
#define PVK_GUEST_USER_H

#define USER_L4_SLOT		0	/* the low half: the program's */
#define USER_CODE_VA		0x400000
#define USER_TLS_VA		0x401000
#define USER_DEMAND_VA		0x410000
#define USER_DEMAND_PAGES	16
#define USER_ZERO_VA		0x420000
#define USER_ZERO_PAGES		256
#define USER_STACK_VA		0x5ff000
#define USER_STACK_TOP		0x600000

/* System call numbers (%rax); arguments in %rdi, %rsi, %rdx. */
#define USER_SYS_write		0	/* (buf, len) -> len or -1 */
#define USER_SYS_get_value	1	/* () -> USER_VALUE */
#define USER_SYS_report		2	/* (a, b, c) -> 0: recorded for the test */
#define USER_SYS_exit		3	/* (code): does not return */
#define USER_SYS_null		4	/* () -> 0: the syscall benchmark */
#define USER_SYS_mark		5	/* () -> 0: records clock and hypercalls */
#define USER_SYS_probe		6	/* (i) -> the word at guest_user_probe_va[i],
					 * read by the kernel in the syscall (on the
					 * user's CR3 natively); USER_PROBE_UNMAPPED
					 * if that CR3 does not map it */

#define USER_PROBES		2
#define USER_PROBE_UNMAPPED	0xdead0000deadULL

#define USER_VALUE		0x600df00d5eed1234
/* Written by the kernel at %fs:0, the program adds USER_FS_DELTA and
 * stores the result at %fs:8. */
#define USER_FS_MAGIC		0x7e57f5ba5e000001
#define USER_FS_DELTA		0x100

/* The program's exit code on success. */
#define USER_EXIT_OK		42

/* Iterations of the benchmark programs (between their two marks). */
#define USER_BENCH_SYSCALLS	20000

/* Native GDT selectors (cpu.c has the table). On Xen the user runs on
 * Xen's flat selectors and the kernel has no GDT entries of its own. */
#define GUEST_SEL_KERNEL_CS	0x08
#define GUEST_SEL_KERNEL_DS	0x10
#define GUEST_SEL_SYSRET_BASE	0x18	/* STAR[63:48] */
#define GUEST_SEL_USER_DS	0x23	/* base + 8, RPL 3 */
#define GUEST_SEL_USER_CS	0x2b	/* base + 16, RPL 3 */
#define GUEST_SEL_TSS		0x30	/* two entries */
#define GUEST_SEL_LDT		0x40	/* two entries */
#define GUEST_GDT_ENTRIES	10

/* An LDT data segment the LDT test gives the program: LDT entry 1, RPL 3. */
#define USER_LDT_SEL		0x0f

/* Offset of rsp0 in struct pvk_tss (checked in cpu.c). */
#define GUEST_TSS_RSP0		4

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

struct guest_regs;
struct pvk_syscall_regs;
struct pvk_tss;

/* The blob and its entry points (program.S). */
extern const char guest_user_blob[], guest_user_blob_end[];
extern const char guest_user_main[], guest_user_poke_kernel[], guest_user_ldt[];
extern const char guest_user_bench_syscall[], guest_user_bench_fault[];
extern const char guest_user_probe[];

/* ---- cpu.c: the CPU state user mode needs ------------------------------ */
/* Boot, both worlds: natively the GDT with user segments and the SYSCALL
 * MSRs; on Xen the syscall and failsafe callbacks; then the TSS. Panics
 * on failure. */
void guest_user_init(void);
/* load_tr(GUEST_SEL_TSS, tss) and, on success, tss becomes the one whose
 * rsp0 the native syscall entry switches to. 0 or the op's error. */
int guest_user_load_tss(struct pvk_tss *tss);
/* The boot TSS (rsp0: the top of the user-entry stack). */
struct pvk_tss *guest_user_boot_tss(void);
/* The TSS loaded last (syscall_native.S reads its rsp0). */
extern struct pvk_tss *guest_user_cur_tss;
/* PTEs may carry NX (Xen: always; natively EFER.NXE is on). */
extern bool guest_user_nx;
/* The worlds' halves of the user set-up (boot.c, native.c: guest_world). */
void guest_xen_user_init(void);
void guest_native_user_init(void);
int guest_xen_user_after_run(void);
int guest_native_user_after_run(void);
void guest_native_user_before_run(void);

/* ---- uspace.c: the address space ------------------------------------ */
/* Builds it (code copied, TLS and stack mapped, the tables given to the
 * pvops alloc_pt: on Xen read-only and the L4 pinned). 0 or a negative
 * error (everything undone). */
int guest_uspace_create(void);
/* Frees it (deactivated, the tables given to release_pt first). 0 or
 * error. */
int guest_uspace_destroy(void);
/* Around a program run: the pvops activate_mm with the user top (natively
 * CR3 on the user tables, which carry the kernel half; on Xen the user
 * base pointer, Xen switching on every kernel entry and exit), then with
 * none. 0 or the op's error. */
int guest_uspace_activate(void);
int guest_uspace_deactivate(void);
/* Maps a zeroed page at the demand-zero address va; 0 or error. */
int guest_uspace_demand_map(unsigned long va);
/* Maps the shared zero page read-only at va in the zero-page area. */
int guest_uspace_zero_map(unsigned long va);
/* Kernel pointer to len bytes at user address va (one page, present,
 * user-accessible), or NULL. */
void *guest_uspace_ptr(unsigned long va, size_t len);
/* Frames in use by the address space (tables + pages). */
unsigned int guest_uspace_frames(void);
/* Whether the kernel's page tables (natively: those of CR3, so call it
 * while no program runs) map user address va to the frame the user tables
 * map it to (they must not for the program's code). */
bool guest_uspace_kernel_maps(unsigned long va);
/*
 * How the kernel changes a kernel-half entry (slot 256-511) of its own L4
 * while a program's address space exists (a new top-level slot for a
 * kernel mapping): set_pte on the kernel's L4, then, when the space is
 * active, activate_mm again so that natively the user L4 carries it too.
 * Other slots: -EINVAL.
 */
int guest_kernel_l4_set(unsigned int slot, uint64_t entry);
/* Whether the page tables %cr3 now names map va (natively the user's
 * while a program runs, on Xen the kernel's; large pages too). */
bool guest_cr3_maps(unsigned long va);

/* ---- run.c: running a program ------------------------------------------ */
struct guest_user_result {
	long exit_code;		/* the exit syscall's, or -1 when killed */
	unsigned int syscalls;	/* handled, exit included */
	unsigned int faults;	/* #PFs resolved by mapping a page */
	unsigned int killed_vector;	/* exception that killed it (if killed) */
	unsigned long killed_addr;	/* its CR2 for a #PF */
	uint64_t report[3];	/* the last USER_SYS_report */
	unsigned long syscall_sp;	/* kernel stack of the last syscall */
	unsigned long fault_sp;		/* kernel stack of the last exception */
	unsigned int marks;		/* USER_SYS_mark calls (first two kept) */
	uint64_t mark_ns[2];		/* pvops clock at each */
	uint64_t mark_hc[2];		/* kit hypercalls made so far, at each */
	unsigned long probe_cr3;	/* CR3 (Xen: the base pointer) in USER_SYS_probe */
	char output[128];	/* what it wrote, NUL-terminated */
	size_t output_len;
};

/* Runs the program from entry (one of the blob's entry points) in the
 * current address space with %fs base USER_TLS_VA, until it exits or is
 * killed. 0 or a negative error from setting it up. */
int guest_user_run(const char *entry, struct guest_user_result *res);
/* Kernel addresses USER_SYS_probe reads (0: none). */
extern unsigned long guest_user_probe_va[USER_PROBES];

/* The program's system calls: from the kit's Xen syscall callback, or
 * natively from syscall_native.S. */
void guest_user_syscall(struct pvk_syscall_regs *regs);

/* entry.S / entry_native.S hand exceptions from user mode here: resolves
 * demand-zero and zero-page #PFs (returns to the program) or kills it
 * (does not return). */
void guest_user_trap(struct guest_regs *regs);

/* ---- enter.S ---------------------------------------------------------- */
/* Save the callee-saved registers and the stack, enter user mode at
 * rip/rsp (Xen: HYPERVISOR_iret; native: iretq); return the code given
 * to guest_user_leave(). */
long guest_user_enter(unsigned long rip, unsigned long rsp);
long guest_user_enter_native(unsigned long rip, unsigned long rsp);
/* From a handler on the user-entry stack: back to guest_user_enter's caller. */
__pvk_noreturn void guest_user_leave(long code);

/* ---- syscall_native.S -------------------------------------------------- */
void guest_native_syscall_entry(void);

#endif /* !__ASSEMBLY__ */
#endif /* PVK_GUEST_USER_H */
