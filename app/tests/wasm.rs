//! CosmWasm in process (the real state machine on RocksDB, no CometBFT), with the compiled
//! contracts of `make contracts`: two chains that execute the same store / instantiate / execute
//! transactions — successes, a contract error, a reverted submessage, an out-of-gas loop — end
//! every block with the same app hash and the same gas.

use cosmrs::Any;
use cosmrs::proto::cosmwasm::wasm::v1 as w;
use openledger_framework::pack_any;
use openledger_state_machine::TxOutcome;
use openledger_state_machine::ante::AnteConfig;
use openledgerd::testkit::TestChain;

const GAS: u64 = 50_000_000;

/// A compiled contract from `wasm-contracts/artifacts`, or `None` (test skipped) outside CI.
fn artifact(name: &str) -> Option<Vec<u8>> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wasm-contracts/artifacts")
        .join(name);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires {} (make contracts): {e}", path.display())
        }
        Err(e) => {
            eprintln!("SKIPPED: {} ({e}); run `make contracts`", path.display());
            None
        }
    }
}

fn attr(out: &TxOutcome, kind: &str, key: &str) -> Option<String> {
    out.events
        .iter()
        .filter(|e| e.kind == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

struct Node {
    chain: TestChain,
    _dir: tempfile::TempDir,
    _rt: tokio::runtime::Runtime,
}

impl Node {
    fn new() -> Self {
        let rt = tokio::runtime::Runtime::new().expect("rt");
        let dir = tempfile::tempdir().expect("dir");
        let chain = TestChain::new(
            &rt,
            &dir.path().join("app.db"),
            3,
            1_000_000_000_000,
            AnteConfig::default(),
        )
        .expect("chain");
        Self {
            chain,
            _dir: dir,
            _rt: rt,
        }
    }

    fn sender(&self, i: usize) -> String {
        self.chain.accounts[i].address.to_bech32()
    }

    /// One block with one tx per message; the outcomes and the app hash.
    fn block(&mut self, msgs: Vec<(usize, Any, u64)>) -> (Vec<TxOutcome>, [u8; 32]) {
        let txs: Vec<Vec<u8>> = msgs
            .into_iter()
            .map(|(from, msg, gas)| self.chain.tx(from, vec![msg], gas))
            .collect();
        self.chain.block_with_hash(&txs)
    }
}

/// One block as two nodes must agree on it: each tx's (code, gas used), and the app hash.
type BlockTrace = (Vec<(u32, u64)>, [u8; 32]);

/// The same script on a node; every block's trace.
fn script(node: &mut Node, license: &[u8], misbehave: &[u8]) -> Vec<BlockTrace> {
    let mut trace = Vec::new();
    let mut record = |(outs, hash): (Vec<TxOutcome>, [u8; 32])| {
        let codes = outs.iter().map(|o| (o.code, o.gas_used)).collect();
        trace.push((codes, hash));
        outs
    };
    let store = |sender: String, code: &[u8]| {
        pack_any(&w::MsgStoreCode {
            sender,
            wasm_byte_code: code.to_vec(),
            instantiate_permission: None,
        })
    };
    let outs = record(node.block(vec![
        (0, store(node.sender(0), license), GAS),
        (1, store(node.sender(1), misbehave), GAS),
    ]));
    assert!(outs.iter().all(TxOutcome::is_ok), "{outs:?}");
    let instantiate = |sender: String, code_id: u64, msg: &str, label: &str| {
        pack_any(&w::MsgInstantiateContract {
            sender,
            admin: String::new(),
            code_id,
            label: label.into(),
            msg: msg.as_bytes().to_vec(),
            funds: vec![],
        })
    };
    let outs = record(node.block(vec![
        (
            0,
            instantiate(node.sender(0), 1, r#"{"denom":null}"#, "licence"),
            GAS,
        ),
        (
            1,
            instantiate(node.sender(1), 2, r#"{"count":0}"#, "misbehave"),
            GAS,
        ),
    ]));
    assert!(outs.iter().all(TxOutcome::is_ok), "{outs:?}");
    let licence = attr(&outs[0], "instantiate", "_contract_address").expect("licence address");
    let counter = attr(&outs[1], "instantiate", "_contract_address").expect("counter address");
    let execute = |sender: String, contract: &str, msg: &str| {
        pack_any(&w::MsgExecuteContract {
            sender,
            contract: contract.into(),
            msg: msg.as_bytes().to_vec(),
            funds: vec![],
        })
    };
    let outs = record(node.block(vec![
        (2, execute(node.sender(2), &counter, r#"{"increment":{}}"#), GAS),
        (2, execute(node.sender(2), &counter, r#"{"increment":{}}"#), GAS),
        (
            2,
            execute(
                node.sender(2),
                &counter,
                r#"{"submsg_fail":{"reply_on_error":false}}"#,
            ),
            GAS,
        ),
        (2, execute(node.sender(2), &counter, r#"{"loop":{}}"#), 2_000_000),
        // Terms for an adapter that does not exist: the licence contract refuses.
        (
            0,
            execute(
                node.sender(0),
                &licence,
                r#"{"set_terms":{"adapter_id":9,"terms":{"price_per_inference":"1000","subscription":null,"allow_list_only":false,"contributor_share_bps":0}}}"#,
            ),
            GAS,
        ),
    ]));
    let codes: Vec<u32> = outs.iter().map(|o| o.code).collect();
    assert_eq!(&codes[..2], &[0, 0], "{outs:?}");
    assert_ne!(
        codes[2], 0,
        "a failed submessage without reply fails the parent"
    );
    assert_eq!(outs[3].codespace, "sdk", "{:?}", outs[3]);
    assert_eq!(outs[3].code, 11, "the loop ends out of gas: {:?}", outs[3]);
    assert_ne!(codes[4], 0, "{:?}", outs[4]);
    trace
}

#[test]
fn same_contracts_same_app_hash() {
    let (Some(license), Some(misbehave)) = (
        artifact("model_license.wasm"),
        artifact("test_misbehave.wasm"),
    ) else {
        return;
    };
    let mut a = Node::new();
    let mut b = Node::new();
    let ta = script(&mut a, &license, &misbehave);
    let tb = script(&mut b, &license, &misbehave);
    assert_eq!(ta, tb, "two nodes disagree");
    // And the reverted submessage left the count at 2 on both.
    for node in [&a, &b] {
        let core = &node.chain.app.core;
        let snap = core.storage.latest_snapshot();
        let answer: serde_json::Value = serde_json::from_slice(
            &core
                .wasm
                .query_smart_at(
                    &snap,
                    &openledger_framework::Address::from_bech32(&contract_of(node, 2)).expect("a"),
                    br#"{"count":{}}"#,
                )
                .expect("query"),
        )
        .expect("json");
        assert_eq!(answer, serde_json::json!(2), "{answer}");
    }
}

/// The first contract of a code.
fn contract_of(node: &Node, code_id: u64) -> String {
    let core = &node.chain.app.core;
    let snap = core.storage.latest_snapshot();
    let all = core
        .wasm
        .contracts_by_code(&mut &snap, code_id)
        .expect("contracts");
    all.first().expect("one contract").to_bech32()
}
