//! `serve`: the gRPC service `openledger.lora.v1.Engine`.

use std::path::PathBuf;

use anyhow::Result;
use clap::Args;
use openledger_lora::grpc;
use openledger_lora::serve::{DirLoader, Engine, EngineConfig};

use super::{ModelArgs, load_base};

#[derive(Args)]
pub struct ServeArgs {
    #[command(flatten)]
    model: ModelArgs,
    #[arg(long, default_value = "127.0.0.1:50061")]
    listen: std::net::SocketAddr,
    /// Directory of adapters, one sub-directory per adapter id.
    #[arg(long, default_value = "adapters")]
    adapters: PathBuf,
    /// Adapter cache budget in MiB.
    #[arg(long, default_value_t = 1024)]
    cache_mib: usize,
    #[arg(long, default_value_t = 8)]
    max_batch: usize,
}

/// Serves until the process is stopped.
pub fn serve(a: ServeArgs) -> Result<()> {
    let base = load_base(&a.model)?;
    let backend = format!("{:?}", a.model.backend).to_lowercase();
    let engine = Engine::start(
        base,
        Box::new(DirLoader(a.adapters.clone())),
        EngineConfig {
            cache_budget_bytes: a.cache_mib << 20,
            max_batch: a.max_batch,
            ..EngineConfig::default()
        },
    );
    let rt = tokio::runtime::Runtime::new()?;
    eprintln!("openledger.lora.v1.Engine listening on {}", a.listen);
    rt.block_on(grpc::serve(
        grpc::Service::new(engine, a.adapters, backend),
        a.listen,
    ))?;
    Ok(())
}
