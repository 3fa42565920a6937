//! `genesis …`: accounts in genesis, gentxs (a validator's signed `MsgCreateValidator`),
//! collecting them, and checking a genesis by running it.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Args, Subcommand};
use cosmrs::crypto::secp256k1::SigningKey;
use openledger_framework::{Address, Coins, pack_any};
use openledger_node::genesis;
use openledger_node::home::{
    Home, consensus_pubkey, moniker, node_id, p2p_port, read_json, write_json,
};
use openledger_staking::valoper;
use openledger_state_machine::genutil::GenTxFile;
use serde_json::Value;

use super::common::resolve_address;
use super::staking::{ValidatorArgs, ValidatorSettings, create_validator_msg};
use crate::client;
use crate::client::keyring::{self, Backend, Keyring};

/// Gas a gentx may use (it runs in genesis, where nothing is charged, but the meter still counts).
const GENTX_GAS: u64 = 1_000_000;

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once per run; boxing buys nothing.
pub enum GenesisCmd {
    /// Add an account with coins to genesis.json.
    AddAccount {
        address_or_key: String,
        coins: String,
        #[arg(long, value_enum, default_value = "test")]
        keyring_backend: Backend,
    },
    /// Sign a genesis transaction making this node a validator (`config/gentx/`).
    Gentx(GentxArgs),
    /// Put every gentx into genesis.json, check the result, and peer with their nodes.
    CollectGentxs {
        /// Where the gentx files are (default: config/gentx).
        #[arg(long)]
        gentx_dir: Option<PathBuf>,
    },
    /// Run the genesis through the state machine and report whether it starts a chain.
    Validate { file: Option<PathBuf> },
}

#[derive(Args)]
pub struct GentxArgs {
    /// Key (in the keyring) of the validator's operator account.
    key: String,
    /// Self-delegation, e.g. 100000000uopen.
    amount: String,
    #[arg(long)]
    chain_id: String,
    #[command(flatten)]
    validator: ValidatorArgs,
    /// Host other validators reach this node's p2p port on.
    #[arg(long, default_value = "127.0.0.1")]
    ip: String,
    /// Write the gentx here instead of `config/gentx/gentx-<node-id>.json`.
    #[arg(long)]
    output_document: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "test")]
    keyring_backend: Backend,
}

pub fn run(home: &Path, cmd: GenesisCmd) -> anyhow::Result<()> {
    match cmd {
        GenesisCmd::AddAccount {
            address_or_key,
            coins,
            keyring_backend,
        } => {
            let addr = resolve_address(home, keyring_backend, &address_or_key)?;
            let coins: Coins = coins.parse().map_err(|e| anyhow!("coins: {e}"))?;
            if coins.is_empty() {
                bail!("coins must not be empty");
            }
            genesis::add_genesis_account(&Home(home.to_path_buf()), &addr, &coins)?;
            println!("added {addr} with {coins} to genesis");
            Ok(())
        }
        GenesisCmd::Gentx(a) => gentx_cmd(home, a),
        GenesisCmd::CollectGentxs { gentx_dir } => collect_gentxs(home, gentx_dir.as_deref()),
        GenesisCmd::Validate { file } => validate(home, file.as_deref()),
    }
}

fn gentx_cmd(home: &Path, a: GentxArgs) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    let key = Keyring::new(&home.0, a.keyring_backend).signing_key(&a.key)?;
    let amount: Coins = a.amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
    let settings = a.validator.settings(&moniker(&home)?);
    let path = gentx(
        &home,
        &key,
        &a.chain_id,
        &amount,
        &settings,
        &a.ip,
        a.output_document.as_deref(),
    )?;
    println!("Genesis transaction written to {}", path.display());
    Ok(())
}

fn collect_gentxs(home: &Path, dir: Option<&Path>) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    let c = genesis::collect_gentxs(&home, dir)?;
    for g in &c.gentxs {
        println!(
            "gentx: {} {} self-delegation {}",
            g.moniker, g.operator, g.self_delegation
        );
    }
    let power: i64 = c.validators.iter().map(|v| v.power).sum();
    println!(
        "{} validators, total voting power {power}; persistent_peers = {:?}",
        c.validators.len(),
        c.persistent_peers
    );
    Ok(())
}

fn validate(home: &Path, file: Option<&Path>) -> anyhow::Result<()> {
    let path = file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Home(home.to_path_buf()).genesis());
    let genesis = read_json(&path)?;
    let validators = genesis::validate(&genesis)?;
    println!(
        "File at {} is a valid genesis file ({} validators from gentxs)",
        path.display(),
        validators.len()
    );
    Ok(())
}

/// `genesis gentx`: signs a `MsgCreateValidator` with `key` (account number 0, sequence 0, no
/// fee, as the SDK does for gentxs) and writes it to `config/gentx/`. The key's account must be
/// in genesis with at least the self-delegation.
fn gentx(
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
    let operator = keyring::address_of(key)?;
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
    let bytes = client::sign_tx(
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
            let dir = home.gentx_dir();
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
