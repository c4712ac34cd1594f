# tests/abi/dwarf-layout.awk - list the named types of a compiled unit, from
# its DWARF, as the ABI test needs them (input: readelf --debug-dump=info
# of an object built with -g -fno-eliminate-unused-debug-types).
#
# Output, one record per line, fields separated by a tab:
#   A <struct|union|enum> <tag>          a named aggregate or enum type
#   F <tag> <path> <kind> <flex> <desc> a member of aggregate <tag>
#   T <name> <kind> <desc>               a typedef
#   E <name>                             an enumerator (an integer constant)
# <path> is the member designator as C's offsetof takes it ("a.b.c"):
# members of named nested structs/unions are listed with their path,
# members of anonymous ones as if they were the parent's. <kind> is what
# the type is once typedefs and qualifiers are stripped: int (integer or
# enum: has a sign), ptr, array, agg (struct/union), other. <flex> is 1
# for a flexible array member (no bound), else 0. <desc> describes the
# type itself, so that the two sides' types can be compared, not just their
# sizes: an integer is s<bits> or u<bits> (an enum as its underlying type,
# char by its signedness), b<bits> a _Bool, f<bits> a floating type,
# ptr<bits> a pointer, struct/union an aggregate (its layout is compared as
# an item of its own), except that a struct holding nothing but one pointer
# is a guest handle and reads as that pointer; an array is its element's
# description followed by each dimension, "[n]", or "[]" with no bound
# (u8[44], s32[2][3], u8[]).
#
# Only what C can name is listed; DIEs are keyed by their section offset.

# A DIE header: " <depth><offset>: Abbrev Number: n (DW_TAG_x)"
/^ *<[0-9]+><[0-9a-f]+>: Abbrev Number:/ {
	match($0, /<[0-9]+>/)
	depth = substr($0, RSTART + 1, RLENGTH - 2) + 0
	rest = substr($0, RSTART + RLENGTH)
	match(rest, /<[0-9a-f]+>/)
	off = substr(rest, RSTART + 1, RLENGTH - 2)
	cur = ""
	if (!match($0, /\(DW_TAG_[a-z_]+\)/)) {
		# "Abbrev Number: 0": end of a sibling list
		next
	}
	cur = off
	tag[cur] = substr($0, RSTART + 8, RLENGTH - 9)
	parent[cur] = (depth > 0) ? stack[depth - 1] : ""
	stack[depth] = cur
	nchild[cur] = 0
	if (parent[cur] != "") {
		p = parent[cur]
		child[p, ++nchild[p]] = cur
	}
	order[++ndie] = cur
	next
}

# An attribute of the current DIE: "    <offset>   DW_AT_x : value"
cur != "" && /DW_AT_name/ {
	v = $0
	sub(/^[^:]*: /, "", v)
	sub(/^\(indirect [a-z ]*string, offset: 0x[0-9a-f]+\): /, "", v)
	sub(/[ \t]+$/, "", v)
	name[cur] = v
	next
}
cur != "" && /DW_AT_type/ {
	if (match($0, /<0x[0-9a-f]+>/))
		type[cur] = substr($0, RSTART + 3, RLENGTH - 4)
	next
}
cur != "" && (/DW_AT_upper_bound/ || /DW_AT_count/) {
	bounded[cur] = 1
	v = $0
	sub(/^[^:]*: */, "", v)
	# a constant bound; anything else (a location, a DIE) is a VLA
	if (v ~ /^[0-9]+[ \t]*$/)
		count[cur] = (/DW_AT_count/) ? v + 0 : v + 1
	next
}
cur != "" && /DW_AT_byte_size/ {
	v = $0
	sub(/^[^:]*: */, "", v)
	bytes[cur] = v + 0
	next
}
cur != "" && /DW_AT_encoding/ {
	v = $0
	sub(/^[^:]*: */, "", v)
	enc[cur] = v + 0
	next
}

# Strip typedefs and qualifiers.
function resolve(t) {
	while (t != "" && (tag[t] == "typedef" || tag[t] == "const_type" ||
			   tag[t] == "volatile_type" || tag[t] == "atomic_type"))
		t = type[t]
	return t
}

function kind(t) {
	t = resolve(t)
	if (tag[t] == "base_type" || tag[t] == "enumeration_type")
		return "int"
	if (tag[t] == "pointer_type")
		return "ptr"
	if (tag[t] == "array_type")
		return "array"
	if (tag[t] == "structure_type" || tag[t] == "union_type")
		return "agg"
	return "other"
}

# An array without a bound on its (first) dimension: a flexible member.
function is_flex(t,   i) {
	t = resolve(t)
	if (tag[t] != "array_type")
		return 0
	for (i = 1; i <= nchild[t]; i++)
		if (tag[child[t, i]] == "subrange_type")
			return bounded[child[t, i]] ? 0 : 1
	return 0
}

# The description of type t (see the top of the file).
function desc(t,   i, s, c, m, n) {
	t = resolve(t)
	if (t == "")
		return "void"
	if (tag[t] == "base_type" || tag[t] == "enumeration_type") {
		# DW_ATE_boolean 2, float 4, signed 5, signed_char 6, unsigned 7,
		# unsigned_char 8
		if (enc[t] == 2)
			return "b" bytes[t] * 8
		if (enc[t] == 4)
			return "f" bytes[t] * 8
		if (enc[t] == 5 || enc[t] == 6)
			return "s" bytes[t] * 8
		if (enc[t] == 7 || enc[t] == 8)
			return "u" bytes[t] * 8
		return "int?" bytes[t] * 8
	}
	if (tag[t] == "pointer_type")
		return "ptr" bytes[t] * 8
	if (tag[t] == "array_type") {
		s = ""
		for (i = 1; i <= nchild[t]; i++) {
			c = child[t, i]
			if (tag[c] != "subrange_type")
				continue
			s = s ((c in count) ? "[" count[c] "]" : "[]")
		}
		return desc(type[t]) s
	}
	if (tag[t] == "structure_type" || tag[t] == "union_type") {
		n = 0
		for (i = 1; i <= nchild[t]; i++)
			if (tag[child[t, i]] == "member") {
				n++
				m = child[t, i]
			}
		if (tag[t] == "structure_type" && n == 1 &&
		    tag[resolve(type[m])] == "pointer_type")
			return desc(type[m])
		return (tag[t] == "structure_type") ? "struct" : "union"
	}
	if (tag[t] == "subroutine_type")
		return "function"
	return tag[t]
}

function members(top, agg, prefix,   i, m, t, path) {
	for (i = 1; i <= nchild[agg]; i++) {
		m = child[agg, i]
		if (tag[m] != "member")
			continue
		t = resolve(type[m])
		if (!(m in name)) {
			# anonymous struct/union: its members belong to the parent
			if (tag[t] == "structure_type" || tag[t] == "union_type")
				members(top, t, prefix)
			continue
		}
		path = prefix name[m]
		printf "F\t%s\t%s\t%s\t%d\t%s\n", top, path, kind(type[m]),
			is_flex(type[m]), desc(type[m])
		if (tag[t] == "structure_type" || tag[t] == "union_type")
			members(top, t, path ".")
	}
}

END {
	for (i = 1; i <= ndie; i++) {
		d = order[i]
		if (!(d in name))
			continue
		if (tag[d] == "structure_type" || tag[d] == "union_type") {
			# a declaration-only DIE has no members and no size: skip it
			kw = (tag[d] == "structure_type") ? "struct" : "union"
			if (nchild[d] == 0)
				continue
			if (seen[kw, name[d]]++)
				continue
			printf "A\t%s\t%s\n", kw, name[d]
			members(kw " " name[d], d, "")
		} else if (tag[d] == "enumeration_type") {
			if (!seen["enum", name[d]]++)
				printf "A\tenum\t%s\n", name[d]
		} else if (tag[d] == "typedef") {
			if (!seen["typedef", name[d]]++)
				printf "T\t%s\t%s\t%s\n", name[d], kind(type[d]), desc(type[d])
		} else if (tag[d] == "enumerator") {
			if (!seen["enumerator", name[d]]++)
				printf "E\t%s\n", name[d]
		}
	}
}
