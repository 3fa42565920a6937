//! Query helpers shared by ABCI `Query` and the gRPC server: choosing the snapshot for a height,
//! and the `Simulate` request/response shapes.

use cosmrs::proto::cosmos::base::abci::v1beta1::{GasInfo, Result as AbciResult};
use cosmrs::proto::cosmos::tx::v1beta1::{SimulateRequest, SimulateResponse, TxRaw};
use openledger_framework::AbciError;
use openledger_framework::error::SdkError;
use openledger_framework::store::Snapshot;
use prost::Message;

use crate::abci::to_abci_events;
use crate::state_machine::{AppCore, ChainMeta, TxOutcome};

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
