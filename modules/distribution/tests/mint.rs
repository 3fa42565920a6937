//! Mint: inflation moves toward the bonded goal, each block mints exactly
//! `annual_provisions / blocks_per_year` into the fee collector, and distribution pays it out.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use cosmrs::proto::cosmos::mint::v1beta1 as pb;
use openledger_mint::{MintParams, Minter, block_provision, next_inflation_rate};

const Q: &str = "/cosmos.mint.v1beta1.Query/";

fn inflation(chain: &Chain) -> openledger_framework::Dec {
    let r: pb::QueryInflationResponse = chain
        .query(&format!("{Q}Inflation"), &pb::QueryInflationRequest {})
        .unwrap();
    let atomics: u128 = String::from_utf8(r.inflation).unwrap().parse().unwrap();
    openledger_framework::Dec::from_atomics(atomics)
}

/// 10 accounts of 1000 OPEN (supply 10 000 OPEN), validator 1 bonding `bonded` OPEN.
fn chain_with_bonded(bonded: u128) -> Chain {
    let mut chain = Chain::new(10, 1_000 * OPEN);
    chain
        .send(&create_validator(1, bonded * OPEN, "0.1"))
        .unwrap();
    chain.next_block();
    chain.mint_enabled = true;
    chain
}

#[test]
fn block_provision_is_minted_into_the_fee_collector() {
    let mut chain = chain_with_bonded(100);
    let supply = chain.supply();
    assert_eq!(supply, 10_000 * OPEN);
    let p = MintParams::default();
    chain.next_block_with(Vec::new()); // no commit: the minted coins stay in the fee collector
    // Bonded ratio 0.01, far below 0.67: inflation rises from 13%.
    let m = Minter::default();
    let ratio = dec("0.01");
    let expected_inflation = next_inflation_rate(&m, &p, ratio).unwrap();
    assert!(expected_inflation > m.inflation);
    assert_eq!(inflation(&chain), expected_inflation);
    // Annual provisions = inflation × supply, exactly; the block gets 1/6311520 of it.
    let annual = expected_inflation.atomics() * supply;
    let minted = annual / 10u128.pow(18) / 6_311_520;
    let expected = block_provision(
        &Minter {
            inflation: expected_inflation,
            annual_provisions: openledger_framework::Dec::from_atomics(annual),
        },
        &p,
    );
    assert_eq!(minted, expected);
    assert_eq!(minted, 205); // 1.3e9 uopen a year over 6311520 blocks
    assert_eq!(chain.module_balance(FEE_COLLECTOR), minted);
    assert_eq!(chain.supply(), supply + minted);
    let ev = chain.attributes_of("mint");
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0][0],
        ("bonded_ratio".into(), "0.010000000000000000".into())
    );
    assert_eq!(ev[0][3], ("amount".into(), minted.to_string()));
    let ap: pb::QueryAnnualProvisionsResponse = chain
        .query(
            &format!("{Q}AnnualProvisions"),
            &pb::QueryAnnualProvisionsRequest {},
        )
        .unwrap();
    assert_eq!(
        String::from_utf8(ap.annual_provisions).unwrap(),
        annual.to_string()
    );
    // The next block with a commit: the fee collector's coins (two blocks' provisions) go to
    // the validator and the pool.
    chain.next_block();
    assert_eq!(chain.module_balance(FEE_COLLECTOR), 0);
    chain.check_invariants();
}

#[test]
fn inflation_moves_toward_the_goal() {
    // 10 000 OPEN supply, 9000 bonded: ratio 0.9 > 0.67, inflation falls.
    let mut high = Chain::new(10, 1_000 * OPEN);
    for op in 1..=9 {
        high.send(&create_validator(op, 1_000 * OPEN, "0.1"))
            .unwrap();
    }
    high.next_block();
    high.mint_enabled = true;
    let mut last = inflation(&high);
    for _ in 0..5 {
        high.next_block();
        let now = inflation(&high);
        assert!(now < last, "{now} < {last}");
        last = now;
        high.check_invariants();
    }
    // 1% bonded: it rises.
    let mut low = chain_with_bonded(100);
    let mut last = inflation(&low);
    for _ in 0..5 {
        low.next_block();
        let now = inflation(&low);
        assert!(now > last);
        last = now;
    }
    low.check_invariants();
}

#[test]
fn params_by_gov_only_and_validated() {
    let mut chain = chain_with_bonded(100);
    let p = MintParams {
        blocks_per_year: 100,
        inflation_max: dec("0.5"),
        ..Default::default()
    };
    let msg = |authority: openledger_framework::Address, p: &MintParams| pb::MsgUpdateParams {
        authority: authority.to_bech32(),
        params: Some(p.to_proto()),
    };
    let snapshot = chain.snapshot();
    let e = chain.send(&msg(addr(1), &p)).unwrap_err();
    assert_eq!((e.codespace.as_str(), e.code), ("sdk", 4), "{e}");
    let mut bad = p.clone();
    bad.inflation_min = dec("0.6");
    let e = chain.send(&msg(gov(), &bad)).unwrap_err();
    assert_eq!((e.codespace.as_str(), e.code), ("mint", 2), "{e}");
    assert_eq!(chain.snapshot(), snapshot);
    chain.send(&msg(gov(), &p)).unwrap();
    let q: pb::QueryParamsResponse = chain
        .query(&format!("{Q}Params"), &pb::QueryParamsRequest {})
        .unwrap();
    assert_eq!(q.params.unwrap(), p.to_proto());
    // 100 blocks a year: a block mints a hundredth of the annual provisions.
    let supply = chain.supply();
    chain.next_block_with(Vec::new());
    let infl = inflation(&chain);
    assert_eq!(
        chain.module_balance(FEE_COLLECTOR),
        infl.atomics() * supply / 10u128.pow(18) / 100
    );
}
