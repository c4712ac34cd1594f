#!/bin/sh
# tests/xen/fetch.sh - owns the package cache for the e2e harness.
# Downloads (apt-get download) the Debian packages that make up the reference
# hypervisor + dom0 into build/xen-cache/debs and extracts them into
# build/xen-cache/root. Idempotent: a stamp file records the resolved package
# set; while apt's lists are older than the stamp nothing is looked up at all.
set -eu

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PVK_XEN_CACHE:-$ROOT/build/xen-cache}
DEBS=$CACHE/debs
TREE=$CACHE/root

log() { [ -n "${PVK_QUIET:-}" ] || echo "fetch: $*" >&2; }
die() { echo "fetch: error: $*" >&2; exit 1; }

# Fast path: the resolved set only changes when apt's lists do, or this
# script (its package list) does: fetch-key holds the script's checksum.
KEY=$(cksum < "$0")
if [ -f "$CACHE/stamp" ] && [ -d "$TREE" ] && [ -f "$CACHE/kernel-package" ] &&
   [ "$(cat "$CACHE/fetch-key" 2>/dev/null)" = "$KEY" ] &&
   [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -newer "$CACHE/stamp")" ]; then
    log "cache up to date"
    exit 0
fi

# apt-cache needs package lists; a fresh machine may have none.
if ! apt-cache show busybox-static >/dev/null 2>&1; then
    log "apt lists missing, running apt-get update"
    apt-get update -qq >/dev/null || die "apt-get update failed"
fi

# The dom0/domU kernel comes from the metapackage's current dependency so a
# point release (new ABI number) does not break us (scripts/kernel-abi.sh, shared
# with `make modules`, which builds against the same kernel's headers).
KREL=$("$ROOT/scripts/kernel-abi.sh") || die "cannot resolve linux-image-amd64 dependency"
KPKG=linux-image-$KREL

# e2fsprogs and netcat-openbsd: scenario linux-pvk-modules formats, checks
# and reads an ext4 disk (in the domU and in dom0) and carries TCP both ways.
ROOTS="xen-hypervisor-4.17-amd64 $KPKG busybox-static xen-utils-4.17
xen-utils-common xenstore-utils libgcc-s1 e2fsprogs netcat-openbsd"

# Closure over Depends/Pre-Depends, but only for shared-library packages:
# the tools' other deps (python3, udev, ucf...) are not needed to run xl.
# One apt-cache call per dependency level: each call costs ~1 s.
closure() {
    todo=$ROOTS; seen=" "
    while [ -n "$todo" ]; do
        new=
        for p in $todo; do
            case "$seen" in *" $p "*) ;; *) seen="$seen$p "; new="$new $p";; esac
        done
        [ -n "$new" ] || break
        todo=$(apt-cache depends --no-recommends --no-suggests --no-conflicts \
                 --no-breaks --no-replaces --no-enhances $new 2>/dev/null |
               sed -n 's/^ *|\{0,1\}\(Pre\)\{0,1\}Depends: \([^<][^ ]*\)$/\2/p' |
               grep -E '^(lib|zlib1g$)' | sort -u)
    done
    echo "$seen" | tr ' ' '\n' | sed '/^$/d' | sort -u
}

mkdir -p "$DEBS"
PKGS=$(closure)
# Versions pin the stamp: a new candidate version re-downloads and re-extracts.
WANT=$(apt-cache policy $PKGS | awk '/^[^ ]/{p=$1; sub(/:$/, "", p)}
                                   /^ *Candidate:/{print p "=" $2}')
[ "$(echo "$WANT" | wc -l)" -eq "$(echo "$PKGS" | wc -l)" ] ||
    die "could not resolve candidate versions"
if [ -f "$CACHE/stamp" ] && [ "$(cat "$CACHE/stamp")" = "$WANT" ] && [ -d "$TREE" ]; then
    log "cache up to date ($(echo "$WANT" | wc -l) packages)"
    echo "$KPKG" > "$CACHE/kernel-package"
    touch "$CACHE/stamp"
    echo "$KEY" > "$CACHE/fetch-key"
    exit 0
fi

log "downloading $(echo "$WANT" | wc -l) packages into $DEBS"
(cd "$DEBS" && for pv in $WANT; do
    p=${pv%%=*}; v=${pv#*=}
    fv=$(echo "$v" | sed 's/:/%3a/')
    ls "${p}_${fv}_"*.deb >/dev/null 2>&1 || apt-get download -q -o APT::Sandbox::User=root "$pv" >/dev/null ||
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
echo "$KEY" > "$CACHE/fetch-key"
log "done"
