//! The consensus side of the state machine: the block in progress and its lifecycle
//! (InitChain → FinalizeBlock → Commit), the mempool's CheckTx state and Simulate.

use std::sync::Arc;

use openledger_attribution::extension::{TrustedCommit, is_injected};
use openledger_framework::context::ExecMode;
use openledger_framework::error::SdkError;
use openledger_framework::store::{Changes, KvRead, KvWrite, Overlay, PreparedCommit, Snapshot};
use openledger_framework::{
    AbciError, Address, BlockInfo, Ctx, Event, GasMeter, Misbehavior, Module, VoteInfo,
};
use openledger_staking::ValidatorUpdate;
use parking_lot::Mutex;
use prost::Message;

use crate::ante::DecodedTx;
use crate::app_core::{AppCore, TxOutcome};
use crate::attribution;
use crate::meta::{ChainMeta, META_KEY};

/// What `FinalizeBlock` is given besides the txs.
#[derive(Debug, Clone, Default)]
pub struct BlockInput {
    pub height: u64,
    pub time: (i64, u32),
    /// Consensus address of the proposer.
    pub proposer: Option<Address>,
    /// `decided_last_commit`: who signed the previous block.
    pub last_commit: Vec<VoteInfo>,
    pub misbehavior: Vec<Misbehavior>,
    /// The same commit with its round and each vote's flag: what the injected extended commit
    /// must match.
    pub commit: TrustedCommit,
    /// The header's hash of the next block's validator set (IBC's consensus state of us).
    pub next_validators_hash: Vec<u8>,
}

impl BlockInput {
    /// A block with no commit information (in-process chains without consensus).
    pub fn at(height: u64, time: (i64, u32)) -> Self {
        Self {
            height,
            time,
            ..Default::default()
        }
    }
}

/// What `FinalizeBlock` answers.
#[derive(Debug, Clone, Default)]
pub struct BlockResult {
    pub outcomes: Vec<TxOutcome>,
    /// Begin- and end-block events.
    pub events: Vec<Event>,
    pub app_hash: [u8; 32],
    /// Validator set changes for CometBFT (from staking's end block).
    pub validator_updates: Vec<ValidatorUpdate>,
}

/// A finalized block waiting for Commit.
struct PendingBlock {
    meta: ChainMeta,
    prepared: PreparedCommit,
}

/// The mempool's view: committed state plus the effects of the txs CheckTx accepted since.
pub struct CheckState {
    pub state: Overlay<Snapshot>,
    pub block: BlockInfo,
}

/// The consensus-side application: owns the block in progress.
pub struct App {
    pub core: Arc<AppCore>,
    meta: ChainMeta,
    /// Genesis writes, applied under block `initial_height` (nothing is committed at InitChain,
    /// so a crash before the first block simply repeats InitChain).
    genesis: Option<Changes>,
    pending: Option<PendingBlock>,
    pub check: Arc<Mutex<CheckState>>,
    /// Blocks CometBFT must keep (0: keep everything).
    pub min_retain_blocks: u64,
}

impl App {
    pub fn new(core: Arc<AppCore>) -> Result<Self, AbciError> {
        let snapshot = core.storage.latest_snapshot();
        let meta = ChainMeta::load(&snapshot)?.unwrap_or_default();
        let check = CheckState {
            state: Overlay::new(snapshot),
            block: BlockInfo::default(),
        };
        let app = Self {
            core,
            meta,
            genesis: None,
            pending: None,
            check: Arc::new(Mutex::new(check)),
            min_retain_blocks: 0,
        };
        app.reset_check_state();
        Ok(app)
    }

    pub fn meta(&self) -> &ChainMeta {
        &self.meta
    }

    /// The last committed height and app hash (what `Info` reports).
    pub fn last_commit(&self) -> Result<(u64, [u8; 32]), AbciError> {
        let snapshot = self.core.storage.latest_snapshot();
        match ChainMeta::load(&snapshot)? {
            None => Ok((0, [0; 32])),
            Some(m) => Ok((m.height, snapshot.root_hash()?)),
        }
    }

    /// The app hash in the header of the block being finalized on `base`: the root after the
    /// previous block, or of the genesis state before the first block is committed.
    fn header_app_hash(&self, base: &Snapshot) -> Result<[u8; 32], AbciError> {
        match &self.genesis {
            Some(genesis) => Ok(self.core.storage.root_hash_of(base, genesis)?),
            None => Ok(base.root_hash()?),
        }
    }

    /// InitChain: runs genesis and returns the app hash of the genesis state.
    /// `vote_extensions_enable_height` is CometBFT's consensus param (0: never); it decides
    /// from which block on Proof of Attribution's extended commit is injected.
    pub fn init_chain(
        &mut self,
        chain_id: &str,
        initial_height: u64,
        time: (i64, u32),
        app_state: &[u8],
        vote_extensions_enable_height: u64,
    ) -> Result<([u8; 32], Vec<ValidatorUpdate>), AbciError> {
        if self.core.storage.latest_version().is_some() {
            return Err(SdkError::InvalidRequest(
                "InitChain on a store that already has committed state".into(),
            )
            .into());
        }
        let app_state: serde_json::Value = if app_state.is_empty() {
            serde_json::Value::Object(Default::default())
        } else {
            serde_json::from_slice(app_state)
                .map_err(|e| SdkError::InvalidRequest(format!("genesis app_state: {e}")))?
        };
        let initial_height = initial_height.max(1);
        let block = BlockInfo {
            height: initial_height,
            time_seconds: time.0,
            time_nanos: time.1,
            chain_id: chain_id.to_string(),
            ..Default::default()
        };
        let (mut changes, validators) = self.core.genesis_changes(&block, &app_state)?;
        if vote_extensions_enable_height > 0 {
            changes.insert(
                openledger_attribution::keys::vote_extensions_enable_height().to_string(),
                Some(vote_extensions_enable_height.to_be_bytes().to_vec()),
            );
        }
        let base = self.core.storage.latest_snapshot();
        let hash = self
            .core
            .storage
            .prepare(&base, changes.clone(), Vec::new())?
            .root;
        self.meta = ChainMeta {
            chain_id: chain_id.to_string(),
            initial_height,
            height: initial_height - 1,
            block_time: time,
        };
        self.genesis = Some(changes);
        self.reset_check_state();
        Ok((hash, validators))
    }

    /// FinalizeBlock: executes every tx in order and returns their outcomes and the app hash.
    pub fn finalize_block(
        &mut self,
        input: BlockInput,
        txs: &[impl AsRef<[u8]>],
    ) -> Result<BlockResult, AbciError> {
        let BlockInput {
            height,
            time,
            proposer,
            last_commit,
            misbehavior,
            commit,
            next_validators_hash,
        } = input;
        let expected = self.meta.height + 1;
        if height != expected {
            return Err(SdkError::InvalidRequest(format!(
                "FinalizeBlock for height {height}, expected {expected}"
            ))
            .into());
        }
        let base = self.core.storage.latest_snapshot();
        let mut state = Overlay::new(&base);
        if let Some(genesis) = &self.genesis {
            state.apply(genesis.clone());
        }
        let block = BlockInfo {
            height,
            time_seconds: time.0,
            time_nanos: time.1,
            chain_id: self.meta.chain_id.clone(),
            proposer,
            last_commit,
            misbehavior,
            app_hash: self.header_app_hash(&base)?.to_vec(),
            next_validators_hash,
        };

        // The proposer's injected extended commit, when the block begins with one; the rest are
        // Cosmos transactions.
        let injected = txs.first().map(|t| t.as_ref()).filter(|t| is_injected(t));
        let decoded: Vec<Result<DecodedTx, AbciError>> = txs
            .iter()
            .skip(usize::from(injected.is_some()))
            .map(|bytes| DecodedTx::decode(bytes.as_ref()))
            .collect();
        self.preverify_signatures(&state, &decoded);

        let mut block_events = Vec::new();
        let core = self.core.clone();
        self.run_hooks(
            &core.begin_order,
            &block,
            &mut state,
            &mut block_events,
            |m, ctx| m.begin_block(ctx),
        )?;
        let mut outcomes = Vec::with_capacity(txs.len());
        if let Some(tx) = injected {
            outcomes.push(self.apply_injected(&mut state, &block, tx, &commit, &mut block_events));
        }
        outcomes.extend(decoded.iter().map(|tx| {
            match tx {
                Ok(tx) => {
                    self.core
                        .execute_decoded(&mut state, &block, tx, ExecMode::Finalize, true)
                }
                Err(e) => TxOutcome::failed(e.clone(), 0, 0, Vec::new()),
            }
        }));
        self.run_hooks(
            &core.end_order,
            &block,
            &mut state,
            &mut block_events,
            |m, ctx| m.end_block(ctx),
        )?;
        let meta = ChainMeta {
            height,
            block_time: time,
            ..self.meta.clone()
        };
        state.set(META_KEY.to_string(), meta.encode());
        let changes = state.into_changes();
        let prepared = self.core.storage.prepare(&base, changes, Vec::new())?;
        let hash = prepared.root;
        self.pending = Some(PendingBlock { meta, prepared });
        Ok(BlockResult {
            outcomes,
            events: block_events,
            app_hash: hash,
            validator_updates: self.core.staking.take_validator_updates(),
        })
    }

    /// The injected extended commit of the previous block: verified again (ProcessProposal did,
    /// but a block is final here whatever it holds), then its reports become attribution
    /// records and payouts. It uses no gas and pays no fee; when it fails, nothing of it is
    /// applied and its outcome says why.
    fn apply_injected(
        &self,
        state: &mut Overlay<&Snapshot>,
        block: &BlockInfo,
        tx: &[u8],
        trusted: &TrustedCommit,
        events: &mut Vec<Event>,
    ) -> TxOutcome {
        let result = (|| -> Result<TxOutcome, AbciError> {
            let mut r: &dyn KvRead = &*state;
            let enable = self
                .core
                .attribution
                .vote_extensions_enable_height(&mut r)?;
            if !attribution::injection_allowed(enable, block.height) {
                return Err(SdkError::InvalidRequest(format!(
                    "vote extensions are not enabled for block {}",
                    block.height.saturating_sub(1)
                ))
                .into());
            }
            let verified = attribution::verify_injected(
                &self.core,
                &*state,
                &block.chain_id,
                block.height,
                tx,
                trusted,
            )?;
            let mut gas = GasMeter::infinite();
            let mut ctx = Ctx::new(block, ExecMode::Finalize, state, &mut gas, events);
            let records =
                ctx.branch(|c| self.core.attribution.apply_extended_commit(c, &verified))?;
            Ok(TxOutcome {
                log: format!(
                    "extended commit of block {}: {} of {} validators reported, {} records",
                    block.height - 1,
                    verified.extensions.len(),
                    trusted.votes.len(),
                    records.len()
                ),
                ..Default::default()
            })
        })();
        result.unwrap_or_else(|e| {
            tracing::error!(height = block.height, error = %e.message, "the block's injected extended commit was not applied");
            TxOutcome::failed(e, 0, 0, Vec::new())
        })
    }

    /// The committed state with the genesis writes on top until the first block is committed:
    /// what the next block is proposed on.
    fn proposal_state(&self) -> Overlay<Snapshot> {
        let mut state = Overlay::new(self.core.storage.latest_snapshot());
        if let Some(genesis) = &self.genesis {
            state.apply(genesis.clone());
        }
        state
    }

    /// PrepareProposal for block `height`: the extended commit CometBFT gives
    /// (`local_last_commit`) first when it reports something, then the mempool's txs.
    pub fn prepare_proposal(
        &self,
        height: u64,
        local_last_commit: Option<&tendermint_proto::v0_38::abci::ExtendedCommitInfo>,
        mempool: Vec<Vec<u8>>,
        max_tx_bytes: usize,
    ) -> Vec<Vec<u8>> {
        let state = self.proposal_state();
        let mut r: &dyn KvRead = &state;
        let enable = self
            .core
            .attribution
            .vote_extensions_enable_height(&mut r)
            .unwrap_or(0);
        let injected = attribution::commit_to_inject(enable, height, local_last_commit);
        attribution::prepare_proposal(injected, mempool, max_tx_bytes)
    }

    /// ProcessProposal for block `height`: `Err` says why the proposal is rejected.
    pub fn process_proposal(
        &self,
        height: u64,
        txs: &[impl AsRef<[u8]>],
        trusted: &TrustedCommit,
    ) -> Result<(), String> {
        let state = self.proposal_state();
        attribution::check_proposal(
            &self.core,
            &state,
            &self.meta.chain_id,
            height,
            txs,
            trusted,
        )
    }

    /// Runs a begin/end-block hook of the given modules, in that order, with unlimited gas.
    fn run_hooks(
        &self,
        modules: &[Arc<dyn Module>],
        block: &BlockInfo,
        state: &mut dyn KvWrite,
        events: &mut Vec<Event>,
        hook: impl Fn(&dyn Module, &mut Ctx<'_>) -> Result<(), AbciError>,
    ) -> Result<(), AbciError> {
        let mut gas = GasMeter::infinite();
        let mut ctx = Ctx::new(block, ExecMode::Finalize, state, &mut gas, events);
        for m in modules {
            hook(m.as_ref(), &mut ctx)?;
        }
        Ok(())
    }

    /// Verifies the block's signatures on all cores before the sequential pass, which then finds
    /// them in the signature cache. Only signers whose account already exists at the start of the
    /// block are pre-checked; anything else is verified in the sequential pass.
    fn preverify_signatures(&self, state: &dyn KvRead, txs: &[Result<DecodedTx, AbciError>]) {
        use rayon::prelude::*;
        let chain_id = &self.meta.chain_id;
        let jobs: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> = txs
            .iter()
            .filter_map(|tx| tx.as_ref().ok())
            .filter_map(|tx| {
                let signers = self.core.signers(tx).ok()?;
                let mut out = Vec::new();
                for (i, signer) in signers.iter().enumerate() {
                    let account = self.core.auth.account(&mut &*state, signer).ok()??;
                    let pubkey = match account.pub_key {
                        Some(pk) => pk,
                        None => {
                            let any = tx.auth_info.signer_infos.get(i)?.public_key.as_ref()?;
                            cosmrs::proto::cosmos::crypto::secp256k1::PubKey::decode(
                                any.value.as_slice(),
                            )
                            .ok()?
                            .key
                        }
                    };
                    out.push((
                        pubkey,
                        tx.sign_bytes(chain_id, account.account_number),
                        tx.signatures.get(i)?.clone(),
                    ));
                }
                Some(out)
            })
            .flatten()
            .collect();
        let sigs = &self.core.sigs;
        jobs.par_iter().for_each(|(pk, msg, sig)| {
            sigs.verify(pk, msg, sig);
        });
    }

    /// Commit: writes the finalized block in one batch. Returns the height CometBFT may prune below.
    pub fn commit(&mut self) -> Result<u64, AbciError> {
        let pending = self
            .pending
            .take()
            .ok_or_else(|| SdkError::InvalidRequest("Commit without a finalized block".into()))?;
        self.core.storage.commit_prepared(pending.prepared)?;
        self.meta = pending.meta;
        self.genesis = None;
        self.reset_check_state();
        let retain = if self.min_retain_blocks == 0 {
            0
        } else {
            self.meta.height.saturating_sub(self.min_retain_blocks)
        };
        Ok(retain)
    }

    fn reset_check_state(&self) {
        let mut state = Overlay::new(self.core.storage.latest_snapshot());
        if let Some(genesis) = &self.genesis {
            state.apply(genesis.clone());
        }
        *self.check.lock() = CheckState {
            state,
            block: self.meta.next_block(),
        };
    }
}

/// CheckTx against the mempool state; ReCheck re-runs a tx after a block was committed.
pub fn check_tx(
    core: &AppCore,
    check: &Mutex<CheckState>,
    bytes: &[u8],
    recheck: bool,
) -> TxOutcome {
    let mut guard = check.lock();
    let CheckState { state, block } = &mut *guard;
    let block = block.clone();
    let mode = if recheck {
        ExecMode::ReCheck
    } else {
        ExecMode::Check
    };
    core.execute_tx(state, &block, bytes, mode, false)
}

/// Simulate: runs the tx (ante and messages) on a throw-away branch of the latest state.
pub fn simulate(core: &AppCore, snapshot: &Snapshot, meta: &ChainMeta, bytes: &[u8]) -> TxOutcome {
    let mut state = Overlay::new(snapshot);
    core.execute_tx(
        &mut state,
        &meta.next_block(),
        bytes,
        ExecMode::Simulate,
        true,
    )
}
