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

    /// Registers the module's message handlers, one typed pair per message
    /// ([`MsgServiceRouter::add`]).
    fn register_msgs(&self, _router: &mut MsgServiceRouter) {}

    /// The `Msg` type URLs this module handles.
    ///
    /// This and the two below route through the module's own handlers alone, built on each call:
    /// for tests and tools. The application builds one [`MsgServiceRouter`] of all its modules.
    fn msg_type_urls(&self) -> Vec<String> {
        MsgServiceRouter::of([self])
            .type_urls()
            .map(str::to_string)
            .collect()
    }

    /// Stateless checks of a message; returns the addresses that must sign it.
    fn validate_msg(&self, msg: &Any) -> Result<Vec<Address>, AbciError> {
        MsgServiceRouter::of([self]).validate(msg)
    }

    /// Executes a message that passed `validate_msg`.
    fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> Result<MsgResponse, AbciError> {
        MsgServiceRouter::of([self]).deliver(ctx, msg)
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

type ValidateFn = dyn Fn(&Any) -> Result<Vec<Address>, AbciError> + Send + Sync;
type DeliverFn = dyn Fn(&mut Ctx<'_>, &Any) -> Result<MsgResponse, AbciError> + Send + Sync;

/// The handlers of one message type.
struct MsgRoute {
    module: &'static str,
    validate: Box<ValidateFn>,
    deliver: Box<DeliverFn>,
}

/// Message type URL → its module's typed handlers: how transactions reach modules (the Cosmos
/// SDK's `MsgServiceRouter`). Each message type is registered once with its concrete type, so its
/// URL comes from `prost::Name`, its bytes are decoded in one place, and a handler sees the
/// decoded message. Two registrations of one type are a wiring error, found when the app is built.
#[derive(Clone, Default)]
pub struct MsgServiceRouter {
    routes: BTreeMap<String, Arc<MsgRoute>>,
    /// The module whose `register_msgs` is running.
    registering: &'static str,
}

impl MsgServiceRouter {
    /// The handlers of every module, each registered by its `register_msgs`.
    pub fn of<'a, M: Module + ?Sized + 'a>(modules: impl IntoIterator<Item = &'a M>) -> Self {
        let mut router = Self::default();
        for m in modules {
            router.registering = m.name();
            m.register_msgs(&mut router);
        }
        router
    }

    /// Routes `M` to `validate` (stateless checks returning the signers, run in CheckTx and
    /// again before delivery) and `deliver` (the state change, run after the ante handler).
    ///
    /// # Panics
    ///
    /// When `M` is registered already (by this module or another).
    pub fn add<M, V, D>(&mut self, validate: V, deliver: D) -> &mut Self
    where
        M: Message + prost::Name + Default + 'static,
        V: Fn(&M) -> Result<Vec<Address>, AbciError> + Send + Sync + 'static,
        D: Fn(&mut Ctx<'_>, M) -> Result<MsgResponse, AbciError> + Send + Sync + 'static,
    {
        let url = type_url::<M>();
        if let Some(other) = self.routes.get(&url) {
            panic!(
                "message {url} is routed to two modules: {} and {}",
                other.module, self.registering
            );
        }
        let route = MsgRoute {
            module: self.registering,
            validate: Box::new(move |any| validate(&decode_msg::<M>(any)?)),
            deliver: Box::new(move |ctx, any| deliver(ctx, decode_msg::<M>(any)?)),
        };
        self.routes.insert(url, Arc::new(route));
        self
    }

    fn route(&self, type_url: &str) -> Result<&MsgRoute, AbciError> {
        self.routes.get(type_url).map(Arc::as_ref).ok_or_else(|| {
            SdkError::UnknownRequest(format!("unrecognized message type: {type_url}")).into()
        })
    }

    /// The registered type URLs, in order.
    pub fn type_urls(&self) -> impl Iterator<Item = &str> {
        self.routes.keys().map(String::as_str)
    }

    /// The name of the module that handles `type_url`.
    pub fn module(&self, type_url: &str) -> Result<&'static str, AbciError> {
        Ok(self.route(type_url)?.module)
    }

    /// Stateless checks of `msg`; the addresses that must sign it.
    pub fn validate(&self, msg: &Any) -> Result<Vec<Address>, AbciError> {
        (self.route(&msg.type_url)?.validate)(msg)
    }

    /// Executes `msg` (checked by [`validate`](Self::validate)).
    pub fn deliver(&self, ctx: &mut Ctx<'_>, msg: &Any) -> Result<MsgResponse, AbciError> {
        (self.route(&msg.type_url)?.deliver)(ctx, msg)
    }
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
    use cosmrs::proto::cosmos::bank::v1beta1::{
        MsgSend, MsgSendResponse, QueryParamsRequest, QueryParamsResponse,
    };

    fn params(_: &dyn KvRead, _: QueryParamsRequest) -> Result<QueryParamsResponse, AbciError> {
        Ok(QueryParamsResponse::default())
    }

    struct Bank;

    impl Module for Bank {
        fn name(&self) -> &'static str {
            "bank"
        }

        fn init_genesis(&self, _: &mut Ctx<'_>, _: &serde_json::Value) -> Result<(), AbciError> {
            Ok(())
        }

        fn export_genesis(&self, _: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
            Ok(serde_json::Value::Null)
        }

        fn register_msgs(&self, router: &mut MsgServiceRouter) {
            router.add::<MsgSend, _, _>(
                |m| Ok(vec![Address::from_bech32(&m.from_address)?]),
                |_, _| Ok(MsgResponse::of(&MsgSendResponse {})),
            );
        }
    }

    #[test]
    fn a_message_reaches_its_typed_handlers_and_garbage_does_not() {
        let user = Address::module("user");
        let send = pack_any(&MsgSend {
            from_address: user.to_bech32(),
            ..MsgSend::default()
        });
        assert_eq!(Bank.msg_type_urls(), vec!["/cosmos.bank.v1beta1.MsgSend"]);
        assert_eq!(Bank.validate_msg(&send).unwrap(), vec![user]);
        let router = MsgServiceRouter::of([&Bank]);
        assert_eq!(router.module(&send.type_url).unwrap(), "bank");

        let garbage = Any {
            type_url: send.type_url.clone(),
            value: vec![0xff, 0xff],
        };
        let err = router.validate(&garbage).unwrap_err();
        assert_eq!(err.codespace, "sdk", "{err:?}");
        assert_eq!(err.code, 2, "tx decode: {err:?}");

        let unknown = Any {
            type_url: "/cosmos.bank.v1beta1.MsgBurn".into(),
            value: Vec::new(),
        };
        let err = router.validate(&unknown).unwrap_err();
        assert!(err.message.contains("unrecognized message type"), "{err:?}");
    }

    #[test]
    #[should_panic(
        expected = "message /cosmos.bank.v1beta1.MsgSend is routed to two modules: bank and bank"
    )]
    fn a_message_routed_twice_is_a_wiring_error() {
        MsgServiceRouter::of([&Bank, &Bank]);
    }

    #[test]
    #[should_panic(expected = "query path /cosmos.bank.v1beta1.Query/Params is registered twice")]
    fn a_path_registered_twice_is_a_wiring_error() {
        let mut r = QueryRouter::new();
        r.add("/cosmos.bank.v1beta1.Query/Params", params);
        r.add("/cosmos.bank.v1beta1.Query/Params", params);
    }
}
