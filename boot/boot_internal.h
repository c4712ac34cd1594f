/*
 * boot/boot_internal.h - between the files of boot/ only.
 */
#ifndef PVKIT_BOOT_INTERNAL_H
#define PVKIT_BOOT_INTERNAL_H

#include <pvkit/types.h>

struct pvk_start_info;

/* shared_info.c: step 4's mapping; 0 or Xen's error. */
int pvk_boot_map_shared_info(const struct pvk_start_info *si);

/* A step failed: logs it and panics. */
__pvk_noreturn void pvk_boot_failed(const char *step, int rc);

#endif /* PVKIT_BOOT_INTERNAL_H */
