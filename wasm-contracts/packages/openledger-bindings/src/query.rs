use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::{Coin, CustomQuery, Uint128};

/// Queries of chain state a contract sends as `QueryRequest::Custom`.
///
/// Each variant is one JSON object keyed by its snake_case name, e.g.
/// `{"datanet":{"id":1}}`; the chain answers with the response type named on the variant, or
/// with a query error (`"datanet 7 not found"`, …) when the object does not exist.
#[cw_serde]
#[derive(QueryResponses)]
pub enum OpenLedgerQuery {
    /// `{"datanet":{"id":1}}`
    #[returns(DatanetResponse)]
    Datanet { id: u64 },
    /// `{"record":{"datanet_id":1,"record_id":42}}`
    #[returns(RecordResponse)]
    Record { datanet_id: u64, record_id: u64 },
    /// `{"adapter":{"id":3}}`
    #[returns(AdapterResponse)]
    Adapter { id: u64 },
    /// `{"provenance":{"adapter_id":3}}`
    #[returns(ProvenanceResponse)]
    Provenance { adapter_id: u64 },
    /// `{"attribution_record":{"request_id":9}}`
    #[returns(AttributionRecordResponse)]
    AttributionRecord { request_id: u64 },
    /// `{"contributor_earnings":{"address":"open1…"}}`; an address that never earned answers
    /// zeros, not an error.
    #[returns(ContributorEarningsResponse)]
    ContributorEarnings { address: String },
}

impl CustomQuery for OpenLedgerQuery {}

/// A Datanet as the datanet module stores it.
///
/// ```json
/// {"id":1,"owner":"open1…","name":"capitals","description":"Capital cities",
///  "schema":"{\"type\":\"object\"}","curators":["open1…"],"review_quorum":1,
///  "contribution_bond":{"denom":"uopen","amount":"1000000"},"max_record_bytes":4096,
///  "license":"CC-BY-4.0","record_count":12,"accepted_count":10,"latest_version":2}
/// ```
#[cw_serde]
pub struct DatanetResponse {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub description: String,
    /// The JSON schema records must follow, as a JSON string.
    pub schema: String,
    pub curators: Vec<String>,
    /// Curator approvals a record needs to be accepted.
    pub review_quorum: u32,
    /// Bond a contributor posts per record.
    pub contribution_bond: Coin,
    pub max_record_bytes: u64,
    pub license: String,
    /// Records ever submitted, whatever their status.
    pub record_count: u64,
    pub accepted_count: u64,
    /// The newest accepted version; 0 before the first.
    pub latest_version: u64,
}

/// The review status of a record: `"pending"`, `"accepted"` or `"rejected"`.
#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum RecordStatus {
    Pending,
    Accepted,
    Rejected,
}

/// One contribution to a Datanet.
///
/// ```json
/// {"id":42,"datanet_id":1,"contributor":"open1…","content":"{\"q\":\"…\",\"a\":\"…\"}",
///  "sha256":"9f86d0…","height":1200,"status":"accepted"}
/// ```
#[cw_serde]
pub struct RecordResponse {
    pub id: u64,
    pub datanet_id: u64,
    pub contributor: String,
    pub content: String,
    /// Lowercase hex SHA-256 of `content`'s bytes.
    pub sha256: String,
    /// Block height of the contribution.
    pub height: u64,
    pub status: RecordStatus,
}

/// A LoRA adapter registered in the models module.
///
/// ```json
/// {"id":3,"owner":"open1…","base_model_id":1,"datanet_id":1,"datanet_version":2,
///  "version_root":"5d41…","weights_sha256":"a3f1…","license_contract":"open1…"}
/// ```
#[cw_serde]
pub struct AdapterResponse {
    pub id: u64,
    pub owner: String,
    pub base_model_id: u64,
    pub datanet_id: u64,
    pub datanet_version: u64,
    /// Lowercase hex Merkle root of the Datanet version it was trained on.
    pub version_root: String,
    pub weights_sha256: String,
    /// The contract that licenses its use; `null` when anyone may use it for the chain's default
    /// fee.
    pub license_contract: Option<String>,
}

/// How many records of an adapter's training set one contributor gave.
///
/// `{"address":"open1…","records":7}`
#[cw_serde]
pub struct ContributorRecords {
    pub address: String,
    pub records: u64,
}

/// The data an adapter was trained on.
///
/// ```json
/// {"adapter_id":3,"datanet_id":1,"datanet_version":2,"version_root":"5d41…","record_count":10,
///  "contributors":[{"address":"open1…","records":7},{"address":"open1…","records":3}]}
/// ```
///
/// `contributors` is sorted by address, each address once; their `records` sum to
/// `record_count`.
#[cw_serde]
pub struct ProvenanceResponse {
    pub adapter_id: u64,
    pub datanet_id: u64,
    pub datanet_version: u64,
    pub version_root: String,
    pub record_count: u64,
    pub contributors: Vec<ContributorRecords>,
}

/// Where an inference request is in Proof of Attribution: `"pending"` (escrowed, waiting for
/// validators' results), `"attributed"` (result committed, fee paid out) or `"refunded"` (no
/// agreement in time, fee returned).
#[cw_serde]
#[derive(Copy, Eq, Hash)]
pub enum AttributionStatus {
    Pending,
    Attributed,
    Refunded,
}

/// One training record's committed influence on an output and what it earned.
///
/// `{"record_id":42,"contributor":"open1…","score":183000,"reward":"1200"}`
#[cw_serde]
pub struct RecordInfluence {
    pub record_id: u64,
    pub contributor: String,
    /// The stake-weighted median of the validators' quantised scores, a fixed-point integer as
    /// committed in the block; may be negative.
    pub score: i64,
    /// uopen paid to `contributor` for this record.
    pub reward: Uint128,
}

/// An inference request and its attribution.
///
/// ```json
/// {"request_id":9,"adapter_id":3,"requester":"open1…","fee":"250000","status":"attributed",
///  "requested_height":1500,"finalized_height":1502,"output_sha256":"e3b0…",
///  "influences":[{"record_id":42,"contributor":"open1…","score":183000,"reward":"1200"}]}
/// ```
///
/// `finalized_height` and `output_sha256` are `null` until the request is attributed
/// (`output_sha256` stays `null` on refund); `influences` is empty until then.
#[cw_serde]
pub struct AttributionRecordResponse {
    pub request_id: u64,
    pub adapter_id: u64,
    pub requester: String,
    /// The escrowed fee, in uopen.
    pub fee: Uint128,
    pub status: AttributionStatus,
    pub requested_height: u64,
    pub finalized_height: Option<u64>,
    pub output_sha256: Option<String>,
    pub influences: Vec<RecordInfluence>,
}

/// What an address has earned from Proof of Attribution.
///
/// `{"address":"open1…","total_earned":"56000","attributions":14}`
#[cw_serde]
pub struct ContributorEarningsResponse {
    pub address: String,
    /// All-time uopen paid to the address as a data contributor.
    pub total_earned: Uint128,
    /// Attributed requests in which it was paid.
    pub attributions: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use cosmwasm_std::{QueryRequest, from_json, to_json_string};

    #[test]
    fn query_json_shapes() {
        let cases = [
            (
                OpenLedgerQuery::Datanet { id: 1 },
                r#"{"datanet":{"id":1}}"#,
            ),
            (
                OpenLedgerQuery::Record {
                    datanet_id: 1,
                    record_id: 42,
                },
                r#"{"record":{"datanet_id":1,"record_id":42}}"#,
            ),
            (
                OpenLedgerQuery::Adapter { id: 3 },
                r#"{"adapter":{"id":3}}"#,
            ),
            (
                OpenLedgerQuery::Provenance { adapter_id: 3 },
                r#"{"provenance":{"adapter_id":3}}"#,
            ),
            (
                OpenLedgerQuery::AttributionRecord { request_id: 9 },
                r#"{"attribution_record":{"request_id":9}}"#,
            ),
            (
                OpenLedgerQuery::ContributorEarnings {
                    address: "open1xyz".to_string(),
                },
                r#"{"contributor_earnings":{"address":"open1xyz"}}"#,
            ),
        ];
        for (query, json) in cases {
            assert_eq!(to_json_string(&query).unwrap(), json);
            assert_eq!(from_json::<OpenLedgerQuery>(json).unwrap(), query);
        }
        let request = QueryRequest::Custom(OpenLedgerQuery::Datanet { id: 1 });
        assert_eq!(
            to_json_string(&request).unwrap(),
            r#"{"custom":{"datanet":{"id":1}}}"#
        );
    }

    #[test]
    fn response_json_shapes() {
        let record: RecordResponse = from_json(
            r#"{"id":42,"datanet_id":1,"contributor":"open1a","content":"hi","sha256":"8f43","height":7,"status":"accepted"}"#,
        )
        .unwrap();
        assert_eq!(record.status, RecordStatus::Accepted);

        let adapter = AdapterResponse {
            id: 3,
            owner: "open1o".to_string(),
            base_model_id: 1,
            datanet_id: 1,
            datanet_version: 2,
            version_root: "ab".to_string(),
            weights_sha256: "cd".to_string(),
            license_contract: None,
        };
        let json = r#"{"id":3,"owner":"open1o","base_model_id":1,"datanet_id":1,"datanet_version":2,"version_root":"ab","weights_sha256":"cd","license_contract":null}"#;
        assert_eq!(to_json_string(&adapter).unwrap(), json);
        // A host may leave out a null licence contract.
        let without: AdapterResponse =
            from_json(json.replace(r#","license_contract":null"#, "")).unwrap();
        assert_eq!(without, adapter);

        let attribution = AttributionRecordResponse {
            request_id: 9,
            adapter_id: 3,
            requester: "open1r".to_string(),
            fee: Uint128::new(250_000),
            status: AttributionStatus::Attributed,
            requested_height: 1500,
            finalized_height: Some(1502),
            output_sha256: Some("e3b0".to_string()),
            influences: vec![RecordInfluence {
                record_id: 42,
                contributor: "open1c".to_string(),
                score: -5,
                reward: Uint128::zero(),
            }],
        };
        assert_eq!(
            to_json_string(&attribution).unwrap(),
            r#"{"request_id":9,"adapter_id":3,"requester":"open1r","fee":"250000","status":"attributed","requested_height":1500,"finalized_height":1502,"output_sha256":"e3b0","influences":[{"record_id":42,"contributor":"open1c","score":-5,"reward":"0"}]}"#
        );

        let earnings = ContributorEarningsResponse {
            address: "open1c".to_string(),
            total_earned: Uint128::new(56_000),
            attributions: 14,
        };
        assert_eq!(
            to_json_string(&earnings).unwrap(),
            r#"{"address":"open1c","total_earned":"56000","attributions":14}"#
        );
    }
}
