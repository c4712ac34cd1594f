/*
 * pvkit/xen/errno.h - the error numbers hypercalls return, negated
 * (Xen's public errno.h). Xen fixed them to Linux's x86 values, but a
 * guest kernel's own errno values may differ, so the kit names them
 * separately and never mixes the two. Plain numbers, usable from assembly.
 */
#ifndef PVKIT_XEN_ERRNO_H
#define PVKIT_XEN_ERRNO_H

#define PVK_XEN_EPERM		1	/* operation not permitted */
#define PVK_XEN_ENOENT		2
#define PVK_XEN_ESRCH		3
#define PVK_XEN_EIO		5
#define PVK_XEN_ENXIO		6
#define PVK_XEN_E2BIG		7
#define PVK_XEN_ENOEXEC		8
#define PVK_XEN_EBADF		9
#define PVK_XEN_ECHILD		10
#define PVK_XEN_EAGAIN		11	/* try again */
#define PVK_XEN_EWOULDBLOCK	11
#define PVK_XEN_ENOMEM		12
#define PVK_XEN_EACCES		13
#define PVK_XEN_EFAULT		14	/* bad guest address */
#define PVK_XEN_EBUSY		16
#define PVK_XEN_EEXIST		17
#define PVK_XEN_EXDEV		18
#define PVK_XEN_ENODEV		19
#define PVK_XEN_ENOTDIR		20
#define PVK_XEN_EISDIR		21
#define PVK_XEN_EINVAL		22
#define PVK_XEN_ENFILE		23
#define PVK_XEN_EMFILE		24
#define PVK_XEN_ENOSPC		28
#define PVK_XEN_EROFS		30
#define PVK_XEN_EMLINK		31
#define PVK_XEN_EDOM		33
#define PVK_XEN_ERANGE		34
#define PVK_XEN_EDEADLK		35
#define PVK_XEN_EDEADLOCK	35
#define PVK_XEN_ENAMETOOLONG	36
#define PVK_XEN_ENOLCK		37
#define PVK_XEN_ENOSYS		38	/* no such hypercall or command */
#define PVK_XEN_ENOTEMPTY	39
#define PVK_XEN_ENODATA		61
#define PVK_XEN_ETIME		62	/* e.g. singleshot timer already in the past */
#define PVK_XEN_EBADMSG		74
#define PVK_XEN_EOVERFLOW	75
#define PVK_XEN_EILSEQ		84
#define PVK_XEN_ENOTSOCK	88
#define PVK_XEN_EMSGSIZE	90
#define PVK_XEN_EOPNOTSUPP	95
#define PVK_XEN_EADDRINUSE	98
#define PVK_XEN_EADDRNOTAVAIL	99
#define PVK_XEN_ENOBUFS		105
#define PVK_XEN_EISCONN		106
#define PVK_XEN_ENOTCONN	107
#define PVK_XEN_ETIMEDOUT	110
#define PVK_XEN_ECONNREFUSED	111

#endif /* PVKIT_XEN_ERRNO_H */
