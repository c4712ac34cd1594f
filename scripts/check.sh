#!/bin/sh
# Runs each test suite (make check-<suite>) and adds their closing lines
# "N passed, N failed[, N skipped]" into one closing line for `make check`.
# A suite that fails without printing such a line counts as one failure.
set -u
suites=${*:-unit sparse-neg abi native minimal harness lint e2e}
total_pass=0 total_fail=0 total_skip=0 bad=""
log=$(mktemp)
trap 'rm -f "$log" "$log.rc"' EXIT

# Each suite's builds run side by side on every CPU (the suites' own runs
# are sequential recipe lines, or wait for their builds: -j changes no
# test, only how long its compilers take). PVK_CHECK_JOBS=1 for a serial
# build, e.g. to read a compiler error in order.
jobs=${PVK_CHECK_JOBS:-$(nproc 2>/dev/null || echo 1)}

times=""
for s in $suites; do
	echo "==== check-$s"
	t0=$(date +%s)
	{ make -j"$jobs" --no-print-directory "check-$s" 2>&1; echo $? >"$log.rc"; } | tee "$log"
	rc=$(cat "$log.rc")
	# Each suite's wall time, printed at the end: make check must stay
	# under 20 minutes, and this says where the time goes.
	times="$times check-$s $(( $(date +%s) - t0 ))s"
	line=$(grep -E '^([A-Za-z-]+: )?[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$' "$log" | tail -n 1)
	if [ -z "$line" ]; then
		echo "check-$s: no summary line"
		total_fail=$((total_fail + 1)); bad="$bad $s"
		continue
	fi
	set -- $(echo "$line" | sed -E 's/^[A-Za-z-]+: //; s/[^0-9]+/ /g')
	total_pass=$((total_pass + $1)) total_fail=$((total_fail + $2))
	[ $# -ge 3 ] && total_skip=$((total_skip + $3))
	# A suite that exits non-zero fails even if its counts looked clean.
	if [ "$2" -ne 0 ] || [ "$rc" -ne 0 ]; then
		bad="$bad $s"
		[ "$2" -eq 0 ] && total_fail=$((total_fail + 1))
	fi
done

echo "===="
echo "time:$times"
[ -n "$bad" ] && echo "failing suites:$bad"
if [ "$total_skip" -ne 0 ]; then
	echo "$total_pass passed, $total_fail failed, $total_skip skipped"
else
	echo "$total_pass passed, $total_fail failed"
fi
[ "$total_fail" -eq 0 ] && [ -z "$bad" ]
