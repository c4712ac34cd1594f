#!/bin/sh
# tests/native/minimal-run.sh IMAGE OUTDIR - boot the minimal kernel
# (examples/minimal, build/pvkit-minimal) natively under QEMU (PVH entry,
# TCG, one CPU) and judge the run, as run.sh does for the reference guest.
#
# The kernel prints on COM1 (saved to OUTDIR/console.log) and leaves through
# isa-debug-exit: QEMU's exit status is (code << 1) | 1, so 1 = its checks
# passed, 3 = one failed or it panicked. Anything else (a timeout, a triple
# fault into -no-reboot) fails the run. Besides the status the console must
# show each line below, its own "N passed, 0 failed" with N > 0 and no
# "FAIL". The verdict is "native minimal: PASS|FAIL: why (P passed, F
# failed)"; the last line is the kernel's counts, which `make check` adds.
set -u

image=$1
out=$2
timeout_s=${PVK_NATIVE_TIMEOUT:-60}
log=$out/console.log

fail() {
	echo "native minimal: FAIL: $1 (${passed:-0} passed, ${failed:-1} failed)"
	[ "${failed:-0}" -gt 0 ] 2>/dev/null || failed=1
	echo "${passed:-0} passed, $failed failed"
	exit 1
}

[ -f "$image" ] || fail "no image $image (make minimal)"
sh "$(dirname "$0")/../../scripts/install-deps.sh" e2e >/dev/null ||
	fail "cannot install qemu-system-x86"
mkdir -p "$out"
echo "==== native minimal"
timeout "$timeout_s" qemu-system-x86_64 -kernel "$image" -m 128 -smp 1 \
	-display none -monitor none -serial stdio -no-reboot \
	-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null >"$log" 2>&1
status=$?
tr -d '\r' <"$log" >"$log.txt" && mv "$log.txt" "$log"
cat "$log"

summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$log" | tail -n 1)
passed=${summary%% passed*}
failed=${summary#*passed, }
failed=${failed%% failed*}
case $status in
1|3) ;;
124) fail "no exit within ${timeout_s}s (QEMU killed)" ;;
*) fail "QEMU exited with status $status (not through isa-debug-exit)" ;;
esac
[ -n "$summary" ] || fail "no \"N passed, N failed\" line"
[ "$status" = 1 ] && [ "$failed" = 0 ] && [ "$passed" -gt 0 ] ||
	fail "exit status $status, summary \"$summary\""
! grep -q 'FAIL' "$log" || fail "$(grep -m1 FAIL "$log")"
while IFS= read -r re; do
	grep -qE -- "$re" "$log" || fail "console lacks /$re/"
done <<'EOF_RE'
^minimal: pvkit.s minimal kernel, pvops native$
^minimal: user says "hello from ring 3"$
^minimal: user program exited with 42 \(write returned 17\)$
^minimal: ticks [0-9]+$
^test ticks: PASS$
^minimal: powering off$
EOF_RE
echo "native minimal: PASS ($passed passed, 0 failed)"
echo "$passed passed, 0 failed"
