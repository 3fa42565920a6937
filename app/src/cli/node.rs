//! The node's own commands: `init` and `start`.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use openledger_node::cometbft::{self, CometMode};
use openledger_node::home::{self, Home};
use openledger_node::start::{self, StartOptions};

#[derive(Args)]
pub struct InitArgs {
    moniker: String,
    #[arg(long, default_value = home::DEFAULT_CHAIN_ID)]
    chain_id: String,
    #[arg(long)]
    overwrite: bool,
    #[arg(long)]
    cometbft_bin: Option<PathBuf>,
}

// The node's flags, as `gaiad start` names them.
#[derive(Args)]
pub struct StartArgs {
    /// ABCI listen address for cometbft.
    #[arg(long, default_value = home::DEFAULT_ABCI_ADDR)]
    address: String,
    /// gRPC listen address (default: app.toml's grpc.address, 127.0.0.1:9090).
    #[arg(long = "grpc.address")]
    grpc_address: Option<String>,
    #[arg(long = "rpc.laddr", default_value = home::DEFAULT_RPC_LADDR)]
    rpc_laddr: String,
    #[arg(long = "p2p.laddr", default_value = home::DEFAULT_P2P_LADDR)]
    p2p_laddr: String,
    #[arg(long, value_enum, default_value = "managed")]
    comet: CometArg,
    #[arg(long)]
    cometbft_bin: Option<PathBuf>,
    /// Overrides app.toml's minimum-gas-prices.
    #[arg(long)]
    minimum_gas_prices: Option<String>,
    /// Log filter (tracing's env-filter syntax).
    #[arg(long, default_value = "info")]
    log_level: String,
    /// Where this validator runs paid inference requests: `in-process` (lora-engine in the
    /// node), `off`, or the URL of an `openledger-lora serve` (default: app.toml's
    /// attribution.engine, in-process).
    #[arg(long)]
    lora_engine: Option<String>,
    /// Base model files (or directories of them) the in-process engine may load, matched by the
    /// sha256 of their weights; the installed SmolLM2 is always one.
    #[arg(long, value_delimiter = ',')]
    lora_models: Vec<PathBuf>,
    /// TEST ONLY: report perturbed influence scores (`noise` or `garbage`).
    #[arg(long, hide = true)]
    attribution_perturb: Option<String>,
}

/// `--comet`: `managed` (start and supervise cometbft) or `external` (wait for one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CometArg {
    Managed,
    External,
}

/// `init`: CometBFT config and keys (by the real `cometbft init`), a genesis without validators,
/// and `app.toml`.
pub fn init(home: &Path, a: InitArgs) -> anyhow::Result<()> {
    let bin = cometbft::find(a.cometbft_bin.as_deref())?;
    openledger_node::genesis::init(
        &Home(home.to_path_buf()),
        &a.moniker,
        &a.chain_id,
        &bin,
        a.overwrite,
    )?;
    println!(
        "initialised {} (chain-id {}, moniker {})",
        home.display(),
        a.chain_id,
        a.moniker
    );
    Ok(())
}

/// `start`: runs the node until Ctrl-C / SIGTERM.
pub fn start(rt: &tokio::runtime::Runtime, home: PathBuf, a: StartArgs) -> anyhow::Result<()> {
    init_tracing(&a.log_level);
    let opts = StartOptions {
        home,
        abci_addr: a.address,
        grpc_addr: a.grpc_address,
        rpc_laddr: a.rpc_laddr,
        p2p_laddr: a.p2p_laddr,
        comet: match a.comet {
            CometArg::Managed => CometMode::Managed,
            CometArg::External => CometMode::External,
        },
        cometbft_bin: a.cometbft_bin,
        minimum_gas_prices: a.minimum_gas_prices,
        lora_engine: a.lora_engine,
        lora_models: a.lora_models,
        attribution_perturb: a.attribution_perturb,
    };
    rt.block_on(start::start(opts))
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}
