# Shared by start.sh, stop.sh and status.sh: where the nodes live and which binary runs them.
# shellcheck shell=bash

LOCALNET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOCALNET_DIR="${LOCALNET_DIR:-$LOCALNET_ROOT/.run}"
LOCALNET_PORT_BASE="${LOCALNET_PORT_BASE:-27000}"
NODES_JSON="$LOCALNET_DIR/nodes.json"

# The openledgerd to run: $OPENLEDGERD, else the release build of this checkout.
openledgerd_bin() {
  if [ -n "${OPENLEDGERD:-}" ]; then
    echo "$OPENLEDGERD"
    return
  fi
  local target="${CARGO_TARGET_DIR:-$LOCALNET_ROOT/../target}"
  local bin="$target/release/openledgerd"
  if [ ! -x "$bin" ]; then
    echo "openledgerd not found at $bin: run \`make build\` (or \`make localnet\`), or set OPENLEDGERD" >&2
    exit 1
  fi
  echo "$bin"
}

# Ports of node i (0-based): p2p, rpc, abci, grpc in a block of 10 from the base.
port() { # port <i> <p2p|rpc|abci|grpc>
  local off
  case "$2" in
    p2p) off=0 ;;
    rpc) off=1 ;;
    abci) off=2 ;;
    grpc) off=3 ;;
    *) echo "unknown port kind $2" >&2; exit 1 ;;
  esac
  echo $((LOCALNET_PORT_BASE + 10 * $1 + off))
}

# Field of every node in nodes.json, one per line: json_field <field>
json_field() {
  python3 - "$NODES_JSON" "$1" <<'PY'
import json, sys
for node in json.load(open(sys.argv[1])):
    print(node[sys.argv[2]])
PY
}
