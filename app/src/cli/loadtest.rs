//! `loadtest`: the load generator's command ([`crate::loadtest`]).

use std::path::Path;
use std::time::Duration;

use clap::Args;
use openledger_node::home;

use crate::client;
use crate::client::keyring::{Backend, Keyring};
use crate::loadtest::{self, LoadtestOptions};

#[derive(Args)]
pub struct LoadtestArgs {
    /// Key that funds the test accounts.
    #[arg(long, default_value = "dev")]
    from: String,
    #[arg(long, value_enum, default_value = "test")]
    keyring_backend: Backend,
    #[arg(long, default_value_t = 64)]
    accounts: usize,
    #[arg(long, default_value_t = 10_000)]
    txs: usize,
    #[arg(long, default_value = home::DEFAULT_CHAIN_ID)]
    chain_id: String,
    #[arg(long, default_value = client::DEFAULT_GRPC)]
    grpc_addr: String,
    #[arg(long, default_value = "http://127.0.0.1:26657")]
    node: String,
    /// Seconds to wait for the txs to commit.
    #[arg(long, default_value_t = 300)]
    timeout: u64,
}

pub fn run(rt: &tokio::runtime::Runtime, home: &Path, a: LoadtestArgs) -> anyhow::Result<()> {
    let key = Keyring::new(home, a.keyring_backend).signing_key(&a.from)?;
    let report = rt.block_on(loadtest::run(LoadtestOptions {
        funder: key,
        chain_id: a.chain_id,
        grpc: a.grpc_addr,
        rpc: a.node,
        accounts: a.accounts,
        txs: a.txs,
        gas_price_num: 25,
        gas_price_den: 1000,
        timeout: Duration::from_secs(a.timeout),
    }))?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
