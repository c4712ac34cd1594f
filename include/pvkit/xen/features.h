/*
 * pvkit/xen/features.h - feature bits reported by XENVER_get_features
 * and declared by a kernel in its SUPPORTED_FEATURES ELF note (Xen's
 * public features.h). Each is a bit number in submap 0.
 */
#ifndef PVKIT_XEN_FEATURES_H
#define PVKIT_XEN_FEATURES_H

#define PVK_XENFEAT_writable_page_tables	0	/* PTEs writable directly (no mmu_update) */
#define PVK_XENFEAT_writable_descriptor_tables	1
#define PVK_XENFEAT_auto_translated_physmap	2	/* Xen translates PFN->MFN (HVM/PVH) */
#define PVK_XENFEAT_supervisor_mode_kernel	3	/* kernel runs in ring 0 */
#define PVK_XENFEAT_pae_pgdir_above_4gb		4
#define PVK_XENFEAT_mmu_pt_update_preserve_ad	5	/* MMU_PT_UPDATE_PRESERVE_AD works */
#define PVK_XENFEAT_highmem_assist		6	/* MMUEXT_CLEAR/COPY_PAGE work */
#define PVK_XENFEAT_gnttab_map_avail_bits	7	/* GNTMAP_guest_avail_mask honoured */
#define PVK_XENFEAT_hvm_callback_vector		8
#define PVK_XENFEAT_hvm_safe_pvclock		9
#define PVK_XENFEAT_hvm_pirqs			10
#define PVK_XENFEAT_dom0			11	/* may run as dom0 */
/* 12 was grant_map_identity: withdrawn, Xen keeps it only in a comment */
#define PVK_XENFEAT_memory_op_vnode_supported	13
#define PVK_XENFEAT_ARM_SMCCC_supported		14
#define PVK_XENFEAT_linux_rsdp_unrestricted	15
#define PVK_XENFEAT_not_direct_mapped		16
#define PVK_XENFEAT_direct_mapped		17

/* Number of 32-bit submaps XENVER_get_features can return. */
#define PVK_XENFEAT_NR_SUBMAPS	1

#endif /* PVKIT_XEN_FEATURES_H */
