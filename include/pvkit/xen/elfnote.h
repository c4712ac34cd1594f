/*
 * pvkit/xen/elfnote.h - the ELF note types a PV kernel uses to describe
 * itself to Xen's domain builder (Xen's public elfnote.h). Each note has
 * name "Xen"; its descriptor is a string or a native-size integer as
 * noted. Included from assembly, where the notes are emitted.
 */
#ifndef PVKIT_XEN_ELFNOTE_H
#define PVKIT_XEN_ELFNOTE_H

#define PVK_XEN_ELFNOTE_INFO			0	/* unused */
#define PVK_XEN_ELFNOTE_ENTRY			1	/* number: entry point */
#define PVK_XEN_ELFNOTE_HYPERCALL_PAGE		2	/* number: where Xen writes the stubs */
#define PVK_XEN_ELFNOTE_VIRT_BASE		3	/* number: virtual base of the image */
#define PVK_XEN_ELFNOTE_PADDR_OFFSET		4	/* number: virtual - physical in ELF headers */
#define PVK_XEN_ELFNOTE_XEN_VERSION		5	/* string: "xen-3.0" */
#define PVK_XEN_ELFNOTE_GUEST_OS		6	/* string */
#define PVK_XEN_ELFNOTE_GUEST_VERSION		7	/* string */
#define PVK_XEN_ELFNOTE_LOADER			8	/* string: "generic" */
#define PVK_XEN_ELFNOTE_PAE_MODE		9	/* string: "yes", "bimodal", ... */
#define PVK_XEN_ELFNOTE_FEATURES		10	/* string: "feat|!feat|..." */
#define PVK_XEN_ELFNOTE_BSD_SYMTAB		11	/* string: "yes" to load symbols */
#define PVK_XEN_ELFNOTE_HV_START_LOW		12	/* number: 32-bit only */
#define PVK_XEN_ELFNOTE_L1_MFN_VALID		13	/* mask, value pair */
#define PVK_XEN_ELFNOTE_SUSPEND_CANCEL		14	/* number: 1 = supports it */
#define PVK_XEN_ELFNOTE_INIT_P2M		15	/* number: virtual address of the P2M */
#define PVK_XEN_ELFNOTE_MOD_START_PFN		16	/* number: 1 = take mod_start as PFN */
#define PVK_XEN_ELFNOTE_SUPPORTED_FEATURES	17	/* 32-bit bitmap of XENFEAT_* */
#define PVK_XEN_ELFNOTE_PHYS32_ENTRY		18	/* number: PVH 32-bit entry */
#define PVK_XEN_ELFNOTE_MAX			PVK_XEN_ELFNOTE_PHYS32_ENTRY

/* Notes found in crash dumps, not in kernels. */
#define PVK_XEN_ELFNOTE_CRASH_INFO		0x1000001
#define PVK_XEN_ELFNOTE_CRASH_REGS		0x1000002
#define PVK_XEN_ELFNOTE_DUMPCORE_NONE		0x2000000
#define PVK_XEN_ELFNOTE_DUMPCORE_HEADER		0x2000001
#define PVK_XEN_ELFNOTE_DUMPCORE_XEN_VERSION	0x2000002
#define PVK_XEN_ELFNOTE_DUMPCORE_FORMAT_VERSION	0x2000003

#endif /* PVKIT_XEN_ELFNOTE_H */
