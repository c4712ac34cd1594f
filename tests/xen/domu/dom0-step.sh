# tests/xen/domu/dom0-step.sh - the guest's half of a step dom0 takes part
# in, sourced by the domU scripts whose scenarios run a dom0 script per
# step (domu/life.sh with dom0/check-life, domu/blk-timeout.sh with
# dom0/check-blk-timeout). Both scenarios append it to the ramdisk
# (RAMDISK_EXTRA), so it is /extra/dom0-step.sh.
#
# dom0_step STEP DESCRIPTION prints "$STEP_TAG: ready for STEP: ..." (an
# ON_LINE rule in the scenario starts dom0's part on it), then reads this
# console (the caller has turned echo off, so nothing typed shows as if
# the guest printed it) until "dom0-done STEP", 60 s at most. dom0's
# "dom0-check PASS|FAIL NAME: DETAIL" lines are counted as the guest's own
# (the caller's $pass and $fail) and printed as "PASS|FAIL dom0-NAME: ...".
# Status 1 when dom0 failed a check or did not answer in time.
# Needs STEP_TAG and now() from the caller.

dom0_step() {  # step description
    echo "${STEP_TAG:?}: ready for $1: $2 (t=$(now) s)"
    rc=0
    while IFS= read -r -t 60 l; do
        l=$(printf '%s' "$l" | tr -d '\r')
        case "$l" in
            "dom0-check PASS "*) echo "PASS dom0-${l#dom0-check PASS }"; pass=$((pass + 1)) ;;
            "dom0-check FAIL "*) echo "FAIL dom0-${l#dom0-check FAIL }"; fail=$((fail + 1)); rc=1 ;;
            "dom0-done $1") return $rc ;;
        esac
    done
    echo "FAIL dom0-$1: no answer from dom0 within 60 s"; fail=$((fail + 1))
    return 1
}
