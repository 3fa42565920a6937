//! OpenLedger's custom CosmWasm bindings on the host side: the `openledger-bindings` package's
//! queries answered from the datanet, models and attribution keepers, in the JSON shapes that
//! package's README fixes (`wasm-contracts/packages/openledger-bindings/README.md`), and its
//! `request_inference` message, which requests a paid inference with the contract as sender.
//!
//! Over 600 lines: 370 of them are the bindings; the rest are their unit tests, kept beside them.

use openledger_attribution::AttributionKeeper;
use openledger_datanet::DatanetKeeper;
use openledger_framework::{AbciError, Address, Ctx};
use openledger_models::ModelsKeeper;
use openledger_proto::openledger::datanet::v1::{Datanet, Record, RecordStatus};
use openledger_proto::openledger::models::v1::{Adapter, QueryProvenanceResponse};
use openledger_wasm::{CustomBindings, CustomMsgResult};
use serde::{Deserialize, Serialize};

/// Codespace of the bindings' own errors (malformed requests, missing modules).
pub const CODESPACE: &str = "openledger-bindings";

fn invalid(message: String) -> AbciError {
    AbciError::new(CODESPACE, 2, message)
}

fn to_json<T: Serialize>(v: &T) -> Result<serde_json::Value, AbciError> {
    serde_json::to_value(v).map_err(|e| invalid(format!("encoding the answer: {e}")))
}

/// `OpenLedgerQuery` as the contract sends it (`{"custom": …}` already stripped).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Query {
    Datanet { id: u64 },
    Record { datanet_id: u64, record_id: u64 },
    Adapter { id: u64 },
    Provenance { adapter_id: u64 },
    AttributionRecord { request_id: u64 },
    ContributorEarnings { address: String },
}

/// `OpenLedgerMsg` as the contract sends it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum Msg {
    RequestInference {
        adapter_id: u64,
        prompt: String,
        max_tokens: u32,
        /// uopen.
        max_fee: String,
    },
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct CoinJson {
    pub denom: String,
    pub amount: String,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct DatanetResponse {
    pub id: u64,
    pub owner: String,
    pub name: String,
    pub description: String,
    pub schema: String,
    pub curators: Vec<String>,
    pub review_quorum: u32,
    pub contribution_bond: CoinJson,
    pub max_record_bytes: u64,
    pub license: String,
    pub record_count: u64,
    pub accepted_count: u64,
    pub latest_version: u64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RecordResponse {
    pub id: u64,
    pub datanet_id: u64,
    pub contributor: String,
    pub content: String,
    pub sha256: String,
    pub height: u64,
    pub status: &'static str,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct AdapterResponse {
    pub id: u64,
    pub owner: String,
    pub base_model_id: u64,
    pub datanet_id: u64,
    pub datanet_version: u64,
    pub version_root: String,
    pub weights_sha256: String,
    pub license_contract: Option<String>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ContributorRecords {
    pub address: String,
    pub records: u64,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ProvenanceResponse {
    pub adapter_id: u64,
    pub datanet_id: u64,
    pub datanet_version: u64,
    pub version_root: String,
    pub record_count: u64,
    pub contributors: Vec<ContributorRecords>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ContributorEarningsResponse {
    pub address: String,
    pub total_earned: String,
    pub attributions: u64,
}

pub fn datanet_response(d: Datanet) -> DatanetResponse {
    let bond = d.contribution_bond.unwrap_or_default();
    DatanetResponse {
        id: d.id,
        owner: d.owner,
        name: d.name,
        description: d.description,
        schema: d.schema,
        curators: d.curators,
        review_quorum: d.review_quorum,
        contribution_bond: CoinJson {
            denom: bond.denom,
            amount: if bond.amount.is_empty() {
                "0".into()
            } else {
                bond.amount
            },
        },
        max_record_bytes: d.max_record_bytes,
        license: d.license,
        record_count: d.record_count,
        accepted_count: d.accepted_count,
        latest_version: d.latest_version,
    }
}

pub fn record_response(r: Record) -> Result<RecordResponse, AbciError> {
    let status = match r.status() {
        RecordStatus::Pending => "pending",
        RecordStatus::Accepted => "accepted",
        RecordStatus::Rejected => "rejected",
        RecordStatus::Unspecified => {
            return Err(invalid(format!(
                "record {} of datanet {} has no status",
                r.id, r.datanet_id
            )));
        }
    };
    Ok(RecordResponse {
        id: r.id,
        datanet_id: r.datanet_id,
        contributor: r.contributor,
        content: r.content,
        sha256: hex::encode(&r.sha256),
        height: r.height,
        status,
    })
}

pub fn adapter_response(a: Adapter) -> AdapterResponse {
    AdapterResponse {
        id: a.id,
        owner: a.owner,
        base_model_id: a.base_model_id,
        datanet_id: a.datanet_id,
        datanet_version: a.datanet_version,
        version_root: hex::encode(&a.version_root),
        weights_sha256: a.weights_sha256,
        license_contract: (!a.license_contract.is_empty()).then_some(a.license_contract),
    }
}

/// The bindings list contributors by address (the models query lists them by record count).
pub fn provenance_response(adapter_id: u64, p: QueryProvenanceResponse) -> ProvenanceResponse {
    let mut contributors: Vec<ContributorRecords> = p
        .contributors
        .into_iter()
        .map(|c| ContributorRecords {
            address: c.address,
            records: c.records,
        })
        .collect();
    contributors.sort_by(|a, b| a.address.cmp(&b.address));
    ProvenanceResponse {
        adapter_id,
        datanet_id: p.datanet_id,
        datanet_version: p.datanet_version,
        version_root: hex::encode(&p.version_root),
        record_count: p.record_count,
        contributors,
    }
}

/// One record's influence, as the bindings answer it.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct RecordInfluence {
    pub record_id: u64,
    pub contributor: String,
    pub score: i64,
    pub reward: String,
}

/// `attribution_record`: a request and, once attributed, its output hash and influences.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct AttributionRecordResponse {
    pub request_id: u64,
    pub adapter_id: u64,
    pub requester: String,
    pub fee: String,
    /// `pending`, `attributed` or `refunded`.
    pub status: &'static str,
    pub requested_height: u64,
    pub finalized_height: Option<u64>,
    pub output_sha256: Option<String>,
    pub influences: Vec<RecordInfluence>,
}

/// The host's [`CustomBindings`] over the datanet, models and attribution keepers.
#[derive(Clone)]
pub struct OpenLedgerBindings {
    datanets: DatanetKeeper,
    models: ModelsKeeper,
    attribution: AttributionKeeper,
}

impl OpenLedgerBindings {
    pub fn new(
        datanets: DatanetKeeper,
        models: ModelsKeeper,
        attribution: AttributionKeeper,
    ) -> Self {
        Self {
            datanets,
            models,
            attribution,
        }
    }

    fn attribution_record(
        &self,
        ctx: &mut Ctx<'_>,
        request_id: u64,
    ) -> Result<AttributionRecordResponse, AbciError> {
        use openledger_proto::openledger::attribution::v1::RequestStatus;
        let request = self.attribution.must_request(ctx, request_id)?;
        let status = match RequestStatus::try_from(request.status) {
            Ok(RequestStatus::Attributed) => "attributed",
            Ok(RequestStatus::Refunded) => "refunded",
            _ => "pending",
        };
        let record = self.attribution.record(ctx, request_id)?;
        Ok(AttributionRecordResponse {
            request_id,
            adapter_id: request.adapter_id,
            requester: request.sender,
            fee: request.fee.map(|c| c.amount).unwrap_or_else(|| "0".into()),
            status,
            requested_height: request.height,
            finalized_height: (request.finalized_height > 0).then_some(request.finalized_height),
            output_sha256: record.as_ref().map(|r| hex::encode(&r.output_sha256)),
            influences: record
                .map(|r| {
                    r.scores
                        .into_iter()
                        .map(|s| RecordInfluence {
                            record_id: s.record_id,
                            contributor: s.contributor,
                            score: s.score,
                            reward: s.reward,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    fn answer(&self, ctx: &mut Ctx<'_>, query: Query) -> Result<serde_json::Value, AbciError> {
        Ok(match query {
            Query::Datanet { id } => {
                to_json(&datanet_response(self.datanets.must_datanet(ctx, id)?))?
            }
            Query::Record {
                datanet_id,
                record_id,
            } => to_json(&record_response(
                self.datanets.must_record(ctx, datanet_id, record_id)?,
            )?)?,
            Query::Adapter { id } => {
                to_json(&adapter_response(self.models.must_adapter(ctx, id)?))?
            }
            Query::Provenance { adapter_id } => to_json(&provenance_response(
                adapter_id,
                self.models.provenance(ctx, adapter_id)?,
            ))?,
            Query::AttributionRecord { request_id } => {
                to_json(&self.attribution_record(ctx, request_id)?)?
            }
            Query::ContributorEarnings { address } => {
                let addr = Address::from_bech32(&address)
                    .map_err(|e| invalid(format!("invalid address {address}: {e}")))?;
                let e = self.attribution.earnings(ctx, &addr)?;
                to_json(&ContributorEarningsResponse {
                    address,
                    total_earned: e.total_earned,
                    attributions: e.attributions,
                })?
            }
        })
    }
}

impl CustomBindings for OpenLedgerBindings {
    fn query(&self, ctx: &mut Ctx<'_>, request: &[u8]) -> Result<Vec<u8>, AbciError> {
        let query: Query = serde_json::from_slice(request)
            .map_err(|e| invalid(format!("unknown or malformed OpenLedger query: {e}")))?;
        let answer = self.answer(ctx, query)?;
        serde_json::to_vec(&answer).map_err(|e| invalid(format!("encoding the answer: {e}")))
    }

    fn execute(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &Address,
        msg: &[u8],
    ) -> Result<CustomMsgResult, AbciError> {
        use openledger_proto::openledger::attribution::v1::MsgRequestInference;
        let msg: Msg = serde_json::from_slice(msg)
            .map_err(|e| invalid(format!("unknown or malformed OpenLedger message: {e}")))?;
        match msg {
            Msg::RequestInference {
                adapter_id,
                prompt,
                max_tokens,
                max_fee,
            } => {
                let max_fee: u128 = max_fee
                    .parse()
                    .map_err(|_| invalid(format!("max_fee {max_fee:?} is not an amount")))?;
                let m = MsgRequestInference {
                    sender: contract.to_bech32(),
                    adapter_id,
                    prompt,
                    max_tokens,
                    max_fee: Some(openledger_framework::Coin::new(max_fee, "uopen").to_proto()),
                };
                // The same checks and execution as the message in a transaction.
                openledger_attribution::msgs::validate_request_inference(&m)?;
                let response =
                    openledger_attribution::msgs::request_inference(&self.attribution, ctx, m)?
                        .response
                        .ok_or_else(|| invalid("request_inference gave no response".into()))?;
                Ok(CustomMsgResult {
                    data: Some(response.value.clone()),
                    msg_responses: vec![(response.type_url, response.value)],
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use openledger_framework::context::ExecMode;
    use openledger_framework::store::{EmptyState, KvWrite, Overlay};
    use openledger_framework::{BlockInfo, Event, GasMeter};
    use openledger_proto::openledger::datanet::v1::Version;
    use prost::Message;
    use serde_json::{Value, json};

    use super::*;

    fn addr(n: u8) -> String {
        Address::from([n; 20]).to_bech32()
    }

    fn keepers() -> OpenLedgerBindings {
        let bank = openledger_bank::BankKeeper::new(
            std::sync::Arc::new(NoAuth),
            &[],
            Address::module("gov"),
        );
        let datanets = DatanetKeeper::new(bank.clone(), Address::module("gov"));
        let models = ModelsKeeper::new(bank.clone(), datanets.clone(), Address::module("gov"));
        let staking = openledger_staking::StakingKeeper::new(bank.clone(), Address::module("gov"));
        let attribution = AttributionKeeper::new(
            bank,
            models.clone(),
            datanets.clone(),
            staking,
            Address::module("gov"),
        );
        OpenLedgerBindings::new(datanets, models, attribution)
    }

    struct NoAuth;
    impl openledger_bank::AccountKeeper for NoAuth {
        fn ensure_account(&self, _: &mut Ctx<'_>, _: Address) -> Result<(), AbciError> {
            Ok(())
        }
        fn module_address(&self, _: &mut Ctx<'_>, name: &str) -> Result<Address, AbciError> {
            Ok(Address::module(name))
        }
    }

    /// A Datanet with three accepted records (two by contributor 3, one by 2), version 1 of
    /// them, and adapter 1 trained on it.
    fn state() -> Overlay<EmptyState> {
        let mut s = Overlay::new(EmptyState);
        let datanet = Datanet {
            id: 1,
            owner: addr(1),
            name: "capitals".into(),
            description: "Capital cities".into(),
            schema: r#"{"type":"object"}"#.into(),
            curators: vec![addr(1)],
            review_quorum: 1,
            contribution_bond: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
                denom: "uopen".into(),
                amount: "1000000".into(),
            }),
            max_record_bytes: 4096,
            license: "CC-BY-4.0".into(),
            record_count: 3,
            accepted_count: 3,
            latest_version: 1,
            ..Default::default()
        };
        s.set(
            openledger_datanet::keys::datanet(1),
            datanet.encode_to_vec(),
        );
        for (id, who) in [(1u64, 3u8), (2, 2), (3, 3)] {
            let r = Record {
                datanet_id: 1,
                id,
                contributor: addr(who),
                content: format!("{{\"n\":{id}}}"),
                sha256: vec![id as u8; 32],
                height: 10 + id,
                status: RecordStatus::Accepted as i32,
                ..Default::default()
            };
            s.set(openledger_datanet::keys::record(1, id), r.encode_to_vec());
        }
        let v = Version {
            datanet_id: 1,
            version: 1,
            root: vec![0xab; 32],
            record_count: 3,
            height: 20,
            record_ids: vec![1, 2, 3],
        };
        s.set(openledger_datanet::keys::version(1, 1), v.encode_to_vec());
        let a = Adapter {
            id: 1,
            owner: addr(1),
            name: "capitals-lora".into(),
            base_model_id: 1,
            datanet_id: 1,
            datanet_version: 1,
            version_root: vec![0xab; 32],
            weights_sha256: "cd".repeat(32),
            license_contract: String::new(),
            ..Default::default()
        };
        s.set(openledger_models::keys::adapter(1), a.encode_to_vec());
        s
    }

    fn query(
        b: &OpenLedgerBindings,
        s: &mut Overlay<EmptyState>,
        q: Value,
    ) -> Result<Value, String> {
        let block = BlockInfo::default();
        let mut gas = GasMeter::new(10_000_000);
        let mut events: Vec<Event> = Vec::new();
        let mut ctx = Ctx::new(&block, ExecMode::Finalize, s, &mut gas, &mut events);
        let bytes = serde_json::to_vec(&q).map_err(|e| e.to_string())?;
        b.query(&mut ctx, &bytes)
            .map_err(|e| e.message)
            .and_then(|out| serde_json::from_slice(&out).map_err(|e| e.to_string()))
    }

    #[test]
    fn datanet_record_adapter_provenance_shapes() {
        let b = keepers();
        let mut s = state();
        assert_eq!(
            query(&b, &mut s, json!({"datanet": {"id": 1}})).unwrap(),
            json!({
                "id": 1, "owner": addr(1), "name": "capitals", "description": "Capital cities",
                "schema": "{\"type\":\"object\"}", "curators": [addr(1)], "review_quorum": 1,
                "contribution_bond": {"denom": "uopen", "amount": "1000000"},
                "max_record_bytes": 4096, "license": "CC-BY-4.0", "record_count": 3,
                "accepted_count": 3, "latest_version": 1
            })
        );
        assert_eq!(
            query(
                &b,
                &mut s,
                json!({"record": {"datanet_id": 1, "record_id": 2}})
            )
            .unwrap(),
            json!({
                "id": 2, "datanet_id": 1, "contributor": addr(2), "content": "{\"n\":2}",
                "sha256": "02".repeat(32), "height": 12, "status": "accepted"
            })
        );
        assert_eq!(
            query(&b, &mut s, json!({"adapter": {"id": 1}})).unwrap(),
            json!({
                "id": 1, "owner": addr(1), "base_model_id": 1, "datanet_id": 1,
                "datanet_version": 1, "version_root": "ab".repeat(32),
                "weights_sha256": "cd".repeat(32), "license_contract": null
            })
        );
        let mut contributors = vec![
            json!({"address": addr(3), "records": 2}),
            json!({"address": addr(2), "records": 1}),
        ];
        contributors.sort_by(|a, b| a["address"].as_str().cmp(&b["address"].as_str()));
        assert_eq!(
            query(&b, &mut s, json!({"provenance": {"adapter_id": 1}})).unwrap(),
            json!({
                "adapter_id": 1, "datanet_id": 1, "datanet_version": 1,
                "version_root": "ab".repeat(32), "record_count": 3,
                "contributors": contributors
            })
        );
    }

    #[test]
    fn attribution_queries_and_request_inference_reach_the_module() {
        let b = keepers();
        let mut s = state();
        let err = query(&b, &mut s, json!({"attribution_record": {"request_id": 9}})).unwrap_err();
        assert!(err.contains("request 9 not found"), "{err}");
        assert_eq!(
            query(
                &b,
                &mut s,
                json!({"contributor_earnings": {"address": addr(2)}})
            )
            .unwrap(),
            json!({"address": addr(2), "total_earned": "0", "attributions": 0})
        );
        let err = query(
            &b,
            &mut s,
            json!({"contributor_earnings": {"address": "nope"}}),
        )
        .unwrap_err();
        assert!(err.contains("invalid address"), "{err}");

        let block = BlockInfo::default();
        let mut gas = GasMeter::new(1_000_000);
        let mut events = Vec::new();
        let mut ctx = Ctx::new(&block, ExecMode::Finalize, &mut s, &mut gas, &mut events);
        let msg = json!({"request_inference": {"adapter_id": 7, "prompt": "Name the capital of France.", "max_tokens": 16, "max_fee": "5000"}});
        let err = b
            .execute(
                &mut ctx,
                &Address::from([9; 20]),
                msg.to_string().as_bytes(),
            )
            .unwrap_err();
        assert!(
            err.message.contains("adapter 7 not found"),
            "{}",
            err.message
        );
        let bad_fee = json!({"request_inference": {"adapter_id": 7, "prompt": "p", "max_tokens": 16, "max_fee": "lots"}});
        let err = b
            .execute(
                &mut ctx,
                &Address::from([9; 20]),
                bad_fee.to_string().as_bytes(),
            )
            .unwrap_err();
        assert!(err.message.contains("not an amount"), "{}", err.message);
    }

    #[test]
    fn missing_and_malformed() {
        let b = keepers();
        let mut s = state();
        let err = query(&b, &mut s, json!({"datanet": {"id": 7}})).unwrap_err();
        assert!(err.contains("datanet 7 not found"), "{err}");
        let err = query(&b, &mut s, json!({"adapter": {"id": 7}})).unwrap_err();
        assert!(err.contains("not found"), "{err}");
        let err = query(&b, &mut s, json!({"weather": {}})).unwrap_err();
        assert!(err.contains("unknown or malformed"), "{err}");
    }
}
