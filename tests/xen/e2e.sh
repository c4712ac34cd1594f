#!/bin/bash
# tests/xen/e2e.sh - host side of the end-to-end harness: boots Debian's
# Xen 4.17 + a Linux dom0 under QEMU (TCG) once, lets dom0 run the chosen
# scenarios (tests/xen/scenarios/*.scn) as real PV guests with xl, and judges
# the results from the "@@pvk" lines dom0 prints on its console.
#
#   e2e.sh check [scenario...]   all (or the named) scenarios, quiet, verdicts
#                                (all = those without CHECK=no)
#   e2e.sh run   [scenario...]   default: guest-basic; streams the console
#   e2e.sh prepare               fetch packages + build the cached cpios only
#   e2e.sh list                  list scenarios
#   e2e.sh selftest              harness self-tests (tests/xen/selftest)
# Options (before the mode): --guest PATH (or PVK_GUEST; default
# build/pvkit-guest), --debug (dom0 printk on console, xl configs shown).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${PVK_XEN_CACHE:-$ROOT/build/xen-cache}
OUT=${PVK_E2E_OUT:-$ROOT/build/e2e}
GUEST=${PVK_GUEST:-$ROOT/build/pvkit-guest}
SCN=${PVK_SCENARIOS:-$HERE/scenarios}       # scenario directory
DEBUG=
DOM0_UP_TIMEOUT=${PVK_DOM0_TIMEOUT:-120}   # QEMU start -> "@@pvk dom0-ready"
BOOT_MARGIN=150                             # added to the scenarios' timeouts
PER_SCENARIO_MARGIN=25                      # domain build/teardown, dumps
DEFAULT_HOST_MEMORY=2048                    # MiB of the QEMU machine (HOST_MEMORY)

while [ $# -gt 0 ]; do
    case "$1" in
        --guest) GUEST=$2; shift 2 ;;
        --guest=*) GUEST=${1#*=}; shift ;;
        --debug) DEBUG=1; shift ;;
        *) break ;;
    esac
done
MODE=${1:-check}; shift || true
case "$GUEST" in /*) ;; *) GUEST=$PWD/$GUEST ;; esac
case "$SCN" in /*) ;; *) SCN=$PWD/$SCN ;; esac

die() { echo "e2e: error: $*" >&2; exit 2; }
info() { echo "e2e: $*" >&2; }

# Host tools; installed from Debian when missing, silent when present.
ensure_tools() {
    local need=() c p
    for c in qemu-system-x86_64:qemu-system-x86 cpio:cpio readelf:binutils \
             gzip:gzip xz:xz-utils dpkg-deb:dpkg; do
        command -v "${c%%:*}" >/dev/null 2>&1 || need+=("${c#*:}")
    done
    [ ${#need[@]} -eq 0 ] && return 0
    info "installing host tools: ${need[*]}"
    apt-cache show "${need[0]}" >/dev/null 2>&1 || apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${need[@]}" >/dev/null || die "apt-get install ${need[*]} failed"
}

# Read one variable of a scenario file (sourced in a subshell with defaults).
# shellcheck disable=SC2034,SC1090  # variables are read back through eval
scn() {  # name var
    ( KERNEL=pvkit-guest RAMDISK='' MEMORY=64 VCPUS=1 VIFS=0 DISKS='' EXTRA='' XL_CONFIG='' CHECK=''
      HOST_MEMORY=$DEFAULT_HOST_MEMORY
      TIMEOUT=60 EXPECT_END=poweroff EXPECT_SUMMARY=pass EXPECT_REGEX=''
      . "$SCN/$1.scn"; eval "printf '%s' \"\${$2}\"" )
}
all_scenarios() { (cd "$SCN" && ls *.scn | sed 's/\.scn$//'); }
# "check" without names: every scenario but those that say CHECK=no
# (bench: figures, not verdicts; run it by name).
check_scenarios() { for n in $(all_scenarios); do [ "$(scn "$n" CHECK)" = no ] || echo "$n"; done; }

# Host path of a scenario's guest kernel; "" for the dom0's own kernel.
guest_image() {
    local k; k=$(scn "$1" KERNEL)
    case "$k" in
        linux) echo "" ;;
        pvkit-guest) echo "$GUEST" ;;
        /*) echo "$k" ;;
        *) echo "$ROOT/build/$k" ;;
    esac
}

prepare() {
    ensure_tools
    PVK_QUIET=${QUIET:-} sh "$HERE/fetch.sh" || die "package fetch failed"
    PVK_QUIET=${QUIET:-} sh "$HERE/mkinitramfs.sh" all || die "initramfs build failed"
    KPKG=$(cat "$CACHE/kernel-package"); KVER=${KPKG#linux-image-}
    DOM0_KERNEL=$CACHE/root/boot/vmlinuz-$KVER
    XEN=$CACHE/xen-4.17-amd64.elf
    # QEMU's multiboot loader wants the plain ELF, Debian ships it gzipped.
    if [ ! -s "$XEN" ] || [ "$CACHE/root/boot/xen-4.17-amd64.gz" -nt "$XEN" ]; then
        gzip -dc "$CACHE/root/boot/xen-4.17-amd64.gz" > "$XEN.tmp" && mv "$XEN.tmp" "$XEN"
    fi
}

# The per-run cpio: dom0 scripts, scenario files, guest images. Appended to
# the cached base so a new guest build never rebuilds the base.
build_run_cpio() {  # scenarios...
    local S=$OUT/run.staging n img
    rm -rf "$S"; mkdir -p "$S/pvk/scenarios" "$S/pvk/guests" "$S/etc/xen/scripts"
    install -m 755 "$HERE/dom0/init" "$S/init"
    install -m 755 "$HERE/dom0/run-scenario" "$S/pvk/run-scenario"
    install -m 755 "$HERE/dom0/vif-pvk" "$HERE/dom0/block-pvk" "$S/etc/xen/scripts/"
    cp "$CACHE/domu-initrd.cpio" "$S/pvk/"
    # dom0-side test tools (tests/xen/dom0-tools/), as /pvk/tools/.
    "$HERE/dom0-tools/build.sh" "$OUT/dom0-tools" || die "building tests/xen/dom0-tools failed"
    cp -r "$OUT/dom0-tools" "$S/pvk/tools"
    : > "$S/pvk/run-list"
    for n in "$@"; do
        cp "$SCN/$n.scn" "$S/pvk/scenarios/"
        img=$(guest_image "$n")
        [ -z "$img" ] || cp "$img" "$S/pvk/guests/$(basename "$(scn "$n" KERNEL)")"
        echo "$n" >> "$S/pvk/run-list"
    done
    (cd "$S" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$OUT/run.cpio"
    cat "$CACHE/dom0-base.cpio" "$OUT/run.cpio" > "$OUT/initrd.cpio"
    rm -rf "$S"
}

QPID=
cleanup() {
    if [ -n "$QPID" ] && kill -0 "$QPID" 2>/dev/null; then
        kill "$QPID" 2>/dev/null; sleep 1; kill -9 "$QPID" 2>/dev/null
    fi
    [ -z "${TPID:-}" ] || kill "$TPID" 2>/dev/null
    return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LOG=$OUT/console.log
now() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# Boot Xen + dom0 with the run cpio; returns once QEMU has exited (by itself
# or killed by a watchdog). Sets BOOT_FAIL, T_READY, T_TOTAL.
boot() {  # stream(0/1) overall-timeout host-MiB
    local stream=$1 limit=$2 mem=$3 t0 dom0_args xen_args
    xen_args="dom0_mem=768M,max:768M console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all bootscrub=0"
    # bootscrub=0: scrubbing the machine's RAM under TCG competes with dom0
    # for a while. dom0 keeps 768 MiB whatever the machine's size: the rest
    # is Xen's free memory, for the guests.
    dom0_args="console=hvc0 earlyprintk=xen rdinit=/init"
    [ -z "$DEBUG" ] || dom0_args="$dom0_args pvk.debug=1"
    : > "$LOG"
    t0=$(now)
    # -no-reboot: if Xen restarts the machine (reboot or panic) QEMU exits.
    setsid qemu-system-x86_64 -machine q35 -cpu qemu64,+npt -m "$mem" -smp 2 \
        -display none -monitor none -serial stdio -nic none -no-reboot \
        -kernel "$XEN" -append "$xen_args" \
        -initrd "$DOM0_KERNEL $dom0_args,$OUT/initrd.cpio" \
        < /dev/null > "$LOG" 2>&1 &
    QPID=$!
    TPID=
    [ "$stream" = 0 ] || { tail -n +1 -f "$LOG" --pid="$QPID" & TPID=$!; }
    BOOT_FAIL='' T_READY=''
    local cur='' cur_t0='' cur_lim=0 n
    while kill -0 "$QPID" 2>/dev/null; do
        sleep 0.5
        if [ -z "$T_READY" ]; then
            if grep -q '@@pvk dom0-ready' "$LOG"; then
                T_READY=$(elapsed "$t0")
                [ "$stream" = 1 ] || echo "boot: dom0 ready after ${T_READY}s"
            elif grep -q '@@pvk dom0-failed' "$LOG"; then
                BOOT_FAIL="dom0 setup failed: $(grep -ao '@@pvk dom0-failed.*' "$LOG" | head -n1 | tr -d '\r')"
            elif awk -v a="$t0" -v b="$(now)" -v l="$DOM0_UP_TIMEOUT" 'BEGIN{exit !(b-a>l)}'; then
                BOOT_FAIL="dom0 did not come up within ${DOM0_UP_TIMEOUT}s"; break
            fi
            continue
        fi
        # Verdicts as scenarios finish (quiet mode; streaming judges at the end).
        if [ "$stream" = 0 ]; then
            for n in $(grep -ao '@@pvk scenario-end [^ ]*' "$LOG" | cut -d' ' -f3); do
                [ -n "${JUDGED[$n]:-}" ] || verdict "$n"
            done
        fi
        # A dom0 wedged inside one scenario must not eat the whole budget.
        n=$(grep -ao '@@pvk scenario-begin [^ ]*' "$LOG" | tail -n1 | cut -d' ' -f3)
        if [ -n "$n" ] && ! grep -aq "@@pvk scenario-end $n " "$LOG"; then
            if [ "$n" != "$cur" ]; then
                cur=$n cur_t0=$(now) cur_lim=$(( $(scn "$n" TIMEOUT) + 180 ))
            elif awk -v a="$cur_t0" -v b="$(now)" -v l="$cur_lim" 'BEGIN{exit !(b-a>l)}'; then
                info "dom0 made no progress in scenario $n for ${cur_lim}s, killing QEMU"; break
            fi
        fi
        if awk -v a="$t0" -v b="$(now)" -v l="$limit" 'BEGIN{exit !(b-a>l)}'; then
            info "QEMU overall timeout (${limit}s) reached, killing it"; break
        fi
    done
    cleanup; QPID=
    [ -z "$TPID" ] || { wait "$TPID" 2>/dev/null; TPID=; }
    T_TOTAL=$(elapsed "$t0")
    if [ -z "$T_READY" ] && [ -z "$BOOT_FAIL" ]; then
        BOOT_FAIL="dom0 did not come up (QEMU exited after ${T_TOTAL}s)"
    fi
}

# Console lines of a scenario with a given prefix ("" guest, "xen", "regs").
lines() {  # name kind
    local p="[$1]"; [ -z "$2" ] || p="[$1:$2]"
    tr -d '\r' < "$LOG" | grep -aF "$p " | sed "s/^.*\[${1//./\\.}${2:+:$2}\] //"
}

declare -A JUDGED=()
PASSED=0 FAILED=0
verdict() {  # name: judge once and count
    JUDGED[$1]=1
    if judge "$1"; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

judge() {  # name -> prints verdict, returns 0 on pass
    local n=$1 endl end summary secs why='' exp_end exp_sum re
    endl=$(tr -d '\r' < "$LOG" | grep -ao "@@pvk scenario-end $n .*" | tail -n1)
    exp_end=$(scn "$n" EXPECT_END); exp_sum=$(scn "$n" EXPECT_SUMMARY)
    if [ -z "$endl" ]; then
        if grep -aq "@@pvk scenario-begin $n " "$LOG"; then why="no result: the run stopped during this scenario"
        else why="scenario never started"; fi
    else
        end=$(sed -n 's/.* end=\([^ ]*\).*/\1/p' <<<"$endl")
        secs=$(sed -n 's/.* secs=\([^ ]*\).*/\1/p' <<<"$endl")
        summary=$(sed -n 's/.* summary="\(.*\)"$/\1/p' <<<"$endl")
        if [ "$end" != "$exp_end" ]; then
            why="end=$end, expected end=$exp_end"
        fi
        case "$exp_sum" in
            pass)
                if ! [[ "$summary" =~ ^([0-9]+)\ passed,\ 0\ failed$ ]] || [ "${BASH_REMATCH[1]}" -eq 0 ]; then
                    why="${why:+$why; }summary \"${summary:-none}\", expected N passed, 0 failed with N>0"
                fi ;;
            fail)
                if ! [[ "$summary" =~ ^[0-9]+\ passed,\ ([0-9]+)\ failed$ ]] || [ "${BASH_REMATCH[1]}" -eq 0 ]; then
                    why="${why:+$why; }summary \"${summary:-none}\", expected failures"
                fi ;;
        esac
        while IFS= read -r re; do
            [ -n "$re" ] || continue
            # Not grep -q: quitting early SIGPIPEs `lines`, and pipefail
            # would then report a line that is there as missing.
            lines "$n" "" | grep -aE -- "$re" >/dev/null || why="${why:+$why; }console lacks /$re/"
        done <<<"$(scn "$n" EXPECT_REGEX)"
    fi
    if [ -z "$why" ]; then
        echo "PASS $n (end=$end${summary:+, $summary}) ${secs}s"
        return 0
    fi
    echo "FAIL $n: $why${secs:+ (${secs}s)}"
    grep -aq "@@pvk scenario-begin $n " "$LOG" && show_tail "$n"
    return 1
}

show_tail() {
    local n=$1 k
    # "| " keeps a guest's own "N passed, M failed" from standing alone on
    # a line, where it could be taken for the harness's closing line.
    echo "--- $n: guest console (last 40 lines) ---"
    lines "$n" "" | tail -n 40 | sed 's/^/| /'
    for k in xl xen regs; do
        if lines "$n" "$k" | grep . >/dev/null; then
            echo "--- $n: $k ---"; lines "$n" "$k" | tail -n 80 | sed 's/^/| /'
        fi
    done
    echo "--- end $n ---"
}

main_run() {  # stream scenarios...
    local stream=$1; shift
    local n img mem limit runnable=() mems=() group
    [ $# -gt 0 ] || die "no scenario selected"
    for n in "$@"; do
        [ -f "$SCN/$n.scn" ] || die "unknown scenario $n (see: $0 list)"
    done
    mkdir -p "$OUT" "$CACHE"
    # Runs sharing an output directory (or the cache being built) would
    # clobber each other's console.log and cpios: take turns. Use
    # PVK_E2E_OUT=build/e2e-NAME to run in parallel (the cache lock is brief).
    exec 8>"$OUT/.lock"
    if ! flock -n 8; then
        info "waiting for another e2e run using ${OUT#"$ROOT"/}"
        flock -w 1800 8 || die "gave up waiting for ${OUT#"$ROOT"/}/.lock"
    fi
    exec 9>"$CACHE/.lock"; flock -w 1800 9 || die "cache lock"
    QUIET=$([ "$stream" = 1 ] || echo 1) prepare
    exec 9>&-
    for n in "$@"; do
        img=$(guest_image "$n")
        if [ -n "$img" ] && [ ! -f "$img" ]; then
            # Reported up front and counted as failed: never a silent skip.
            echo "FAIL $n: guest image $img does not exist (build it first)"
            JUDGED[$n]=1; FAILED=$((FAILED + 1)); continue
        fi
        runnable+=("$n")
    done
    # One QEMU boot per machine size (HOST_MEMORY) the scenarios ask for,
    # smallest first; each boot runs its scenarios in the order given.
    mapfile -t mems < <(for n in "${runnable[@]}"; do scn "$n" HOST_MEMORY; echo; done | sort -nu)
    for mem in "${mems[@]}"; do
        group=() limit=$BOOT_MARGIN
        for n in "${runnable[@]}"; do
            [ "$(scn "$n" HOST_MEMORY)" = "$mem" ] || continue
            group+=("$n")
            limit=$((limit + $(scn "$n" TIMEOUT) + PER_SCENARIO_MARGIN))
        done
        # The default machine's console stays build/e2e/console.log.
        LOG=$OUT/console.log
        [ "$mem" = "$DEFAULT_HOST_MEMORY" ] || LOG=$OUT/console-${mem}M.log
        build_run_cpio "${group[@]}"
        [ "$stream" = 1 ] || info "booting Xen + dom0 under QEMU (${mem} MiB) for ${#group[@]} scenario(s), log: ${LOG#"$ROOT"/}"
        boot "$stream" "$limit" "$mem"
        [ "$stream" = 0 ] || echo
        if [ -n "$BOOT_FAIL" ]; then
            echo "FAIL boot (${mem} MiB): $BOOT_FAIL"
            echo "--- last 60 console lines (${LOG#"$ROOT"/}) ---"
            tr -d '\r' < "$LOG" | tail -n 60
            echo "---"
        fi
        for n in "${group[@]}"; do
            [ -n "${JUDGED[$n]:-}" ] || verdict "$n"
        done
        echo "timing: QEMU -m ${mem}: dom0 ready after ${T_READY:-(never)}s; QEMU ran ${T_TOTAL}s in all (${#group[@]} scenario(s))"
    done
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

case "$MODE" in
    check) if [ $# -eq 0 ]; then mapfile -t args < <(check_scenarios); set -- "${args[@]}"; fi
           main_run 0 "$@" ;;
    selftest) SCN=$HERE/selftest; mapfile -t args < <(all_scenarios)
           main_run 0 "${args[@]}" ;;
    run)   [ $# -gt 0 ] || set -- ${PVK_RUN_SCENARIOS:-guest-basic}; main_run 1 "$@" ;;
    prepare) prepare ;;
    list)  for n in $(all_scenarios); do
               printf '%-16s %s\n' "$n" "$(sed -n '1s/^# *//p' "$SCN/$n.scn")"
           done ;;
    *) sed -n '2,14s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
