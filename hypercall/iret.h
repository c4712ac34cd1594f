/*
 * hypercall/iret.h - the frame HYPERVISOR_iret consumes.
 *
 * Shared by iret.S (builds the frame) and wrappers.c (checks these offsets
 * against struct pvk_iret_context at compile time). Lowest address first,
 * i.e. %rsp at the moment Xen's iret stub executes SYSCALL:
 *
 *	+0	rax	\
 *	+8	r11	 > pushed by Xen's iret stub from the live registers
 *	+16	rcx	/
 *	+24	flags	\   PVK_VGCF_in_syscall or 0
 *	+32	rip	 |
 *	+40	cs	 |  pushed by pvk_hypercall_iret_enter() before it
 *	+48	rflags	 |  jumps to the stub
 *	+56	rsp	 |
 *	+64	ss	/
 */
#ifndef PVK_HYPERCALL_IRET_H
#define PVK_HYPERCALL_IRET_H

#define PVK_IRET_RAX	0
#define PVK_IRET_R11	8
#define PVK_IRET_RCX	16
#define PVK_IRET_FLAGS	24
#define PVK_IRET_RIP	32
#define PVK_IRET_CS	40
#define PVK_IRET_RFLAGS	48
#define PVK_IRET_RSP	56
#define PVK_IRET_SS	64
#define PVK_IRET_SIZE	72

#ifndef __ASSEMBLY__
struct pvk_iret_context;

/* Copy *ctx into the frame above and enter Xen's iret stub. Never returns. */
__attribute__((noreturn))
void pvk_hypercall_iret_enter(const struct pvk_iret_context *ctx);
#endif

#endif /* PVK_HYPERCALL_IRET_H */
