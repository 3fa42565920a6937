//! The `cosmos.base.*` services: `cosmos.base.tendermint.v1beta1.Service` (node info, syncing,
//! blocks through CometBFT's RPC, ABCI queries on the state machine) and `cosmos.base.node.v1beta1.Service`.

use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use openledger_framework::AbciError;
use openledger_state_machine::{self as state_machine};
use tendermint_rpc::Client;
use tonic::{Request, Response, Status};

use super::{Node, status_of, unsupported};
use crate::query;

fn block_parts(
    b: tendermint::Block,
    id: tendermint::block::Id,
) -> (
    Option<tendermint_proto::v0_38::types::BlockId>,
    Option<tendermint_proto::v0_38::types::Block>,
) {
    (Some(id.into()), Some(b.into()))
}

#[tonic::async_trait]
impl tm::service_server::Service for Node {
    async fn get_node_info(
        &self,
        _req: Request<tm::GetNodeInfoRequest>,
    ) -> Result<Response<tm::GetNodeInfoResponse>, Status> {
        let s = self.comet.status().await.map_err(Self::comet_err)?;
        let ni = s.node_info;
        let default_node_info = Some(tendermint_proto::v0_38::p2p::DefaultNodeInfo {
            protocol_version: Some(tendermint_proto::v0_38::p2p::ProtocolVersion {
                p2p: ni.protocol_version.p2p,
                block: ni.protocol_version.block,
                app: ni.protocol_version.app,
            }),
            default_node_id: ni.id.to_string(),
            listen_addr: ni.listen_addr.to_string(),
            network: ni.network.to_string(),
            version: ni.version.to_string(),
            channels: ni.channels.to_string().into_bytes(),
            moniker: ni.moniker.to_string(),
            other: Some(tendermint_proto::v0_38::p2p::DefaultNodeInfoOther {
                tx_index: format!("{:?}", ni.other.tx_index).to_lowercase(),
                rpc_address: ni.other.rpc_address.clone(),
            }),
        });
        Ok(Response::new(tm::GetNodeInfoResponse {
            default_node_info,
            application_version: Some(tm::VersionInfo {
                name: "openledger".into(),
                app_name: "openledgerd".into(),
                version: env!("CARGO_PKG_VERSION").into(),
                git_commit: String::new(),
                build_tags: String::new(),
                go_version: String::new(),
                build_deps: Vec::new(),
                cosmos_sdk_version: String::new(),
            }),
        }))
    }

    async fn get_syncing(
        &self,
        _req: Request<tm::GetSyncingRequest>,
    ) -> Result<Response<tm::GetSyncingResponse>, Status> {
        let s = self.comet.status().await.map_err(Self::comet_err)?;
        Ok(Response::new(tm::GetSyncingResponse {
            syncing: s.sync_info.catching_up,
        }))
    }

    #[allow(deprecated)]
    async fn get_latest_block(
        &self,
        _req: Request<tm::GetLatestBlockRequest>,
    ) -> Result<Response<tm::GetLatestBlockResponse>, Status> {
        let r = self.comet.latest_block().await.map_err(Self::comet_err)?;
        let (block_id, block) = block_parts(r.block, r.block_id);
        Ok(Response::new(tm::GetLatestBlockResponse {
            block_id,
            block,
            sdk_block: None,
        }))
    }

    #[allow(deprecated)]
    async fn get_block_by_height(
        &self,
        req: Request<tm::GetBlockByHeightRequest>,
    ) -> Result<Response<tm::GetBlockByHeightResponse>, Status> {
        let h = req.into_inner().height;
        let height = tendermint::block::Height::try_from(h)
            .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let r = self.comet.block(height).await.map_err(Self::comet_err)?;
        let (block_id, block) = block_parts(r.block, r.block_id);
        Ok(Response::new(tm::GetBlockByHeightResponse {
            block_id,
            block,
            sdk_block: None,
        }))
    }

    async fn get_latest_validator_set(
        &self,
        _req: Request<tm::GetLatestValidatorSetRequest>,
    ) -> Result<Response<tm::GetLatestValidatorSetResponse>, Status> {
        Err(unsupported("get_latest_validator_set"))
    }
    async fn get_validator_set_by_height(
        &self,
        _req: Request<tm::GetValidatorSetByHeightRequest>,
    ) -> Result<Response<tm::GetValidatorSetByHeightResponse>, Status> {
        Err(unsupported("get_validator_set_by_height"))
    }

    async fn abci_query(
        &self,
        req: Request<tm::AbciQueryRequest>,
    ) -> Result<Response<tm::AbciQueryResponse>, Status> {
        let r = req.into_inner();
        let core = self.core.clone();
        let q = tendermint::v0_38::abci::request::Query {
            data: r.data.into(),
            path: r.path,
            height: tendermint::block::Height::try_from(r.height)
                .map_err(|e| Status::invalid_argument(e.to_string()))?,
            prove: r.prove,
        };
        let resp = tokio::task::spawn_blocking(move || query::abci_query(&core, q))
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
        Ok(Response::new(tm::AbciQueryResponse {
            code: resp.code.value(),
            log: resp.log,
            info: resp.info,
            index: resp.index,
            key: resp.key.to_vec(),
            value: resp.value.to_vec(),
            proof_ops: resp.proof.map(|p| tm::ProofOps {
                ops: p
                    .ops
                    .into_iter()
                    .map(|o| tm::ProofOp {
                        r#type: o.field_type,
                        key: o.key,
                        data: o.data,
                    })
                    .collect(),
            }),
            height: resp.height.value() as i64,
            codespace: resp.codespace,
        }))
    }
}

#[tonic::async_trait]
impl node::service_server::Service for Node {
    async fn config(
        &self,
        _req: Request<node::ConfigRequest>,
    ) -> Result<Response<node::ConfigResponse>, Status> {
        Ok(Response::new(node::ConfigResponse {
            minimum_gas_price: self.minimum_gas_price.clone(),
            pruning_keep_recent: String::new(),
            pruning_interval: String::new(),
            halt_height: 0,
        }))
    }

    async fn status(
        &self,
        _req: Request<node::StatusRequest>,
    ) -> Result<Response<node::StatusResponse>, Status> {
        let core = self.core.clone();
        let (meta, hash) = tokio::task::spawn_blocking(move || -> Result<_, AbciError> {
            let snap = core.storage.latest_snapshot();
            Ok((
                state_machine::ChainMeta::load(&snap)?.unwrap_or_default(),
                snap.root_hash()?,
            ))
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(status_of)?;
        Ok(Response::new(node::StatusResponse {
            earliest_store_height: meta.initial_height,
            height: meta.height,
            timestamp: Some(tendermint_proto::google::protobuf::Timestamp {
                seconds: meta.block_time.0,
                nanos: meta.block_time.1 as i32,
            }),
            app_hash: hash.to_vec(),
            validator_hash: Vec::new(),
        }))
    }
}
