/*
 * tests/guest/user/run.c - running a user program: its system calls, its
 * exceptions, its exit. The same code in both worlds.
 *
 * The program's syscalls arrive at guest_user_syscall(): on Xen through
 * the kit's syscall callback (pvops/xen_syscall.S), natively through
 * SYSCALL at syscall_native.S. Its exceptions arrive at guest_user_trap()
 * (entry.S and entry_native.S send there every exception whose frame has
 * RPL 3 in %cs). All of them run on the stack of the TSS's rsp0 (cpu.c).
 * exit and fatal exceptions end the run with guest_user_leave(), which
 * returns into guest_user_run() on the caller's stack.
 */
#include <pvkit/hypercall.h>
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/errno.h>

#include "../guest.h"
#include "user.h"

#define PF_PRESENT		0x1	/* #PF error code: protection, not absence */
#define PF_WRITE		0x2

/* The run in progress (NULL outside guest_user_run). */
static struct guest_user_result *cur;

static long sys_write(uint64_t buf, uint64_t len)
{
	const char *p = guest_uspace_ptr(buf, len);
	size_t room = sizeof(cur->output) - 1 - cur->output_len;

	if (!p || len == 0)
		return -1;
	guest_printf("user: \"%.*s\"\n", (int)len, p);
	if (len > room)
		len = room;
	memcpy(cur->output + cur->output_len, p, len);
	cur->output_len += len;
	cur->output[cur->output_len] = '\0';
	return (long)len;
}

static void sys_mark(void)
{
	if (cur->marks < PVK_ARRAY_SIZE(cur->mark_ns)) {
		cur->mark_hc[cur->marks] = guest_hypercalls_made();
		cur->mark_ns[cur->marks] = pvk_clock_ns();
	}
	cur->marks++;
}

unsigned long guest_user_probe_va[USER_PROBES];

/* In kernel mode on the address space the syscall came in on: natively
 * the user's CR3 (checked to map the address first: a kernel #PF would end
 * the whole run), on Xen the kernel's base pointer. */
static uint64_t sys_probe(uint64_t i)
{
	unsigned long va;

	cur->probe_cr3 = pvk_read_cr3();
	if (i >= USER_PROBES || !(va = guest_user_probe_va[i]))
		return 0;
	if (!guest_cr3_maps(va))
		return USER_PROBE_UNMAPPED;
	return PVK_READ_ONCE(*(const uint64_t *)va);
}

void guest_user_syscall(struct pvk_syscall_regs *r)
{
	if (!cur)
		pvk_port_panic("user: syscall with no program running");
	cur->syscalls++;
	cur->syscall_sp = (unsigned long)r;
	switch (r->rax) {
	case USER_SYS_null:
		r->rax = 0;
		break;
	case USER_SYS_write:
		r->rax = (uint64_t)sys_write(r->rdi, r->rsi);
		break;
	case USER_SYS_get_value:
		r->rax = USER_VALUE;
		break;
	case USER_SYS_report:
		cur->report[0] = r->rdi;
		cur->report[1] = r->rsi;
		cur->report[2] = r->rdx;
		r->rax = 0;
		break;
	case USER_SYS_mark:
		sys_mark();
		r->rax = 0;
		break;
	case USER_SYS_probe:
		r->rax = sys_probe(r->rdi);
		break;
	case USER_SYS_exit:
		guest_user_leave((long)r->rdi);
	default:
		guest_printf("user: unknown syscall %llu\n", (unsigned long long)r->rax);
		r->rax = (uint64_t)-1;
		break;
	}
}

/* A #PF the kernel resolves: 0 (retry the access) or an error. */
static int resolve_fault(unsigned long cr2, uint64_t error_code)
{
	if (error_code & PF_PRESENT)
		return -PVK_XEN_EFAULT;
	if (cr2 >= USER_DEMAND_VA && cr2 < USER_DEMAND_VA + USER_DEMAND_PAGES * PVK_PAGE_SIZE)
		return guest_uspace_demand_map(cr2 & ~(PVK_PAGE_SIZE - 1));
	if (cr2 >= USER_ZERO_VA && cr2 < USER_ZERO_VA + USER_ZERO_PAGES * PVK_PAGE_SIZE &&
	    !(error_code & PF_WRITE))
		return guest_uspace_zero_map(cr2 & ~(PVK_PAGE_SIZE - 1));
	return -PVK_XEN_EFAULT;
}

void guest_user_trap(struct guest_regs *r)
{
	unsigned long cr2 = r->vector == PVK_TRAP_page_fault ? pvk_read_cr2() : 0;
	int rc;

	if (!cur) {
		guest_printf("user: exception %llu from user mode with no program running\n",
			     (unsigned long long)r->vector);
		guest_fault(r);
	}
	cur->fault_sp = (unsigned long)r;
	if (r->vector == PVK_TRAP_page_fault) {
		rc = resolve_fault(cr2, r->error_code);
		if (!rc) {
			cur->faults++;
			return;		/* retry the access */
		}
		if (rc != -PVK_XEN_EFAULT)
			guest_printf("user: mapping 0x%lx failed: %d\n", cr2, rc);
	}
	guest_printf("user: killed by exception %llu at rip 0x%llx, error code 0x%llx, cr2 0x%lx\n",
		     (unsigned long long)r->vector, (unsigned long long)r->rip,
		     (unsigned long long)r->error_code, cr2);
	cur->killed_vector = (unsigned int)r->vector;
	cur->killed_addr = cr2;
	guest_user_leave(-1);
}

/*
 * After a run. A program may leave a %gs selector behind (the LDT test's):
 * null it so that no later return to user mode reloads a stale one (on Xen
 * that would end in the failsafe callback); the kernel uses no %gs.
 * Natively an exception from ring 3 left %ss null (legal in ring 0, but
 * the kernel's own selector is plainer to debug): load it again. Each
 * world's half is its user_after_run (boot.c, native.c).
 */
int guest_xen_user_after_run(void)
{
	return (int)pvk_hyp_set_segment_base(PVK_SEGBASE_GS_USER_SEL, 0);
}

int guest_native_user_after_run(void)
{
	__asm__ __volatile__("movl %0, %%gs; movl %1, %%ss"
			     : : "r"(0), "r"(GUEST_SEL_KERNEL_DS) : "memory");
	return 0;
}

/* Natively an iret to ring 3 nulls a data segment register holding a
 * kernel selector, and with it the %fs base: null them first (native.c's
 * user_before_run; on Xen nothing). */
void guest_native_user_before_run(void)
{
	__asm__ __volatile__("movl %0, %%fs; movl %0, %%gs" : : "r"(0));
}

int guest_user_run(const char *entry, struct guest_user_result *res)
{
	unsigned long rip = USER_CODE_VA + (unsigned long)(entry - guest_user_blob);
	unsigned long flags;
	uint64_t *tls;
	int rc;

	if (cur)
		return -PVK_XEN_EBUSY;
	memset(res, 0, sizeof(*res));
	tls = guest_uspace_ptr(USER_TLS_VA, 16);
	if (!tls)
		return -PVK_XEN_EINVAL;
	tls[0] = USER_FS_MAGIC;
	tls[1] = 0;
	guest_world->user_before_run();
	rc = pvk_write_msr_safe(PVK_MSR_FS_BASE, USER_TLS_VA);
	if (rc)
		return rc;

	flags = pvk_save_fl();
	rc = guest_uspace_activate();
	if (rc) {
		pvk_restore_fl(flags);
		return rc;
	}
	cur = res;
	res->exit_code = guest_world->user_enter(rip, USER_STACK_TOP);
	cur = NULL;
	rc = guest_uspace_deactivate();
	pvk_restore_fl(flags);
	if (rc)
		return rc;
	rc = guest_world->user_after_run();
	if (rc)
		return rc;
	return pvk_write_msr_safe(PVK_MSR_FS_BASE, 0);
}
