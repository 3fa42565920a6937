//! Making and editing `genesis.json`: `init` (with every module's default genesis, from the
//! state machine itself), `genesis add-account`, `collect-gentxs` and `validate`, which runs a
//! genesis through the real state machine on a throw-away store.
//!
//! Genesis validators come the Cosmos way: each validator signs a `MsgCreateValidator` (a
//! *gentx*, see `openledgerd genesis gentx`) with its account key and its node's consensus key,
//! `collect-gentxs` puts them all into `app_state.genutil.gen_txs` and wires the nodes as
//! persistent peers, and `InitChain` runs them through the ante pipeline and staking
//! ([`openledger_state_machine::genutil`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, anyhow, bail};
use openledger_framework::BlockInfo;
use openledger_framework::store::Storage;
use openledger_staking::ValidatorUpdate;
use openledger_state_machine::ante::{AnteConfig, MAX_TX_BYTES};
use openledger_state_machine::genutil::GenTxFile;
use openledger_state_machine::{AppCore, STORE_PREFIXES};
use serde_json::{Value, json};

use crate::home::{AppConfig, DEFAULT_ABCI_ADDR, Home, node_id, read_json, write_json};

/// CometBFT's `consensus_params.abci.vote_extensions_enable_height` in a new genesis: validators
/// report inference results (Proof of Attribution) in the votes of every block from the first.
pub const VOTE_EXTENSIONS_ENABLE_HEIGHT: u64 = 1;

/// `openledgerd init`: CometBFT config and keys (by the real `cometbft init`), a genesis without
/// validators (they come from gentxs), and `app.toml`.
pub fn init(
    home: &Home,
    moniker: &str,
    chain_id: &str,
    cometbft: &Path,
    overwrite: bool,
) -> anyhow::Result<()> {
    if home.genesis().exists() && !overwrite {
        bail!(
            "{} already exists; use --overwrite to replace it",
            home.genesis().display()
        );
    }
    if overwrite {
        let _ = std::fs::remove_file(home.genesis());
    }
    std::fs::create_dir_all(&home.0).with_context(|| format!("creating {}", home.0.display()))?;
    let status = Command::new(cometbft)
        .arg("init")
        .arg("--home")
        .arg(&home.0)
        .stdout(std::process::Stdio::null())
        .status()
        .with_context(|| format!("running {} init", cometbft.display()))?;
    if !status.success() {
        bail!("cometbft init failed ({status})");
    }

    // Genesis: our chain-id and an app_state in the Cosmos shape.
    let mut genesis = read_json(&home.genesis())?;
    genesis["chain_id"] = serde_json::json!(chain_id);
    genesis["initial_height"] = serde_json::json!("1");
    // Validators come from gentxs (`genesis gentx`, `genesis collect-gentxs`): InitChain
    // returns the set staking makes of them, so CometBFT's own list stays empty.
    genesis["validators"] = serde_json::json!([]);
    genesis["app_state"] = serde_json::json!({
        "auth": {
            "params": {
                "max_memo_characters": "256",
                "tx_sig_limit": "7",
                "tx_size_cost_per_byte": "10",
                "sig_verify_cost_ed25519": "590",
                "sig_verify_cost_secp256k1": "1000"
            },
            "accounts": []
        },
        "bank": {
            "params": { "send_enabled": [], "default_send_enabled": true },
            "balances": [],
            "supply": [],
            "denom_metadata": []
        }
    });
    // Every other module's defaults, so that each param is in the file to read and edit.
    if let Some(app_state) = genesis["app_state"].as_object_mut() {
        app_state.extend(default_app_state()?);
    }
    // Proof of Attribution reports inference results in vote extensions, from the first block.
    genesis["consensus_params"]["abci"]["vote_extensions_enable_height"] =
        serde_json::json!(VOTE_EXTENSIONS_ENABLE_HEIGHT.to_string());
    write_json(&home.genesis(), &genesis)?;

    // CometBFT settings: our moniker; the tx indexer on (GetTx needs it).
    let path = home.comet_toml();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut doc: toml::Table = text
        .parse()
        .with_context(|| format!("parsing {}", path.display()))?;
    doc.insert("moniker".into(), toml::Value::String(moniker.into()));
    doc.insert(
        "proxy_app".into(),
        toml::Value::String(DEFAULT_ABCI_ADDR.into()),
    );
    if let Some(toml::Value::Table(idx)) = doc.get_mut("tx_index") {
        idx.insert("indexer".into(), toml::Value::String("kv".into()));
    }
    // A mempool for bursts of ~10k txs (CometBFT's default holds 5,000).
    if let Some(toml::Value::Table(mempool)) = doc.get_mut("mempool") {
        mempool.insert("size".into(), toml::Value::Integer(20_000));
        mempool.insert(
            "max_tx_bytes".into(),
            toml::Value::Integer(MAX_TX_BYTES as i64),
        );
    }
    // Adapter weights travel in transactions: the RPC must take a request that carries one
    // (base64 in JSON is 4/3 of the bytes).
    if let Some(toml::Value::Table(rpc)) = doc.get_mut("rpc") {
        rpc.insert(
            "max_body_bytes".into(),
            toml::Value::Integer(2 * MAX_TX_BYTES as i64),
        );
    }
    if let Some(toml::Value::Table(p2p)) = doc.get_mut("p2p") {
        p2p.insert("allow_duplicate_ip".into(), toml::Value::Boolean(true));
        p2p.insert("addr_book_strict".into(), toml::Value::Boolean(false));
    }
    std::fs::write(&path, toml::to_string(&doc)?)
        .with_context(|| format!("writing {}", path.display()))?;

    AppConfig::default().save(home)?;
    Ok(())
}

/// `genesis add-account`: an account with a balance in `genesis.json`.
pub fn add_genesis_account(
    home: &Home,
    address: &openledger_framework::Address,
    coins: &openledger_framework::Coins,
) -> anyhow::Result<()> {
    let mut genesis = read_json(&home.genesis())?;
    let addr = address.to_bech32();
    let app_state = genesis
        .get_mut("app_state")
        .context("genesis has no app_state; run init first")?;
    let accounts = app_state["auth"]["accounts"]
        .as_array_mut()
        .context("genesis app_state.auth.accounts is not a list")?;
    if accounts.iter().any(|a| a["address"] == addr) {
        bail!("account {addr} already exists in genesis");
    }
    let number = accounts.len();
    accounts.push(serde_json::json!({
        "@type": "/cosmos.auth.v1beta1.BaseAccount",
        "address": addr,
        "pub_key": null,
        "account_number": number.to_string(),
        "sequence": "0"
    }));
    let balances = app_state["bank"]["balances"]
        .as_array_mut()
        .context("genesis app_state.bank.balances is not a list")?;
    balances.push(serde_json::json!({ "address": addr, "coins": coins }));
    // Keep the declared supply equal to the sum of balances.
    let mut total = openledger_framework::Coins::new();
    for b in balances.iter() {
        let c: openledger_framework::Coins = serde_json::from_value(b["coins"].clone())?;
        total = total.checked_add(&c)?;
    }
    app_state["bank"]["supply"] = serde_json::to_value(&total)?;
    write_json(&home.genesis(), &genesis)
}

/// What `collect-gentxs` did.
#[derive(Debug)]
pub struct Collected {
    pub gentxs: Vec<GenTxFile>,
    pub validators: Vec<ValidatorUpdate>,
    pub persistent_peers: String,
}

/// `genesis collect-gentxs`: every `config/gentx/*.json` (in file-name order) into genesis,
/// checked by running the whole genesis; this node's `persistent_peers` set to the others.
pub fn collect_gentxs(home: &Home, dir: Option<&Path>) -> anyhow::Result<Collected> {
    let dir = dir
        .map(Path::to_path_buf)
        .unwrap_or_else(|| home.gentx_dir());
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        bail!("no gentx files in {}", dir.display());
    }
    let mut gentxs = Vec::new();
    for p in &paths {
        let v = read_json(p)?;
        let g: GenTxFile =
            serde_json::from_value(v).with_context(|| format!("{} is not a gentx", p.display()))?;
        gentxs.push(g);
    }
    let mut genesis = read_json(&home.genesis())?;
    genesis["app_state"]["genutil"] = json!({ "gen_txs": serde_json::to_value(&gentxs)? });
    let validators =
        validate(&genesis).context("the collected gentxs do not make a valid genesis")?;
    write_json(&home.genesis(), &genesis)?;

    let own = node_id(home).ok();
    let peers: Vec<&str> = gentxs
        .iter()
        .map(|g| g.peer.as_str())
        .filter(|p| !p.is_empty())
        .filter(|p| {
            own.as_deref()
                .is_none_or(|id| !p.starts_with(&format!("{id}@")))
        })
        .collect();
    let persistent_peers = peers.join(",");
    set_persistent_peers(home, &persistent_peers)?;
    Ok(Collected {
        gentxs,
        validators,
        persistent_peers,
    })
}

fn set_persistent_peers(home: &Home, peers: &str) -> anyhow::Result<()> {
    let path = home.comet_toml();
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let mut doc: toml::Table = text.parse()?;
    if let Some(toml::Value::Table(p2p)) = doc.get_mut("p2p") {
        p2p.insert("persistent_peers".into(), toml::Value::String(peers.into()));
    }
    std::fs::write(&path, toml::to_string(&doc)?)
        .with_context(|| format!("writing {}", path.display()))
}

/// Every module's default genesis section (what `init` writes, so that every param is there to
/// read and edit), from the state machine itself: each module's genesis on an empty
/// `app_state`, exported. `auth` and `bank` are left out: `init` writes those without the module
/// accounts genesis creates.
pub fn default_app_state() -> anyhow::Result<serde_json::Map<String, Value>> {
    let tmp = tempfile::tempdir()?;
    let core = throwaway_core(tmp.path())?;
    let block = BlockInfo {
        height: 1,
        chain_id: "default".into(),
        ..Default::default()
    };
    let (changes, _) = core
        .genesis_changes(&block, &json!({}))
        .map_err(|e| anyhow!("{}", e.message))?;
    let mut state = openledger_framework::Overlay::new(openledger_framework::store::EmptyState);
    state.apply(changes);
    let mut out = serde_json::Map::new();
    for m in &core.modules {
        if matches!(m.name(), "auth" | "bank") {
            continue;
        }
        let section = m
            .export_genesis(&state)
            .map_err(|e| anyhow!("default genesis of {}: {}", m.name(), e.message))?;
        out.insert(m.name().to_string(), section);
    }
    out.insert("genutil".into(), json!({ "gen_txs": [] }));
    Ok(out)
}

fn throwaway_core(dir: &Path) -> anyhow::Result<AppCore> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let storage = rt.block_on(Storage::open(dir.join("db"), STORE_PREFIXES))?;
    AppCore::new(storage, AnteConfig::default(), &dir.join("wasm"))
}

/// `genesis validate`: runs the genesis through the real state machine (every module's genesis,
/// then the gentxs through the ante pipeline and staking) on a throw-away store, and returns
/// the first validator set. CometBFT refuses a chain without validators, so none is an error.
pub fn validate(genesis: &Value) -> anyhow::Result<Vec<ValidatorUpdate>> {
    let chain_id = genesis["chain_id"]
        .as_str()
        .filter(|c| !c.is_empty())
        .context("genesis has no chain_id")?;
    let app_state = genesis
        .get("app_state")
        .context("genesis has no app_state")?;
    let tmp = tempfile::tempdir()?;
    let core = throwaway_core(tmp.path())?;
    let block = BlockInfo {
        height: genesis["initial_height"]
            .as_str()
            .and_then(|h| h.parse().ok())
            .unwrap_or(1),
        chain_id: chain_id.to_string(),
        ..Default::default()
    };
    let (_, validators) = core
        .genesis_changes(&block, app_state)
        .map_err(|e| anyhow!("{}", e.message))?;
    let has_comet_validators = genesis["validators"]
        .as_array()
        .is_some_and(|v| !v.is_empty());
    if validators.is_empty() && !has_comet_validators {
        bail!(
            "genesis makes no validator: add gentxs with `genesis gentx` and `genesis collect-gentxs`"
        );
    }
    Ok(validators)
}
