#!/bin/bash
# tests/bench/bench.sh IMAGE OUTDIR - "make bench": the reference guest's
# microbenchmarks (the explicit test "bench", tests/guest/bench.c) booted
# natively under QEMU (PVH entry, pvkit.test=bench on -append) and on Xen
# (the e2e harness, scenario bench), then one line per benchmark:
#
#   bench NAME native=VALUE xen=VALUE ratio=X.XX hypercalls/op=N
#
# VALUE is time per operation; ratio is xen/native; hypercalls/op is the
# Xen side's (the kit's counters).
#
# In the same Xen boot, the block benchmark (tests/bench/blkbench.h): the
# kit's blkfront in the reference guest (scenario bench-blkfront) and
# Linux's xen-blkfront in a Linux PV domU (scenario bench-blkfront-linux),
# each on its own 64 MiB file-backed disk behind Linux blkback, then one
# line per case:
#
#   bench blkfront-CASE pvkit=V linux=V ratio=X.XX grants/req=N notify/req=N ...
#
# V is throughput (IOPS for 4 KiB cases, MiB/s for 1 MiB ones: higher is
# better); ratio is pvkit/linux; grants/req and notify/req are the kit's
# (its statistics); see tests/bench/README.md for the rest of the line.
#
# Timings are reported, never judged: this fails only when a side did not
# produce its figures (a side did not boot, a benchmarked operation failed,
# a benchmark is missing on a side, the two block sides did not issue the
# same requests). Everything runs under QEMU TCG here, so ratios say more
# than absolutes.
#
#   bench.sh --table NATIVE_LOG XEN_LOG   only the tables, from earlier logs
#   bench.sh --blk-table XEN_LOG          only the block table
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ok=1
xen_status=0

run_both() {  # image outdir
	local image=$1 out=$2 xen_out=${PVK_E2E_OUT:-$2/e2e}

	native_log=$out/native.log
	xen_log=$xen_out/console.log
	mkdir -p "$out"
	[ -f "$image" ] || { echo "bench: no guest image $image (make guest)"; exit 1; }
	sh "$root/scripts/install-deps.sh" e2e >/dev/null ||
		{ echo "bench: cannot install qemu-system-x86"; exit 1; }

	echo "bench: native run (QEMU, PVH entry) -> $native_log"
	timeout "${PVK_NATIVE_TIMEOUT:-300}" qemu-system-x86_64 -kernel "$image" \
		-append "pvkit.test=bench" -m 128 \
		-display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null 2>&1 |
		tr -d '\r' >"$native_log"

	echo "bench: Xen run (e2e harness, scenarios bench bench-blkfront bench-blkfront-linux) -> $xen_log"
	PVK_E2E_OUT=$xen_out "$root/tests/xen/e2e.sh" --guest "$image" check \
		bench bench-blkfront bench-blkfront-linux
	xen_status=$?
}

# The block table from a Xen console log; 1 when a side lacks figures.
blk_table() {  # xen_log
	local log=$1 bad=0
	tr -d '\r' 2>/dev/null <"$log" | grep -ao "bench-blk-note .*" | sed 's/^bench-blk-note /bench: blk: /'
	tr -d '\r' 2>/dev/null <"$log" | grep -ao "bench-blk [^ ]* \(pvkit\|linux\) .*\|bench-blk: FAIL.*" |
	awk '
	function field(line, key,   a, i, k) {
		k = split(line, a, " ")
		for (i = 4; i <= k; i++)
			if (index(a[i], key "=") == 1)
				return substr(a[i], length(key) + 2)
		return ""
	}
	function rate(line,   ops, bytes, ns) {
		ops = field(line, "ops") + 0; bytes = field(line, "bytes") + 0
		ns = field(line, "ns") + 0
		if (ns <= 0) return -1
		if (ops > 0 && bytes / ops >= 1048576) return bytes / 1048576 / (ns / 1e9)
		return ops / (ns / 1e9)
	}
	function unit(line,   ops) {
		ops = field(line, "ops") + 0
		return ops > 0 && field(line, "bytes") / ops >= 1048576 ? "MiB/s" : "IOPS"
	}
	function per(x, n) { return n > 0 ? sprintf("%.2f", x / n) : "-" }
	/^bench-blk: FAIL/ { print "bench: blk: " $0; fail = 1; next }
	{
		if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
		side[$2, $3] = $0
	}
	END {
		for (i = 1; i <= n; i++) {
			c = order[i]; p = side[c, "pvkit"]; l = side[c, "linux"]
			if (p == "" || l == "") {
				printf "bench blkfront-%s: FAIL: no figure from the %s side\n", c,
				       (p == "" ? "kit" : "Linux")
				fail = 1; continue
			}
			if (field(p, "digest") != field(l, "digest")) {
				printf "bench blkfront-%s: FAIL: the sides did not issue the same requests (digest %s vs %s)\n",
				       c, field(p, "digest"), field(l, "digest")
				fail = 1; continue
			}
			pr = rate(p); lr = rate(l)
			pq = field(p, "reqs") + 0; lq = field(l, "reqs") + 0
			ops = field(p, "ops") + 0
			printf "bench blkfront-%s pvkit=%.1f%s linux=%.1f%s ratio=%s grants/req=%s notify/req=%s irqs/req=%s reused/req=%s reqs/op=%s eagain/req=%s linux-irqs/req=%s linux-reqs/op=%s\n",
			       c, pr, unit(p), lr, unit(l), (lr > 0 ? sprintf("%.2f", pr / lr) : "inf"),
			       per(field(p, "grants"), pq), per(field(p, "notify"), pq),
			       per(field(p, "irqs"), pq), per(field(p, "reused"), pq),
			       per(pq, ops), per(field(p, "eagain"), pq),
			       per(field(l, "irqs"), lq), per(lq, ops)
		}
		if (n == 0) { print "bench: blk: FAIL: no block figures from either side"; fail = 1 }
		exit fail
	}' || bad=1
	return $bad
}

if [ "${1:-}" = --blk-table ]; then
	[ $# -eq 2 ] || { echo "usage: $0 --blk-table XEN_LOG"; exit 2; }
	blk_table "$2" || { echo "bench: FAIL: a block side did not produce its figures"; exit 1; }
	exit 0
fi
if [ "${1:-}" = --table ]; then
	[ $# -eq 3 ] || { echo "usage: $0 --table NATIVE_LOG XEN_LOG"; exit 2; }
	native_log=$2 xen_log=$3
else
	[ $# -eq 2 ] || { echo "usage: $0 IMAGE OUTDIR | --table NATIVE_LOG XEN_LOG"; exit 2; }
	run_both "$1" "$2"
fi

# The raw lines of one side: "NAME ps/op=P hc/op=H iters=N".
raw() {  # log world
	[ -f "$1" ] || return 0
	tr -d '\r' <"$1" | grep -ao "bench-raw .* $2 ps/op=.*" |
		sed "s/^bench-raw \([^ ]*\) $2 /\1 /"
}
for side in native:"$native_log" xen:"$xen_log"; do
	world=${side%%:*} log=${side#*:}
	if ! tr -d '\r' 2>/dev/null <"$log" | grep -aq "bench: done, 0 failed"; then
		echo "bench: FAIL: the $world side did not complete its benchmarks (see $log)"
		tr -d '\r' 2>/dev/null <"$log" | grep -a "bench-fail" | sed 's/^/bench:   /'
		ok=0
	fi
done
[ "$xen_status" -eq 0 ] || { echo "bench: FAIL: the Xen scenario failed (see above)"; ok=0; }

native=$(raw "$native_log" native)
xen=$(raw "$xen_log" xen)
names=$( { echo "$native"; echo "$xen"; } | awk 'NF { print $1 }' | awk '!seen[$0]++')
[ -n "$names" ] || { echo "bench: FAIL: no figures from either side"; exit 1; }

echo
for n in $names; do
	nl=$(echo "$native" | awk -v n="$n" '$1 == n' | head -n1)
	xl=$(echo "$xen" | awk -v n="$n" '$1 == n' | head -n1)
	if [ -z "$nl" ] || [ -z "$xl" ]; then
		echo "bench $n: FAIL: no figure from the $([ -z "$nl" ] && echo native || echo Xen) side"
		ok=0
		continue
	fi
	awk -v n="$n" -v nl="$nl" -v xl="$xl" '
	function field(line, key,   a, i, k) {
		k = split(line, a, " ")
		for (i = 2; i <= k; i++)
			if (index(a[i], key "=") == 1)
				return substr(a[i], length(key) + 2) + 0
		return -1
	}
	function t(ps) {
		if (ps < 1e6) return sprintf("%.1fns", ps / 1e3)
		if (ps < 1e9) return sprintf("%.1fus", ps / 1e6)
		if (ps < 1e12) return sprintf("%.1fms", ps / 1e9)
		return sprintf("%.2fs", ps / 1e12)
	}
	function count(milli,   s) {
		if (milli % 1000 == 0) return sprintf("%d", milli / 1000)
		s = sprintf("%.3f", milli / 1000)
		sub(/0+$/, "", s)
		return s
	}
	BEGIN {
		np = field(nl, "ps/op"); xp = field(xl, "ps/op")
		ratio = np > 0 ? sprintf("%.2f", xp / np) : "inf"
		printf "bench %s native=%s xen=%s ratio=%s hypercalls/op=%s\n",
		       n, t(np), t(xp), ratio, count(field(xl, "hc/op"))
	}'
done
echo
tr -d '\r' 2>/dev/null <"$xen_log" | grep -ao "bench-note .*" | sed 's/^bench-note /bench: xen: /'
tr -d '\r' 2>/dev/null <"$native_log" | grep -ao "bench-note .*" | sed 's/^bench-note /bench: native: /'
echo "bench: native and Xen both run under QEMU TCG (no KVM): compare ratios, not absolutes"
echo "bench: syscall_roundtrip = ring 3 -> kernel -> ring 3, a null syscall;" \
	"pagefault_roundtrip = a ring-3 read of an unmapped page, the kernel maps the zero page, returns;" \
	"on Xen their hypercalls/op include the HYPERVISOR_iret of the return"
echo "bench: pte_update_x1000 = 1,000 PTE writes: natively plain stores through set_pte;" \
	"on Xen building a 4096-page address space (pvk_mmu_map_range, tables included), per 1,000 entries"
echo
blk_table "$xen_log" || ok=0
echo "bench: blk: the kit's blkfront (reference guest) and Linux's xen-blkfront (Debian's kernel," \
	"domU) against Linux blkback, same boot, 1 vCPU each, same requests (tests/bench/blkbench.h);" \
	"ratio = pvkit/linux throughput; grants/req, notify/req (sent), irqs/req (received)," \
	"reused/req (persistent grants), eagain/req (submits refused: queue full) are the kit's" \
	"per ring request; linux-irqs/req from its blkif" \
	"interrupts; reqs/op = ring requests per operation on each side"
[ "$ok" = 1 ] || { echo "bench: FAIL: a side did not produce its figures"; exit 1; }
echo "bench: done"
