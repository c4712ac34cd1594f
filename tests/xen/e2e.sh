#!/bin/bash
# tests/xen/e2e.sh - host side of the end-to-end harness: boots Debian's
# Xen 4.17 + a Linux dom0 under QEMU (TCG) once, lets dom0 run the chosen
# scenarios (tests/xen/scenarios/*.scn) as real PV guests with xl, and judges
# the results from the "@@pvk" lines dom0 writes on the marker channel (the
# emulated machine's second serial port, a file here; no guest can write it)
# and the guest console lines dom0 relays on its console (QEMU's stdout).
# One boot per machine size and hypervisor the scenarios ask for
# (HOST_MEMORY, HYPERVISOR: Debian's binary Xen, or the same rebuilt with
# shadow paging by xen-shadow.sh for live migration).
#
#   e2e.sh check [scenario...]   all (or the named) scenarios, quiet, verdicts
#                                (all = those without CHECK=no + selftest/)
#   e2e.sh run   [scenario...]   default: guest-basic guest-blkfront guest-netfront; streams
#                                the console
#   e2e.sh prepare [scenario...] fetch packages + build the cached cpios only,
#                                and the shadow hypervisor if one of the
#                                scenarios (default: make check's) wants it
#   e2e.sh list                  list scenarios
#   e2e.sh selftest              harness self-tests (tests/xen/selftest) only
#   e2e.sh judge DIR scenario... judge DIR/console.log + DIR/marker.log again
#                                (console-shadow.log ... for a HYPERVISOR=shadow
#                                one), offline (tests/xen/judge-test.sh uses it)
# Options (before the mode): --guest PATH (or PVK_GUEST; default
# build/pvkit-guest), --debug (dom0 printk on console, xl configs shown).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${PVK_XEN_CACHE:-$ROOT/build/xen-cache}
OUT=${PVK_E2E_OUT:-$ROOT/build/e2e}
GUEST=${PVK_GUEST:-$ROOT/build/pvkit-guest}
SCN=${PVK_SCENARIOS:-$HERE/scenarios}       # scenario directory
SELFTEST=$HERE/selftest                     # harness self-tests, also in check
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

# A scenario's file: the scenario directory first, then the self-tests.
scn_file() {  # name
    if [ -f "$SCN/$1.scn" ]; then echo "$SCN/$1.scn"
    elif [ -f "$SELFTEST/$1.scn" ]; then echo "$SELFTEST/$1.scn"; fi
}
# Read one variable of a scenario file (sourced in a subshell with defaults).
# shellcheck disable=SC2034,SC1090  # variables are read back through eval
scn() {  # name var
    ( KERNEL=pvkit-guest RAMDISK='' RAMDISK_EXTRA='' MEMORY=64 VCPUS=1 MAXVCPUS='' VIFS=0 DISKS='' EXTRA='' XL_CONFIG='' CHECK=''
      TIMEOUT=60 EXPECT_END=poweroff EXPECT_SUMMARY=pass EXPECT_REGEX='' REJECT_REGEX=''
      ALLOW_SKIP='' EXPECT_JUDGE_FAIL='' HOST_MEMORY=$DEFAULT_HOST_MEMORY HYPERVISOR=debian
      . "$(scn_file "$1")"; eval "printf '%s' \"\${$2}\"" )
}
all_scenarios() { (cd "${1:-$SCN}" && ls *.scn | sed 's/\.scn$//'); }
# "check" without names: every scenario but those that say CHECK=no
# (bench: figures, not verdicts; run it by name), then the harness's
# self-tests, which prove in the same boot that failures are seen.
check_scenarios() {
    for n in $(all_scenarios); do [ "$(scn "$n" CHECK)" = no ] || echo "$n"; done
    [ "$SCN" = "$SELFTEST" ] || all_scenarios "$SELFTEST"
}

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
    # The live-migration boot's hypervisor (HYPERVISOR=shadow), built
    # only when a scenario asks for it (tests/xen/xen-shadow.sh; its
    # versions line always printed). A failed build fails only those
    # scenarios (SHADOW_FAIL, its reason): the others still run.
    SHADOW_FAIL=
    if [ -n "${NEED_SHADOW:-}" ]; then
        mkdir -p "$OUT"
        if ! PVK_QUIET=${QUIET:-} sh "$HERE/xen-shadow.sh" 2>"$OUT/xen-shadow.err"; then
            SHADOW_FAIL=$(sed -n 's/^xen-shadow: error: //p' "$OUT/xen-shadow.err" | tail -n 1)
            SHADOW_FAIL=${SHADOW_FAIL:-tests/xen/xen-shadow.sh failed, no reason given}
        fi
        cat "$OUT/xen-shadow.err" >&2
    fi
}
# The console and marker logs of a boot (DIR MiB HYPERVISOR): the default
# machine's stay DIR/console.log and DIR/marker.log.
boot_logs() {
    LOG=$1/console.log MARK=$1/marker.log
    [ "$2" = "$DEFAULT_HOST_MEMORY" ] || LOG=$1/console-${2}M.log MARK=$1/marker-${2}M.log
    [ "$3" = debian ] || LOG=${LOG%.log}-$3.log MARK=${MARK%.log}-$3.log
}
# A scenario's hypervisor (HYPERVISOR): debian, Debian's binary (fetch.sh,
# the reference); shadow, the same Xen rebuilt with CONFIG_SHADOW_PAGING=y
# (xen-shadow.sh), which can move a PV guest live (log-dirty mode).
xen_image() {  # HYPERVISOR value
    case "$1" in
        debian) echo "$CACHE/xen-4.17-amd64.elf" ;;
        shadow) echo "$CACHE/xen-4.17-shadow.elf" ;;
        *) return 1 ;;
    esac
}

# Host paths of a scenario's RAMDISK_EXTRA files (relative to the tree's
# root unless absolute).
ramdisk_extra() {  # name
    local f
    for f in $(scn "$1" RAMDISK_EXTRA); do
        case "$f" in /*) echo "$f" ;; *) echo "$ROOT/$f" ;; esac
    done
}
# The per-run cpio: dom0 scripts, scenario files, guest images. Appended to
# the cached base so a new guest build never rebuilds the base. A scenario
# with RAMDISK_EXTRA gets its own ramdisk, /pvk/ramdisk-NAME.cpio: its
# RAMDISK with a cpio of those files (as /extra/BASENAME) appended (Linux
# unpacks concatenated archives), e.g. the modules of "make modules".
build_run_cpio() {  # scenarios...
    local S=$OUT/run.staging n img
    rm -rf "$S"; mkdir -p "$S/pvk/scenarios" "$S/pvk/guests" "$S/etc/xen/scripts"
    install -m 755 "$HERE/dom0/init" "$S/init"
    install -m 755 "$HERE/dom0/run-scenario" "$S/pvk/run-scenario"
    install -m 755 "$HERE/dom0/check-fs-net" "$S/pvk/check-fs-net"
    install -m 755 "$HERE/dom0/check-life" "$S/pvk/check-life"
    install -m 755 "$HERE/dom0/check-blk-timeout" "$S/pvk/check-blk-timeout"
    install -m 755 "$HERE/dom0/save-restore" "$S/pvk/save-restore"
    install -m 755 "$HERE/dom0/vif-pvk" "$HERE/dom0/block-pvk" "$S/etc/xen/scripts/"
    cp "$CACHE/domu-initrd.cpio" "$S/pvk/"
    # dom0-side test tools (tests/xen/dom0-tools/), as /pvk/tools/.
    "$HERE/dom0-tools/build.sh" "$OUT/dom0-tools" || die "building tests/xen/dom0-tools failed"
    cp -r "$OUT/dom0-tools" "$S/pvk/tools"
    : > "$S/pvk/run-list"
    for n in "$@"; do
        cp "$(scn_file "$n")" "$S/pvk/scenarios/"
        img=$(guest_image "$n")
        [ -z "$img" ] || cp "$img" "$S/pvk/guests/$(basename "$(scn "$n" KERNEL)")"
        if [ -n "$(scn "$n" RAMDISK_EXTRA)" ]; then
            rm -rf "$OUT/extra.staging"; mkdir -p "$OUT/extra.staging/extra"
            cp $(ramdisk_extra "$n") "$OUT/extra.staging/extra/"
            (cd "$OUT/extra.staging" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
                cat "$S/pvk/$(scn "$n" RAMDISK)" - > "$S/pvk/ramdisk-$n.cpio"
            rm -rf "$OUT/extra.staging"
        fi
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

LOG=$OUT/console.log    # QEMU's COM1: Xen, dom0's hvc0, relayed guest lines
MARK=$OUT/marker.log    # QEMU's COM2: only dom0's "@@pvk" lines
LIVE=1                  # judging while QEMU runs (0: e2e.sh judge, offline)
now() { date +%s.%N | cut -c1-14; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# Boot Xen + dom0 with the run cpio; returns once QEMU has exited (by itself
# or killed by a watchdog). Sets BOOT_FAIL, T_READY, T_TOTAL.
boot() {  # stream(0/1) overall-timeout host-MiB hypervisor-ELF
    local stream=$1 limit=$2 mem=$3 xen=$4 t0 dom0_args xen_args
    xen_args="dom0_mem=768M,max:768M console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all bootscrub=0 conring_size=1M"
    # bootscrub=0: scrubbing the machine's RAM under TCG competes with dom0
    # for a while. conring_size=1M: Xen's console ring (xl dmesg) holds a
    # whole debug-key dump, e.g. the active grants of a domain with its
    # disk's persistent grants mapped (dom0/check-fs-net reads one).
    # dom0 keeps 768 MiB whatever the machine's size: the rest
    # is Xen's free memory, for the guests.
    dom0_args="console=hvc0 earlyprintk=xen rdinit=/init"
    [ -z "$DEBUG" ] || dom0_args="$dom0_args pvk.debug=1"
    : > "$LOG"; : > "$MARK"
    t0=$(now)
    # -no-reboot: if Xen restarts the machine (reboot or panic) QEMU exits.
    # The second -serial is COM2, the marker channel (dom0's /dev/ttyS1).
    setsid qemu-system-x86_64 -machine q35 -cpu qemu64,+npt -m "$mem" -smp 2 \
        -display none -monitor none -serial stdio -serial "file:$MARK" \
        -nic none -no-reboot \
        -kernel "$xen" -append "$xen_args" \
        -initrd "$DOM0_KERNEL $dom0_args,$OUT/initrd.cpio" \
        < /dev/null > "$LOG" 2>&1 &
    QPID=$!
    TPID=
    [ "$stream" = 0 ] || { tail -n +1 -f "$LOG" --pid="$QPID" & TPID=$!; }
    BOOT_FAIL='' T_READY=''
    local cur='' cur_t0='' cur_lim=0 n m
    while kill -0 "$QPID" 2>/dev/null; do
        sleep 0.5
        m=$(marks)
        if [ -z "$T_READY" ]; then
            if grep -aq '^@@pvk dom0-ready' <<<"$m"; then
                T_READY=$(elapsed "$t0")
                [ "$stream" = 1 ] || echo "boot: dom0 ready after ${T_READY}s"
            elif grep -aq '^@@pvk dom0-failed' <<<"$m"; then
                BOOT_FAIL="dom0 setup failed: $(grep -a '^@@pvk dom0-failed' <<<"$m" | head -n1)"
            elif tr -d '\r' < "$LOG" | grep -a '^\[dom0\] dom0-failed' >/dev/null; then
                # Before dom0-ready no guest has run, so the console holds
                # only dom0's words: read it when the marker channel itself
                # failed, rather than waiting for the timeout below.
                BOOT_FAIL="dom0 setup failed: $(tr -d '\r' < "$LOG" | grep -a '^\[dom0\] dom0-failed' | head -n1)"
            elif awk -v a="$t0" -v b="$(now)" -v l="$DOM0_UP_TIMEOUT" 'BEGIN{exit !(b-a>l)}'; then
                BOOT_FAIL="dom0 did not come up within ${DOM0_UP_TIMEOUT}s"; break
            fi
            continue
        fi
        # Verdicts as scenarios finish (quiet mode; streaming judges at the end).
        if [ "$stream" = 0 ]; then
            for n in $(awk '$2 == "scenario-end" {print $3}' <<<"$m"); do
                [ -n "${JUDGED[$n]:-}" ] || verdict "$n"
            done
        fi
        # A dom0 wedged inside one scenario must not eat the whole budget.
        n=$(awk '$2 == "scenario-begin" {n = $3} END {print n}' <<<"$m")
        if [ -n "$n" ] && [ -z "$(mark_of scenario-end "$n" <<<"$m")" ]; then
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

# The harness's own lines: the complete lines of the marker channel that
# start with "@@pvk ". Only dom0 writes there; a line still being written
# (no newline yet: the UART sends byte by byte) is left for the next look.
marks() {
    local c
    [ -s "$MARK" ] || return 0
    c=$(cat "$MARK"; echo .); c=${c%.}
    c=${c%"${c##*$'\n'}"}
    printf '%s' "$c" | tr -d '\r' | awk '/^@@pvk /'
}
# The last "@@pvk KIND NAME ..." line of the marks on stdin.
mark_of() {  # kind name
    awk -v k="$1" -v n="$2" '$2 == k && $3 == n {l = $0} END {if (l != "") print l}'
}

# Console lines of a scenario with a given prefix ("" guest, "xen", "regs").
lines() {  # name kind
    local p="[$1]"; [ -z "$2" ] || p="[$1:$2]"
    tr -d '\r' < "$LOG" | grep -aF "$p " | sed "s/^.*\[${1//./\\.}${2:+:$2}\] //"
}

# dom0 echoes each marker on its console after the scenario's last line;
# COM1 and COM2 drain separately, so wait (bounded; offline, one look) for
# that echo before reading the scenario's console lines. Without it the
# console may lack the scenario's last lines: a REJECT_REGEX line among
# them would go unseen, so the scenario fails (status 1).
console_sync() {  # name
    local i tries=60
    [ "$LIVE" = 1 ] || tries=1
    for ((i = 0; i < tries; i++)); do
        tr -d '\r' < "$LOG" | awk -v p="[dom0] scenario-end $1 " 'index($0, p) == 1 {f = 1} END {exit !f}' && return 0
        [ "$tries" -eq 1 ] || sleep 0.5
    done
    return 1
}

declare -A JUDGED=()
PASSED=0 FAILED=0
verdict() {  # name: judge once and count
    JUDGED[$1]=1
    if judge "$1"; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

# Judges a scenario against its expectations; sets J_END, J_SECS, J_SUM
# (the guest's whole closing line) and J_WHY ("" when every expectation
# held, else the reasons, "; "-separated).
judge_core() {  # name
    local n=$1 endl exp_sum re p='' f='' s=0 k r nskip=0 allow
    J_END='' J_SECS='' J_SUM='' J_WHY=''
    why() { J_WHY="${J_WHY:+$J_WHY; }$*"; }
    endl=$(marks | mark_of scenario-end "$n")
    if [ -z "$endl" ]; then
        if [ -n "$(marks | mark_of scenario-begin "$n")" ]; then
            why "no result: the run stopped during this scenario"
        else why "scenario never started"; fi
        return
    fi
    console_sync "$n" ||
        why "console incomplete: no \"[dom0] scenario-end $n\" after the marker"
    J_END=$(sed -n 's/.* end=\([^ ]*\).*/\1/p' <<<"$endl")
    J_SECS=$(sed -n 's/.* secs=\([^ ]*\).*/\1/p' <<<"$endl")
    J_SUM=$(sed -n 's/.* summary="\(.*\)"$/\1/p' <<<"$endl")
    [ "$J_END" = "$(scn "$n" EXPECT_END)" ] ||
        why "end=$J_END, expected end=$(scn "$n" EXPECT_END)"
    if [[ "$J_SUM" =~ ^([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?$ ]]; then
        p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]} s=${BASH_REMATCH[4]:-0}
    fi
    exp_sum=$(scn "$n" EXPECT_SUMMARY)
    case "$exp_sum" in
        pass) [ -n "$p" ] && [ "$p" -gt 0 ] && [ "$f" -eq 0 ] ||
                  why "summary \"${J_SUM:-none}\", expected N passed, 0 failed with N>0" ;;
        fail) [ -n "$f" ] && [ "$f" -gt 0 ] ||
                  why "summary \"${J_SUM:-none}\", expected failures" ;;
    esac
    # Skips: "test NAME: SKIP: REASON" is allowed only when ALLOW_SKIP has
    # the line "NAME: REASON" (an allowed skip that did not happen is fine).
    # A scenario on one vCPU (and no room for more: MAXVCPUS unset or 1)
    # also allows the lines of one-cpu.skips (the SMP tests that need a
    # second CPU), one list for every such scenario. XL_CONFIG goes into
    # the domain's config after VCPUS and MAXVCPUS, so a vcpus or maxvcpus
    # there (anywhere: xl also takes `a = 1; b = 2`) could bring CPUs up
    # behind them: then no list (a false match only loses the list).
    one_cpu=no
    case "$(scn "$n" VCPUS):$(scn "$n" MAXVCPUS)" in
    1: | 1:1) one_cpu=yes ;;
    esac
    if scn "$n" XL_CONFIG | grep -Eq '(^|[^[:alnum:]_])(max)?vcpus[[:space:]]*='; then
        one_cpu=no
    fi
    allow=$( { scn "$n" ALLOW_SKIP; echo
               [ "$one_cpu" = no ] || grep -v "^#" "$HERE/scenarios/one-cpu.skips" || :; } |
             sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
    while IFS= read -r k; do
        [[ "$k" =~ ^test\ ([^ ]+):\ SKIP:\ (.*)$ ]] || continue
        nskip=$((nskip + 1))
        r="${BASH_REMATCH[1]}: ${BASH_REMATCH[2]}"
        grep -qxF -- "$r" <<<"$allow" ||
            why "skip not allowed: ${BASH_REMATCH[1]} (${BASH_REMATCH[2]})"
    done < <(lines "$n" "")
    # The count is the guest's own, from the trusted end marker: a SKIP
    # line that is missing (lost, late) cannot make a skip pass.
    [ "$s" -le "$nskip" ] ||
        why "the summary counts $s skipped but the console shows $nskip SKIP line(s)"
    while IFS= read -r re; do
        [ -n "$re" ] || continue
        # Not grep -q: quitting early SIGPIPEs `lines`, and pipefail
        # would then report a line that is there as missing.
        lines "$n" "" | grep -aE -- "$re" >/dev/null || why "console lacks /$re/"
    done <<<"$(scn "$n" EXPECT_REGEX)"
    while IFS= read -r re; do
        [ -n "$re" ] || continue
        ! lines "$n" "" | grep -aE -- "$re" >/dev/null || why "console has /$re/"
    done <<<"$(scn "$n" REJECT_REGEX)"
}

judge() {  # name -> prints verdict, returns 0 on pass
    local n=$1 inv
    judge_core "$n"
    inv=$(scn "$n" EXPECT_JUDGE_FAIL)
    if [ -n "$inv" ]; then
        # A self-test of the judge: it must fail this scenario, for the
        # reasons the scenario names (an ERE matched against all of them).
        if [ -n "$J_WHY" ] && [[ "$J_WHY" =~ $inv ]]; then
            echo "PASS $n (judged FAIL as expected: $J_WHY)${J_SECS:+ ${J_SECS}s}"
            return 0
        fi
        if [ -z "$J_WHY" ]; then J_WHY="the judge passed it, expected a FAIL matching /$inv/"
        else J_WHY="the judge failed it for other reasons ($J_WHY), expected /$inv/"; fi
    fi
    if [ -z "$J_WHY" ]; then
        echo "PASS $n (end=$J_END${J_SUM:+, $J_SUM}) ${J_SECS}s"
        return 0
    fi
    echo "FAIL $n: $J_WHY${J_SECS:+ (${J_SECS}s)}"
    [ -z "$(marks | mark_of scenario-begin "$n")" ] || show_tail "$n"
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
    local n img mem hv b limit runnable=() boots=() group
    [ $# -gt 0 ] || die "no scenario selected"
    for n in "$@"; do
        [ -n "$(scn_file "$n")" ] || die "unknown scenario $n (see: $0 list)"
        xen_image "$(scn "$n" HYPERVISOR)" >/dev/null ||
            die "scenario $n: unknown HYPERVISOR=$(scn "$n" HYPERVISOR) (debian or shadow)"
        [ "$(scn "$n" HYPERVISOR)" != shadow ] || NEED_SHADOW=1
    done
    mkdir -p "$OUT" "$CACHE"
    # Runs sharing an output directory (or the cache being built) would
    # clobber each other's console.log and cpios: take turns. Use
    # PVK_E2E_OUT=build/e2e-NAME to run in parallel (the cache lock is
    # brief, but for a first build of the shadow hypervisor: minutes).
    exec 8>"$OUT/.lock"
    if ! flock -n 8; then
        info "waiting for another e2e run using ${OUT#"$ROOT"/}"
        flock -w 1800 8 || die "gave up waiting for ${OUT#"$ROOT"/}/.lock"
    fi
    exec 9>"$CACHE/.lock"; flock -w 1800 9 || die "cache lock"
    QUIET=$([ "$stream" = 1 ] || echo 1) prepare
    exec 9>&-
    for n in "$@"; do
        if [ -n "$SHADOW_FAIL" ] && [ "$(scn "$n" HYPERVISOR)" = shadow ]; then
            echo "FAIL $n: shadow hypervisor build failed: $SHADOW_FAIL"
            JUDGED[$n]=1; FAILED=$((FAILED + 1)); continue
        fi
        img=$(guest_image "$n")
        if [ -n "$img" ] && [ ! -f "$img" ]; then
            # Reported up front and counted as failed: never a silent skip.
            echo "FAIL $n: guest image $img does not exist (build it first)"
            JUDGED[$n]=1; FAILED=$((FAILED + 1)); continue
        fi
        for img in $(ramdisk_extra "$n"); do
            [ -f "$img" ] && continue
            echo "FAIL $n: ${img#"$ROOT"/} (RAMDISK_EXTRA) does not exist (build it first: make modules)"
            JUDGED[$n]=1; FAILED=$((FAILED + 1)); continue 2
        done
        runnable+=("$n")
    done
    # One QEMU boot per machine size (HOST_MEMORY) and hypervisor
    # (HYPERVISOR) the scenarios ask for, smallest first, Debian's Xen
    # before the rebuilt one; each boot runs its scenarios in the order
    # given.
    mapfile -t boots < <(for n in "${runnable[@]}"; do
                             echo "$(scn "$n" HOST_MEMORY) $(scn "$n" HYPERVISOR)"
                         done | sort -k1,1n -k2,2 -u)
    for b in "${boots[@]}"; do
        mem=${b% *} hv=${b#* }
        group=() limit=$BOOT_MARGIN
        for n in "${runnable[@]}"; do
            [ "$(scn "$n" HOST_MEMORY) $(scn "$n" HYPERVISOR)" = "$b" ] || continue
            group+=("$n")
            limit=$((limit + $(scn "$n" TIMEOUT) + PER_SCENARIO_MARGIN))
        done
        boot_logs "$OUT" "$mem" "$hv"
        build_run_cpio "${group[@]}"
        [ "$stream" = 1 ] || info "booting Xen ($hv) + dom0 under QEMU (${mem} MiB) for ${#group[@]} scenario(s), log: ${LOG#"$ROOT"/}"
        boot "$stream" "$limit" "$mem" "$(xen_image "$hv")"
        [ "$stream" = 0 ] || echo
        if [ -n "$BOOT_FAIL" ]; then
            echo "FAIL boot (${mem} MiB, $hv Xen): $BOOT_FAIL"
            echo "--- last 60 console lines (${LOG#"$ROOT"/}) ---"
            tr -d '\r' < "$LOG" | tail -n 60
            echo "---"
        fi
        for n in "${group[@]}"; do
            [ -n "${JUDGED[$n]:-}" ] || verdict "$n"
        done
        # dom0 says all-done once it has run the whole list: without it the
        # run ended early, whatever was judged.
        if [ -z "$BOOT_FAIL" ] && ! marks | awk '$2 == "all-done" {f = 1} END {exit !f}'; then
            echo "FAIL run (${mem} MiB, $hv Xen): dom0 never reported all-done (the run ended early)"
            FAILED=$((FAILED + 1))
        fi
        echo "timing: QEMU -m ${mem} ($hv Xen): dom0 ready after ${T_READY:-(never)}s; QEMU ran ${T_TOTAL}s in all (${#group[@]} scenario(s))"
    done
    echo "$PASSED passed, $FAILED failed"
    [ "$FAILED" -eq 0 ]
}

case "$MODE" in
    check) if [ $# -eq 0 ]; then mapfile -t args < <(check_scenarios); set -- "${args[@]}"; fi
           main_run 0 "$@" ;;
    selftest) SCN=$SELFTEST; mapfile -t args < <(all_scenarios)
           main_run 0 "${args[@]}" ;;
    judge) # Offline: the verdicts of a finished run's logs, same code path.
           [ $# -ge 2 ] || die "usage: $0 judge DIR scenario..."
           dir=$1 LIVE=0; shift
           for n in "$@"; do
               [ -n "$(scn_file "$n")" ] || die "unknown scenario $n"
               # The logs of the boot that ran it (its size, its Xen).
               boot_logs "$dir" "$(scn "$n" HOST_MEMORY)" "$(scn "$n" HYPERVISOR)"
               [ -f "$LOG" ] && [ -f "$MARK" ] || die "no ${LOG##*/} and ${MARK##*/} in $dir"
               verdict "$n"
           done
           echo "$PASSED passed, $FAILED failed"
           [ "$FAILED" -eq 0 ] ;;
    run)   [ $# -gt 0 ] || set -- ${PVK_RUN_SCENARIOS:-guest-basic guest-blkfront guest-netfront}; main_run 1 "$@" ;;
    prepare) # The named scenarios' hypervisors too (default: make check's).
           [ $# -gt 0 ] || set -- $(check_scenarios)
           for n in "$@"; do
               [ "$(scn "$n" HYPERVISOR)" != shadow ] || NEED_SHADOW=1
           done
           prepare
           [ -z "$SHADOW_FAIL" ] || die "shadow hypervisor build failed: $SHADOW_FAIL" ;;
    list)  for n in $(check_scenarios; all_scenarios | grep -vxF "$(check_scenarios)"); do
               printf '%-20s %s\n' "$n" "$(sed -n '1s/^# *//p' "$(scn_file "$n")")"
           done ;;
    *) sed -n '2,25s/^# \{0,1\}//p' "$0"; exit 2 ;;
esac
