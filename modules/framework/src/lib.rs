//! The framework OpenLedger's modules share.
//!
//! - [`store`]: the authenticated, versioned key-value store (Penumbra's `cnidarium`, a Jellyfish
//!   Merkle Tree over RocksDB, one substore per module) and the copy-on-write [`store::Overlay`]
//!   used to branch block and transaction state;
//! - [`context`]: what a message handler sees ([`context::Ctx`]): block info, gas-metered state,
//!   events;
//! - [`gas`], [`error`], [`coins`], [`address`], [`decimal`], [`math`]: the Cosmos building
//!   blocks;
//! - [`module`]: the [`module::Module`] trait the application drives.
//!
//! Everything here is deterministic: no floats, no wall clock, no map iteration order
//! (`BTreeMap` only), no randomness.

pub mod address;
pub mod coins;
pub mod context;
pub mod decimal;
pub mod error;
pub mod gas;
pub mod json;
pub mod math;
pub mod module;
pub mod pagination;
pub mod store;

pub use address::{Address, check_authority};
pub use coins::{Coin, Coins};
pub use context::{
    BlockInfo, Ctx, Event, Misbehavior, MisbehaviorKind, StateRead, VoteInfo, read_proto,
};
pub use decimal::Dec;
pub use error::{AbciError, CodedError, Result};
pub use gas::{GasMeter, GasSchedule};
pub use module::{
    Module, MsgResponse, MsgServiceRouter, QueryRouter, decode_msg, pack_any, type_url,
};
pub use store::{KvRead, KvWrite, Overlay};
