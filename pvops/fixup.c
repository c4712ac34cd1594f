/*
 * pvops/fixup.c - where a faulting "safe" instruction resumes.
 *
 * The safe MSR accessors (msr_safe.S) list each instruction that may
 * fault together with the address that reports the failure. The host's
 * #GP handler asks pvk_pvops_fixup() before treating a fault as fatal.
 */
#include "pvops_internal.h"

struct pvk_fixup {
	unsigned long insn;	/* the instruction that may fault */
	unsigned long resume;	/* where it continues, reporting failure */
};

extern const struct pvk_fixup pvk_pvops_fixups[], pvk_pvops_fixups_end[];

unsigned long pvk_pvops_fixup(unsigned long rip)
{
	for (const struct pvk_fixup *f = pvk_pvops_fixups; f < pvk_pvops_fixups_end; f++)
		if (f->insn == rip)
			return f->resume;
	return 0;
}
