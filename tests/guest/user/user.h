/*
 * tests/guest/user/user.h - the reference guest's user mode (Xen PV only):
 * one address space, one program at a time.
 *
 * User virtual layout (one L3, one L2, one L1 under L4 slot 0):
 *
 *   0x400000          program code (read-only, the blob of program.S)
 *   0x401000          TLS page: the program's %fs base
 *   0x410000-0x41ffff demand-zero area: mapped on first touch (#PF)
 *   0x5ff000          stack page (top 0x600000)
 *
 * Everything else, and the whole kernel half, is unmapped in user mode.
 */
#ifndef PVK_GUEST_USER_H
#define PVK_GUEST_USER_H

#define USER_CODE_VA		0x400000
#define USER_TLS_VA		0x401000
#define USER_DEMAND_VA		0x410000
#define USER_DEMAND_PAGES	16
#define USER_STACK_VA		0x5ff000
#define USER_STACK_TOP		0x600000

/* System call numbers (%rax); arguments in %rdi, %rsi, %rdx. */
#define USER_SYS_write		0	/* (buf, len) -> len or -1 */
#define USER_SYS_get_value	1	/* () -> USER_VALUE */
#define USER_SYS_report		2	/* (a, b, c) -> 0: recorded for the test */
#define USER_SYS_exit		3	/* (code): does not return */

#define USER_VALUE		0x600df00d5eed1234
/* Written by the kernel at %fs:0, the program adds USER_FS_DELTA and
 * stores the result at %fs:8. */
#define USER_FS_MAGIC		0x7e57f5ba5e000001
#define USER_FS_DELTA		0x100

/* The program's exit code on success. */
#define USER_EXIT_OK		42

#ifndef __ASSEMBLY__
#include <pvkit/types.h>

struct guest_regs;

/* Offsets of the program's entry points in the blob (program.S). */
extern const char guest_user_blob[], guest_user_blob_end[];
extern const char guest_user_main[], guest_user_poke_kernel[];

/* ---- uspace.c: the address space ------------------------------------ */
/* Builds it (tables pinned, user base pointer set, code copied, TLS and
 * stack mapped). 0 or a negative error (everything undone). */
int guest_uspace_create(void);
/* Unsets the user base pointer, unpins, frees every frame. 0 or error. */
int guest_uspace_destroy(void);
/* Maps a zeroed page at the demand-zero address va; 0 or error. */
int guest_uspace_demand_map(unsigned long va);
/* Kernel pointer to len bytes at user address va (one page, present,
 * user-accessible), or NULL. */
void *guest_uspace_ptr(unsigned long va, size_t len);
/* Frames in use by the address space (tables + pages). */
unsigned int guest_uspace_frames(void);

/* ---- run.c: running a program ------------------------------------------ */
struct guest_user_result {
	long exit_code;		/* the exit syscall's, or -1 when killed */
	unsigned int syscalls;	/* handled, exit included */
	unsigned int faults;	/* #PFs resolved by demand mapping */
	unsigned int killed_vector;	/* exception that killed it (if killed) */
	unsigned long killed_addr;	/* its CR2 for a #PF */
	uint64_t report[3];	/* the last USER_SYS_report */
	char output[128];	/* what it wrote, NUL-terminated */
	size_t output_len;
};

/* Registers the callbacks (boot). Panics on failure. */
void guest_user_init(void);
/* Runs the program from entry (one of the blob's entry points) in the
 * current address space with %fs base USER_TLS_VA, until it exits or is
 * killed. 0 or a negative error from setting it up. */
int guest_user_run(const char *entry, struct guest_user_result *res);

/* entry.S hands exceptions from user mode here: resolves demand-zero #PFs
 * (returns to the program) or kills it (does not return). */
void guest_user_trap(struct guest_regs *regs);

/* ---- enter.S ---------------------------------------------------------- */
/* Saves the callee-saved registers and the stack, iret to rip/rsp in user
 * mode; returns the code given to guest_user_leave(). */
long guest_user_enter(unsigned long rip, unsigned long rsp);
/* From a handler on the user-entry stack: back to guest_user_enter's caller. */
__pvk_noreturn void guest_user_leave(long code);

#endif /* !__ASSEMBLY__ */
#endif /* PVK_GUEST_USER_H */
