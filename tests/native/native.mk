# tests/native/native.mk - the reference guest booted without Xen.
#
#   make check-native   boot build/pvkit-guest with qemu-system-x86_64 -kernel
#                       (PVH entry note, no Xen): it selects the native pvops,
#                       runs the shared guest suite on COM1 (tests that need
#                       Xen SKIP with "needs Xen") and exits QEMU through
#                       isa-debug-exit; ends with "N passed, N failed,
#                       N skipped" (run.sh: only "needs Xen" skips allowed,
#                       more than 10 passed).

.PHONY: check-native
check-native: guest
	$(Q)sh tests/native/run.sh $(O)/pvkit-guest $(O)/native
