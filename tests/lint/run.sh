#!/bin/sh
# tests/lint/run.sh - pv-lint's self-test: links small images of known
# instructions (sample.S, sample_c.c, allowed_file.S) and checks that
# scripts/pv-lint reports exactly the findings of expected.txt, refuses a
# stale or reasonless allow-list line and an unpaired BEGIN, passes a clean
# image and rejects an unlinked object. Then, given IMAGE and ALLOWFILE,
# lints that kernel image (make check-lint: the reference guest), which
# must have no finding. Run from the top of the tree.
# Usage: tests/lint/run.sh [IMAGE ALLOWFILE]
# Closing line: "lint: N passed, N failed".
set -u
out=${O:-build}/tests/lint
cc=${CC:-gcc}
mkdir -p "$out"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  PASS $1"; }
ko() { fail=$((fail + 1)); echo "  FAIL $1"; }

flags="-g -O2 -fno-pic -fno-pie -Iinclude -Wall -Wextra -Werror"
build() {	# image objects...
	img=$1; shift
	objs=""
	for src in "$@"; do
		o=$out/$(basename "$src").o
		case $src in *.S) f="$flags -D__ASSEMBLY__" ;; *) f=$flags ;; esac
		# shellcheck disable=SC2086
		$cc $f -c "$src" -o "$o" || return 1
		objs="$objs $o"
	done
	# shellcheck disable=SC2086
	ld -static -nostdlib -e 0 -o "$out/$img" $objs
}

# pv-lint's output with addresses and offsets dropped (they move with the
# assembler and compiler; symbol, instruction and file:line do not).
lint() {	# image, then pv-lint arguments
	img=$1; shift
	scripts/pv-lint "$@" "$out/$img" >"$out/$img.out" 2>&1
	rc=$?
	sed -E -e 's/^pv-lint: [0-9a-f]+ ([^ ]+)\+0x[0-9a-f]+:/pv-lint: \1:/' \
		-e 's|^pv-lint: .*/([^/]+: [0-9]+ privileged)|pv-lint: \1|' \
		"$out/$img.out" >"$out/$img.norm"
	return $rc
}

if ! build sample tests/lint/sample.S tests/lint/sample_c.c tests/lint/sample_c2.c \
	tests/lint/allowed_file.S; then
	echo "lint: 0 passed, 1 failed"
	exit 1
fi

lint sample -a tests/lint/sample.allow; rc=$?
cp "$out/sample.norm" "$out/findings.norm"
if [ $rc -eq 1 ] && diff -u tests/lint/expected.txt "$out/findings.norm"; then
	ok "the findings are exactly expected.txt's (exit 1)"
else
	ko "findings differ from tests/lint/expected.txt (exit $rc, want 1; diff above)"
fi

# Every allow line must allow something; and must say why.
printf 'function allowed_fn  used\nfunction no_such_fn  stale\n' >"$out/stale.allow"
lint sample -a tests/lint/sample.allow -a "$out/stale.allow"; rc=$?
if [ $rc -eq 1 ] && grep -q "stale.allow:2: 'function no_such_fn' allows no privileged instruction" "$out/sample.out"; then
	ok "a stale allow-list line fails"
else
	ko "a stale allow-list line: exit $rc, no message (see $out/sample.out)"
fi
printf 'function allowed_fn\n' >"$out/noreason.allow"
lint sample -a "$out/noreason.allow"; rc=$?
if [ $rc -eq 1 ] && grep -q "noreason.allow:1: want 'function|file GLOB REASON...'" "$out/sample.out"; then
	ok "an allow-list line without a reason fails"
else
	ko "an allow-list line without a reason: exit $rc (see $out/sample.out)"
fi

# The C part alone: its two stray instructions fail it, until allowed.
build clean tests/lint/sample_c.c
lint clean; rc=$?
if [ $rc -eq 1 ] && grep -q "2 privileged instruction(s) outside native code" "$out/clean.out"; then
	ok "the C image with its two stray instructions fails (exit 1)"
else
	ko "the C image: exit $rc: $(tail -n 1 "$out/clean.out")"
fi
printf 'function c_stray  test\nfunction c_inlined_stray  test\n' >"$out/c.allow"
if lint clean -a "$out/c.allow" &&
   grep -q "0 privileged instruction(s) outside native code (7 in all: 5 in marked code, 2 allowed" "$out/clean.out"; then
	ok "an image whose every instruction is marked or allowed passes (exit 0)"
else
	ko "a clean image: $(tail -n 1 "$out/clean.out")"
fi

if build unpaired tests/lint/unpaired.S && ! lint unpaired &&
   grep -q "1 PVK_NATIVE_ONLY_BEGIN but 0 _END" "$out/unpaired.out"; then
	ok "a BEGIN without END fails"
else
	ko "a BEGIN without END: $(cat "$out/unpaired.out")"
fi

scripts/pv-lint "$out/sample_c.c.o" >"$out/obj.out" 2>&1; rc=$?
if [ $rc -eq 2 ] && grep -q "not a linked executable" "$out/obj.out"; then
	ok "an object not linked yet is refused (exit 2)"
else
	ko "an unlinked object: exit $rc: $(cat "$out/obj.out")"
fi

if [ $# -ge 2 ]; then
	echo "  pv-lint -a $2 $1:"
	if scripts/pv-lint -a "$2" "$1"; then
		ok "no privileged instruction outside native code in $1"
	else
		ko "pv-lint found privileged instructions in $1 (listed above)"
	fi
fi

echo "lint: $pass passed, $fail failed"
[ $fail -eq 0 ]
