#!/bin/busybox sh
# tests/xen/domu/blk-timeout.sh - init of the linux-pvk-blk-timeout guest
# (rdinit=/extra/blk-timeout.sh, appended by the scenario's RAMDISK_EXTRA
# to domu-initrd.cpio, whose busybox it uses): Debian's kernel with our
# pvk-xen.ko and pvk-blkfront.ko (Linux's xen-blkfront never loaded), the
# request timeout lowered to 3 s (io_timeout=3000), and the disk paths a
# request timeout takes proven against backends that misbehave on purpose.
# xvda (dom0's blkback) must keep working throughout. dom0 serves four
# fresh vbds at once, one per stall of pvk-hostile-back, each stalling from
# the first I/O at sector 4096 (so the partition scan at the attach is
# served), and the four cases run side by side:
#   silent     a 4 KiB write there: the disk is given up (the driver's
#              test read is not answered either), the write ends with an
#              I/O error, the log says why, a later read fails at once
#   drop-one   the same write dropped, while the test reads are answered:
#              the disk is given up after 3 timeouts, the write ends with
#              an I/O error, never hangs
#   no-notify  a 4 KiB write and its read back, answered without events:
#              each is found by the timeout's poll and completes without
#              error
#   slow       256 KiB in 64 requests (max_sectors_kb=4) on a ring of 32
#              entries, one answered every 2 s with the rest held (the ring
#              full) for 8 answers: waited for far longer than 3 timeouts,
#              and still the disk is not broken and the data reads back
# and a fifth vbd, silent from sector 0 on (dom0 starts it with the four):
#   scan       the partition scan, which Linux runs in xenwatch inside
#              the attach, stalls: the disk is given up (its test read not
#              answered), the attach returns (the driver says the disk is
#              up), a later read fails at once; the other disks, attached
#              behind it in xenwatch, and the later steps go on
# Then dom0 closes the five and counts the guest's grants to dom0: as many
# as before the attach (xvda's ring alone, persistent grants off); the
# guest sees each disk go and its kit device released. Finally
# pvk-blkfront is unloaded and dom0 counts no grant left; the kernel log
# has no WARNING, BUG or Oops.
#
# dom0's part of each step (tests/xen/dom0/check-blk-timeout) starts on a
# "blk-timeout: ready for STEP:" line (an ON_LINE rule); dom0 types its
# results on this console ("dom0-check PASS|FAIL NAME: DETAIL", then
# "dom0-done STEP"), read here with echo off and counted as this guest's
# own PASS/FAIL lines (dom0_step(), domu/dom0-step.sh, appended by the
# scenario's RAMDISK_EXTRA as this script is). Every I/O is bounded (a hang is reported as one, by
# name, and the checks go on).
/bin/busybox --install -s /bin
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
stty -echo 2>/dev/null

IO_TIMEOUT_MS=3000
STALL_BLOCK=512		# 4 KiB blocks: sector 4096, where the stalls begin

pass=0 fail=0
check() {  # name command...
    n=$1; shift
    if "$@"; then echo "PASS $n"; pass=$((pass + 1))
    else echo "FAIL $n"; fail=$((fail + 1)); fi
}
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }
sum() { sha256sum | cut -d' ' -f1; }
wait_for() {  # path tries (0.2 s each)
    i=0
    while [ ! -e "$1" ] && [ $i -lt "$2" ]; do sleep 0.2; i=$((i + 1)); done
    [ -e "$1" ]
}
klog() {  # prefix ERE: our kernel log lines matching
    dmesg | grep -aE "$2" | sed "s/^\[[ 0-9.]*\] //; s/^/$1: log: /" | tail -n 14
}

STEP_TAG=blk-timeout
. /extra/dom0-step.sh

# Runs a command in the background, bounded: RC is its exit code, or
# "hung" when it still runs after SECS (an uninterruptible direct I/O
# cannot be killed: it is left, and said so). Its output goes to OUT.
bounded() {  # secs out command...
    s=$1 o=$2; shift 2
    "$@" > "$o" 2>&1 & bp=$!
    i=0
    while kill -0 $bp 2>/dev/null && [ $i -lt $((s * 5)) ]; do sleep 0.2; i=$((i + 1)); done
    if kill -0 $bp 2>/dev/null; then RC=hung; return 1; fi
    wait $bp; RC=$?
    return $RC
}

t_load() {
    insmod /extra/pvk-xen.ko || return 1
    insmod /extra/pvk-blkfront.ko io_timeout=$IO_TIMEOUT_MS options=persistent=0 || return 1
    wait_for /sys/bus/xen/devices/vbd-51712/driver 50 && wait_for /sys/block/xvda 50 || return 1
    drv=$(basename "$(readlink /sys/bus/xen/devices/vbd-51712/driver)")
    t=$(cat /sys/block/xvda/queue/io_timeout)
    echo "load: vbd-51712 bound to $drv, xvda io_timeout $t ms; modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
    [ "$drv" = pvk-vbd ] && [ "$t" = "$IO_TIMEOUT_MS" ] && ! grep -q '^xen_blkfront ' /proc/modules
}

# xvda (dom0's blkback) still works: 64 KiB written and read back, direct.
XVDA_ROUND=0
t_xvda() {
    XVDA_ROUND=$((XVDA_ROUND + 1))
    head -c 65536 /dev/urandom > /tmp/x
    bounded 20 /tmp/xo dd if=/tmp/x of=/dev/xvda bs=64k seek=$XVDA_ROUND count=1 oflag=direct &&
        bounded 20 /tmp/xo dd if=/dev/xvda of=/tmp/y bs=64k skip=$XVDA_ROUND count=1 iflag=direct
    r=$RC
    a=$(sum < /tmp/x) b=$(sum < /tmp/y 2>/dev/null)
    echo "xvda: round $XVDA_ROUND: 64 KiB written and read back direct (rc $r), sums $a $b"
    [ "$r" = 0 ] && [ "$a" = "$b" ]
}

# The stalled disks: mode vbd disk.
CASES='silent 51728 xvdb
drop-one 51744 xvdc
no-notify 51760 xvdd
slow 51776 xvde
scan 51792 xvdf'

t_disks_up() {
    echo "$CASES" | { ok=0
        while read -r mode vbd disk; do
            if wait_for /sys/block/$disk 100; then
                echo "$mode: $disk up, $(cat /sys/block/$disk/size) sectors, io_timeout $(cat /sys/block/$disk/queue/io_timeout) ms"
            else
                echo "$mode: no $disk after 20 s; xenbus: $(ls /sys/bus/xen/devices/)"
                klog "$mode" "$disk|vbd/$vbd|vbd $vbd"
                ok=1
            fi
        done
        return $ok; }
}

# Each disk, after dom0 closed it: gone, and the kit let its device go.
t_released() {  # vbd disk
    i=0
    while { [ -e /sys/block/$2 ] || ! dmesg | grep -q "$2: released (vbd $1)"; } && [ $i -lt 75 ]; do
        sleep 0.2; i=$((i + 1))
    done
    klog "$2" "$2: (deleted|released|NOT)"
    [ ! -e /sys/block/$2 ] && dmesg | grep -q "$2: released (vbd $1)"
}

# The cases' I/O side by side: each in the background, its output and
# status kept, shown once all ended (each bounds its own waits).
run_bg() {  # name function
    ( "$2" > /tmp/bg-$1.out 2>&1; echo $? > /tmp/bg-$1.rc ) &
}
wait_bg() {  # names...: bounded, 100 s
    i=0
    for b in "$@"; do
        while [ ! -s /tmp/bg-$b.rc ] && [ $i -lt 500 ]; do sleep 0.2; i=$((i + 1)); done
    done
}
bg_result() {  # name
    cat /tmp/bg-$1.out
    [ "$(cat /tmp/bg-$1.rc 2>/dev/null)" = 0 ]
}

broken() {  # disk: the driver gave it up
    dmesg | grep -aqE "$1: .*disk broken"
}

# One 4 KiB direct write at the stall sector, bounded; prints how it ended.
stall_write() {  # mode disk secs
    head -c 4096 /dev/urandom > /tmp/w-$1
    t=$(now)
    bounded $(($3 + 5)) /tmp/wo-$1 timeout "$3" dd if=/tmp/w-$1 of=/dev/$2 bs=4096 seek=$STALL_BLOCK count=1 oflag=direct
    echo "$1: 4 KiB write at sector $((STALL_BLOCK * 8)): rc $RC after $(since "$t") s: $(tr '\n' ' ' < /tmp/wo-$1)"
}
io_error() {  # disk: the kernel failed a request of it with an I/O error
    dmesg | grep -aq "I/O error, dev $1, "
}

t_silent_io() {
    stall_write silent xvdb 40
    klog silent 'xvdb|vbd/51728'
    [ "$RC" != hung ] && [ "$RC" != 0 ] && io_error xvdb
}
t_silent_broken() {
    broken xvdb || return 1
    # Given up: a later read fails at once, it does not wait for a timeout.
    t=$(now)
    bounded 10 /tmp/ro-silent dd if=/dev/xvdb of=/dev/null bs=4096 count=1 iflag=direct
    echo "silent: a later read of sector 0: rc $RC after $(since "$t") s"
    [ "$RC" != hung ] && [ "$RC" != 0 ]
}

t_drop_io() {
    stall_write drop-one xvdc 60
    # A note, not a verdict (the scenario pins the number of timeouts).
    echo "drop-one: note: given up after $(since "$t") s (README: about 3 x io_timeout, $IO_TIMEOUT_MS ms)"
    klog drop-one 'xvdc|vbd/51744'
    [ "$RC" != hung ] && [ "$RC" != 0 ] && io_error xvdc
}

# The scan case: the attach (device_add_disk, its partition scan inside)
# returned, which the driver says once the disk is up, and the disk was
# given up on its own timeouts; a later read fails at once.
t_scan_given_up() {
    i=0
    while ! dmesg | grep -aq 'xvdf: vbd 51792, ' && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
    # The lines that tell (the scan's read errors would crowd them out).
    klog scan 'xvdf: (.*disk broken|vbd 51792, |unable to read partition table)'
    dmesg | grep -aq 'xvdf: vbd 51792, ' && broken xvdf || return 1
    t=$(now)
    bounded 10 /tmp/ro-scan dd if=/dev/xvdf of=/dev/null bs=4096 count=1 iflag=direct
    echo "scan: a read of sector 0 after the give-up: rc $RC after $(since "$t") s"
    [ "$RC" != hung ] && [ "$RC" != 0 ]
}

t_no_notify_io() {
    stall_write no-notify xvdd 40
    [ "$RC" = 0 ] || return 1
    t=$(now)
    bounded 45 /tmp/ro-no-notify timeout 40 dd if=/dev/xvdd of=/tmp/r-no-notify bs=4096 skip=$STALL_BLOCK count=1 iflag=direct
    a=$(sum < /tmp/w-no-notify) b=$(sum < /tmp/r-no-notify 2>/dev/null)
    echo "no-notify: read back: rc $RC after $(since "$t") s; sums $a $b"
    klog no-notify 'xvdd|vbd/51760'
    [ "$RC" = 0 ] && [ "$a" = "$b" ]
}
t_no_notify_polled() {
    polled=$(dmesg | grep -ac 'xvdd: .*completed by polling')
    echo "no-notify: $polled request(s) completed by the timeout's poll"
    [ "$polled" -ge 1 ] && ! broken xvdd
}

SLOW_KIB=256
t_slow_io() {
    echo 4 > /sys/block/xvde/queue/max_sectors_kb || return 1
    head -c $((SLOW_KIB * 1024)) /dev/urandom > /tmp/s
    t=$(now)
    bounded 85 /tmp/so timeout 80 dd if=/tmp/s of=/dev/xvde bs=${SLOW_KIB}k seek=$((STALL_BLOCK * 4 / SLOW_KIB)) count=1 oflag=direct
    echo "slow: $SLOW_KIB KiB write in 4 KiB requests at sector $((STALL_BLOCK * 8)): rc $RC after $(since "$t") s"
    klog slow 'xvde|vbd/51776'
    [ "$RC" = 0 ]
}
t_slow_not_broken() {
    waits=$(dmesg | grep -ac 'xvde: request .*unanswered for')
    echo "slow: $waits request timeout(s) logged (ratelimited), disk broken: $(broken xvde && echo yes || echo no)"
    [ "$waits" -ge 1 ] && ! broken xvde
}
t_slow_data() {
    bounded 35 /tmp/ro-slow timeout 30 dd if=/dev/xvde of=/tmp/r-slow bs=${SLOW_KIB}k skip=$((STALL_BLOCK * 4 / SLOW_KIB)) count=1 iflag=direct
    a=$(sum < /tmp/s) b=$(sum < /tmp/r-slow 2>/dev/null)
    echo "slow: read back rc $RC, sums $a $b"
    [ "$RC" = 0 ] && [ "$a" = "$b" ]
}

t_rmmod() {
    t=$(now)
    bounded 30 /tmp/mo rmmod pvk_blkfront
    echo "rmmod pvk_blkfront: rc $RC after $(since "$t") s $(cat /tmp/mo)"
    [ "$RC" = 0 ] || return 1
    bounded 30 /tmp/mo rmmod pvk_xen
    echo "rmmod pvk_xen: rc $RC $(cat /tmp/mo)"
    [ "$RC" = 0 ] && [ ! -e /sys/block/xvda ]
}
t_dmesg_clean() {
    dmesg | grep -aE 'WARNING|BUG|Oops' | sed 's/^/dmesg: /' | head -n 20
    ! dmesg | grep -aqE 'WARNING|BUG|Oops'
}

echo "blk-timeout: kernel $(uname -r) up"
check load t_load
check xvda t_xvda

if dom0_step attach "vbds 51728, 51744, 51760, 51776, 51792: pvk-hostile-back silent, drop-one, no-notify, slow, silent from sector 0" &&
    check disks-up t_disks_up; then
    check scan-given-up t_scan_given_up
    t=$(now)
    run_bg silent t_silent_io
    run_bg drop-one t_drop_io
    run_bg no-notify t_no_notify_io
    run_bg slow t_slow_io
    wait_bg silent drop-one no-notify slow
    echo "blk-timeout: the four cases' I/O ended after $(since "$t") s"
    check silent-io-error bg_result silent
    check silent-broken t_silent_broken
    check drop-one-io-error bg_result drop-one
    check drop-one-broken broken xvdc
    check no-notify-io bg_result no-notify
    check no-notify-polled t_no_notify_polled
    check slow-io bg_result slow
    check slow-not-broken t_slow_not_broken
    check slow-data t_slow_data
fi
check xvda-after t_xvda
dom0_step close "the five vbds closed by dom0"
t=$(now)
echo "$CASES" | while read -r mode vbd disk; do
    check "$mode-released" t_released "$vbd" "$disk"
done > /tmp/released
cat /tmp/released
echo "blk-timeout: the five disks went in $(since "$t") s"
pass=$((pass + $(grep -c '^PASS' /tmp/released))) fail=$((fail + $(grep -c '^FAIL' /tmp/released)))

check rmmod t_rmmod
dom0_step final "no grant of ours left to dom0"
check dmesg-clean t_dmesg_clean

echo "$pass passed, $fail failed"
sleep 0.5
if [ $fail -eq 0 ]; then poweroff -f; fi
echo c > /proc/sysrq-trigger
