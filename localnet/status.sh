#!/usr/bin/env bash
# Height, app hash and voting power of every node of the localnet in $LOCALNET_DIR.
# Exits non-zero if a node does not answer.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ ! -f "$NODES_JSON" ]; then
  echo "no localnet in $LOCALNET_DIR (start one with localnet/start.sh N)" >&2
  exit 1
fi
python3 - "$NODES_JSON" <<'PY'
import json, sys, urllib.request
ok = True
print(f"{'node':<8} {'height':>8}  {'app hash':<64}  {'power':>6}  peers")
for node in json.load(open(sys.argv[1])):
    try:
        s = json.load(urllib.request.urlopen(f"http://{node['rpc']}/status", timeout=3))["result"]
        n = json.load(urllib.request.urlopen(f"http://{node['rpc']}/net_info", timeout=3))["result"]
        print(f"{node['name']:<8} {s['sync_info']['latest_block_height']:>8}  "
              f"{s['sync_info']['latest_app_hash']:<64}  "
              f"{s['validator_info']['voting_power']:>6}  {n['n_peers']}")
    except Exception as e:
        ok = False
        print(f"{node['name']:<8} {'down':>8}  ({e})")
sys.exit(0 if ok else 1)
PY
