#!/bin/sh
# tests/fuzz/shared-reads.sh [SRCDIR] - the other half of the fuzzers'
# read-once proof (tests/fuzz/fuzz_read_once.c counts the reads that go
# through ring.h's hooks): blkfront and netfront read what the backend
# writes on a ring only through those hooked calls. Every line of their
# sources naming a shared index (rsp_prod, req_event, rsp_event), the
# shared ring (sring) or a response slot must be one of them: the
# producer read and checked (pvk_ring_unconsumed_seen), or only compared
# with the consumer (pvk_ring_has_unconsumed: a yes or no, never a count;
# a bare pvk_ring_read_index of a producer is a finding),
# an event asked for (pvk_ring_ask_event), a response copied once
# (PVK_RING_COPY_RESPONSE; blkfront's copy right after
# pvk_ring_hook_entry), or the ring's setup. Comments and strings are
# left out. Prints PASS or FAIL with the lines; exits non-zero on FAIL.
set -u
src=${1:-$(dirname "$0")/../..}
bad=$(for f in "$src"/frontends/blkfront/*.c "$src"/frontends/netfront/*.c; do
	# Strip strings, one-line comments and comment continuation lines.
	sed -e 's/"[^"]*"//g' -e 's|/\*.*\*/||g' -e 's|^[[:space:]]*/\*.*||' \
	    -e 's|^[[:space:]]*\*.*||' "$f" |
	awk -v f="${f#"$src"/}" '
		/rsp_prod|req_event|rsp_event|sring|GET_RESPONSE|ring_get_response/ {
			ok = /pvk_ring_unconsumed_seen\(&[a-z_.>-]*sring->rsp_prod,/ ||
			     /pvk_ring_has_unconsumed\(&[a-z_.>-]*sring->rsp_prod,/ ||
			     /pvk_ring_ask_event\(&[a-z_.>-]*sring->rsp_event,/ ||
			     /pvk_ring_hook_entry\([a-z_.>-]*sring,/ ||
			     /PVK_(SHARED|FRONT)_RING_INIT\(/ ||
			     /union pvk_blkif_sring_entry/ ||
			     (/blkfront_ring_get_response\(/ && (prev ~ /pvk_ring_hook_entry\(/ || /^void /))
			if (!ok)
				print f ":" NR ": " $0
		}
		{ prev = $0 }'
done)
if [ -n "$bad" ]; then
	echo "FAIL shared-reads: a read of the shared ring not through the read-once hooks:"
	echo "$bad"
	exit 1
fi
echo "PASS shared-reads (blkfront and netfront read the backend's ring only through the hooked calls)"
