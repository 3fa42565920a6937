//! Genesis validators the Cosmos way: each validator signs a `MsgCreateValidator` (a *gentx*)
//! with its account key and its node's consensus key, `collect-gentxs` puts them all into
//! `genesis.json` (`app_state.genutil.gen_txs`) and wires the nodes as persistent peers, and
//! `InitChain` runs them through the ante pipeline and the staking module.
//!
//! A gentx file (`config/gentx/gentx-<node-id>.json`) holds the signed `TxRaw` in base64 and, for
//! people reading it, what it does.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use openledger_framework::error::SdkError;
use openledger_framework::store::Storage;
use openledger_framework::{AbciError, Address, BlockInfo, Coins, Dec, pack_any};
use openledger_staking::types::encode_consensus_pubkey;
use openledger_staking::{ValidatorUpdate, valoper};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::ante::AnteConfig;
use crate::config::{Home, read_json, write_json};
use crate::state_machine::{AppCore, STORE_PREFIXES};

/// Gas a gentx may use (it runs in genesis, where nothing is charged, but the meter still counts).
const GENTX_GAS: u64 = 1_000_000;

/// One `app_state.genutil.gen_txs` entry and one gentx file.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenTxFile {
    /// The signed `TxRaw`, base64.
    pub tx: String,
    /// For readers: the validator this creates (the chain reads only `tx`).
    #[serde(default)]
    pub moniker: String,
    #[serde(default)]
    pub operator: String,
    #[serde(default)]
    pub self_delegation: String,
    /// `node-id@host:port` of the validator's node, which `collect-gentxs` makes a peer.
    #[serde(default)]
    pub peer: String,
}

/// The gentx bytes in a genesis `app_state` (none when there is no `genutil` section).
pub fn gentxs_of(app_state: &Value) -> Result<Vec<Vec<u8>>, AbciError> {
    let Some(list) = app_state.get("genutil").and_then(|g| g.get("gen_txs")) else {
        return Ok(Vec::new());
    };
    let bad = |i: usize, e: String| -> AbciError {
        SdkError::InvalidRequest(format!("genutil.gen_txs[{i}]: {e}")).into()
    };
    let items = list
        .as_array()
        .ok_or_else(|| bad(0, "gen_txs is not a list".into()))?;
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let b64 = match item {
                Value::String(s) => s.clone(),
                other => {
                    serde_json::from_value::<GenTxFile>(other.clone())
                        .map_err(|e| bad(i, e.to_string()))?
                        .tx
                }
            };
            B64.decode(b64.trim())
                .map_err(|e| bad(i, format!("tx is not base64: {e}")))
        })
        .collect()
}

/// The node's consensus key (`config/priv_validator_key.json`, written by `cometbft init`).
pub fn consensus_pubkey(home: &Home) -> anyhow::Result<[u8; 32]> {
    let path = home.config_dir().join("priv_validator_key.json");
    let v = read_json(&path)?;
    let ty = v["pub_key"]["type"].as_str().unwrap_or_default();
    if ty != "tendermint/PubKeyEd25519" {
        bail!("{}: unsupported consensus key type {ty:?}", path.display());
    }
    let bytes = B64
        .decode(v["pub_key"]["value"].as_str().unwrap_or_default())
        .with_context(|| format!("{}: pub_key.value is not base64", path.display()))?;
    bytes
        .try_into()
        .map_err(|_| anyhow!("{}: not a 32-byte ed25519 key", path.display()))
}

/// `comet show-validator`: the consensus public key as `create-validator --pubkey` takes it.
pub fn show_validator(home: &Home) -> anyhow::Result<Value> {
    Ok(json!({
        "@type": "/cosmos.crypto.ed25519.PubKey",
        "key": B64.encode(consensus_pubkey(home)?),
    }))
}

/// Parses `comet show-validator`'s JSON (or a bare base64 key) into an ed25519 key.
pub fn parse_pubkey_json(s: &str) -> anyhow::Result<[u8; 32]> {
    let key = match serde_json::from_str::<Value>(s) {
        Ok(v) => {
            let ty = v["@type"].as_str().unwrap_or_default();
            if ty != "/cosmos.crypto.ed25519.PubKey" {
                bail!("--pubkey: expected @type /cosmos.crypto.ed25519.PubKey, got {ty:?}");
            }
            v["key"].as_str().unwrap_or_default().to_string()
        }
        Err(_) => s.trim().to_string(),
    };
    B64.decode(&key)
        .map_err(|e| anyhow!("--pubkey: key is not base64: {e}"))?
        .try_into()
        .map_err(|_| anyhow!("--pubkey: an ed25519 key has 32 bytes"))
}

/// The node id (`sha256(node pubkey)[..20]`, hex), as `cometbft show-node-id` prints it.
pub fn node_id(home: &Home) -> anyhow::Result<String> {
    let path = home.config_dir().join("node_key.json");
    let v = read_json(&path)?;
    let bytes = B64
        .decode(v["priv_key"]["value"].as_str().unwrap_or_default())
        .with_context(|| format!("{}: priv_key.value is not base64", path.display()))?;
    if bytes.len() != 64 {
        bail!("{}: not an ed25519 key", path.display());
    }
    Ok(hex::encode(&Sha256::digest(&bytes[32..])[..20]))
}

/// The validator's commission and self-delegation settings (the SDK's flags and defaults).
#[derive(Debug, Clone)]
pub struct ValidatorSettings {
    pub moniker: String,
    pub identity: String,
    pub website: String,
    pub security_contact: String,
    pub details: String,
    pub commission_rate: String,
    pub commission_max_rate: String,
    pub commission_max_change_rate: String,
    pub min_self_delegation: String,
}

/// A `MsgCreateValidator` for `operator` with consensus key `pubkey`.
#[allow(deprecated)]
pub fn create_validator_msg(
    operator: &Address,
    pubkey: &[u8; 32],
    amount: &Coins,
    s: &ValidatorSettings,
) -> anyhow::Result<pb::MsgCreateValidator> {
    let [coin] = amount.to_proto().try_into().map_err(|_| {
        anyhow!("the self-delegation is one coin of the bond denom, e.g. 1000000000uopen")
    })?;
    let rate = |what: &str, v: &str| -> anyhow::Result<String> {
        let d: Dec = v.parse().map_err(|e| anyhow!("--{what}: {e}"))?;
        Ok(d.atomics().to_string())
    };
    let min_self: u128 = s
        .min_self_delegation
        .parse()
        .map_err(|_| anyhow!("--min-self-delegation must be an integer amount of uopen"))?;
    Ok(pb::MsgCreateValidator {
        description: Some(pb::Description {
            moniker: s.moniker.clone(),
            identity: s.identity.clone(),
            website: s.website.clone(),
            security_contact: s.security_contact.clone(),
            details: s.details.clone(),
        }),
        commission: Some(pb::CommissionRates {
            rate: rate("commission-rate", &s.commission_rate)?,
            max_rate: rate("commission-max-rate", &s.commission_max_rate)?,
            max_change_rate: rate("commission-max-change-rate", &s.commission_max_change_rate)?,
        }),
        min_self_delegation: min_self.to_string(),
        delegator_address: String::new(),
        validator_address: valoper(operator),
        pubkey: Some(encode_consensus_pubkey(pubkey)),
        value: Some(coin),
    })
}

/// The p2p port of the node (`p2p.laddr` in `config.toml`).
fn p2p_port(home: &Home) -> anyhow::Result<u16> {
    let text = std::fs::read_to_string(home.comet_toml())
        .with_context(|| format!("reading {}", home.comet_toml().display()))?;
    let doc: toml::Table = text.parse()?;
    let laddr = doc
        .get("p2p")
        .and_then(|p| p.get("laddr"))
        .and_then(|l| l.as_str())
        .unwrap_or(crate::config::DEFAULT_P2P_LADDR);
    laddr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow!("config.toml p2p.laddr {laddr:?} has no port"))
}

pub fn gentx_dir(home: &Home) -> PathBuf {
    home.config_dir().join("gentx")
}

/// `genesis gentx`: signs a `MsgCreateValidator` with `key` (account number 0, sequence 0, no
/// fee, as the SDK does for gentxs) and writes it to `config/gentx/`. The key's account must be
/// in genesis with at least the self-delegation.
pub fn gentx(
    home: &Home,
    key: &SigningKey,
    chain_id: &str,
    amount: &Coins,
    settings: &ValidatorSettings,
    ip: &str,
    output: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let genesis = read_json(&home.genesis())?;
    if genesis["chain_id"].as_str() != Some(chain_id) {
        bail!(
            "--chain-id {chain_id} differs from genesis.json's {}",
            genesis["chain_id"]
        );
    }
    let operator = crate::keyring::address_of(key)?;
    let held = genesis_balance(&genesis, &operator)?;
    for c in amount.iter() {
        if held.amount_of(&c.denom) < c.amount {
            bail!(
                "account {operator} has {} in genesis, less than the self-delegation {amount}; \
                 add it with `genesis add-account` first",
                held
            );
        }
    }
    let pubkey = consensus_pubkey(home)?;
    let msg = create_validator_msg(&operator, &pubkey, amount, settings)?;
    let peer = format!("{}@{ip}:{}", node_id(home)?, p2p_port(home)?);
    let bytes = crate::client::sign_tx(
        key,
        chain_id,
        0,
        0,
        vec![pack_any(&msg)],
        &peer,
        GENTX_GAS,
        &Coins::new(),
    )?;
    let file = GenTxFile {
        tx: B64.encode(&bytes),
        moniker: settings.moniker.clone(),
        operator: valoper(&operator),
        self_delegation: amount.to_string(),
        peer,
    };
    let path = match output {
        Some(p) => p.to_path_buf(),
        None => {
            let dir = gentx_dir(home);
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            dir.join(format!("gentx-{}.json", node_id(home)?))
        }
    };
    write_json(&path, &serde_json::to_value(&file)?)?;
    Ok(path)
}

fn genesis_balance(genesis: &Value, addr: &Address) -> anyhow::Result<Coins> {
    let bech = addr.to_bech32();
    let balances = genesis["app_state"]["bank"]["balances"]
        .as_array()
        .context("genesis app_state.bank.balances is not a list")?;
    match balances.iter().find(|b| b["address"] == bech.as_str()) {
        None => Ok(Coins::new()),
        Some(b) => Ok(serde_json::from_value(b["coins"].clone())?),
    }
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
        .unwrap_or_else(|| gentx_dir(home));
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
