//! The `Module` trait the application drives, and the query router shared by gRPC and ABCI.

use std::collections::BTreeMap;
use std::sync::Arc;

use cosmrs::Any;
use prost::Message;

use crate::address::Address;
use crate::context::Ctx;
use crate::error::{AbciError, SdkError};
use crate::store::KvRead;

/// What a successful message returns: its `Msg…Response`, packed as `Any` (as in `TxMsgData`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MsgResponse {
    pub response: Option<Any>,
}

impl MsgResponse {
    pub fn of<M: prost::Name>(msg: &M) -> Self {
        Self {
            response: Some(pack_any(msg)),
        }
    }
}

/// The Cosmos type URL of a message: `/` + its full protobuf name (not prost's
/// `type.googleapis.com/…` form).
pub fn type_url<M: prost::Name>() -> String {
    format!("/{}", M::full_name())
}

/// Packs a message into `Any` with its Cosmos type URL.
pub fn pack_any<M: prost::Name>(msg: &M) -> Any {
    Any {
        type_url: type_url::<M>(),
        value: msg.encode_to_vec(),
    }
}

/// One module of the state machine. The application calls these hooks in a fixed order.
pub trait Module: Send + Sync {
    /// The module's name, which is also its store prefix (`<name>/…`).
    fn name(&self) -> &'static str;

    /// Loads the module's part of `app_state` from `genesis.json`.
    fn init_genesis(&self, ctx: &mut Ctx<'_>, genesis: &serde_json::Value)
    -> Result<(), AbciError>;

    /// The module's state as it would appear in `app_state`.
    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value, AbciError>;

    /// The `Msg` type URLs this module handles.
    fn msg_type_urls(&self) -> &'static [&'static str] {
        &[]
    }

    /// Stateless checks of a message; returns the addresses that must sign it.
    fn validate_msg(&self, msg: &Any) -> Result<Vec<Address>, AbciError> {
        Err(SdkError::UnknownRequest(format!("unrecognized message type: {}", msg.type_url)).into())
    }

    /// Executes a message that passed `validate_msg`.
    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> Result<MsgResponse, AbciError> {
        let _ = ctx;
        Err(SdkError::UnknownRequest(format!("unrecognized message type: {}", msg.type_url)).into())
    }

    fn begin_block(&self, _ctx: &mut Ctx<'_>) -> Result<(), AbciError> {
        Ok(())
    }

    fn end_block(&self, _ctx: &mut Ctx<'_>) -> Result<(), AbciError> {
        Ok(())
    }

    /// Registers the module's gRPC query methods.
    fn register_queries(&self, _router: &mut QueryRouter) {}
}

/// Decodes a stored protobuf value, or gives `default()` when the key is absent (params that
/// were never set).
pub fn decode_stored<M: Message + Default>(
    bytes: Option<Vec<u8>>,
    default: impl FnOnce() -> M,
) -> Result<M, prost::DecodeError> {
    match bytes {
        None => Ok(default()),
        Some(b) => M::decode(b.as_slice()),
    }
}

/// Decodes a message of the expected type, with the SDK's error for garbage.
pub fn decode_msg<M: Message + Default>(msg: &Any) -> Result<M, AbciError> {
    M::decode(msg.value.as_slice())
        .map_err(|e| SdkError::TxDecode(format!("{}: {e}", msg.type_url)).into())
}

type Handler = Arc<dyn Fn(&dyn KvRead, &[u8]) -> Result<Vec<u8>, AbciError> + Send + Sync>;

/// gRPC method path (`/cosmos.bank.v1beta1.Query/AllBalances`) → handler over a state snapshot.
/// The gRPC server and ABCI `Query` both route through it, so they answer alike.
#[derive(Clone, Default)]
pub struct QueryRouter {
    routes: BTreeMap<String, Handler>,
}

impl QueryRouter {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add<Req, Resp, F>(&mut self, path: &str, f: F)
    where
        Req: Message + Default + 'static,
        Resp: Message + 'static,
        F: Fn(&dyn KvRead, Req) -> Result<Resp, AbciError> + Send + Sync + 'static,
    {
        // Two handlers for one path is a wiring mistake, found when the app is built.
        assert!(
            !self.routes.contains_key(path),
            "query path {path} is registered twice"
        );
        let path_owned = path.to_string();
        self.routes.insert(
            path.to_string(),
            Arc::new(move |state, bytes| {
                let req = Req::decode(bytes).map_err(|e| {
                    AbciError::from(SdkError::TxDecode(format!(
                        "{path_owned}: invalid request: {e}"
                    )))
                })?;
                Ok(f(state, req)?.encode_to_vec())
            }),
        );
    }

    pub fn contains(&self, path: &str) -> bool {
        self.routes.contains_key(path)
    }

    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }

    pub fn route(&self, path: &str, state: &dyn KvRead, req: &[u8]) -> Result<Vec<u8>, AbciError> {
        let handler = self
            .routes
            .get(path)
            .ok_or_else(|| SdkError::UnknownRequest(format!("unknown query path {path}")))?;
        handler(state, req)
    }

    /// Typed convenience for in-process callers (the gRPC server).
    pub fn query<Req: Message, Resp: Message + Default>(
        &self,
        path: &str,
        state: &dyn KvRead,
        req: &Req,
    ) -> Result<Resp, AbciError> {
        let bytes = self.route(path, state, &req.encode_to_vec())?;
        Resp::decode(bytes.as_slice()).map_err(|e| SdkError::Internal(e.to_string()).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmrs::proto::cosmos::bank::v1beta1::{QueryParamsRequest, QueryParamsResponse};

    fn params(_: &dyn KvRead, _: QueryParamsRequest) -> Result<QueryParamsResponse, AbciError> {
        Ok(QueryParamsResponse::default())
    }

    #[test]
    #[should_panic(expected = "query path /cosmos.bank.v1beta1.Query/Params is registered twice")]
    fn a_path_registered_twice_is_a_wiring_error() {
        let mut r = QueryRouter::new();
        r.add("/cosmos.bank.v1beta1.Query/Params", params);
        r.add("/cosmos.bank.v1beta1.Query/Params", params);
    }
}
