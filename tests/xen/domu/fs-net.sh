# tests/xen/domu/fs-net.sh - the file-system and network checks of a Linux
# PV domU (scenarios linux-pvk-modules and linux-fs-net), sourced by
# domu/init with pvkdomu.mode=fs-net (it uses init's check() and counters).
# Its first check loads the frontends (init's load_frontends): ours with
# pvkdomu.drivers=pvk and not Linux's xen-blkfront/xen-netfront, else
# Linux's: the same checks either way, so a failure can be told apart as
# ours or the harness's.
#
# The disk: one partition (busybox fdisk), ext4 by Debian's mke2fs, files
# of varied sizes and random content, their sha256 printed ("fs-sum SHA
# PATH" lines, which dom0 checks against the image later), unmount, mount
# again with the caches dropped, sums checked, unmount, e2fsck -f -n. The
# network: 10.0.0.2/24, ping dom0, then a TCP round trip with Debian's
# netcat: dom0 fetches NET_BYTES random bytes from port 5001 and sends what
# it got back to port 5002 (ON_LINE rule on "fs-net: ready for tcp");
# both sides print the sha256, the guest compares the round trip, dom0 the
# way out. Then the devices are unbound from the frontends and the
# frontends' modules removed (rmmod must succeed). Last, dom0's checks of the disk image
# and of the grants (tests/xen/dom0/check-fs-net, ON_LINE rule on
# "fs-net: ready for dom0 checks") come back typed on this console as
# "dom0-check PASS|FAIL NAME: DETAIL" lines, ended by "dom0-checks-done";
# each becomes a PASS/FAIL line of this guest, so the closing "N passed,
# N failed" counts them too.

export PATH=/bin:/sbin
# Debian's, not busybox's applets of the same name.
MKE2FS=/sbin/mke2fs E2FSCK=/sbin/e2fsck NC=/bin/nc.openbsd
NET_BYTES=$((4 * 1024 * 1024))
FS_OK=no NET_OK=no

# An uptime stamp, for the durations printed (never judged).
now() { cut -d' ' -f1 /proc/uptime; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b - a}'; }

t_drivers() {
    while read -r m; do insmod "$m" || return 1; done < /modules-fs.list
    load_frontends || return 1
    want_vbd=vbd want_vif=vif
    [ "$DRIVERS" = linux ] || want_vbd=pvk-vbd want_vif=pvk-vif
    wait_for /sys/bus/xen/devices/vbd-51712/driver 50 &&
        wait_for /sys/bus/xen/devices/vif-0/driver 50 || {
        echo "devices: $(ls /sys/bus/xen/devices/)"; return 1; }
    vbd=$(basename "$(readlink /sys/bus/xen/devices/vbd-51712/driver)")
    vif=$(basename "$(readlink /sys/bus/xen/devices/vif-0/driver)")
    echo "drivers: vbd-51712 bound to $vbd, vif-0 bound to $vif;" \
        "modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
    [ "$vbd" = "$want_vbd" ] && [ "$vif" = "$want_vif" ] || return 1
    # Ours must be alone on the devices: Linux's frontends not even loaded.
    if [ "$DRIVERS" = pvk ] && grep -Eq '^xen_(blk|net)front ' /proc/modules; then
        echo "a Linux frontend is loaded next to ours"; return 1
    fi
}

t_partition() {
    wait_for /dev/xvda 50 || return 1
    # One primary partition from sector 2048 to the end (o: new table).
    printf 'o\nn\np\n1\n2048\n\nw\n' | fdisk /dev/xvda >/tmp/fdisk.log 2>&1
    wait_for /dev/xvda1 50 || { cat /tmp/fdisk.log; return 1; }
    echo "partition: xvda1 start=$(cat /sys/block/xvda/xvda1/start)" \
        "sectors=$(cat /sys/block/xvda/xvda1/size) of $(cat /sys/block/xvda/size)"
    [ "$(cat /sys/block/xvda/xvda1/start)" = 2048 ]
}

t_mkfs() {
    t=$(now)
    $MKE2FS -q -t ext4 -L pvk-e2e /dev/xvda1 || return 1
    echo "mkfs: ext4 on xvda1 in $(since "$t") s"
}

# Files of varied sizes (empty, sub-sector, around a page, over a block
# group's worth of one extent...), random bytes, one of them two
# directories deep; about 4.5 MiB in all.
FILE_SIZES="0 1 511 4095 4096 4097 65537 300000 1048576 3000001"
t_fs_write() {
    mkdir -p /mnt && mount -t ext4 /dev/xvda1 /mnt || return 1
    mkdir -p /mnt/d1/d2 || return 1
    i=0
    for sz in $FILE_SIZES; do
        f=/mnt/f$i.bin; [ $i -ne 9 ] || f=/mnt/d1/d2/f$i.bin
        head -c "$sz" /dev/urandom > "$f" || return 1
        i=$((i + 1))
    done
    sync
    (cd /mnt && find . -type f | sort | xargs sha256sum) > /tmp/sums || return 1
    sed 's/^\([0-9a-f]*\)  \.\(.*\)$/fs-sum \1 \2/' /tmp/sums
    echo "fs-files $(wc -l < /tmp/sums) bytes $(cat /mnt/f*.bin /mnt/d1/d2/* | wc -c)"
    umount /mnt
}

t_fs_reread() {
    # Nothing of the file system may come from memory: the reads go
    # through the block frontend.
    blockdev --flushbufs /dev/xvda1; echo 3 > /proc/sys/vm/drop_caches
    mount -t ext4 /dev/xvda1 /mnt || return 1
    (cd /mnt && sha256sum -c /tmp/sums) > /tmp/sums.check 2>&1; rc=$?
    grep -v ': OK$' /tmp/sums.check
    echo "fs-reread: $(grep -c ': OK$' /tmp/sums.check) of $(wc -l < /tmp/sums) files match"
    umount /mnt || return 1
    return $rc
}

t_fsck() {
    $E2FSCK -f -n /dev/xvda1
}

t_ping() {
    wait_for /sys/class/net/eth0 50 || return 1
    ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0 || return 1
    ping -c 3 -i 0.2 -W 5 10.0.0.1
}

# TCP both ways, both ends bounded: dom0 connects to 5001 and reads what
# nc serves (it half-closes at the end of the file), then sends it back
# to 5002.
t_tcp() {
    head -c $NET_BYTES /dev/urandom > /tmp/net-tx
    sum_tx=$(sha256sum < /tmp/net-tx | cut -d' ' -f1)
    echo "net-tx bytes $NET_BYTES sha256 $sum_tx"
    timeout 90 $NC -l -N -p 5001 < /tmp/net-tx > /dev/null & out=$!
    timeout 90 $NC -l -d -p 5002 > /tmp/net-rx & back=$!
    sleep 0.5
    t=$(now)
    echo "fs-net: ready for tcp (dom0: fetch from 10.0.0.2:5001, send back to 5002)"
    wait $out; rc_out=$?
    wait $back; rc_back=$?
    sum_rx=$(sha256sum < /tmp/net-rx | cut -d' ' -f1)
    echo "net-rx bytes $(wc -c < /tmp/net-rx) sha256 $sum_rx" \
        "(nc out $rc_out, back $rc_back; $(since "$t") s both ways)"
    [ $rc_out -eq 0 ] && [ $rc_back -eq 0 ] && [ "$sum_rx" = "$sum_tx" ]
}

# Ours only: each event channel's irq is named after its device and queue
# (README, distribution maintainers), the names a benchmark counts by.
t_irq_names() {
    grep -E ' pvk' /proc/interrupts | sed 's/  */ /g; s/^/irq: /'
    grep -Eq ' pvk-vbd-51712-q0$' /proc/interrupts &&
        grep -Eq ' pvk-vif0-q0(-tx|-rx)?$' /proc/interrupts &&
        ! grep -Eq ' pvk(it|-vbd-51712|-vif0)?$' /proc/interrupts
}

t_rmmod() {
    ip link set eth0 down 2>/dev/null
    if [ "$DRIVERS" = pvk ]; then
        # Ours close their devices with the backends (bounded) and unbind
        # them on unload: rmmod alone must do it.
        mods="pvk_netfront pvk_blkfront pvk_xen"
    else
        # Linux's xenbus holds a reference on a frontend's module while one
        # of its devices is bound: unbind them first (the driver's remove,
        # which closes the device and ends its grants), then unload.
        for d in vif-0 vbd-51712; do
            drv=$(basename "$(readlink "/sys/bus/xen/devices/$d/driver")")
            echo "$d" > "/sys/bus/xen/drivers/$drv/unbind" || { echo "unbind $d from $drv failed"; return 1; }
        done
        mods="xen_netfront xen_blkfront"
    fi
    for m in $mods; do
        rmmod "$m" || { echo "rmmod $m failed (refcnt $(cat /sys/module/$m/refcnt 2>/dev/null)," \
                        "holders: $(ls /sys/module/$m/holders 2>/dev/null | tr '\n' ' '))"; return 1; }
    done
    echo "rmmod: $mods unloaded; left: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"
    # What our modules said on the way out (the kit's log; not judged
    # here: dom0 checks the grants itself).
    [ "$DRIVERS" = linux ] && return 0
    dmesg | grep -i pvk | tail -n 12 | sed 's/^/rmmod: log: /'
    # An unbind is no backend restart: the driver must not go Initialising
    # again on its way out (the backend would wait for a reconnect).
    nrec=$(dmesg | grep -c "still online: reconnecting")
    echo "rmmod: reconnects attempted while unloading: $nrec"
    [ "$nrec" -eq 0 ]
}

# Ours only: loaded again after the rmmod, the same devices must connect
# again (Linux left them Closed with their backends) and work: a file
# written before is read back through the disk (mounted read-only: dom0
# checks the image later), and dom0 answers pings. rmmod-again follows.
t_reload() {
    t=$(now)
    load_frontends || return 1
    if ! wait_for /dev/xvda1 50 || ! wait_for /sys/class/net/eth0 50; then
        echo "reload: no xvda1 or eth0 after $(since "$t") s; $(ls /dev | grep xvd | tr '\n' ' ')"
        dmesg | grep -i pvk | tail -n 20 | sed 's/^/reload: log: /'
        return 1
    fi
    echo "reload: xvda1 and eth0 back in $(since "$t") s"
    dmesg | grep -E 'starting over|after our (Closed|Initialising)' | sed 's/^/reload: log: /'
    f=/d1/d2/f9.bin
    want=$(awk -v p=".$f" '$2 == p {print $1}' /tmp/sums)
    mount -t ext4 -o ro /dev/xvda1 /mnt || return 1
    got=$(sha256sum < "/mnt$f" | cut -d' ' -f1)
    umount /mnt || return 1
    echo "reload: $f sha256 $got (written before: $want)"
    [ -n "$want" ] && [ "$got" = "$want" ] || return 1
    ip link set eth0 up && ip addr add 10.0.0.2/24 dev eth0 || return 1
    ping -c 3 -i 0.2 -W 5 10.0.0.1
}

# dom0's verdicts, typed on this console: read with echo off (so a typed
# line is never shown as if this guest had printed it), bounded.
dom0_checks() {
    stty -echo 2>/dev/null
    echo "fs-net: ready for dom0 checks (domain disk image, grants)"
    got=0
    while IFS= read -r -t 60 l; do
        l=$(printf '%s' "$l" | tr -d '\r')
        case "$l" in
            "dom0-check PASS "*) echo "PASS dom0-${l#dom0-check PASS }"; pass=$((pass + 1)); got=$((got + 1)) ;;
            "dom0-check FAIL "*) echo "FAIL dom0-${l#dom0-check FAIL }"; fail=$((fail + 1)); got=$((got + 1)) ;;
            dom0-checks-done) break ;;
        esac
    done
    stty echo 2>/dev/null
    [ $got -gt 0 ] || { echo "FAIL dom0-checks: no verdict from dom0 within 60 s"; fail=$((fail + 1)); }
}

echo "fs-net: drivers=$DRIVERS"
check drivers t_drivers
check partition t_partition
check mkfs t_mkfs
check fs-write t_fs_write
check fs-reread t_fs_reread
check fsck t_fsck
check ping t_ping
check tcp t_tcp
[ "$DRIVERS" = linux ] || check irq-names t_irq_names
check rmmod t_rmmod
if [ "$DRIVERS" = pvk ]; then
    check reload t_reload
    check rmmod-again t_rmmod
fi
dom0_checks
