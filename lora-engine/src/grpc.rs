//! The gRPC service `openledger.lora.v1.Engine` over the serving [`Engine`](crate::serve::Engine).

// tonic's `Status` is large; it is what every handler returns.
#![allow(clippy::result_large_err)]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Instant;

use futures::Stream;
use openledger_proto::openledger::lora::v1 as pb;
use pb::engine_server::{Engine as EngineService, EngineServer};
use tokio::sync::mpsc;
use tonic::{Request, Response, Status};

use crate::attribution::{
    self, AdapterSpec, AttributionJob, Attributor, DEFAULT_INDEX_MEMORY, IndexCache,
};
use crate::data::{output_example, parse_jsonl};
use crate::error::Error;
use crate::generate::{Sampling, generate};
use crate::influence::{self, INDEX_FILE, InfluenceIndex, Method};
use crate::lora::{LoraAdapter, parse_targets};
use crate::serve::{Engine, GenRequest};
use crate::train::{TrainConfig, train};

/// The gRPC front of an [`Engine`].
pub struct Service {
    engine: Arc<Engine>,
    /// Where adapters live, one directory per adapter id.
    adapter_dir: PathBuf,
    backend: String,
    /// The influence indexes of chain adapters (`Attribute`), under `<adapter_dir>/attribution`.
    indexes: Arc<IndexCache>,
}

impl Service {
    pub fn new(engine: Arc<Engine>, adapter_dir: PathBuf, backend: String) -> Self {
        let indexes = IndexCache::new(adapter_dir.join("attribution"), DEFAULT_INDEX_MEMORY);
        Self {
            engine,
            adapter_dir,
            backend,
            indexes: Arc::new(indexes),
        }
    }
}

fn status(e: Error) -> Status {
    match e {
        Error::Invalid(_) | Error::Data { .. } | Error::ContextOverflow { .. } => {
            Status::invalid_argument(e.to_string())
        }
        Error::Io { .. } => Status::not_found(e.to_string()),
        _ => Status::failed_precondition(e.to_string()),
    }
}

fn info(id: &str, a: &LoraAdapter) -> pb::AdapterInfo {
    pb::AdapterInfo {
        adapter_id: id.to_string(),
        rank: a.config.rank as u32,
        targets: a.config.targets.iter().map(|t| t.to_string()).collect(),
        bytes: a.byte_size() as u64,
        sha256: a.config.adapter_sha256.clone(),
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Status> + Send + 'static,
) -> Result<T, Status> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Status::internal(format!("worker failed: {e}")))?
}

#[tonic::async_trait]
impl EngineService for Service {
    async fn generate(
        &self,
        req: Request<pb::GenerateRequest>,
    ) -> Result<Response<pb::GenerateResponse>, Status> {
        let r = req.into_inner();
        let out = self
            .engine
            .generate(GenRequest {
                adapter_id: (!r.adapter_id.is_empty()).then_some(r.adapter_id),
                prompt: r.prompt,
                max_tokens: if r.max_tokens == 0 {
                    128
                } else {
                    r.max_tokens as usize
                },
                sampling: Sampling {
                    temperature: r.temperature,
                    top_p: if r.top_p <= 0.0 { 1.0 } else { r.top_p },
                    seed: r.seed,
                },
            })
            .await
            .map_err(status)?;
        Ok(Response::new(pb::GenerateResponse {
            output: out.output,
            prompt_tokens: out.prompt_tokens as u32,
            completion_tokens: out.completion_tokens as u32,
        }))
    }

    async fn influence(
        &self,
        req: Request<pb::InfluenceRequest>,
    ) -> Result<Response<pb::InfluenceResponse>, Status> {
        let r = req.into_inner();
        let engine = self.engine.clone();
        let dir = self.adapter_dir.join(&r.adapter_id);
        blocking(move || {
            let a = engine.adapter(&r.adapter_id).map_err(status)?;
            let index = InfluenceIndex::load(&dir.join(INDEX_FILE)).map_err(status)?;
            let base = &engine.base;
            let output = match r.output {
                Some(o) => o,
                None => {
                    let max = if r.max_tokens == 0 {
                        64
                    } else {
                        r.max_tokens as usize
                    };
                    generate(base, &r.prompt, max, &Sampling::default(), Some(&a.batch()))
                        .map_err(status)?
                        .text
                }
            };
            let method = match pb::InfluenceMethod::try_from(r.method) {
                Ok(pb::InfluenceMethod::Tracin) => Method::Tracin,
                _ => Method::Datainf,
            };
            let ex = output_example(&base.tokenizer, &r.prompt, &output, base.config.max_seq_len)
                .map_err(status)?;
            let proj = influence::projector_for(&index, &a, base).map_err(status)?;
            let q = proj.gradient(base, &a, &ex).map_err(status)?;
            let raw = index.score(&q, method, !r.raw).map_err(status)?;
            let k = if r.top_k == 0 { 10 } else { r.top_k as usize };
            let att = influence::top_k(&index.meta.record_ids, &raw, k);
            Ok(Response::new(pb::InfluenceResponse {
                output,
                scores: att
                    .scores
                    .into_iter()
                    .map(|s| pb::RecordScore {
                        record_id: s.record_id,
                        score: s.score,
                    })
                    .collect(),
                positive_sum: att.positive_sum,
            }))
        })
        .await
    }

    async fn attribute(
        &self,
        req: Request<pb::AttributeRequest>,
    ) -> Result<Response<pb::AttributeResponse>, Status> {
        let r = req.into_inner();
        let engine = self.engine.clone();
        let indexes = self.indexes.clone();
        blocking(move || {
            let base = &engine.base;
            if r.base_model_sha256 != base.fingerprint.sha256 {
                return Err(Status::failed_precondition(format!(
                    "this engine serves base model {} ({}), not {}",
                    base.fingerprint.name, base.fingerprint.sha256, r.base_model_sha256
                )));
            }
            let a = r
                .adapter
                .ok_or_else(|| Status::invalid_argument("adapter is required"))?;
            let targets = a
                .targets
                .iter()
                .map(|t| attribution::parse_target(t))
                .collect::<crate::Result<Vec<_>>>()
                .map_err(status)?;
            let job = AttributionJob {
                adapter: AdapterSpec {
                    id: a.id,
                    rank: a.rank as usize,
                    alpha: a.alpha,
                    targets,
                    weights: a.weights,
                    weights_sha256: a.weights_sha256,
                },
                version_root: r.version_root,
                records: r.records.into_iter().map(|c| (c.id, c.content)).collect(),
                prompt: r.prompt,
                max_tokens: r.max_tokens as usize,
                top_k: r.top_k as usize,
            };
            let out = Attributor::new(base, &indexes)
                .attribute(&job)
                .map_err(status)?;
            Ok(Response::new(pb::AttributeResponse {
                output: out.output,
                top: out
                    .top
                    .into_iter()
                    .map(|(record_id, score)| pb::AttributeScore { record_id, score })
                    .collect(),
                positive_sum: out.positive_sum,
            }))
        })
        .await
    }

    async fn load_adapter(
        &self,
        req: Request<pb::LoadAdapterRequest>,
    ) -> Result<Response<pb::LoadAdapterResponse>, Status> {
        let r = req.into_inner();
        let engine = self.engine.clone();
        blocking(move || {
            let t = Instant::now();
            let a = if r.path.is_empty() {
                engine.unload(&r.adapter_id);
                engine.adapter(&r.adapter_id)
            } else {
                engine.load_from(&r.adapter_id, std::path::Path::new(&r.path))
            }
            .map_err(status)?;
            Ok(Response::new(pb::LoadAdapterResponse {
                adapter: Some(info(&r.adapter_id, &a)),
                load_ms: t.elapsed().as_secs_f64() * 1e3,
            }))
        })
        .await
    }

    async fn unload_adapter(
        &self,
        req: Request<pb::UnloadAdapterRequest>,
    ) -> Result<Response<pb::UnloadAdapterResponse>, Status> {
        let was_loaded = self.engine.unload(&req.into_inner().adapter_id);
        Ok(Response::new(pb::UnloadAdapterResponse { was_loaded }))
    }

    async fn list_adapters(
        &self,
        _req: Request<pb::ListAdaptersRequest>,
    ) -> Result<Response<pb::ListAdaptersResponse>, Status> {
        let cache = self.engine.cache.lock();
        Ok(Response::new(pb::ListAdaptersResponse {
            adapters: cache.list().iter().map(|(id, a)| info(id, a)).collect(),
            cache_bytes: cache.bytes() as u64,
            cache_budget_bytes: cache.budget as u64,
        }))
    }

    async fn health(
        &self,
        _req: Request<pb::HealthRequest>,
    ) -> Result<Response<pb::HealthResponse>, Status> {
        Ok(Response::new(pb::HealthResponse {
            status: "SERVING".into(),
            base_model: self.engine.base.fingerprint.name.clone(),
            backend: self.backend.clone(),
            queued: self.engine.queued() as u32,
        }))
    }

    type TrainStream = Pin<Box<dyn Stream<Item = Result<pb::TrainProgress, Status>> + Send>>;

    async fn train(
        &self,
        req: Request<pb::TrainRequest>,
    ) -> Result<Response<Self::TrainStream>, Status> {
        let r = req.into_inner();
        if r.adapter_id.is_empty()
            || r.adapter_id.contains(['/', '\\'])
            || r.adapter_id.starts_with('.')
        {
            return Err(Status::invalid_argument("bad adapter id"));
        }
        let records = parse_jsonl(std::path::Path::new("<request>"), &r.jsonl).map_err(status)?;
        let defaults = TrainConfig::default();
        let cfg = TrainConfig {
            rank: if r.rank == 0 {
                defaults.rank
            } else {
                r.rank as usize
            },
            alpha: if r.alpha == 0.0 {
                defaults.alpha
            } else {
                r.alpha
            },
            targets: if r.targets.is_empty() {
                defaults.targets.clone()
            } else {
                parse_targets(&r.targets.join(",")).map_err(status)?
            },
            epochs: if r.epochs == 0 {
                defaults.epochs
            } else {
                r.epochs as usize
            },
            lr: if r.lr == 0.0 { defaults.lr } else { r.lr },
            batch_size: if r.batch_size == 0 {
                defaults.batch_size
            } else {
                r.batch_size as usize
            },
            seed: r.seed,
            ..defaults
        };
        let (tx, rx) = mpsc::channel::<Result<pb::TrainProgress, Status>>(64);
        let engine = self.engine.clone();
        let out = self.adapter_dir.join(&r.adapter_id);
        let id = r.adapter_id.clone();
        tokio::task::spawn_blocking(move || {
            let result = train(
                &engine.base,
                &records,
                std::path::Path::new("<request>"),
                &cfg,
                &mut |step, total, loss, rps| {
                    let _ = tx.blocking_send(Ok(pb::TrainProgress {
                        step: step as u32,
                        total_steps: total as u32,
                        loss,
                        records_per_s: rps,
                        ..Default::default()
                    }));
                },
            )
            .and_then(|(mut a, report)| {
                a.save(&out)?;
                let _ = crate::plot::loss_curve(
                    &out.join("loss.png"),
                    &report.train_loss,
                    &report.eval_loss,
                );
                let examples = records
                    .iter()
                    .map(|rec| {
                        crate::data::tokenize(
                            &engine.base.tokenizer,
                            rec,
                            cfg.max_len,
                            std::path::Path::new("<request>"),
                        )
                    })
                    .collect::<crate::Result<Vec<_>>>()?;
                let ids = records.iter().map(|r| r.id.clone()).collect();
                let index = influence::build_index(
                    &engine.base,
                    &a,
                    ids,
                    &examples,
                    cfg.seed,
                    4096,
                    &mut |_, _| {},
                )?;
                index.save(&out.join(INDEX_FILE))?;
                Ok(engine.insert(&id, a))
            });
            let last = match result {
                Ok(a) => pb::TrainProgress {
                    done: true,
                    adapter: Some(info(&id, &a)),
                    ..Default::default()
                },
                Err(e) => pb::TrainProgress {
                    done: true,
                    error: e.to_string(),
                    ..Default::default()
                },
            };
            let _ = tx.blocking_send(Ok(last));
        });
        let stream =
            futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|m| (m, rx)) });
        Ok(Response::new(Box::pin(stream)))
    }
}

/// Serves the engine on an already bound listener (tests bind port 0).
pub async fn serve_on(
    service: Service,
    listener: tokio::net::TcpListener,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let incoming = tonic::transport::server::TcpIncoming::from_listener(listener, true, None)?;
    tonic::transport::Server::builder()
        .add_service(EngineServer::new(service))
        .serve_with_incoming(incoming)
        .await?;
    Ok(())
}

/// Serves the engine on `addr` until the process ends.
pub async fn serve(service: Service, addr: SocketAddr) -> Result<(), tonic::transport::Error> {
    tonic::transport::Server::builder()
        .add_service(EngineServer::new(service))
        .serve(addr)
        .await
}
