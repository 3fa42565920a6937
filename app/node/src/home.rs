//! The node's home directory: CometBFT's `config/` and `data/` plus OpenLedger's `app.toml`,
//! `data/application.db` and keyrings, and `init` / `genesis add-account`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};

pub const DEFAULT_CHAIN_ID: &str = "openledger-local-1";
pub const DEFAULT_MIN_GAS_PRICES: &str = "0.025uopen";
pub const DEFAULT_ABCI_ADDR: &str = "tcp://127.0.0.1:26658";
pub const DEFAULT_GRPC_ADDR: &str = "127.0.0.1:9090";
pub const DEFAULT_RPC_LADDR: &str = "tcp://127.0.0.1:26657";
pub const DEFAULT_P2P_LADDR: &str = "tcp://0.0.0.0:26656";

pub fn default_home() -> PathBuf {
    std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
        .join(".openledger")
}

pub struct Home(pub PathBuf);

impl Home {
    pub fn config_dir(&self) -> PathBuf {
        self.0.join("config")
    }
    pub fn genesis(&self) -> PathBuf {
        self.config_dir().join("genesis.json")
    }
    pub fn app_toml(&self) -> PathBuf {
        self.config_dir().join("app.toml")
    }
    pub fn comet_toml(&self) -> PathBuf {
        self.config_dir().join("config.toml")
    }
    pub fn app_db(&self) -> PathBuf {
        self.0.join("data").join("application.db")
    }
}

/// `config/app.toml`: OpenLedger's own node settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AppConfig {
    /// Minimum gas prices a CheckTx'd transaction must pay, e.g. "0.025uopen".
    pub minimum_gas_prices: String,
    /// Blocks CometBFT keeps (0: all); older ones may be pruned.
    #[serde(default)]
    pub min_retain_blocks: u64,
    #[serde(default)]
    pub grpc: GrpcConfig,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GrpcConfig {
    pub address: String,
}

impl Default for GrpcConfig {
    fn default() -> Self {
        Self {
            address: DEFAULT_GRPC_ADDR.into(),
        }
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            minimum_gas_prices: DEFAULT_MIN_GAS_PRICES.into(),
            min_retain_blocks: 0,
            grpc: GrpcConfig::default(),
        }
    }
}

impl AppConfig {
    pub fn load(home: &Home) -> anyhow::Result<Self> {
        let path = home.app_toml();
        if !path.exists() {
            return Ok(Self::default());
        }
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))
    }

    pub fn save(&self, home: &Home) -> anyhow::Result<()> {
        let text = format!(
            "# OpenLedger node configuration\n{}",
            toml::to_string_pretty(self).context("serialising app.toml")?
        );
        std::fs::write(home.app_toml(), text)
            .with_context(|| format!("writing {}", home.app_toml().display()))
    }
}

/// Finds the `cometbft` binary: an explicit path, then `PATH`, then `$(go env GOPATH)/bin`.
pub fn find_cometbft(explicit: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = explicit {
        if p.is_file() {
            return Ok(p.to_path_buf());
        }
        bail!("--cometbft-bin {} does not exist", p.display());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let candidate = dir.join("cometbft");
            if candidate.is_file() {
                return Ok(candidate);
            }
        }
    }
    let gopath = Command::new("go")
        .args(["env", "GOPATH"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .or_else(|| std::env::var("HOME").ok().map(|h| format!("{h}/go")));
    if let Some(gopath) = gopath {
        let candidate = PathBuf::from(gopath).join("bin").join("cometbft");
        if candidate.is_file() {
            return Ok(candidate);
        }
    }
    bail!(
        "cometbft not found on PATH or in $(go env GOPATH)/bin; run `make setup` or pass --cometbft-bin"
    )
}

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
        app_state.extend(crate::gentx::default_app_state()?);
    }
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
            toml::Value::Integer(crate::ante::MAX_TX_BYTES as i64),
        );
    }
    // Adapter weights travel in transactions: the RPC must take a request that carries one
    // (base64 in JSON is 4/3 of the bytes).
    if let Some(toml::Value::Table(rpc)) = doc.get_mut("rpc") {
        rpc.insert(
            "max_body_bytes".into(),
            toml::Value::Integer(2 * crate::ante::MAX_TX_BYTES as i64),
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

pub fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

pub fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(value)? + "\n")
        .with_context(|| format!("writing {}", path.display()))
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
