#!/bin/sh
# tests/xen/dom0-tools/build.sh DESTDIR - builds the dom0-side test tools
# into DESTDIR (shipped as /pvk/tools/ in dom0 by e2e.sh), one binary per
# .c (pvk-grant-read, pvk-grant-hold, pvk-p2m-check, pvk-blk-check,
# pvk-grant-scan, pvk-net-udp, pvk-net-tcp, pvk-net-vifrx). They are linked statically against Debian's Xen
# libraries (libxengnttab, libxenforeignmemory, libxenctrl and what they
# need; libxen-dev, installed on the host if missing) so dom0's initramfs
# needs none of their libraries (the network tools use none, and a static
# link takes only what is used). Rebuilt only when its source or a shared
# header (grant-map.h, tests/bench/netbench.h) is newer than the binary.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=$1
mkdir -p "$DEST"
"$HERE/../../../scripts/install-deps.sh" abi >&2
for src in "$HERE"/*.c; do
	bin=$DEST/$(basename "$src" .c)
	[ "$bin" -nt "$src" ] && [ "$bin" -nt "$HERE/grant-map.h" ] && [ "$bin" -nt "$HERE/net-tool.h" ] &&
		[ "$bin" -nt "$HERE/../../bench/netbench.h" ] && continue
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$bin" "$src" \
		-lxenctrl -lxenforeignmemory -lxencall -lxendevicemodel -lxenevtchn \
		-lxengnttab -lxentoollog -lxentoolcore
done
