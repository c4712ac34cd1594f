#!/bin/sh
# tests/xen/mkinitramfs.sh - owns the cpio archives booted by the e2e harness.
#   mkinitramfs.sh base   -> build/xen-cache/dom0-base.cpio  (Xen tools, libs,
#                            busybox, dom0 modules, kernel for Linux domUs)
#   mkinitramfs.sh domu   -> build/xen-cache/domu-initrd.cpio (busybox +
#                            netfront/blkfront + tests/xen/domu/init +
#                            the block benchmark tests/xen/domu/blkbench.c,
#                            the network one tests/xen/domu/netbench.c,
#                            the CPU/memory one tests/xen/domu/cpubench.c,
#                            tests/xen/domu/fs-net.sh with ext4's modules,
#                            tests/xen/domu/life.sh,
#                            Debian's mke2fs/e2fsck and nc.openbsd)
# Both are cached and rebuilt only when their inputs change. The per-run cpio
# (scripts, scenarios, guest images) is made by e2e.sh and appended to the
# base: Linux unpacks concatenated newc archives in order.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/tests/xen
CACHE=${PVK_XEN_CACHE:-$ROOT/build/xen-cache}
TREE=$CACHE/root
KVER=$(cd "$TREE/lib/modules" && ls | head -n1)
MODDIR=$TREE/lib/modules/$KVER

die() { echo "mkinitramfs: error: $*" >&2; exit 1; }
log() { [ -n "${PVK_QUIET:-}" ] || echo "mkinitramfs: $*" >&2; }

# Modules the dom0 needs (backends, xenfs, bridge for vifs, loop for
# file-backed disks); the domU only needs the two frontends.
DOM0_MODS="xen-evtchn xen-gntdev xen-gntalloc xen-privcmd xenfs xen-netback
xen-blkback bridge loop"
DOMU_MODS="xen-netfront xen-blkfront"
# ext4 for the file-system checks of domu/fs-net.sh (loaded by it, not at
# boot); ext4 asks for the crc32c hash by name (softdep), and without
# modprobe nothing loads it on demand. The generic one: QEMU's CPU model
# has no SSE4.2 for crc32c-intel.
DOMU_FS_MODS="crc32c_generic ext4"
# Debian's programs for the same checks: mke2fs and e2fsck in the domU,
# e2fsck and debugfs in dom0 (which reads the guest's disk image), and
# netcat (OpenBSD's: it half-closes after its input, so a transfer ends
# cleanly; busybox's nc quits when its own stdin ends) on both sides.
E2FS_DOMU="sbin/mke2fs sbin/e2fsck bin/nc.openbsd"
E2FS_DOM0="sbin/e2fsck sbin/debugfs bin/nc.openbsd"

# Print module paths (relative to $MODDIR) in load order, dependencies first.
# Dependencies come from the .modinfo section (no kmod/depmod needed).
modorder() {
    for m in "$@"; do
        f=$(cd "$MODDIR" && find kernel -name "$m.ko" -o -name "$(echo "$m" | tr _ -).ko" \
                -o -name "$(echo "$m" | tr - _).ko" | head -n1)
        [ -n "$f" ] || die "module $m not found in $MODDIR"
        deps=$(readelf -p .modinfo "$MODDIR/$f" | sed -n 's/.*depends=//p' | tr , ' ')
        [ -z "$deps" ] || (modorder $deps)  # subshell: sh has no locals
        echo "$f"
    done
}

# Copy ELF files plus the closure of their DT_NEEDED libraries, looked up in
# the extracted tree (never the host's libraries).
LIBDIRS="lib/x86_64-linux-gnu usr/lib/x86_64-linux-gnu usr/lib/xen-4.17/lib"
copy_elf_closure() {  # dest files...
    dest=$1; shift
    todo="$*"; done_=" "
    while [ -n "$todo" ]; do
        next=
        for f in $todo; do
            case "$done_" in *" $f "*) continue;; esac
            done_="$done_$f "
            mkdir -p "$dest/$(dirname "$f")"
            cp -a "$TREE/$f" "$dest/$f"
            # Follow a symlink chain (libfoo.so.1 -> libfoo.so.1.2).
            if [ -L "$TREE/$f" ]; then
                t=$(readlink "$TREE/$f")
                case "$t" in /*) t=${t#/};; *) t=$(dirname "$f")/$t;; esac
                next="$next $t"; continue
            fi
            for n in $(readelf -d "$TREE/$f" 2>/dev/null |
                       sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
                hit=
                for d in $LIBDIRS; do
                    if [ -e "$TREE/$d/$n" ]; then hit=$d/$n; break; fi
                done
                [ -n "$hit" ] || die "library $n (needed by $f) not in the package set"
                next="$next $hit"
            done
        done
        todo=$next
    done
}

# bzImage -> gzip'd vmlinux; falls back to the bzImage itself (xl loads
# both) when no xz payload is found.
vmlinux_gz() {
    off=$(LC_ALL=C grep -abo "$(printf '\3757zXZ')" "$1" | head -n1 | cut -d: -f1)
    if [ -n "$off" ] && tail -c +"$((off + 1))" "$1" | xz -dc 2>/dev/null | gzip -c > "$1.gz.tmp" &&
       [ "$(gzip -dc "$1.gz.tmp" | head -c4 | od -An -c | tr -d ' ')" = '177ELF' ]; then
        cat "$1.gz.tmp"
    else
        cat "$1"
    fi
    rm -f "$1.gz.tmp"
}

mkcpio() {  # dir out
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) > "$2.tmp"
    mv "$2.tmp" "$2"
}

# Cache key: the package set + this script + the domU init.
key() { cat "$CACHE/stamp" "$0" "$@" 2>/dev/null | cksum; }

build_base() {
    out=$CACHE/dom0-base.cpio
    k=$(key)
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$k" ]; then
        log "base cpio up to date"; return
    fi
    log "building $out"
    S=$CACHE/base.staging; rm -rf "$S"; mkdir -p "$S"
    (cd "$S" && mkdir -p bin sbin dev proc sys tmp run var etc/xen/scripts root pvk)
    cp "$TREE/bin/busybox" "$S/bin/busybox"
    # Tools called by name (not through Debian's version wrapper).
    XB=usr/lib/xen-4.17/bin
    copy_elf_closure "$S" $XB/xl $XB/xenstored $XB/xenconsoled $XB/xenctx \
        $XB/xen-init-dom0 $XB/libxl-save-helper usr/bin/xenstore \
        lib/x86_64-linux-gnu/libgcc_s.so.1 lib64/ld-linux-x86-64.so.2
    copy_elf_closure "$S" $E2FS_DOM0
    # glibc dlopens libgcc_s at run time (pthread_cancel/unwind): already in.
    for t in read write ls list rm exists watch chmod; do
        ln -sf xenstore "$S/usr/bin/xenstore-$t"
    done
    cp "$TREE/etc/xen/xl.conf" "$S/etc/xen/xl.conf"
    # Modules in load order; /pvk/modules.dom0 and .domu list them.
    mkdir -p "$S/lib/modules/$KVER"
    for f in $(modorder $DOM0_MODS | awk '!s[$0]++'); do
        mkdir -p "$S/lib/modules/$KVER/$(dirname "$f")"
        cp "$MODDIR/$f" "$S/lib/modules/$KVER/$f"
        echo "/lib/modules/$KVER/$f"
    done > "$S/pvk/modules.dom0"
    # The Debian kernel doubles as the Linux domU kernel. Its bzImage payload
    # is xz, which libxenguest decodes slowly under TCG (~10 s per domain);
    # re-packed as gzip'd ELF, zlib loads it in ~5 s.
    vmlinux_gz "$TREE/boot/vmlinuz-$KVER" > "$S/pvk/vmlinux.gz"
    mkcpio "$S" "$out"
    rm -rf "$S"
    echo "$k" > "$out.key"
}

build_domu() {
    out=$CACHE/domu-initrd.cpio
    k=$(key "$HERE/domu/init" "$HERE/domu/blkbench.c" "$ROOT/tests/bench/blkbench.h" \
        "$HERE/domu/netbench.c" "$ROOT/tests/bench/netbench.h" "$HERE/domu/domu-tool.h" \
        "$HERE/domu/cpubench.c" "$HERE/domu/fs-net.sh" "$HERE/domu/life.sh" \
        "$HERE/domu/suspbench.c")
    if [ -f "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$k" ]; then
        log "domU initrd up to date"; return
    fi
    log "building $out"
    S=$CACHE/domu.staging; rm -rf "$S"; mkdir -p "$S"
    (cd "$S" && mkdir -p bin dev proc sys tmp mnt)
    cp "$TREE/bin/busybox" "$S/bin/busybox"
    cp "$HERE/domu/init" "$S/init"; chmod 755 "$S/init"
    # The block benchmark's Linux side ("make bench"), static: no libc here.
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -o "$S/bin/blkbench" \
        "$HERE/domu/blkbench.c" || die "building tests/xen/domu/blkbench.c failed"
    # The network benchmark's Linux side, likewise.
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -o "$S/bin/netbench" \
        "$HERE/domu/netbench.c" || die "building tests/xen/domu/netbench.c failed"
    # The one-CPU microbenchmarks' Linux side, likewise.
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -o "$S/bin/cpubench" \
        "$HERE/domu/cpubench.c" || die "building tests/xen/domu/cpubench.c failed"
    # The suspend rows' Linux side, likewise.
    gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -s -o "$S/bin/suspbench" \
        "$HERE/domu/suspbench.c" -lpthread || die "building tests/xen/domu/suspbench.c failed"
    for f in $(modorder $DOMU_MODS | awk '!s[$0]++'); do
        mkdir -p "$S/lib/modules/$KVER/$(dirname "$f")"
        cp "$MODDIR/$f" "$S/lib/modules/$KVER/$f"
        echo "/lib/modules/$KVER/$f"
    done > "$S/modules.list"
    # The file-system and network checks (scenario linux-pvk-modules): the
    # script, ext4's modules in load order, Debian's programs + libraries.
    cp "$HERE/domu/fs-net.sh" "$S/fs-net.sh"
    # Our modules through hotplug and unload (scenario linux-pvk-modules-life).
    cp "$HERE/domu/life.sh" "$S/life.sh"
    for f in $(modorder $DOMU_FS_MODS | awk '!s[$0]++'); do
        mkdir -p "$S/lib/modules/$KVER/$(dirname "$f")"
        cp "$MODDIR/$f" "$S/lib/modules/$KVER/$f"
        echo "/lib/modules/$KVER/$f"
    done > "$S/modules-fs.list"
    copy_elf_closure "$S" $E2FS_DOMU lib64/ld-linux-x86-64.so.2
    mkdir -p "$S/etc"; cp "$TREE/etc/mke2fs.conf" "$S/etc/mke2fs.conf"
    mkcpio "$S" "$out"
    rm -rf "$S"
    echo "$k" > "$out.key"
}

[ -d "$TREE" ] || die "no extracted tree; run tests/xen/fetch.sh first"
case "${1:-}" in
    base) build_base ;;
    domu) build_domu ;;
    all)  build_base; build_domu ;;
    *) echo "usage: $0 base|domu|all" >&2; exit 2 ;;
esac
