//! `cosmos.tx.v1beta1.Service`: Simulate on the state machine; BroadcastTx and GetTx through
//! CometBFT's RPC; TxEncode/TxDecode.

use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use openledger_framework::AbciError;
use openledger_state_machine::ante::MAX_TX_BYTES;
use openledger_state_machine::{self as state_machine};
use prost::Message;
use tendermint_rpc::Client;
use tonic::{Request, Response, Status};

use super::{Node, status_of, unsupported};
use crate::query;

/// A CometBFT `/tx` result as the Cosmos `TxResponse`.
fn tx_response(r: tendermint_rpc::endpoint::tx::Response) -> TxResponse {
    let events: Vec<tendermint_proto::v0_38::abci::Event> =
        r.tx_result.events.iter().cloned().map(Into::into).collect();
    let tx = txv1::TxRaw::decode(r.tx.as_slice())
        .ok()
        .map(|raw| cosmrs::Any {
            type_url: "/cosmos.tx.v1beta1.Tx".into(),
            value: raw_to_tx(&raw).encode_to_vec(),
        });
    TxResponse {
        height: r.height.value() as i64,
        txhash: r.hash.to_string(),
        codespace: r.tx_result.codespace.clone(),
        code: r.tx_result.code.value(),
        data: hex::encode_upper(&r.tx_result.data),
        raw_log: r.tx_result.log.clone(),
        logs: Vec::new(),
        info: r.tx_result.info.clone(),
        gas_wanted: r.tx_result.gas_wanted,
        gas_used: r.tx_result.gas_used,
        tx,
        timestamp: String::new(),
        events,
    }
}

fn raw_to_tx(raw: &txv1::TxRaw) -> txv1::Tx {
    txv1::Tx {
        body: txv1::TxBody::decode(raw.body_bytes.as_slice()).ok(),
        auth_info: txv1::AuthInfo::decode(raw.auth_info_bytes.as_slice()).ok(),
        signatures: raw.signatures.clone(),
    }
}

#[tonic::async_trait]
impl txv1::service_server::Service for Node {
    async fn simulate(
        &self,
        req: Request<txv1::SimulateRequest>,
    ) -> Result<Response<txv1::SimulateResponse>, Status> {
        let core = self.core.clone();
        let data = req.into_inner().encode_to_vec();
        tokio::task::spawn_blocking(move || {
            let bytes = query::simulate_request_tx(&data)?;
            let (snapshot, meta) = query::at_height(&core, 0)?;
            let o = state_machine::simulate(&core, &snapshot, &meta.unwrap_or_default(), &bytes);
            if o.code != 0 {
                return Err(AbciError::new(o.codespace, o.code, o.log));
            }
            txv1::SimulateResponse::decode(query::simulate_response(&o).as_slice())
                .map_err(|e| AbciError::new("sdk", 1, e.to_string()))
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map(Response::new)
        .map_err(status_of)
    }

    async fn get_tx(
        &self,
        req: Request<txv1::GetTxRequest>,
    ) -> Result<Response<txv1::GetTxResponse>, Status> {
        let hash: tendermint::Hash = req
            .into_inner()
            .hash
            .parse()
            .map_err(|e| Status::invalid_argument(format!("invalid tx hash: {e}")))?;
        let r = self.comet.tx(hash, false).await.map_err(|e| {
            if e.to_string().contains("not found") {
                Status::not_found(format!("tx not found: {hash}"))
            } else {
                Self::comet_err(e)
            }
        })?;
        let resp = tx_response(r);
        let tx = resp
            .tx
            .as_ref()
            .and_then(|a| txv1::Tx::decode(a.value.as_slice()).ok());
        Ok(Response::new(txv1::GetTxResponse {
            tx,
            tx_response: Some(resp),
        }))
    }

    async fn broadcast_tx(
        &self,
        req: Request<txv1::BroadcastTxRequest>,
    ) -> Result<Response<txv1::BroadcastTxResponse>, Status> {
        let req = req.into_inner();
        if req.tx_bytes.len() > MAX_TX_BYTES {
            return Err(Status::invalid_argument(format!(
                "tx too large: {} bytes, the maximum is {}",
                req.tx_bytes.len(),
                MAX_TX_BYTES
            )));
        }
        let r = self
            .comet
            .broadcast_tx_sync(req.tx_bytes)
            .await
            .map_err(Self::comet_err)?;
        Ok(Response::new(txv1::BroadcastTxResponse {
            tx_response: Some(TxResponse {
                txhash: r.hash.to_string(),
                codespace: r.codespace,
                code: r.code.value(),
                raw_log: r.log,
                ..Default::default()
            }),
        }))
    }

    async fn get_txs_event(
        &self,
        _req: Request<txv1::GetTxsEventRequest>,
    ) -> Result<Response<txv1::GetTxsEventResponse>, Status> {
        Err(unsupported("get_txs_event"))
    }
    async fn get_block_with_txs(
        &self,
        _req: Request<txv1::GetBlockWithTxsRequest>,
    ) -> Result<Response<txv1::GetBlockWithTxsResponse>, Status> {
        Err(unsupported("get_block_with_txs"))
    }
    async fn tx_encode_amino(
        &self,
        _req: Request<txv1::TxEncodeAminoRequest>,
    ) -> Result<Response<txv1::TxEncodeAminoResponse>, Status> {
        Err(unsupported("tx_encode_amino"))
    }
    async fn tx_decode_amino(
        &self,
        _req: Request<txv1::TxDecodeAminoRequest>,
    ) -> Result<Response<txv1::TxDecodeAminoResponse>, Status> {
        Err(unsupported("tx_decode_amino"))
    }

    async fn tx_decode(
        &self,
        req: Request<txv1::TxDecodeRequest>,
    ) -> Result<Response<txv1::TxDecodeResponse>, Status> {
        let raw = txv1::TxRaw::decode(req.into_inner().tx_bytes.as_slice())
            .map_err(|e| Status::invalid_argument(format!("invalid TxRaw: {e}")))?;
        Ok(Response::new(txv1::TxDecodeResponse {
            tx: Some(raw_to_tx(&raw)),
        }))
    }

    async fn tx_encode(
        &self,
        req: Request<txv1::TxEncodeRequest>,
    ) -> Result<Response<txv1::TxEncodeResponse>, Status> {
        let tx = req
            .into_inner()
            .tx
            .ok_or_else(|| Status::invalid_argument("tx is required"))?;
        let raw = txv1::TxRaw {
            body_bytes: tx.body.map(|b| b.encode_to_vec()).unwrap_or_default(),
            auth_info_bytes: tx.auth_info.map(|a| a.encode_to_vec()).unwrap_or_default(),
            signatures: tx.signatures,
        };
        Ok(Response::new(txv1::TxEncodeResponse {
            tx_bytes: raw.encode_to_vec(),
        }))
    }
}
