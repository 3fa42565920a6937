//! The attribution module over the real bank, staking, datanet and models keepers: requests are
//! priced, escrowed and refused as they should be, a verified extended commit becomes an
//! attribution record paid out to the uopen, and an unanswered request is refunded.

use std::sync::Arc;

use openledger_attribution::extension::{SignedExtension, VerifiedCommit};
use openledger_attribution::{
    AttributionKeeper, AttributionModule, LicenceAnswer, Licences, MODULE_ACCOUNT,
};
use openledger_bank::BankKeeper;
use openledger_datanet::DatanetKeeper;
use openledger_framework::context::ExecMode;
use openledger_framework::store::{EmptyState, Overlay};
use openledger_framework::{
    AbciError, Address, BlockInfo, Coin, Coins, Ctx, Event, GasMeter, KvRead, Module, QueryRouter,
};
use openledger_models::ModelsKeeper;
use openledger_proto::openledger::attribution::v1 as pb;
use openledger_proto::openledger::datanet::v1 as dn;
use openledger_proto::openledger::models::v1 as md;
use openledger_staking::testutil::{Accounts, DENOM, OPEN, addr, cons, create_validator, gov};
use openledger_staking::{StakingKeeper, StakingModule};
use sha2::{Digest, Sha256};

const SCHEMA: &str = r#"{"type":"object","properties":{"instruction":{"type":"string"},"response":{"type":"string"}},"required":["instruction","response"]}"#;

/// A licence that allows everyone but account 66, at 4000 uopen.
struct TestLicence;

impl Licences for TestLicence {
    fn can_infer(
        &self,
        _: &mut Ctx<'_>,
        _contract: &str,
        _adapter_id: u64,
        user: &Address,
    ) -> Result<LicenceAnswer, AbciError> {
        Ok(LicenceAnswer {
            allowed: *user != addr(66),
            price: Coin::new(4000, DENOM),
        })
    }
}

struct Chain {
    state: Overlay<EmptyState>,
    bank: BankKeeper,
    staking: StakingModule,
    attribution: AttributionModule,
    datanets: DatanetKeeper,
    models: ModelsKeeper,
    block: BlockInfo,
    events: Vec<Event>,
    queries: QueryRouter,
}

impl Chain {
    fn new() -> Self {
        let bank = BankKeeper::new(
            Arc::new(Accounts),
            &[
                MODULE_ACCOUNT,
                openledger_datanet::MODULE_ACCOUNT,
                openledger_models::MODULE_ACCOUNT,
                openledger_staking::BONDED_POOL,
                openledger_staking::NOT_BONDED_POOL,
            ],
            gov(),
        );
        let staking = StakingModule::new(StakingKeeper::new(bank.clone(), gov()));
        let datanets = DatanetKeeper::new(bank.clone(), gov());
        let models = ModelsKeeper::new(bank.clone(), datanets.clone(), gov());
        let keeper = AttributionKeeper::new(
            bank.clone(),
            models.clone(),
            datanets.clone(),
            staking.keeper.clone(),
            gov(),
        );
        keeper.set_licences(Arc::new(TestLicence));
        let attribution = AttributionModule { keeper };
        let mut queries = QueryRouter::new();
        attribution.register_queries(&mut queries);
        let mut chain = Self {
            state: Overlay::new(EmptyState),
            bank,
            staking,
            attribution,
            datanets,
            models,
            block: BlockInfo {
                height: 1,
                chain_id: "test-1".into(),
                ..Default::default()
            },
            events: Vec::new(),
            queries,
        };
        chain
            .run(|c, ctx| {
                for n in [1u8, 2, 3, 4, 10, 11, 12, 20, 30, 66] {
                    c.bank.mint(
                        ctx,
                        openledger_datanet::MODULE_ACCOUNT,
                        &coins(1_000_000 * OPEN),
                    )?;
                    c.bank.send_from_module(
                        ctx,
                        openledger_datanet::MODULE_ACCOUNT,
                        &addr(n),
                        &coins(1_000_000 * OPEN),
                    )?;
                }
                c.attribution.init_genesis(ctx, &serde_json::Value::Null)?;
                c.datanets
                    .set_params(ctx, &openledger_datanet::params::default_params())?;
                c.models
                    .set_params(ctx, &openledger_models::default_params())?;
                c.staking.init_genesis(ctx, &serde_json::Value::Null)?;
                // Four validators of 10 power each: operators 1..=4, consensus keys [1..=4; 32].
                for v in 1..=4u8 {
                    let msg = create_validator(v, v, 10 * OPEN, "0.1", "0.2");
                    c.staking
                        .deliver(ctx, &openledger_framework::pack_any(&msg))?;
                }
                c.staking.end_block(ctx)?;
                Ok(())
            })
            .expect("genesis");
        chain
    }

    fn run<T>(
        &mut self,
        f: impl FnOnce(&Self, &mut Ctx<'_>) -> Result<T, AbciError>,
    ) -> Result<T, AbciError> {
        let mut gas = GasMeter::infinite();
        let mut events = Vec::new();
        let mut state = std::mem::replace(&mut self.state, Overlay::new(EmptyState));
        let out = {
            let mut ctx = Ctx::new(
                &self.block,
                ExecMode::Finalize,
                &mut state,
                &mut gas,
                &mut events,
            );
            ctx.branch(|ctx| f(self, ctx))
        };
        self.state = state;
        self.events = events;
        out
    }

    fn next_block(&mut self) {
        self.run(|c, ctx| c.attribution.end_block(ctx))
            .expect("end block");
        self.block.height += 1;
    }

    fn balance(&self, a: &Address) -> u128 {
        self.bank
            .balance(&mut &self.state, a, DENOM)
            .expect("balance")
    }

    fn request(&mut self, sender: u8, adapter_id: u64, max_fee: u128) -> Result<u64, AbciError> {
        let msg = pb::MsgRequestInference {
            sender: addr(sender).to_bech32(),
            adapter_id,
            prompt: "Name the capital of France.".into(),
            max_tokens: 8,
            max_fee: Some(Coin::new(max_fee, DENOM).to_proto()),
        };
        openledger_attribution::msgs::check_request(&msg)?;
        self.run(|c, ctx| {
            c.attribution
                .keeper
                .request_inference(ctx, &msg)
                .map(|r| r.0)
        })
    }

    fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        method: &str,
        req: Req,
    ) -> Result<Resp, AbciError> {
        self.queries.query(
            &format!("/openledger.attribution.v1.Query/{method}"),
            &self.state as &dyn KvRead,
            &req,
        )
    }
}

fn coins(amount: u128) -> Coins {
    Coins::from_vec(vec![Coin::new(amount, DENOM)]).expect("coins")
}

/// Datanet 1 with records 1..=4 by contributors 10, 11, 12, 10 (accepted, version 1), base model
/// 1, adapter 1 (owner 20, no licence) and adapter 2 (owner 20, licence contract).
fn with_adapters(c: &mut Chain) {
    c.run(|c, ctx| {
        let owner = addr(20).to_bech32();
        c.datanets.create(
            ctx,
            &dn::MsgCreateDatanet {
                owner: owner.clone(),
                name: "capitals".into(),
                schema: SCHEMA.into(),
                curators: vec![owner.clone()],
                review_quorum: 1,
                contribution_bond: Some(Coin::new(10, DENOM).to_proto()),
                max_record_bytes: 4096,
                ..Default::default()
            },
        )?;
        for (i, who) in [10u8, 11, 12, 10].into_iter().enumerate() {
            c.datanets.contribute(
                ctx,
                &dn::MsgContribute {
                    contributor: addr(who).to_bech32(),
                    datanet_id: 1,
                    records: vec![format!(
                        r#"{{"instruction":"capital {i}?","response":"city {i}"}}"#
                    )],
                },
            )?;
        }
        c.datanets.review(
            ctx,
            &dn::MsgReview {
                curator: owner.clone(),
                datanet_id: 1,
                record_ids: vec![1, 2, 3, 4],
                verdict: dn::Verdict::Accept as i32,
                reason: String::new(),
            },
        )?;
        c.datanets.cut_version(ctx, &owner, 1)?;
        let sha = hex::encode(Sha256::digest(b"weights"));
        c.models.register_base_model(
            ctx,
            &md::MsgRegisterBaseModel {
                sender: gov().to_bech32(),
                name: "tiny".into(),
                architecture: "llama".into(),
                weights_sha256: sha.clone(),
                tokenizer_sha256: sha,
                source: "test".into(),
            },
        )?;
        let contract = addr(77).to_bech32();
        for licence in ["", contract.as_str()] {
            let weights = b"adapter".to_vec();
            c.models.publish_adapter(
                ctx,
                &md::MsgPublishAdapter {
                    owner: owner.clone(),
                    name: "capitals".into(),
                    base_model_id: 1,
                    datanet_id: 1,
                    datanet_version: 1,
                    config: Some(md::TrainingConfig {
                        rank: 4,
                        alpha: "8".into(),
                        target_modules: vec!["q_proj".into()],
                        epochs: 1,
                        learning_rate: "0.001".into(),
                        seed: 1,
                    }),
                    weights_sha256: hex::encode(Sha256::digest(&weights)),
                    weights,
                    metrics: None,
                    license_contract: licence.into(),
                },
            )?;
        }
        Ok(())
    })
    .expect("datanet and adapters");
}

fn result(request_id: u64, output: &str, top: &[(u64, i64)]) -> pb::InferenceResult {
    pb::InferenceResult {
        request_id,
        output: output.into(),
        output_sha256: Sha256::digest(output.as_bytes()).to_vec(),
        top: top
            .iter()
            .map(|&(record_id, score)| pb::RecordScore { record_id, score })
            .collect(),
        positive_sum: top.iter().map(|&(_, s)| s.max(0)).sum(),
    }
}

/// A verified commit where validator v (1..=4, power 10 each) reports `results[v - 1]`.
fn commit(results: Vec<Option<Vec<pb::InferenceResult>>>) -> VerifiedCommit {
    VerifiedCommit {
        extensions: results
            .into_iter()
            .enumerate()
            .filter_map(|(i, r)| {
                r.map(|results| SignedExtension {
                    validator: cons(i as u8 + 1),
                    power: 10,
                    extension: Some(pb::VoteExtension { results }),
                })
            })
            .collect(),
        total_power: 40,
    }
}

#[test]
fn an_agreed_result_is_committed_and_the_fee_paid_out_exactly() {
    let mut c = Chain::new();
    with_adapters(&mut c);
    let before: Vec<u128> = [10u8, 11, 12, 20, 1, 2, 3, 4, 30]
        .iter()
        .map(|n| c.balance(&addr(*n)))
        .collect();
    let id = c.request(30, 1, 5000).expect("request");
    assert_eq!(id, 1);
    let ev = c
        .events
        .iter()
        .find(|e| e.kind == "request_inference")
        .expect("event");
    assert!(ev.attributes.contains(&("request_id".into(), "1".into())));
    // The default price, 1000 uopen, is escrowed.
    assert_eq!(c.balance(&AttributionKeeper::module_address()), 1000);
    assert_eq!(c.balance(&addr(30)), before[8] - 1000);
    c.next_block();

    // Three honest validators agree; the fourth reports garbage for another output.
    let honest = |s: i64| {
        Some(vec![result(
            1,
            "Paris",
            &[(1, 600_000 + s), (2, 300_000), (3, -50_000)],
        )])
    };
    let records = c
        .run(|c, ctx| {
            c.attribution.keeper.apply_extended_commit(
                ctx,
                &commit(vec![
                    honest(0),
                    honest(10),
                    honest(-10),
                    Some(vec![result(1, "Lyon", &[(4, 1_000_000)])]),
                ]),
            )
        })
        .expect("apply");
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.output, "Paris");
    assert_eq!(r.reporters.len(), 3);
    assert_eq!(
        r.scores
            .iter()
            .map(|s| (s.record_id, s.score))
            .collect::<Vec<_>>(),
        vec![(1, 600_000), (2, 300_000), (3, -50_000)]
    );
    // 1000: 700 to contributors by positive score (record 1: 466.67, record 2: 233.33), 200 to
    // the owner, 100 to the three reporters (33.33 each).
    assert_eq!(r.scores[0].reward, "467");
    assert_eq!(r.scores[1].reward, "233");
    assert_eq!(r.scores[2].reward, "0");
    assert_eq!(r.owner_reward, "200");
    let v: Vec<&str> = r.reporters.iter().map(|r| r.reward.as_str()).collect();
    assert_eq!(v, vec!["34", "33", "33"]);
    let after: Vec<u128> = [10u8, 11, 12, 20, 1, 2, 3, 4, 30]
        .iter()
        .map(|n| c.balance(&addr(*n)))
        .collect();
    let gained: Vec<u128> = after[..8].iter().zip(&before).map(|(a, b)| a - b).collect();
    assert_eq!(gained[..8], [467, 233, 0, 200, 34, 33, 33, 0]);
    assert_eq!(gained[..8].iter().sum::<u128>(), 1000);
    assert_eq!(c.balance(&AttributionKeeper::module_address()), 0);

    // Stored, indexed, provable, and the request is attributed.
    let req: pb::QueryRequestResponse = c
        .query("Request", pb::QueryRequestRequest { id: 1 })
        .expect("request");
    assert_eq!(
        req.request.expect("request").status,
        pb::RequestStatus::Attributed as i32
    );
    let e: pb::QueryContributorEarningsResponse = c
        .query(
            "ContributorEarnings",
            pb::QueryContributorEarningsRequest {
                address: addr(10).to_bech32(),
            },
        )
        .expect("earnings");
    let e = e.earnings.expect("earnings");
    assert_eq!((e.total_earned.as_str(), e.attributions), ("467", 1));
    let by_contributor: pb::QueryRecordsResponse = c
        .query(
            "RecordsByContributor",
            pb::QueryRecordsByContributorRequest {
                address: addr(11).to_bech32(),
                pagination: None,
            },
        )
        .expect("by contributor");
    assert_eq!(by_contributor.records.len(), 1);
    let by_adapter: pb::QueryRecordsResponse = c
        .query(
            "RecordsByAdapter",
            pb::QueryRecordsByAdapterRequest {
                adapter_id: 1,
                pagination: None,
            },
        )
        .expect("by adapter");
    assert_eq!(by_adapter.records.len(), 1);
    let p: pb::QueryRecordProofResponse = c
        .query("RecordProof", pb::QueryRecordProofRequest { request_id: 1 })
        .expect("proof");
    let root: pb::BlockRoot = prost::Message::decode(p.root_value.as_slice()).expect("root");
    let record = p.record.clone().expect("record");
    assert!(openledger_attribution::proof::verify(
        &record,
        &p.siblings,
        &root
    ));
    let mut altered = record.clone();
    altered.output = "Berlin".into();
    assert!(!openledger_attribution::proof::verify(
        &altered,
        &p.siblings,
        &root
    ));

    // Reported again in a later block (a slow validator): nothing changes, nothing is paid.
    c.next_block();
    let again = c
        .run(|c, ctx| {
            c.attribution
                .keeper
                .apply_extended_commit(ctx, &commit(vec![honest(0), honest(0), honest(0), None]))
        })
        .expect("apply");
    assert!(again.is_empty());
    assert_eq!(c.balance(&addr(10)), after[0]);
}

#[test]
fn without_a_quorum_nothing_is_committed_and_the_fee_is_refunded_after_the_timeout() {
    let mut c = Chain::new();
    with_adapters(&mut c);
    let start = c.balance(&addr(30));
    c.request(30, 1, 1000).expect("request");
    let timeout = c
        .attribution
        .keeper
        .must_request(&mut (&c.state as &dyn KvRead), 1)
        .expect("request")
        .timeout_height;
    c.next_block();
    // Two of four agree: no record.
    let got = c
        .run(|c, ctx| {
            c.attribution.keeper.apply_extended_commit(
                ctx,
                &commit(vec![
                    Some(vec![result(1, "a", &[(1, 5)])]),
                    Some(vec![result(1, "a", &[(1, 5)])]),
                    Some(vec![result(1, "b", &[(1, 5)])]),
                    None,
                ]),
            )
        })
        .expect("apply");
    assert!(got.is_empty());
    while c.block.height < timeout {
        c.next_block();
    }
    assert_eq!(c.balance(&addr(30)), start - 1000);
    c.next_block(); // end of block `timeout`: refunded
    assert_eq!(c.balance(&addr(30)), start);
    assert_eq!(c.balance(&AttributionKeeper::module_address()), 0);
    let r = c
        .attribution
        .keeper
        .must_request(&mut (&c.state as &dyn KvRead), 1)
        .expect("request");
    assert_eq!(r.status, pb::RequestStatus::Refunded as i32);
    assert_eq!(r.finalized_height, timeout);
    // A quorum that comes too late changes nothing.
    let late = c
        .run(|c, ctx| {
            c.attribution.keeper.apply_extended_commit(
                ctx,
                &commit(vec![
                    Some(vec![result(1, "a", &[(1, 5)])]),
                    Some(vec![result(1, "a", &[(1, 5)])]),
                    Some(vec![result(1, "a", &[(1, 5)])]),
                    None,
                ]),
            )
        })
        .expect("apply");
    assert!(late.is_empty());
    assert_eq!(c.balance(&addr(30)), start);
}

#[test]
fn bad_requests_are_refused_and_escrow_nothing() {
    let mut c = Chain::new();
    with_adapters(&mut c);
    let start = c.balance(&addr(66));
    let err = |r: Result<u64, AbciError>| r.expect_err("refused").message;
    // The licence denies account 66.
    let e = err(c.request(66, 2, 10_000));
    assert!(e.contains("denies"), "{e}");
    // Its price (4000) is over max_fee.
    let e = err(c.request(30, 2, 3999));
    assert!(e.contains("more than max_fee"), "{e}");
    // Unknown adapter.
    let e = err(c.request(30, 9, 10_000));
    assert!(e.contains("adapter 9 not found"), "{e}");
    // Oversize prompt, too many tokens, no fee limit.
    let p = c
        .attribution
        .keeper
        .params(&mut (&c.state as &dyn KvRead))
        .expect("params");
    let msg = |prompt: String, max_tokens: u32, max_fee: Option<u128>| pb::MsgRequestInference {
        sender: addr(30).to_bech32(),
        adapter_id: 1,
        prompt,
        max_tokens,
        max_fee: max_fee.map(|f| Coin::new(f, DENOM).to_proto()),
    };
    for (m, want) in [
        (
            msg("x".repeat(p.max_prompt_bytes as usize + 1), 1, Some(5000)),
            "over the limit",
        ),
        (msg("hi".into(), p.max_tokens + 1, Some(5000)), "max_tokens"),
    ] {
        let e = c
            .run(|c, ctx| c.attribution.keeper.request_inference(ctx, &m))
            .expect_err("refused")
            .message;
        assert!(e.contains(want), "{e}");
    }
    assert!(openledger_attribution::msgs::check_request(&msg("hi".into(), 1, None)).is_err());
    assert!(openledger_attribution::msgs::check_request(&msg(" ".into(), 1, Some(1))).is_err());
    assert_eq!(c.balance(&addr(66)), start);
    assert_eq!(c.balance(&AttributionKeeper::module_address()), 0);
    // The licence's price is what an allowed user pays.
    c.request(30, 2, 4000).expect("licensed request");
    assert_eq!(c.balance(&AttributionKeeper::module_address()), 4000);
}

#[test]
fn genesis_round_trips_with_a_pending_request_and_a_record() {
    let mut c = Chain::new();
    with_adapters(&mut c);
    c.request(30, 1, 5000).expect("request");
    c.request(30, 1, 5000).expect("request");
    c.next_block();
    c.run(|c, ctx| {
        c.attribution.keeper.apply_extended_commit(
            ctx,
            &commit(vec![
                Some(vec![result(1, "x", &[(1, 9)])]),
                Some(vec![result(1, "x", &[(1, 9)])]),
                Some(vec![result(1, "x", &[(1, 9)])]),
                None,
            ]),
        )
    })
    .expect("apply");
    let exported = c
        .attribution
        .export_genesis(&c.state as &dyn KvRead)
        .expect("export");
    let mut fresh = Chain::new();
    fresh
        .run(|f, ctx| f.attribution.init_genesis(ctx, &exported))
        .expect("import");
    let again = fresh
        .attribution
        .export_genesis(&fresh.state as &dyn KvRead)
        .expect("export");
    assert_eq!(exported, again);
    let pending = fresh
        .attribution
        .keeper
        .pending_requests(&mut (&fresh.state as &dyn KvRead))
        .expect("pending");
    assert_eq!(pending.iter().map(|r| r.id).collect::<Vec<_>>(), vec![2]);
    assert_eq!(exported["nextRequestId"], "3");
}
