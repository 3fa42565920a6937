//! The client side of models: the `openledger.models.v1.Query` reads (adapter weights checked
//! against their hash) and what a lora-engine adapter directory puts in `MsgPublishAdapter`.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use openledger_proto::openledger::models::v1 as md;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

use super::{MAX_REPLY_BYTES, status};

fn models_client(ch: &Channel) -> md::query_client::QueryClient<Channel> {
    md::query_client::QueryClient::new(ch.clone()).max_decoding_message_size(MAX_REPLY_BYTES)
}

pub async fn base_model(ch: &Channel, id: u64) -> anyhow::Result<md::BaseModel> {
    models_client(ch)
        .base_model(md::QueryBaseModelRequest { id })
        .await
        .map_err(status)?
        .into_inner()
        .base_model
        .ok_or_else(|| anyhow!("base model {id} not found"))
}

pub async fn base_models(ch: &Channel) -> anyhow::Result<md::QueryBaseModelsResponse> {
    Ok(models_client(ch)
        .base_models(md::QueryBaseModelsRequest { pagination: None })
        .await
        .map_err(status)?
        .into_inner())
}

pub async fn adapter(ch: &Channel, id: u64) -> anyhow::Result<md::Adapter> {
    models_client(ch)
        .adapter(md::QueryAdapterRequest { id })
        .await
        .map_err(status)?
        .into_inner()
        .adapter
        .ok_or_else(|| anyhow!("adapter {id} not found"))
}

pub async fn adapters(
    ch: &Channel,
    base_model_id: u64,
    datanet_id: u64,
) -> anyhow::Result<md::QueryAdaptersResponse> {
    Ok(models_client(ch)
        .adapters(md::QueryAdaptersRequest {
            base_model_id,
            datanet_id,
            pagination: None,
        })
        .await
        .map_err(status)?
        .into_inner())
}

pub async fn adapter_weights(ch: &Channel, id: u64) -> anyhow::Result<Vec<u8>> {
    let r = models_client(ch)
        .adapter_weights(md::QueryAdapterWeightsRequest { id })
        .await
        .map_err(status)?
        .into_inner();
    let actual = hex::encode(Sha256::digest(&r.weights));
    if actual != r.weights_sha256 {
        bail!(
            "adapter {id}: weights hash {actual} does not match the registered {}",
            r.weights_sha256
        );
    }
    Ok(r.weights)
}

pub async fn provenance(
    ch: &Channel,
    adapter_id: u64,
) -> anyhow::Result<md::QueryProvenanceResponse> {
    Ok(models_client(ch)
        .provenance(md::QueryProvenanceRequest { adapter_id })
        .await
        .map_err(status)?
        .into_inner())
}

pub async fn params(ch: &Channel) -> anyhow::Result<md::QueryParamsResponse> {
    Ok(models_client(ch)
        .params(md::QueryParamsRequest {})
        .await
        .map_err(status)?
        .into_inner())
}

/// What `tx models publish-adapter` reads from a lora-engine adapter directory
/// (`adapter.safetensors`, `adapter_config.json`, and `train_report.json` if present).
#[derive(Debug, Clone)]
pub struct AdapterDir {
    pub name: String,
    pub weights: Vec<u8>,
    pub weights_sha256: String,
    pub base_weights_sha256: String,
    pub config: md::TrainingConfig,
    pub metrics: md::Metrics,
}

/// A float from a JSON file as a plain decimal string (`2e-3` → `"0.002"`); the chain keeps no
/// floats.
fn decimal(v: f64) -> anyhow::Result<String> {
    if !v.is_finite() || v < 0.0 {
        bail!("{v} is not a non-negative number");
    }
    let s = format!("{v:.9}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    Ok(if s.is_empty() { "0".into() } else { s.into() })
}

pub fn read_adapter_dir(dir: &Path) -> anyhow::Result<AdapterDir> {
    let weights_path = dir.join("adapter.safetensors");
    let weights = std::fs::read(&weights_path)
        .with_context(|| format!("reading {}", weights_path.display()))?;
    let cfg_path = dir.join("adapter_config.json");
    let cfg: Value = serde_json::from_str(
        &std::fs::read_to_string(&cfg_path)
            .with_context(|| format!("reading {}", cfg_path.display()))?,
    )
    .with_context(|| format!("parsing {}", cfg_path.display()))?;
    let weights_sha256 = hex::encode(Sha256::digest(&weights));
    if let Some(declared) = cfg["adapter_sha256"].as_str()
        && !declared.is_empty()
        && declared != weights_sha256
    {
        bail!(
            "{}: adapter_sha256 {declared} does not match adapter.safetensors ({weights_sha256})",
            cfg_path.display()
        );
    }
    let num = |v: &Value, what: &str| -> anyhow::Result<f64> {
        v.as_f64()
            .ok_or_else(|| anyhow!("{}: `{what}` is missing", cfg_path.display()))
    };
    let training = &cfg["training"];
    let config = md::TrainingConfig {
        rank: u32::try_from(num(&cfg["rank"], "rank")? as u64)?,
        alpha: decimal(num(&cfg["alpha"], "alpha")?)?,
        target_modules: cfg["targets"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|t| t.as_str().map_or_else(|| t.to_string(), str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        epochs: training["epochs"].as_u64().unwrap_or(0) as u32,
        learning_rate: decimal(training["lr"].as_f64().unwrap_or(0.0))?,
        seed: training["seed"].as_u64().unwrap_or(0),
    };
    let mut metrics = md::Metrics::default();
    let report_path = dir.join("train_report.json");
    if let Ok(text) = std::fs::read_to_string(&report_path) {
        let report: Value = serde_json::from_str(&text)
            .with_context(|| format!("parsing {}", report_path.display()))?;
        let last = |k: &str| -> anyhow::Result<String> {
            match report[k]
                .as_array()
                .and_then(|a| a.last())
                .and_then(|p| p[1].as_f64())
            {
                Some(v) => decimal(v),
                None => Ok(String::new()),
            }
        };
        metrics.train_loss = last("train_loss")?;
        metrics.eval_loss = last("eval_loss")?;
    }
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "adapter".into());
    Ok(AdapterDir {
        name,
        weights,
        weights_sha256,
        base_weights_sha256: cfg["base"]["sha256"].as_str().unwrap_or("").to_string(),
        config,
        metrics,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_become_decimal_strings() {
        assert_eq!(decimal(2e-3).unwrap(), "0.002");
        assert_eq!(decimal(16.0).unwrap(), "16");
        assert_eq!(decimal(0.0).unwrap(), "0");
        assert!(decimal(f64::NAN).is_err());
    }
}
