# tests/sparse/sparse.mk - `make check-sparse-neg`: sparse must reject each
# deliberate frame-number mix-up in tests/sparse/bad_*.c with the message
# its EXPECT: line names, and accept ok_*.c (tests/sparse/run.sh). These
# files are never part of SPARSE_SRCS: `make C=1` would (rightly) fail.

.PHONY: check-sparse-neg
check-sparse-neg: $(AUTOCONF_H) | deps-build
	$(Q)scripts/install-deps.sh sparse
	$(Q)SPARSE_FLAGS='$(SPARSE_FLAGS)' tests/sparse/run.sh
