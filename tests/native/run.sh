#!/bin/sh
# tests/native/run.sh IMAGE OUTDIR - boot IMAGE natively under QEMU (PVH
# entry, TCG) and judge the run.
#
# The guest prints on COM1 (QEMU's stdio here, saved to OUTDIR/console.log)
# and leaves through isa-debug-exit: QEMU's exit status is (code << 1) | 1,
# so 1 = every test passed, 3 = some failed. Anything else (a timeout, a
# triple fault that resets into -no-reboot, QEMU refusing the image) is a
# failure of the run. The guest runs the shared suite (tests/guest/cases):
# the only skips allowed are those with the reason "needs Xen" (each counted
# by the summary must have its line), and more than MIN_PASSED tests must
# have run and passed natively. The last line printed is the verdict, with
# the skip count that `make check` adds up.
set -u

image=$1
out=$2
timeout_s=${PVK_NATIVE_TIMEOUT:-60}
MIN_PASSED=10

fail() {
	echo "native: FAIL: $*"
	echo "0 passed, 1 failed"
	exit 1
}

[ -f "$image" ] || fail "no guest image $image (make guest)"
sh "$(dirname "$0")/../../scripts/install-deps.sh" e2e >/dev/null || fail "cannot install qemu-system-x86"
mkdir -p "$out"
log=$out/console.log

timeout "$timeout_s" qemu-system-x86_64 -kernel "$image" -m 128 \
	-display none -monitor none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$log" 2>&1
status=$?
tr -d '\r' <"$log" >"$log.txt" && mv "$log.txt" "$log"
cat "$log"

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
case $status in
1|3) ;;
124) fail "no exit within ${timeout_s}s (QEMU killed)" ;;
*) fail "QEMU exited with status $status (not through isa-debug-exit)" ;;
esac
grep -q '^pvops: native$' "$log" || fail "the guest did not report \"pvops: native\""
[ -n "$summary" ] || fail "no \"N passed, N failed\" line from the guest"
passed=${summary%% passed*}
failed=${summary#*passed, }
failed=${failed%% failed*}
skipped=0
case $summary in
*skipped) skipped=${summary##*failed, }; skipped=${skipped%% skipped} ;;
esac
# The allowed skips: any test whose reason is exactly "needs Xen" (the
# runner's own for a test declared as needing Xen). A skip for any other
# reason would hide a test that should run natively.
other_skips=$(grep -E '^test [^ ]+: SKIP: ' "$log" | grep -v ': SKIP: needs Xen$')
# Every skip the summary counts must have its line, so none goes unread.
skip_lines=$(grep -cE '^test [^ ]+: SKIP: ' "$log")
problem=
if [ "$status" != 1 ] || [ "$failed" != 0 ]; then
	problem="exit status $status, guest summary \"$summary\""
elif [ -n "$other_skips" ]; then
	problem="skips other than \"needs Xen\": $other_skips"
elif [ "$skip_lines" != "$skipped" ]; then
	problem="the summary counts $skipped skipped, the console shows $skip_lines SKIP lines"
elif [ "$passed" -le "$MIN_PASSED" ]; then
	problem="only $passed tests passed natively (want more than $MIN_PASSED)"
fi
if [ -z "$problem" ]; then
	echo "$passed passed, 0 failed, $skipped skipped"
	exit 0
fi
echo "native: FAIL: $problem"
echo "$passed passed, $((failed > 0 ? failed : 1)) failed, $skipped skipped"
exit 1
