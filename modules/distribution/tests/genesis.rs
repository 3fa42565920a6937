//! Export → import → export gives the same distribution and mint state, and rewards keep
//! accruing alike on the imported chain.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use openledger_framework::{KvRead, Module};

fn busy_chain() -> Chain {
    let mut chain = Chain::new(20, 1_000 * OPEN);
    chain.send(&create_validator(1, 10 * OPEN, "0.1")).unwrap();
    chain.send(&create_validator(2, 30 * OPEN, "0.05")).unwrap();
    chain.send(&delegate(10, 1, 5 * OPEN)).unwrap();
    chain.send(&delegate(11, 2, 7 * OPEN)).unwrap();
    chain
        .send(
            &cosmrs::proto::cosmos::distribution::v1beta1::MsgSetWithdrawAddress {
                delegator_address: addr(10).to_bech32(),
                withdraw_address: addr(12).to_bech32(),
            },
        )
        .unwrap();
    chain.next_block();
    chain.mint_enabled = true;
    chain.collect_fees(20, 12_345);
    chain.next_block();
    let staking = chain.staking_keeper().clone();
    let h = chain.block.height as i64;
    chain
        .run(|c| staking.slash(c, &cons(1), h, 15, dec("0.05")))
        .unwrap();
    chain.collect_fees(20, 777);
    chain.next_block();
    chain.send(&delegate(10, 1, OPEN)).unwrap();
    chain.next_block();
    chain.check_invariants();
    chain
}

fn export(chain: &Chain) -> [serde_json::Value; 4] {
    let s: &dyn KvRead = &chain.state;
    [
        openledger_bank::BankModule::new(chain.bank.clone())
            .export_genesis(s)
            .unwrap(),
        chain.staking.export_genesis(s).unwrap(),
        chain.distr.export_genesis(s).unwrap(),
        chain.mint.export_genesis(s).unwrap(),
    ]
}

#[test]
fn export_import_round_trips() {
    let mut chain = busy_chain();
    let [bank, staking, distr, mint] = export(&chain);
    // The Cosmos JSON shape.
    assert!(
        distr["params"]["community_tax"]
            .as_str()
            .unwrap()
            .starts_with("0.02")
    );
    assert!(distr["fee_pool"]["community_pool"].is_array());
    assert_eq!(
        distr["delegator_withdraw_infos"][0]["withdraw_address"],
        addr(12).to_bech32()
    );
    assert_eq!(distr["validator_slash_events"].as_array().unwrap().len(), 1);
    assert!(distr["validator_historical_rewards"][0]["period"].is_string());
    assert!(
        mint["minter"]["inflation"]
            .as_str()
            .unwrap()
            .starts_with("0.13")
    );
    assert_eq!(mint["params"]["blocks_per_year"], "6311520");

    let mut imported = Chain::with_genesis(bank, staking, distr.clone(), mint.clone());
    imported.block = chain.block.clone();
    imported.mint_enabled = true;
    let again = export(&imported);
    assert_eq!(again[2], distr);
    assert_eq!(again[3], mint);
    imported.check_invariants();
    // Both chains go on alike.
    for c in [&mut chain, &mut imported] {
        c.collect_fees(20, 5_000);
        c.next_block();
        c.send(&delegate(11, 2, OPEN)).unwrap();
        c.next_block();
    }
    assert_eq!(export(&chain)[2], export(&imported)[2]);
    assert_eq!(chain.rewards(10, 1), imported.rewards(10, 1));
    assert!(!chain.rewards(10, 1).is_empty());
}

#[test]
fn import_refuses_a_module_balance_that_does_not_match() {
    let chain = busy_chain();
    let [bank, staking, mut distr, mint] = export(&chain);
    distr["fee_pool"]["community_pool"] =
        serde_json::json!([{"denom": DENOM, "amount": "99999999.0"}]);
    let r = std::panic::catch_unwind(|| Chain::with_genesis(bank, staking, distr, mint));
    assert!(r.is_err(), "genesis with a wrong module balance is refused");
}
