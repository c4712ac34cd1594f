# tests/native/native.mk - the reference guest booted without Xen.
#
#   make check-native   boot build/pvkit-guest with qemu-system-x86_64 -kernel
#                       (PVH entry note, no Xen): it selects the native pvops,
#                       runs its native checks on COM1 and exits QEMU through
#                       isa-debug-exit; ends with "N passed, N failed".

.PHONY: check-native
check-native: guest
	$(Q)sh tests/native/run.sh $(O)/pvkit-guest $(O)/native
