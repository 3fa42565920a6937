//! The gRPC server on `--grpc.address`: the standard Cosmos services, with server reflection.
//!
//! - every module's query service ([`module_queries`]): routed by the method's path straight into
//!   the state machine's [`QueryRouter`](openledger_framework::QueryRouter), the same one ABCI
//!   `Query` uses, on the snapshot named by the `x-cosmos-block-height` header (latest by
//!   default); a path no module registered answers `Unimplemented`;
//! - the services that are not module queries, typed: `cosmos.tx.v1beta1.Service` ([`tx`]:
//!   Simulate on the state machine, broadcast and GetTx through CometBFT's RPC),
//!   `cosmos.base.tendermint.v1beta1.Service` and `cosmos.base.node.v1beta1.Service`
//!   ([`base`]).

#![allow(clippy::result_large_err)] // tonic::Status is the error type of every gRPC method.

pub mod base;
pub mod module_queries;
pub mod tx;

use std::sync::Arc;

use cosmrs::proto::cosmos::base::node::v1beta1 as node;
use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use openledger_framework::AbciError;
use openledger_state_machine::AppCore;
use tonic::service::Routes;
use tonic::{Request, Status};

use module_queries::ModuleQueries;

use crate::query::grpc_code;

pub const HEIGHT_HEADER: &str = "x-cosmos-block-height";

/// Largest gRPC message in either direction: a transaction carrying adapter weights, or the
/// weights themselves (tonic's default is 4 MiB).
pub const MAX_MESSAGE_BYTES: usize = 2 * openledger_state_machine::ante::MAX_TX_BYTES;

/// Maps a chain error to the gRPC status a Cosmos client expects.
pub fn status_of(e: AbciError) -> Status {
    let msg = sanitize(&format!(
        "{} (codespace: {}, code: {})",
        e.message, e.codespace, e.code
    ));
    Status::new(grpc_code(&e), msg)
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

pub(crate) fn unsupported(method: &str) -> Status {
    Status::unimplemented(format!("{method} is not supported by OpenLedger yet"))
}

#[derive(Clone)]
pub struct Node {
    pub(crate) core: Arc<AppCore>,
    pub(crate) comet: tendermint_rpc::HttpClient,
    pub(crate) minimum_gas_price: String,
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

    pub(crate) fn comet_err(e: impl std::fmt::Display) -> Status {
        let msg = sanitize(&e.to_string());
        if msg.contains("already exists in cache") {
            Status::already_exists(format!("tx already exists in cache: {msg}"))
        } else {
            Status::unavailable(format!("CometBFT RPC: {msg}"))
        }
    }
}

/// The height a request asks for (the `x-cosmos-block-height` header; 0, the latest, without it).
pub(crate) fn height_of<T>(req: &Request<T>) -> Result<u64, Status> {
    match req.metadata().get(HEIGHT_HEADER) {
        None => Ok(0),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| Status::invalid_argument(format!("invalid {HEIGHT_HEADER} header"))),
    }
}

/// Serves every service (and reflection) until `shutdown` resolves.
pub async fn serve(
    node: Node,
    addr: std::net::SocketAddr,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(openledger_proto::COSMOS_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(openledger_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(ibc_proto::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    let reflection_v1alpha = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(openledger_proto::COSMOS_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(openledger_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(ibc_proto::FILE_DESCRIPTOR_SET)
        .build_v1alpha()?;
    let module_queries = ModuleQueries::new(node.core.clone());
    let mut router = Routes::new(
        txv1::service_server::ServiceServer::new(node.clone())
            .max_decoding_message_size(MAX_MESSAGE_BYTES),
    )
    .add_service(tm::service_server::ServiceServer::new(node.clone()))
    .add_service(node::service_server::ServiceServer::new(node))
    .add_service(reflection)
    .add_service(reflection_v1alpha)
    .into_axum_router();
    for service in module_queries.services() {
        router = router.route_service(&format!("/{service}/*rest"), module_queries.clone());
    }
    tracing::info!(%addr, "gRPC server listening");
    tonic::transport::Server::builder()
        .add_routes(Routes::from(router))
        .serve_with_shutdown(addr, shutdown)
        .await?;
    Ok(())
}
