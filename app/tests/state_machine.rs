//! The state machine in process (no CometBFT): supply invariant, failure semantics, CheckTx,
//! determinism across nodes.

use openledger_framework::decimal::parse_dec_coins;
use openledger_framework::store::KvRead;
use openledger_framework::{Address, Coins};
use openledger_state_machine::ante::AnteConfig;
use openledger_state_machine::{check_tx, simulate};
use openledgerd::testkit::TestChain;
use proptest::prelude::*;

fn chain(
    dir: &tempfile::TempDir,
    rt: &tokio::runtime::Runtime,
    n: usize,
    ante: AnteConfig,
) -> TestChain {
    TestChain::new(rt, &dir.path().join("app.db"), n, 1_000_000, ante).expect("chain")
}

/// A minimum gas price of 0.025uopen, the nodes' default.
fn min_gas_0025() -> AnteConfig {
    AnteConfig {
        min_gas_prices: parse_dec_coins("0.025uopen").expect("prices"),
    }
}

fn total_balances(c: &TestChain) -> u128 {
    let snap = c.app.core.storage.latest_snapshot();
    snap.prefix("bank/balances/")
        .expect("prefix")
        .iter()
        .map(|(_, v)| {
            std::str::from_utf8(v)
                .expect("utf8")
                .parse::<u128>()
                .expect("amount")
        })
        .sum()
}

fn supply(c: &TestChain) -> u128 {
    let snap = c.app.core.storage.latest_snapshot();
    c.app.core.bank.supply(&mut &snap, "uopen").expect("supply")
}

fn balance(c: &TestChain, a: &Address) -> u128 {
    let snap = c.app.core.storage.latest_snapshot();
    c.app
        .core
        .bank
        .balance(&mut &snap, a, "uopen")
        .expect("balance")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8, .. ProptestConfig::default() })]

    /// Whatever sends succeed or fail, total supply equals the sum of all balances.
    #[test]
    fn supply_equals_sum_of_balances(sends in proptest::collection::vec((0usize..5, 0usize..5, 1u128..600_000), 1..40)) {
        let rt = tokio::runtime::Runtime::new().expect("rt");
        let dir = tempfile::tempdir().expect("dir");
        let mut c = chain(&dir, &rt, 5, AnteConfig::default());
        let initial = supply(&c);
        prop_assert_eq!(initial, 5_000_000);
        for block in sends.chunks(7) {
            let txs: Vec<_> = block.iter().map(|&(f, t, amt)| c.send(f, t, amt)).collect();
            c.block(&txs);
            prop_assert_eq!(supply(&c), initial);
            prop_assert_eq!(total_balances(&c), initial);
        }
    }
}

#[test]
fn failed_message_keeps_fee_and_sequence_but_reverts_the_send() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let dir = tempfile::tempdir().expect("dir");
    let mut c = chain(&dir, &rt, 2, AnteConfig::default());
    let (a, b) = (c.accounts[0].address, c.accounts[1].address);
    let tx = c.send(0, 1, 5_000_000);
    let out = c.block(&[tx]);
    assert_eq!(
        (out[0].code, out[0].codespace.as_str()),
        (5, "sdk"),
        "{}",
        out[0].log
    );
    assert!(out[0].log.contains("insufficient funds"));
    assert_eq!(balance(&c, &a), 1_000_000 - 2500);
    assert_eq!(balance(&c, &b), 1_000_000);
    let snap = c.app.core.storage.latest_snapshot();
    assert_eq!(
        c.app
            .core
            .auth
            .account(&mut &snap, &a)
            .expect("read")
            .expect("account")
            .sequence,
        1
    );
    // The next tx with sequence 1 goes through.
    let tx = c.send(0, 1, 10);
    assert!(c.block(&[tx])[0].is_ok());
    assert_eq!(balance(&c, &b), 1_000_010);
}

#[test]
fn check_tx_enforces_min_gas_price_and_tracks_sequences() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let dir = tempfile::tempdir().expect("dir");
    let mut c = chain(&dir, &rt, 2, min_gas_0025());
    let core = c.app.core.clone();
    let check = c.app.check.clone();
    // 100_000 gas × 0.025 = 2500uopen: exactly enough.
    let ok = c.send(0, 1, 1);
    assert!(check_tx(&core, &check, &ok, false).is_ok());
    // The same tx again: the mempool state has sequence 1 now.
    let again = check_tx(&core, &check, &ok, false);
    assert_eq!(again.code, 32, "{}", again.log);
    c.fees = "2499uopen".parse::<Coins>().expect("coins");
    let cheap = c.send(1, 0, 1);
    let r = check_tx(&core, &check, &cheap, false);
    assert_eq!(r.code, 13, "{}", r.log);
    assert!(
        r.log
            .contains("insufficient fees; got: 2499uopen required: 2500uopen"),
        "{}",
        r.log
    );
    // CheckTx never writes committed state.
    assert_eq!(balance(&c, &c.accounts[0].address), 1_000_000);
    // Simulate reports gas used without changing anything.
    let meta = c.app.meta().clone();
    let snap = core.storage.latest_snapshot();
    let sim = simulate(&core, &snap, &meta, &ok);
    assert!(sim.is_ok(), "{}", sim.log);
    assert!(
        sim.gas_used > 10_000 && sim.gas_used < 100_000,
        "{}",
        sim.gas_used
    );
}

/// What cosmjs, Keplr and the SDK CLI send to Simulate: gas limit 0, no fee, an empty signature.
#[test]
fn simulate_takes_gas_zero_and_an_empty_signature_as_clients_send_them() {
    use cosmrs::proto::cosmos::tx::v1beta1::{AuthInfo, TxRaw};
    use prost::Message;
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let dir = tempfile::tempdir().expect("dir");
    let mut c = chain(&dir, &rt, 2, min_gas_0025());
    let core = c.app.core.clone();
    let signed = c.send(0, 1, 5);
    let mut raw = TxRaw::decode(signed.as_slice()).expect("raw");
    let mut auth = AuthInfo::decode(raw.auth_info_bytes.as_slice()).expect("auth info");
    let fee = auth.fee.as_mut().expect("fee");
    fee.gas_limit = 0;
    fee.amount.clear();
    raw.auth_info_bytes = auth.encode_to_vec();
    let wrong_sig = raw.signatures[0].clone();
    raw.signatures = vec![Vec::new()];
    let unsigned = raw.encode_to_vec();
    let meta = c.app.meta().clone();
    let snap = core.storage.latest_snapshot();
    let sim = simulate(&core, &snap, &meta, &unsigned);
    assert!(sim.is_ok(), "{}", sim.log);
    assert!(sim.gas_used > 10_000, "{}", sim.gas_used);
    // A signature that is there is checked (this one signed other auth info).
    raw.signatures = vec![wrong_sig.clone()];
    let sim = simulate(&core, &snap, &meta, &raw.encode_to_vec());
    assert_eq!(sim.code, 4, "{}", sim.log);
    // cosmjs leaves the sign mode unset in what it simulates: fine without a signature, and
    // still refused with one.
    use cosmrs::proto::cosmos::tx::{signing::v1beta1::SignMode, v1beta1::mode_info};
    for si in &mut auth.signer_infos {
        if let Some(mode_info::Sum::Single(s)) = si.mode_info.as_mut().and_then(|m| m.sum.as_mut())
        {
            s.mode = SignMode::Unspecified as i32;
        }
    }
    raw.auth_info_bytes = auth.encode_to_vec();
    raw.signatures = vec![Vec::new()];
    let sim = simulate(&core, &snap, &meta, &raw.encode_to_vec());
    assert!(sim.is_ok(), "{}", sim.log);
    raw.signatures = vec![wrong_sig];
    let sim = simulate(&core, &snap, &meta, &raw.encode_to_vec());
    assert_eq!(sim.code, 4, "{}", sim.log);
    assert!(sim.log.contains("SIGN_MODE_DIRECT"), "{}", sim.log);
    // Outside Simulate gas 0 stays refused.
    let check = c.app.check.clone();
    let r = check_tx(&core, &check, &unsigned, false);
    assert!(r.log.contains("gas limit 0"), "{}", r.log);
    assert_eq!(balance(&c, &c.accounts[0].address), 1_000_000);
    // Simulated without a fee, the tx is charged what deducting its fee will cost: the gas it
    // uses when it is delivered with one (cosmjs' "auto" is simulated × 1.4; that must cover it).
    let unsigned_gas = {
        raw.signatures = vec![Vec::new()];
        let sim = simulate(&core, &snap, &meta, &raw.encode_to_vec());
        assert!(sim.is_ok(), "{}", sim.log);
        sim.gas_used
    };
    let delivered = c.block(&[signed]).remove(0);
    assert!(delivered.is_ok(), "{}", delivered.log);
    let d = delivered.gas_used;
    assert!(
        unsigned_gas >= d * 98 / 100 && unsigned_gas <= d * 105 / 100,
        "simulated {unsigned_gas} vs delivered {d}"
    );
}

#[test]
fn two_nodes_compute_the_same_app_hash() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let (d1, d2) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let mut c1 = chain(&d1, &rt, 4, AnteConfig::default());
    let mut c2 = chain(&d2, &rt, 4, AnteConfig::default());
    for round in 0..5 {
        let txs1: Vec<_> = (0..4)
            .map(|i| c1.send(i, (i + round + 1) % 4, 100 + round as u128))
            .collect();
        let txs2: Vec<_> = (0..4)
            .map(|i| c2.send(i, (i + round + 1) % 4, 100 + round as u128))
            .collect();
        assert_eq!(txs1, txs2);
        c1.block(&txs1);
        c2.block(&txs2);
        let h1 = c1.app.last_commit().expect("commit").1;
        let h2 = c2.app.last_commit().expect("commit").1;
        assert_eq!(h1, h2, "app hash diverged at height {}", round + 1);
    }
}

#[test]
fn finalize_block_rejects_garbage_without_changing_state() {
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let dir = tempfile::tempdir().expect("dir");
    let mut c = chain(&dir, &rt, 2, AnteConfig::default());
    let before = c
        .app
        .core
        .storage
        .latest_snapshot()
        .root_hash()
        .expect("hash");
    let out = c.block(&[b"garbage".to_vec(), vec![]]);
    assert!(out.iter().all(|o| o.code == 2), "{out:?}");
    assert_eq!(total_balances(&c), 2_000_000);
    // Only the chain metadata (height, time) changed.
    assert_ne!(
        c.app
            .core
            .storage
            .latest_snapshot()
            .root_hash()
            .expect("hash"),
        before
    );
}

#[test]
fn queries_answer_at_a_recent_past_height() {
    use cosmrs::proto::cosmos::bank::v1beta1::{QueryBalanceRequest, QueryBalanceResponse};
    let rt = tokio::runtime::Runtime::new().expect("rt");
    let dir = tempfile::tempdir().expect("dir");
    let mut c = chain(&dir, &rt, 2, AnteConfig::default());
    let b = c.accounts[1].address;
    let before = c.height;
    let tx = c.send(0, 1, 77);
    assert!(c.block(&[tx])[0].is_ok());
    let core = c.app.core.clone();
    let req = QueryBalanceRequest {
        address: b.to_bech32(),
        denom: "uopen".into(),
    };
    let at = |h: u64| -> String {
        let (snap, _) = openledger_node::query::at_height(&core, h).expect("snapshot");
        let r: QueryBalanceResponse = core
            .queries
            .query("/cosmos.bank.v1beta1.Query/Balance", &snap, &req)
            .expect("query");
        r.balance.expect("balance").amount
    };
    assert_eq!(at(before), "1000000");
    assert_eq!(at(c.height), "1000077");
    assert_eq!(at(0), "1000077");
    assert!(openledger_node::query::at_height(&core, c.height + 5).is_err());
}
