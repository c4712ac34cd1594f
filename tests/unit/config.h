/*
 * tests/unit/config.h - the configuration the host unit tests are built with.
 *
 * Fixed here rather than taken from .config so that the tests do not change
 * with a developer's settings: a small multicall batch (8) makes every test
 * wrap the queue quickly and differs from the default (32), so code that
 * hard-codes the default shows up.
 */
#define CONFIG_PVK_XEN_PV 1
#define CONFIG_PVK_DEBUG 1
#define CONFIG_PVK_MULTICALL_BATCH 8
#define CONFIG_PVK_NR_CPUS 8
#define CONFIG_PVK_MMU_UPDATE_BATCH 128
/* On, so that hypercall/trace.c is compiled and tested. */
#define CONFIG_PVK_TRACE 1
