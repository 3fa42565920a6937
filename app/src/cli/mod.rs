//! The `openledgerd` command line, in the Cosmos SDK's shape: one file per module with its `tx`
//! and `query` commands ([`bank`], [`auth`], [`staking`], [`distribution`], [`slashing`],
//! [`gov`], [`mint`], [`datanet`], [`models`], [`wasm`], [`attribution`], [`ibc`]), and [`keys`], [`genesis`], [`comet`],
//! [`node`] (`init`, `start`), [`chain`] (`status`, `query tx`, `query block`) and
//! [`loadtest`]. [`common`]: what they share (tx flags and sending, the query context);
//! [`output`]: what they print. Commands parse their flags and call the client, the node or the
//! genesis tooling; the chain's logic is not here.

pub mod attribution;
pub mod auth;
pub mod bank;
pub mod chain;
pub mod comet;
pub mod common;
pub mod datanet;
pub mod distribution;
pub mod genesis;
pub mod gov;
pub mod ibc;
pub mod keys;
pub mod loadtest;
pub mod mint;
pub mod models;
pub mod node;
pub mod output;
pub mod slashing;
pub mod staking;
pub mod wasm;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};
use openledger_node::home;
use serde_json::Value;

use self::attribution::{AttributionQuery, AttributionTx};
use self::auth::AuthQuery;
use self::bank::{BankQuery, BankTx};
use self::comet::CometCmd;
use self::common::QueryCtx;
use self::datanet::{DatanetQuery, DatanetTx};
use self::distribution::{DistributionQuery, DistributionTx};
use self::genesis::GenesisCmd;
use self::gov::{GovQuery, GovTx};
use self::ibc::{IbcCmd, IbcQuery, IbcTransferQuery, IbcTransferTx};
use self::keys::KeysCmd;
use self::loadtest::LoadtestArgs;
use self::mint::MintQuery;
use self::models::{ModelsQuery, ModelsTx};
use self::node::{InitArgs, StartArgs};
use self::output::{Output, print};
use self::slashing::{SlashingQuery, SlashingTx};
use self::staking::{StakingQuery, StakingTx};
use self::wasm::{WasmQuery, WasmTx};
use crate::client::{self, keyring::Backend};

#[derive(Parser)]
#[command(
    name = "openledgerd",
    version,
    about = "OpenLedger: the chain for specialised AI with verifiable data provenance"
)]
pub struct Cli {
    /// Node and keyring home directory.
    #[arg(long, global = true, env = "OPENLEDGER_HOME")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once per run; boxing buys nothing.
enum Cmd {
    /// Create the node's configuration, keys and genesis.
    Init(InitArgs),
    /// Run the node: ABCI + gRPC servers and, by default, the managed cometbft.
    Start(StartArgs),
    /// Manage local keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
        #[arg(long, global = true, value_enum, default_value = "test")]
        keyring_backend: Backend,
        #[arg(long, global = true, value_enum, default_value = "text")]
        output: Output,
    },
    /// Edit genesis.json.
    Genesis {
        #[command(subcommand)]
        cmd: GenesisCmd,
    },
    /// Sign and broadcast transactions.
    Tx {
        #[command(subcommand)]
        cmd: TxCmd,
    },
    /// Query the chain.
    #[command(alias = "q")]
    Query {
        #[command(subcommand)]
        cmd: QueryCmd,
        #[arg(long, global = true, default_value = client::DEFAULT_GRPC)]
        grpc_addr: String,
        #[arg(long, global = true, value_enum, default_value = "text")]
        output: Output,
        /// Keyring in which key names given for addresses are looked up.
        #[arg(long, global = true, value_enum, default_value = "test")]
        keyring_backend: Backend,
    },
    /// The node's CometBFT keys.
    Comet {
        #[command(subcommand)]
        cmd: CometCmd,
    },
    /// Node status (height, app hash, syncing).
    Status {
        #[arg(long, default_value = client::DEFAULT_GRPC)]
        grpc_addr: String,
        #[arg(long, value_enum, default_value = "json")]
        output: Output,
    },
    /// Sign M sends between N fresh accounts, submit them, report committed txs/s.
    Loadtest(LoadtestArgs),
    /// What a relayer needs to know of this chain.
    Ibc {
        #[command(subcommand)]
        cmd: IbcCmd,
    },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once per run; boxing buys nothing.
enum TxCmd {
    Bank {
        #[command(subcommand)]
        cmd: BankTx,
    },
    /// Datanets: create, contribute, review, cut versions.
    Datanet {
        #[command(subcommand)]
        cmd: DatanetTx,
    },
    /// Base models and adapters.
    Models {
        #[command(subcommand)]
        cmd: ModelsTx,
    },
    /// CosmWasm contracts: store, instantiate, execute, migrate (wasmd's commands).
    Wasm {
        #[command(subcommand)]
        cmd: WasmTx,
    },
    /// Validators and delegations.
    Staking {
        #[command(subcommand)]
        cmd: StakingTx,
    },
    /// Rewards and commission.
    Distribution {
        #[command(subcommand)]
        cmd: DistributionTx,
    },
    Slashing {
        #[command(subcommand)]
        cmd: SlashingTx,
    },
    /// Proposals, deposits and votes.
    Gov {
        #[command(subcommand)]
        cmd: GovTx,
    },
    /// Paid inference with Proof of Attribution.
    Attribution {
        #[command(subcommand)]
        cmd: AttributionTx,
    },
    /// ICS-20: send coins to another chain over IBC.
    #[command(name = "ibc-transfer")]
    IbcTransfer {
        #[command(subcommand)]
        cmd: IbcTransferTx,
    },
}

#[derive(Subcommand)]
enum QueryCmd {
    Bank {
        #[command(subcommand)]
        cmd: BankQuery,
    },
    Auth {
        #[command(subcommand)]
        cmd: AuthQuery,
    },
    Datanet {
        #[command(subcommand)]
        cmd: DatanetQuery,
    },
    Models {
        #[command(subcommand)]
        cmd: ModelsQuery,
    },
    /// CosmWasm codes, contracts and their state (wasmd's commands).
    Wasm {
        #[command(subcommand)]
        cmd: WasmQuery,
    },
    Staking {
        #[command(subcommand)]
        cmd: StakingQuery,
    },
    Distribution {
        #[command(subcommand)]
        cmd: DistributionQuery,
    },
    Slashing {
        #[command(subcommand)]
        cmd: SlashingQuery,
    },
    Gov {
        #[command(subcommand)]
        cmd: GovQuery,
    },
    Mint {
        #[command(subcommand)]
        cmd: MintQuery,
    },
    /// Inference requests, attribution records, contributors' earnings, record verification.
    Attribution {
        #[command(subcommand)]
        cmd: AttributionQuery,
    },
    /// ICS-20: voucher denoms' traces and channels' escrow accounts.
    #[command(name = "ibc-transfer")]
    IbcTransfer {
        #[command(subcommand)]
        cmd: IbcTransferQuery,
    },
    /// IBC core: light clients, connections, channels.
    Ibc {
        #[command(subcommand)]
        cmd: IbcQuery,
    },
    /// A transaction by hash.
    Tx { hash: String },
    /// A block (latest by default).
    Block { height: Option<u64> },
}

impl Cli {
    /// Runs the command.
    pub fn run(self) -> anyhow::Result<()> {
        let home = self.home.unwrap_or_else(home::default_home);
        let rt = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        match self.cmd {
            Cmd::Init(a) => node::init(&home, a),
            Cmd::Start(a) => node::start(&rt, home, a),
            Cmd::Keys {
                cmd,
                keyring_backend,
                output,
            } => keys::run(&home, keyring_backend, output, cmd),
            Cmd::Genesis { cmd } => genesis::run(&home, cmd),
            Cmd::Tx { cmd } => cmd.run(&rt, &home),
            Cmd::Query {
                cmd,
                grpc_addr,
                output,
                keyring_backend,
            } => {
                let q = QueryCtx {
                    home,
                    grpc_addr,
                    keyring_backend,
                };
                let value = rt.block_on(cmd.run(&q))?;
                print(&value, output == Output::Json);
                Ok(())
            }
            Cmd::Comet { cmd } => comet::run(&home, cmd),
            Cmd::Status { grpc_addr, output } => {
                let value = rt.block_on(async {
                    chain::node_status(&client::connect(&grpc_addr).await?).await
                })?;
                print(&value, output == Output::Json);
                Ok(())
            }
            Cmd::Loadtest(a) => loadtest::run(&rt, &home, a),
            Cmd::Ibc { cmd } => ibc::run(cmd),
        }
    }
}

impl TxCmd {
    fn run(self, rt: &tokio::runtime::Runtime, home: &Path) -> anyhow::Result<()> {
        match self {
            TxCmd::Bank { cmd } => bank::tx(rt, home, cmd),
            TxCmd::Datanet { cmd } => datanet::tx(rt, home, cmd),
            TxCmd::Models { cmd } => models::tx(rt, home, cmd),
            TxCmd::Wasm { cmd } => wasm::tx(rt, home, cmd),
            TxCmd::Staking { cmd } => staking::tx(rt, home, cmd),
            TxCmd::Distribution { cmd } => distribution::tx(rt, home, cmd),
            TxCmd::Slashing { cmd } => slashing::tx(rt, home, cmd),
            TxCmd::Gov { cmd } => gov::tx(rt, home, cmd),
            TxCmd::Attribution { cmd } => attribution::tx(rt, home, cmd),
            TxCmd::IbcTransfer { cmd } => ibc::tx(rt, home, cmd),
        }
    }
}

impl QueryCmd {
    async fn run(self, q: &QueryCtx) -> anyhow::Result<Value> {
        match self {
            QueryCmd::Bank { cmd } => bank::query(q, cmd).await,
            QueryCmd::Auth { cmd } => auth::query(q, cmd).await,
            QueryCmd::Datanet { cmd } => datanet::query(q, cmd).await,
            QueryCmd::Models { cmd } => models::query(q, cmd).await,
            QueryCmd::Wasm { cmd } => wasm::query(q, cmd).await,
            QueryCmd::Staking { cmd } => staking::query(q, cmd).await,
            QueryCmd::Distribution { cmd } => distribution::query(q, cmd).await,
            QueryCmd::Slashing { cmd } => slashing::query(q, cmd).await,
            QueryCmd::Gov { cmd } => gov::query(q, cmd).await,
            QueryCmd::Mint { cmd } => mint::query(q, cmd).await,
            QueryCmd::Attribution { cmd } => attribution::query(q, cmd).await,
            QueryCmd::IbcTransfer { cmd } => ibc::transfer_query(q, cmd).await,
            QueryCmd::Ibc { cmd } => ibc::ibc_query(q, cmd).await,
            QueryCmd::Tx { hash } => chain::tx(&q.channel().await?, &hash).await,
            QueryCmd::Block { height } => chain::block(&q.channel().await?, height).await,
        }
    }
}
