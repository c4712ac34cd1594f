#!/bin/sh
# tests/abi/run.sh - runs check-abi and its negative self-test.
#
#   run.sh copy <dir> <bad-headers>
#       copies include/pvkit/xen/ to <dir>/pvkit/xen/ and breaks it as each
#       line of <bad-headers> says (a sed script that changes nothing is an
#       error: the self-test would test nothing).
#   run.sh check <abi-check> <min-items> <bad abi-check> <bad-headers>
#       runs the real comparison, then the one built from the broken copy,
#       which must fail and name every break; ends with the total
#       "N passed, N failed" (real items plus one per expected failure).
set -u

tab=$(printf '\t')

# The lines of the list that are not comments: "file<TAB>sed<TAB>text".
entries() {
	grep -v -e '^#' -e '^$' "$1"
}

case "${1:-}" in
copy)
	dir=$2 list=$3
	rm -rf "$dir" && mkdir -p "$dir/pvkit" && cp -r include/pvkit/xen "$dir/pvkit/" || exit 1
	entries "$list" | while IFS="$tab" read -r file script text; do
		f=$dir/pvkit/xen/$file
		if [ ! -f "$f" ] || [ -z "$text" ]; then
			echo "abi self-test: bad line in $list: $file" >&2
			exit 1
		fi
		sed "$script" "$f" >"$f.new" || exit 1
		if cmp -s "$f" "$f.new"; then
			echo "abi self-test: \"$script\" changes nothing in $file (stale line in $list)" >&2
			exit 1
		fi
		mv "$f.new" "$f"
	done
	;;
check)
	good=$2 floors=$3 bad=$4 list=$5
	{ "$good" "$floors"; echo $? >"$good.rc"; } | tee "$good.out"
	rc=$(cat "$good.rc")
	# shellcheck disable=SC2046 # split "N passed, N failed" into its numbers
	set -- $(tail -n 1 "$good.out" | sed -E 's/[^0-9]+/ /g')
	pass=${1:-0} fail=${2:-1}
	[ "$rc" -ne 0 ] && [ "$fail" -eq 0 ] && fail=1

	echo "  ABI   self-test: check-abi on a broken copy of our headers ($list)"
	"$bad" "$floors" >"$bad.out" 2>&1
	brc=$?
	if [ "$brc" -eq 0 ]; then
		echo "  FAIL  self-test: the broken headers passed"
		fail=$((fail + 1))
	fi
	while IFS="$tab" read -r file script text; do
		if grep -F -- "FAIL  $text" "$bad.out" >/dev/null; then
			echo "  PASS  self-test: $file broken, check-abi says: $(grep -F -m 1 -- "FAIL  $text" "$bad.out" | sed 's/^ *FAIL  //')"
			pass=$((pass + 1))
		else
			echo "  FAIL  self-test: $file broken ($script), no failure \"$text\"; check-abi said:"
			sed 's/^/        /' "$bad.out"
			fail=$((fail + 1))
		fi
	done <<EOF
$(entries "$list")
EOF
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	;;
*)
	echo "usage: $0 copy <dir> <bad-headers> | check <abi-check> <min-items> <bad abi-check> <bad-headers>" >&2
	exit 2
	;;
esac
