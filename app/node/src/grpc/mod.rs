//! The gRPC server on `--grpc.address`: the standard Cosmos services, with server reflection.
//!
//! Query methods go through the same [`QueryRouter`](openledger_framework::QueryRouter) as ABCI
//! `Query`, on the snapshot named by the `x-cosmos-block-height` header (latest by default).
//! Transaction broadcast and block queries are forwarded to CometBFT's RPC.

#![allow(clippy::result_large_err)] // tonic::Status is the error type of every gRPC method.

use std::sync::Arc;

use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::distribution::v1beta1 as distr;
use cosmrs::proto::cosmos::gov::v1 as gov;
use cosmrs::proto::cosmos::mint::v1beta1 as mint;
use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use cosmrs::proto::cosmwasm::wasm::v1 as wasm;
use openledger_framework::AbciError;
use openledger_proto::cosmwasm_query as wasm_query;
use openledger_proto::openledger::datanet::v1 as datanet;
use openledger_proto::openledger::models::v1 as models;
use prost::Message;
use tendermint_rpc::Client;
use tonic::{Request, Response, Status};

use crate::query;
use crate::state_machine::{self, AppCore};

pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// Largest gRPC message in either direction: a transaction carrying adapter weights, or the
/// weights themselves (tonic's default is 4 MiB).
pub const MAX_MESSAGE_BYTES: usize = 2 * crate::ante::MAX_TX_BYTES;

/// Maps a chain error to the gRPC status a Cosmos client expects.
pub fn status_of(e: AbciError) -> Status {
    let msg = sanitize(&format!(
        "{} (codespace: {}, code: {})",
        e.message, e.codespace, e.code
    ));
    match (e.codespace.as_str(), e.code) {
        ("sdk", 38) | ("sdk", 22) | ("auth", 2) => Status::not_found(msg),
        ("sdk", 2) | ("sdk", 7) | ("sdk", 10) | ("sdk", 18) | ("sdk", 6) => {
            Status::invalid_argument(msg)
        }
        _ => Status::unknown(msg),
    }
}

/// One short line of printable ASCII: gRPC status messages travel in an HTTP/2 header (and
/// tendermint-rpc errors can carry a whole backtrace after `Location:`).
fn sanitize(s: &str) -> String {
    let s = s.split("Location:").next().unwrap_or(s);
    let s: String = s.chars().take(512).collect();
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '?'
            }
        })
        .collect()
}

fn unsupported(method: &str) -> Status {
    Status::unimplemented(format!("{method} is not supported by OpenLedger yet"))
}

#[derive(Clone)]
pub struct Node {
    core: Arc<AppCore>,
    comet: tendermint_rpc::HttpClient,
    minimum_gas_price: String,
}

impl Node {
    pub fn new(
        core: Arc<AppCore>,
        comet_rpc: &str,
        minimum_gas_price: String,
    ) -> anyhow::Result<Self> {
        let comet = tendermint_rpc::HttpClient::new(comet_rpc)?;
        Ok(Self {
            core,
            comet,
            minimum_gas_price,
        })
    }

    fn height_of<T>(req: &Request<T>) -> Result<u64, Status> {
        match req.metadata().get(HEIGHT_HEADER) {
            None => Ok(0),
            Some(v) => {
                v.to_str().ok().and_then(|s| s.parse().ok()).ok_or_else(|| {
                    Status::invalid_argument(format!("invalid {HEIGHT_HEADER} header"))
                })
            }
        }
    }

    async fn route<Req, Resp>(
        &self,
        path: &'static str,
        req: Request<Req>,
    ) -> Result<Response<Resp>, Status>
    where
        Req: Message + Send + 'static,
        Resp: Message + Default + Send + 'static,
    {
        let height = Self::height_of(&req)?;
        let core = self.core.clone();
        let req = req.into_inner();
        tokio::task::spawn_blocking(move || {
            let (snapshot, _) = query::at_height(&core, height)?;
            core.queries.query::<Req, Resp>(path, &snapshot, &req)
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map(Response::new)
        .map_err(status_of)
    }

    fn comet_err(e: impl std::fmt::Display) -> Status {
        let msg = sanitize(&e.to_string());
        if msg.contains("already exists in cache") {
            Status::already_exists(format!("tx already exists in cache: {msg}"))
        } else {
            Status::unavailable(format!("CometBFT RPC: {msg}"))
        }
    }
}

#[tonic::async_trait]
impl auth::query_server::Query for Node {
    async fn accounts(
        &self,
        req: Request<auth::QueryAccountsRequest>,
    ) -> Result<Response<auth::QueryAccountsResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/Accounts", req).await
    }
    async fn account(
        &self,
        req: Request<auth::QueryAccountRequest>,
    ) -> Result<Response<auth::QueryAccountResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/Account", req).await
    }
    async fn account_address_by_id(
        &self,
        req: Request<auth::QueryAccountAddressByIdRequest>,
    ) -> Result<Response<auth::QueryAccountAddressByIdResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/AccountAddressByID", req)
            .await
    }
    async fn params(
        &self,
        req: Request<auth::QueryParamsRequest>,
    ) -> Result<Response<auth::QueryParamsResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/Params", req).await
    }
    async fn module_account_by_name(
        &self,
        req: Request<auth::QueryModuleAccountByNameRequest>,
    ) -> Result<Response<auth::QueryModuleAccountByNameResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/ModuleAccountByName", req)
            .await
    }
    async fn bech32_prefix(
        &self,
        req: Request<auth::Bech32PrefixRequest>,
    ) -> Result<Response<auth::Bech32PrefixResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/Bech32Prefix", req)
            .await
    }
    async fn account_info(
        &self,
        req: Request<auth::QueryAccountInfoRequest>,
    ) -> Result<Response<auth::QueryAccountInfoResponse>, Status> {
        self.route("/cosmos.auth.v1beta1.Query/AccountInfo", req)
            .await
    }
    async fn module_accounts(
        &self,
        _req: Request<auth::QueryModuleAccountsRequest>,
    ) -> Result<Response<auth::QueryModuleAccountsResponse>, Status> {
        Err(unsupported("module_accounts"))
    }
    async fn address_bytes_to_string(
        &self,
        _req: Request<auth::AddressBytesToStringRequest>,
    ) -> Result<Response<auth::AddressBytesToStringResponse>, Status> {
        Err(unsupported("address_bytes_to_string"))
    }
    async fn address_string_to_bytes(
        &self,
        _req: Request<auth::AddressStringToBytesRequest>,
    ) -> Result<Response<auth::AddressStringToBytesResponse>, Status> {
        Err(unsupported("address_string_to_bytes"))
    }
}

#[tonic::async_trait]
impl bank::query_server::Query for Node {
    async fn balance(
        &self,
        req: Request<bank::QueryBalanceRequest>,
    ) -> Result<Response<bank::QueryBalanceResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/Balance", req).await
    }
    async fn all_balances(
        &self,
        req: Request<bank::QueryAllBalancesRequest>,
    ) -> Result<Response<bank::QueryAllBalancesResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/AllBalances", req)
            .await
    }
    async fn spendable_balances(
        &self,
        req: Request<bank::QuerySpendableBalancesRequest>,
    ) -> Result<Response<bank::QuerySpendableBalancesResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/SpendableBalances", req)
            .await
    }
    async fn spendable_balance_by_denom(
        &self,
        req: Request<bank::QuerySpendableBalanceByDenomRequest>,
    ) -> Result<Response<bank::QuerySpendableBalanceByDenomResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom", req)
            .await
    }
    async fn total_supply(
        &self,
        req: Request<bank::QueryTotalSupplyRequest>,
    ) -> Result<Response<bank::QueryTotalSupplyResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/TotalSupply", req)
            .await
    }
    async fn supply_of(
        &self,
        req: Request<bank::QuerySupplyOfRequest>,
    ) -> Result<Response<bank::QuerySupplyOfResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/SupplyOf", req).await
    }
    async fn params(
        &self,
        req: Request<bank::QueryParamsRequest>,
    ) -> Result<Response<bank::QueryParamsResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/Params", req).await
    }
    async fn denom_owners(
        &self,
        req: Request<bank::QueryDenomOwnersRequest>,
    ) -> Result<Response<bank::QueryDenomOwnersResponse>, Status> {
        self.route("/cosmos.bank.v1beta1.Query/DenomOwners", req)
            .await
    }
    async fn denom_metadata(
        &self,
        _req: Request<bank::QueryDenomMetadataRequest>,
    ) -> Result<Response<bank::QueryDenomMetadataResponse>, Status> {
        Err(unsupported("denom_metadata"))
    }
    async fn denom_metadata_by_query_string(
        &self,
        _req: Request<bank::QueryDenomMetadataByQueryStringRequest>,
    ) -> Result<Response<bank::QueryDenomMetadataByQueryStringResponse>, Status> {
        Err(unsupported("denom_metadata_by_query_string"))
    }
    async fn denoms_metadata(
        &self,
        _req: Request<bank::QueryDenomsMetadataRequest>,
    ) -> Result<Response<bank::QueryDenomsMetadataResponse>, Status> {
        Err(unsupported("denoms_metadata"))
    }
    async fn denom_owners_by_query(
        &self,
        _req: Request<bank::QueryDenomOwnersByQueryRequest>,
    ) -> Result<Response<bank::QueryDenomOwnersByQueryResponse>, Status> {
        Err(unsupported("denom_owners_by_query"))
    }
    async fn send_enabled(
        &self,
        _req: Request<bank::QuerySendEnabledRequest>,
    ) -> Result<Response<bank::QuerySendEnabledResponse>, Status> {
        Err(unsupported("send_enabled"))
    }
}

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
        if req.tx_bytes.len() > crate::ante::MAX_TX_BYTES {
            return Err(Status::invalid_argument(format!(
                "tx too large: {} bytes, the maximum is {}",
                req.tx_bytes.len(),
                crate::ante::MAX_TX_BYTES
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
        let resp = tokio::task::spawn_blocking(move || crate::abci::abci_query(&core, q))
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

/// Implements a query service whose methods are routed by their gRPC path; those listed under
/// `unsupported` answer `Unimplemented`.
macro_rules! routed_service {
    ($service:path, $package:literal { $($method:ident($req:ty) -> $resp:ty = $name:literal;)* }
     $(unsupported { $($umethod:ident($ureq:ty) -> $uresp:ty;)* })?) => {
        #[tonic::async_trait]
        impl $service for Node {
            $(
                async fn $method(&self, req: Request<$req>) -> Result<Response<$resp>, Status> {
                    self.route(concat!("/", $package, "/", $name), req).await
                }
            )*
            $($(
                async fn $umethod(&self, _req: Request<$ureq>) -> Result<Response<$uresp>, Status> {
                    Err(unsupported(stringify!($umethod)))
                }
            )*)?
        }
    };
}

routed_service!(staking::query_server::Query, "cosmos.staking.v1beta1.Query" {
    validators(staking::QueryValidatorsRequest) -> staking::QueryValidatorsResponse = "Validators";
    validator(staking::QueryValidatorRequest) -> staking::QueryValidatorResponse = "Validator";
    validator_delegations(staking::QueryValidatorDelegationsRequest) -> staking::QueryValidatorDelegationsResponse = "ValidatorDelegations";
    validator_unbonding_delegations(staking::QueryValidatorUnbondingDelegationsRequest) -> staking::QueryValidatorUnbondingDelegationsResponse = "ValidatorUnbondingDelegations";
    delegation(staking::QueryDelegationRequest) -> staking::QueryDelegationResponse = "Delegation";
    unbonding_delegation(staking::QueryUnbondingDelegationRequest) -> staking::QueryUnbondingDelegationResponse = "UnbondingDelegation";
    delegator_delegations(staking::QueryDelegatorDelegationsRequest) -> staking::QueryDelegatorDelegationsResponse = "DelegatorDelegations";
    delegator_unbonding_delegations(staking::QueryDelegatorUnbondingDelegationsRequest) -> staking::QueryDelegatorUnbondingDelegationsResponse = "DelegatorUnbondingDelegations";
    redelegations(staking::QueryRedelegationsRequest) -> staking::QueryRedelegationsResponse = "Redelegations";
    delegator_validators(staking::QueryDelegatorValidatorsRequest) -> staking::QueryDelegatorValidatorsResponse = "DelegatorValidators";
    delegator_validator(staking::QueryDelegatorValidatorRequest) -> staking::QueryDelegatorValidatorResponse = "DelegatorValidator";
    historical_info(staking::QueryHistoricalInfoRequest) -> staking::QueryHistoricalInfoResponse = "HistoricalInfo";
    pool(staking::QueryPoolRequest) -> staking::QueryPoolResponse = "Pool";
    params(staking::QueryParamsRequest) -> staking::QueryParamsResponse = "Params";
});

routed_service!(distr::query_server::Query, "cosmos.distribution.v1beta1.Query" {
    params(distr::QueryParamsRequest) -> distr::QueryParamsResponse = "Params";
    validator_distribution_info(distr::QueryValidatorDistributionInfoRequest) -> distr::QueryValidatorDistributionInfoResponse = "ValidatorDistributionInfo";
    validator_outstanding_rewards(distr::QueryValidatorOutstandingRewardsRequest) -> distr::QueryValidatorOutstandingRewardsResponse = "ValidatorOutstandingRewards";
    validator_commission(distr::QueryValidatorCommissionRequest) -> distr::QueryValidatorCommissionResponse = "ValidatorCommission";
    validator_slashes(distr::QueryValidatorSlashesRequest) -> distr::QueryValidatorSlashesResponse = "ValidatorSlashes";
    delegation_rewards(distr::QueryDelegationRewardsRequest) -> distr::QueryDelegationRewardsResponse = "DelegationRewards";
    delegation_total_rewards(distr::QueryDelegationTotalRewardsRequest) -> distr::QueryDelegationTotalRewardsResponse = "DelegationTotalRewards";
    delegator_validators(distr::QueryDelegatorValidatorsRequest) -> distr::QueryDelegatorValidatorsResponse = "DelegatorValidators";
    delegator_withdraw_address(distr::QueryDelegatorWithdrawAddressRequest) -> distr::QueryDelegatorWithdrawAddressResponse = "DelegatorWithdrawAddress";
    community_pool(distr::QueryCommunityPoolRequest) -> distr::QueryCommunityPoolResponse = "CommunityPool";
});

routed_service!(gov::query_server::Query, "cosmos.gov.v1.Query" {
    constitution(gov::QueryConstitutionRequest) -> gov::QueryConstitutionResponse = "Constitution";
    proposal(gov::QueryProposalRequest) -> gov::QueryProposalResponse = "Proposal";
    proposals(gov::QueryProposalsRequest) -> gov::QueryProposalsResponse = "Proposals";
    vote(gov::QueryVoteRequest) -> gov::QueryVoteResponse = "Vote";
    votes(gov::QueryVotesRequest) -> gov::QueryVotesResponse = "Votes";
    params(gov::QueryParamsRequest) -> gov::QueryParamsResponse = "Params";
    deposit(gov::QueryDepositRequest) -> gov::QueryDepositResponse = "Deposit";
    deposits(gov::QueryDepositsRequest) -> gov::QueryDepositsResponse = "Deposits";
    tally_result(gov::QueryTallyResultRequest) -> gov::QueryTallyResultResponse = "TallyResult";
});

routed_service!(mint::query_server::Query, "cosmos.mint.v1beta1.Query" {
    params(mint::QueryParamsRequest) -> mint::QueryParamsResponse = "Params";
    inflation(mint::QueryInflationRequest) -> mint::QueryInflationResponse = "Inflation";
    annual_provisions(mint::QueryAnnualProvisionsRequest) -> mint::QueryAnnualProvisionsResponse = "AnnualProvisions";
});

routed_service!(slashing::query_server::Query, "cosmos.slashing.v1beta1.Query" {
    params(slashing::QueryParamsRequest) -> slashing::QueryParamsResponse = "Params";
    signing_info(slashing::QuerySigningInfoRequest) -> slashing::QuerySigningInfoResponse = "SigningInfo";
    signing_infos(slashing::QuerySigningInfosRequest) -> slashing::QuerySigningInfosResponse = "SigningInfos";
});

routed_service!(datanet::query_server::Query, "openledger.datanet.v1.Query" {
    params(datanet::QueryParamsRequest) -> datanet::QueryParamsResponse = "Params";
    datanet(datanet::QueryDatanetRequest) -> datanet::QueryDatanetResponse = "Datanet";
    datanets(datanet::QueryDatanetsRequest) -> datanet::QueryDatanetsResponse = "Datanets";
    record(datanet::QueryRecordRequest) -> datanet::QueryRecordResponse = "Record";
    records(datanet::QueryRecordsRequest) -> datanet::QueryRecordsResponse = "Records";
    version(datanet::QueryVersionRequest) -> datanet::QueryVersionResponse = "Version";
    record_proof(datanet::QueryRecordProofRequest) -> datanet::QueryRecordProofResponse = "RecordProof";
    contributor_stats(datanet::QueryContributorStatsRequest) -> datanet::QueryContributorStatsResponse = "ContributorStats";
});

routed_service!(models::query_server::Query, "openledger.models.v1.Query" {
    params(models::QueryParamsRequest) -> models::QueryParamsResponse = "Params";
    base_model(models::QueryBaseModelRequest) -> models::QueryBaseModelResponse = "BaseModel";
    base_models(models::QueryBaseModelsRequest) -> models::QueryBaseModelsResponse = "BaseModels";
    adapter(models::QueryAdapterRequest) -> models::QueryAdapterResponse = "Adapter";
    adapters(models::QueryAdaptersRequest) -> models::QueryAdaptersResponse = "Adapters";
    adapter_weights(models::QueryAdapterWeightsRequest) -> models::QueryAdapterWeightsResponse = "AdapterWeights";
    provenance(models::QueryProvenanceRequest) -> models::QueryProvenanceResponse = "Provenance";
});

routed_service!(wasm_query::query_server::Query, "cosmwasm.wasm.v1.Query" {
    contract_info(wasm::QueryContractInfoRequest) -> wasm::QueryContractInfoResponse = "ContractInfo";
    contracts_by_code(wasm::QueryContractsByCodeRequest) -> wasm::QueryContractsByCodeResponse = "ContractsByCode";
    all_contract_state(wasm::QueryAllContractStateRequest) -> wasm::QueryAllContractStateResponse = "AllContractState";
    raw_contract_state(wasm::QueryRawContractStateRequest) -> wasm::QueryRawContractStateResponse = "RawContractState";
    smart_contract_state(wasm::QuerySmartContractStateRequest) -> wasm::QuerySmartContractStateResponse = "SmartContractState";
    code(wasm::QueryCodeRequest) -> wasm::QueryCodeResponse = "Code";
    codes(wasm::QueryCodesRequest) -> wasm::QueryCodesResponse = "Codes";
    params(wasm::QueryParamsRequest) -> wasm::QueryParamsResponse = "Params";
} unsupported {
    contract_history(wasm::QueryContractHistoryRequest) -> wasm::QueryContractHistoryResponse;
    pinned_codes(wasm::QueryPinnedCodesRequest) -> wasm::QueryPinnedCodesResponse;
    contracts_by_creator(wasm::QueryContractsByCreatorRequest) -> wasm::QueryContractsByCreatorResponse;
    build_address(wasm::QueryBuildAddressRequest) -> wasm::QueryBuildAddressResponse;
});

/// Serves every service (and reflection) until `shutdown` resolves.
pub async fn serve(
    node: Node,
    addr: std::net::SocketAddr,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(openledger_proto::COSMOS_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(openledger_proto::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(openledger_proto::COSMOS_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(openledger_proto::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    tracing::info!(%addr, "gRPC server listening");
    tonic::transport::Server::builder()
        .add_service(auth::query_server::QueryServer::new(node.clone()))
        .add_service(bank::query_server::QueryServer::new(node.clone()))
        .add_service(
            txv1::service_server::ServiceServer::new(node.clone())
                .max_decoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(datanet::query_server::QueryServer::new(node.clone()))
        .add_service(models::query_server::QueryServer::new(node.clone()))
        .add_service(staking::query_server::QueryServer::new(node.clone()))
        .add_service(slashing::query_server::QueryServer::new(node.clone()))
        .add_service(distr::query_server::QueryServer::new(node.clone()))
        .add_service(gov::query_server::QueryServer::new(node.clone()))
        .add_service(mint::query_server::QueryServer::new(node.clone()))
        .add_service(
            wasm_query::query_server::QueryServer::new(node.clone())
                .max_encoding_message_size(MAX_MESSAGE_BYTES),
        )
        .add_service(tm::service_server::ServiceServer::new(node.clone()))
        .add_service(node::service_server::ServiceServer::new(node))
        .add_service(reflection)
        .add_service(reflection_v1alpha)
        .serve_with_shutdown(addr, shutdown)
        .await?;
    Ok(())
}
