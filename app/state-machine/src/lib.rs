//! The OpenLedger state machine: modules in a fixed order, the message router, transaction
//! execution and the block lifecycle (InitChain → FinalizeBlock → Commit), independent of how
//! ABCI reaches it (the ABCI server, benchmarks and tests drive it directly).
//!
//! This crate knows nothing of the node around it (ABCI, gRPC, CometBFT) nor of any client:
//! - [`app_core`]: [`AppCore`], the modules wired in their order, the message routes, one
//!   transaction's execution, genesis;
//! - [`block`]: [`App`], the block in progress (InitChain, FinalizeBlock, Commit), CheckTx's
//!   state, Simulate;
//! - [`ante`]: the ante pipeline shared by CheckTx, Simulate and FinalizeBlock;
//! - [`meta`]: the chain's metadata beside the modules' state;
//! - [`genutil`]: the gentxs of a genesis `app_state`, which InitChain runs;
//! - [`bindings`]: OpenLedger's custom CosmWasm queries and messages on the host side;
//! - [`attribution`]: Proof of Attribution's extended commit in PrepareProposal,
//!   ProcessProposal and FinalizeBlock.

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod ante;
pub mod app_core;
pub mod attribution;
pub mod bindings;
pub mod block;
pub mod genutil;
pub mod meta;

pub use app_core::{AppCore, STORE_PREFIXES, TxOutcome};
pub use block::{App, BlockInput, BlockResult, CheckState, check_tx, simulate};
pub use meta::ChainMeta;
