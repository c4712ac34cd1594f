#!/bin/sh
# tests/fuzz/run.sh OUTDIR SECONDS TARGET... - runs each libFuzzer target for
# SECONDS on its corpus in OUTDIR/corpus-TARGET (and the hand-made inputs
# of tests/fuzz/seeds/TARGET, if any), one PASS/FAIL line each with its
# executions per second,
# then "fuzz: N passed, N failed"; exits non-zero on any failure (a crash,
# a sanitizer report or a failed assertion; the input is kept as
# OUTDIR/crash-TARGET-*). First shared-reads.sh (after its self-test): the frontends read the
# backend's ring only through the hooks whose reads the targets count.
set -u
out=$1 secs=$2
shift 2
pass=0 fail=0
for check in shared-reads-selftest.sh shared-reads.sh; do
	if "$(dirname "$0")/$check"; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
	fi
done
for t in "$@"; do
	mkdir -p "$out/corpus-$t"
	log=$out/$t.log
	seeds=$(dirname "$0")/seeds/$t
	[ -d "$seeds" ] || seeds=
	if "$out/$t" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
		-artifact_prefix="$out/crash-$t-" "$out/corpus-$t" $seeds > "$log" 2>&1; then
		runs=$(grep -o 'Done [0-9]* runs' "$log" | tail -1 | cut -d' ' -f2)
		rate=$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | tail -1 | grep -o '[0-9]*$')
		echo "PASS $t (${runs:-?} runs in $secs s, ${rate:-?}/s, corpus $(ls "$out/corpus-$t" | wc -l) inputs)"
		pass=$((pass + 1))
	else
		echo "FAIL $t: see $log"
		tail -30 "$log"
		fail=$((fail + 1))
	fi
done
echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
