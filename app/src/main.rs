//! `openledgerd`: run an OpenLedger validator, manage keys, send transactions, query the chain.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use openledger_framework::{Address, Coins, pack_any};
use openledgerd::client::{self, BroadcastMode, FeeOptions};
use openledgerd::config::{self, Home};
use openledgerd::keyring::{self, Backend, Keyring};
use openledgerd::node::{self, CometMode, StartOptions};

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
enum GenesisCmd {
    /// Add an account with coins to genesis.json.
    AddAccount {
        address_or_key: String,
        coins: String,
        #[arg(long, value_enum, default_value = "test")]
        keyring_backend: Backend,
    },
}

#[derive(Args, Clone)]
struct TxFlags {
    #[arg(long, default_value = config::DEFAULT_CHAIN_ID)]
    chain_id: String,
    #[arg(long, default_value = "")]
    fees: String,
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
enum TxCmd {
    Bank {
        #[command(subcommand)]
        cmd: BankTx,
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
    /// A transaction by hash.
    Tx { hash: String },
    /// A block (latest by default).
    Block { height: Option<u64> },
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
            let fee = FeeOptions::parse(&flags.gas, flags.gas_adjustment, &flags.fees)?;
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
