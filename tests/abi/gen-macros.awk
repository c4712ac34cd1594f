# tests/abi/gen-macros.awk - the function-like macros of check-abi: each
# function-like macro our headers define (gcc -dM -E, minus what
# pvkit/types.h defines) is paired with Xen's by the naming rule of
# gen-check.awk (which this file is run in front of: awk -f gen-macros.awk
# -f gen-check.awk), and both are evaluated at the same arguments.
#
# Which arguments a macro takes is read from its body, not from a list:
#   a parameter pasted with ## names a type: every name that, pasted as
#     our body pastes it, gives one of our aggregates (so "blkif" for
#     rings, as union pvk_blkif_sring_entry exists);
#   a parameter under sizeof is an object: char arrays of several sizes;
#   any other parameter is an integer: 0, 1, mid values, each power-of-two
#     boundary up to the 64-bit maximum, as unsigned long long, and a few as
#     int (the signedness of the result is compared too).
# A macro of several parameters is evaluated at every combination (a
# shorter integer list then).
#
# The compiler decides what is comparable. Run three times:
#   mode=screen writes build/abi/macro-screen.c: one function per macro
#               and side, at the first argument tuple, each on its own
#               line; it is compiled with -fsyntax-only, its errors kept
#               (.err). A macro neither side compiles is not comparable.
#   mode=probe  reads the screen and its errors, writes macro-probe.c: the
#               same for every argument tuple of the macros left;
#   mode=table  reads both probe files and their errors and leaves, for
#               gen-check.awk to print, the evaluation table (tuples that
#               compile on both sides), the macros that are not comparable
#               with the reason (the compiler's, in words: a statement, a
#               ring pointer argument, ...), and a failure for each tuple
#               only one side accepts.

function mac_push(list, v) {
	return list == "" ? v : list SUBSEP v
}

# The kind of parameter p in a macro body: name, object or int.
function mac_param_kind(body, p,   q) {
	q = "(^|[^A-Za-z0-9_])"
	if (body ~ ("##[ \t]*" p "([^A-Za-z0-9_]|$)") || body ~ (q p "[ \t]*##"))
		return "name"
	if (body ~ ("sizeof[ \t]*\\(?[ \t]*\\(?[ \t]*" p "[ \t]*\\)"))
		return "object"
	return "int"
}

# The argument lists of one parameter kind, separated by SUBSEP.
function mac_values(k, several, body, p) {
	if (k == "object")
		return "(char[16]){0}" SUBSEP "(char[1024]){0}" SUBSEP \
			"(char[2048]){0}" SUBSEP "(char[4096]){0}"
	if (k == "name")
		return mac_names(body, p)
	if (several)
		return "0ULL" SUBSEP "1ULL" SUBSEP "0x40ULL" SUBSEP "0xffULL" SUBSEP \
			"0x1000ULL" SUBSEP "0x2000ULL" SUBSEP "0x4000ULL" SUBSEP \
			"0x8000ULL" SUBSEP "0x10000ULL" SUBSEP "0x7fffffffULL" SUBSEP \
			"0xffffffffULL" SUBSEP "1"
	return "0ULL" SUBSEP "1ULL" SUBSEP "2ULL" SUBSEP "3ULL" SUBSEP "0x2aULL" SUBSEP \
		"0x7fULL" SUBSEP "0x80ULL" SUBSEP "0xfeULL" SUBSEP "0xffULL" SUBSEP \
		"0x100ULL" SUBSEP "0x3ffULL" SUBSEP "0x400ULL" SUBSEP "0xfffULL" SUBSEP \
		"0x1000ULL" SUBSEP "0xffffULL" SUBSEP "0x10000ULL" SUBSEP \
		"0x123456ULL" SUBSEP "0x7fffffffULL" SUBSEP "0x80000000ULL" SUBSEP \
		"0xffffffffULL" SUBSEP "0x100000000ULL" SUBSEP \
		"0x7fffffffffffffffULL" SUBSEP "0xffffffffffffffffULL" SUBSEP \
		"0" SUBSEP "1" SUBSEP "0xff" SUBSEP "0x7fff"
}

# ---- read the inputs (gen-check.awk reads them too) ----

FILENAME ~ /\.macros$/ && $1 == "#define" && $2 ~ /\(/ {
	mn = $2
	sub(/\(.*/, "", mn)
	mp = $2
	sub(/^[^(]*\(/, "", mp)
	sub(/\).*/, "", mp)
	mb = $0
	sub(/^#define [^ ]+ ?/, "", mb)
	if (FILENAME ~ /ours\.macros$/) {
		if (mn ~ /^(PVK|pvk)_/ && !(mn in base)) {
			mac_ours[++mac_n] = mn
			mac_oparams[mn] = mp
			mac_obody[mn] = mb
		}
	} else if (FILENAME ~ /xen\.macros$/) {
		mac_xparams[mn] = mp
	}
}

FILENAME ~ /ours\.lay$/ && $1 == "A" {
	mac_oagg_full[$3] = 1
}

# The probe files: "void abi_<screen|probe>_<k>_<o|x>(void) { ... }"
FILENAME ~ /macro-(screen|probe)\.c$/ {
	if (match($0, /^void abi_(screen|probe)_[0-9]+_[ox]\(/)) {
		kind = (FILENAME ~ /screen\.c$/) ? "screen" : "probe"
		mac_line[kind, FNR] = substr($0, 10, RLENGTH - 10)
	}
	next
}

# Their errors: "<file>:<line>:<col>: error: <message>"
FILENAME ~ /macro-(screen|probe)\.err$/ {
	kind = (FILENAME ~ /screen\.err$/) ? "screen" : "probe"
	if (match($0, /macro-(screen|probe)\.c:[0-9]+:[0-9]+: error: /)) {
		split(substr($0, RSTART), w, ":")
		msg = substr($0, RSTART + RLENGTH)
		if ((kind, w[2] + 0) in mac_line) {
			id = mac_line[kind, w[2] + 0]
			if (!(id in mac_err))
				mac_err[id] = msg
		}
	}
	next
}

# ---- the macros and their argument tuples ----

# The names parameter p can take in macro body b: where the body pastes
# "<left>##p##<right>", every S for which ours has an aggregate
# <left>S<right> (for PVK_CONST_RING_SIZE: S with union pvk_S_sring_entry).
function mac_names(b, p,   left, right, a, r, list) {
	if (!match(b, "[A-Za-z0-9_]*[ \t]*##[ \t]*" p "([ \t]*##[ \t]*[A-Za-z0-9_]*)?"))
		return ""
	r = substr(b, RSTART, RLENGTH)
	left = r
	sub(/[ \t]*##.*/, "", left)
	right = ""
	if (match(r, p "[ \t]*##"))
		right = substr(r, RSTART + RLENGTH)
	sub(/^[ \t]*/, "", right)
	list = ""
	for (a in mac_oagg_full)
		if (length(a) > length(left) + length(right) &&
		    substr(a, 1, length(left)) == left &&
		    substr(a, length(a) - length(right) + 1) == right)
			list = mac_push(list, substr(a, length(left) + 1,
				length(a) - length(left) - length(right)))
	return mac_sort(list)
}

function mac_sort(list,   w, n, i, j, t) {
	n = split(list, w, SUBSEP)
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && w[j - 1] > w[j]; j--) {
			t = w[j]; w[j] = w[j - 1]; w[j - 1] = t
		}
	list = ""
	for (i = 1; i <= n; i++)
		list = mac_push(list, w[i])
	return list
}

# Every combination of the parameters' values of macro m: mac_tuple[m, i].
function mac_tuples(m,   np, p, i, j, k, n, cur, nxt, vals, nv, v) {
	np = split(mac_oparams[m], p, ",")
	mac_nt[m] = 0
	if (np == 0) {
		mac_tuple[m, ++mac_nt[m]] = ""
		return
	}
	n = 1
	cur[1] = ""
	for (i = 1; i <= np; i++) {
		nv = split(mac_values(mac_param_kind(mac_obody[m], p[i]), np > 1,
				      mac_obody[m], p[i]), vals, SUBSEP)
		k = 0
		delete nxt
		for (j = 1; j <= n; j++)
			for (v = 1; v <= nv; v++)
				nxt[++k] = (i == 1) ? vals[v] : cur[j] ", " vals[v]
		n = k
		delete cur
		for (j = 1; j <= n; j++)
			cur[j] = nxt[j]
	}
	for (j = 1; j <= n; j++)
		mac_tuple[m, j] = cur[j]
	mac_nt[m] = n
}

# Xen's name for our macro m, or "".
function mac_xen_name(m,   x) {
	if (m in name_map) {
		name_map_used[m]++
		return name_map[m]
	}
	x = strip_pvk(m)
	if (x in mac_xparams)
		return x
	if ("_" x in mac_xparams)
		return "_" x
	if ("__" x in mac_xparams)
		return "__" x
	return ""
}

# The compiler's complaint, in words.
function mac_reason(msg) {
	if (msg ~ /expected expression before .do./)
		return "a statement (do ... while (0)), not an expression"
	if (msg ~ /invalid type argument of/ || msg ~ /request for member/)
		return "takes a pointer (to a ring or struct), not an integer"
	if (msg ~ /not compatible with any association/)
		return "its value is not an integer (a pointer or a struct)"
	if (msg ~ /specifier-qualifier-list/ || msg ~ /expected declaration/)
		return "declares types, not an expression (the types are compared as items)"
	if (msg ~ /void value not ignored/)
		return "its value is void"
	if (msg ~ /expected expression before/ || msg ~ /expected .*before/)
		return "not an expression: " msg
	return "does not compile with integer arguments: " msg
}

function mac_probe_line(kind, k, side, m, args) {
	return sprintf("void abi_%s_%d_%s(void) { struct abi_value v = ABI_EVAL(%s(%s)); (void)v; }", \
		kind, k, side, m, args)
}

END {
	# sorted by name, for a stable report
	for (i = 2; i <= mac_n; i++)
		for (j = i; j > 1 && mac_ours[j - 1] > mac_ours[j]; j--) {
			t = mac_ours[j]; mac_ours[j] = mac_ours[j - 1]; mac_ours[j - 1] = t
		}
	nprobe = 0
	for (i = 1; i <= mac_n; i++) {
		m = mac_ours[i]
		x = mac_xen_name(m)
		if (ours_only(m)) {
			if (x != "" && !(m in name_map))
				missing("macro " m, "listed in tests/abi/ours-only, but Xen has " x)
			n_skipped++
			continue
		}
		if (x == "") {
			if ((strip_pvk(m) in xen_macro) || ("_" strip_pvk(m) in xen_macro))
				missing("macro " m, "Xen's " strip_pvk(m) " is not function-like")
			else
				missing("macro " m, "no Xen counterpart (add it to tests/abi/xen-names or, with a reason, to tests/abi/ours-only)")
			continue
		}
		no = split(mac_oparams[m], w, ",")
		nx = split(mac_xparams[x], w, ",")
		if (no != nx) {
			mac_skip = mac_skip sprintf("\t{ %s, %s, %s },\n", c_str(m), c_str(x), \
				c_str("ours takes " no " argument(s), Xen's " nx " (an out-parameter is a statement)"))
			continue
		}
		if (mac_oparams[m] ~ /\.\.\./) {
			mac_skip = mac_skip sprintf("\t{ %s, %s, %s },\n", c_str(m), c_str(x), \
				c_str("takes a variable number of arguments"))
			continue
		}
		mac_tuples(m)
		# The screen: the first tuple only, so that a statement or a
		# pointer-taking macro costs two failed calls, not hundreds.
		nscreen++
		screen_m[nscreen] = m
		screen_x[nscreen] = x
		screen_a[nscreen] = mac_tuple[m, 1]
		so = "screen_" nscreen "_o"
		sx = "screen_" nscreen "_x"
		if ((so in mac_err) && (sx in mac_err)) {
			mac_skip = mac_skip sprintf("\t{ %s, %s, %s },\n", c_str(m), c_str(x), \
				c_str(mac_reason(mac_err[so])))
			continue
		}
		# The screen's output is its first tuples only: the rows below,
		# grown one string per tuple of every macro, would cost mawk
		# tens of seconds (quadratic copying) to be thrown away.
		if (mode == "screen")
			continue
		# One side only: one failure, not one per tuple.
		if ((so in mac_err) || (sx in mac_err)) {
			missing("macro " m "(" mac_tuple[m, 1] ")", (so in mac_err) ? \
				"ours does not compile (" mac_err[so] "), Xen's " x " does" : \
				"Xen's " x " does not compile (" mac_err[sx] "), ours does")
			continue
		}
		nboth = 0
		for (j = 1; j <= mac_nt[m]; j++) {
			nprobe++
			probe_m[nprobe] = m
			probe_x[nprobe] = x
			probe_a[nprobe] = mac_tuple[m, j]
			eo = ("probe_" nprobe "_o") in mac_err
			ex = ("probe_" nprobe "_x") in mac_err
			if (!eo && !ex) {
				mac_rows = mac_rows sprintf("\t\t{ %s, %s, %s, ABI_EVAL(%s(%s)), ABI_EVAL(%s(%s)) },\n", \
					c_str(m), c_str(x), c_str(mac_tuple[m, j]), \
					m, mac_tuple[m, j], x, mac_tuple[m, j])
				nboth++
			} else if (!eo || !ex) {
				missing("macro " m "(" mac_tuple[m, j] ")", \
					(eo ? "ours does not compile (" mac_err["probe_" nprobe "_o"] ")" : \
					      "Xen's " x " does not compile (" mac_err["probe_" nprobe "_x"] ")") \
					", the other does")
			} else if (!(m in why)) {
				why[m] = mac_reason(mac_err["probe_" nprobe "_o"])
			}
		}
		if (mode == "table" && !nboth)
			mac_skip = mac_skip sprintf("\t{ %s, %s, %s },\n", c_str(m), c_str(x), \
				c_str((m in why) ? why[m] : "no argument tuple"))
	}

	if (mode == "screen" || mode == "probe") {
		print "/* Generated by tests/abi/gen-macros.awk: which macro calls compile. */"
		print "#include \"abi-report.h\""
		while ((getline line < includes) > 0)
			print line
		if (mode == "screen")
			for (k = 1; k <= nscreen; k++) {
				print mac_probe_line(mode, k, "o", screen_m[k], screen_a[k])
				print mac_probe_line(mode, k, "x", screen_x[k], screen_a[k])
			}
		else
			for (k = 1; k <= nprobe; k++) {
				print mac_probe_line(mode, k, "o", probe_m[k], probe_a[k])
				print mac_probe_line(mode, k, "x", probe_x[k], probe_a[k])
			}
		exit 0
	}
}
