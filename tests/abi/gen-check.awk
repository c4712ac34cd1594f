# tests/abi/gen-check.awk - generate the C program that compares our Xen ABI
# definitions (include/pvkit/xen/) with Xen's public headers.
#
# The list of items is derived, never written by hand: every PVK_* constant
# (object-like macro or enumerator), every pvk_* typedef and every struct,
# union and enum type, with every member path, that our headers define.
# Each is paired with Xen's item by the naming rule (drop the prefix; for
# constants Xen's name may also carry one or two leading underscores), or
# by tests/abi/xen-names for the few names that do not follow it. Items
# listed in tests/abi/ours-only (each with a reason) are skipped. Anything
# else without a Xen counterpart becomes a failing item, as does a stale
# line in either list, so the lists cannot drift from the headers.
# Members and typedefs are compared by offset, size and type (the
# descriptions of dwarf-layout.awk: width, signedness, array lengths).
# Function-like macros are gen-macros.awk's, run in front of this file;
# its tables are printed here.
#
# Inputs (in this order on the command line), each kind given as
#   base.macros base.lay  what pvkit/types.h alone defines (not ABI items)
#   ours.macros ours.lay  our headers: gcc -dM -E output, dwarf-layout.awk output
#   xen.macros  xen.lay   Xen's headers: the same
#   xen-names ours-only   the exception lists (aggregates named by tag)
# Output (stdout): the tables of build/abi/abi-check.c; the includes come
# from the caller (-v includes=FILE, a file of #include lines).

function strip_pvk(s) {
	if (s ~ /^PVK_/ || s ~ /^pvk_/)
		return substr(s, 5)
	return s
}

# Glob (only "*") to an anchored regular expression.
function glob_re(g,   re) {
	re = g
	gsub(/[.+?()|\[\]{}^$\\]/, "\\\\&", re)
	gsub(/\*/, ".*", re)
	return "^" re "$"
}

function c_str(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

# Is item (a constant or typedef name, an aggregate's tag "pvk_x", or a
# member "pvk_x.path") ours-only?
function ours_only(item,   i) {
	for (i = 1; i <= n_only; i++)
		if (item ~ only_re[i]) {
			only_used[i]++
			return 1
		}
	return 0
}

function missing(what, why) {
	miss[++n_miss] = "\t{ " c_str(what) ", " c_str(why) " },"
}

# ---- read the inputs ----

FILENAME ~ /\.macros$/ {
	if ($1 != "#define")
		next
	name = $2
	fnlike = 0
	if (name ~ /\(/) {
		sub(/\(.*/, "", name)
		fnlike = 1
	}
	val = $0
	sub(/^#define [^ ]+ ?/, "", val)
	if (FILENAME ~ /base\.macros$/) {
		base[name] = 1
	} else if (FILENAME ~ /ours\.macros$/) {
		if (name ~ /^PVK_/ && !fnlike && !(name in base)) {
			our_const[name] = 1
			our_const_val[name] = val
		}
	} else {
		xen_macro[name] = fnlike ? "fn" : "obj"
		xen_macro_val[name] = val
	}
	next
}

FILENAME ~ /\.lay$/ {
	split($0, f, "\t")
	side = FILENAME ~ /base\.lay$/ ? "base" : (FILENAME ~ /ours\.lay$/ ? "ours" : "xen")
	if (f[1] == "A") {
		key = f[2] " " f[3]
		if (side == "base") {
			base[key] = 1
		} else if (side == "ours") {
			if (f[3] ~ /^pvk_/ && !(key in base))
				our_agg[++n_our_agg] = key
		} else {
			xen_agg[key] = 1
			xen_agg_by_name[f[3]] = f[2]
		}
	} else if (f[1] == "F") {
		if (side == "ours") {
			our_nf[f[2]]++
			our_f[f[2], our_nf[f[2]]] = f[3]
			our_fkind[f[2], f[3]] = f[4]
			our_fflex[f[2], f[3]] = f[5]
			our_fdesc[f[2], f[3]] = f[6]
		} else if (side == "xen") {
			xen_nf[f[2]]++
			xen_f[f[2], xen_nf[f[2]]] = f[3]
			xen_fkind[f[2], f[3]] = f[4]
			xen_fflex[f[2], f[3]] = f[5]
			xen_fdesc[f[2], f[3]] = f[6]
		}
	} else if (f[1] == "T") {
		if (side == "base")
			base[f[2]] = 1
		else if (side == "ours") {
			if (f[2] ~ /^pvk_/ && !(f[2] in base)) {
				our_type[++n_our_type] = f[2]
				our_tkind[f[2]] = f[3]
				our_tdesc[f[2]] = f[4]
			}
		} else {
			xen_type[f[2]] = f[3]
			xen_tdesc[f[2]] = f[4]
		}
	} else if (f[1] == "E") {
		if (side == "base")
			base[f[2]] = 1
		else if (side == "ours") {
			if (f[2] ~ /^PVK_/ && !(f[2] in base)) {
				our_const[f[2]] = 1
				our_const_val[f[2]] = ""
			}
		} else {
			xen_enum[f[2]] = 1
		}
	}
	next
}

# tests/abi/xen-names: "ours xen"; a field rename is "<aggregate glob>.<field> <xen field>"
FILENAME ~ /xen-names$/ {
	if ($0 ~ /^[ \t]*(#|$)/)
		next
	if (NF != 2) {
		missing("tests/abi/xen-names line " FNR, "want two words: our name, Xen's name")
		next
	}
	if ($1 ~ /\./) {
		n_fmap++
		fmap_agg[n_fmap] = glob_re(substr($1, 1, index($1, ".") - 1))
		fmap_field[n_fmap] = substr($1, index($1, ".") + 1)
		fmap_xen[n_fmap] = $2
	} else {
		name_map[$1] = $2
		name_map_used[$1] = 0
	}
	next
}

# tests/abi/ours-only: "<item glob> <reason...>"
FILENAME ~ /ours-only$/ {
	if ($0 ~ /^[ \t]*(#|$)/)
		next
	if (NF < 2) {
		missing("tests/abi/ours-only line " FNR, "an entry needs a reason after the name")
		next
	}
	n_only++
	only_pat[n_only] = $1
	only_re[n_only] = glob_re($1)
	next
}

# ---- pair the items and emit the tables ----

function xen_const_name(c,   x) {
	if (c in name_map) {
		name_map_used[c]++
		return name_map[c]
	}
	x = strip_pvk(c)
	if ((x in xen_macro) || (x in xen_enum))
		return x
	if (("_" x in xen_macro) || ("_" x in xen_enum))
		return "_" x
	if (("__" x in xen_macro) || ("__" x in xen_enum))
		return "__" x
	return ""
}

# A member's type description for comparison: when either side is a
# flexible array, only the element is compared (Xen's rings end in ring[1]).
function cmp_desc(d, flex) {
	if (flex)
		sub(/\[[0-9]*\]/, "", d)
	return d
}

function xen_field(agg, field,   i) {
	for (i = 1; i <= n_fmap; i++)
		if (agg ~ fmap_agg[i] && field == fmap_field[i]) {
			fmap_used[i]++
			return fmap_xen[i]
		}
	return field
}

END {
	# Constants, in name order for a stable report.
	n = 0
	for (c in our_const)
		sorted[++n] = c
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && sorted[j - 1] > sorted[j]; j--) {
			t = sorted[j]; sorted[j] = sorted[j - 1]; sorted[j - 1] = t
		}
	for (i = 1; i <= n; i++) {
		c = sorted[i]
		x = xen_const_name(c)
		if (ours_only(c)) {
			if (x != "" && !(c in name_map))
				missing("constant " c, "listed in tests/abi/ours-only, but Xen has " x)
			n_skipped++
			continue
		}
		if (x == "") {
			missing("constant " c, "no Xen counterpart (add it to tests/abi/xen-names or, with a reason, to tests/abi/ours-only)")
			continue
		}
		if (xen_macro[x] == "fn") {
			missing("constant " c, "Xen's " x " is a function-like macro")
			continue
		}
		if (our_const_val[c] ~ /^"/)
			strs = strs sprintf("\t{ %s, %s, %s, %s },\n", c_str(c), c_str(x), c, x)
		else
			consts = consts sprintf("\t{ %s, %s, (unsigned long long)(%s), (unsigned long long)(%s), (%s) < 0, (%s) < 0 },\n", \
				c_str(c), c_str(x), c, x, c, x)
	}

	# Typedefs.
	for (i = 1; i <= n_our_type; i++) {
		t = our_type[i]
		if (ours_only(t)) {
			n_skipped++
			continue
		}
		if (t in name_map) {
			name_map_used[t]++
			x = name_map[t]
		} else {
			x = strip_pvk(t)
		}
		if (!(x in xen_type) && xen_macro[x] != "obj") {
			missing("typedef " t, "no Xen type " x)
			continue
		}
		sgn = (our_tkind[t] == "int") ? 1 : 0
		# A Xen "typedef" that is a macro (no DWARF) has no description.
		xd = (x in xen_tdesc) ? xen_tdesc[x] : our_tdesc[t]
		types = types sprintf("\t{ %s, %s, sizeof(%s), sizeof(%s), %d, %s, %s, %s, %s },\n", \
			c_str(t), c_str(x), t, x, sgn, \
			sgn ? "ABI_SIGNED(" t ")" : "0", sgn ? "ABI_SIGNED(" x ")" : "0", \
			c_str(our_tdesc[t]), c_str(xd))
	}

	# Aggregates and their members.
	for (i = 1; i <= n_our_agg; i++) {
		a = our_agg[i]
		split(a, w, " ")
		kw = w[1]
		nm = w[2]
		if (ours_only(nm)) {
			n_skipped++
			continue
		}
		if (nm in name_map) {
			name_map_used[nm]++
			xa = name_map[nm]
			if (xa !~ / /)
				xa = kw " " xa
		} else {
			xa = kw " " strip_pvk(nm)
		}
		split(xa, w, " ")
		if (!(xa in xen_agg)) {
			if (w[2] in xen_agg_by_name)
				missing(a, "Xen's " w[2] " is a " xen_agg_by_name[w[2]] ", ours a " kw)
			else
				missing(a, "no Xen type " xa)
			continue
		}
		# Our members; remember which Xen members they account for.
		fl = ""
		nfl = 0
		size_flex = 0
		delete matched
		for (j = 1; j <= our_nf[a]; j++) {
			p = our_f[a, j]
			if (ours_only(nm "." p)) {
				n_skipped++
				continue
			}
			xp = xen_field(a, p)
			if (!((xa, xp) in xen_fkind)) {
				missing(a "." p, "no member " xp " in Xen's " xa)
				continue
			}
			matched[xp] = 1
			flex = our_fflex[a, p] || xen_fflex[xa, xp]
			if (our_fflex[a, p] != xen_fflex[xa, xp])
				size_flex = 1
			sz_o = flex ? "sizeof(((" a " *)0)->" p "[0])" : "sizeof(((" a " *)0)->" p ")"
			sz_x = flex ? "sizeof(((" xa " *)0)->" xp "[0])" : "sizeof(((" xa " *)0)->" xp ")"
			sgn = (our_fkind[a, p] == "int" && xen_fkind[xa, xp] == "int")
			fl = fl sprintf("\t{ %s, %s, offsetof(%s, %s), offsetof(%s, %s), %s, %s, %d, %s, %s, %s, %s },\n", \
				c_str(p), c_str(xp), a, p, xa, xp, sz_o, sz_x, sgn, \
				sgn ? "ABI_MSIGNED(" a ", " p ")" : "0", \
				sgn ? "ABI_MSIGNED(" xa ", " xp ")" : "0", \
				c_str(cmp_desc(our_fdesc[a, p], flex)), \
				c_str(cmp_desc(xen_fdesc[xa, xp], flex)))
			nfl++
		}
		# Xen's members we have no name for: must lie within bytes ours cover.
		xl = ""
		nxl = 0
		for (j = 1; j <= xen_nf[xa]; j++) {
			xp = xen_f[xa, j]
			if (xp in matched)
				continue
			sz_x = xen_fflex[xa, xp] ? "sizeof(((" xa " *)0)->" xp "[0])" : "sizeof(((" xa " *)0)->" xp ")"
			xl = xl sprintf("\t{ %s, offsetof(%s, %s), %s },\n", c_str(xp), xa, xp, sz_x)
			nxl++
		}
		id = "agg" i
		if (nfl)
			body = body "static const struct abi_field " id "_fields[] = {\n" fl "};\n"
		if (nxl)
			body = body "static const struct abi_span " id "_xen_only[] = {\n" xl "};\n"
		aggs = aggs sprintf("\t{ %s, %s, sizeof(%s), sizeof(%s), %d, %s, %d, %s, %d },\n", \
			c_str(a), c_str(xa), a, xa, size_flex, \
			nfl ? id "_fields" : "NULL", nfl, nxl ? id "_xen_only" : "NULL", nxl)
	}

	# Stale list entries fail too.
	for (k in name_map)
		if (!name_map_used[k])
			missing("tests/abi/xen-names: " k, "matches none of our items")
	for (i = 1; i <= n_fmap; i++)
		if (!fmap_used[i])
			missing("tests/abi/xen-names: field rename " fmap_field[i], "matches no member of ours")
	for (i = 1; i <= n_only; i++)
		if (!only_used[i])
			missing("tests/abi/ours-only: " only_pat[i], "matches none of our items")

	print "/* Generated by tests/abi/gen-check.awk: do not edit. */"
	print "#include \"abi-report.h\""
	while ((getline line < includes) > 0)
		print line
	print ""
	printf "%s", body
	print "const struct abi_const abi_consts[] = {\n" consts "\t{ NULL, NULL, 0, 0, 0, 0 }\n};"
	print "const struct abi_str abi_strs[] = {\n" strs "\t{ NULL, NULL, NULL, NULL }\n};"
	print "const struct abi_type abi_types[] = {\n" types "\t{ NULL, NULL, 0, 0, 0, 0, 0, NULL, NULL }\n};"
	print "const struct abi_agg abi_aggs[] = {\n" aggs "\t{ NULL, NULL, 0, 0, 0, NULL, 0, NULL, 0 }\n};"
	printf "const struct abi_missing abi_missing[] = {\n"
	for (i = 1; i <= n_miss; i++)
		print miss[i]
	print "\t{ NULL, NULL }\n};"
	print "const struct abi_macro_skip abi_macro_skips[] = {\n" mac_skip "\t{ NULL, NULL, NULL }\n};"
	print "void abi_check_macros(struct abi_tally *t)\n{\n\tconst struct abi_macro rows[] = {\n" \
		mac_rows "\t\t{ NULL, NULL, NULL, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } }\n\t};\n\n\tabi_macro_rows(t, rows);\n}"
	print "const unsigned int abi_skipped = " n_skipped + 0 ";"
}
