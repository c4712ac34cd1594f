/*
 * examples/minimal/minimal.h - what the minimal kernel's files share: its
 * address layout, GDT selectors, and the calls between port, boot, entry
 * and checks. Written from the README's porting guide and the kit's public
 * headers only.
 */
#ifndef MINIMAL_H
#define MINIMAL_H

/* Linked in the top 2 GiB (the kit is -mcmodel=kernel); pfn 0 here on Xen
 * (VIRT_BASE) and physical 0 natively (our page tables). */
#define KBASE		0xffffffff80000000
#define LOAD_PHYS	0x100000

/* Native GDT (head.S): ring-3 selectors are these | 3. SYSRET takes its
 * selectors from STAR[63:48] + 8 (SS) and + 16 (CS). */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UBASE	0x18
#define SEL_UDATA	0x20
#define SEL_UCODE	0x28
#define SEL_TSS		0x30
#define GDT_ENTRIES	8

/* Native interrupt vectors of the local APIC one-shot. */
#define VEC_TIMER	0x40
#define VEC_SPURIOUS	0xff

/* The ring-3 program's two system calls (user.S). */
#define SYS_WRITE	1
#define SYS_EXIT	2

#ifndef __ASSEMBLY__
#include <pvkit/regs.h>

extern bool minimal_on_xen;
extern volatile unsigned long minimal_hook_ticks, minimal_timer_ticks;

struct pvk_syscall_regs;

/* libc.c */
void *memset(void *d, int c, size_t n);
/* port.c */
void minimal_printf(const char *fmt, ...) __pvk_printf(1, 2);
void minimal_run_work(void);
__pvk_noreturn void minimal_poweroff(int code);
/* boot.c: the timer's period; a poweroff request, -1 until one comes */
#define TICK_NS (10 * 1000 * 1000ULL)
extern volatile int minimal_control_request;
void minimal_trap(struct pvk_regs *regs);
__pvk_noreturn void minimal_enter_user(unsigned long rip, unsigned long rsp);
/* kernel.c */
__pvk_noreturn void minimal_run(void);
void minimal_syscall(struct pvk_syscall_regs *r);

/* entry.S and head.S */
extern const unsigned long minimal_xtrap_table[32], minimal_ntrap_table[34];
extern char minimal_gdt[], minimal_pd[], minimal_stack_top[];
extern char minimal_user_main[], minimal_user_stack_top[];
void minimal_native_syscall(void);
__pvk_noreturn void minimal_native_enter_user(unsigned long rip, unsigned long rsp);

/* checks.c: one verdict line each, then the closing "N passed, N failed". */
void minimal_check(const char *name, bool ok, const char *why);
int minimal_summary(void);
#endif

#endif /* MINIMAL_H */
