//! Fees are allocated by voting power, commission split off per validator, the community tax
//! and rounding dust to the community pool.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use cosmrs::proto::cosmos::distribution::v1beta1 as pb;
use openledger_framework::VoteInfo;
use openledger_staking::valoper;

const Q: &str = "/cosmos.distribution.v1beta1.Query/";

/// Validators 1, 2, 3 with 10, 20 and 70 OPEN, commission 10%, 20%, 50%; bonded.
fn three_validators() -> Chain {
    let mut chain = Chain::new(20, 1_000 * OPEN);
    chain.send(&create_validator(1, 10 * OPEN, "0.1")).unwrap();
    chain.send(&create_validator(2, 20 * OPEN, "0.2")).unwrap();
    chain.send(&create_validator(3, 70 * OPEN, "0.5")).unwrap();
    chain.next_block(); // bonds them; nothing to allocate yet
    chain
}

#[test]
fn fees_split_by_power_with_commission() {
    let mut chain = three_validators();
    assert!(chain.community_pool().is_empty());
    chain.collect_fees(20, 1000);
    chain.next_block();
    assert_eq!(chain.module_balance(FEE_COLLECTOR), 0);
    assert_eq!(
        chain.module_balance(openledger_distribution::MODULE_NAME),
        1000
    );
    // 2% tax: 980 to share; 10/100, 20/100, 70/100 of it.
    assert_eq!(chain.outstanding(1), dec_coins("98"));
    assert_eq!(chain.outstanding(2), dec_coins("196"));
    assert_eq!(chain.outstanding(3), dec_coins("686"));
    assert_eq!(chain.commission(1), dec_coins("9.8"));
    assert_eq!(chain.commission(2), dec_coins("39.2"));
    assert_eq!(chain.commission(3), dec_coins("343"));
    assert_eq!(chain.community_pool(), dec_coins("20"));
    // Each operator is its validator's only delegator: the rest is its own.
    assert_eq!(chain.rewards(1, 1), dec_coins("88.2"));
    assert_eq!(chain.rewards(2, 2), dec_coins("156.8"));
    assert_eq!(chain.rewards(3, 3), dec_coins("343"));
    // The SDK's events: commission and rewards per validator.
    let commissions = chain.attributes_of("commission");
    assert_eq!(commissions.len(), 3);
    assert!(commissions.contains(&vec![
        ("amount".into(), "9.800000000000000000uopen".into()),
        ("validator".into(), valoper(&addr(1))),
    ]));
    assert!(chain.attributes_of("rewards").contains(&vec![
        ("amount".into(), "686.000000000000000000uopen".into()),
        ("validator".into(), valoper(&addr(3))),
    ]));
    // Through the gRPC query paths as well.
    let out: pb::QueryValidatorOutstandingRewardsResponse = chain
        .query(
            &format!("{Q}ValidatorOutstandingRewards"),
            &pb::QueryValidatorOutstandingRewardsRequest {
                validator_address: valoper(&addr(2)),
            },
        )
        .unwrap();
    assert_eq!(out.rewards.unwrap().rewards, dec_coins("196").to_proto());
    let info: pb::QueryValidatorDistributionInfoResponse = chain
        .query(
            &format!("{Q}ValidatorDistributionInfo"),
            &pb::QueryValidatorDistributionInfoRequest {
                validator_address: valoper(&addr(1)),
            },
        )
        .unwrap();
    assert_eq!(info.operator_address, addr(1).to_bech32());
    assert_eq!(info.self_bond_rewards, dec_coins("88.2").to_proto());
    assert_eq!(info.commission, dec_coins("9.8").to_proto());
    chain.check_invariants();
}

#[test]
fn truncation_dust_goes_to_the_community_pool() {
    let mut chain = Chain::new(20, 1_000 * OPEN);
    for op in 1..=3 {
        chain.send(&create_validator(op, OPEN, "0.1")).unwrap();
    }
    chain.next_block();
    chain.collect_fees(20, 1000);
    chain.next_block();
    // 980 × 0.333333333333333333 each, truncated.
    for op in 1..=3 {
        assert_eq!(chain.outstanding(op), dec_coins("326.666666666666666340"));
    }
    assert_eq!(chain.community_pool(), dec_coins("20.000000000000000980"));
    chain.check_invariants();
}

#[test]
fn power_fraction_is_of_the_commit_and_unknown_signers_feed_the_pool() {
    let mut chain = three_validators();
    chain.collect_fees(20, 1000);
    // Only validators 1 and 3 in the commit, plus a consensus address nobody has.
    chain.next_block_with(vec![
        VoteInfo {
            validator: cons(1),
            power: 10,
            signed: true,
        },
        VoteInfo {
            validator: cons(3),
            power: 70,
            signed: false,
        },
        VoteInfo {
            validator: cons(99),
            power: 20,
            signed: true,
        },
    ]);
    assert_eq!(chain.outstanding(1), dec_coins("98"));
    assert!(chain.outstanding(2).is_empty());
    assert_eq!(chain.outstanding(3), dec_coins("686"));
    assert_eq!(chain.community_pool(), dec_coins("216"));
    chain.check_invariants();
}

#[test]
fn no_allocation_at_height_one_or_without_a_commit() {
    let mut chain = three_validators();
    chain.collect_fees(20, 1000);
    chain.next_block_with(Vec::new());
    assert_eq!(chain.module_balance(FEE_COLLECTOR), 1000, "fees wait");
    assert!(chain.community_pool().is_empty());
    // A commit whose power is all zero: everything to the community pool (the SDK).
    chain.next_block_with(vec![VoteInfo {
        validator: cons(1),
        power: 0,
        signed: true,
    }]);
    assert_eq!(chain.module_balance(FEE_COLLECTOR), 0);
    assert_eq!(chain.community_pool(), dec_coins("1000"));
    chain.check_invariants();
}

#[test]
fn community_tax_fund_and_spend() {
    let mut chain = three_validators();
    // Tax 50% through gov.
    let p = openledger_distribution::Params {
        community_tax: dec("0.5"),
        ..Default::default()
    };
    chain
        .send(&pb::MsgUpdateParams {
            authority: gov().to_bech32(),
            params: Some(p.to_proto()),
        })
        .unwrap();
    chain.collect_fees(20, 1000);
    chain.next_block();
    assert_eq!(chain.community_pool(), dec_coins("500"));
    assert_eq!(chain.outstanding(3), dec_coins("350"));
    // Anyone can fund the pool.
    let before = chain.balance(&addr(5));
    chain
        .send(&pb::MsgFundCommunityPool {
            amount: coins(250),
            depositor: addr(5).to_bech32(),
        })
        .unwrap();
    assert_eq!(chain.balance(&addr(5)), before - 250);
    assert_eq!(chain.community_pool(), dec_coins("750"));
    let pool: pb::QueryCommunityPoolResponse = chain
        .query(
            &format!("{Q}CommunityPool"),
            &pb::QueryCommunityPoolRequest {},
        )
        .unwrap();
    assert_eq!(pool.pool, dec_coins("750").to_proto());
    chain.check_invariants();
    // Only gov spends it.
    let spend = |authority: &str, amount: u128| pb::MsgCommunityPoolSpend {
        authority: authority.to_string(),
        recipient: addr(6).to_bech32(),
        amount: coins(amount),
    };
    let snapshot = chain.snapshot();
    let e = chain.send(&spend(&addr(5).to_bech32(), 100)).unwrap_err();
    assert_eq!((e.codespace.as_str(), e.code), ("sdk", 4), "{e}");
    let e = chain.send(&spend(&gov().to_bech32(), 751)).unwrap_err();
    assert_eq!((e.codespace.as_str(), e.code), ("distribution", 9), "{e}");
    assert_eq!(chain.snapshot(), snapshot, "refused spends change nothing");
    let before = chain.balance(&addr(6));
    chain.send(&spend(&gov().to_bech32(), 700)).unwrap();
    assert_eq!(chain.balance(&addr(6)), before + 700);
    assert_eq!(chain.community_pool(), dec_coins("50"));
    chain.check_invariants();
}

#[test]
fn deposit_validator_rewards_pool_credits_the_validator() {
    let mut chain = three_validators();
    chain
        .send(&pb::MsgDepositValidatorRewardsPool {
            depositor: addr(5).to_bech32(),
            validator_address: valoper(&addr(1)),
            amount: coins(100),
        })
        .unwrap();
    assert_eq!(chain.outstanding(1), dec_coins("100"));
    assert_eq!(chain.commission(1), dec_coins("10"));
    assert_eq!(chain.rewards(1, 1), dec_coins("90"));
    chain.check_invariants();
}
