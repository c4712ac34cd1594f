#!/bin/sh
# tests/fuzz/shared-reads-selftest.sh - shows shared-reads.sh can fail: on a
# copy of the frontends it must pass untouched, then report each of three
# planted raw reads of the backend's ring by its line (a bare producer
# read used as a loop bound, a volatile read of rsp_prod, a response taken
# from the ring without the copy hook). Prints PASS or FAIL; exits
# non-zero on FAIL.
set -u
here=$(dirname "$0")
src=$here/../..
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/frontends"
cp -r "$src/frontends/blkfront" "$src/frontends/netfront" "$tmp/frontends/"
fail() { echo "FAIL shared-reads-selftest: $*"; exit 1; }
"$here/shared-reads.sh" "$tmp" > "$tmp/clean.out" || fail "a clean copy is refused: $(cat "$tmp/clean.out")"
cat >> "$tmp/frontends/netfront/netfront_rx.c" <<'PLANT'
void planted_bound(struct netfront_queue *q)
{
	while (pvk_ring_read_index(&q->rx.sring->rsp_prod, q->rx.rsp_cons) != q->rx.rsp_cons)
		q->rx.rsp_cons++;
}
PLANT
cat >> "$tmp/frontends/netfront/netfront_tx.c" <<'PLANT'
unsigned int planted_volatile(struct netfront_queue *q) { return PVK_READ_ONCE(q->tx.sring->rsp_prod); }
PLANT
cat >> "$tmp/frontends/blkfront/blkfront_queue.c" <<'PLANT'
int planted_entry(struct blkfront_queue *q, unsigned int i) { return PVK_RING_GET_RESPONSE(&q->ring, i)->id; }
PLANT
if "$here/shared-reads.sh" "$tmp" > "$tmp/planted.out"; then
	fail "three planted raw reads passed"
fi
for what in 'netfront_rx.c:.*pvk_ring_read_index' 'netfront_tx.c:.*PVK_READ_ONCE' 'blkfront_queue.c:.*GET_RESPONSE'; do
	grep -q "$what" "$tmp/planted.out" || fail "not reported: $what; output: $(cat "$tmp/planted.out")"
done
echo "PASS shared-reads-selftest (a clean copy passes; each of 3 planted raw reads is reported by its line)"
