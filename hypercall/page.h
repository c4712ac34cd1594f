/*
 * hypercall/page.h - what an unfilled hypercall page slot looks like.
 *
 * Shared by page.S, which lays the pattern down, and page_check.c, which looks
 * for it. Each 32-byte slot starts
 *
 *	b8 nn nn nn nn		movl $nr, %eax
 *	0f 0b			ud2
 *	cc ...			int3 up to the end of the slot
 *
 * Xen's filled 64-bit PV slots start with "push %rcx" (0x51) instead, so
 * the first byte alone tells a filled slot from ours; page_check.c checks the
 * whole 7-byte head anyway.
 */
#ifndef PVK_HYPERCALL_PAGE_H
#define PVK_HYPERCALL_PAGE_H

#define PVK_UNFILLED_MOVL_EAX	0xb8	/* opcode: movl $imm32, %eax */
#define PVK_UNFILLED_UD2_0	0x0f
#define PVK_UNFILLED_UD2_1	0x0b
#define PVK_UNFILLED_PAD	0xcc	/* int3 */
#define PVK_UNFILLED_HEAD_SIZE	7	/* movl (5) + ud2 (2) */

#endif /* PVK_HYPERCALL_PAGE_H */
