//! Every module's query service, served generically: a request's gRPC method path (its HTTP/2
//! `:path`, e.g. `/cosmos.bank.v1beta1.Query/AllBalances`) and its bytes go straight into the
//! state machine's `QueryRouter`, and the router's bytes are the answer. A module registers a
//! query once (`Module::register_queries`); gRPC, ABCI `Query` and the CLI's typed clients all
//! reach it there, and no method is written out again here.

use std::collections::BTreeSet;
use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, BufMut};
use futures::future::BoxFuture;
use openledger_state_machine::AppCore;
use tonic::body::BoxBody;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::codegen::{Body, StdError, http};
use tonic::server::{Grpc, UnaryService};
use tonic::{Request, Response, Status};

use super::{MAX_MESSAGE_BYTES, height_of, status_of, unsupported};
use crate::query;

/// The tower service behind the routes of every module query service.
#[derive(Clone)]
pub struct ModuleQueries {
    core: Arc<AppCore>,
}

impl ModuleQueries {
    pub fn new(core: Arc<AppCore>) -> Self {
        Self { core }
    }

    /// The query services the modules registered methods of (`cosmos.bank.v1beta1.Query`, …).
    pub fn services(&self) -> BTreeSet<String> {
        self.core
            .queries
            .paths()
            .filter_map(|p| p.strip_prefix('/')?.rsplit_once('/'))
            .map(|(service, _)| service.to_string())
            .collect()
    }
}

impl<B> tower::Service<http::Request<B>> for ModuleQueries
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send,
{
    type Response = http::Response<BoxBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let method = Method {
            core: self.core.clone(),
            path: req.uri().path().to_string(),
        };
        Box::pin(async move {
            // Adapter weights and wasm code come back whole.
            let mut grpc =
                Grpc::new(RawBytes).apply_max_message_size_config(None, Some(MAX_MESSAGE_BYTES));
            Ok(grpc.unary(method, req).await)
        })
    }
}

/// One call of the method at `path`.
struct Method {
    core: Arc<AppCore>,
    path: String,
}

impl UnaryService<Vec<u8>> for Method {
    type Response = Vec<u8>;
    type Future = BoxFuture<'static, Result<Response<Vec<u8>>, Status>>;

    fn call(&mut self, req: Request<Vec<u8>>) -> Self::Future {
        let core = self.core.clone();
        let path = std::mem::take(&mut self.path);
        Box::pin(async move {
            if !core.queries.contains(&path) {
                return Err(unsupported(&path));
            }
            let height = height_of(&req)?;
            let bytes = req.into_inner();
            tokio::task::spawn_blocking(move || {
                let (snapshot, meta) = query::at_height(&core, height)?;
                let height = meta.map_or(0, |m| m.height);
                query::route(&core, &path, &snapshot, height, &bytes)
            })
            .await
            .map_err(|e| Status::internal(e.to_string()))?
            .map(Response::new)
            .map_err(status_of)
        })
    }
}

/// Messages as bytes, in both directions: the query router decodes requests and encodes answers.
#[derive(Debug, Clone, Copy, Default)]
struct RawBytes;

impl Codec for RawBytes {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = RawBytes;
    type Decoder = RawBytes;

    fn encoder(&mut self) -> RawBytes {
        RawBytes
    }

    fn decoder(&mut self) -> RawBytes {
        RawBytes
    }
}

impl Encoder for RawBytes {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put_slice(&item);
        Ok(())
    }
}

impl Decoder for RawBytes {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining()).to_vec()))
    }
}
