#!/bin/bash
# tests/xen/judge-test.sh - host-side tests of the end-to-end judge, no QEMU.
# Each case is a scenario file, a console log (QEMU's COM1, where dom0 relays
# guest lines as "[NAME] ...") and a marker log (COM2, dom0's own "@@pvk"
# lines), crafted to the formats of tests/xen/dom0/run-scenario; the case
# runs `e2e.sh judge` on them (the code that judges a live run) and checks
# its verdict line against the one it must give. Run by `make check-harness`
# (a suite of `make check`); ends with "N passed, N failed".
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
passed=0 failed=0

# Pieces of the logs.
begin() { echo "@@pvk scenario-begin $1 t=1.00"; }
endm() { echo "@@pvk scenario-end $1 end=$2 code=0 secs=2.0 summary=\"$3\""; }
con() {  # name line... -> relayed guest lines, then dom0's closing echo
    local n=$1 l; shift
    for l in "$@"; do echo "[$n] $l"; done
}
echo_end() { echo "[dom0] scenario-end $1 end=$2 code=0 secs=2.0 summary=\"$3\""; }

# check NAME WANT ERE: judge scenario NAME with $SCNF, $CON, $MRK (the
# scenario file, console and marker contents). WANT is PASS or FAIL; the
# verdict line ("PASS NAME (...)" / "FAIL NAME: reasons") must match ERE,
# and the exit status must agree.
check() {
    local n=$1 want=$2 ere=$3 d out rc line ok=1
    d=$T/$n; mkdir -p "$d/scn"
    printf '%s\n' "$SCNF" > "$d/scn/$n.scn"
    printf '%s' "$CON" > "$d/console.log"
    printf '%s' "$MRK" > "$d/marker.log"
    # dom0's echo of its end marker closes the scenario's console lines
    # (run-scenario), unless the case cuts the console (NO_ECHO=1).
    [ -n "${NO_ECHO:-}" ] || tr -d '\r' <<<"$MRK" |
        awk -v n="$n" '$1 == "@@pvk" && $2 == "scenario-end" && $3 == n {sub(/^@@pvk /, "[dom0] "); print}' \
            >> "$d/console.log"
    out=$(PVK_SCENARIOS=$d/scn "$HERE/e2e.sh" judge "$d" "$n" 2>&1); rc=$?
    line=$(grep -E "^(PASS|FAIL) $n( |:)" <<<"$out" | head -n1)
    case $want in
        PASS) [ "$rc" -eq 0 ] && [[ "$line" == "PASS $n "* ]] || ok= ;;
        FAIL) [ "$rc" -ne 0 ] && [[ "$line" == "FAIL $n: "* ]] || ok= ;;
    esac
    [[ "$line" =~ $ere ]] || ok=
    if [ -n "$ok" ]; then
        echo "ok   $n: $line"; passed=$((passed + 1))
    else
        echo "FAIL $n: wanted $want matching /$ere/, got (exit $rc):"
        sed 's/^/    | /' <<<"$out"
        failed=$((failed + 1))
    fi
}

base='EXPECT_END=poweroff
EXPECT_SUMMARY=pass'

# --- end and summary -----------------------------------------------------
n='pass'
SCNF=$base
MRK="$(begin $n)
$(endm $n poweroff '5 passed, 0 failed')
"
CON="$(con $n 'test a: PASS' '5 passed, 0 failed')
$(echo_end $n poweroff '5 passed, 0 failed')
"
check $n PASS '^PASS pass \(end=poweroff, 5 passed, 0 failed\)'

n='failed-test'
MRK="$(begin $n)
$(endm $n crash '4 passed, 1 failed')
"
CON="$(con $n 'test a: FAIL: x.c:3: 1 == 2' '4 passed, 1 failed')
"
check $n FAIL 'end=crash, expected end=poweroff; summary "4 passed, 1 failed", expected N passed'

n='no-test-ran'
MRK="$(begin $n)
$(endm $n poweroff '0 passed, 0 failed')
"
CON=''
check $n FAIL 'summary "0 passed, 0 failed", expected N passed, 0 failed with N>0 \(2.0s\)$'

n='no-summary'
MRK="$(begin $n)
$(endm $n poweroff '')
"
check $n FAIL 'summary "none"'

n='wrong-end'
MRK="$(begin $n)
$(endm $n reboot '3 passed, 0 failed')
"
check $n FAIL '^FAIL wrong-end: end=reboot, expected end=poweroff \(2.0s\)$'

n='expect-fail'
SCNF='EXPECT_END=crash
EXPECT_SUMMARY=fail'
MRK="$(begin $n)
$(endm $n crash '1 passed, 1 failed')
"
check $n PASS '^PASS expect-fail \(end=crash, 1 passed, 1 failed\)'

n='expect-fail-none'
MRK="$(begin $n)
$(endm $n crash '2 passed, 0 failed')
"
check $n FAIL 'summary "2 passed, 0 failed", expected failures'

# --- skips ---------------------------------------------------------------
n='unlisted-skip'
SCNF=$base
MRK="$(begin $n)
$(endm $n poweroff '4 passed, 0 failed, 1 skipped')
"
CON="$(con $n 'test a: PASS' 'test b: SKIP: no grant table' '4 passed, 0 failed, 1 skipped')
"
check $n FAIL '^FAIL unlisted-skip: skip not allowed: b \(no grant table\) \('

n='allowed-skip'
SCNF="$base
ALLOW_SKIP='
    c: something else
    b: no grant table
'"
CON="$(con $n 'test a: PASS' 'test b: SKIP: no grant table' '4 passed, 0 failed, 1 skipped')
"
MRK="$(begin $n)
$(endm $n poweroff '4 passed, 0 failed, 1 skipped')
"
check $n PASS '^PASS allowed-skip \(end=poweroff, 4 passed, 0 failed, 1 skipped\)'

n='allowed-name-other-reason'
SCNF="$base
ALLOW_SKIP='b: no grant table'"
CON="$(con $n 'test b: SKIP: CONFIG_PVK_GRANT is off' '4 passed, 0 failed, 1 skipped')
"
MRK="$(begin $n)
$(endm $n poweroff '4 passed, 0 failed, 1 skipped')
"
check $n FAIL 'skip not allowed: b \(CONFIG_PVK_GRANT is off\)'

n='allowed-skip-not-taken'
SCNF="$base
ALLOW_SKIP='b: no grant table'"
CON="$(con $n 'test b: PASS' '5 passed, 0 failed')
"
MRK="$(begin $n)
$(endm $n poweroff '5 passed, 0 failed')
"
check $n PASS '^PASS allowed-skip-not-taken'

n='skip-line-missing'
SCNF="$base
ALLOW_SKIP='b: no grant table'"
CON="$(con $n 'test b: SKIP: no grant table' '3 passed, 0 failed, 2 skipped')
"
MRK="$(begin $n)
$(endm $n poweroff '3 passed, 0 failed, 2 skipped')
"
check $n FAIL 'the summary counts 2 skipped but the console shows 1 SKIP line'

n='skip-of-other-scenario'
SCNF=$base
CON="$(con other 'test b: SKIP: no grant table')
$(con $n '3 passed, 0 failed')
"
MRK="$(begin $n)
$(endm $n poweroff '3 passed, 0 failed')
"
check $n PASS '^PASS skip-of-other-scenario'

# --- one-CPU skips (scenarios/one-cpu.skips, for VCPUS=1 only) -------------
# A test the list names, with its reason, may skip on one vCPU; the same
# skip on 4 vCPUs fails, and so does an SMP test the list does not name
# (a test that must run on CPU 0 alone), whatever its reason.
one=$(grep -v '^#' "$HERE/scenarios/one-cpu.skips" | head -n1)
if [ -n "$one" ]; then
    n='one-cpu-listed-skip'
    SCNF="$base
VCPUS=1"
    CON="$(con $n "test ${one%%: *}: SKIP: ${one#*: }" '4 passed, 0 failed, 1 skipped')
"
    MRK="$(begin $n)
$(endm $n poweroff '4 passed, 0 failed, 1 skipped')
"
    check $n PASS '^PASS one-cpu-listed-skip'

    n='one-cpu-listed-skip-on-4'
    SCNF="$base
VCPUS=4"
    CON="$(con $n "test ${one%%: *}: SKIP: ${one#*: }" '4 passed, 0 failed, 1 skipped')
"
    MRK="$(begin $n)
$(endm $n poweroff '4 passed, 0 failed, 1 skipped')
"
    check $n FAIL "^FAIL one-cpu-listed-skip-on-4: skip not allowed: ${one%%: *} "

    # One vCPU at start but room for more (MAXVCPUS, or a vcpus/maxvcpus
    # in XL_CONFIG, which xl reads after them): no list. An XL_CONFIG
    # that sets neither keeps it.
    for c in 'maxvcpus:MAXVCPUS=4' "xl-maxvcpus:XL_CONFIG='maxvcpus = 4'" \
             "xl-vcpus:XL_CONFIG='tsc_mode = \"native\"; vcpus=2'" \
             "xl-other:XL_CONFIG='max_event_channels = 4096'"; do
        n="one-cpu-listed-skip-${c%%:*}"
        SCNF="$base
VCPUS=1
${c#*:}"
        CON="$(con "$n" "test ${one%%: *}: SKIP: ${one#*: }" '4 passed, 0 failed, 1 skipped')
"
        MRK="$(begin "$n")
$(endm "$n" poweroff '4 passed, 0 failed, 1 skipped')
"
        case $n in
            *-xl-other) check "$n" PASS "^PASS $n" ;;
            *) check "$n" FAIL "^FAIL $n: skip not allowed: ${one%%: *} " ;;
        esac
    done
fi
n='one-cpu-unlisted-skip'
SCNF="$base
VCPUS=1"
CON="$(con $n 'test smp_not_in_the_list: SKIP: one CPU online' '4 passed, 0 failed, 1 skipped')
"
MRK="$(begin $n)
$(endm $n poweroff '4 passed, 0 failed, 1 skipped')
"
check $n FAIL 'skip not allowed: smp_not_in_the_list \(one CPU online\)'

# --- console regexes -----------------------------------------------------
n='regex'
SCNF="$base
EXPECT_REGEX='^pvops: xen\$
ring line'
REJECT_REGEX='ran past'"
CON="$(con $n 'pvops: xen' 'a ring line' '3 passed, 0 failed')
"
MRK="$(begin $n)
$(endm $n poweroff '3 passed, 0 failed')
"
check $n PASS '^PASS regex'

n='regex-missing'
CON="$(con $n 'pvops: xen' '3 passed, 0 failed')
$(con other 'a ring line')
"
MRK="$(begin $n)
$(endm $n poweroff '3 passed, 0 failed')
"
check $n FAIL 'console lacks /ring line/'

n='regex-rejected'
CON="$(con $n 'pvops: xen' 'a ring line' 'ran past a failed check' '3 passed, 0 failed')
"
MRK="$(begin $n)
$(endm $n poweroff '3 passed, 0 failed')
"
check $n FAIL 'console has /ran past/'

# The console stops before dom0's echo of the end marker (COM1 not drained,
# the run cut): its last lines, maybe a rejected one, are missing.
n='console-cut'
SCNF="$base
REJECT_REGEX='ran past'"
CON="$(con $n 'pvops: xen')
"
MRK="$(begin $n)
$(endm $n poweroff '3 passed, 0 failed')
"
NO_ECHO=1 check $n FAIL '^FAIL console-cut: console incomplete: no "\[dom0\] scenario-end console-cut" after the marker \(2.0s\)$'

# --- where results come from ---------------------------------------------
n='no-end-marker'
SCNF=$base
CON="$(con $n '3 passed, 0 failed')
"
MRK="$(begin $n)
"
check $n FAIL 'no result: the run stopped during this scenario'

n='never-started'
MRK="$(begin other)
$(endm other poweroff '3 passed, 0 failed')
"
check $n FAIL '^FAIL never-started: scenario never started$'

# Another scenario's end (whose name starts with this one's) is not this one's.
n='name'
MRK="$(begin $n)
$(endm $n-longer poweroff '3 passed, 0 failed')
"
check $n FAIL '^FAIL name: no result'

# A guest prints the harness's end line: relayed with its prefix, and, in
# the worst case, at the start of a console line. Only the marker channel
# counts: without an end there, no result.
n='fake-marker-only'
CON="$(con $n "@@pvk scenario-end $n end=poweroff code=0 secs=1.0 summary=\"99 passed, 0 failed\"")
@@pvk scenario-end $n end=poweroff code=0 secs=1.0 summary=\"99 passed, 0 failed\"
$(echo_end $n poweroff '99 passed, 0 failed')
"
MRK="$(begin $n)
"
check $n FAIL 'no result'

# ... and with a real end on the channel, the real one is judged.
n='fake-marker-real-crash'
CON="$(con $n 'test a: FAIL: x.c:1: boom' "@@pvk scenario-end $n end=poweroff code=0 secs=1.0 summary=\"99 passed, 0 failed\"" '0 passed, 1 failed')
@@pvk scenario-end $n end=poweroff code=0 secs=1.0 summary=\"99 passed, 0 failed\"
"
MRK="$(begin $n)
$(endm $n crash '0 passed, 1 failed')
"
check $n FAIL 'end=crash, expected end=poweroff; summary "0 passed, 1 failed"'

# A marker line still being written (no newline yet) is not a result.
n='partial-marker'
CON="$(con $n '3 passed, 0 failed')
"
MRK="$(begin $n)
@@pvk scenario-end $n end=poweroff code=0 secs=2.0 summary=\"3 passed, 0 failed\""
check $n FAIL 'no result'

# Only lines that start with "@@pvk " on the channel count.
n='marker-not-at-start'
MRK="$(begin $n)
x @@pvk scenario-end $n end=poweroff code=0 secs=2.0 summary=\"3 passed, 0 failed\"
"
check $n FAIL 'no result'

# Carriage returns (a serial line's CRLF) are not part of the values.
n='crlf'
CON="[$n] 3 passed, 0 failed"$'\r\n'
MRK="$(begin $n)"$'\r\n'"$(endm $n poweroff '3 passed, 0 failed')"$'\r\n'
check $n PASS '^PASS crlf \(end=poweroff, 3 passed, 0 failed\) 2.0s$'

# --- EXPECT_JUDGE_FAIL: a scenario that must be judged FAIL --------------
n='judge-fail-expected'
SCNF="$base
EXPECT_JUDGE_FAIL='^skip not allowed: b \\(on purpose\\)\$'"
CON="$(con $n 'test b: SKIP: on purpose' '1 passed, 0 failed, 1 skipped')
"
MRK="$(begin $n)
$(endm $n poweroff '1 passed, 0 failed, 1 skipped')
"
check $n PASS '^PASS judge-fail-expected \(judged FAIL as expected: skip not allowed: b \(on purpose\)\)'

n='judge-fail-but-passed'
CON="$(con $n '1 passed, 0 failed')
"
MRK="$(begin $n)
$(endm $n poweroff '1 passed, 0 failed')
"
check $n FAIL 'the judge passed it, expected a FAIL'

n='judge-fail-other-reason'
CON="$(con $n 'test b: SKIP: on purpose' '1 passed, 0 failed, 1 skipped')
"
MRK="$(begin $n)
$(endm $n crash '1 passed, 0 failed, 1 skipped')
"
check $n FAIL 'the judge failed it for other reasons \(end=crash'

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
