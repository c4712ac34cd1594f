#!/bin/sh
# tests/native/run.sh IMAGE OUTDIR [CPUS...] - boot IMAGE natively under
# QEMU (PVH entry, TCG), once per CPU count (default: 1), and judge each run.
#
# The guest prints on COM1 (QEMU's stdio here, saved to
# OUTDIR/smpN/console.log) and leaves through isa-debug-exit: QEMU's exit
# status is (code << 1) | 1, so 1 = every test passed, 3 = some failed.
# Anything else (a timeout, a triple fault that resets into -no-reboot,
# QEMU refusing the image) is a failure of the run. The guest runs the
# shared suite (tests/guest/cases): the only skips allowed are those with
# the reason "needs Xen" and, with one CPU only, the "NAME: REASON" lines of
# tests/xen/scenarios/one-cpu.skips, by test name and reason, the list the
# one-vCPU Xen scenarios use (each skip counted by the summary must have its
# line),
# and more than MIN_PASSED tests must have run and passed natively. Each
# run must also have brought every CPU of QEMU's -smp online: the guest's
# smp_call_identity test prints "smp: N of N CPUs online (native)".
#
# Each run ends with its verdict, "native -smp N: PASS|FAIL: ... (P passed,
# F failed, S skipped)"; the last line is the sum over the runs, which
# `make check` adds up.
set -u

image=$1
out=$2
shift 2
[ $# -gt 0 ] || set -- 1
timeout_s=${PVK_NATIVE_TIMEOUT:-60}
MIN_PASSED=10
one_cpu_skips=$(dirname "$0")/../xen/scenarios/one-cpu.skips

total_pass=0 total_fail=0 total_skip=0

[ -f "$image" ] || { echo "native: FAIL: no guest image $image (make guest)"; echo "0 passed, 1 failed"; exit 1; }
if ! sh "$(dirname "$0")/../../scripts/install-deps.sh" e2e >/dev/null; then
	echo "native: FAIL: cannot install qemu-system-x86"
	echo "0 passed, 1 failed"
	exit 1
fi

# run_one CPUS: boots, judges, prints the verdict; adds to the totals.
run_one() {
	cpus=$1
	dir=$out/smp$cpus
	log=$dir/console.log
	name="native -smp $cpus"
	mkdir -p "$dir"
	echo "==== $name"
	timeout "$timeout_s" qemu-system-x86_64 -kernel "$image" -m 128 -smp "$cpus" \
		-display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$log" 2>&1
	status=$?
	tr -d '\r' <"$log" >"$log.txt" && mv "$log.txt" "$log"
	cat "$log"

	summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
	passed=0 failed=0 skipped=0 problem=
	if [ -n "$summary" ]; then
		passed=${summary%% passed*}
		failed=${summary#*passed, }
		failed=${failed%% failed*}
		case $summary in
		*skipped) skipped=${summary##*failed, }; skipped=${skipped%% skipped} ;;
		esac
	fi
	# The allowed skips: any test whose reason is exactly "needs Xen" (the
	# runner's own for a test declared as needing Xen) and, in the
	# one-CPU run only, the tests named with their reason in one-cpu.skips
	# (they run in the -smp 4 run, where their skip fails the run). A skip
	# of any other test or for any other reason would hide a test that
	# should run natively.
	allowed=
	[ "$cpus" = 1 ] && allowed=$(grep -v '^#' "$one_cpu_skips" | sed 's/^/test /; s/: /: SKIP: /')
	other_skips=$(grep -E '^test [^ ]+: SKIP: ' "$log" | grep -v ': SKIP: needs Xen$' |
		grep -vxF -e "${allowed:-^never^}")
	# Every skip the summary counts must have its line, so none goes unread.
	skip_lines=$(grep -cE '^test [^ ]+: SKIP: ' "$log")
	case $status in
	1|3) ;;
	124) problem="no exit within ${timeout_s}s (QEMU killed)" ;;
	*) problem="QEMU exited with status $status (not through isa-debug-exit)" ;;
	esac
	if [ -n "$problem" ]; then
		:
	elif ! grep -q '^pvops: native$' "$log"; then
		problem="the guest did not report \"pvops: native\""
	elif [ -z "$summary" ]; then
		problem="no \"N passed, N failed\" line from the guest"
	elif [ "$status" != 1 ] || [ "$failed" != 0 ]; then
		problem="exit status $status, guest summary \"$summary\""
	elif [ -n "$other_skips" ]; then
		problem="skips not allowed: $other_skips"
	elif [ "$skip_lines" != "$skipped" ]; then
		problem="the summary counts $skipped skipped, the console shows $skip_lines SKIP lines"
	elif [ "$passed" -le "$MIN_PASSED" ]; then
		problem="only $passed tests passed natively (want more than $MIN_PASSED)"
	elif ! grep -qx "smp: $cpus of $cpus CPUs online (native)" "$log"; then
		problem="no \"smp: $cpus of $cpus CPUs online (native)\" line: not every CPU came up"
	fi
	if [ -n "$problem" ]; then
		[ "$failed" -gt 0 ] 2>/dev/null || failed=1
		echo "$name: FAIL: $problem ($passed passed, $failed failed, $skipped skipped)"
	else
		echo "$name: PASS ($passed passed, 0 failed, $skipped skipped)"
	fi
	total_pass=$((total_pass + passed))
	total_fail=$((total_fail + failed))
	total_skip=$((total_skip + skipped))
}

for cpus in "$@"; do
	run_one "$cpus"
done
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ]
