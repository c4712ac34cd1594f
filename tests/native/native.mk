# tests/native/native.mk - the reference guest booted without Xen.
#
#   make check-native   boot build/pvkit-guest with qemu-system-x86_64 -kernel
#                       (PVH entry note, no Xen) twice: with one CPU and with
#                       -smp 4 (the guest starts every CPU through the kit's
#                       native INIT-SIPI-SIPI and runs the same suite). Each
#                       run selects the native pvops, runs the shared guest
#                       suite on COM1 (tests that need Xen SKIP with "needs
#                       Xen") and exits QEMU through isa-debug-exit; each has
#                       its verdict line "native -smp N: PASS|FAIL ..."
#                       (run.sh: only "needs Xen" skips allowed, and with
#                       -smp 1 those tests/xen/scenarios/one-cpu.skips names;
#                       more than 10 passed, N of N CPUs online), and the
#                       last line adds
#                       both up: "N passed, N failed, N skipped".

NATIVE_CPUS ?= 1 4

.PHONY: check-native
check-native: guest
	$(Q)sh tests/native/run.sh $(O)/pvkit-guest $(O)/native $(NATIVE_CPUS)
