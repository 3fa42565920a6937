//! `comet`: the node's CometBFT keys (`show-validator`, `show-node-id`, `show-address`), and
//! consensus keys in the JSON shape `show-validator` prints.

use std::path::Path;

use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Subcommand;
use openledger_node::home::{Home, consensus_pubkey, node_id};
use openledger_staking::cons_address;
use serde_json::{Value, json};

#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)] // CometBFT's own names: `show-validator`, `show-node-id`.
pub enum CometCmd {
    /// The consensus public key, as `tx staking create-validator --pubkey` takes it.
    ShowValidator,
    /// The node id (peers dial `<id>@host:port`).
    ShowNodeId,
    /// The consensus address (`openvalcons1…`).
    ShowAddress,
}

pub fn run(home: &Path, cmd: CometCmd) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    match cmd {
        CometCmd::ShowValidator => println!("{}", show_validator(&home)?),
        CometCmd::ShowNodeId => println!("{}", node_id(&home)?),
        CometCmd::ShowAddress => {
            let cons = cons_address(&consensus_pubkey(&home)?);
            println!("{}", cons.with_prefix("openvalcons"));
        }
    }
    Ok(())
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
