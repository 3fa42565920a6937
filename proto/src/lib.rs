//! Protobuf messages and gRPC services of OpenLedger's own `openledger.*.v1` packages.
//!
//! Every `.proto` file under `proto/openledger/` is compiled by `build.rs`; the generated
//! modules follow the package names (`openledger::lora::v1`, `openledger::datanet::v1`, …).
//! The chain's packages need the `chain` feature (see `build.rs`).

#![allow(clippy::all, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/openledger_include.rs"));

/// Encoded `FileDescriptorSet` of the `openledger.*` packages (and what they import), for gRPC
/// server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/openledger_descriptor.bin"));

/// Encoded `FileDescriptorSet` of the Cosmos SDK services `openledgerd` serves (empty without
/// the `chain` feature).
pub const COSMOS_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/cosmos_descriptor.bin"));

/// The `cosmwasm.wasm.v1.Query` gRPC server over cosmrs' wasmd types (cosmos-sdk-proto ships
/// only the client).
#[cfg(feature = "chain")]
pub mod cosmwasm_query {
    include!(concat!(env!("OUT_DIR"), "/wasmd/cosmwasm.wasm.v1.rs"));
}
