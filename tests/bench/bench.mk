# tests/bench/bench.mk - "make bench": microbenchmarks, natively and on Xen.
# Included by the top Makefile. Not part of "make check": figures, not
# verdicts (it fails only when a side produced none).
#
#   make bench   build/pvkit-guest booted natively under QEMU (PVH entry)
#                and on Xen (tests/xen harness, scenario bench), both with
#                pvkit.test=bench; prints per benchmark
#                "bench NAME native=... xen=... ratio=... hypercalls/op=..."
#
# Outputs in $(O)/bench (native.log; e2e/console.log for Xen, or
# $PVK_E2E_OUT if set). The benchmarks: tests/guest/bench.c.

.PHONY: bench
bench: guest
	$(Q)tests/bench/bench.sh $(O)/pvkit-guest $(O)/bench
