#!/bin/bash
# tests/bench/table-test.sh - host-side test of bench.sh's microbenchmark
# table, no QEMU: crafted native and Xen console logs (the guest's and the
# Linux domU's bench-raw lines, as dom0 relays them) go through
# `bench.sh --table`, and the rows must carry the right linux= and
# vs_linux= figures, "-" where Linux has none, and a Linux side that did
# not finish must fail the table. Run by `make check-harness`; ends with
# "N passed, N failed".
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
	'bench: done, 0 failed' > "$T/native.log"
printf '%s\r\n' '[bench] bench-raw syscall_roundtrip xen ps/op=15000000 hc/op=1000 iters=40000' \
	'[bench] bench-raw irq_save_restore xen ps/op=7000 hc/op=0 iters=100000' \
	'[bench] bench: done, 0 failed' \
	'[bench-cpu-linux] bench-raw syscall_roundtrip linux ps/op=20000000 iters=40000' \
	'[bench-cpu-linux] bench-cpu-note clock_ns: clocksource xen' \
	'[bench-cpu-linux] bench-cpu: done' > "$T/xen.log"

out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen.log" 2>&1)
expect linux-figure '^bench syscall_roundtrip native=100\.0ns xen=15\.0us ratio=150\.00 hypercalls/op=1 linux=20\.0us vs_linux=0\.75$'
expect no-linux-figure '^bench irq_save_restore .* hypercalls/op=0 linux=- vs_linux=-$'
expect linux-note '^bench: linux: clock_ns: clocksource xen$'
reject linux-finished 'Linux side \(bench-cpu-linux\)'

grep -v 'bench-cpu: done' "$T/xen.log" > "$T/xen-unfinished.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-unfinished.log" 2>&1)
expect linux-unfinished '^bench: FAIL: the Linux side \(bench-cpu-linux\) did not complete'

# A log from before the Linux side existed: "-", no failure for it.
grep -v 'bench-cpu' "$T/xen.log" > "$T/xen-old.log"
out=$("$HERE/bench.sh" --table "$T/native.log" "$T/xen-old.log" 2>&1)
expect old-log-dash '^bench syscall_roundtrip .* linux=- vs_linux=-$'
reject old-log-no-failure 'Linux side \(bench-cpu-linux\)'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
