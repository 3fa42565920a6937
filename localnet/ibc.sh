#!/usr/bin/env bash
# Two OpenLedger chains on loopback, one validator each, and the Hermes relayer between them:
# clients, a connection and an ICS-20 channel (transfer <-> transfer), then `hermes start`.
#
#   localnet/ibc.sh [start]   bring everything up (prints how to send a transfer)
#   localnet/ibc.sh stop      stop Hermes and both chains
#
# Environment: IBC_DIR (default localnet/.ibc: chain a in $IBC_DIR/a, chain b in $IBC_DIR/b,
# Hermes' home in $IBC_DIR/hermes), IBC_PORT_BASE (default 28000: chain a uses base..base+3 for
# p2p, rpc, abci, grpc, chain b base+100..), IBC_CHAIN_A / IBC_CHAIN_B (openledger-a-1,
# openledger-b-1), IBC_TIMEOUT_COMMIT (1s), HERMES (the binary; default: Hermes $HERMES_VERSION
# installed into $HERMES_ROOT, ~/.cache/openledger-hermes, with `cargo install` when missing),
# OPENLEDGERD (default: this checkout's release build).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
source "$HERE/lib.sh"

HERMES_VERSION=1.10.5
IBC_DIR="${IBC_DIR:-$HERE/.ibc}"
BASE="${IBC_PORT_BASE:-28000}"
CHAIN_A="${IBC_CHAIN_A:-openledger-a-1}"
CHAIN_B="${IBC_CHAIN_B:-openledger-b-1}"
HERMES_HOME="$IBC_DIR/hermes"
HERMES_CONFIG="$HERMES_HOME/config.toml"

# The Hermes binary: $HERMES, else the cached install (built once: a long build).
hermes_bin() {
  if [ -n "${HERMES:-}" ]; then
    echo "$HERMES"
    return
  fi
  local root="${HERMES_ROOT:-$HOME/.cache/openledger-hermes}"
  if ! "$root/bin/hermes" --version 2>/dev/null | grep -q "$HERMES_VERSION"; then
    echo "installing Hermes $HERMES_VERSION into $root (cargo install ibc-relayer-cli, done once)" >&2
    CARGO_TARGET_DIR="$root/build" cargo install "ibc-relayer-cli@$HERMES_VERSION" \
      --bin hermes --locked --root "$root" >&2
  fi
  echo "$root/bin/hermes"
}

hermes() {
  "$HERMES_BIN" --config "$HERMES_CONFIG" "$@"
}

stop() {
  if [ -f "$HERMES_HOME/hermes.pid" ]; then
    kill -TERM "$(cat "$HERMES_HOME/hermes.pid")" 2>/dev/null || true
    rm -f "$HERMES_HOME/hermes.pid"
  fi
  for c in a b; do
    if [ -d "$IBC_DIR/$c" ]; then LOCALNET_DIR="$IBC_DIR/$c" "$HERE/stop.sh" >/dev/null; fi
  done
  echo "ibc localnet in $IBC_DIR stopped"
}

if [ "${1:-start}" = stop ]; then
  stop
  exit 0
fi
if [ "${1:-start}" != start ]; then
  echo "usage: $0 [start|stop]" >&2
  exit 2
fi

BIN="$(openledgerd_bin)"
HERMES_BIN="$(hermes_bin)"
if [ -f "$HERMES_HOME/hermes.pid" ] && kill -0 "$(cat "$HERMES_HOME/hermes.pid")" 2>/dev/null; then
  echo "an ibc localnet is already running in $IBC_DIR; stop it with $0 stop" >&2
  exit 1
fi
rm -rf "$IBC_DIR"
mkdir -p "$HERMES_HOME"
trap 'echo "ibc localnet: set-up failed; logs in $IBC_DIR" >&2; stop >/dev/null 2>&1 || true' ERR

# 1. The two chains: one validator each (localnet/start.sh 1).
rpc_of() { echo "127.0.0.1:$(( $1 + 1 ))"; }
grpc_of() { echo "127.0.0.1:$(( $1 + 3 ))"; }
declare -A CHAIN_ID=([a]="$CHAIN_A" [b]="$CHAIN_B")
declare -A PORTS=([a]="$BASE" [b]="$((BASE + 100))")
for c in a b; do
  LOCALNET_DIR="$IBC_DIR/$c" LOCALNET_PORT_BASE="${PORTS[$c]}" LOCALNET_CHAIN_ID="${CHAIN_ID[$c]}" \
    LOCALNET_TIMEOUT_COMMIT="${IBC_TIMEOUT_COMMIT:-1s}" OPENLEDGERD="$BIN" \
    "$HERE/start.sh" 1 >/dev/null
done

# 2. The relayer's key, funded on both chains by their validators.
"$BIN" keys add relayer --keyring-backend test --home "$HERMES_HOME/keyring" --output json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["mnemonic"])' >"$HERMES_HOME/relayer.mnemonic"
RELAYER="$("$BIN" keys show relayer -a --keyring-backend test --home "$HERMES_HOME/keyring")"
for c in a b; do
  "$BIN" tx bank send node0 "$RELAYER" 100000000000uopen --fees 5000uopen \
    --chain-id "${CHAIN_ID[$c]}" --home "$IBC_DIR/$c/node0" --keyring-backend test \
    --grpc-addr "http://$(grpc_of "${PORTS[$c]}")" -y --output json >/dev/null
done

# 3. Hermes' configuration: our address prefix and gas price, the store's commitment prefix
#    `ibc` and its two JMT proof specs (not the SDK's IAVL ones).
SPECS="$("$BIN" ibc proof-specs)"
chain_section() { # chain_section <a|b>
  local port="${PORTS[$1]}"
  cat <<EOF
[[chains]]
id = '${CHAIN_ID[$1]}'
type = 'CosmosSdk'
rpc_addr = 'http://$(rpc_of "$port")'
grpc_addr = 'http://$(grpc_of "$port")'
event_source = { mode = 'push', url = 'ws://$(rpc_of "$port")/websocket', batch_delay = '200ms' }
rpc_timeout = '10s'
trusted_node = false
account_prefix = 'open'
key_name = 'relayer'
key_store_type = 'Test'
store_prefix = 'ibc'
default_gas = 400000
max_gas = 10000000
gas_price = { price = 0.025, denom = 'uopen' }
gas_multiplier = 1.4
max_msg_num = 30
max_tx_size = 2097152
clock_drift = '5s'
max_block_time = '30s'
trust_threshold = { numerator = '2', denominator = '3' }
address_type = { derivation = 'cosmos' }
proof_specs = '''$SPECS'''

EOF
}
{
  cat <<EOF
[global]
log_level = 'info'

[mode.clients]
enabled = true
refresh = true
misbehaviour = true

[mode.connections]
enabled = false

[mode.channels]
enabled = false

[mode.packets]
enabled = true
clear_interval = 100
clear_on_start = true
tx_confirmation = true

[rest]
enabled = false
host = '127.0.0.1'
port = 3000

[telemetry]
enabled = false
host = '127.0.0.1'
port = 3001

EOF
  chain_section a
  chain_section b
} >"$HERMES_CONFIG"
for c in a b; do
  hermes keys add --chain "${CHAIN_ID[$c]}" --mnemonic-file "$HERMES_HOME/relayer.mnemonic" \
    >>"$HERMES_HOME/setup.log" 2>&1
done

# 4. Clients, a connection and the transfer channel; then relay.
hermes create channel --a-chain "$CHAIN_A" --b-chain "$CHAIN_B" --a-port transfer --b-port transfer \
  --new-client-connection --yes >>"$HERMES_HOME/setup.log" 2>&1
nohup "$HERMES_BIN" --config "$HERMES_CONFIG" start >"$HERMES_HOME/hermes.log" 2>&1 &
echo $! >"$HERMES_HOME/hermes.pid"
trap - ERR

python3 - "$IBC_DIR/ibc.json" <<PY
import json, sys
json.dump({
    "hermes": {"config": "$HERMES_CONFIG", "pid": $(cat "$HERMES_HOME/hermes.pid"), "log": "$HERMES_HOME/hermes.log"},
    "relayer": "$RELAYER",
    "chains": [
        {"name": "a", "chain_id": "$CHAIN_A", "home": "$IBC_DIR/a/node0", "rpc": "$(rpc_of "${PORTS[a]}")", "grpc": "$(grpc_of "${PORTS[a]}")", "channel": "channel-0"},
        {"name": "b", "chain_id": "$CHAIN_B", "home": "$IBC_DIR/b/node0", "rpc": "$(rpc_of "${PORTS[b]}")", "grpc": "$(grpc_of "${PORTS[b]}")", "channel": "channel-0"},
    ],
}, open(sys.argv[1], "w"), indent=2)
PY

B_ADDR="$("$BIN" keys show node0 -a --keyring-backend test --home "$IBC_DIR/b/node0")"
cat <<EOF
ibc localnet: $CHAIN_A (rpc $(rpc_of "${PORTS[a]}"), grpc $(grpc_of "${PORTS[a]}")) and $CHAIN_B (rpc $(rpc_of "${PORTS[b]}"), grpc $(grpc_of "${PORTS[b]}")),
a transfer channel channel-0 <-> channel-0, Hermes relaying (log: $HERMES_HOME/hermes.log).

Send 1 OPEN from chain a's validator key to chain b's:
  $BIN tx ibc-transfer transfer transfer channel-0 $B_ADDR 1000000uopen \\
    --from node0 --home $IBC_DIR/a/node0 --chain-id $CHAIN_A --grpc-addr http://$(grpc_of "${PORTS[a]}") --fees 5000uopen -y
and see the voucher arrive:
  $BIN query bank balances $B_ADDR --grpc-addr http://$(grpc_of "${PORTS[b]}")
  $BIN query ibc-transfer denom-traces --grpc-addr http://$(grpc_of "${PORTS[b]}")
Stop everything with: $0 stop
EOF
