//! ProcessProposal and FinalizeBlock on the injected extended commit, driven directly on the
//! state machine of a real genesis (`openledgerd init` + gentx, vote extensions from block 1)
//! with the validator's real consensus key from `priv_validator_key.json`: a proposal with a
//! correctly signed extended commit is accepted, and one whose commit carries a forged or
//! replayed signature, too little signed power, votes other than CometBFT's commit, or a commit
//! out of place, is rejected; FinalizeBlock applies the valid one without gas.

mod common;

use std::sync::Arc;

use base64::Engine;
use openledger_attribution::extension::{CommitVote, TrustedCommit, encode_injected, sign_bytes};
use openledger_framework::Address;
use openledger_framework::store::Storage;
use openledger_proto::openledger::attribution::v1::{InferenceResult, VoteExtension};
use openledger_state_machine::ante::AnteConfig;
use openledger_state_machine::{App, AppCore, BlockInput, STORE_PREFIXES};
use prost::Message;
use sha2::Digest;
use tendermint_proto::v0_38::abci::{ExtendedCommitInfo, ExtendedVoteInfo, Validator};

const CHAIN_ID: &str = "openledger-local-1";

struct Validator1 {
    key: ed25519_consensus::SigningKey,
    address: Address,
    power: i64,
}

/// The genesis of `openledgerd init` with one gentx validator, run in process.
fn chain(dir: &tempfile::TempDir, rt: &tokio::runtime::Runtime) -> (App, Validator1) {
    let node = common::TestNode::init();
    let genesis: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(node.home.join("config/genesis.json")).expect("genesis"),
    )
    .expect("json");
    let enable: u64 = genesis["consensus_params"]["abci"]["vote_extensions_enable_height"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("vote_extensions_enable_height");
    assert_eq!(enable, 1);
    let pv: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(node.home.join("config/priv_validator_key.json"))
            .expect("priv_validator_key.json"),
    )
    .expect("json");
    let b64 = base64::engine::general_purpose::STANDARD;
    let priv_key = b64
        .decode(pv["priv_key"]["value"].as_str().expect("priv_key"))
        .expect("b64");
    let seed: [u8; 32] = priv_key[..32].try_into().expect("seed");
    let key = ed25519_consensus::SigningKey::from(seed);
    let pubkey = key.verification_key().to_bytes();
    let address: [u8; 20] = sha2::Sha256::digest(pubkey)[..20].try_into().expect("20");

    let storage = rt
        .block_on(Storage::open(dir.path().join("app.db"), STORE_PREFIXES))
        .expect("store");
    let core = Arc::new(
        AppCore::new(storage, AnteConfig::default(), &dir.path().join("wasm")).expect("core"),
    );
    let mut app = App::new(core).expect("app");
    let (_, validators) = app
        .init_chain(
            CHAIN_ID,
            1,
            (1_700_000_000, 0),
            genesis["app_state"].to_string().as_bytes(),
            enable,
        )
        .expect("init chain");
    assert_eq!(validators.len(), 1);
    assert_eq!(validators[0].pub_key_ed25519, pubkey);
    let power = validators[0].power;
    app.finalize_block(BlockInput::at(1, (1_700_000_001, 0)), &[] as &[Vec<u8>])
        .expect("block 1");
    app.commit().expect("commit 1");
    (
        app,
        Validator1 {
            key,
            address: Address::from(address),
            power,
        },
    )
}

/// The extended commit of block `height` with the validator's signed (or `forged`) extension.
fn extended_commit(v: &Validator1, height: i64, flag: i32, forged: bool) -> ExtendedCommitInfo {
    // A report of a request that does not exist: well-formed, and ignored by the aggregation.
    let ext = VoteExtension {
        results: vec![InferenceResult {
            request_id: 99,
            output: "hi".into(),
            output_sha256: sha2::Sha256::digest(b"hi").to_vec(),
            top: vec![],
            positive_sum: 0,
        }],
    }
    .encode_to_vec();
    let mut sig = v
        .key
        .sign(&sign_bytes(CHAIN_ID, height, 0, &ext))
        .to_bytes()
        .to_vec();
    if forged {
        sig[0] ^= 1;
    }
    let signed = flag == 2;
    ExtendedCommitInfo {
        round: 0,
        votes: vec![ExtendedVoteInfo {
            validator: Some(Validator {
                address: v.address.as_bytes().to_vec().into(),
                power: v.power,
            }),
            vote_extension: if signed {
                ext.into()
            } else {
                Default::default()
            },
            extension_signature: if signed {
                sig.into()
            } else {
                Default::default()
            },
            block_id_flag: flag,
        }],
    }
}

fn trusted(v: &Validator1, flag: i32) -> TrustedCommit {
    TrustedCommit {
        round: 0,
        votes: vec![CommitVote {
            validator: v.address,
            power: v.power,
            flag,
        }],
    }
}

#[test]
fn proposals_with_a_forged_or_underpowered_extended_commit_are_rejected() {
    if common::cometbft().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (mut app, v) = chain(&dir, &rt);
    let commit = trusted(&v, 2);
    let good = encode_injected(&extended_commit(&v, 1, 2, false));

    // The correct proposal, and what PrepareProposal builds from CometBFT's local commit.
    app.process_proposal(2, std::slice::from_ref(&good), &commit)
        .expect("a correctly signed extended commit is accepted");
    let prepared =
        app.prepare_proposal(2, Some(&extended_commit(&v, 1, 2, false)), vec![], 1 << 20);
    assert_eq!(prepared, vec![good.clone()]);

    let reject = |txs: &[Vec<u8>], trusted: &TrustedCommit, why: &str| {
        let err = app
            .process_proposal(2, txs, trusted)
            .expect_err("the proposal must be rejected");
        assert!(err.contains(why), "{why:?} not in {err:?}");
    };
    // A forged extension signature.
    let forged = encode_injected(&extended_commit(&v, 1, 2, true));
    reject(&[forged], &commit, "signature does not verify");
    // Signed for another height (a replayed extension).
    let replayed = encode_injected(&extended_commit(&v, 7, 2, false));
    reject(&[replayed], &commit, "signature does not verify");
    // Too little power: the only validator did not sign (as CometBFT's commit says).
    let absent = encode_injected(&extended_commit(&v, 1, 1, false));
    reject(&[absent], &trusted(&v, 1), "2/3");
    // Votes that are not the commit CometBFT vouches for.
    reject(
        std::slice::from_ref(&good),
        &trusted(&v, 3),
        "differs from the commit",
    );
    // One out of place, two, garbage after the magic. (A block without one is a plain block.)
    app.process_proposal(2, &[] as &[Vec<u8>], &commit)
        .expect("a block with nothing to report");
    reject(&[vec![1, 2, 3], good.clone()], &commit, "tx 0");
    reject(&[good.clone(), good.clone()], &commit, "out of place");
    let mut garbage = openledger_attribution::extension::INJECTED_MAGIC.to_vec();
    garbage.extend([0xff; 8]);
    reject(&[garbage], &commit, "undecodable extended commit");

    // FinalizeBlock applies the valid commit without gas or fee.
    let mut input = BlockInput::at(2, (1_700_000_002, 0));
    input.commit = commit;
    let res = app
        .finalize_block(input, std::slice::from_ref(&good))
        .expect("block 2");
    assert_eq!(res.outcomes.len(), 1);
    assert_eq!(res.outcomes[0].code, 0, "{}", res.outcomes[0].log);
    assert_eq!(res.outcomes[0].gas_used, 0);
    assert!(
        res.outcomes[0].log.contains("1 of 1 validators reported"),
        "{}",
        res.outcomes[0].log
    );
    app.commit().expect("commit 2");

    // At block 3 an extended commit whose signature does not verify changes nothing and says why.
    let mut input = BlockInput::at(3, (1_700_000_003, 0));
    input.commit = trusted(&v, 2);
    let forged = encode_injected(&extended_commit(&v, 2, 2, true));
    let res = app.finalize_block(input, &[forged]).expect("block 3");
    assert_ne!(res.outcomes[0].code, 0);
    assert!(
        res.outcomes[0].log.contains("signature does not verify"),
        "{}",
        res.outcomes[0].log
    );
}
