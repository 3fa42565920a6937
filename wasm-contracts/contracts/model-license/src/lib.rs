//! The model-licence contract: per-adapter terms set by the adapter's owner (price per
//! inference, subscriptions, allow-list, revenue split with the data contributors), which the
//! chain's attribution module asks through `CanInfer` before it accepts a paid inference.

pub mod contract;
pub mod error;
pub mod msg;
pub mod state;

pub use crate::error::ContractError;

#[cfg(test)]
mod tests;
