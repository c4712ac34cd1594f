/*
 * tests/guest/user/run.c - running a user program: its system calls, its
 * exceptions, its exit.
 *
 * The program's syscalls arrive through the kit's syscall entry
 * (pvops/xen_syscall.S) at syscall(); its exceptions through the trap
 * table at guest_user_trap() (entry.S sends there every exception whose
 * frame has RPL 3 in %cs). Both run on user_entry_stack, which
 * pvk_stack_switch() names as the stack Xen switches to on a user -> kernel
 * transition. exit and fatal exceptions end the run with guest_user_leave(),
 * which returns into guest_user_run() on the caller's stack.
 */
#include <pvkit/log.h>
#include <pvkit/mmu.h>
#include <pvkit/port.h>
#include <pvkit/pvops.h>
#include <pvkit/pvops_callbacks.h>
#include <pvkit/xen/arch-x86.h>
#include <pvkit/xen/errno.h>

#include "../guest.h"
#include "user.h"

#define USER_ENTRY_STACK_SIZE	(16 * 1024)
#define PF_PRESENT		0x1	/* #PF error code: protection, not absence */

static char user_entry_stack[USER_ENTRY_STACK_SIZE] __attribute__((aligned(16)));

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

static void syscall(struct pvk_syscall_regs *r)
{
	if (!cur)
		pvk_port_panic("user: syscall with no program running");
	cur->syscalls++;
	switch (r->rax) {
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
	case USER_SYS_exit:
		guest_user_leave((long)r->rdi);
	default:
		guest_printf("user: unknown syscall %llu\n", (unsigned long long)r->rax);
		r->rax = (uint64_t)-1;
		break;
	}
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
	if (r->vector == PVK_TRAP_page_fault && !(r->error_code & PF_PRESENT) &&
	    cr2 >= USER_DEMAND_VA &&
	    cr2 < USER_DEMAND_VA + USER_DEMAND_PAGES * PVK_PAGE_SIZE) {
		rc = guest_uspace_demand_map(cr2 & ~(PVK_PAGE_SIZE - 1));
		if (!rc) {
			cur->faults++;
			return;		/* retry the access */
		}
		guest_printf("user: demand-zero map of 0x%lx failed: %d\n", cr2, rc);
	}
	guest_printf("user: killed by exception %llu at rip 0x%llx, error code 0x%llx, cr2 0x%lx\n",
		     (unsigned long long)r->vector, (unsigned long long)r->rip,
		     (unsigned long long)r->error_code, cr2);
	cur->killed_vector = (unsigned int)r->vector;
	cur->killed_addr = cr2;
	guest_user_leave(-1);
}

void guest_user_init(void)
{
	if (pvk_xen_callbacks_register(syscall))
		pvk_port_panic("user: cannot register the syscall/failsafe callbacks");
}

int guest_user_run(const char *entry, struct guest_user_result *res)
{
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
	rc = pvk_stack_switch((unsigned long)user_entry_stack + sizeof(user_entry_stack));
	if (rc)
		return rc;
	rc = pvk_write_msr_safe(PVK_MSR_FS_BASE, USER_TLS_VA);
	if (rc)
		return rc;

	flags = pvk_save_fl();
	cur = res;
	res->exit_code = guest_user_enter(USER_CODE_VA + (unsigned long)(entry - guest_user_blob),
					  USER_STACK_TOP);
	cur = NULL;
	pvk_restore_fl(flags);
	return pvk_write_msr_safe(PVK_MSR_FS_BASE, 0);
}
