//! A starting point for contracts that extend OpenLedger: it reads a Datanet through the
//! chain's custom queries and asks for inferences through its custom messages. Copy the crate,
//! rename it, and replace the messages with yours (see the workspace README).

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;
