//! ABCI 2.0 over CometBFT's socket (tower-abci, v0.38 protocol).
//!
//! Consensus and mempool requests must be handled in the order CometBFT sends them, so each
//! connection's requests go, in `call` order, through a channel to a dedicated thread that owns
//! the state machine. Info and Query read committed snapshots and run on tokio's blocking pool.

use std::sync::Arc;

use bytes::Bytes;
use futures::future::BoxFuture;
use openledger_attribution::extension::{CommitVote, TrustedCommit, decode_extension};
use openledger_state_machine::{self as state_machine, App, AppCore, CheckState, TxOutcome};
use parking_lot::Mutex;
use tendermint::abci::Code;
use tendermint::abci::response::{self, ProcessProposal, VerifyVoteExtension};
use tendermint::abci::types::ExecTxResult;
use tendermint::v0_38::abci::request::{self, CheckTxKind};
use tendermint::v0_38::abci::{
    ConsensusRequest, ConsensusResponse, InfoRequest, InfoResponse, MempoolRequest,
    MempoolResponse, SnapshotRequest, SnapshotResponse,
};
use tokio::sync::oneshot;
use tower_abci::BoxError;

use crate::attribution::Attribution;
use crate::events::to_abci_events;
use crate::query::abci_query;

pub const APP_NAME: &str = "openledger";
pub const APP_VERSION: u64 = 1;

fn time_of(t: tendermint::Time) -> (i64, u32) {
    let ts: tendermint_proto::google::protobuf::Timestamp = t.into();
    (ts.seconds, ts.nanos.max(0) as u32)
}

fn exec_result(o: &TxOutcome) -> ExecTxResult {
    ExecTxResult {
        code: Code::from(o.code),
        data: Bytes::from(o.data.clone()),
        log: o.log.clone(),
        info: String::new(),
        gas_wanted: o.gas_wanted as i64,
        gas_used: o.gas_used as i64,
        events: to_abci_events(&o.events),
        codespace: o.codespace.clone(),
    }
}

/// Staking's validator set changes in CometBFT's form (ed25519 keys, power in OPEN).
fn validator_updates(
    updates: &[openledger_staking::ValidatorUpdate],
) -> Result<Vec<tendermint::validator::Update>, BoxError> {
    updates
        .iter()
        .map(|u| {
            Ok(tendermint::validator::Update {
                pub_key: tendermint::PublicKey::from_raw_ed25519(&u.pub_key_ed25519)
                    .ok_or("validator update with an invalid ed25519 key")?,
                power: tendermint::vote::Power::try_from(u.power)?,
            })
        })
        .collect()
}

/// A commit CometBFT gives the application (`decided_last_commit`, `proposed_last_commit`) in
/// the form the injected extended commit is checked against.
fn trusted_commit(c: &tendermint::abci::types::CommitInfo) -> TrustedCommit {
    use tendermint::abci::types::BlockSignatureInfo;
    use tendermint::block::BlockIdFlag;
    TrustedCommit {
        round: c.round.value() as i32,
        votes: c
            .votes
            .iter()
            .map(|v| CommitVote {
                validator: openledger_framework::Address::from(v.validator.address),
                power: v.validator.power.value() as i64,
                flag: match v.sig_info {
                    BlockSignatureInfo::Flag(BlockIdFlag::Absent) => 1,
                    BlockSignatureInfo::Flag(BlockIdFlag::Commit) => 2,
                    BlockSignatureInfo::Flag(BlockIdFlag::Nil) => 3,
                    // Not sent by CometBFT 0.38; matches no vote of an extended commit.
                    BlockSignatureInfo::LegacySigned => 0,
                },
            })
            .collect(),
    }
}

/// The commit info, proposer and evidence of a `FinalizeBlock`, as the state machine sees them.
fn block_input(r: &request::FinalizeBlock) -> Result<state_machine::BlockInput, BoxError> {
    use tendermint::abci::types::{BlockSignatureInfo, MisbehaviorKind as Kind};
    use tendermint::block::BlockIdFlag;
    let cons = |a: &[u8; 20]| openledger_framework::Address::from(*a);
    let proposer: [u8; 20] = r.proposer_address.as_bytes().try_into()?;
    Ok(state_machine::BlockInput {
        height: r.height.value(),
        time: time_of(r.time),
        proposer: Some(cons(&proposer)),
        last_commit: r
            .decided_last_commit
            .votes
            .iter()
            .map(|v| openledger_framework::VoteInfo {
                validator: cons(&v.validator.address),
                power: v.validator.power.value() as i64,
                signed: !matches!(v.sig_info, BlockSignatureInfo::Flag(BlockIdFlag::Absent)),
            })
            .collect(),
        misbehavior: r
            .misbehavior
            .iter()
            .filter_map(|m| {
                let kind = match m.kind {
                    Kind::DuplicateVote => openledger_framework::MisbehaviorKind::DuplicateVote,
                    Kind::LightClientAttack => {
                        openledger_framework::MisbehaviorKind::LightClientAttack
                    }
                    Kind::Unknown => return None,
                };
                let (time_seconds, time_nanos) = time_of(m.time);
                Some(openledger_framework::Misbehavior {
                    kind,
                    validator: cons(&m.validator.address),
                    power: m.validator.power.value() as i64,
                    height: m.height.value() as i64,
                    time_seconds,
                    time_nanos,
                    total_voting_power: m.total_voting_power.value() as i64,
                })
            })
            .collect(),
        commit: trusted_commit(&r.decided_last_commit),
        next_validators_hash: r.next_validators_hash.as_bytes().to_vec(),
    })
}

/// Handles one consensus request on the state machine thread.
fn consensus(
    app: &mut App,
    attribution: Option<&Attribution>,
    req: ConsensusRequest,
) -> Result<ConsensusResponse, BoxError> {
    Ok(match req {
        ConsensusRequest::InitChain(r) => {
            let enable = r
                .consensus_params
                .abci
                .vote_extensions_enable_height
                .map_or(0, |h| h.value());
            let (hash, validators) = app.init_chain(
                &r.chain_id,
                r.initial_height.value(),
                time_of(r.time),
                &r.app_state_bytes,
                enable,
            )?;
            tracing::info!(chain_id = %r.chain_id, app_hash = %hex::encode_upper(hash), "InitChain");
            ConsensusResponse::InitChain(response::InitChain {
                consensus_params: None,
                validators: validator_updates(&validators)?,
                app_hash: hash.to_vec().try_into()?,
            })
        }
        ConsensusRequest::PrepareProposal(r) => {
            let local = r
                .local_last_commit
                .clone()
                .map(tendermint_proto::v0_38::abci::ExtendedCommitInfo::from);
            let txs = app.prepare_proposal(
                r.height.value(),
                local.as_ref(),
                r.txs.iter().map(|t| t.to_vec()).collect(),
                r.max_tx_bytes.max(0) as usize,
            );
            ConsensusResponse::PrepareProposal(response::PrepareProposal {
                txs: txs.into_iter().map(Bytes::from).collect(),
            })
        }
        ConsensusRequest::ProcessProposal(r) => {
            let trusted = r
                .proposed_last_commit
                .as_ref()
                .map(trusted_commit)
                .unwrap_or_default();
            let verdict = app.process_proposal(r.height.value(), &r.txs, &trusted);
            if let Err(why) = &verdict {
                tracing::warn!(height = %r.height, proposer = %r.proposer_address, reason = %why, "rejecting a proposal");
            }
            ConsensusResponse::ProcessProposal(if verdict.is_ok() {
                ProcessProposal::Accept
            } else {
                ProcessProposal::Reject
            })
        }
        ConsensusRequest::ExtendVote(r) => {
            // What this validator's engine has finished for the requests pending in the
            // committed state; never waits on the engine.
            let vote_extension = attribution
                .map(|a| a.extension(&app.core))
                .unwrap_or_default();
            tracing::debug!(height = %r.height, bytes = vote_extension.len(), "ExtendVote");
            ConsensusResponse::ExtendVote(response::ExtendVote {
                vote_extension: Bytes::from(vote_extension),
            })
        }
        ConsensusRequest::VerifyVoteExtension(r) => {
            // Only a malformed or oversize extension is rejected: whether its values agree with
            // the others' is decided by the aggregation in FinalizeBlock, and rejecting a vote
            // for disagreeing would cost the chain liveness.
            let snapshot = app.core.storage.latest_snapshot();
            let mut state: &dyn openledger_framework::KvRead = &snapshot;
            let verdict = app
                .core
                .attribution
                .params(&mut state)
                .map_err(|e| e.message)
                .and_then(|p| decode_extension(&r.vote_extension, &p).map_err(|e| e.to_string()));
            if let Err(why) = &verdict {
                tracing::warn!(height = %r.height, validator = %r.validator_address, reason = %why, "rejecting a vote extension");
            }
            ConsensusResponse::VerifyVoteExtension(if verdict.is_ok() {
                VerifyVoteExtension::Accept
            } else {
                VerifyVoteExtension::Reject
            })
        }
        ConsensusRequest::FinalizeBlock(r) => {
            let height = r.height.value();
            let input = block_input(&r)?;
            let res = app.finalize_block(input, &r.txs)?;
            tracing::info!(height, txs = r.txs.len(), app_hash = %hex::encode_upper(res.app_hash), "FinalizeBlock");
            ConsensusResponse::FinalizeBlock(response::FinalizeBlock {
                events: to_abci_events(&res.events),
                tx_results: res.outcomes.iter().map(exec_result).collect(),
                validator_updates: validator_updates(&res.validator_updates)?,
                consensus_param_updates: None,
                app_hash: res.app_hash.to_vec().try_into()?,
            })
        }
        ConsensusRequest::Commit => {
            let retain = app.commit()?;
            if let Some(a) = attribution {
                a.committed();
            }
            ConsensusResponse::Commit(response::Commit {
                data: Bytes::new(),
                retain_height: retain.try_into()?,
            })
        }
    })
}

type Job<Req, Resp> = (Req, oneshot::Sender<Result<Resp, BoxError>>);

/// Sends requests, in call order, to a thread that handles them one at a time.
fn ordered_service<Req, Resp>(
    name: &str,
    mut handler: impl FnMut(Req) -> Result<Resp, BoxError> + Send + 'static,
) -> impl tower::Service<
    Req,
    Response = Resp,
    Error = BoxError,
    Future = BoxFuture<'static, Result<Resp, BoxError>>,
> + Clone
+ Send
+ 'static
where
    Req: Send + 'static,
    Resp: Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel::<Job<Req, Resp>>();
    let handle = tokio::runtime::Handle::current();
    std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let _rt = handle.enter();
            while let Ok((req, reply)) = rx.recv() {
                let _ = reply.send(handler(req));
            }
        })
        .expect("spawn ABCI worker thread");
    let tx = Arc::new(Mutex::new(tx));
    tower::service_fn(move |req: Req| {
        let (reply_tx, reply_rx) = oneshot::channel();
        let sent = tx.lock().send((req, reply_tx));
        Box::pin(async move {
            sent.map_err(|_| -> BoxError { "ABCI worker stopped".into() })?;
            reply_rx
                .await
                .map_err(|_| -> BoxError { "ABCI worker dropped the request".into() })?
        }) as BoxFuture<'static, Result<Resp, BoxError>>
    })
}

fn check_tx(core: &AppCore, check: &Mutex<CheckState>, r: request::CheckTx) -> response::CheckTx {
    let o = state_machine::check_tx(core, check, &r.tx, r.kind == CheckTxKind::Recheck);
    response::CheckTx {
        code: Code::from(o.code),
        data: Bytes::new(),
        log: o.log,
        info: String::new(),
        gas_wanted: o.gas_wanted as i64,
        gas_used: o.gas_used as i64,
        events: to_abci_events(&o.events),
        codespace: o.codespace,
        ..Default::default()
    }
}

/// Runs the ABCI server until the listener fails. Without `attribution` the node votes with
/// empty extensions (it reports no inference results).
pub async fn serve(
    app: App,
    attribution: Option<Arc<Attribution>>,
    addr: std::net::SocketAddr,
) -> Result<(), BoxError> {
    let core = app.core.clone();
    let check = app.check.clone();
    let mut app = app;
    let consensus_svc = ordered_service("abci-consensus", move |req| {
        consensus(&mut app, attribution.as_deref(), req)
    });

    let mempool_core = core.clone();
    let mempool_svc = ordered_service("abci-mempool", move |req: MempoolRequest| {
        let MempoolRequest::CheckTx(r) = req;
        Ok(MempoolResponse::CheckTx(check_tx(&mempool_core, &check, r)))
    });

    let info_core = core.clone();
    let info_svc = tower::service_fn(move |req: InfoRequest| {
        let core = info_core.clone();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || info(&core, req))
                .await
                .map_err(|e| -> BoxError { e.into() })?
        }) as BoxFuture<'static, Result<InfoResponse, BoxError>>
    });

    let snapshot_svc = tower::service_fn(|req: SnapshotRequest| {
        Box::pin(async move {
            // State sync snapshots are not served yet: no snapshots, refuse offers.
            Ok(match req {
                SnapshotRequest::ListSnapshots => {
                    SnapshotResponse::ListSnapshots(Default::default())
                }
                SnapshotRequest::OfferSnapshot(_) => {
                    SnapshotResponse::OfferSnapshot(response::OfferSnapshot::Reject)
                }
                SnapshotRequest::LoadSnapshotChunk(_) => {
                    SnapshotResponse::LoadSnapshotChunk(Default::default())
                }
                SnapshotRequest::ApplySnapshotChunk(_) => {
                    SnapshotResponse::ApplySnapshotChunk(response::ApplySnapshotChunk {
                        result: response::ApplySnapshotChunkResult::Abort,
                        refetch_chunks: Vec::new(),
                        reject_senders: Vec::new(),
                    })
                }
            })
        }) as BoxFuture<'static, Result<SnapshotResponse, BoxError>>
    });

    let server = tower_abci::v038::Server::builder()
        .consensus(consensus_svc)
        .mempool(mempool_svc)
        .info(info_svc)
        .snapshot(snapshot_svc)
        .finish()
        .ok_or("incomplete ABCI server")?;
    tracing::info!(%addr, "ABCI server listening");
    server.listen_tcp(addr).await
}

fn info(core: &AppCore, req: InfoRequest) -> Result<InfoResponse, BoxError> {
    Ok(match req {
        InfoRequest::Info(_) => {
            let snapshot = core.storage.latest_snapshot();
            let (height, hash) = match state_machine::ChainMeta::load(&snapshot)? {
                None => (0, Vec::new()),
                Some(m) => (m.height, snapshot.root_hash()?.to_vec()),
            };
            tracing::info!(height, app_hash = %hex::encode_upper(&hash), "Info");
            InfoResponse::Info(response::Info {
                data: APP_NAME.to_string(),
                version: env!("CARGO_PKG_VERSION").to_string(),
                app_version: APP_VERSION,
                last_block_height: height.try_into()?,
                last_block_app_hash: hash.try_into()?,
            })
        }
        InfoRequest::Query(q) => InfoResponse::Query(abci_query(core, q)),
        InfoRequest::Echo(e) => InfoResponse::Echo(response::Echo { message: e.message }),
    })
}
