//! The chain itself, over the `cosmos.tx.v1beta1` and `cosmos.base.*` services: `query tx`,
//! `query block` and `status`.

use anyhow::anyhow;
use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::output::tx_response_json;
use crate::client::status;

/// `query tx <hash>`.
pub async fn tx(ch: &Channel, hash: &str) -> anyhow::Result<Value> {
    let mut svc = txv1::service_client::ServiceClient::new(ch.clone());
    let r = svc
        .get_tx(txv1::GetTxRequest {
            hash: hash.to_string(),
        })
        .await
        .map_err(status)?
        .into_inner();
    let tr = r
        .tx_response
        .ok_or_else(|| anyhow!("tx {hash} not found"))?;
    Ok(tx_response_json(&tr))
}

/// `query block [height]`: the latest block by default.
pub async fn block(ch: &Channel, height: Option<u64>) -> anyhow::Result<Value> {
    let mut svc = tm::service_client::ServiceClient::new(ch.clone());
    let (id, block) = match height {
        None => {
            let r = svc
                .get_latest_block(tm::GetLatestBlockRequest {})
                .await
                .map_err(status)?
                .into_inner();
            (r.block_id, r.block)
        }
        Some(h) => {
            let r = svc
                .get_block_by_height(tm::GetBlockByHeightRequest { height: h as i64 })
                .await
                .map_err(status)?
                .into_inner();
            (r.block_id, r.block)
        }
    };
    let block = block.ok_or_else(|| anyhow!("no block in response"))?;
    let header = block.header.unwrap_or_default();
    let time = header
        .time
        .map(|t| format!("{}.{:09}", t.seconds, t.nanos))
        .unwrap_or_default();
    Ok(json!({
        "block_id": {"hash": id.map(|i| hex::encode_upper(i.hash)).unwrap_or_default()},
        "block": {
            "header": {
                "chain_id": header.chain_id,
                "height": header.height.to_string(),
                "time": time,
                "app_hash": hex::encode_upper(header.app_hash),
                "proposer_address": hex::encode_upper(header.proposer_address),
            },
            "data": {"txs": block.data.map(|d| d.txs.len()).unwrap_or(0)},
        }
    }))
}

/// `status`: height, app hash, syncing.
pub async fn node_status(ch: &Channel) -> anyhow::Result<Value> {
    let mut svc = tm::service_client::ServiceClient::new(ch.clone());
    let info = svc
        .get_node_info(tm::GetNodeInfoRequest {})
        .await
        .map_err(status)?
        .into_inner();
    let syncing = svc
        .get_syncing(tm::GetSyncingRequest {})
        .await
        .map_err(status)?
        .into_inner();
    let mut n = node::service_client::ServiceClient::new(ch.clone());
    let st = n
        .status(node::StatusRequest {})
        .await
        .map_err(status)?
        .into_inner();
    let ni = info.default_node_info.unwrap_or_default();
    Ok(json!({
        "node_info": {"id": ni.default_node_id, "network": ni.network, "moniker": ni.moniker, "version": ni.version},
        "sync_info": {
            "latest_block_height": st.height.to_string(),
            "latest_app_hash": hex::encode_upper(st.app_hash),
            "catching_up": syncing.syncing,
        },
    }))
}
