//! `openledgerd start`: the ABCI and gRPC servers, and (unless `--comet external`) the supervised
//! `cometbft` child process sharing the same home.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use openledger_framework::decimal::parse_dec_coins;
use openledger_framework::store::Storage;
use openledger_state_machine::ante::AnteConfig;
use openledger_state_machine::{App, AppCore, STORE_PREFIXES};

use crate::attribution::engine::{GrpcEngine, InProcessEngine, PerturbedEngine};
use crate::attribution::{Attribution, InferenceEngine};
use crate::cometbft::{self, CometMode};
use crate::home::{AppConfig, Home};

#[derive(Debug, Clone)]
pub struct StartOptions {
    pub home: PathBuf,
    pub abci_addr: String,
    pub grpc_addr: Option<String>,
    pub rpc_laddr: String,
    pub p2p_laddr: String,
    pub comet: CometMode,
    pub cometbft_bin: Option<PathBuf>,
    pub minimum_gas_prices: Option<String>,
    /// Overrides app.toml's `attribution.engine` (`in-process`, `off` or an engine's URL).
    pub lora_engine: Option<String>,
    /// Added to app.toml's `attribution.models`.
    pub lora_models: Vec<PathBuf>,
    /// TEST ONLY: this validator perturbs the scores it reports (`noise` or `garbage`), to show
    /// that the committed medians stay within the honest validators' range.
    pub attribution_perturb: Option<String>,
}

/// The attribution engine of the options and app.toml (`None`: `off`).
pub fn attribution_engine(
    home: &Home,
    config: &AppConfig,
    opts: &StartOptions,
) -> anyhow::Result<Option<Box<dyn InferenceEngine>>> {
    let kind = opts
        .lora_engine
        .clone()
        .unwrap_or_else(|| config.attribution.engine.clone());
    let engine: Box<dyn InferenceEngine> = match kind.as_str() {
        "off" => return Ok(None),
        "in-process" => {
            let mut models = config.attribution.models.clone();
            models.extend(opts.lora_models.iter().cloned());
            models.extend(openledger_lora::models::default_model_path());
            Box::new(InProcessEngine::new(
                &models,
                home.0.join("data").join("attribution"),
            ))
        }
        url if url.starts_with("http://") || url.starts_with("https://") => {
            Box::new(GrpcEngine::new(url)?)
        }
        other => bail!(
            "attribution engine {other:?}: expected `in-process`, `off` or an http(s) URL of \
             `openledger-lora serve`"
        ),
    };
    Ok(Some(match opts.attribution_perturb.as_deref() {
        None => engine,
        Some("noise") => Box::new(PerturbedEngine {
            inner: engine,
            garbage: false,
        }),
        Some("garbage") => Box::new(PerturbedEngine {
            inner: engine,
            garbage: true,
        }),
        Some(other) => bail!("--attribution-perturb {other:?}: expected noise or garbage"),
    }))
}

/// `tcp://host:port` or `host:port` → a socket address.
pub fn socket_addr(s: &str) -> anyhow::Result<SocketAddr> {
    let bare = s.strip_prefix("tcp://").unwrap_or(s);
    bare.parse()
        .with_context(|| format!("invalid address {s:?} (expected host:port)"))
}

/// The HTTP URL of a CometBFT RPC listen address (`tcp://0.0.0.0:26657` → `http://127.0.0.1:26657`).
pub fn rpc_url(laddr: &str) -> anyhow::Result<String> {
    let addr = socket_addr(laddr)?;
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_string()
    } else {
        addr.ip().to_string()
    };
    Ok(format!("http://{host}:{}", addr.port()))
}

pub async fn open_core(
    home: &Home,
    config: &AppConfig,
    min_gas_override: Option<&str>,
) -> anyhow::Result<Arc<AppCore>> {
    let prices = min_gas_override.unwrap_or(&config.minimum_gas_prices);
    let ante = AnteConfig {
        min_gas_prices: parse_dec_coins(prices).map_err(|e| anyhow!("minimum-gas-prices: {e}"))?,
    };
    std::fs::create_dir_all(home.0.join("data"))?;
    let storage = Storage::open(home.app_db(), STORE_PREFIXES)
        .await
        .context("opening application.db")?;
    Ok(Arc::new(AppCore::new(
        storage,
        ante,
        &home.0.join("data").join("wasm"),
    )?))
}

/// A genesis without validators (no gentx collected, none in staking or CometBFT's list) would
/// let cometbft stop with "validator set is nil in genesis and still empty after InitChain":
/// say what to do instead.
fn check_genesis_has_validators(home: &Home) -> anyhow::Result<()> {
    let genesis = crate::home::read_json(&home.genesis())?;
    let app_state = &genesis["app_state"];
    let gentxs = openledger_state_machine::genutil::gentxs_of(app_state)
        .map_err(|e| anyhow!("{}: {e}", home.genesis().display()))?;
    let listed = |v: &serde_json::Value| v.as_array().is_some_and(|a| !a.is_empty());
    if gentxs.is_empty()
        && !listed(&genesis["validators"])
        && !listed(&app_state["staking"]["validators"])
    {
        bail!(
            "{} has no validators: create one with `openledgerd genesis gentx <key> <amount>` \
             and `openledgerd genesis collect-gentxs` (or run `make run`, which does both)",
            home.genesis().display()
        );
    }
    Ok(())
}

/// Runs the node until Ctrl-C / SIGTERM (or until the managed cometbft exits).
pub async fn start(opts: StartOptions) -> anyhow::Result<()> {
    let home = Home(opts.home.clone());
    if !home.genesis().exists() {
        bail!(
            "{} not found: run `openledgerd init <moniker>` first",
            home.genesis().display()
        );
    }
    let config = AppConfig::load(&home)?;
    let core = open_core(&home, &config, opts.minimum_gas_prices.as_deref()).await?;
    let mut app = App::new(core.clone()).map_err(|e| anyhow!("loading state: {e}"))?;
    app.min_retain_blocks = config.min_retain_blocks;
    let (height, hash) = app.last_commit().map_err(|e| anyhow!("{e}"))?;
    if height == 0 {
        // InitChain is still to come: it needs a validator.
        check_genesis_has_validators(&home)?;
    }
    tracing::info!(height, app_hash = %hex::encode_upper(hash), home = %home.0.display(), "state loaded");

    let attribution = match attribution_engine(&home, &config, &opts)? {
        Some(engine) => Some(Arc::new(Attribution::start(core.clone(), engine)?)),
        None => {
            tracing::warn!("attribution engine off: this validator reports no inference results");
            None
        }
    };

    let abci_addr = socket_addr(&opts.abci_addr)?;
    // Bind before cometbft starts so it finds the socket ready.
    let abci = tokio::spawn(async move { crate::abci::serve(app, attribution, abci_addr).await });

    let grpc_addr = socket_addr(opts.grpc_addr.as_deref().unwrap_or(&config.grpc.address))?;
    let node = crate::grpc::Node::new(
        core.clone(),
        &rpc_url(&opts.rpc_laddr)?,
        config.minimum_gas_prices.clone(),
    )?;
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let grpc = tokio::spawn(crate::grpc::serve(node, grpc_addr, async {
        let _ = stop_rx.await;
    }));
    tokio::time::sleep(Duration::from_millis(200)).await;
    if abci.is_finished() {
        return Err(match abci.await {
            Ok(Err(e)) => anyhow!("ABCI server on {abci_addr}: {e}"),
            Ok(Ok(())) => anyhow!("ABCI server stopped"),
            Err(e) => anyhow!("ABCI server: {e}"),
        });
    }
    if grpc.is_finished() {
        return Err(match grpc.await {
            Ok(Err(e)) => anyhow!("gRPC server on {grpc_addr}: {e:#}"),
            Ok(Ok(())) => anyhow!("gRPC server stopped"),
            Err(e) => anyhow!("gRPC server: {e}"),
        });
    }

    let mut child = match opts.comet {
        CometMode::Managed => {
            let bin = cometbft::find(opts.cometbft_bin.as_deref())?;
            tracing::info!(bin = %bin.display(), rpc = %opts.rpc_laddr, p2p = %opts.p2p_laddr, "starting cometbft");
            Some(cometbft::spawn(
                &bin,
                &opts.home,
                &cometbft::Addresses {
                    abci: &opts.abci_addr,
                    rpc: &opts.rpc_laddr,
                    p2p: &opts.p2p_laddr,
                },
            )?)
        }
        CometMode::External => {
            tracing::info!("waiting for an external cometbft to connect to {abci_addr}");
            None
        }
    };

    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut abci = abci;
    let result = tokio::select! {
        _ = tokio::signal::ctrl_c() => { tracing::info!("interrupt: shutting down"); Ok(()) }
        _ = sigterm.recv() => { tracing::info!("SIGTERM: shutting down"); Ok(()) }
        status = async { match child.as_mut() { Some(c) => c.wait().await, None => std::future::pending().await } } => {
            // A service manager or a shell stopping the whole process group signals cometbft
            // and us at once: cometbft may be seen to exit first.
            let signalled = tokio::time::timeout(Duration::from_secs(2), async {
                tokio::select! { _ = sigterm.recv() => {}, _ = tokio::signal::ctrl_c() => {} }
            })
            .await
            .is_ok();
            if signalled {
                tracing::info!("signalled with cometbft: shutting down");
                Ok(())
            } else {
                Err(anyhow!("cometbft exited unexpectedly ({})", status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())))
            }
        }
        r = &mut abci => Err(anyhow!("ABCI server stopped: {:?}", r)),
    };
    if let Some(c) = child.as_mut() {
        cometbft::stop(c).await;
    }
    // With cometbft gone its ABCI connections close; the listener goes too, so the state
    // machine's threads see their channels close and drop the state.
    abci.abort();
    let _ = abci.await;
    let _ = stop_tx.send(());
    let _ = tokio::time::timeout(Duration::from_secs(5), grpc).await;
    close(core).await;
    result
}

/// Closes the state (RocksDB, the wasm module cache) once every server and worker has let go of
/// it, instead of leaving it to the process's exit while threads still use it (which ended in
/// SIGABRT, or a segfault after CosmWasm had run). Waits at most 30 s, for an engine job in
/// flight to end.
async fn close(core: Arc<AppCore>) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while Arc::strong_count(&core) > 1 && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    match Arc::try_unwrap(core) {
        Ok(core) => {
            // Dropped off the async threads: the store's drop waits on RocksDB's background work.
            let _ = tokio::task::spawn_blocking(move || drop(core)).await;
            tracing::info!("state closed; stopped cleanly");
        }
        Err(core) => tracing::warn!(
            references = Arc::strong_count(&core),
            "the state is still in use after 30 s; leaving it to the process exit"
        ),
    }
}
