/*
 * hypercall/names.c - human names for hypercall numbers and Xen error codes.
 *
 * Only for messages: traces, the multicall batcher's failure reports, a
 * fault handler explaining a trap in the hypercall page. Argument counts are
 * the x86-64 ones, so a report prints exactly the arguments Xen looked at.
 */
#include <pvkit/hypercall.h>
#include <pvkit/xen/errno.h>

struct hypercall_info {
	const char *name;
	unsigned int nargs;
};

#define HC(name, nargs) [PVK_HYPERVISOR_##name] = { #name, nargs }

static const struct hypercall_info hypercalls[PVK_HYPERCALL_SLOTS] = {
	HC(set_trap_table, 1),
	HC(mmu_update, 4),
	HC(set_gdt, 2),
	HC(stack_switch, 2),
	HC(set_callbacks, 3),		/* x86-32 only */
	HC(fpu_taskswitch, 1),
	HC(sched_op_compat, 2),
	HC(platform_op, 1),
	HC(set_debugreg, 2),
	HC(get_debugreg, 1),
	HC(update_descriptor, 2),
	HC(memory_op, 2),
	HC(multicall, 2),
	HC(update_va_mapping, 3),
	HC(set_timer_op, 1),
	HC(event_channel_op_compat, 1),
	HC(xen_version, 2),
	HC(console_io, 3),
	HC(physdev_op_compat, 1),
	HC(grant_table_op, 3),
	HC(vm_assist, 2),
	HC(update_va_mapping_otherdomain, 4),
	HC(iret, 0),
	HC(vcpu_op, 3),
	HC(set_segment_base, 2),
	HC(mmuext_op, 4),
	HC(xsm_op, 1),
	HC(nmi_op, 2),
	HC(sched_op, 2),
	HC(callback_op, 2),
	HC(xenoprof_op, 2),
	HC(event_channel_op, 2),
	HC(physdev_op, 2),
	HC(hvm_op, 2),
	HC(sysctl, 1),
	HC(domctl, 1),
	HC(kexec_op, 2),
	HC(tmem_op, 1),
	HC(argo_op, 5),
	HC(xenpmu_op, 2),
	HC(dm_op, 3),
	HC(hypfs_op, 5),
};

const char *pvk_hypercall_name(unsigned int nr)
{
	if (nr < PVK_ARRAY_SIZE(hypercalls) && hypercalls[nr].name)
		return hypercalls[nr].name;
	return "unknown";
}

unsigned int pvk_hypercall_nargs(unsigned int nr)
{
	if (nr < PVK_ARRAY_SIZE(hypercalls) && hypercalls[nr].name)
		return hypercalls[nr].nargs;
	return 6;
}

#define XE(name) [PVK_XEN_##name] = #name

/* Xen's errno values are small (below 128) and the same on every
 * architecture; aliases (EWOULDBLOCK, EDEADLOCK) print as their twin. */
static const char *const xen_errnos[128] = {
	XE(EPERM), XE(ENOENT), XE(ESRCH), XE(EIO), XE(ENXIO),
	XE(E2BIG), XE(ENOEXEC), XE(EBADF), XE(ECHILD), XE(EAGAIN),
	XE(ENOMEM), XE(EACCES), XE(EFAULT), XE(EBUSY), XE(EEXIST),
	XE(EXDEV), XE(ENODEV), XE(ENOTDIR), XE(EISDIR), XE(EINVAL),
	XE(ENFILE), XE(EMFILE), XE(ENOSPC), XE(EROFS), XE(EMLINK),
	XE(EDOM), XE(ERANGE), XE(EDEADLK), XE(ENAMETOOLONG), XE(ENOLCK),
	XE(ENOSYS), XE(ENOTEMPTY), XE(ENODATA), XE(ETIME), XE(EBADMSG),
	XE(EOVERFLOW), XE(EILSEQ), XE(ENOTSOCK),
	XE(EMSGSIZE), XE(EOPNOTSUPP), XE(EADDRINUSE), XE(EADDRNOTAVAIL),
	XE(ENOBUFS), XE(EISCONN), XE(ENOTCONN), XE(ETIMEDOUT),
	XE(ECONNREFUSED),
};

const char *pvk_xen_errno_name(long err)
{
	unsigned long e = err < 0 ? -(unsigned long)err : (unsigned long)err;

	if (e < PVK_ARRAY_SIZE(xen_errnos))
		return xen_errnos[e];
	return NULL;
}
