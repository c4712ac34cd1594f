#!/bin/sh
# examples/minimal/count-lines.sh - lines of code of the minimal kernel,
# blank lines and comments (C's /* */ and //, as cpp sees them in .c, .S and
# the linker script) not counted. Glue is what a port writes to make a
# kernel of the kit (port functions, entry code, linker script, boot); the
# kernel's own doings (kernel.c), the C routines every kernel already has
# (libc.c), the ring-3 program and the test checks are counted apart.
# The goal the issue set: glue under 500 lines (XenoLinux's was 2,995).
cd "$(dirname "$0")" || exit 1

count() {	# FILE -> lines of code
	awk '
	{
		line = $0; out = ""
		while (line != "") {
			if (inc) {
				i = index(line, "*/")
				if (!i) { line = ""; break }
				line = substr(line, i + 2); inc = 0
			} else {
				i = index(line, "/*"); j = index(line, "//")
				if (j && (!i || j < i)) { out = out substr(line, 1, j - 1); line = ""; break }
				if (!i) { out = out line; line = ""; break }
				out = out substr(line, 1, i - 1); line = substr(line, i + 2); inc = 1
			}
		}
		if (out ~ /[^ \t]/) n++
	}
	END { print n + 0 }' "$1"
}

total=0
show() {	# KIND FILE...
	kind=$1; shift
	for f in "$@"; do
		n=$(count "$f")
		printf '%-6s %-16s %4d\n' "$kind" "$f" "$n"
		[ "$kind" = glue ] && total=$((total + n))
	done
}
show glue head.S entry.S minimal.lds.S boot.c port.c minimal.h
show kernel kernel.c
show libc libc.c
show user user.S
show checks checks.c
echo "glue total: $total lines (goal: under 500; XenoLinux: 2,995)"
