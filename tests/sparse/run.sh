#!/bin/sh
# tests/sparse/run.sh - proves that sparse rejects frame-number mix-ups.
#
# Each tests/sparse/*.c names on an "EXPECT:" line the sparse message its
# deliberate mistake must produce (bad_*.c: sparse must fail with it), or
# "clean" (ok_*.c: sparse must pass silently). Run with the kit's own sparse
# flags in $SPARSE_FLAGS, as `make C=1` uses them. Ends with
# "sparse-neg: N passed, N failed" and exits non-zero on any failure.
set -u
dir=$(dirname "$0")
pass=0 fail=0
for f in "$dir"/*.c; do
	name=$(basename "$f" .c)
	want=$(sed -n 's/^ \* EXPECT: //p' "$f")
	# shellcheck disable=SC2086 # SPARSE_FLAGS is a list of flags
	out=$(sparse $SPARSE_FLAGS "$f" 2>&1); rc=$?
	if [ -z "$want" ]; then
		echo "FAIL $name: no EXPECT: line"
		fail=$((fail + 1))
	elif [ "$want" = clean ] && [ $rc -eq 0 ] && [ -z "$out" ]; then
		echo "PASS $name (accepted)"
		pass=$((pass + 1))
	elif [ "$want" != clean ] && [ $rc -ne 0 ] &&
	     printf '%s\n' "$out" | grep -qF -- "$want"; then
		echo "PASS $name (rejected: $want)"
		pass=$((pass + 1))
	else
		echo "FAIL $name: expected ${want}, sparse exited $rc with:"
		printf '%s\n' "$out" | sed 's/^/    /'
		fail=$((fail + 1))
	fi
done
echo "sparse-neg: $pass passed, $fail failed"
[ $fail -eq 0 ]
