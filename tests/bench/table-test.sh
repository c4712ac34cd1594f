#!/bin/bash
# tests/bench/table-test.sh - host-side test of bench.sh's tables, no
# QEMU: crafted native and Xen console logs (the guest's and the Linux
# domU's bench-raw lines, as dom0 relays them) go through
# `bench.sh --table`, and the rows must carry the right linux= and
# vs_linux= figures, "-" where Linux has none, rows where Linux did
# another operation must be marked (vs_linux=R~ linux-op=OP, from bench.sh's
# list or the line's op=; a clock read through the vDSO is not), and a
# Linux side that did not finish, or whose scenario began but never
# booted, must fail the table; the bench-vs rows (issue 15: patched irq
# sites vs the bare instructions, vs unpatched) get their own lines, and a
# native log without irq_patched_vs_bare fails. Then the block and network tables
# (`--blk-table`, `--net-table`) on crafted lines of three sides, the kit's
# guest (pvkit), Linux's frontends (linux) and our modules in Linux
# (pvklinux, scenarios bench-*front-pvklinux): each side's figure must land
# in its own field (pvkit=, linux=, pvkit-in-linux=, in-linux/linux= and
# the per-side counts; every side has different figures, so a mix-up
# shows), a missing or differing pvkit-in-linux side must fail, and a log
# from before that side existed prints "-". The suspend rows
# (`--suspend-table`, issue 16): medians of each side's cycles in the right
# fields, "lost" for a device that did not come back, and a figure missing
# on a side (a field, a cycle, dom0's times, the "done") fails the row
# instead of printing a ratio. Run by `make check-harness`;
# ends with "N passed, N failed".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

# reject NAME PATTERN: the table ($out) has no line matching the ERE.
reject() {
	if grep -Eq -- "$2" <<<"$out"; then
		echo "FAIL $1: a line matches /$2/ in:"; sed 's/^/    | /' <<<"$out"
		failed=$((failed + 1))
	else
		echo "ok   $1"; passed=$((passed + 1))
	fi
}

# expect NAME PATTERN: the table ($out) has a line matching the ERE.
expect() {
	if grep -Eq -- "$2" <<<"$out"; then
		echo "ok   $1"; passed=$((passed + 1))
	else
		echo "FAIL $1: no line matches /$2/ in:"; sed 's/^/    | /' <<<"$out"
		failed=$((failed + 1))
	fi
}

printf '%s\n' 'bench: native, pvops native' \
	'bench-raw syscall_roundtrip native ps/op=100000 hc/op=0 iters=40000' \
	'bench-raw irq_save_restore native ps/op=20000 hc/op=0 iters=100000' \
	'bench-raw cr3_switch native ps/op=1000000 hc/op=0 iters=4000' \
	'bench-raw pte_update_x1000 native ps/op=10000000 hc/op=0 iters=4096' \
	'bench-raw clock_ns native ps/op=20000 hc/op=0 iters=100000' \
	'bench-vs irq_patched_vs_bare native ps/op=3000 base-ps/op=3200 iters=100000 rounds=5' \
	'bench-vs irq_patched_vs_unpatched native ps/op=3000 base-ps/op=30000 iters=100000 rounds=5' \
	'bench: done, 0 failed' > "$T/native.log"
printf '%s\r\n' '[bench] bench-raw syscall_roundtrip xen ps/op=15000000 hc/op=1000 iters=40000' \
	'[bench] bench-raw irq_save_restore xen ps/op=7000 hc/op=0 iters=100000' \
	'[bench] bench-raw cr3_switch xen ps/op=10000000 hc/op=1000 iters=4000' \
	'[bench] bench-raw pte_update_x1000 xen ps/op=1500000000 hc/op=2186 iters=4116' \
	'[bench] bench-raw clock_ns xen ps/op=60000 hc/op=0 iters=100000' \
	'[bench] bench-vs irq_patched_vs_unpatched xen ps/op=80000 base-ps/op=100000 iters=100000 rounds=5' \
	'[bench] bench: done, 0 failed' \
	'[dom0] scenario-begin bench-cpu-linux t=11.83' \
	'[bench-cpu-linux] bench-raw syscall_roundtrip linux ps/op=20000000 iters=40000' \
	'[bench-cpu-linux] bench-raw cr3_switch linux ps/op=80000000 iters=3998 op=pipe-pingpong/2' \
	'[bench-cpu-linux] bench-raw pte_update_x1000 linux ps/op=1000000000 iters=65536' \
	'[bench-cpu-linux] bench-raw clock_ns linux ps/op=15000000 iters=100000 op=clock_gettime-syscall' \
	'[bench-cpu-linux] bench-cpu-note clock_ns: clocksource xen' \
	'[bench-cpu-linux] bench-cpu: done' > "$T/xen.log"

out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen.log" 2>&1)
expect linux-figure '^bench syscall_roundtrip native=100\.0ns xen=15\.0us ratio=150\.00 hypercalls/op=1 linux=20\.0us vs_linux=0\.75$'
expect no-linux-figure '^bench irq_save_restore .* hypercalls/op=0 linux=- vs_linux=-$'
expect linux-note '^bench: linux: clock_ns: clocksource xen$'
reject linux-finished 'Linux side \(bench-cpu-linux\)'
reject susp-not-in-old-log 'suspend'
# Not the same operation: marked, the op named by the line or by the list.
expect unlike-marked-op '^bench cr3_switch .* linux=80\.0us vs_linux=0\.12~ linux-op=pipe-pingpong/2$'
expect unlike-marked-list '^bench pte_update_x1000 .* linux=1\.0ms vs_linux=1\.50~ linux-op=mprotect$'
expect unlike-marked-clock '^bench clock_ns .* linux=15\.0us vs_linux=0\.00~ linux-op=clock_gettime-syscall$'
expect unlike-legend '^bench: vs_linux=R~ linux-op=OP: NOT the same operation'
reject like-unmarked '^bench (syscall_roundtrip|irq_save_restore) .*(~|linux-op=)'

# Issue 15's rows: one side each, against the baseline of the same boot.
expect vs-bare '^bench irq_patched_vs_bare native patched=3\.0ns bare=3\.2ns ratio=0\.94$'
expect vs-unpatched-native '^bench irq_patched_vs_unpatched native patched=3\.0ns unpatched=30\.0ns ratio=0\.10$'
expect vs-unpatched-xen '^bench irq_patched_vs_unpatched xen patched=80\.0ns unpatched=100\.0ns ratio=0\.80$'
reject vs-present 'irq_patched_vs_bare: FAIL'
reject vs-not-in-main-table '^bench irq_patched_vs_[a-z]* native=.* xen='
grep -v 'irq_patched_vs_bare' "$T/native.log" > "$T/native-novs.log"
out=$("$HERE/bench.sh" --table "$T/native-novs.log" "$T/xen.log" 2>&1)
expect vs-bare-missing '^bench irq_patched_vs_bare: FAIL: no figure from the native side$'

out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen.log" 2>&1)
# A clock read through the vDSO is the guest's work: not marked.
sed 's/op=clock_gettime-syscall/op=vdso/; s/clock_ns linux ps\/op=15000000/clock_ns linux ps\/op=30000/' \
	"$T/xen.log" > "$T/xen-vdso.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-vdso.log" 2>&1)
expect vdso-unmarked '^bench clock_ns .* linux=30\.0ns vs_linux=2\.00$'

grep -v 'bench-cpu: done' "$T/xen.log" > "$T/xen-unfinished.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-unfinished.log" 2>&1)
expect linux-unfinished '^bench: FAIL: the Linux side \(bench-cpu-linux\) did not complete'

# The scenario began but Linux never printed a line: a failure, not "-".
grep -v '^\[bench-cpu-linux\]' "$T/xen.log" > "$T/xen-unbooted.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-unbooted.log" 2>&1)
expect linux-unbooted '^bench: FAIL: the Linux side \(bench-cpu-linux\) did not complete'

# A log from before the Linux side existed: "-", no failure for it.
grep -v 'bench-cpu' "$T/xen.log" > "$T/xen-old.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-old.log" 2>&1)
expect old-log-dash '^bench syscall_roundtrip .* linux=- vs_linux=-$'
reject old-log-no-failure 'Linux side \(bench-cpu-linux\)'

# Block: three sides of two cases; 1000, 500 and 1250 IOPS on rand-read.
printf '%s\r\n' \
	'[bench-blkfront] bench-blk rand-read-4k-qd1 pvkit ops=1000 bytes=4096000 ns=1000000000 reqs=1000 irqs=900 digest=00aa grants=0 reused=1000 notify=800 segs=1000 eagain=0' \
	'[bench-blkfront] bench-blk seq-read-1m pvkit ops=100 bytes=104857600 ns=1000000000 reqs=100 irqs=100 digest=00bb grants=0 reused=100 notify=100 segs=100 eagain=0' \
	'[bench-blkfront-linux] bench-blk-note linux: xen_blkfront.max_queues=1' \
	'[bench-blkfront-linux] bench-blk rand-read-4k-qd1 linux ops=1000 bytes=4096000 ns=2000000000 reqs=1000 irqs=1000 digest=00aa' \
	'[bench-blkfront-linux] bench-blk seq-read-1m linux ops=100 bytes=104857600 ns=2000000000 reqs=800 irqs=400 digest=00bb' \
	'[dom0] scenario-begin bench-blkfront-pvklinux t=1.00' \
	'[bench-blkfront-pvklinux] bench-blk-note pvklinux: pvk_blkfront.options=' \
	'[bench-blkfront-pvklinux] bench-blk rand-read-4k-qd1 pvklinux ops=1000 bytes=4096000 ns=800000000 reqs=1000 irqs=500 digest=00aa' \
	'[bench-blkfront-pvklinux] bench-blk seq-read-1m pvklinux ops=100 bytes=104857600 ns=4000000000 reqs=200 irqs=50 digest=00bb' \
	> "$T/blk.log"
out=$("$HERE/bench.sh" --blk-table "$T/blk.log" 2>&1)
expect blk-in-linux-iops '^bench blkfront-rand-read-4k-qd1 pvkit=1000\.0IOPS linux=500\.0IOPS pvkit-in-linux=1250\.0IOPS ratio=2\.00 in-linux/linux=2\.50 grants/req=0\.00 notify/req=0\.80 irqs/req=0\.90 .* linux-irqs/req=1\.00 linux-reqs/op=1\.00 in-linux-irqs/req=0\.50 in-linux-reqs/op=1\.00$'
expect blk-in-linux-mibs '^bench blkfront-seq-read-1m pvkit=100\.0MiB/s linux=50\.0MiB/s pvkit-in-linux=25\.0MiB/s ratio=2\.00 in-linux/linux=0\.50 .* linux-irqs/req=0\.50 linux-reqs/op=8\.00 in-linux-irqs/req=0\.25 in-linux-reqs/op=2\.00$'
expect blk-in-linux-note '^bench: blk: pvklinux: pvk_blkfront\.options=$'
reject blk-three-sides-ok 'FAIL'

grep -v 'seq-read-1m pvklinux' "$T/blk.log" > "$T/blk-missing.log"
out=$("$HERE/bench.sh" --blk-table "$T/blk-missing.log" 2>&1)
expect blk-in-linux-missing '^bench blkfront-seq-read-1m: FAIL: no figure from the pvkit-in-linux side$'

sed 's/\(seq-read-1m pvklinux .*digest=\)00bb/\100cc/' "$T/blk.log" > "$T/blk-digest.log"
out=$("$HERE/bench.sh" --blk-table "$T/blk-digest.log" 2>&1)
expect blk-in-linux-digest '^bench blkfront-seq-read-1m: FAIL: the sides did not issue the same requests \(digest 00bb vs 00bb vs 00cc\)$'

grep -v 'pvklinux' "$T/blk.log" > "$T/blk-old.log"
out=$("$HERE/bench.sh" --blk-table "$T/blk-old.log" 2>&1)
expect blk-old-log-dash '^bench blkfront-rand-read-4k-qd1 pvkit=1000\.0IOPS linux=500\.0IOPS pvkit-in-linux=- ratio=2\.00 in-linux/linux=- .* in-linux-irqs/req=- in-linux-reqs/op=-$'
reject blk-old-log-no-failure 'FAIL'

# Network: udp-rx-64 of three sides (1,000, 500 and 2,000 datagrams/s;
# dom0 offered each a different rate) and tcp-tx of the two Linux ones.
printf '%s\r\n' \
	'[bench-netfront:dom0] bench-net-dom0 udp-rx-64 ok: sent 1000 datagrams of 22 bytes at max bytes=22000 ns=1000000000' \
	'[bench-netfront] bench-net udp-rx-64 pvkit ops=1000 bytes=22000 ns=1000000000 irqs=300 notify=0 grants=1000 eagain=0 lost=0 dup=0' \
	'[bench-netfront-linux:dom0] bench-net-dom0 udp-rx-64 ok: sent 1000 datagrams of 22 bytes at max bytes=22000 ns=500000000' \
	'[bench-netfront-linux] bench-net udp-rx-64 linux ops=500 bytes=11000 ns=1000000000 irqs=50 lost=500 dup=0' \
	'[bench-netfront-linux] bench-net tcp-tx linux ops=0 bytes=100000000 ns=1000000000 irqs=2000' \
	'[bench-netfront-pvklinux:dom0] bench-net-dom0 udp-rx-64 ok: sent 3000 datagrams of 22 bytes at max bytes=66000 ns=1000000000' \
	'[bench-netfront-pvklinux] bench-net-note pvklinux: eth0 mtu=1500 tx-queues=1 irqs="pvkit pvkit "' \
	'[bench-netfront-pvklinux] bench-net udp-rx-64 pvklinux ops=2000 bytes=44000 ns=1000000000 irqs=500 lost=100 dup=0' \
	'[bench-netfront-pvklinux] bench-net tcp-tx pvklinux ops=0 bytes=50000000 ns=1000000000 irqs=400' \
	> "$T/net.log"
out=$("$HERE/bench.sh" --net-table "$T/net.log" 2>&1)
expect net-in-linux-pps '^bench netfront-udp-rx-64 pvkit=1\.0kpps linux=500pps pvkit-in-linux=2\.0kpps ratio=2\.00 in-linux/linux=4\.00 notify/pkt=0\.300 pvkit-MB/s=0\.0 linux-MB/s=0\.0 in-linux-MB/s=0\.0 .* linux-irqs/pkt=0\.100 in-linux-irqs/pkt=0\.250 lost=0/500/100 offered=1\.0kpps/2\.0kpps/3\.0kpps$'
expect net-in-linux-tcp '^bench netfront-tcp-tx pvkit=- linux=100\.0MB/s pvkit-in-linux=50\.0MB/s ratio=- in-linux/linux=0\.50 linux-irqs/MB=20\.000 in-linux-irqs/MB=8\.000$'
expect net-in-linux-note '^bench: net: pvklinux: eth0 mtu=1500'
reject net-three-sides-ok 'FAIL'

grep -v 'tcp-tx pvklinux' "$T/net.log" > "$T/net-missing.log"
out=$("$HERE/bench.sh" --net-table "$T/net-missing.log" 2>&1)
expect net-in-linux-missing '^bench netfront-tcp-tx: FAIL: no figure from the pvkit-in-linux side$'

grep -v 'pvklinux' "$T/net.log" > "$T/net-old.log"
out=$("$HERE/bench.sh" --net-table "$T/net-old.log" 2>&1)
expect net-old-log-dash '^bench netfront-udp-rx-64 pvkit=1\.0kpps linux=500pps pvkit-in-linux=- ratio=2\.00 in-linux/linux=- .* in-linux-irqs/pkt=- lost=0/500/- offered=1\.0kpps/2\.0kpps/-$'
reject net-old-log-no-failure 'FAIL'

# Suspend rows (--suspend-table): three cycles a side, dom0's times, the
# kit's devices lost (as on a tree whose frontends do not reconnect yet)
# or back; every figure differs, so a side or cycle mixed up shows.
printf '%s\r\n' \
	'[bench-suspend] bench-suspend pvkit: ready for xl save #1' \
	'[bench-suspend:dom0] save-restore: xl save took 3000 ms, image 1 bytes' \
	'[bench-suspend:dom0] save-restore: xl restore took 2000 ms; new domid 2' \
	'[bench-suspend:dom0] save-restore: dom0 downtime 5000 ms (xl save'"'"'s start to xl restore'"'"'s return)' \
	'[bench-suspend] bench-suspend pvkit cycle=1 result=resumed kernel_us=4000000 gap_us=4100000 blk_us=lost net_us=lost' \
	'[bench-suspend:dom0] save-restore: xl save took 3100 ms, image 1 bytes' \
	'[bench-suspend:dom0] save-restore: xl restore took 2100 ms; new domid 3' \
	'[bench-suspend:dom0] save-restore: dom0 downtime 5200 ms (xl save'"'"'s start to xl restore'"'"'s return)' \
	'[bench-suspend] bench-suspend pvkit cycle=2 result=resumed kernel_us=4200000 gap_us=4300000 blk_us=lost net_us=lost' \
	'[bench-suspend:dom0] save-restore: xl save took 2900 ms, image 1 bytes' \
	'[bench-suspend:dom0] save-restore: xl restore took 1900 ms; new domid 4' \
	'[bench-suspend:dom0] save-restore: dom0 downtime 4800 ms (xl save'"'"'s start to xl restore'"'"'s return)' \
	'[bench-suspend] bench-suspend pvkit cycle=3 result=resumed kernel_us=3800000 gap_us=3900000 blk_us=lost net_us=lost' \
	'[bench-suspend] bench-suspend: pvkit done' \
	'[bench-suspend-linux:dom0] save-restore: xl save took 6000 ms, image 1 bytes' \
	'[bench-suspend-linux:dom0] save-restore: xl restore took 4000 ms; new domid 6' \
	'[bench-suspend-linux:dom0] save-restore: dom0 downtime 10000 ms (xl save'"'"'s start to xl restore'"'"'s return)' \
	'[bench-suspend-linux] bench-suspend linux cycle=1 result=resumed kernel_us=8000000 gap_us=9000000 blk_us=100000 net_us=50000' \
	'[bench-suspend-linux:dom0] save-restore: xl save took 6200 ms, image 1 bytes' \
	'[bench-suspend-linux:dom0] save-restore: xl restore took 4200 ms; new domid 7' \
	'[bench-suspend-linux:dom0] save-restore: dom0 downtime 10400 ms (xl save'"'"'s start to xl restore'"'"'s return)' \
	'[bench-suspend-linux] bench-suspend linux cycle=2 result=resumed kernel_us=8400000 gap_us=9400000 blk_us=300000 net_us=70000' \
	'[bench-suspend-linux:dom0] save-restore: xl save took 5800 ms, image 1 bytes' \
	'[bench-suspend-linux:dom0] save-restore: xl restore took 3800 ms; new domid 8' \
	'[bench-suspend-linux:dom0] save-restore: dom0 downtime 9600 ms (xl save'"'"'s start to xl restore'"'"'s return)' \
	'[bench-suspend-linux] bench-suspend linux cycle=3 result=resumed kernel_us=7600000 gap_us=8600000 blk_us=200000 net_us=60000' \
	'[bench-suspend-linux] bench-suspend: linux done' \
	> "$T/susp.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp.log" 2>&1)
expect susp-dom0 '^bench suspend_downtime_ms ours=5000\.0 linux=10000\.0 ratio=0\.50 cycles=3,3 save/restore_ms=3000/2000,6000/4000$'
expect susp-gap '^bench suspend_gap_ms ours=4100\.0 linux=9000\.0 ratio=0\.46 cycles=3,3$'
expect susp-kernel '^bench suspend_kernel_ms ours=4000\.0 linux=8000\.0 ratio=0\.50 cycles=3,3$'
expect susp-blk-lost '^bench reconnect_blk_ms ours=lost linux=200\.0 ratio=- back=0/3,3/3$'
expect susp-net-lost '^bench reconnect_net_ms ours=lost linux=60\.0 ratio=- back=0/3,3/3$'
reject susp-ok 'FAIL'

# The kit's devices back in two cycles of three (median of the two).
sed 's/\(pvkit cycle=1 .*\)blk_us=lost net_us=lost/\1blk_us=1000 net_us=3000/; s/\(pvkit cycle=3 .*\)blk_us=lost net_us=lost/\1blk_us=2000 net_us=5000/' \
	"$T/susp.log" > "$T/susp-back.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-back.log" 2>&1)
expect susp-blk-back '^bench reconnect_blk_ms ours=1\.5 linux=200\.0 ratio=0\.01 back=2/3,3/3$'
expect susp-net-back '^bench reconnect_net_ms ours=4\.0 linux=60\.0 ratio=0\.07 back=2/3,3/3$'
# From the hypercall: a log without the kit's *_hc_us fields has Linux's
# bound alone (probe + gap - kernel, per cycle 1100, 1300 and 1200 ms);
# with them, the kit's median too.
expect susp-blk-hc-linux-only '^bench reconnect_blk_from_hypercall_ms ours=- linux<=1200\.0 ratio>=- back=0/3,3/3$'
sed 's/\(pvkit cycle=1 .*\)blk_us=1000 net_us=3000/\1blk_us=1000 net_us=3000 blk_hc_us=11000 net_hc_us=13000/; s/\(pvkit cycle=3 .*\)blk_us=2000 net_us=5000/\1blk_us=2000 net_us=5000 blk_hc_us=12000 net_hc_us=15000/' \
	"$T/susp-back.log" > "$T/susp-hc.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-hc.log" 2>&1)
expect susp-blk-hc '^bench reconnect_blk_from_hypercall_ms ours=11\.5 linux<=1200\.0 ratio>=0\.01 back=2/3,3/3$'
expect susp-net-hc '^bench reconnect_net_from_hypercall_ms ours=14\.0 linux<=1060\.0 ratio>=0\.01 back=2/3,3/3$'

# A Linux figure missing in one cycle: the row fails, it is not a ratio.
sed 's/\(linux cycle=2 .*\)kernel_us=[0-9]* /\1/' "$T/susp.log" > "$T/susp-nolinux.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-nolinux.log" 2>&1)
expect susp-linux-missing '^bench suspend_kernel_ms: FAIL: no figure from Linux: cycle 2: kernel_us=\(none\)$'
reject susp-linux-missing-no-ratio '^bench suspend_kernel_ms .*ratio='
expect susp-linux-missing-exit '^bench: FAIL: a suspend side did not produce its figures$'
# Linux's kernel gave no measure ("-"): no figure either.
sed 's/\(linux cycle=1 .*\)kernel_us=[0-9]* /\1kernel_us=- /' "$T/susp.log" > "$T/susp-dash.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-dash.log" 2>&1)
expect susp-linux-dash '^bench suspend_kernel_ms: FAIL: no figure from Linux: cycle 1: kernel_us=-$'
# The Linux side never ran, or dom0's times of a cycle are missing.
grep -v 'bench-suspend-linux' "$T/susp.log" > "$T/susp-nolinuxside.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-nolinuxside.log" 2>&1)
expect susp-no-linux-side '^bench reconnect_net_ms: FAIL: no figure from Linux \(no cycles\)$'
grep -v 'bench-suspend:dom0.*downtime 5200' "$T/susp.log" > "$T/susp-nodom0.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-nodom0.log" 2>&1)
expect susp-dom0-missing '^bench suspend_downtime_ms: FAIL: no figure from the kit \(dom0 times for 2 of 3 cycles\)$'
grep -v 'pvkit done' "$T/susp.log" > "$T/susp-notdone.log"
out=$("$HERE/bench.sh" --suspend-table "$T/susp-notdone.log" 2>&1)
expect susp-not-done '^bench: suspend: FAIL: the pvkit side did not finish its cycles$'
# In the whole table (make bench's flow; this crafted log has no block or
# network figures, so the run fails anyway): the rows and their legend,
# and a suspend row without a figure fails there too.
cat "$T/xen.log" "$T/susp.log" > "$T/xen-susp.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-susp.log" 2>&1)
expect susp-in-table '^bench reconnect_blk_ms ours=lost linux=200\.0 ratio=- back=0/3,3/3$'
expect susp-in-table-legend '^bench: suspend: ours = the reference guest'
reject susp-in-table-no-row-failure '^bench (suspend|reconnect)_[a-z_]*: FAIL'
cat "$T/xen.log" "$T/susp-nolinux.log" > "$T/xen-susp-bad.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-susp-bad.log" 2>&1)
expect susp-in-table-fails '^bench suspend_kernel_ms: FAIL: no figure from Linux: cycle 2: kernel_us=\(none\)$'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
