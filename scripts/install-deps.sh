#!/bin/sh
# Installs, with apt-get, the Debian packages a make target needs and that are missing.
# Usage: scripts/install-deps.sh GROUP...   (build, sparse, abi, e2e, fuzz, modules, dkms, lint)
# Quiet and fast when everything is present; loud and failing when an install fails,
# so a fresh Debian 12 machine gets what it needs and a broken one says why.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

# The harness kernel's release; a fresh machine may have no package lists yet.
kernel_abi() {
	"$here/kernel-abi.sh" 2>/dev/null && return
	[ "$(id -u)" = 0 ] && apt-get update -qq >/dev/null 2>&1 || true
	"$here/kernel-abi.sh" || exit 1
}

# group -> "command-or-path:package" pairs
want() {
	case "$1" in
	build)  echo "kconfig-conf:kconfig-frontends kconfig-mconf:kconfig-frontends gcc:gcc make:make ar:binutils" ;;
	sparse) echo "sparse:sparse" ;;
	abi)    echo "/usr/include/xen/xen.h:libxen-dev gcc:gcc" ;;
	e2e)    echo "qemu-system-x86_64:qemu-system-x86 cpio:cpio dpkg-deb:dpkg apt-get:apt gzip:gzip /sbin/depmod:kmod" ;;
	fuzz)   echo "clang:clang /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a:libclang-rt-14-dev" ;;
	# make modules: the headers of the very kernel the harness boots (scripts/kernel-abi.sh).
	modules) rel=$(kernel_abi)
		echo "/usr/src/linux-headers-$rel/Makefile:linux-headers-$rel make:make" ;;
	dkms)   echo "dkms:dkms" ;;
	# scripts/pv-lint: objdump and addr2line, python3 (standard library only).
	lint)   echo "objdump:binutils addr2line:binutils python3:python3 gcc:gcc ld:binutils" ;;
	*) echo "install-deps: unknown group '$1'" >&2; exit 2 ;;
	esac
}

# The packages of the groups asked for that are missing, in $missing.
find_missing() {
	missing=""
	for group in "$@"; do
		pairs=$(want "$group") || exit 1
		for pair in $pairs; do
			what=${pair%%:*} pkg=${pair#*:}
			case "$what" in
			/*) [ -e "$what" ] && continue ;;
			*) command -v "$what" >/dev/null 2>&1 && continue ;;
			esac
			case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
		done
	done
}

find_missing "$@"
[ -z "$missing" ] && exit 0

echo "  DEPS    installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: need root to install:$missing (or install them yourself)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists may be missing (fresh machine) or stale: refresh once, then look again
# (stale lists name an old kernel ABI, whose headers the archive may no longer have).
apt-get update -qq >/dev/null || { echo "install-deps: apt-get update failed" >&2; exit 1; }
find_missing "$@"
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
	{ echo "install-deps: apt-get install$missing failed" >&2; exit 1; }
