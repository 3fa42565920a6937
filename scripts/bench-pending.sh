#!/usr/bin/env bash
# Block time while 20 paid inferences are pending against an idle chain's (Proof of Attribution
# runs the engine on a worker, off the consensus path; the target is within 1.5x). Runs
# scripts/demo.sh (SmolLM2, its first request builds the adapter's influence index), keeps its
# node, measures BLOCKS idle blocks, then sends PENDING requests at once from as many accounts and
# measures every block until all are attributed. Prints the block intervals of both phases.
#
# Environment: PENDING (default 20), BLOCKS (idle blocks, default 20), DEMO_RECORDS (default 8),
# DEMO_EPOCHS (default 1), and the binaries as for scripts/demo.sh.
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
OL="${OPENLEDGERD:-$target/release/openledgerd}"
PENDING="${PENDING:-20}"
BLOCKS="${BLOCKS:-20}"
base="$(mktemp -d)"
export DEMO_HOME="$base/openledger-demo" DEMO_KEEP_NODE=1
export DEMO_RECORDS="${DEMO_RECORDS:-8}" DEMO_EPOCHS="${DEMO_EPOCHS:-1}"
WORK="$base/demo-work"
stop() { [ -f "$WORK/node.pid" ] && { kill "$(cat "$WORK/node.pid")" 2>/dev/null || true; }; }
trap stop EXIT
scripts/demo.sh >"$base/demo.log" 2>&1 || { tail -40 "$base/demo.log"; echo "bench-pending: the demo failed"; exit 1; }
CHAIN=openledger-demo-1 RPC=127.0.0.1:36657 GRPC=127.0.0.1:39090
Q=(--home "$DEMO_HOME" --grpc-addr "http://$GRPC")
T=("${Q[@]}" --chain-id "$CHAIN" --gas auto --gas-prices 0.025uopen -y)
height() { curl -sf "http://$RPC/status" | python3 -c 'import json,sys; print(json.load(sys.stdin)["result"]["sync_info"]["latest_block_height"])'; }
wait_height() { while [ "$(height)" -lt "$1" ]; do sleep 0.2; done; }
# Block intervals (s) of heights [from, to], from the headers' times.
intervals() {
  python3 - "$RPC" "$1" "$2" <<'PY'
import json, sys, urllib.request
from datetime import datetime
rpc, lo, hi = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def t(h):
    b = json.load(urllib.request.urlopen(f"http://{rpc}/header?height={h}"))["result"]["header"]["time"]
    whole, frac = b.rstrip("Z").split(".")
    return datetime.fromisoformat(whole).timestamp() + float("0." + frac)
times = [t(h) for h in range(lo, hi + 1)]
print(" ".join(f"{b - a:.3f}" for a, b in zip(times, times[1:])))
PY
}
stats() { python3 -c 'import sys, statistics as s; v=[float(x) for x in sys.argv[1:]]; v.sort(); print(f"{len(v)} blocks: mean {s.mean(v):.3f} s, median {s.median(v):.3f} s, max {v[-1]:.3f} s")' "$@"; }

echo "bench-pending: $PENDING accounts"
for i in $(seq "$PENDING"); do
  "$OL" keys add "u$i" --home "$DEMO_HOME" >/dev/null 2>&1
  "$OL" tx bank send dev "$("$OL" keys show "u$i" -a --home "$DEMO_HOME")" 100000000uopen \
    --fees 5000uopen --chain-id "$CHAIN" -y "${Q[@]}" >/dev/null
done

idle_from=$(height); wait_height $((idle_from + BLOCKS))
idle=$(intervals "$idle_from" $((idle_from + BLOCKS)))

first=$(height)
for i in $(seq "$PENDING"); do
  "$OL" tx attribution infer 1 "Question $i: what makes a contract reentrant?" --max-fee 2000000uopen \
    --max-tokens 16 --no-wait --from "u$i" "${T[@]}" >/dev/null &
done
wait
sent=$(height)
start=$(date +%s)
ids=$(seq 2 $((PENDING + 1)))
while :; do
  left=0
  for id in $ids; do
    s=$("$OL" query attribution request "$id" "${Q[@]}" --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$s" = REQUEST_STATUS_PENDING ] && left=$((left + 1))
  done
  [ "$left" -eq 0 ] && break
  [ $(( $(date +%s) - start )) -gt 1200 ] && { echo "bench-pending: $left requests still pending after 20 min"; exit 1; }
  sleep 1
done
done_at=$(height)
busy=$(intervals "$first" "$done_at")
echo "idle:    $(stats $idle)"
echo "pending: $(stats $busy) (heights $first..$done_at, all $PENDING attributed in $(( $(date +%s) - start )) s after the last was in a block at $sent)"
python3 -c 'import sys, statistics as s; a=[float(x) for x in sys.argv[1].split()]; b=[float(x) for x in sys.argv[2].split()]; print(f"ratio of mean block times: {s.mean(b)/s.mean(a):.2f}x (target <= 1.5x)")' "$idle" "$busy"
