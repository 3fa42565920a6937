//! OpenLoRA serving: one base model, adapters loaded on demand (from a directory or a loader
//! callback) into an LRU cache with a byte budget, and an async request queue whose worker
//! batches requests for different adapters into one forward pass (per-row adapter selection).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lru::LruCache;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use crate::base::BaseModel;
use crate::error::{Error, Result};
use crate::generate::{Sampling, generate_tokens};
use crate::lora::LoraAdapter;

/// Where adapters come from: a directory, or a callback (the chain provides one).
pub trait AdapterLoader: Send + Sync {
    fn load(&self, adapter_id: &str, base: &BaseModel) -> Result<LoraAdapter>;
}

/// Loads `<dir>/<adapter_id>/`.
pub struct DirLoader(pub PathBuf);

impl AdapterLoader for DirLoader {
    fn load(&self, adapter_id: &str, base: &BaseModel) -> Result<LoraAdapter> {
        if adapter_id.is_empty() || adapter_id.contains(['/', '\\']) || adapter_id.starts_with('.')
        {
            return Err(Error::Invalid(format!("bad adapter id `{adapter_id}`")));
        }
        let dir = self.0.join(adapter_id);
        let a = LoraAdapter::load(&dir, &base.device)?;
        a.check_base(&base.fingerprint, &dir)?;
        Ok(a)
    }
}

impl<F> AdapterLoader for F
where
    F: Fn(&str, &BaseModel) -> Result<LoraAdapter> + Send + Sync,
{
    fn load(&self, adapter_id: &str, base: &BaseModel) -> Result<LoraAdapter> {
        self(adapter_id, base)
    }
}

/// LRU cache of adapters bounded by the bytes of their weights.
pub struct AdapterCache {
    lru: LruCache<String, Arc<LoraAdapter>>,
    bytes: usize,
    pub budget: usize,
}

impl AdapterCache {
    pub fn new(budget: usize) -> Self {
        AdapterCache {
            lru: LruCache::unbounded(),
            bytes: 0,
            budget,
        }
    }

    pub fn get(&mut self, id: &str) -> Option<Arc<LoraAdapter>> {
        self.lru.get(id).cloned()
    }

    /// Inserts, evicting least recently used adapters while over budget (never the new one).
    pub fn insert(&mut self, id: String, a: Arc<LoraAdapter>) {
        if let Some(old) = self.lru.put(id.clone(), a.clone()) {
            self.bytes -= old.byte_size();
        }
        self.bytes += a.byte_size();
        while self.bytes > self.budget && self.lru.len() > 1 {
            match self.lru.peek_lru() {
                Some((k, _)) if *k == id => {
                    // The newest is the only one left over budget; keep it.
                    break;
                }
                _ => {}
            }
            if let Some((_, old)) = self.lru.pop_lru() {
                self.bytes -= old.byte_size();
            }
        }
    }

    pub fn remove(&mut self, id: &str) -> bool {
        match self.lru.pop(id) {
            Some(a) => {
                self.bytes -= a.byte_size();
                true
            }
            None => false,
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn len(&self) -> usize {
        self.lru.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lru.is_empty()
    }

    pub fn list(&self) -> Vec<(String, Arc<LoraAdapter>)> {
        self.lru
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// A generation request.
#[derive(Debug, Clone)]
pub struct GenRequest {
    /// `None`: the base model alone.
    pub adapter_id: Option<String>,
    pub prompt: String,
    pub max_tokens: usize,
    pub sampling: Sampling,
}

#[derive(Debug, Clone)]
pub struct GenResponse {
    pub output: String,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
}

struct Job {
    req: GenRequest,
    reply: oneshot::Sender<Result<GenResponse>>,
}

/// Serving settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    pub cache_budget_bytes: usize,
    pub max_batch: usize,
    /// How long the worker waits for more requests to fill a batch.
    pub batch_window: Duration,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            cache_budget_bytes: 1 << 30,
            max_batch: 8,
            batch_window: Duration::from_millis(5),
        }
    }
}

/// The serving engine, shared by the gRPC service and in-process callers.
pub struct Engine {
    pub base: Arc<BaseModel>,
    pub cache: Mutex<AdapterCache>,
    loader: Box<dyn AdapterLoader>,
    queue: mpsc::Sender<Job>,
    queued: Arc<AtomicUsize>,
    pub config: EngineConfig,
}

impl Engine {
    /// Starts the engine and its batching worker thread.
    pub fn start(
        base: BaseModel,
        loader: Box<dyn AdapterLoader>,
        config: EngineConfig,
    ) -> Arc<Self> {
        let (tx, rx) = mpsc::channel::<Job>(1024);
        let engine = Arc::new(Engine {
            base: Arc::new(base),
            cache: Mutex::new(AdapterCache::new(config.cache_budget_bytes)),
            loader,
            queue: tx,
            queued: Arc::new(AtomicUsize::new(0)),
            config,
        });
        let weak = Arc::downgrade(&engine);
        std::thread::Builder::new()
            .name("lora-batcher".into())
            .spawn(move || worker(weak, rx))
            .ok();
        engine
    }

    /// The adapter, from the cache or loaded now.
    pub fn adapter(&self, id: &str) -> Result<Arc<LoraAdapter>> {
        if let Some(a) = self.cache.lock().get(id) {
            return Ok(a);
        }
        let a = Arc::new(self.loader.load(id, &self.base)?);
        self.cache.lock().insert(id.to_string(), a.clone());
        Ok(a)
    }

    /// Loads (or reloads) an adapter from an explicit directory.
    pub fn load_from(&self, id: &str, dir: &std::path::Path) -> Result<Arc<LoraAdapter>> {
        let a = LoraAdapter::load(dir, &self.base.device)?;
        a.check_base(&self.base.fingerprint, dir)?;
        let a = Arc::new(a);
        self.cache.lock().insert(id.to_string(), a.clone());
        Ok(a)
    }

    /// Puts an adapter built in memory into the cache.
    pub fn insert(&self, id: &str, a: LoraAdapter) -> Arc<LoraAdapter> {
        let a = Arc::new(a);
        self.cache.lock().insert(id.to_string(), a.clone());
        a
    }

    pub fn unload(&self, id: &str) -> bool {
        self.cache.lock().remove(id)
    }

    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }

    /// Queues a request; resolves when its batch has run.
    pub async fn generate(&self, req: GenRequest) -> Result<GenResponse> {
        let (tx, rx) = oneshot::channel();
        self.queued.fetch_add(1, Ordering::Relaxed);
        self.queue
            .send(Job { req, reply: tx })
            .await
            .map_err(|_| Error::Invalid("engine stopped".into()))?;
        rx.await
            .map_err(|_| Error::Invalid("engine dropped the request".into()))?
    }

    /// Runs a batch of requests now, on this thread (what the worker does; also for benches).
    pub fn run_batch(&self, reqs: &[GenRequest]) -> Vec<Result<GenResponse>> {
        let mut adapters = Vec::with_capacity(reqs.len());
        let mut prompts = Vec::with_capacity(reqs.len());
        let mut errors: Vec<Option<Error>> = Vec::with_capacity(reqs.len());
        for r in reqs {
            let a = match &r.adapter_id {
                Some(id) => self.adapter(id).map(Some),
                None => Ok(None),
            };
            let p = self
                .base
                .tokenizer
                .encode(&self.base.tokenizer.instruction_prompt(&r.prompt));
            match (a, p) {
                (Ok(a), Ok(p)) => {
                    adapters.push(a);
                    prompts.push(p);
                    errors.push(None);
                }
                (Err(e), _) | (_, Err(e)) => {
                    adapters.push(None);
                    prompts.push(Vec::new());
                    errors.push(Some(e));
                }
            }
        }
        let live: Vec<usize> = (0..reqs.len()).filter(|&i| errors[i].is_none()).collect();
        let mut out: Vec<Option<Result<GenResponse>>> =
            errors.into_iter().map(|e| e.map(Err)).collect();
        if !live.is_empty() {
            let rows: Vec<Option<&LoraAdapter>> =
                live.iter().map(|&i| adapters[i].as_deref()).collect();
            let lora = if rows.iter().all(Option::is_none) {
                None
            } else {
                Some(crate::lora::LoraBatch::per_row(
                    &rows,
                    &self.base.config,
                    &self.base.device,
                ))
            };
            let ps: Vec<Vec<u32>> = live.iter().map(|&i| prompts[i].clone()).collect();
            let max = live.iter().map(|&i| reqs[i].max_tokens).max().unwrap_or(0);
            match generate_tokens(
                &self.base,
                &ps,
                max,
                &reqs[live[0]].sampling,
                lora.as_ref(),
                |_, _| {},
            ) {
                Ok(toks) => {
                    for (j, &i) in live.iter().enumerate() {
                        let mut t = toks[j].clone();
                        t.truncate(reqs[i].max_tokens);
                        out[i] = Some(self.base.tokenizer.decode(&t).map(|output| GenResponse {
                            output,
                            prompt_tokens: prompts[i].len(),
                            completion_tokens: t.len(),
                        }));
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    for &i in &live {
                        out[i] = Some(Err(Error::Invalid(msg.clone())));
                    }
                }
            }
        }
        out.into_iter()
            .map(|o| o.unwrap_or_else(|| Err(Error::Invalid("request not run".into()))))
            .collect()
    }
}

fn worker(engine: std::sync::Weak<Engine>, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.blocking_recv() {
        let Some(engine) = engine.upgrade() else {
            return;
        };
        let mut jobs = vec![first];
        let deadline = Instant::now() + engine.config.batch_window;
        while jobs.len() < engine.config.max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(mpsc::error::TryRecvError::Empty) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(_) => break,
            }
        }
        // Rows of one batch share the sampling settings; others wait for the next batch.
        let mut groups: Vec<Vec<Job>> = Vec::new();
        for j in jobs {
            match groups
                .iter_mut()
                .find(|g| g[0].req.sampling == j.req.sampling)
            {
                Some(g) => g.push(j),
                None => groups.push(vec![j]),
            }
        }
        for g in groups {
            let reqs: Vec<GenRequest> = g.iter().map(|j| j.req.clone()).collect();
            let results = engine.run_batch(&reqs);
            engine.queued.fetch_sub(g.len(), Ordering::Relaxed);
            for (j, r) in g.into_iter().zip(results) {
                let _ = j.reply.send(r);
            }
        }
    }
}
