//! Reads of the state, shared by ABCI `Query` and the gRPC server: ABCI `Query` itself,
//! choosing the snapshot for a height, and the `Simulate` request/response shapes.

use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use openledger_framework::error::SdkError;
use openledger_framework::store::{KvRead, Snapshot};
use openledger_framework::{AbciError, CodedError};
use openledger_proto::openledger::attribution::v1::QueryRecordProofResponse;
use openledger_state_machine::{self as state_machine, AppCore, ChainMeta, TxOutcome};
use prost::Message;
use tendermint::abci::Code;
use tendermint::v0_38::abci::{request, response};

use crate::events::to_abci_events;

/// The snapshot at `height` (0: the latest), with the chain metadata of that version.
pub fn at_height(core: &AppCore, height: u64) -> Result<(Snapshot, Option<ChainMeta>), AbciError> {
    let latest = core.storage.latest_snapshot();
    let meta = ChainMeta::load(&latest)?;
    let Some(meta) = meta else {
        return Ok((latest, None));
    };
    if height == 0 || height == meta.height {
        return Ok((latest, Some(meta)));
    }
    if height > meta.height || height < meta.initial_height {
        return Err(SdkError::InvalidRequest(format!(
            "cannot query at height {height}: the chain is at height {} (first height {})",
            meta.height, meta.initial_height
        ))
        .into());
    }
    let snapshot = core.storage.snapshot(height - meta.initial_height)?;
    let meta_at = ChainMeta::load(&snapshot)?;
    Ok((snapshot, meta_at))
}

/// The tx bytes of a `SimulateRequest` (`tx_bytes`, or the deprecated decoded `tx`).
#[allow(deprecated)]
pub fn simulate_request_tx(data: &[u8]) -> Result<Vec<u8>, AbciError> {
    let req = SimulateRequest::decode(data).map_err(|e| SdkError::TxDecode(e.to_string()))?;
    if !req.tx_bytes.is_empty() {
        return Ok(req.tx_bytes);
    }
    let tx = req
        .tx
        .ok_or_else(|| SdkError::InvalidRequest("empty simulate request".into()))?;
    let body = tx
        .body
        .ok_or_else(|| SdkError::InvalidRequest("tx without body".into()))?;
    let auth_info = tx
        .auth_info
        .ok_or_else(|| SdkError::InvalidRequest("tx without auth info".into()))?;
    Ok(TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: auth_info.encode_to_vec(),
        signatures: tx.signatures,
    }
    .encode_to_vec())
}

/// An encoded `SimulateResponse` for a successful simulation.
#[allow(deprecated)]
pub fn simulate_response(o: &TxOutcome) -> Vec<u8> {
    let events = to_abci_events(&o.events)
        .into_iter()
        .map(tendermint_proto::v0_38::abci::Event::from)
        .collect();
    SimulateResponse {
        gas_info: Some(GasInfo {
            gas_wanted: o.gas_wanted,
            gas_used: o.gas_used,
        }),
        result: Some(AbciResult {
            data: o.data.clone(),
            log: String::new(),
            events,
            msg_responses: Vec::new(),
        }),
    }
    .encode_to_vec()
}

/// The query whose answer the node completes with what only it has: the store's ICS-23 proofs.
const RECORD_PROOF: &str = "/openledger.attribution.v1.Query/RecordProof";

/// A gRPC-method query, for the gRPC server and ABCI `Query` alike: the module's answer from
/// the query router. A `RecordProof` also gets the ICS-23 proofs of its block root against the
/// app hash of `snapshot` (state height `height`; the app hash is in header `height + 1`): the
/// module reads state, only the node holds the tree that proves it.
pub fn route(
    core: &AppCore,
    path: &str,
    snapshot: &Snapshot,
    height: u64,
    req: &[u8],
) -> Result<Vec<u8>, AbciError> {
    let answer = core.queries.route(path, snapshot, req)?;
    if path.starts_with("/ibc.core.channel.v1.Query/")
        || path == "/ibc.core.connection.v1.Query/Connections"
    {
        return with_ibc_height(path, answer, snapshot, height);
    }
    if path != RECORD_PROOF {
        return Ok(answer);
    }
    let mut resp = QueryRecordProofResponse::decode(answer.as_slice())
        .map_err(|e| SdkError::Internal(format!("record proof: {e}")))?;
    let key = format!("attribution/{}", resp.root_key);
    let (value, proof) = snapshot.get_with_proof(&key)?;
    if value.as_deref() != Some(resp.root_value.as_slice()) {
        return Err(
            SdkError::Internal(format!("{key} is not the block root the record names")).into(),
        );
    }
    resp.root_proofs = proof.proofs.iter().map(Message::encode_to_vec).collect();
    resp.proof_height = height;
    Ok(resp.encode_to_vec())
}

/// IBC's list queries answer with the height they read (relayers require it, and only the
/// node knows it): `revision-height` of the snapshot, as ibc-go's handlers fill it.
fn with_ibc_height(
    path: &str,
    answer: Vec<u8>,
    snapshot: &Snapshot,
    height: u64,
) -> Result<Vec<u8>, AbciError> {
    use ibc_proto::ibc::core::channel::v1 as ch;
    use ibc_proto::ibc::core::client::v1::Height;
    use ibc_proto::ibc::core::connection::v1 as conn;
    let chain_id = ChainMeta::load(snapshot)?
        .map(|m| m.chain_id)
        .unwrap_or_default();
    let at = Some(Height {
        revision_number: openledger_ibc::host::revision_number(&chain_id),
        revision_height: height,
    });
    fn set<M: Message + Default>(
        bytes: &[u8],
        at: Option<Height>,
        field: impl FnOnce(&mut M) -> &mut Option<Height>,
    ) -> Result<Vec<u8>, AbciError> {
        let mut m = M::decode(bytes).map_err(|e| SdkError::Internal(e.to_string()))?;
        *field(&mut m) = at;
        Ok(m.encode_to_vec())
    }
    let method = path.rsplit('/').next().unwrap_or_default();
    match method {
        "Channels" => set(&answer, at, |m: &mut ch::QueryChannelsResponse| {
            &mut m.height
        }),
        "ConnectionChannels" => set(
            &answer,
            at,
            |m: &mut ch::QueryConnectionChannelsResponse| &mut m.height,
        ),
        "PacketCommitments" => set(&answer, at, |m: &mut ch::QueryPacketCommitmentsResponse| {
            &mut m.height
        }),
        "PacketAcknowledgements" => set(
            &answer,
            at,
            |m: &mut ch::QueryPacketAcknowledgementsResponse| &mut m.height,
        ),
        "UnreceivedPackets" => set(&answer, at, |m: &mut ch::QueryUnreceivedPacketsResponse| {
            &mut m.height
        }),
        "UnreceivedAcks" => set(&answer, at, |m: &mut ch::QueryUnreceivedAcksResponse| {
            &mut m.height
        }),
        "Connections" => set(&answer, at, |m: &mut conn::QueryConnectionsResponse| {
            &mut m.height
        }),
        _ => Ok(answer),
    }
}

/// The gRPC code of a chain error, as a Cosmos SDK query handler would return it.
pub fn grpc_code(e: &AbciError) -> tonic::Code {
    match (e.codespace.as_str(), e.code) {
        ("sdk", 38) | ("sdk", 22) | ("auth", 2) => tonic::Code::NotFound,
        ("sdk", 2) | ("sdk", 7) | ("sdk", 10) | ("sdk", 18) | ("sdk", 6) => {
            tonic::Code::InvalidArgument
        }
        _ => tonic::Code::Unknown,
    }
}

/// A gRPC query handler's error as the Cosmos SDK's baseapp reports it over ABCI: the handler's
/// gRPC status wrapped in the SDK error of its code (`rpc error: code = NotFound desc = …: key
/// not found`, code 22). Clients match on this text: cosmjs' `getAccount` answers `null` for
/// an account the chain does not know only when it reads `rpc error: code = NotFound`.
fn grpc_query_error(e: AbciError) -> AbciError {
    let code = grpc_code(&e);
    let wrapped = match code {
        tonic::Code::NotFound => SdkError::KeyNotFound(String::new()),
        tonic::Code::InvalidArgument => SdkError::InvalidRequest(String::new()),
        _ => SdkError::UnknownRequest(String::new()),
    };
    let what = wrapped.to_string();
    let what = what.trim_end_matches(": ");
    AbciError::new(
        "sdk",
        wrapped.code(),
        format!("rpc error: code = {code:?} desc = {}: {what}", e.message),
    )
}

/// ABCI `Query`: gRPC method paths through the query router, `store/<module>/key` (with
/// ICS-23 proofs when `prove`), and `app/simulate`.
pub fn abci_query(core: &AppCore, q: request::Query) -> response::Query {
    let result = at_height(core, q.height.value()).and_then(|(snapshot, meta)| {
        let height = meta.as_ref().map_or(0, |m| m.height);
        if let Some(rest) = q.path.strip_prefix("store/") {
            let module = rest.strip_suffix("/key").unwrap_or(rest);
            let key_str = std::str::from_utf8(&q.data)
                .map_err(|_| SdkError::InvalidRequest("store keys are UTF-8".into()))?;
            let key = format!("{module}/{key_str}");
            if q.prove {
                let (value, proof) = snapshot.get_with_proof(&key)?;
                let ops = proof
                    .proofs
                    .iter()
                    .zip([key.clone(), module.to_string()])
                    .map(|(p, k)| tendermint::merkle::proof::ProofOp {
                        field_type: "ics23:jmt".into(),
                        key: k.into_bytes(),
                        data: prost::Message::encode_to_vec(p),
                    })
                    .collect();
                Ok((
                    value.unwrap_or_default(),
                    Some(tendermint::merkle::proof::ProofOps { ops }),
                    height,
                ))
            } else {
                Ok((snapshot.get(&key)?.unwrap_or_default(), None, height))
            }
        } else if q.path == "app/simulate" || q.path == "/cosmos.tx.v1beta1.Service/Simulate" {
            let meta = meta.unwrap_or_default();
            let bytes = if q.path == "app/simulate" {
                q.data.to_vec()
            } else {
                simulate_request_tx(&q.data)?
            };
            let o = state_machine::simulate(core, &snapshot, &meta, &bytes);
            if o.code != 0 {
                return Err(AbciError::new(o.codespace, o.code, o.log));
            }
            Ok((simulate_response(&o), None, height))
        } else if core.queries.contains(&q.path) {
            let value =
                route(core, &q.path, &snapshot, height, &q.data).map_err(grpc_query_error)?;
            Ok((value, None, height))
        } else {
            Err(SdkError::UnknownRequest(format!("unknown query path {}", q.path)).into())
        }
    });
    match result {
        Ok((value, proof, height)) => response::Query {
            code: Code::Ok,
            key: q.data,
            value: value.into(),
            proof,
            height: height.try_into().unwrap_or_default(),
            ..Default::default()
        },
        Err(e) => response::Query {
            code: Code::from(e.code),
            codespace: e.codespace,
            log: e.message,
            ..Default::default()
        },
    }
}
