/*
 * pvops/irq_native.c - interrupt flag ops on bare hardware: RFLAGS.IF.
 */
#include <pvkit/pv_lint.h>

#include "pvops_internal.h"

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
