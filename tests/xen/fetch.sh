#!/bin/sh
# tests/xen/fetch.sh - owns the package cache for the e2e harness.
# Downloads (apt-get download) the Debian packages that make up the reference
# hypervisor + dom0 into build/xen-cache/debs and extracts them into
# build/xen-cache/root. Idempotent: a stamp file records the resolved package
# set, so a cached run only costs the apt-cache lookups.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PVK_XEN_CACHE:-$ROOT/build/xen-cache}
DEBS=$CACHE/debs
TREE=$CACHE/root

log() { [ -n "${PVK_QUIET:-}" ] || echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }

# apt-cache needs package lists; a fresh machine may have none.
if ! apt-cache show busybox-static >/dev/null 2>&1; then
    log "apt lists missing, running apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
fi

# The dom0/domU kernel comes from the metapackage's current dependency so a
# point release (new ABI number) does not break us.
KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null |
       sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -n1)
[ -n "$KPKG" ] || die "cannot resolve linux-image-amd64 dependency"

ROOTS="xen-hypervisor-4.17-amd64 $KPKG busybox-static xen-utils-4.17
xen-utils-common xenstore-utils libgcc-s1"

# Closure over Depends/Pre-Depends, but only for shared-library packages:
# the tools' other deps (python3, udev, ucf...) are not needed to run xl.
closure() {
    todo=$ROOTS; seen=" "
    while [ -n "$todo" ]; do
        next=
        for p in $todo; do
            case "$seen" in *" $p "*) continue;; esac
            seen="$seen$p "
            for d in $(apt-cache depends --no-recommends --no-suggests \
                         --no-conflicts --no-breaks --no-replaces \
                         --no-enhances "$p" 2>/dev/null |
                       sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p'); do
                case "$d" in lib*|zlib1g) next="$next $d";; esac
            done
        done
        todo=$next
    done
    echo "$seen" | tr ' ' '\n' | sed '/^$/d' | sort -u
}

mkdir -p "$DEBS"
PKGS=$(closure)
# Versions pin the stamp: a new candidate version re-downloads and re-extracts.
WANT=$(for p in $PKGS; do
    v=$(apt-cache policy "$p" | sed -n 's/^ *Candidate: //p')
    echo "$p=$v"
done)
if [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$WANT" ] && [ -d "$TREE" ]; then
    log "cache up to date ($(echo "$WANT" | wc -l) packages)"
    echo "$KPKG" > "$CACHE/kernel-package"
    exit 0
fi

log "downloading $(echo "$WANT" | wc -l) packages into $DEBS"
(cd "$DEBS" && for pv in $WANT; do
    p=${pv%%=*}; v=${pv#*=}
    fv=$(echo "$v" | sed 's/:/%3a/')
    ls "${p}_${fv}_"*.deb >/dev/null 2>&1 || apt-get download -q "$pv" >/dev/null ||
        die "apt-get download $pv failed"
done)

log "extracting into $TREE"
rm -rf "$TREE.new"; mkdir -p "$TREE.new"
for pv in $WANT; do
    p=${pv%%=*}; v=${pv#*=}
    fv=$(echo "$v" | sed 's/:/%3a/')
    for f in "$DEBS/${p}_${fv}_"*.deb; do dpkg-deb -x "$f" "$TREE.new"; done
done
rm -rf "$TREE"; mv "$TREE.new" "$TREE"
echo "$KPKG" > "$CACHE/kernel-package"
echo "$WANT" > "$CACHE/stamp"
log "done"
