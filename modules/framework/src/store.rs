//! The authenticated, versioned key-value store and the overlays that branch it.
//!
//! Committed state lives in [`Storage`]: Penumbra's `cnidarium`, a Jellyfish Merkle Tree over
//! RocksDB with one substore per module prefix (`auth/…`, `bank/…`). The root of the main tree,
//! which commits to every substore root, is the app hash. A block is written as one RocksDB write
//! batch, so a crash leaves the previous version intact.
//!
//! State machine code is synchronous and sees state through [`KvRead`] / [`KvWrite`]. A block runs
//! in an [`Overlay`] over the committed [`Snapshot`]; every transaction runs in an overlay over the
//! block's, whose changes are merged only when the transaction succeeds. Overlays keep their
//! writes in a `BTreeMap`, so iteration order never depends on hashing.
//!
//! `cnidarium`'s reads are futures that run on tokio's blocking pool. [`Snapshot`] waits for them
//! with the runtime handle it was opened with, so it can be read from any thread that is not an
//! async task (ABCI handlers run the state machine under `spawn_blocking`). Reads at the latest
//! version go through a write-through cache of committed values.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use futures::StreamExt;
use parking_lot::Mutex;
use tokio::runtime::Handle;

/// Pending writes: `Some(value)` sets, `None` deletes.
pub type Changes = BTreeMap<String, Option<Vec<u8>>>;

/// Keys of the non-verifiable (not in the app hash) part of the store, e.g. node bookkeeping.
pub type NonVerifiableChanges = Vec<(Vec<u8>, Vec<u8>)>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("storage backend: {0}")]
    Backend(String),
    #[error("version {0} is not available (only recent versions are kept in memory)")]
    VersionUnavailable(u64),
    #[error("empty keys are not allowed")]
    EmptyKey,
}

fn backend(e: impl std::fmt::Display) -> StoreError {
    StoreError::Backend(e.to_string())
}

/// Read access to a key-value state.
pub trait KvRead {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Every `(key, value)` whose key starts with `prefix`, in key order.
    fn prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError>;
}

/// Write access to a key-value state.
pub trait KvWrite: KvRead {
    fn set(&mut self, key: String, value: Vec<u8>);
    fn delete(&mut self, key: String);
}

impl<T: KvRead + ?Sized> KvRead for &T {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }
    fn prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        (**self).prefix(prefix)
    }
}

impl<T: KvRead + ?Sized> KvRead for &mut T {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).get(key)
    }
    fn prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        (**self).prefix(prefix)
    }
}

impl<T: KvWrite + ?Sized> KvWrite for &mut T {
    fn set(&mut self, key: String, value: Vec<u8>) {
        (**self).set(key, value)
    }
    fn delete(&mut self, key: String) {
        (**self).delete(key)
    }
}

/// A copy-on-write branch of a parent state.
#[derive(Debug, Clone)]
pub struct Overlay<P> {
    parent: P,
    changes: Changes,
}

impl<P: KvRead> Overlay<P> {
    pub fn new(parent: P) -> Self {
        Self {
            parent,
            changes: Changes::new(),
        }
    }

    pub fn parent(&self) -> &P {
        &self.parent
    }

    pub fn changes(&self) -> &Changes {
        &self.changes
    }

    /// The writes made in this branch, to be applied to the parent (or dropped).
    pub fn into_changes(self) -> Changes {
        self.changes
    }

    pub fn into_parts(self) -> (P, Changes) {
        (self.parent, self.changes)
    }

    /// Applies a child branch's writes to this one.
    pub fn apply(&mut self, changes: Changes) {
        self.changes.extend(changes);
    }
}

impl<P: KvRead> KvRead for Overlay<P> {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        match self.changes.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.parent.get(key),
        }
    }

    fn prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        let mut merged: BTreeMap<String, Vec<u8>> =
            self.parent.prefix(prefix)?.into_iter().collect();
        for (k, v) in self.changes.range(prefix.to_string()..) {
            if !k.starts_with(prefix) {
                break;
            }
            match v {
                Some(v) => merged.insert(k.clone(), v.clone()),
                None => merged.remove(k),
            };
        }
        Ok(merged.into_iter().collect())
    }
}

impl<P: KvRead> KvWrite for Overlay<P> {
    fn set(&mut self, key: String, value: Vec<u8>) {
        self.changes.insert(key, Some(value));
    }
    fn delete(&mut self, key: String) {
        self.changes.insert(key, None);
    }
}

/// An empty state, the parent of genesis before anything was committed.
#[derive(Debug, Clone, Copy, Default)]
pub struct EmptyState;

impl KvRead for EmptyState {
    fn get(&self, _key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(None)
    }
    fn prefix(&self, _prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        Ok(Vec::new())
    }
}

/// Committed values at the latest version, kept in memory across blocks.
#[derive(Default)]
struct ReadCache {
    version: Option<u64>,
    values: HashMap<String, Option<Vec<u8>>>,
}

const READ_CACHE_ENTRIES: usize = 1 << 20;

/// The node's persistent state: a handle to the RocksDB-backed multistore.
#[derive(Clone)]
pub struct Storage {
    inner: cnidarium::Storage,
    rt: Handle,
    cache: Arc<Mutex<ReadCache>>,
}

impl Storage {
    /// Opens (creating if needed) the store at `path` with one substore per module prefix.
    pub async fn open(path: PathBuf, prefixes: &[&str]) -> Result<Self, StoreError> {
        let prefixes = prefixes.iter().map(|p| p.to_string()).collect();
        let inner = cnidarium::Storage::load(path, prefixes)
            .await
            .map_err(backend)?;
        Ok(Self {
            inner,
            rt: Handle::current(),
            cache: Arc::new(Mutex::new(ReadCache::default())),
        })
    }

    /// The latest committed version, `None` before genesis was committed.
    pub fn latest_version(&self) -> Option<u64> {
        to_version(self.inner.latest_version())
    }

    pub fn latest_snapshot(&self) -> Snapshot {
        Snapshot {
            inner: self.inner.latest_snapshot(),
            rt: self.rt.clone(),
            cache: Some(self.cache.clone()),
        }
    }

    /// A recent committed version (the last few are kept for queries at a height).
    pub fn snapshot(&self, version: u64) -> Result<Snapshot, StoreError> {
        let inner = self
            .inner
            .snapshot(version)
            .ok_or(StoreError::VersionUnavailable(version))?;
        Ok(Snapshot {
            inner,
            rt: self.rt.clone(),
            cache: None,
        })
    }

    fn delta(
        base: &Snapshot,
        changes: &Changes,
        nonverifiable: &NonVerifiableChanges,
    ) -> cnidarium::StateDelta<cnidarium::Snapshot> {
        use cnidarium::StateWrite;
        let mut delta = cnidarium::StateDelta::new(base.inner.clone());
        for (k, v) in changes {
            match v {
                Some(v) => delta.put_raw(k.clone(), v.clone()),
                None => delta.delete(k.clone()),
            }
        }
        for (k, v) in nonverifiable {
            delta.nonverifiable_put_raw(k.clone(), v.clone());
        }
        delta
    }

    /// The app hash `changes` would give on top of `base`, without writing anything.
    pub fn root_hash_of(&self, base: &Snapshot, changes: &Changes) -> Result<[u8; 32], StoreError> {
        let delta = Self::delta(base, changes, &Vec::new());
        let batch = self
            .wait(|| self.inner.prepare_commit(delta))
            .map_err(backend)?;
        Ok(batch.root_hash().0)
    }

    /// Computes the next version's tree (and so its app hash) without writing it yet: FinalizeBlock
    /// reports the app hash, Commit writes the prepared batch.
    pub fn prepare(
        &self,
        base: &Snapshot,
        changes: Changes,
        nonverifiable: NonVerifiableChanges,
    ) -> Result<PreparedCommit, StoreError> {
        let delta = Self::delta(base, &changes, &nonverifiable);
        let batch = self
            .wait(|| self.inner.prepare_commit(delta))
            .map_err(backend)?;
        Ok(PreparedCommit {
            root: batch.root_hash().0,
            batch,
            changes,
        })
    }

    /// Writes a prepared version in one RocksDB write batch and returns its app hash.
    pub fn commit_prepared(&self, prepared: PreparedCommit) -> Result<[u8; 32], StoreError> {
        let PreparedCommit { batch, changes, .. } = prepared;
        let root = self.inner.commit_batch(batch).map_err(backend)?;
        self.update_cache(changes);
        Ok(root.0)
    }

    /// Writes `changes` on top of `base` (which must be the latest version) as the next version,
    /// in one RocksDB write batch, and returns the new app hash.
    pub fn commit(
        &self,
        base: &Snapshot,
        changes: Changes,
        nonverifiable: NonVerifiableChanges,
    ) -> Result<[u8; 32], StoreError> {
        let prepared = self.prepare(base, changes, nonverifiable)?;
        self.commit_prepared(prepared)
    }

    fn update_cache(&self, changes: Changes) {
        let mut cache = self.cache.lock();
        if cache.values.len() + changes.len() > READ_CACHE_ENTRIES {
            cache.values.clear();
        }
        cache.values.extend(changes);
        cache.version = self.latest_version();
    }

    /// Builds the future inside the runtime context (cnidarium spawns blocking tasks when a read
    /// is created, not when it is polled) and waits for it.
    fn wait<F: Future>(&self, make: impl FnOnce() -> F) -> F::Output {
        let _enter = self.rt.enter();
        futures::executor::block_on(make())
    }

    /// Closes the database, waiting for background tasks.
    pub async fn release(self) {
        self.inner.release().await
    }
}

/// A version whose tree is computed but not yet written.
pub struct PreparedCommit {
    pub root: [u8; 32],
    batch: cnidarium::StagedWriteBatch,
    changes: Changes,
}

fn to_version(v: u64) -> Option<u64> {
    if v == u64::MAX { None } else { Some(v) }
}

/// A read-only view of one committed version.
#[derive(Clone)]
pub struct Snapshot {
    inner: cnidarium::Snapshot,
    rt: Handle,
    cache: Option<Arc<Mutex<ReadCache>>>,
}

/// An ICS-23 proof of a key in a substore: `[proof in the substore, proof of the substore root in
/// the main tree]`, the same layering as the Cosmos SDK's IAVL + simple-merkle proofs.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreProof {
    pub proofs: Vec<ics23::CommitmentProof>,
}

impl Snapshot {
    pub fn version(&self) -> Option<u64> {
        to_version(self.inner.version())
    }

    /// Builds the future inside the runtime context (cnidarium spawns blocking tasks when a read
    /// is created, not when it is polled) and waits for it.
    fn wait<F: Future>(&self, make: impl FnOnce() -> F) -> F::Output {
        let _enter = self.rt.enter();
        futures::executor::block_on(make())
    }

    pub fn root_hash(&self) -> Result<[u8; 32], StoreError> {
        if self.version().is_none() {
            return Ok([0u8; 32]);
        }
        Ok(self.wait(|| self.inner.root_hash()).map_err(backend)?.0)
    }

    /// The value at `key` and its ICS-23 existence or non-existence proof against the app hash.
    pub fn get_with_proof(&self, key: &str) -> Result<(Option<Vec<u8>>, StoreProof), StoreError> {
        if key.is_empty() {
            return Err(StoreError::EmptyKey);
        }
        if self.version().is_none() {
            return Err(StoreError::Backend("nothing committed yet".into()));
        }
        let (value, proof) = self
            .wait(|| self.inner.get_with_proof(key.as_bytes().to_vec()))
            .map_err(backend)?;
        Ok((
            value,
            StoreProof {
                proofs: proof.proofs,
            },
        ))
    }
}

impl KvRead for Snapshot {
    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        use cnidarium::StateRead;
        let Some(version) = self.version() else {
            return Ok(None);
        };
        if let Some(cache) = &self.cache {
            let cache = cache.lock();
            if cache.version == Some(version)
                && let Some(v) = cache.values.get(key)
            {
                return Ok(v.clone());
            }
        }
        let value = self.wait(|| self.inner.get_raw(key)).map_err(backend)?;
        if let Some(cache) = &self.cache {
            let mut cache = cache.lock();
            if cache.version == Some(version) && cache.values.len() < READ_CACHE_ENTRIES {
                cache.values.insert(key.to_string(), value.clone());
            }
        }
        Ok(value)
    }

    fn prefix(&self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, StoreError> {
        use cnidarium::StateRead;
        if self.version().is_none() {
            return Ok(Vec::new());
        }
        let items: Vec<_> = self.wait(|| self.inner.prefix_raw(prefix).collect::<Vec<_>>());
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(item.map_err(backend)?);
        }
        // Substore iteration is ordered by key within the substore; sort to be certain.
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// The ICS-23 spec of every tree in the store (JMT, SHA-256).
pub fn proof_spec() -> ics23::ProofSpec {
    cnidarium::ics23_spec()
}

/// Verifies that `key` (`<substore>/<rest>`) holds `value` (or, with `None`, is absent) under
/// `app_hash`. This is what a light client does with a `prove=true` query answer.
pub fn verify_proof(
    app_hash: &[u8],
    key: &str,
    value: Option<&[u8]>,
    proof: &StoreProof,
) -> Result<(), String> {
    use ics23::HostFunctionsManager as H;
    let spec = proof_spec();
    let (substore, inner_key) = match key.split_once('/') {
        Some((s, k)) => (s, k),
        None => return Err(format!("key {key} names no substore")),
    };
    let [in_substore, in_main] = proof.proofs.as_slice() else {
        return Err(format!("expected 2 proofs, got {}", proof.proofs.len()));
    };
    let substore_root = match value {
        Some(value) => {
            let Some(ics23::commitment_proof::Proof::Exist(ex)) = &in_substore.proof else {
                return Err("not an existence proof".into());
            };
            let root = ics23::calculate_existence_root::<H>(ex).map_err(|e| e.to_string())?;
            if !ics23::verify_membership::<H>(
                in_substore,
                &spec,
                &root,
                inner_key.as_bytes(),
                value,
            ) {
                return Err("substore membership proof does not verify".into());
            }
            root
        }
        None => {
            let Some(ics23::commitment_proof::Proof::Nonexist(nx)) = &in_substore.proof else {
                return Err("not a non-existence proof".into());
            };
            let neighbour = nx
                .left
                .as_ref()
                .or(nx.right.as_ref())
                .ok_or("empty non-existence proof")?;
            let root =
                ics23::calculate_existence_root::<H>(neighbour).map_err(|e| e.to_string())?;
            if !ics23::verify_non_membership::<H>(in_substore, &spec, &root, inner_key.as_bytes()) {
                return Err("substore non-membership proof does not verify".into());
            }
            root
        }
    };
    if !ics23::verify_membership::<H>(
        in_main,
        &spec,
        &app_hash.to_vec(),
        substore.as_bytes(),
        &substore_root,
    ) {
        return Err("substore root is not proven under the app hash".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlay_reads_through_and_shadows() {
        let mut base = Overlay::new(EmptyState);
        base.set("bank/a".into(), b"1".to_vec());
        base.set("bank/b".into(), b"2".to_vec());
        base.set("auth/x".into(), b"9".to_vec());
        let mut tx = Overlay::new(&base);
        tx.delete("bank/a".into());
        tx.set("bank/c".into(), b"3".to_vec());
        assert_eq!(tx.get("bank/a").unwrap(), None);
        assert_eq!(tx.get("bank/b").unwrap(), Some(b"2".to_vec()));
        let keys: Vec<_> = tx
            .prefix("bank/")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(keys, vec!["bank/b", "bank/c"]);
        let changes = tx.into_changes();
        base.apply(changes);
        assert_eq!(base.get("bank/c").unwrap(), Some(b"3".to_vec()));
        assert_eq!(base.get("bank/a").unwrap(), None);
    }
}
