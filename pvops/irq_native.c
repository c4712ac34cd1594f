/*
 * pvops/irq_native.c - interrupt flag ops on bare hardware: RFLAGS.IF. The
 * ops of the table, and the templates the patcher (patch.c) writes over
 * every site of them when the native world is selected
 * (pvkit/pvops_patch.h): the same instructions, inline.
 */
#include <pvkit/pv_lint.h>
#include <pvkit/port.h>

#include "pvops_internal.h"
#include "patch.h"

static unsigned long native_save_fl(void)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(native_save_fl);
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl) : : "memory");
	return fl & PVK_X86_EFLAGS_IF;
}

static void native_irq_disable(void)
{
	PVK_NATIVE_ONLY(native_irq_disable);
	__asm__ __volatile__("cli" : : : "memory");
}

static void native_irq_enable(void)
{
	PVK_NATIVE_ONLY(native_irq_enable);
	__asm__ __volatile__("sti" : : : "memory");
}

/* Only IF is saved, so restore only IF (a popf would restore the rest). */
static void native_restore_fl(unsigned long flags)
{
	PVK_NATIVE_ONLY(native_restore_fl);
	if (flags & PVK_X86_EFLAGS_IF)
		native_irq_enable();
	else
		native_irq_disable();
}

const struct pvk_pvops_irq pvk_native_irq_ops = {
	.save_fl = native_save_fl,
	.restore_fl = native_restore_fl,
	.irq_disable = native_irq_disable,
	.irq_enable = native_irq_enable,
};

/*
 * The templates: bytes to copy, never executed here (each is a symbol of
 * its own size, so that pv-lint's marks below cover exactly it). They do
 * what the ops above do, with the registers of the site's contract:
 * save_fl's result in %rax (IF alone: the and), restore_fl's argument in
 * %rdi (bt copies IF to CF; relative jumps only, so the bytes work at any
 * address). 0x200 and bit 9 are PVK_X86_EFLAGS_IF.
 */
PVK_BUILD_BUG_ON(PVK_X86_EFLAGS_IF != 0x200);

#define TEMPLATE(name, insns)						\
	".globl " name "\n\t"						\
	".type " name ", @function\n"					\
	name ":\n\t"							\
	insns "\n"							\
	name "_end:\n\t"						\
	".size " name ", . - " name "\n\t"

__asm__(".pushsection .text.pvk_native_templates, \"ax\", @progbits\n\t"
	TEMPLATE("pvk_native_tpl_save_fl", "pushfq\n\tpopq %rax\n\tandl $0x200, %eax")
	TEMPLATE("pvk_native_tpl_restore_fl",
		 "btl $9, %edi\n\tjnc 1f\n\tsti\n\tjmp 2f\n1:\tcli\n2:")
	TEMPLATE("pvk_native_tpl_irq_disable", "cli")
	TEMPLATE("pvk_native_tpl_irq_enable", "sti")
	".popsection");

extern const uint8_t pvk_native_tpl_save_fl[], pvk_native_tpl_save_fl_end[];
extern const uint8_t pvk_native_tpl_restore_fl[], pvk_native_tpl_restore_fl_end[];
extern const uint8_t pvk_native_tpl_irq_disable[], pvk_native_tpl_irq_disable_end[];
extern const uint8_t pvk_native_tpl_irq_enable[], pvk_native_tpl_irq_enable_end[];

#define TPL(name, clob)							\
	{ .bytes = name, .len = (size_t)(name##_end - name), .clobbers = (clob) }

static bool native_irqs_off(void)
{
	unsigned long fl;

	PVK_NATIVE_ONLY(native_irqs_off);
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	return !(fl & PVK_X86_EFLAGS_IF);
}

const struct pvk_pvops_patch_world *pvk_native_irq_patch(void)
{
	static struct pvk_pvops_patch_world w = { .name = "native" };

	/* The patched instructions are native only, as the ops are. */
	PVK_NATIVE_ONLY(pvk_native_tpl_save_fl);
	PVK_NATIVE_ONLY(pvk_native_tpl_restore_fl);
	PVK_NATIVE_ONLY(pvk_native_tpl_irq_disable);
	PVK_NATIVE_ONLY(pvk_native_tpl_irq_enable);
	/* An interrupt would run sites while they are rewritten. */
	if (!native_irqs_off())
		pvk_port_panic("pvops patch: pvk_pvops_select_native() with interrupts on");
	w.op[PVK_PVOPS_OP_SAVE_FL] = (struct pvk_pvops_patch_op)
		TPL(pvk_native_tpl_save_fl, PVK_PVOPS_CLOBBER_RAX | PVK_PVOPS_CLOBBER_CC);
	w.op[PVK_PVOPS_OP_RESTORE_FL] = (struct pvk_pvops_patch_op)
		TPL(pvk_native_tpl_restore_fl, PVK_PVOPS_CLOBBER_CC);
	w.op[PVK_PVOPS_OP_IRQ_DISABLE] = (struct pvk_pvops_patch_op)
		TPL(pvk_native_tpl_irq_disable, 0);
	w.op[PVK_PVOPS_OP_IRQ_ENABLE] = (struct pvk_pvops_patch_op)
		TPL(pvk_native_tpl_irq_enable, 0);
	return &w;
}
