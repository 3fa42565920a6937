//! The node's home directory: CometBFT's `config/` and `data/` (with the node's keys) plus
//! OpenLedger's `app.toml`, `data/application.db` and keyrings.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

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
    /// Where `genesis gentx` writes and `collect-gentxs` reads gentx files.
    pub fn gentx_dir(&self) -> PathBuf {
        self.config_dir().join("gentx")
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
    #[serde(default)]
    pub attribution: AttributionConfig,
}

/// `[attribution]`: the engine this validator runs paid inference requests on.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub struct AttributionConfig {
    /// `in-process` (lora-engine in the node), the URL of an `openledger-lora serve`, or `off`
    /// (the validator reports nothing; its share of the agreement is missing).
    pub engine: String,
    /// Base model files, or directories of them, the in-process engine may load; each is matched
    /// by the sha256 of its weights to the chain's registered base models. The installed
    /// SmolLM2 is always a candidate.
    #[serde(default)]
    pub models: Vec<PathBuf>,
}

impl Default for AttributionConfig {
    fn default() -> Self {
        Self {
            engine: "in-process".into(),
            models: Vec::new(),
        }
    }
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
            attribution: AttributionConfig::default(),
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

pub fn read_json(path: &Path) -> anyhow::Result<serde_json::Value> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))
}

pub fn write_json(path: &Path, value: &serde_json::Value) -> anyhow::Result<()> {
    std::fs::write(path, serde_json::to_string_pretty(value)? + "\n")
        .with_context(|| format!("writing {}", path.display()))
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

/// The p2p port of the node (`p2p.laddr` in `config.toml`).
pub fn p2p_port(home: &Home) -> anyhow::Result<u16> {
    let text = std::fs::read_to_string(home.comet_toml())
        .with_context(|| format!("reading {}", home.comet_toml().display()))?;
    let doc: toml::Table = text.parse()?;
    let laddr = doc
        .get("p2p")
        .and_then(|p| p.get("laddr"))
        .and_then(|l| l.as_str())
        .unwrap_or(DEFAULT_P2P_LADDR);
    laddr
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .ok_or_else(|| anyhow!("config.toml p2p.laddr {laddr:?} has no port"))
}

/// The node's moniker (`moniker` in `config.toml`).
pub fn moniker(home: &Home) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(home.comet_toml())?;
    let doc: toml::Table = text.parse()?;
    Ok(doc
        .get("moniker")
        .and_then(|m| m.as_str())
        .unwrap_or("validator")
        .to_string())
}
