//! `openledgerd`: the OpenLedger node's binary, on top of two crates of its own:
//!
//! - [`openledger_state_machine`] (`app/state-machine`): modules in order, message routes, the
//!   ante pipeline, the block lifecycle — knows nothing of the node or any client;
//! - [`openledger_node`] (`app/node`): ABCI, gRPC, the home directory, genesis tooling,
//!   `cometbft` supervision — uses the state machine, never the client or the CLI;
//!
//! and, here, what talks to a node from outside:
//!
//! - [`client`]: building, signing, simulating and broadcasting transactions, typed queries,
//!   the keyring;
//! - [`cli`]: the command line, one file per module (`tx`/`query`), keys, genesis, node;
//! - [`loadtest`]: the load generator; [`testkit`]: an in-process chain for tests and benches.
//!
//! Imports run one way: cli → client → node → state machine (see `docs/architecture.md`).

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod cli;
pub mod client;
pub mod loadtest;
#[doc(hidden)]
pub mod testkit;
