#!/bin/sh
# scripts/kernel-abi.sh - which Debian kernel the harness boots, as its release
# string ("6.1.0-57-amd64"): the one linux-image-amd64 currently depends on, so a
# point release (new ABI number) does not break us. The one place this is
# resolved: tests/xen/fetch.sh downloads linux-image-<it>, scripts/install-deps.sh
# installs linux-headers-<it> and `make modules` builds against those headers.
# Needs apt's package lists (fetch.sh and install-deps.sh refresh them first).
set -eu

rel=$(apt-cache depends linux-image-amd64 2>/dev/null |
      sed -n 's/^ *Depends: linux-image-\([0-9].*-amd64\)$/\1/p' | head -n1)
if [ -z "$rel" ]; then
	echo "kernel-abi: cannot resolve linux-image-amd64's dependency (apt-get update?)" >&2
	exit 1
fi
echo "$rel"
