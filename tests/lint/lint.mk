# tests/lint/lint.mk - make check-lint: scripts/pv-lint's self-test on small
# images of known instructions, then pv-lint on the reference guest, which
# must report no privileged instruction outside native code (marks of
# <pvkit/pv_lint.h> and tests/guest/pv-lint.allow). No QEMU.
.PHONY: check-lint
check-lint: guest
	$(Q)scripts/install-deps.sh lint
	$(Q)O=$(O) CC=$(CC) tests/lint/run.sh $(O)/pvkit-guest tests/guest/pv-lint.allow

# The self-test's C inputs are C files of the tree like any other.
SPARSE_SRCS += tests/lint/sample_c.c tests/lint/sample_c2.c
