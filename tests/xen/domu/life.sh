# tests/xen/domu/life.sh - our Linux modules (pvk-xen, pvk-blkfront,
# pvk-netfront) through the life of their devices in a 2-vCPU Linux PV
# domU (scenario linux-pvk-modules-life), sourced by domu/init with
# pvkdomu.mode=life (it uses init's check(), wait_for() and counters).
# In one boot: I/O from both vCPUs on the disk's two queues; a second disk
# hot-attached, written (dom0 checks the file), detached unmounted (gone,
# no grant of it left, dom0 checks) and attached again (the data is
# there); the vif detached while up and a new one attached (a new ethN,
# TCP both ways); pvk-netfront unloaded under a TCP stream; pvk-blkfront's
# unload refused while direct writes from both vCPUs are in flight (an
# open disk holds the module), then done right after buffered writes
# (written back by their last close); the options= parameter refused
# when bad, and taking effect when good (dom0 sees one queue and one ring
# page in xenstore); the writes read back; everything unloaded, dom0 finds
# no grant left; no WARNING, BUG or Oops in the kernel log.
#
# dom0's part of each step (tests/xen/dom0/check-life) starts on a
# "life: ready for STEP: ..." line (an ON_LINE rule); dom0 types its
# results on this console ("dom0-check PASS|FAIL NAME: DETAIL", then
# "dom0-done STEP"), read here with echo off and counted as this guest's
# own PASS/FAIL lines; the guest goes on once dom0 is done (dom0_step(),
# domu/dom0-step.sh, appended by the scenario's RAMDISK_EXTRA).

export PATH=/bin:/sbin
NC=/bin/nc.openbsd
# Nothing typed by dom0 may show as if this guest printed it.
stty -echo 2>/dev/null

now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }
sum() { sha256sum | cut -d' ' -f1; }

STEP_TAG=life
. /extra/dom0-step.sh

# An irq's count summed over the CPUs, by its name (0: none).
irq_count() {
    awk -v n="$1" '$NF == n { s = 0; for (i = 2; i <= NF; i++) if ($i ~ /^[0-9]+$/) s += $i; else break; print s; f = 1 }
                   END { if (!f) print 0 }' /proc/interrupts
}
# Bounded rmmod: a hang is a failure with the log, not a stuck scenario
# (the module then stays; the next checks say so).
rmmod_bounded() {  # module
    rmmod "$1" & p=$!
    i=0
    while kill -0 $p 2>/dev/null && [ $i -lt 150 ]; do sleep 0.2; i=$((i + 1)); done
    if kill -0 $p 2>/dev/null; then
        echo "rmmod $1: still running after 30 s"
        dmesg | tail -n 20 | sed 's/^/rmmod: log: /'
        return 1
    fi
    wait $p
}
pvk_log() {  # prefix pattern: our modules' kernel log lines matching
    dmesg | grep -aE "$2" | sed "s/^\[[ 0-9.]*\] //; s/^/$1: log: /" | tail -n 12
}

t_drivers() {
    load_frontends || return 1
    wait_for /sys/bus/xen/devices/vbd-51712/driver 50 &&
        wait_for /sys/bus/xen/devices/vif-0/driver 50 || return 1
    vbd=$(basename "$(readlink /sys/bus/xen/devices/vbd-51712/driver)")
    vif=$(basename "$(readlink /sys/bus/xen/devices/vif-0/driver)")
    echo "drivers: vbd-51712 bound to $vbd, vif-0 bound to $vif; CPUs online $(cat /sys/devices/system/cpu/online)"
    [ "$vbd" = pvk-vbd ] && [ "$vif" = pvk-vif ] &&
        [ "$(cat /sys/devices/system/cpu/online)" = 0-1 ] &&
        ! grep -Eq '^xen_(blk|net)front ' /proc/modules
}

# Two vCPUs: each queue of the disk and the vif has its irq, named.
t_queue_irqs() {
    wait_for /dev/xvda 50 || return 1
    grep -E ' pvk' /proc/interrupts | sed 's/  */ /g; s/^/irq: /'
    for irqn in pvk-vbd-51712-q0 pvk-vbd-51712-q1; do
        grep -Eq " $irqn\$" /proc/interrupts || { echo "no irq $irqn"; return 1; }
    done
    grep -Eq ' pvk-vif0-q0(-tx|-rx)?$' /proc/interrupts &&
        grep -Eq ' pvk-vif0-q1(-tx|-rx)?$' /proc/interrupts
}

# A writer pinned to each vCPU, O_DIRECT (so each request is issued on its
# writer's CPU and blk-mq sends it down that CPU's queue), 2 MiB each at
# their own offsets of xvda (0 and 8 MiB); each queue's irq must count
# answers; read back and compared.
t_two_cpus() {
    head -c 2097152 /dev/urandom > /tmp/w0 && head -c 2097152 /dev/urandom > /tmp/w1 || return 1
    a0=$(irq_count pvk-vbd-51712-q0) a1=$(irq_count pvk-vbd-51712-q1)
    t=$(now)
    taskset -c 0 dd if=/tmp/w0 of=/dev/xvda bs=64k oflag=direct conv=fsync 2>/dev/null & p0=$!
    taskset -c 1 dd if=/tmp/w1 of=/dev/xvda bs=64k seek=128 oflag=direct conv=fsync 2>/dev/null & p1=$!
    wait $p0; r0=$?; wait $p1; r1=$?
    b0=$(irq_count pvk-vbd-51712-q0) b1=$(irq_count pvk-vbd-51712-q1)
    echo "two-cpus: 2 x 2 MiB O_DIRECT writers on CPUs 0 and 1 in $(since "$t") s (dd $r0 $r1);" \
        "irqs q0 +$((b0 - a0)), q1 +$((b1 - a1))"
    grep -E ' pvk-vbd' /proc/interrupts | sed 's/  */ /g; s/^/two-cpus: irq /'
    s0=$(dd if=/dev/xvda bs=64k count=32 iflag=direct 2>/dev/null | sum)
    s1=$(dd if=/dev/xvda bs=64k skip=128 count=32 iflag=direct 2>/dev/null | sum)
    w0=$(sum < /tmp/w0) w1=$(sum < /tmp/w1)
    echo "two-cpus: read back $s0 $s1, written $w0 $w1"
    rm -f /tmp/w0 /tmp/w1
    [ $r0 -eq 0 ] && [ $r1 -eq 0 ] && [ $((b0 - a0)) -gt 0 ] && [ $((b1 - a1)) -gt 0 ] &&
        [ "$s0" = "$w0" ] && [ "$s1" = "$w1" ]
}

# xvdb (vbd 51728) hot-attached: our driver binds it, 2 MiB written and
# read back; dom0 checks the file next.
XVDB_MIB=2
t_xvdb_write() {
    wait_for /dev/xvdb 50 || { echo "no xvdb; $(ls /sys/bus/xen/devices/)"; return 1; }
    drv=$(basename "$(readlink /sys/bus/xen/devices/vbd-51728/driver)")
    head -c $((XVDB_MIB * 1048576)) /dev/urandom > /tmp/b
    want=$(sum < /tmp/b) XVDB_SUM=$want
    dd if=/tmp/b of=/dev/xvdb bs=1M oflag=direct conv=fsync 2>/dev/null || return 1
    got=$(dd if=/dev/xvdb bs=1M count=$XVDB_MIB iflag=direct 2>/dev/null | sum)
    rm -f /tmp/b
    echo "xvdb-sum $want $XVDB_MIB"
    echo "xvdb: bound to $drv, $(cat /sys/block/xvdb/size) sectors; read back $got"
    [ "$drv" = pvk-vbd ] && [ "$got" = "$want" ]
}

# After xl block-detach (not mounted): the disk and its xenbus device are
# gone and our driver released the kit's device (it does only once the
# backend maps nothing of it).
t_xvdb_gone() {
    i=0
    while { [ -e /sys/block/xvdb ] || [ -e /sys/bus/xen/devices/vbd-51728 ] ||
            ! dmesg | grep -q 'xvdb: released (vbd 51728)'; } && [ $i -lt 75 ]; do
        sleep 0.2; i=$((i + 1))
    done
    pvk_log xvdb-gone 'xvdb|vbd/51728|vbd 51728'
    [ ! -e /sys/block/xvdb ] && [ ! -e /dev/xvdb ] && [ ! -e /sys/bus/xen/devices/vbd-51728 ] &&
        dmesg | grep -q 'xvdb: released (vbd 51728)'
}

# Attached again: the same file, so what was written is read back.
t_xvdb_again() {
    wait_for /dev/xvdb 50 || return 1
    got=$(dd if=/dev/xvdb bs=1M count=$XVDB_MIB iflag=direct 2>/dev/null | sum)
    echo "xvdb-again: bound to $(basename "$(readlink /sys/bus/xen/devices/vbd-51728/driver)"); first $XVDB_MIB MiB $got, written before $XVDB_SUM"
    [ "$got" = "$XVDB_SUM" ]
}

t_ping() {  # iface
    ip link set "$1" up && ip addr add 10.0.0.2/24 dev "$1" || return 1
    ping -c 3 -i 0.2 -W 5 10.0.0.1 < /dev/null
}

ifindexes() { cat /sys/class/net/eth*/ifindex 2>/dev/null | sort -n | tr '\n' ' '; }

# xl network-detach of vif 0 while it is up with an address, dom0 holding
# one of its ring pages until the guest's first release was refused (its
# net-detach step): the xenbus device goes, eth0 with it (the removed
# hook), and the kit's device is released by a later try once dom0 let
# go (pvk-netfront's release work tries again with a back-off): "detached
# ... (released at try N)" with N > 1, the refusal logged once.
t_vif_gone() {
    # 20 s: the tries at 0, 1, 3, 7 and 15 s after the removal.
    end=$(($(cut -d. -f1 /proc/uptime) + 20))
    while { [ -e /sys/bus/xen/devices/vif-0 ] ||
            ! dmesg | grep -q 'pvk-netfront: vif 0: detached'; } &&
          [ "$(cut -d. -f1 /proc/uptime)" -lt $end ]; do
        sleep 0.5
    done
    pvk_log vif-gone 'vif/0|vif0|vif 0|eth0'
    echo "vif-gone: xen devices $(ls /sys/bus/xen/devices/ | tr '\n' ' '); interfaces $(ls /sys/class/net | tr '\n' ' ')"
    if [ -e /sys/class/net/eth0 ]; then
        ip addr flush dev eth0; ip link set eth0 down
    fi
    tries=$(dmesg | sed -n 's/.*pvk-netfront: vif 0: detached, its net_device freed (released at try \([0-9]*\)).*/\1/p' | tail -n 1)
    refusals=$(dmesg | grep -c 'pvk-netfront: vif 0: the kit refuses to release it')
    echo "vif-gone: released at try ${tries:-none}; refusals logged: $refusals"
    [ ! -e /sys/bus/xen/devices/vif-0 ] && [ -n "$tries" ] && [ "$tries" -gt 1 ] && [ "$refusals" = 1 ]
}

# xl network-attach: a new vif bound to our driver and a new ethN
# (an ifindex not seen before) that pings dom0.
t_new_eth() {
    i=0 NEW=
    while [ -z "$NEW" ] && [ $i -lt 75 ]; do
        for f in /sys/class/net/eth*/ifindex; do
            [ -e "$f" ] || continue
            case " $OLD_IFINDEXES " in *" $(cat "$f") "*) continue ;; esac
            NEW=$(basename "$(dirname "$f")")
        done
        [ -n "$NEW" ] || { sleep 0.2; i=$((i + 1)); }
    done
    vif=$(cd /sys/bus/xen/devices && ls -d vif-* 2>/dev/null | tr '\n' ' ')
    drv=
    for v in $vif; do drv="$drv $v:$(basename "$(readlink /sys/bus/xen/devices/$v/driver)")"; done
    echo "new-eth: ${NEW:-none} (interfaces before: ifindex $OLD_IFINDEXES); vifs:$drv"
    [ -n "$NEW" ] || return 1
    case "$drv" in *:pvk-vif*) ;; *) return 1 ;; esac
    t_ping "$NEW"
}

# TCP both ways over the new ethN (dom0's check-fs-net tcp: it fetches
# 1 MiB from 5001 and sends them back to 5002), compared end to end
# (linux-pvk-modules carries 4 MiB; this is the new ethN's turn).
t_tcp() {
    head -c 1048576 /dev/urandom > /tmp/net-tx
    sum_tx=$(sum < /tmp/net-tx)
    timeout 60 $NC -l -N -p 5001 < /tmp/net-tx > /dev/null & out=$!
    timeout 60 $NC -l -d -p 5002 > /tmp/net-rx & back=$!
    sleep 0.5
    t=$(now)
    echo "life: ready for tcp: dom0 fetches 1 MiB from 10.0.0.2:5001 and sends them back to 5002"
    wait $out; rc_out=$?
    wait $back; rc_back=$?
    sum_rx=$(sum < /tmp/net-rx)
    echo "tcp: $NEW sent $sum_tx, got back $(wc -c < /tmp/net-rx) bytes $sum_rx (nc $rc_out $rc_back) in $(since "$t") s"
    rm -f /tmp/net-tx /tmp/net-rx
    [ $rc_out -eq 0 ] && [ $rc_back -eq 0 ] && [ "$sum_rx" = "$sum_tx" ]
}

# pvk-netfront unloaded while $NEW is up and dom0 reads a TCP stream from
# it: the stream must be moving first (1 MiB more sent, waited for at
# most 10 s); rmmod must end (bounded), the interface and the driver go.
t_rmmod_net_busy() {
    head -c 2000000000 /dev/zero | timeout 60 $NC -l -p 5005 > /dev/null 2>&1 & STREAM=$!
    sleep 0.5
    dom0_step net-stream "dom0 reads a TCP stream from 10.0.0.2:5005" || return 1
    tx=/sys/class/net/$NEW/statistics/tx_bytes
    a=$(cat $tx) b=$(cat $tx) i=0 t=$(now)
    while [ $((b - a)) -lt 1048576 ] && [ $i -lt 50 ]; do sleep 0.2; b=$(cat $tx); i=$((i + 1)); done
    echo "rmmod-net-busy: $NEW sent $(((b - a) / 1024)) KiB in $(since "$t") s; unloading pvk-netfront"
    [ $((b - a)) -ge 1048576 ] || { echo "the stream is not moving"; return 1; }
    t=$(now)
    rmmod_bounded pvk_netfront; rc=$?
    echo "rmmod-net-busy: rmmod pvk_netfront status $rc in $(since "$t") s; interfaces $(ls /sys/class/net | tr '\n' ' ')"
    kill $STREAM 2>/dev/null
    pvk_log rmmod-net-busy 'pvk-netfront|netfront|vif'
    [ $rc -eq 0 ] && [ ! -e /sys/module/pvk_netfront ] && [ ! -e "/sys/class/net/$NEW" ]
}

# Requests of both disks in flight now ("reads writes" of each disk's
# inflight, summed): what the block layer has sent to the driver and not
# had answered.
inflight() {
    cat /sys/block/xvda/inflight /sys/block/xvdb/inflight 2>/dev/null |
        awk '{ n += $1 + $2 } END { print n + 0 }'
}

# rmmod pvk_blkfront while writes are in flight: direct writers on each
# vCPU, 4 MiB in 4 KiB requests to each disk (xvda at 40 MiB, xvdb at
# 16 MiB); once a request is seen in flight (polled, 10 s at most) the
# unload is tried. A disk open for I/O holds the module (the block layer
# takes a reference at the open), so Linux refuses it at once: the module
# and both disks stay, the writers were still running after the refusal,
# and their writes end well and read back ("heavy-sum" lines: dom0
# checks the images too). The unload with I/O in flight is never reached:
# this is why.
t_rmmod_blk_busy() {
    head -c 4194304 /dev/urandom > /tmp/h0 && head -c 4194304 /dev/urandom > /tmp/h1 || return 1
    B0=$(sum < /tmp/h0) B1=$(sum < /tmp/h1)
    taskset -c 0 dd if=/tmp/h0 of=/dev/xvda bs=4k seek=10240 oflag=direct 2>/dev/null & p0=$!
    taskset -c 1 dd if=/tmp/h1 of=/dev/xvdb bs=4k seek=4096 oflag=direct 2>/dev/null & p1=$!
    i=0 seen=0
    while [ $i -lt 500 ] && kill -0 $p0 2>/dev/null; do
        seen=$(inflight)
        [ "$seen" -gt 0 ] && break
        sleep 0.02; i=$((i + 1))
    done
    refs=$(cat /sys/module/pvk_blkfront/refcnt)
    rmmod pvk_blkfront 2>/tmp/rmmod-err; rc=$?
    after=$(inflight)
    kill -0 $p0 2>/dev/null && kill -0 $p1 2>/dev/null && running=both || running="not both"
    state=$(cat /sys/module/pvk_blkfront/initstate 2>/dev/null)
    echo "rmmod-blk-busy: requests in flight before the rmmod $seen (module refcnt $refs), after it $after;" \
        "rmmod status $rc ($(tr '\n' ' ' < /tmp/rmmod-err)); writers running after it: $running; module ${state:-gone}"
    wait $p0; r0=$?; wait $p1; r1=$?
    s0=$(dd if=/dev/xvda bs=4k skip=10240 count=1024 iflag=direct 2>/dev/null | sum)
    s1=$(dd if=/dev/xvdb bs=4k skip=4096 count=1024 iflag=direct 2>/dev/null | sum)
    rm -f /tmp/h0 /tmp/h1 /tmp/rmmod-err
    echo "heavy-sum xvda 40 4 $B0"
    echo "heavy-sum xvdb 16 4 $B1"
    echo "rmmod-blk-busy: writers dd $r0 $r1; read back $s0 $s1, written $B0 $B1"
    [ "$seen" -gt 0 ] && [ $rc -ne 0 ] && [ "$running" = both ] && [ "$state" = live ] &&
        [ -e /sys/block/xvda ] && [ -e /sys/block/xvdb ] &&
        [ $r0 -eq 0 ] && [ $r1 -eq 0 ] && [ "$s0" = "$B0" ] && [ "$s1" = "$B1" ]
}

# pvk-blkfront unloaded right after buffered writes (one writer per vCPU,
# 2 MiB to each disk). The writers' dirty pages are written back by the
# disk's last close (dd's), before the rmmod starts: no request is in
# flight then (checked), and the unload must delete and release both
# disks. The sums go to dom0 ("heavy-sum DEV MIB_OFFSET MIB SHA") and are
# read back after the reload.
t_rmmod_blk_after_writes() {
    head -c 2097152 /dev/urandom > /tmp/h0 && head -c 2097152 /dev/urandom > /tmp/h1 || return 1
    H0=$(sum < /tmp/h0) H1=$(sum < /tmp/h1)
    t=$(now)
    taskset -c 0 dd if=/tmp/h0 of=/dev/xvda bs=1M seek=32 2>/dev/null & p0=$!
    taskset -c 1 dd if=/tmp/h1 of=/dev/xvdb bs=1M seek=8 2>/dev/null & p1=$!
    wait $p0; r0=$?; wait $p1; r1=$?
    rm -f /tmp/h0 /tmp/h1
    echo "heavy-sum xvda 32 2 $H0"
    echo "heavy-sum xvdb 8 2 $H1"
    logged=$(dmesg | wc -l)
    at=$(inflight)
    echo "rmmod-blk-after-writes: at the rmmod: requests in flight $at;" \
        "$(grep -E '^(Dirty|Writeback):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
    rmmod_bounded pvk_blkfront; rc=$?
    released=$(dmesg | tail -n +$((logged + 1)) | grep -cE 'xvd[ab]: released \(vbd 517(12|28)\)')
    echo "rmmod-blk-after-writes: writers (dd $r0 $r1) and rmmod pvk_blkfront (status $rc) in $(since "$t") s;" \
        "disks left: $(ls /sys/block | grep xvd | tr '\n' ' ')"
    pvk_log rmmod-blk-after-writes 'deleted; it sent|released|NOT released'
    echo "rmmod-blk-after-writes: disks released by the unload: $released of 2"
    [ $r0 -eq 0 ] && [ $r1 -eq 0 ] && [ "$at" = 0 ] && [ $rc -eq 0 ] &&
        [ ! -e /sys/module/pvk_blkfront ] && [ "$released" = 2 ]
}

# options= refused when bad, loudly: the load fails and the log names it.
t_options_bad() {
    ok=0
    for o in queues=0 nosuch=1; do
        if insmod /extra/pvk-blkfront.ko options=$o 2>/dev/null; then
            echo "options-bad: options=$o was taken"; rmmod_bounded pvk_blkfront; ok=1; continue
        fi
        l=$(dmesg | grep -a "pvk-blkfront: option \"$o\" refused" | tail -n 1 | sed 's/^\[[ 0-9.]*\] //')
        echo "options-bad: options=$o: load refused; log: ${l:-nothing}"
        [ -n "$l" ] || ok=1
    done
    return $ok
}

# options= taking effect: one queue (2 without it), one ring page; both
# disks back, the heavy writes read back through them.
t_options() {
    insmod /extra/pvk-blkfront.ko options=queues=1,ring_order=0 || return 1
    wait_for /dev/xvda 50 && wait_for /dev/xvdb 50 || return 1
    echo "options: parameter $(cat /sys/module/pvk_blkfront/parameters/options)"
    grep -E ' pvk-vbd' /proc/interrupts | sed 's/  */ /g; s/^/options: irq /'
    pvk_log options 'ring pages|queues'
    a=$(dd if=/dev/xvda bs=1M skip=32 count=2 iflag=direct 2>/dev/null | sum)
    b=$(dd if=/dev/xvdb bs=1M skip=8 count=2 iflag=direct 2>/dev/null | sum)
    echo "options: heavy writes read back: xvda $a (wrote $H0), xvdb $b (wrote $H1)"
    grep -Eq ' pvk-vbd-51712-q0$' /proc/interrupts && ! grep -Eq ' pvk-vbd-51712-q1$' /proc/interrupts &&
        [ "$a" = "$H0" ] && [ "$b" = "$H1" ]
}

t_rmmod_all() {
    for m in pvk_blkfront pvk_xen; do
        rmmod_bounded $m || { echo "rmmod $m failed"; return 1; }
    done
    echo "rmmod: left $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
    nrec=$(dmesg | grep -c "still online: reconnecting")
    echo "rmmod: reconnects attempted while unloading: $nrec"
    [ "$nrec" -eq 0 ] && ! grep -q '^pvk' /proc/modules
}

# The whole boot's kernel log: a WARN, BUG or Oops anywhere fails.
t_dmesg_clean() {
    nbad=$(dmesg | grep -acE 'WARNING|BUG|Oops')
    dmesg | grep -aE -B2 -A12 'WARNING|BUG|Oops' | head -n 60 | sed 's/^/dmesg: /'
    echo "dmesg: $nbad lines with WARNING, BUG or Oops"
    [ "$nbad" -eq 0 ]
}

echo "life: drivers=$DRIVERS"
check drivers t_drivers
check queue-irqs t_queue_irqs
dom0_step queues-default "xvda's and vif 0's keys, default options"
check two-cpus t_two_cpus
dom0_step block-attach "xl block-attach xvdb"
check xvdb-write t_xvdb_write
dom0_step xvdb-image "xvdb's file and its grants"
dom0_step block-detach "xl block-detach xvdb, not mounted"
check xvdb-gone t_xvdb_gone
dom0_step block-attach-again "xl block-attach xvdb again"
check xvdb-again t_xvdb_again
check ping t_ping eth0
OLD_IFINDEXES=$(ifindexes)
dom0_step net-detach "xl network-detach vif 0, eth0 up"
check vif-gone t_vif_gone
dom0_step net-attach "xl network-attach a new vif"
check new-eth t_new_eth
check tcp t_tcp
check rmmod-net-busy t_rmmod_net_busy
check rmmod-blk-busy t_rmmod_blk_busy
check rmmod-blk-after-writes t_rmmod_blk_after_writes
check options-bad t_options_bad
check options t_options
dom0_step queues-options "xvda's keys with options=queues=1,ring_order=0"
check rmmod-all t_rmmod_all
dom0_step final "the images' last writes, no grant left"
check dmesg-clean t_dmesg_clean
stty echo 2>/dev/null
