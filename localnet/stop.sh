#!/usr/bin/env bash
# Stops every node of the localnet in $LOCALNET_DIR (SIGTERM, then SIGKILL after 20 s).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

if [ ! -f "$NODES_JSON" ]; then
  echo "no localnet in $LOCALNET_DIR"
  exit 0
fi
pids="$(json_field pid)"
for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
deadline=$((SECONDS + 20))
for pid in $pids; do
  while kill -0 "$pid" 2>/dev/null; do
    if [ $SECONDS -ge $deadline ]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.2
  done
done
echo "localnet in $LOCALNET_DIR stopped"
