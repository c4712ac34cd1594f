#!/bin/bash
# tests/bench/bench.sh IMAGE OUTDIR - "make bench": the reference guest's
# microbenchmarks (the explicit test "bench", tests/guest/bench.c) booted
# natively under QEMU (PVH entry, pvkit.test=bench on -append, -smp 1) and
# on Xen (the e2e harness, scenario bench, 1 vCPU); the SMP rows (the
# explicit test "bench_smp") in a second boot of each world with 4 CPUs
# (QEMU -smp 4, scenario bench-smp), so that the one-CPU rows run on one
# CPU as they did before SMP. Then one line per benchmark:
#
#   bench NAME native=VALUE xen=VALUE ratio=X.XX hypercalls/op=N linux=VALUE vs_linux=X.XX[~ linux-op=OP]
#
# VALUE is time per operation; ratio is xen/native; hypercalls/op is the
# Xen side's (the kit's counters). linux is the same operation done by a
# process of a Linux PV domU on the same Xen, same boot, 1 vCPU, same TSC
# mode (scenario bench-cpu-linux, tests/xen/domu/cpubench.c), and vs_linux
# is xen/linux: at or below 1.00 the kit is as fast as Linux; "-" for the
# rows a process has no counterpart of (tests/bench/README.md). A row where
# Linux cannot do the guest's operation from a process and did OP instead
# (cr3_switch, pte_update_x1000, clock_ns through the system call) gets
# "~ linux-op=OP": its vs_linux compares unequal work.
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
# And the network benchmark (tests/bench/netbench.h): the kit's netfront
# in the reference guest (scenario bench-netfront) and Linux's
# xen-netfront in a Linux PV domU (scenario bench-netfront-linux), each
# with one vif on dom0's bridge behind Linux netback, the same UDP
# datagrams in the same frames, dom0's pvk-net-udp at the other end; one
# line per case:
#
#   bench netfront-CASE pvkit=V linux=V ratio=X.XX notify/pkt=N ...
#
# V is packets per second (the MB/s of payload follow on the line); ratio
# is pvkit/linux; notify/pkt is the kit's events sent and received per
# packet; see tests/bench/README.md for the rest of the line.
#
# Both workloads also run through our Linux modules (pvk-blkfront.ko,
# pvk-netfront.ko) inside the same Debian kernel as Linux's side (scenarios
# bench-blkfront-pvklinux, bench-netfront-pvklinux: only the driver
# differs; their lines say "pvklinux"): every blkfront-* and netfront-* row
# gets pvkit-in-linux=V and in-linux/linux=X.XX (goal: at or above 1.00)
# and that side's counts (in-linux-irqs/...). When the log has that side,
# a case without its figure fails; an older log prints "-".
#
# The rows of two ways of doing one operation in the same boot (the
# guest's bench-vs lines): issue 15's irq save+disable+restore through the
# patched pvops sites against the bare instructions natively, and against
# the unpatched sites in each world:
#
#   bench irq_patched_vs_bare native patched=VALUE bare=VALUE ratio=X.XX
#   bench irq_patched_vs_unpatched WORLD patched=VALUE unpatched=VALUE ratio=X.XX
#
# (goal of the first: 1.00 within noise; a native log without it fails).
#
# And the suspend rows (issue 16): the kit's guest (scenario
# bench-suspend, tests/guest/cases/bench_suspend.c) and a Linux PV domU
# (bench-suspend-linux, tests/xen/domu/suspbench.c) each saved and
# restored by dom0 three times; medians, ours/linux as ratio:
#
#   bench suspend_downtime_ms ours=MS linux=MS ratio=X.XX cycles=N,N save/restore_ms=...
#   bench reconnect_blk_ms ours=MS|lost linux=MS|lost ratio=X.XX|- back=K/N,K/N
#
# (and suspend_gap_ms, suspend_kernel_ms, reconnect_net_ms; what each
# measures on each side: suspend_table below, tests/bench/README.md). A
# device not back within 20 s is "lost": a figure, not a failure.
#
# Timings are reported, never judged: this fails only when a side did not
# produce its figures (a side did not boot, a benchmarked operation failed,
# a benchmark is missing on a side, the two block sides did not issue the
# same requests). Everything runs under QEMU TCG here, so ratios say more
# than absolutes.
#
#   bench.sh --table NATIVE_LOG XEN_LOG   only the tables, from earlier logs
#   bench.sh --blk-table XEN_LOG          only the block table
#   bench.sh --net-table XEN_LOG          only the network table
#   bench.sh --suspend-table XEN_LOG      only the suspend rows
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
ok=1
xen_status=0
table_only=
scenarios="bench bench-cpu-linux bench-smp bench-blkfront bench-blkfront-linux bench-blkfront-pvklinux bench-netfront bench-netfront-linux bench-netfront-pvklinux bench-suspend bench-suspend-linux"

# Whether the log is from a run that had the pvkit-in-linux side (scenario
# bench-KIND-pvklinux): then its figures are required; an older log gets
# "-" for them.
had_pvklinux() {  # xen_log kind
	tr -d '\r' 2>/dev/null <"$1" | grep -aq "bench-$2front-pvklinux\|bench-$2 [^ ]* pvklinux "
}

native_run() {  # image test cpus log
	timeout "${PVK_NATIVE_TIMEOUT:-300}" qemu-system-x86_64 -kernel "$1" \
		-append "pvkit.test=$2" -m 128 -smp "$3" \
		-display none -monitor none -serial stdio -no-reboot \
		-device isa-debug-exit,iobase=0xf4,iosize=0x04 </dev/null 2>&1 |
		tr -d '\r' >"$4"
}

run_both() {  # image outdir
	local image=$1 out=$2 xen_out=${PVK_E2E_OUT:-$2/e2e}

	native_log=$out/native.log
	native_smp_log=$out/native-smp.log
	xen_log=$xen_out/console.log
	mkdir -p "$out"
	[ -f "$image" ] || { echo "bench: no guest image $image (make guest)"; exit 1; }
	sh "$root/scripts/install-deps.sh" e2e >/dev/null ||
		{ echo "bench: cannot install qemu-system-x86"; exit 1; }

	echo "bench: native run (QEMU -smp 1, PVH entry) -> $native_log"
	native_run "$image" bench 1 "$native_log"
	echo "bench: native SMP run (QEMU -smp 4, PVH entry) -> $native_smp_log"
	native_run "$image" bench_smp 4 "$native_smp_log"

	echo "bench: Xen run (e2e harness, scenarios $scenarios) -> $xen_log"
	# shellcheck disable=SC2086 # a list of scenario names
	PVK_E2E_OUT=$xen_out "$root/tests/xen/e2e.sh" --guest "$image" check $scenarios
	xen_status=$?
}

# The block table from a Xen console log; 1 when a side lacks figures.
blk_table() {  # xen_log
	local log=$1 bad=0
	tr -d '\r' 2>/dev/null <"$log" | grep -ao "bench-blk-note .*" | sed 's/^bench-blk-note /bench: blk: /'
	had_pvklinux "$log" blk && want=1 || want=0
	tr -d '\r' 2>/dev/null <"$log" | grep -ao "bench-blk [^ ]* \(pvkit\|linux\|pvklinux\) .*\|bench-blk: FAIL.*" |
	awk -v want="$want" '
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
			c = order[i]; p = side[c, "pvkit"]; l = side[c, "linux"]; x = side[c, "pvklinux"]
			if (p == "" || l == "" || (want && x == "")) {
				printf "bench blkfront-%s: FAIL: no figure from the %s side\n", c,
				       (p == "" ? "kit" : l == "" ? "Linux" : "pvkit-in-linux")
				fail = 1; continue
			}
			if (field(p, "digest") != field(l, "digest") || (x != "" && field(x, "digest") != field(l, "digest"))) {
				printf "bench blkfront-%s: FAIL: the sides did not issue the same requests (digest %s vs %s vs %s)\n",
				       c, field(p, "digest"), field(l, "digest"), (x == "" ? "-" : field(x, "digest"))
				fail = 1; continue
			}
			pr = rate(p); lr = rate(l)
			pq = field(p, "reqs") + 0; lq = field(l, "reqs") + 0
			ops = field(p, "ops") + 0
			if (x == "") {
				xin = "-"; xratio = "-"; xtail = " in-linux-irqs/req=- in-linux-reqs/op=-"
			} else {
				xr = rate(x); xq = field(x, "reqs") + 0
				xin = sprintf("%.1f%s", xr, unit(x))
				xratio = lr > 0 ? sprintf("%.2f", xr / lr) : "inf"
				xtail = sprintf(" in-linux-irqs/req=%s in-linux-reqs/op=%s",
				                per(field(x, "irqs"), xq), per(xq, ops))
			}
			printf "bench blkfront-%s pvkit=%.1f%s linux=%.1f%s pvkit-in-linux=%s ratio=%s in-linux/linux=%s grants/req=%s notify/req=%s irqs/req=%s reused/req=%s reqs/op=%s eagain/req=%s linux-irqs/req=%s linux-reqs/op=%s%s\n",
			       c, pr, unit(p), lr, unit(l), xin, (lr > 0 ? sprintf("%.2f", pr / lr) : "inf"), xratio,
			       per(field(p, "grants"), pq), per(field(p, "notify"), pq),
			       per(field(p, "irqs"), pq), per(field(p, "reused"), pq),
			       per(pq, ops), per(field(p, "eagain"), pq),
			       per(field(l, "irqs"), lq), per(lq, ops), xtail
		}
		if (n == 0) { print "bench: blk: FAIL: no block figures from either side"; fail = 1 }
		exit fail
	}' || bad=1
	return $bad
}

# The network table from a Xen console log; 1 when a side lacks figures.
net_table() {  # xen_log
	local log=$1 want
	tr -d '\r' 2>/dev/null <"$log" | grep -ao "bench-net-note .*" | sed 's/^bench-net-note /bench: net: /'
	had_pvklinux "$log" net && want=1 || want=0
	tr -d '\r' 2>/dev/null <"$log" |
		grep -ao "bench-net [^ ]* \(pvkit\|linux\|pvklinux\) .*\|bench-net: FAIL.*\|\[bench-netfront\(-linux\|-pvklinux\)\?:dom0\] bench-net-dom0 [^ ]* [a-z]*: .*" |
	awk -v want="$want" '
	function field(line, key,   a, i, k) {
		k = split(line, a, " ")
		for (i = 4; i <= k; i++)
			if (index(a[i], key "=") == 1)
				return substr(a[i], length(key) + 2)
		return ""
	}
	function per(x, n) { return n > 0 ? sprintf("%.3f", x / n) : "-" }
	function pps(l,   ns) { ns = field(l, "ns") + 0; return ns > 0 ? field(l, "ops") / (ns / 1e9) : -1 }
	function mbs(l,   ns) { ns = field(l, "ns") + 0; return ns > 0 ? field(l, "bytes") / (ns / 1e3) : -1 }
	function rate(v) { return v >= 1000 ? sprintf("%.1fkpps", v / 1000) : sprintf("%.0fpps", v) }
	/^bench-net: FAIL/ { print "bench: net: " $0; fail = 1; next }
	/bench-net-dom0/ {
		# dom0 sink lines of tx cases: what arrived, per side.
		sd = ($0 ~ /^\[bench-netfront-linux:/) ? "linux" : ($0 ~ /^\[bench-netfront-pvklinux:/) ? "pvklinux" : "pvkit"
		sub(/^.*bench-net-dom0 /, "")
		if ($3 == "sent" && $4 ~ /^[0-9]+$/) {	# rx: dom0 source, the offered rate
			ns = $0; sub(/^.* ns=/, "", ns); ns += 0
			if (ns > 0)
				offered[$1, sd] = $4 / (ns / 1e9)
		}
		if ($3 ~ /^[0-9]+$/ && $4 == "received,") {
			l = $0; sub(/^.*lost /, "", l); sub(/,.*/, "", l)
			dom0[$1, sd] = $3 " received, " l " lost"
			dlost[$1, sd] = l
		}
		next
	}
	{
		if ($4 == "skipped:") { skip[$2] = $0; sub(/^.*skipped: /, "", skip[$2]) }
		if (!($2 in seen)) { seen[$2] = 1; order[++n] = $2 }
		if ($4 != "skipped:") side[$2, $3] = $0
	}
	# The pvkit-in-linux figure and in-linux/linux of a case, against
	# the Linux side rate lr (fmt: "pps" or "MB/s").
	function xval(x, fmt) {
		if (x == "") return "-"
		return fmt == "pps" ? rate(pps(x)) : sprintf("%.1fMB/s", mbs(x))
	}
	function xratio(x, lr, fmt) {
		if (x == "") return "-"
		return lr > 0 ? sprintf("%.2f", (fmt == "pps" ? pps(x) : mbs(x)) / lr) : "inf"
	}
	function orate(c, sd) { return (c, sd) in offered ? rate(offered[c, sd]) : "-" }
	function odash(v) { return v == "" ? "-" : v }
	END {
		for (i = 1; i <= n; i++) {
			c = order[i]; p = side[c, "pvkit"]; l = side[c, "linux"]; x = side[c, "pvklinux"]
			if (want && x == "" && l != "") {
				printf "bench netfront-%s: FAIL: no figure from the pvkit-in-linux side\n", c
				fail = 1; continue
			}
			if (c ~ /^tcp-/) {	# no TCP in the reference guest
				if (l != "")
					printf "bench netfront-%s pvkit=- linux=%.1fMB/s pvkit-in-linux=%s ratio=- in-linux/linux=%s linux-irqs/MB=%s in-linux-irqs/MB=%s\n",
					       c, mbs(l), xval(x, "MB/s"), xratio(x, mbs(l), "MB/s"),
					       per(field(l, "irqs"), field(l, "bytes") / 1e6),
					       (x == "" ? "-" : per(field(x, "irqs"), field(x, "bytes") / 1e6))
				continue
			}
			if (p == "" && (c in skip)) {
				printf "bench netfront-%s pvkit=- linux=%s pvkit-in-linux=%s ratio=- in-linux/linux=%s (kit side not run: %s) linux-MB/s=%.1f linux-irqs/pkt=%s\n",
				       c, (l == "" ? "-" : rate(pps(l))), xval(x, "pps"), xratio(x, (l == "" ? 0 : pps(l)), "pps"),
				       skip[c], (l == "" ? 0 : mbs(l)),
				       (l == "" ? "-" : per(field(l, "irqs"), field(l, "ops")))
				continue
			}
			if (p == "" || l == "") {
				printf "bench netfront-%s: FAIL: no figure from the %s side\n", c,
				       (p == "" ? "kit" : "Linux")
				fail = 1; continue
			}
			pr = pps(p); lr = pps(l); po = field(p, "ops") + 0; lo = field(l, "ops") + 0
			xo = x == "" ? 0 : field(x, "ops") + 0
			extra = ""
			if (field(p, "lost") != "" || field(l, "lost") != "" || field(x, "lost") != "")
				extra = sprintf(" lost=%s/%s/%s", odash(field(p, "lost")), odash(field(l, "lost")), odash(field(x, "lost")))
			if ((c, "pvkit") in offered || (c, "linux") in offered || (c, "pvklinux") in offered)
				extra = extra sprintf(" offered=%s/%s/%s", orate(c, "pvkit"), orate(c, "linux"), orate(c, "pvklinux"))
			if ((c, "pvkit") in dlost || (c, "linux") in dlost || (c, "pvklinux") in dlost)
				extra = extra sprintf(" dom0-lost=%s/%s/%s", odash(dlost[c, "pvkit"]), odash(dlost[c, "linux"]), odash(dlost[c, "pvklinux"]))
			printf "bench netfront-%s pvkit=%s linux=%s pvkit-in-linux=%s ratio=%s in-linux/linux=%s notify/pkt=%s pvkit-MB/s=%.1f linux-MB/s=%.1f in-linux-MB/s=%s sent/pkt=%s irqs/pkt=%s grants/pkt=%s eagain/pkt=%s linux-irqs/pkt=%s in-linux-irqs/pkt=%s%s\n",
			       c, rate(pr), rate(lr), xval(x, "pps"), (lr > 0 ? sprintf("%.2f", pr / lr) : "inf"), xratio(x, lr, "pps"),
			       per(field(p, "notify") + field(p, "irqs"), po), mbs(p), mbs(l),
			       (x == "" ? "-" : sprintf("%.1f", mbs(x))),
			       per(field(p, "notify"), po), per(field(p, "irqs"), po),
			       per(field(p, "grants"), po), per(field(p, "eagain"), po),
			       per(field(l, "irqs"), lo), (x == "" ? "-" : per(field(x, "irqs"), xo)), extra
		}
		if (n == 0) { print "bench: net: FAIL: no network figures from either side"; fail = 1 }
		exit fail
	}'
}

# The suspend rows from a Xen console log (scenarios bench-suspend and
# bench-suspend-linux); 1 when a side lacks a figure. Per side and cycle
# the guest's line "bench-suspend SIDE cycle=K result=R kernel_us=D
# gap_us=G blk_us=B|lost net_us=N|lost" and dom0's lines of
# tests/xen/dom0/save-restore ("[SCENARIO:dom0] save-restore: xl save
# took X ms", "... xl restore took Y ms; ...", "... dom0 downtime Z ms");
# each row the median over a side's cycles, ours/linux as ratio. A device
# that did not come back within the side's bound is "lost" (a figure: the
# row says ours=lost, or counts the cycles it came back in); a field
# missing or not a number, a side without cycles or without its "done", or
# dom0's times missing for a side fail the row.
suspend_table() {  # xen_log
	tr -d '\r' 2>/dev/null <"$1" |
		grep -ao "bench-suspend-note .*" | sed 's/^bench-suspend-note /bench: suspend: /'
	tr -d '\r' 2>/dev/null <"$1" |
		grep -ao "bench-suspend \(pvkit\|linux\) cycle=.*\|bench-suspend: \(pvkit\|linux\) done\|bench-suspend\( linux\)\?: FAIL.*\|\[bench-suspend\(-linux\)\?:dom0\] save-restore: .*" |
	awk '
	function field(line, key,   a, i, k) {
		k = split(line, a, " ")
		for (i = 3; i <= k; i++)
			if (index(a[i], key "=") == 1)
				return substr(a[i], length(key) + 2)
		return ""
	}
	function num(v) { return v ~ /^[0-9]+$/ }
	# The median of the n values v[side, row, 1..n] (sorted here).
	function median(sd, r, n,   i, j, t, x) {
		for (i = 1; i <= n; i++) x[i] = val[sd, r, i]
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && x[j - 1] > x[j]; j--) { t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
		return n % 2 ? x[(n + 1) / 2] : (x[n / 2] + x[n / 2 + 1]) / 2
	}
	function ms(us) { return sprintf("%.1f", us / 1000) }
	/save-restore: FAIL/ { print "bench: suspend: " $0; fail = 1; next }
	/^bench-suspend.*FAIL/ { print "bench: suspend: " $0; fail = 1; next }
	/:dom0\] save-restore: / {
		sd = ($0 ~ /^\[bench-suspend-linux:/) ? "linux" : "pvkit"
		if ($0 ~ /xl save took [0-9]+ ms/) { v = $0; sub(/^.*xl save took /, "", v); add(sd, "save", v + 0) }
		if ($0 ~ /xl restore took [0-9]+ ms/) { v = $0; sub(/^.*xl restore took /, "", v); add(sd, "restore", v + 0) }
		if ($0 ~ /dom0 downtime [0-9]+ ms/) { v = $0; sub(/^.*dom0 downtime /, "", v); add(sd, "dom0", (v + 0) * 1000) }
		next
	}
	/^bench-suspend: [a-z]+ done/ { done[$2] = 1; next }
	{
		sd = $2; cycles[sd]++
		n_rows = split("kernel gap blk net", rows, " ")
		for (i = 1; i <= n_rows; i++) {
			v = field($0, rows[i] "_us")
			if (num(v)) add(sd, rows[i], v + 0)
			else if (v == "lost" && (rows[i] == "blk" || rows[i] == "net")) lost[sd, rows[i]]++
			else bad[sd, rows[i]] = bad[sd, rows[i]] sprintf(" cycle %s: %s_us=%s", field($0, "cycle"), rows[i], (v == "" ? "(none)" : v))
		}
		# From the return of the suspend hypercall. Ours: measured
		# (blk_hc_us, net_hc_us: the kit clock from just after the
		# hypercall). Linux cannot see that moment from user space: its
		# figure is the probe plus the time its clock stood still
		# (gap_us) less the suspend its kernel measured (kernel_us), an
		# upper bound (it holds the freeze and the device suspend
		# callbacks before the hypercall too).
		for (i = 3; i <= 4; i++) {
			if (sd == "pvkit") {
				v = field($0, rows[i] "_hc_us")
				if (num(v)) add(sd, rows[i] "_hc", v + 0)
			} else if (num(field($0, rows[i] "_us")) && num(field($0, "gap_us")) && num(field($0, "kernel_us"))) {
				v = field($0, rows[i] "_us") + field($0, "gap_us") - field($0, "kernel_us")
				add(sd, rows[i] "_hc", v < 0 ? 0 : v)
			}
		}
	}
	# A row from the hypercall: printed when a side has a figure; "-"
	# for a side without one (a log from before these fields).
	function hcrow(name, r,   o, l) {
		o = cnt["pvkit", r] ? median("pvkit", r, cnt["pvkit", r]) : -1
		l = cnt["linux", r] ? median("linux", r, cnt["linux", r]) : -1
		if (o < 0 && l < 0)
			return
		printf "bench %s ours=%s linux<=%s ratio>=%s back=%d/%d,%d/%d\n", name,
		       (o < 0 ? "-" : ms(o)), (l < 0 ? "-" : ms(l)),
		       (o < 0 || l <= 0 ? "-" : sprintf("%.2f", o / l)),
		       cnt["pvkit", r], cycles["pvkit"], cnt["linux", r], cycles["linux"]
	}
	function add(sd, r, v) { val[sd, r, ++cnt[sd, r]] = v }
	# One row; kind: "time" (every cycle must have a number) or "device"
	# (a cycle may say lost).
	function row(name, r, kind, extra,   sd, i, fig, miss, s, ok) {
		ok = 1
		split("pvkit linux", sides, " ")
		for (i = 1; i <= 2; i++) {
			sd = sides[i]
			if (!cycles[sd]) { miss = miss (miss ? ", " : "") (sd == "pvkit" ? "the kit" : "Linux") " (no cycles)"; continue }
			if ((sd, r) in bad) { miss = miss (miss ? ", " : "") (sd == "pvkit" ? "the kit" : "Linux") ":" bad[sd, r]; continue }
			if (r == "dom0" && cnt[sd, r] != cycles[sd]) {
				miss = miss (miss ? ", " : "") (sd == "pvkit" ? "the kit" : "Linux") sprintf(" (dom0 times for %d of %d cycles)", cnt[sd, r] + 0, cycles[sd])
				continue
			}
			if (kind == "time" && cnt[sd, r] + lost[sd, r] != cycles[sd]) { miss = miss (miss ? ", " : "") sd; continue }
			fig[sd] = cnt[sd, r] ? median(sd, r, cnt[sd, r]) : -1
		}
		if (miss != "") {
			printf "bench %s: FAIL: no figure from %s\n", name, miss
			fail = 1
			return
		}
		s = sprintf("bench %s ours=%s linux=%s ratio=%s", name,
		            (fig["pvkit"] < 0 ? "lost" : ms(fig["pvkit"])), (fig["linux"] < 0 ? "lost" : ms(fig["linux"])),
		            (fig["pvkit"] < 0 || fig["linux"] <= 0 ? "-" : sprintf("%.2f", fig["pvkit"] / fig["linux"])))
		if (kind == "device")
			s = s sprintf(" back=%d/%d,%d/%d", cnt["pvkit", r], cycles["pvkit"], cnt["linux", r], cycles["linux"])
		else
			s = s sprintf(" cycles=%d,%d", cycles["pvkit"], cycles["linux"])
		print s extra
	}
	function split_ms(sd) {
		return (cnt[sd, "save"] ? sprintf("%.0f", median(sd, "save", cnt[sd, "save"])) : "-") "/" \
		       (cnt[sd, "restore"] ? sprintf("%.0f", median(sd, "restore", cnt[sd, "restore"])) : "-")
	}
	END {
		if (!cycles["pvkit"] && !cycles["linux"]) { print "bench: suspend: FAIL: no suspend figures from either side"; exit 1 }
		for (sd in cycles)
			if (!done[sd]) { printf "bench: suspend: FAIL: the %s side did not finish its cycles\n", sd; fail = 1 }
		for (sd in done)
			if (!cycles[sd]) { printf "bench: suspend: FAIL: the %s side finished with no cycles\n", sd; fail = 1 }
		row("suspend_downtime_ms", "dom0", "time", " save/restore_ms=" split_ms("pvkit") "," split_ms("linux"))
		row("suspend_gap_ms", "gap", "time", "")
		row("suspend_kernel_ms", "kernel", "time", "")
		row("reconnect_blk_ms", "blk", "device", "")
		row("reconnect_net_ms", "net", "device", "")
		hcrow("reconnect_blk_from_hypercall_ms", "blk_hc")
		hcrow("reconnect_net_from_hypercall_ms", "net_hc")
		exit fail
	}'
}

if [ "${1:-}" = --suspend-table ]; then
	[ $# -eq 2 ] || { echo "usage: $0 --suspend-table XEN_LOG"; exit 2; }
	suspend_table "$2" || { echo "bench: FAIL: a suspend side did not produce its figures"; exit 1; }
	exit 0
fi
if [ "${1:-}" = --net-table ]; then
	[ $# -eq 2 ] || { echo "usage: $0 --net-table XEN_LOG"; exit 2; }
	net_table "$2" || { echo "bench: FAIL: a network side did not produce its figures"; exit 1; }
	exit 0
fi
if [ "${1:-}" = --blk-table ]; then
	[ $# -eq 2 ] || { echo "usage: $0 --blk-table XEN_LOG"; exit 2; }
	blk_table "$2" || { echo "bench: FAIL: a block side did not produce its figures"; exit 1; }
	exit 0
fi
if [ "${1:-}" = --table ]; then
	[ $# -eq 3 ] || [ $# -eq 4 ] ||
		{ echo "usage: $0 --table NATIVE_LOG XEN_LOG [NATIVE_SMP_LOG]"; exit 2; }
	native_log=$2 xen_log=$3 native_smp_log=${4:-} table_only=1
else
	[ $# -eq 2 ] || { echo "usage: $0 IMAGE OUTDIR | --table NATIVE_LOG XEN_LOG [NATIVE_SMP_LOG]"; exit 2; }
	run_both "$1" "$2"
fi

# The raw lines of one side: "NAME ps/op=P hc/op=H iters=N".
raw() {  # log world
	[ -f "$1" ] || return 0
	tr -d '\r' <"$1" | grep -ao "bench-raw .* $2 ps/op=.*" |
		sed "s/^bench-raw \([^ ]*\) $2 /\1 /"
}
for side in native:"$native_log" native-smp:"$native_smp_log" xen:"$xen_log"; do
	world=${side%%:*} log=${side#*:}
	[ "$world" = native-smp ] && [ -z "$log" ] && continue	# --table without it
	if ! tr -d '\r' 2>/dev/null <"$log" | grep -aq "bench: done, 0 failed"; then
		echo "bench: FAIL: the $world side did not complete its benchmarks (see $log)"
		tr -d '\r' 2>/dev/null <"$log" | grep -a "bench-fail" | sed 's/^/bench:   /'
		ok=0
	fi
done
# Linux's side (bench-cpu-linux); --table on a log from before it existed
# prints "-" without failing. A log whose run had the scenario (dom0's
# scenario-begin line) needs its figures, even when Linux never booted.
if [ -z "${table_only:-}" ] ||
	tr -d '\r' 2>/dev/null <"$xen_log" | grep -aq "scenario-begin bench-cpu-linux \|bench-cpu-note \|bench-cpu: \|bench-raw [^ ]* linux "; then
	if ! tr -d '\r' 2>/dev/null <"$xen_log" | grep -aq "bench-cpu: done"; then
		echo "bench: FAIL: the Linux side (bench-cpu-linux) did not complete its benchmarks (see $xen_log)"
		tr -d '\r' 2>/dev/null <"$xen_log" | grep -ao "bench-cpu: FAIL.*" | sed 's/^/bench:   /'
		ok=0
	fi
fi
[ "$xen_status" -eq 0 ] || { echo "bench: FAIL: the Xen scenario failed (see above)"; ok=0; }

native=$( { raw "$native_log" native; [ -z "$native_smp_log" ] || raw "$native_smp_log" native; } )
xen=$(raw "$xen_log" xen)
linux=$(raw "$xen_log" linux)
names=$( { echo "$native"; echo "$xen"; } | awk 'NF { print $1 }' | awk '!seen[$0]++')
[ -n "$names" ] || { echo "bench: FAIL: no figures from either side"; exit 1; }

echo
for n in $names; do
	nl=$(echo "$native" | awk -v n="$n" '$1 == n' | head -n1)
	xl=$(echo "$xen" | awk -v n="$n" '$1 == n' | head -n1)
	ll=$(echo "$linux" | awk -v n="$n" '$1 == n' | head -n1)
	if [ -z "$nl" ] || [ -z "$xl" ]; then
		echo "bench $n: FAIL: no figure from the $([ -z "$nl" ] && echo native || echo Xen) side"
		ok=0
		continue
	fi
	awk -v n="$n" -v nl="$nl" -v xl="$xl" -v ll="$ll" '
	function field(line, key,   a, i, k) {
		k = split(line, a, " ")
		for (i = 2; i <= k; i++)
			if (index(a[i], key "=") == 1)
				return substr(a[i], length(key) + 2) + 0
		return -1
	}
	function sfield(line, key,   a, i, k) {
		k = split(line, a, " ")
		for (i = 2; i <= k; i++)
			if (index(a[i], key "=") == 1)
				return substr(a[i], length(key) + 2)
		return ""
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
		# The rows where Linux cannot do the guest'"'"'s operation from a
		# process, and what it does instead: their vs_linux is of unequal
		# work, marked "~" with linux-op= (the op= of cpubench'"'"'s line
		# names it; a clock read through the vDSO, op=vdso, is the same).
		unlike["cr3_switch"] = "pipe-pingpong/2"
		unlike["pte_update_x1000"] = "mprotect"
		unlike["clock_ns"] = "clock_gettime-syscall"
		np = field(nl, "ps/op"); xp = field(xl, "ps/op")
		ratio = np > 0 ? sprintf("%.2f", xp / np) : "inf"
		lp = ll == "" ? -1 : field(ll, "ps/op")
		op = sfield(ll, "op")
		lin = lp < 0 ? "linux=- vs_linux=-" : \
		      sprintf("linux=%s vs_linux=%s", t(lp), lp > 0 ? sprintf("%.2f", xp / lp) : "inf")
		if (lp >= 0 && (n in unlike) && op != "vdso")
			lin = lin sprintf("~ linux-op=%s", op != "" ? op : unlike[n])
		printf "bench %s native=%s xen=%s ratio=%s hypercalls/op=%s %s\n",
		       n, t(np), t(xp), ratio, count(field(xl, "hc/op")), lin
	}'
done
# The rows of one operation against a baseline in the same boot (bench-vs
# lines: "NAME_vs_BASE WORLD ps/op=P base-ps/op=B ..."): issue 15's
# irq_patched_vs_bare natively (required), and patched vs unpatched sites
# in each world.
vs_raw() {  # log world
	[ -f "$1" ] || return 0
	tr -d '\r' <"$1" | grep -ao "bench-vs [^ ]* $2 ps/op=.*" | sed 's/^bench-vs //'
}
vs=$( { vs_raw "$native_log" native; vs_raw "$xen_log" xen; } )
if ! grep -q '^irq_patched_vs_bare native ' <<<"$vs"; then
	echo "bench irq_patched_vs_bare: FAIL: no figure from the native side"
	ok=0
fi
echo "$vs" | awk '
function field(line, key,   a, i, k) {
	k = split(line, a, " ")
	for (i = 3; i <= k; i++)
		if (index(a[i], key "=") == 1)
			return substr(a[i], length(key) + 2) + 0
	return -1
}
function t(ps) {
	if (ps < 1e6) return sprintf("%.1fns", ps / 1e3)
	if (ps < 1e9) return sprintf("%.1fus", ps / 1e6)
	return sprintf("%.1fms", ps / 1e9)
}
NF && !seen[$1, $2]++ {
	base = $1; sub(/^.*_vs_/, "", base)
	p = field($0, "ps/op"); b = field($0, "base-ps/op")
	printf "bench %s %s patched=%s %s=%s ratio=%s\n", $1, $2, t(p), base, t(b),
	       (b > 0 ? sprintf("%.2f", p / b) : "inf")
}'
echo
tr -d '\r' 2>/dev/null <"$xen_log" | grep -ao "bench-note .*" | sed 's/^bench-note /bench: xen: /'
cat "$native_log" ${native_smp_log:+"$native_smp_log"} 2>/dev/null | tr -d '\r' |
	grep -ao "bench-note .*" | sed 's/^bench-note /bench: native: /'
tr -d '\r' 2>/dev/null <"$xen_log" | grep -ao "bench-cpu-note .*" | sed 's/^bench-cpu-note /bench: linux: /'
echo "bench: ipi_roundtrip and tlb_shootdown_4cpu_* come from 4-CPU boots (scenario bench-smp," \
	"QEMU -smp 4), every other row from 1-CPU boots (scenario bench, QEMU -smp 1)"
echo "bench: native and Xen both run under QEMU TCG (no KVM): compare ratios, not absolutes"
echo "bench: irq_patched_vs_bare = pvops irq save+disable+restore through the patched sites (natively" \
	"the bare instructions, NOP-padded) over the same instructions written inline, same boot (issue 15's" \
	"goal: 1.00 within noise); irq_patched_vs_unpatched = over the sites' call of the table's thunk (what" \
	"every site ran before selection; on Xen a direct call of the Xen op vs the indirect call through" \
	"the table); each the fastest of 5 alternating rounds of 100,000"
echo "bench: syscall_roundtrip = ring 3 -> kernel -> ring 3, a null syscall;" \
	"pagefault_roundtrip = a ring-3 read of an unmapped page, the kernel maps the zero page, returns;" \
	"on Xen their hypercalls/op include the HYPERVISOR_iret of the return"
echo "bench: pte_update_x1000 = 1,000 PTE writes: natively plain stores through set_pte;" \
	"on Xen building a 4096-page address space (pvk_mmu_map_range, tables included), per 1,000 entries"
echo "bench: linux = the same operation from a process of Debian's kernel as a PV domU (scenario" \
	"bench-cpu-linux, same Xen, boot, TSC mode, 1 vCPU); vs_linux = xen/linux, the goal is at or below 1.00:" \
	"syscall_roundtrip = getppid; pagefault_roundtrip = a read of a fresh anonymous page (Linux maps its" \
	"zero page); clock_ns = clock_gettime(CLOCK_MONOTONIC); fork_copy_1024p = fork of a process with" \
	"1,024 written pages, the child writing every page (4 MiB copied, as the guest) + exit + wait;" \
	"irq_save_restore and the SMP rows: none (see tests/bench/README.md)"
echo "bench: vs_linux=R~ linux-op=OP: NOT the same operation, Linux did OP (a process cannot do the" \
	"guest's), so R compares unequal work and is no win or loss: pipe-pingpong/2 = a switch between two" \
	"processes (2 syscalls, the scheduler and the CR3 load, vs the guest's bare CR3 load); mprotect =" \
	"present PTEs rewritten, per 1,000 entries (vs building an address space); clock_gettime-syscall =" \
	"the system call the vDSO falls back to because Xen under QEMU does not mark the TSC stable (what a" \
	"Linux process pays on this Xen; the guest reads the pvclock in its kernel)"
echo
blk_table "$xen_log" || ok=0
echo "bench: blk: the kit's blkfront (reference guest) and Linux's xen-blkfront (Debian's kernel," \
	"domU) against Linux blkback, same boot, 1 vCPU each, same requests (tests/bench/blkbench.h);" \
	"ratio = pvkit/linux throughput; grants/req, notify/req (sent), irqs/req (received)," \
	"reused/req (persistent grants), eagain/req (submits refused: queue full) are the kit's" \
	"per ring request; linux-irqs/req from its blkif" \
	"interrupts; reqs/op = ring requests per operation on each side;" \
	"pvkit-in-linux = our pvk-blkfront.ko in the same Debian kernel as linux (scenario" \
	"bench-blkfront-pvklinux), in-linux/linux its throughput over linux's (goal: at or above 1.00)," \
	"in-linux-irqs/req from its interrupts (pvk-vbd*, or pvkit)"
echo
net_table "$xen_log" || ok=0
echo "bench: net: the kit's netfront (reference guest, 10.0.0.4) and Linux's xen-netfront (Debian's" \
	"kernel, domU, 10.0.0.2) against Linux netback and dom0's bridge, same boot, 1 vCPU each, the same" \
	"UDP datagrams in the same frames (tests/bench/netbench.h), dom0's pvk-net-udp at the other end;" \
	"value = datagrams per second (tx: the guest's send loop; rx: intact ones received, first to last)," \
	"MB/s = payload (10^6 bytes); ratio = pvkit/linux; notify/pkt = the kit's events sent + received" \
	"per packet (sent/pkt, irqs/pkt apart), grants/pkt, eagain/pkt (xmits refused: ring full) the" \
	"kit's; linux-irqs/pkt from its vif interrupts; lost = of the rx case's datagrams, not received;" \
	"offered = the rate dom0's source sent them at (as fast as it could: an rx figure near it with" \
	"lost=0 is the source's limit, not the guest's); dom0-lost = of a tx case's, not received by" \
	"dom0's sink; pvkit/linux/pvkit-in-linux each; pvkit-in-linux = our pvk-netfront.ko in the" \
	"same Debian kernel as linux (scenario bench-netfront-pvklinux, 10.0.0.2), in-linux/linux its" \
	"rate over linux's (goal: at or above 1.00), in-linux-irqs/pkt from its interrupts (pvk-vif*," \
	"or pvkit); tcp rows: MB/s of Linux's TCP stream (the reference guest has no TCP)"
# The suspend rows; --table on a log from before them leaves them out.
if [ -z "${table_only:-}" ] ||
	tr -d '\r' 2>/dev/null <"$xen_log" | grep -aq "scenario-begin bench-suspend\|bench-suspend "; then
	echo
	suspend_table "$xen_log" || ok=0
	echo "bench: suspend: ours = the reference guest (scenario bench-suspend), linux = Debian's kernel as" \
		"a PV domU (bench-suspend-linux), same boot, 128 MiB, 1 vCPU, one disk and one vif each, 3 xl save +" \
		"xl restore cycles each, medians; ratio = ours/linux (below 1.00: ours is back sooner);" \
		"suspend_downtime_ms = dom0's xl save start to xl restore's return (save/restore_ms: the two" \
		"steps, ours,linux); suspend_gap_ms = the time the guest's own code did not run, by its clock" \
		"(ours: the host's before() to after() callback; linux: the largest step of CLOCK_BOOTTIME in a" \
		"process sampling it every 1 ms); suspend_kernel_ms = the kernel's own measure around the" \
		"hypercall (ours: pvk_suspend_stats.last_downtime_ns; linux: the growth of BOOTTIME - MONOTONIC," \
		"the sleep its timekeeping injected); reconnect_blk_ms / reconnect_net_ms = from the guest" \
		"running again (ours: after(); linux: the process's first sample after the gap) to a 4 KiB read" \
		"of xvda answered / an ICMP echo to dom0 answered, the two probes side by side; lost = not back" \
		"within 20 s; back = cycles it came back in, ours,linux; the *_from_hypercall_ms rows: the" \
		"same ends from the suspend hypercall's return (ours: measured, the kit's clock just after" \
		"the hypercall; linux: not visible from user space, an upper bound: the probe plus its" \
		"clock's gap less its kernel's suspend, so ratio>= is a lower bound) (tests/bench/README.md)"
fi
[ "$ok" = 1 ] || { echo "bench: FAIL: a side did not produce its figures"; exit 1; }
echo "bench: done"
