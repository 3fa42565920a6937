//! `openledgerd`: the OpenLedger node and CLI.
//!
//! - [`state_machine`]: modules, router, tx execution and the block lifecycle;
//! - [`ante`]: the ante pipeline shared by CheckTx, Simulate and FinalizeBlock;
//! - [`abci`]: ABCI 2.0 for CometBFT; [`grpc`]: the Cosmos gRPC services;
//! - [`node`]: `start` with the supervised `cometbft`; [`config`]: home, init, genesis;
//! - [`keyring`], [`client`]: the CLI's keys, transactions and queries; [`loadtest`];
//! - [`data_cli`]: the CLI's side of Datanets and models (batched contributions, proofs,
//!   adapter directories).
//! - [`bindings`]: OpenLedger's custom CosmWasm queries and messages on the host side;
//!   [`wasm_cli`]: the CLI's side of `tx wasm` / `query wasm`.

pub mod abci;
pub mod ante;
pub mod bindings;
pub mod client;
pub mod config;
pub mod data_cli;
pub mod gentx;
pub mod grpc;
pub mod keyring;
pub mod loadtest;
pub mod node;
pub mod query;
pub mod state_machine;
#[doc(hidden)]
pub mod testkit;
pub mod wasm_cli;
