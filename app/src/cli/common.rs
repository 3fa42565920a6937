//! What the command groups share: the flags of a transaction and sending it, the context of a
//! query, key names where addresses go, and the confirmation prompt.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use clap::Args;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use openledger_framework::{Address, pack_any};
use openledger_node::home;
use tonic::transport::Channel;

use super::output::{Output, made, print, tx_response_json};
use crate::client::keyring::{Backend, Keyring};
use crate::client::{self, BroadcastMode, FeeOptions, Sender};

#[derive(Args, Clone)]
pub struct TxFlags {
    #[arg(long, default_value = home::DEFAULT_CHAIN_ID)]
    pub chain_id: String,
    #[arg(long, default_value = "")]
    pub fees: String,
    /// Pay `ceil(gas × price)` instead of fixed --fees, e.g. `0.025uopen`.
    #[arg(long, default_value = "")]
    pub gas_prices: String,
    /// Gas limit, or `auto` to simulate.
    #[arg(long, default_value = "200000")]
    pub gas: String,
    #[arg(long, default_value_t = 1.3)]
    pub gas_adjustment: f64,
    #[arg(long, default_value = "")]
    pub memo: String,
    #[arg(long, default_value = client::DEFAULT_GRPC)]
    pub grpc_addr: String,
    /// Skip the confirmation prompt.
    #[arg(short = 'y', long)]
    pub yes: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub output: Output,
    #[arg(long, value_enum, default_value = "block")]
    pub broadcast_mode: BroadcastMode,
    #[arg(long, value_enum, default_value = "test")]
    pub keyring_backend: Backend,
}

#[derive(Args, Clone)]
pub struct FromKey {
    /// Key (in the keyring) that signs.
    #[arg(long)]
    pub from: String,
}

/// An `open1…` address, or the address of a key of the keyring.
pub fn resolve_address(home: &Path, backend: Backend, s: &str) -> anyhow::Result<Address> {
    if let Ok(a) = Address::from_bech32(s) {
        return Ok(a);
    }
    let info = Keyring::new(home, backend)
        .show(s)
        .map_err(|e| anyhow!("{s:?} is neither an open1… address nor a key name: {e}"))?;
    Ok(Address::from_bech32(&info.address)?)
}

pub fn confirm(prompt: &str) -> anyhow::Result<bool> {
    eprint!("{prompt} [y/N]: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// Addresses or key names, as addresses.
pub fn addresses(home: &Path, backend: Backend, list: &[String]) -> anyhow::Result<Vec<String>> {
    list.iter()
        .map(|c| Ok(resolve_address(home, backend, c.trim())?.to_bech32()))
        .collect()
}

/// The signer and fee settings of a tx command.
pub fn sender_of(home: &Path, from: &FromKey, flags: &TxFlags) -> anyhow::Result<Sender> {
    let key = Keyring::new(home, flags.keyring_backend).signing_key(&from.from)?;
    Ok(Sender {
        key,
        chain_id: flags.chain_id.clone(),
        fee: FeeOptions::parse(&flags.gas, flags.gas_adjustment, &flags.fees)?
            .with_gas_prices(&flags.gas_prices)?,
        memo: flags.memo.clone(),
        mode: flags.broadcast_mode,
    })
}

/// Signs, broadcasts and prints one message; exits non-zero if the chain refused it.
pub fn send_one<M: prost::Name>(
    rt: &tokio::runtime::Runtime,
    sender: &Sender,
    flags: &TxFlags,
    what: &str,
    msg: &M,
) -> anyhow::Result<()> {
    send_msgs(rt, sender, flags, what, vec![pack_any(msg)])
}

/// Signs, broadcasts and prints one tx of `msgs`; exits non-zero if the chain refused it.
pub fn send_msgs(
    rt: &tokio::runtime::Runtime,
    sender: &Sender,
    flags: &TxFlags,
    what: &str,
    msgs: Vec<cosmrs::Any>,
) -> anyhow::Result<()> {
    if !flags.yes && !confirm(&format!("{what}?"))? {
        bail!("cancelled");
    }
    let resp = rt.block_on(async {
        let ch = client::connect(&flags.grpc_addr).await?;
        sender.send(&ch, msgs).await
    })?;
    let json = flags.output == Output::Json;
    print(&tx_response_json(&resp), json);
    if !json {
        // What the tx made (a wasm code id or contract address), to use in the next command.
        for (k, v) in made(&resp) {
            println!("{k}: {v}");
        }
    }
    if resp.code != 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// What a query command needs besides its own arguments: the node to ask, and the keyring in
/// which key names given for addresses are looked up (`--keyring-backend`).
pub struct QueryCtx {
    pub home: PathBuf,
    pub grpc_addr: String,
    pub keyring_backend: Backend,
}

impl QueryCtx {
    /// An address argument: an `open1…` address or a key name in this context's keyring.
    pub fn address(&self, s: &str) -> anyhow::Result<String> {
        Ok(resolve_address(&self.home, self.keyring_backend, s)?.to_bech32())
    }

    /// The node's gRPC endpoint. Commands resolve their arguments first, so that a wrong key
    /// name is reported as such, node or no node.
    pub async fn channel(&self) -> anyhow::Result<Channel> {
        client::connect(&self.grpc_addr).await
    }
}

/// Rows asked for per page by list queries.
const PAGE: u64 = 200;

pub fn page() -> Option<PageRequest> {
    Some(PageRequest {
        key: Vec::new(),
        offset: 0,
        limit: PAGE,
        count_total: false,
        reverse: false,
    })
}
