//! Every storage key of the attribution module.

use openledger_framework::Address;

pub const PREFIX: &str = "attribution";

pub fn params() -> &'static str {
    "attribution/params"
}

pub fn next_request_id() -> &'static str {
    "attribution/next_request_id"
}

pub fn request(id: u64) -> String {
    format!("attribution/request/{id:020}")
}

pub fn all_requests() -> &'static str {
    "attribution/request/"
}

/// Index of the pending requests, by id (value empty).
pub fn pending(id: u64) -> String {
    format!("attribution/pending/{id:020}")
}

pub fn all_pending() -> &'static str {
    "attribution/pending/"
}

/// Index of the pending requests by the last height a quorum may answer them.
pub fn timeout(height: u64, id: u64) -> String {
    format!("{}{height:020}/{id:020}", all_timeouts())
}

pub fn all_timeouts() -> &'static str {
    "attribution/timeout/"
}

pub fn record(request_id: u64) -> String {
    format!("attribution/record/{request_id:020}")
}

pub fn all_records() -> &'static str {
    "attribution/record/"
}

pub fn by_adapter(adapter_id: u64, request_id: u64) -> String {
    format!("{}{request_id:020}", by_adapter_prefix(adapter_id))
}

pub fn by_adapter_prefix(adapter_id: u64) -> String {
    format!("attribution/by_adapter/{adapter_id:020}/")
}

pub fn by_contributor(contributor: &Address, request_id: u64) -> String {
    format!("{}{request_id:020}", by_contributor_prefix(contributor))
}

pub fn by_contributor_prefix(contributor: &Address) -> String {
    format!("attribution/by_contributor/{}/", contributor.to_hex())
}

/// The Merkle root of the records committed at `height`, relative to the module's store (what
/// `store/attribution/key` takes).
pub fn block_root_in_store(height: u64) -> String {
    format!("root/{height:020}")
}

pub fn block_root(height: u64) -> String {
    format!("{PREFIX}/{}", block_root_in_store(height))
}

pub fn all_block_roots() -> &'static str {
    "attribution/root/"
}

pub fn earnings(contributor: &Address) -> String {
    format!("attribution/earnings/{}", contributor.to_hex())
}

pub fn all_earnings() -> &'static str {
    "attribution/earnings/"
}

/// The height from which CometBFT's vote extensions are enabled (from InitChain's consensus
/// params); 0 or absent: disabled.
pub fn vote_extensions_enable_height() -> &'static str {
    "attribution/vote_extensions_enable_height"
}

/// The trailing zero-padded id of a key.
pub fn trailing_id(key: &str) -> Option<u64> {
    key.rsplit('/').next()?.parse().ok()
}
