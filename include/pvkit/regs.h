/*
 * pvkit/regs.h - struct pvk_regs: the full register frame the kit's entries
 * hand to the host (trap stubs, the event upcall) and that the crash report
 * decodes.
 *
 *   offset | contents
 *   -------+-------------------------------------------------------------
 *    +0x00 | r15 ... rax: PVK_SAVE_ALL_REGS (the table in pvkit/asm/frame.h)
 *    +0x78 | vector (an exception's number; PVK_REGS_VECTOR_UPCALL for the
 *          | event upcall, PVK_REGS_VECTOR_IRQ(n) for a native interrupt)
 *    +0x80 | error code (0 where the CPU or Xen pushes none)
 *    +0x88 | rip, cs, rflags, rsp, ss: the hardware frame (on Xen the %cs
 *          | slot carries the interrupted upcall mask in bits 32-39 and
 *          | RPL 0 for the guest kernel, pvkit/asm/xen_entry.h)
 *
 * A host may change the frame (rip, rsp, general registers) before it is
 * restored: that is how it switches to another context on the way out.
 */
#ifndef PVKIT_REGS_H
#define PVKIT_REGS_H

#include <pvkit/types.h>
#include <pvkit/asm/frame.h>

struct pvk_regs {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};
PVK_ALL_REGS_LAYOUT_CHECK(struct pvk_regs, vector);

#define PVK_REGS_VECTOR_UPCALL	0x100ULL
#define PVK_REGS_VECTOR_IRQ(n)	(0x200ULL + (n))

/* The assembly side's names for the same frame (pvkit/asm/frame.h). */
PVK_BUILD_BUG_ON(offsetof(struct pvk_regs, error_code) != PVK_REGS_ERROR_CODE);
PVK_BUILD_BUG_ON(offsetof(struct pvk_regs, rip) != PVK_REGS_RIP);
PVK_BUILD_BUG_ON(offsetof(struct pvk_regs, cs) != PVK_REGS_CS);
PVK_BUILD_BUG_ON(offsetof(struct pvk_regs, rflags) != PVK_REGS_RFLAGS);
PVK_BUILD_BUG_ON(offsetof(struct pvk_regs, rsp) != PVK_REGS_RSP);
PVK_BUILD_BUG_ON(offsetof(struct pvk_regs, ss) != PVK_REGS_SS);
PVK_BUILD_BUG_ON(sizeof(struct pvk_regs) != PVK_REGS_FRAME_SIZE);
PVK_BUILD_BUG_ON(PVK_REGS_VECTOR_UPCALL != PVK_REGS_VECTOR_UPCALL_NUM);
PVK_BUILD_BUG_ON(PVK_REGS_VECTOR_IRQ(0) != PVK_REGS_VECTOR_IRQ_BASE);

/* The interrupted code ran in user mode (RPL 3 in the saved %cs). */
static inline bool pvk_regs_from_user(const struct pvk_regs *r)
{
	return (r->cs & 3) == 3;
}

#endif /* PVKIT_REGS_H */
