/*
 * pvops/smp_native.h - what smp_native.c and smp_trampoline.S share: the
 * layout of the trampoline's data (in the low page, written by C before
 * each start, read by the 16/32/64-bit code at fixed offsets) and of the
 * parameters the kit's 64-bit half reads (in the image). Not kit API.
 *
 * The low pages (PVK_NATIVE_SMP_LOW_PAGES, at low_phys):
 *
 *   page | what
 *   -----+---------------------------------------------------------------
 *     0  | trampoline code (offset 0, the SIPI's target), data at TD_BASE
 *     1  | temporary PML4: slot 0 -> page 2, slots 1..511 copied by the
 *        | new CPU from the boot CPU's PML4 (paging off: physical reads)
 *     2  | temporary PDPT: slot 0 -> page 3
 *     3  | temporary PD: slot 0 = 2 MiB page at 0 (identity of low_phys)
 */
#ifndef PVK_SMP_NATIVE_H
#define PVK_SMP_NATIVE_H

#define TRAMP_PML4		0x1000	/* page offsets from low_phys */
#define TRAMP_PDPT		0x2000
#define TRAMP_PD		0x3000

/* The trampoline's data, from the start of page 0. */
#define TD_BASE			0x200
#define TD_GDT			(TD_BASE + 0x00)	/* 4 descriptors */
#define TD_GDT_PTR		(TD_BASE + 0x20)	/* limit 16, base 32 */
#define TD_JMP32		(TD_BASE + 0x28)	/* offset 32, selector 16 */
#define TD_JMP64		(TD_BASE + 0x30)	/* offset 32, selector 16 */
#define TD_EFER			(TD_BASE + 0x38)	/* u64 */
#define TD_BOOT_CR3		(TD_BASE + 0x40)	/* u64, below 4 GiB */
#define TD_TARGET		(TD_BASE + 0x48)	/* u64: pvk_native_ap_start64 */
#define TD_STAGE		(TD_BASE + 0x50)	/* u32: how far it got */
#define TD_END			(TD_BASE + 0x58)

/* The trampoline's GDT selectors. */
#define TR_CODE32		0x08
#define TR_DATA			0x10
#define TR_CODE64		0x18

/* Stages the new CPU writes (TD_STAGE), for the error message. */
#define STAGE_NONE		0
#define STAGE_REAL		1
#define STAGE_PROTECTED		2
#define STAGE_LONG		3
#define STAGE_KIT		4	/* in the kit's image, on the boot tables */

/* struct pvk_native_ap_params, offsets for the assembly. */
#define AP_CR0			0x00
#define AP_CR3			0x08
#define AP_CR4			0x10
#define AP_GDT			0x18	/* limit 16, base 64 (10 bytes) */
#define AP_IDT			0x28
#define AP_CS			0x38
#define AP_SS			0x40
#define AP_DS			0x48
#define AP_GS_BASE		0x50
#define AP_STACK		0x58
#define AP_ENTRY		0x60
#define AP_ARG			0x68

#ifndef __ASSEMBLER__
#include <pvkit/types.h>

struct pvk_native_desc_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

struct pvk_native_ap_params {
	uint64_t cr0, cr3, cr4;
	struct pvk_native_desc_ptr gdt;
	uint8_t pad0[6];
	struct pvk_native_desc_ptr idt;
	uint8_t pad1[6];
	uint64_t cs, ss, ds;
	uint64_t gs_base;
	uint64_t stack_top;
	uint64_t entry;
	uint64_t arg;
};

PVK_BUILD_BUG_ON(__builtin_offsetof(struct pvk_native_ap_params, gdt) != AP_GDT);
PVK_BUILD_BUG_ON(__builtin_offsetof(struct pvk_native_ap_params, idt) != AP_IDT);
PVK_BUILD_BUG_ON(__builtin_offsetof(struct pvk_native_ap_params, cs) != AP_CS);
PVK_BUILD_BUG_ON(__builtin_offsetof(struct pvk_native_ap_params, gs_base) != AP_GS_BASE);
PVK_BUILD_BUG_ON(__builtin_offsetof(struct pvk_native_ap_params, arg) != AP_ARG);

/* smp_trampoline.S */
extern const uint8_t pvk_native_tramp_start[], pvk_native_tramp_end[];
/* Offsets of the 32- and 64-bit parts in the copy (the far jumps' targets). */
extern const uint32_t pvk_native_tramp32_off, pvk_native_tramp64_off;
void pvk_native_ap_start64(void);
extern struct pvk_native_ap_params pvk_native_ap_params;
/* smp_native.c: called by pvk_native_ap_start64 on the new stack. */
void pvk_native_ap_arrived(void);
#endif

#endif /* PVK_SMP_NATIVE_H */
