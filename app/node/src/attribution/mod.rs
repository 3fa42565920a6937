//! Proof of Attribution on the node side: a worker thread runs the pending requests of the
//! committed state on the engine ([`engine`]), off the consensus path, and `ExtendVote` reports
//! what it has finished ([`Attribution::extension`]). The ABCI consensus connection never waits
//! on the model: after Commit it only wakes the worker.

pub mod engine;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::mpsc;

use openledger_framework::KvRead;
use openledger_proto::openledger::attribution::v1::{
    InferenceRequest, InferenceResult, Params, VoteExtension,
};
use openledger_state_machine::AppCore;
use parking_lot::Mutex;
use prost::Message;

pub use engine::InferenceEngine;

#[derive(Default)]
struct Results {
    /// Finished results by request id, until the request is no longer pending.
    done: BTreeMap<u64, InferenceResult>,
    /// Requests the engine could not run (reported in the log once; refunded by the chain).
    failed: BTreeSet<u64>,
}

/// The node's attribution worker and the results it has for `ExtendVote`.
pub struct Attribution {
    results: Arc<Mutex<Results>>,
    wake: Mutex<mpsc::Sender<()>>,
}

impl Attribution {
    /// Starts the worker thread over `core`'s committed state.
    pub fn start(core: Arc<AppCore>, engine: Box<dyn InferenceEngine>) -> anyhow::Result<Self> {
        let (wake, rx) = mpsc::channel::<()>();
        let results = Arc::new(Mutex::new(Results::default()));
        let shared = results.clone();
        tracing::info!(engine = %engine.describe(), "attribution engine");
        std::thread::Builder::new()
            .name("attribution".into())
            .spawn(move || {
                while rx.recv().is_ok() {
                    // Catch up with every commit since the last pass in one pass.
                    while rx.try_recv().is_ok() {}
                    run_pending(&core, engine.as_ref(), &shared);
                }
            })?;
        let this = Self {
            results,
            wake: Mutex::new(wake),
        };
        // Requests pending at start (a restart mid-request) are run at once.
        this.committed();
        Ok(this)
    }

    /// After Commit: the worker looks at the new state.
    pub fn committed(&self) {
        let _ = self.wake.lock().send(());
    }

    /// This validator's vote extension: its results for requests still pending in the committed
    /// state, by id, within the params' count and size limits.
    pub fn extension(&self, core: &AppCore) -> Vec<u8> {
        let Ok((params, pending)) = pending_of(core, &core.storage.latest_snapshot()) else {
            return Vec::new();
        };
        let pending: BTreeSet<u64> = pending.iter().map(|p| p.id).collect();
        let mut ext = VoteExtension {
            results: self
                .results
                .lock()
                .done
                .iter()
                .filter(|(id, _)| pending.contains(id))
                .map(|(_, r)| r.clone())
                .take(params.max_results_per_extension as usize)
                .collect(),
        };
        while ext.encoded_len() > params.max_extension_bytes as usize {
            ext.results.pop();
        }
        ext.encode_to_vec()
    }

    /// How many results are waiting to be committed (for logs and tests).
    pub fn finished(&self) -> usize {
        self.results.lock().done.len()
    }
}

/// The params and the pending requests of a committed state.
fn pending_of(
    core: &AppCore,
    state: &dyn KvRead,
) -> Result<(Params, Vec<InferenceRequest>), openledger_framework::AbciError> {
    let mut r = state;
    Ok((
        core.attribution.params(&mut r)?,
        core.attribution.pending_requests(&mut r)?,
    ))
}

/// One pass of the worker: drops results of requests that are no longer pending, then runs
/// every pending request it has no result for, oldest first.
fn run_pending(core: &AppCore, engine: &dyn InferenceEngine, results: &Mutex<Results>) {
    let snapshot = core.storage.latest_snapshot();
    let (params, pending) = match pending_of(core, &snapshot) {
        Ok(p) => p,
        Err(e) => {
            tracing::error!(error = %e.message, "attribution: reading the pending requests");
            return;
        }
    };
    let mut r: &dyn KvRead = &snapshot;
    let ids: BTreeSet<u64> = pending.iter().map(|p| p.id).collect();
    {
        let mut res = results.lock();
        res.done.retain(|id, _| ids.contains(id));
        res.failed.retain(|id| ids.contains(id));
    }
    for request in pending {
        let id = request.id;
        {
            let res = results.lock();
            if res.done.contains_key(&id) || res.failed.contains(&id) {
                continue;
            }
        }
        let started = std::time::Instant::now();
        let outcome = core
            .attribution
            .job(&mut r, id)
            .map_err(|e| anyhow::anyhow!("{}", e.message))
            .and_then(|job| engine.run(&job, params.top_k as usize));
        let mut res = results.lock();
        match outcome {
            Ok(result) => {
                tracing::info!(
                    request_id = id,
                    ms = started.elapsed().as_millis() as u64,
                    records = result.top.len(),
                    "attribution: result ready"
                );
                res.done.insert(id, result);
            }
            Err(e) => {
                tracing::warn!(request_id = id, error = %format!("{e:#}"), "attribution: the engine could not run the request; it will be refunded after its timeout");
                res.failed.insert(id);
            }
        }
    }
}
