#!/bin/sh
# tests/xen/xen-shadow.sh - owns the e2e harness's second hypervisor, the
# one its live-migration boot runs (scenarios with HYPERVISOR=shadow):
# Debian's own Xen 4.17 hypervisor rebuilt from Debian's source package
# with ONE change, CONFIG_SHADOW_PAGING=y.
#
# Why: Debian's binary hypervisor (the reference, fetch.sh) is built with
# CONFIG_SHADOW_PAGING unset, and a PV domain's log-dirty mode is made of
# shadow paging (xen/arch/x86/mm/shadow/none.c answers EOPNOTSUPP), so
# `xl migrate`, always live, fails there ("Failed to enable logdirty: 95").
# Everything else stays Debian's: the source with Debian's patches applied
# (dpkg-source -x), Debian's kconfig (debian/xen-kconfig, set by
# debian/rules as `cp debian/xen-kconfig xen/.config; make -C xen
# olddefconfig`), the tools (xl, libxenlight: the binary packages of
# fetch.sh). Only the hypervisor is built (make -C xen), as Debian builds
# it (XEN_TARGET_ARCH=x86_64).
#
# The source: Debian's source package "xen" of the version of the binary
# hypervisor fetch.sh extracted, from the machine's own apt sources (a
# deb-src line per deb line that serves xen-hypervisor-4.17-amd64, in a
# private apt configuration: the machine's is not touched). Where that
# version's source is not served (this host's mirror serves the security
# archive's binaries without their source; where it is served, that
# version is built), the newest 4.17 source that is; both versions are
# printed on every run (quiet too), and the key's source= says which.
# A listed version whose download fails is reported before the next.
# No source at all: a clear refusal (exit 1), never a silent fallback.
#
# Result: $CACHE/xen-4.17-shadow.elf, the plain ELF QEMU's multiboot
# loader boots (xen/xen; Debian installs the same gzipped as
# /boot/xen-4.17-amd64.gz, which e2e.sh unzips for the reference boot),
# and $CACHE/xen-shadow/key: binary version, source version, this
# script's checksum. While the binary version and the script are the same
# nothing is looked up or built (fast path). The source package stays in
# $CACHE/xen-shadow/src; the build tree is removed once built.
# Host tools (flex, bison, dpkg-source, ...) installed from Debian when
# missing, as e2e.sh installs its own.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PVK_XEN_CACHE:-$ROOT/build/xen-cache}
D=$CACHE/xen-shadow
OUTF=$CACHE/xen-4.17-shadow.elf
PKG=xen-hypervisor-4.17-amd64

log() { [ -n "${PVK_QUIET:-}" ] || echo "xen-shadow: $*" >&2; }
# Which source the hypervisor was built from against which tools: printed
# on every run, quiet or not (make check too), one line.
versions() {
    sv=$(sed -n 's/.* source=//p' "$D/key")
    if [ "$sv" = "$BV" ]; then
        echo "xen-shadow: hypervisor built from xen $sv source, the tools' own version" >&2
    else
        echo "xen-shadow: hypervisor built from xen $sv source; the tools (xl, libxenlight) are $BV, whose source this host's apt did not serve" >&2
    fi
}
die() { echo "xen-shadow: error: $*" >&2; exit 1; }
now() { date +%s.%N | cut -c1-14; }
took() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }

# The binary hypervisor's version, as fetch.sh resolved it.
BV=$(sed -n "s/^$PKG=//p" "$CACHE/stamp" 2>/dev/null) ||:
[ -n "$BV" ] || die "no $PKG in $CACHE/stamp: run tests/xen/fetch.sh first"
CK=$(cksum < "$0" | cut -d' ' -f1)

if [ -s "$OUTF" ] && [ -f "$D/key" ] &&
   grep -qx "binary=$BV script=$CK source=.*" "$D/key"; then
    log "cache up to date ($(cat "$D/key"))"
    versions
    exit 0
fi

# Host tools: command:package (Debian's build needs python3 for the
# compat headers; dpkg-source applies Debian's patches).
need=
# HOSTCC builds kconfig's conf and xen/tools/symbols: libc's headers
# (gcc only recommends libc6-dev) and ld.
for c in flex:flex bison:bison make:make gcc:gcc python3:python3 \
         dpkg-source:dpkg-dev xz:xz-utils ld:binutils; do
    command -v "${c%%:*}" >/dev/null 2>&1 || need="$need ${c#*:}"
done
[ -f /usr/include/stdio.h ] || need="$need libc6-dev"
if [ -n "$need" ]; then
    log "installing host tools:$need"
    # shellcheck disable=SC2086
    apt-cache show $need >/dev/null 2>&1 || apt-get update -qq >/dev/null
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need \
        >/dev/null || die "apt-get install$need failed"
fi

# Where the machine's apt finds the binary package: "URI SUITE COMPONENT"
# of each deb line serving it, from apt-cache policy's version table.
ORIGINS=$(LC_ALL=C apt-cache policy "$PKG" | awk '
    /^ *Version table:/ { t = 1; next }
    t && $1 ~ /^[0-9]+$/ && $2 ~ /:\/\// && $NF == "Packages" {
        split($3, sc, "/"); print $2, sc[1], sc[2] }' | sort -u)
[ -n "$ORIGINS" ] || die "apt-cache policy $PKG names no archive to ask for the source"

mkdir -p "$D/apt/lists/partial" "$D/apt/cache" "$D/src"
echo "$ORIGINS" | awk '{ print "deb-src", $1, $2, $3 }' > "$D/apt/sources.list"
APT="-o Dir::Etc::SourceList=$D/apt/sources.list -o Dir::Etc::SourceParts=/dev/null
-o Dir::State::Lists=$D/apt/lists -o Dir::Cache=$D/apt/cache -o APT::Sandbox::User=root"
t0=$(now)
# shellcheck disable=SC2086
apt-get $APT update -qq >/dev/null 2>"$D/apt/update.err" ||
    log "apt-get update (deb-src) said: $(tail -n 3 "$D/apt/update.err" | tr '\n' ' ')"
# Source versions served, the binary's first, then the other 4.17s newest
# first.
# shellcheck disable=SC2086
SERVED=$(apt-cache $APT showsrc xen 2>/dev/null | sed -n 's/^Version: //p' | sort -u)
CANDS=$( { echo "$SERVED" | grep -xF -- "$BV" ||:
           echo "$SERVED" | grep '^4\.17\.' | grep -vxF -- "$BV" | sort -rV ||:; } )
[ -n "$CANDS" ] ||
    die "no source of xen 4.17 served by $(echo "$ORIGINS" | awk '{printf "%s %s; ", $1, $2}')(apt-get update said: $(tail -n 2 "$D/apt/update.err" | tr '\n' ' '))"
# apt-get source checks the files already in $D/src by their hashes and
# fetches only what is missing or wrong (an interrupted download repairs
# itself). A listed version that fails to download is said, on one line,
# before the next is tried; an extract that fails is fetched afresh once.
SV=
for v in $CANDS; do
    uv=$(echo "$v" | sed 's/^[0-9]*://')
    # shellcheck disable=SC2086
    if (cd "$D/src" && apt-get $APT source -qq --download-only "xen=$v" >/dev/null 2>"$D/src.err"); then
        SV=$v; break
    fi
    echo "xen-shadow: source xen=$v listed but its download failed ($(tail -n 2 "$D/src.err" | tr '\n' ' ')); trying the next: $(echo "$CANDS" | grep -A1 -xF -- "$v" | sed -n 2p)" >&2
done
[ -n "$SV" ] || die "could not download any of the xen sources listed ($(echo $CANDS)): $(tail -n 2 "$D/src.err" | tr '\n' ' ')"
UV=$(echo "$SV" | sed 's/^[0-9]*://')
extract() {
    rm -rf "$D/work"; mkdir -p "$D/work"
    dpkg-source -q -x "$D/src/xen_$UV.dsc" "$D/work/xen" >/dev/null 2>"$D/work/extract.err"
}
if ! extract; then
    log "dpkg-source -x xen_$UV.dsc failed ($(tail -n 1 "$D/work/extract.err")): fetching it again"
    rm -f "$D/src/xen_$UV"* "$D/src/xen_${UV%-*}"*
    # shellcheck disable=SC2086
    (cd "$D/src" && apt-get $APT source -qq --download-only "xen=$SV" >/dev/null 2>"$D/src.err") ||
        die "download of xen=$SV failed: $(tail -n 2 "$D/src.err" | tr '\n' ' ')"
    extract || die "dpkg-source -x xen_$UV.dsc failed: $(tail -n 3 "$D/work/extract.err")"
fi
T_SRC=$(took "$t0")
if [ "$SV" = "$BV" ]; then
    log "source xen $SV, the binary hypervisor's version (fetched and extracted in ${T_SRC}s)"
else
    log "source xen $SV; the binary hypervisor (tools: xl, libxenlight) is $BV, whose source is not served (fetched and extracted in ${T_SRC}s)"
fi

# Debian's configuration plus the one change.
t0=$(now)
X=$D/work/xen
cp "$X/debian/xen-kconfig" "$X/xen/.config"
echo "CONFIG_SHADOW_PAGING=y" >> "$X/xen/.config"
make -s -C "$X/xen" XEN_TARGET_ARCH=x86_64 olddefconfig > "$D/work/build.log" 2>&1 ||
    die "make olddefconfig failed: $(tail -n 5 "$D/work/build.log")"
grep -qx 'CONFIG_SHADOW_PAGING=y' "$X/xen/.config" ||
    die "CONFIG_SHADOW_PAGING=y did not survive olddefconfig"
make -C "$X/xen" XEN_TARGET_ARCH=x86_64 -j"$(nproc)" >> "$D/work/build.log" 2>&1 ||
    die "building the hypervisor failed: $(tail -n 15 "$D/work/build.log")"
[ -s "$X/xen/xen" ] || die "the build left no xen/xen"
cp "$X/xen/xen" "$OUTF.tmp" && mv "$OUTF.tmp" "$OUTF"
cp "$X/xen/.config" "$D/config"
log "hypervisor built in $(took "$t0")s: $OUTF (source $SV, Debian's kconfig + CONFIG_SHADOW_PAGING=y; config kept in $D/config)"
rm -rf "$D/work"
echo "binary=$BV script=$CK source=$SV" > "$D/key"
versions
