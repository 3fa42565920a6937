//! Every storage key of the datanet module. Ids are zero-padded so that key order is numeric
//! order.

use openledger_framework::Address;
use openledger_proto::openledger::datanet::v1::RecordStatus;

pub const PREFIX: &str = "datanet";

pub fn params() -> &'static str {
    "datanet/params"
}

pub fn next_id() -> &'static str {
    "datanet/next_id"
}

pub fn datanet(id: u64) -> String {
    format!("datanet/d/{id:020}")
}

pub fn all_datanets() -> &'static str {
    "datanet/d/"
}

pub fn record(datanet: u64, record: u64) -> String {
    format!("datanet/r/{datanet:020}/{record:020}")
}

pub fn records_of(datanet: u64) -> String {
    format!("datanet/r/{datanet:020}/")
}

/// Content hash → record id, for duplicate detection.
pub fn hash(datanet: u64, sha256: &[u8]) -> String {
    format!("datanet/h/{datanet:020}/{}", hex::encode(sha256))
}

pub fn status_name(status: RecordStatus) -> &'static str {
    match status {
        RecordStatus::Pending => "pending",
        RecordStatus::Accepted => "accepted",
        RecordStatus::Rejected => "rejected",
        RecordStatus::Unspecified => "unspecified",
    }
}

/// Index of records by status.
pub fn by_status(datanet: u64, status: RecordStatus, record: u64) -> String {
    format!("{}{record:020}", by_status_prefix(datanet, status))
}

pub fn by_status_prefix(datanet: u64, status: RecordStatus) -> String {
    format!("datanet/s/{datanet:020}/{}/", status_name(status))
}

/// Index of records by contributor.
pub fn by_contributor(datanet: u64, contributor: &Address, record: u64) -> String {
    format!(
        "{}{record:020}",
        by_contributor_prefix(datanet, contributor)
    )
}

pub fn by_contributor_prefix(datanet: u64, contributor: &Address) -> String {
    format!("datanet/c/{datanet:020}/{}/", contributor.to_hex())
}

pub fn version(datanet: u64, version: u64) -> String {
    format!("datanet/v/{datanet:020}/{version:020}")
}

pub fn versions_of(datanet: u64) -> String {
    format!("datanet/v/{datanet:020}/")
}

/// Contributor statistics; Datanet id 0 holds the totals.
pub fn stats(datanet: u64, contributor: &Address) -> String {
    format!("datanet/stats/{datanet:020}/{}", contributor.to_hex())
}

/// The id at the end of an index key.
pub fn trailing_id(key: &str) -> Option<u64> {
    key.rsplit('/').next()?.parse().ok()
}
