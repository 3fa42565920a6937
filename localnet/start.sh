#!/usr/bin/env bash
# Starts N OpenLedger validators on loopback, each a managed `openledgerd start` (with its own
# cometbft) in its own home under $LOCALNET_DIR, with a genesis made by the gentx flow and the
# nodes wired as persistent peers. Writes $LOCALNET_DIR/nodes.json.
#
#   localnet/start.sh [N]          (default 4)
#
# Environment: LOCALNET_DIR (default localnet/.run), LOCALNET_PORT_BASE (default 27000; node i
# uses base+10i .. base+10i+3 for p2p, rpc, abci, grpc), LOCALNET_CHAIN_ID
# (openledger-localnet-1), LOCALNET_STAKE (self-delegation per validator, 100000000uopen),
# LOCALNET_BALANCE (each validator's genesis balance, 1000000000000uopen), LOCALNET_TIMEOUT_COMMIT
# (1s), LOCALNET_GENESIS_PATCH (a JSON file deep-merged into app_state, e.g. short periods),
# LOCALNET_START_ARGS (more flags for every `openledgerd start`, e.g. `--lora-models DIR`),
# OPENLEDGERD (the binary; default: this checkout's release build).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

N="${1:-4}"
if ! [[ "$N" =~ ^[1-9][0-9]*$ ]]; then
  echo "usage: $0 [N]  (N validators, at least 1)" >&2
  exit 2
fi
CHAIN_ID="${LOCALNET_CHAIN_ID:-openledger-localnet-1}"
STAKE="${LOCALNET_STAKE:-100000000uopen}"
BALANCE="${LOCALNET_BALANCE:-1000000000000uopen}"
TIMEOUT_COMMIT="${LOCALNET_TIMEOUT_COMMIT:-1s}"
read -r -a START_ARGS <<<"${LOCALNET_START_ARGS:-}"
BIN="$(openledgerd_bin)"

if [ -f "$NODES_JSON" ] && "$(dirname "$0")/status.sh" >/dev/null 2>&1; then
  echo "a localnet is already running in $LOCALNET_DIR; stop it with localnet/stop.sh" >&2
  exit 1
fi
rm -rf "$LOCALNET_DIR"
mkdir -p "$LOCALNET_DIR"

home() { echo "$LOCALNET_DIR/node$1"; }

# 1. Homes, node keys and validator keys.
for ((i = 0; i < N; i++)); do
  h="$(home "$i")"
  "$BIN" init "node$i" --chain-id "$CHAIN_ID" --home "$h" >/dev/null
  # This node's p2p port (the gentx memo carries it) and a faster block time.
  sed -i -E "/^\[p2p\]/,/^\[/ s|^laddr = .*|laddr = \"tcp://127.0.0.1:$(port "$i" p2p)\"|" "$h/config/config.toml"
  sed -i -E "/^\[consensus\]/,/^\[/ s|^timeout_commit = .*|timeout_commit = \"$TIMEOUT_COMMIT\"|" "$h/config/config.toml"
  "$BIN" keys add "node$i" --keyring-backend test --home "$h" >"$h/key_seed.txt" 2>&1
done

# 2. One genesis with every validator's account, optionally patched.
g0="$(home 0)/config/genesis.json"
for ((i = 0; i < N; i++)); do
  addr="$("$BIN" keys show "node$i" -a --keyring-backend test --home "$(home "$i")")"
  "$BIN" genesis add-account "$addr" "$BALANCE" --home "$(home 0)" >/dev/null
done
if [ -n "${LOCALNET_GENESIS_PATCH:-}" ]; then
  python3 - "$g0" "$LOCALNET_GENESIS_PATCH" <<'PY'
import json, sys
path, patch = sys.argv[1], sys.argv[2]
genesis = json.load(open(path))
def merge(dst, src):
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        else:
            dst[k] = v
merge(genesis["app_state"], json.load(open(patch)))
json.dump(genesis, open(path, "w"), indent=2)
PY
fi

# 3. Each validator signs its gentx against that genesis; every node collects all of them
#    (the same genesis everywhere, and each node's persistent peers are the others).
for ((i = 1; i < N; i++)); do cp "$g0" "$(home "$i")/config/genesis.json"; done
mkdir -p "$LOCALNET_DIR/gentx"
for ((i = 0; i < N; i++)); do
  "$BIN" genesis gentx "node$i" "$STAKE" --chain-id "$CHAIN_ID" --moniker "node$i" \
    --keyring-backend test --home "$(home "$i")" \
    --output-document "$LOCALNET_DIR/gentx/gentx-node$i.json" >/dev/null
done
for ((i = 0; i < N; i++)); do
  "$BIN" genesis collect-gentxs --gentx-dir "$LOCALNET_DIR/gentx" --home "$(home "$i")" >/dev/null
done

# 4. Start every node, and record them in nodes.json.
entries=()
for ((i = 0; i < N; i++)); do
  h="$(home "$i")"
  rpc="127.0.0.1:$(port "$i" rpc)"
  grpc="127.0.0.1:$(port "$i" grpc)"
  p2p="127.0.0.1:$(port "$i" p2p)"
  abci="127.0.0.1:$(port "$i" abci)"
  nohup "$BIN" start --home "$h" --address "tcp://$abci" --grpc.address "$grpc" \
    --rpc.laddr "tcp://$rpc" --p2p.laddr "tcp://$p2p" ${START_ARGS[@]+"${START_ARGS[@]}"} \
    >"$LOCALNET_DIR/node$i.log" 2>&1 &
  pid=$!
  entries+=("{\"name\": \"node$i\", \"home\": \"$h\", \"rpc\": \"$rpc\", \"grpc\": \"$grpc\", \"p2p\": \"$p2p\", \"abci\": \"$abci\", \"pid\": $pid}")
done
(IFS=,; echo "[${entries[*]}]") | python3 -c 'import json,sys; json.dump(json.load(sys.stdin), sys.stdout, indent=2); print()' >"$NODES_JSON"

# 5. Wait (bounded) until every node has committed block 2.
deadline=$((SECONDS + ${LOCALNET_START_TIMEOUT:-120}))
for ((i = 0; i < N; i++)); do
  rpc="127.0.0.1:$(port "$i" rpc)"
  until h="$(python3 - "$rpc" <<'PY' 2>/dev/null
import json, sys, urllib.request
s = json.load(urllib.request.urlopen(f"http://{sys.argv[1]}/status", timeout=2))
print(s["result"]["sync_info"]["latest_block_height"])
PY
)" && [ "${h:-0}" -ge 2 ]; do
    if [ $SECONDS -ge $deadline ]; then
      echo "node$i did not reach height 2 in time; see $LOCALNET_DIR/node$i.log" >&2
      "$(dirname "$0")/stop.sh" >/dev/null 2>&1 || true
      exit 1
    fi
    sleep 0.5
  done
done
echo "localnet: $N validators running (chain-id $CHAIN_ID) in $LOCALNET_DIR; nodes in $NODES_JSON"
"$(dirname "$0")/status.sh"
