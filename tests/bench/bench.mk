# tests/bench/bench.mk - "make bench": microbenchmarks, natively and on Xen.
# Included by the top Makefile. Not part of "make check": figures, not
# verdicts (it fails only when a side produced none).
#
#   make bench   build/pvkit-guest booted natively under QEMU (PVH entry)
#                and on Xen (tests/xen harness, scenario bench), both with
#                pvkit.test=bench; prints per benchmark
#                "bench NAME native=... xen=... ratio=... hypercalls/op=...
#                linux=... vs_linux=..." (linux: the same operation from a
#                process of a Linux PV domU, scenario bench-cpu-linux);
#                in the same Xen boot the block and network comparisons
#                with Linux's frontends ("bench blkfront-CASE ...",
#                "bench netfront-CASE pvkit=... linux=... ratio=...
#                notify/pkt=...") and through our Linux modules
#                (pvk-blkfront.ko, pvk-netfront.ko of "make modules") in
#                the same Debian kernel as Linux's side, pvkit-in-linux=...;
#                and the suspend rows (issue 16): xl save + xl restore
#                downtime and each device's reconnect time, the kit's
#                guest (scenario bench-suspend) and a Linux PV domU
#                (bench-suspend-linux), "bench suspend_downtime_ms
#                ours=... linux=... ratio=...", "bench reconnect_blk_ms
#                ours=...|lost ..."
#
# Outputs in $(O)/bench (native.log; e2e/console.log for Xen, or
# $PVK_E2E_OUT if set). The benchmarks: tests/guest/bench.c;
# Linux's side of the microbenchmarks: tests/xen/domu/cpubench.c; block:
# tests/guest/cases/bench_blk.c and tests/xen/domu/blkbench.c; network:
# tests/guest/cases/bench_net.c and tests/xen/domu/netbench.c; suspend:
# tests/guest/cases/bench_suspend.c and tests/xen/domu/suspbench.c.

.PHONY: bench
# Scenarios bench-*front-pvklinux boot our Linux modules: built first; a
# failed build removes them, so those scenarios fail ("does not exist"),
# bench.sh says the pvkit-in-linux side has no figures, the rest still runs.
bench: guest
	$(Q)$(MAKE) --no-print-directory modules || { rm -f $(MODULES_DIR)/*.ko; \
		echo "bench: make modules failed (the pvkit-in-linux side fails)"; }
	$(Q)tests/bench/bench.sh $(O)/pvkit-guest $(O)/bench
