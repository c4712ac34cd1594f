/*
 * pvops/cpu_native.c - the cpu ops on bare hardware: the instructions
 * themselves, for a kernel running in ring 0.
 */
#include <pvkit/log.h>
#include <pvkit/xen/errno.h>

#include "pvops_internal.h"

#define IDT_ENTRIES	256
#define GATE_INTERRUPT	0xe	/* clears IF on entry */
#define GATE_TRAP	0xf
#define GATE_PRESENT	0x80
#define TSS_RSP0	4	/* offset of rsp0 in the 64-bit TSS */

/* One 16-byte long-mode gate descriptor. */
struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr;	/* P, DPL (bits 5-6), gate type */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
PVK_BUILD_BUG_ON(sizeof(struct idt_gate) != 16);

/* The operand of lidt/sgdt. */
struct desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static struct idt_gate idt[IDT_ENTRIES] __attribute__((aligned(16)));

static void native_cpuid(uint32_t leaf, uint32_t subleaf, struct pvk_cpuid_regs *r)
{
	__asm__ __volatile__("cpuid"
			     : "=a"(r->eax), "=b"(r->ebx), "=c"(r->ecx), "=d"(r->edx)
			     : "a"(leaf), "c"(subleaf));
}

static unsigned long native_read_cr0(void)
{
	unsigned long v;

	__asm__ __volatile__("mov %%cr0, %0" : "=r"(v));
	return v;
}

static int native_write_cr0(unsigned long v)
{
	__asm__ __volatile__("mov %0, %%cr0" : : "r"(v) : "memory");
	return 0;
}

static unsigned long native_read_cr4(void)
{
	unsigned long v;

	__asm__ __volatile__("mov %%cr4, %0" : "=r"(v));
	return v;
}

static int native_write_cr4(unsigned long v)
{
	__asm__ __volatile__("mov %0, %%cr4" : : "r"(v) : "memory");
	return 0;
}

static uint16_t read_cs(void)
{
	uint16_t cs;

	__asm__ __volatile__("mov %%cs, %0" : "=r"(cs));
	return cs;
}

static int native_load_idt(const struct pvk_trap_desc *traps, unsigned int count)
{
	struct desc_ptr ptr = { .limit = sizeof(idt) - 1, .base = (uint64_t)(unsigned long)idt };
	uint16_t cs = read_cs();

	if (count > IDT_ENTRIES)
		return -PVK_XEN_EINVAL;
	__builtin_memset(idt, 0, sizeof(idt));
	for (unsigned int i = 0; i < count; i++) {
		const struct pvk_trap_desc *t = &traps[i];
		struct idt_gate *g = &idt[t->vector];

		g->offset_lo = (uint16_t)t->handler;
		g->offset_mid = (uint16_t)(t->handler >> 16);
		g->offset_hi = (uint32_t)(t->handler >> 32);
		g->selector = cs;
		g->type_attr = GATE_PRESENT | (uint8_t)((t->dpl & 3) << 5) |
			       (t->mask_irqs ? GATE_INTERRUPT : GATE_TRAP);
	}
	__asm__ __volatile__("lidt %0" : : "m"(ptr) : "memory");
	return 0;
}

static int native_load_gdt(void *table, unsigned int entries)
{
	struct desc_ptr ptr = { .limit = (uint16_t)(entries * 8 - 1),
				.base = (uint64_t)(unsigned long)table };

	if (!entries || entries > PVK_PAGE_SIZE / 8 || ((unsigned long)table & (PVK_PAGE_SIZE - 1)))
		return -PVK_XEN_EINVAL;
	__asm__ __volatile__("lgdt %0" : : "m"(ptr) : "memory");
	return 0;
}

static int native_write_desc(void *table, unsigned int index, uint64_t desc)
{
	if (index >= PVK_PAGE_SIZE / 8)
		return -PVK_XEN_EINVAL;
	PVK_WRITE_ONCE(((uint64_t *)table)[index], desc);
	return 0;
}

/* rsp0 lives in the TSS that TR selects: find it through the GDT. */
static int native_stack_switch(unsigned long rsp)
{
	struct desc_ptr gdt;
	uint16_t tr;
	uint64_t lo, hi;
	unsigned long tss;

	__asm__ __volatile__("sgdt %0" : "=m"(gdt));
	__asm__ __volatile__("str %0" : "=r"(tr));
	if (!(tr & ~7u) || (tr | 7u) + 8 > gdt.limit) {
		pvk_err("pvops native: stack_switch: no TSS loaded (TR 0x%x)", tr);
		return -PVK_XEN_EINVAL;
	}
	/* A 16-byte system descriptor: base 0-23 at bits 16-39, 24-31 at
	 * bits 56-63, 32-63 in the second quadword. */
	__builtin_memcpy(&lo, (void *)(unsigned long)(gdt.base + (tr & ~7u)), 8);
	__builtin_memcpy(&hi, (void *)(unsigned long)(gdt.base + (tr & ~7u) + 8), 8);
	tss = (unsigned long)(((lo >> 16) & 0xffffff) | ((lo >> 32) & 0xff000000) |
			      ((hi & 0xffffffff) << 32));
	__builtin_memcpy((void *)(tss + TSS_RSP0), &rsp, 8);
	return 0;
}

static int native_set_iopl(unsigned int iopl)
{
	unsigned long fl;

	if (iopl > 3)
		return -PVK_XEN_EINVAL;
	__asm__ __volatile__("pushfq; popq %0" : "=r"(fl));
	fl = (fl & ~0x3000UL) | ((unsigned long)iopl << 12);
	__asm__ __volatile__("pushq %0; popfq" : : "r"(fl) : "memory", "cc");
	return 0;
}

static void native_wbinvd(void)
{
	__asm__ __volatile__("wbinvd" : : : "memory");
}

static void native_halt(void)
{
	__asm__ __volatile__("hlt" : : : "memory");
}

/* sti holds off interrupts for one instruction: none slips in before hlt. */
static void native_safe_halt(void)
{
	__asm__ __volatile__("sti; hlt" : : : "memory");
}

static void native_io_delay(void)
{
	pvk_outb(0x80, 0);
}

const struct pvk_pvops_cpu pvk_native_cpu_ops = {
	.cpuid = native_cpuid,
	.read_cr0 = native_read_cr0,
	.write_cr0 = native_write_cr0,
	.read_cr4 = native_read_cr4,
	.write_cr4 = native_write_cr4,
	.read_msr_safe = pvk_pvops_rdmsr_safe,
	.write_msr_safe = pvk_pvops_wrmsr_safe,
	.load_idt = native_load_idt,
	.load_gdt = native_load_gdt,
	.write_desc = native_write_desc,
	.stack_switch = native_stack_switch,
	.set_iopl = native_set_iopl,
	.wbinvd = native_wbinvd,
	.halt = native_halt,
	.safe_halt = native_safe_halt,
	.io_delay = native_io_delay,
};
