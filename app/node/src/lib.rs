//! The OpenLedger node: the state machine ([`openledger_state_machine`]) served to CometBFT over
//! ABCI and to clients over gRPC, its home directory, and the supervised `cometbft`.
//!
//! - [`abci`]: ABCI 2.0 for CometBFT (tower-abci, the v0.38 protocol);
//! - [`grpc`]: the Cosmos gRPC services, with reflection;
//! - [`query`]: ABCI `Query` and the reads both servers share (the snapshot at a height,
//!   `Simulate`); [`events`]: the state machine's events in CometBFT's form;
//! - [`home`]: the home directory, `app.toml`, the node's keys; [`genesis`]: `init`,
//!   `genesis add-account`, `collect-gentxs`, `validate`;
//! - [`start`]: `openledgerd start`; [`cometbft`]: the `cometbft` child process;
//! - [`attribution`]: Proof of Attribution's engine worker and vote extensions.
//!
//! The node uses the state machine; it never uses a client or the CLI (this crate does not
//! depend on them, so the compiler keeps it that way).

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod abci;
pub mod attribution;
pub mod cometbft;
pub mod events;
pub mod genesis;
pub mod grpc;
pub mod home;
pub mod query;
pub mod start;
