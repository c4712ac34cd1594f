#!/bin/sh
# tests/xen/dom0-tools/build.sh DESTDIR - builds the dom0-side test tools
# into DESTDIR (shipped as /pvk/tools/ in dom0 by e2e.sh), one binary per
# .c (pvk-grant-read, pvk-grant-hold, pvk-p2m-check, pvk-blk-check,
# pvk-grant-scan, pvk-net-udp, pvk-net-tcp, pvk-net-vifrx, pvk-migstream), plus one binary
# from all of hostile-back/*.c: pvk-hostile-back. They are linked statically
# against Debian's Xen libraries (libxengnttab, libxenforeignmemory,
# libxenctrl, libxenstore, libxenevtchn and what they need; libxen-dev,
# installed on the host if missing) so dom0's initramfs needs none of their
# libraries (the network tools use none, and a static link takes only what
# is used). Rebuilt only when a source or a shared header (grant-map.h,
# grant-scan.h, inet-csum.h, net-tool.h, tests/bench/netbench.h, hostile-back/*.h) is
# newer than the binary.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DEST=$1
mkdir -p "$DEST"
"$HERE/../../../scripts/install-deps.sh" abi >&2
LIBS="-lxenstore -lxenctrl -lxenforeignmemory -lxencall -lxendevicemodel -lxenevtchn
	-lxengnttab -lxentoollog -lxentoolcore"
SHARED="$HERE/grant-map.h $HERE/grant-scan.h $HERE/inet-csum.h $HERE/net-tool.h $HERE/../../bench/netbench.h"
# up_to_date BIN FILE...: BIN exists and is newer than every FILE.
up_to_date() {
	target=$1
	shift
	[ -e "$target" ] || return 1
	for f in "$@"; do
		[ "$target" -nt "$f" ] || return 1
	done
}
for src in "$HERE"/*.c; do
	bin=$DEST/$(basename "$src" .c)
	# shellcheck disable=SC2086 # word splitting of the lists is meant
	up_to_date "$bin" "$src" $SHARED && continue
	# shellcheck disable=SC2086
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$bin" "$src" $LIBS
done
bin=$DEST/pvk-hostile-back
# shellcheck disable=SC2086
if ! up_to_date "$bin" "$HERE"/hostile-back/*.[ch] $SHARED; then
	# shellcheck disable=SC2086
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$bin" "$HERE"/hostile-back/*.c $LIBS
fi
