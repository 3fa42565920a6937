//! Typed OpenLedger custom queries and messages for CosmWasm contracts.
//!
//! A contract that reads chain state (Datanets, records, adapters, provenance, attribution
//! records, contributor earnings) takes `Deps<OpenLedgerQuery>` in its entry points and wraps the
//! querier in [`OpenLedgerQuerier`]; a contract that asks the chain to act returns
//! `Response<OpenLedgerMsg>`. The JSON of every query, message and response is documented on its
//! type and in this package's README: the chain's wasm host answers exactly these shapes.
//!
//! Conventions of the wire format: JSON keys and enum tags in `snake_case`; ids are JSON numbers
//! (`u64`); addresses are bech32 strings with the prefix `open`; amounts are [`Uint128`]
//! strings of `uopen`; hashes and roots are lowercase hex strings.
//!
//! [`Uint128`]: cosmwasm_std::Uint128

mod msg;
mod querier;
mod query;
#[cfg(not(target_arch = "wasm32"))]
pub mod testing;

pub use msg::OpenLedgerMsg;
pub use querier::OpenLedgerQuerier;
pub use query::{
    AdapterResponse, AttributionRecordResponse, AttributionStatus, ContributorEarningsResponse,
    ContributorRecords, DatanetResponse, OpenLedgerQuery, ProvenanceResponse, RecordInfluence,
    RecordResponse, RecordStatus,
};

/// The capability a chain must offer to run contracts built with these bindings.
pub const CAPABILITY: &str = "openledger";

// Marks every contract linking this package as needing the chain's OpenLedger bindings, the way
// cosmwasm-std marks `requires_iterator`: a chain without the capability "openledger" refuses to
// store the code instead of failing at the first custom query.
#[unsafe(no_mangle)]
extern "C" fn requires_openledger() {}
