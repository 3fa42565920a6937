//! A delegator's rewards: across delegation changes (auto-withdraw), across a slash, withdrawn
//! to a withdraw address; the validator's commission; bad inputs refused without a change.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use cosmrs::proto::cosmos::distribution::v1beta1 as pb;
use openledger_staking::valoper;

const Q: &str = "/cosmos.distribution.v1beta1.Query/";
const D: u8 = 10;

/// Validator 1 (10 OPEN self, 10% commission) and delegator 10 with 10 OPEN; bonded.
fn one_validator_one_delegator() -> Chain {
    let mut chain = Chain::new(20, 1_000 * OPEN);
    chain.send(&create_validator(1, 10 * OPEN, "0.1")).unwrap();
    chain.send(&delegate(D, 1, 10 * OPEN)).unwrap();
    chain.next_block();
    chain
}

fn withdraw(del: u8, val: u8) -> pb::MsgWithdrawDelegatorReward {
    pb::MsgWithdrawDelegatorReward {
        delegator_address: addr(del).to_bech32(),
        validator_address: valoper(&addr(val)),
    }
}

#[test]
fn delegation_change_withdraws_rewards_first() {
    let mut chain = one_validator_one_delegator();
    chain.collect_fees(20, 1000);
    chain.next_block();
    // 980 after tax, 98 commission, 882 shared half and half.
    assert_eq!(chain.rewards(D, 1), dec_coins("441"));
    assert_eq!(chain.rewards(1, 1), dec_coins("441"));
    let before = chain.balance(&addr(D));
    chain.send(&delegate(D, 1, 10 * OPEN)).unwrap();
    // The hook paid the 441 before the shares changed.
    assert_eq!(chain.balance(&addr(D)), before - 10 * OPEN + 441);
    assert_eq!(
        chain.attributes_of("withdraw_rewards"),
        vec![vec![
            ("amount".into(), "441uopen".into()),
            ("validator".into(), valoper(&addr(1))),
            ("delegator".into(), addr(D).to_bech32()),
        ]]
    );
    assert!(chain.rewards(D, 1).is_empty());
    // Now 20 of 30 OPEN: two thirds of the next 882.
    chain.collect_fees(20, 1000);
    chain.next_block();
    assert_eq!(chain.rewards(D, 1), dec_coins("588"));
    assert_eq!(chain.rewards(1, 1), dec_coins("735"));
    chain.check_invariants();
    // Undelegating everything pays out too, and leaves no starting info behind.
    let before = chain.balance(&addr(D));
    chain.send(&undelegate(D, 1, 20 * OPEN)).unwrap();
    assert_eq!(chain.balance(&addr(D)), before + 588);
    let mut s: &dyn openledger_framework::KvRead = &chain.state;
    assert!(
        chain
            .keeper()
            .starting_info(&mut s, &addr(1), &addr(D))
            .unwrap()
            .is_none()
    );
    chain.check_invariants();
}

#[test]
fn slash_events_cut_the_stake_of_later_periods() {
    let mut chain = one_validator_one_delegator();
    chain.collect_fees(20, 1000);
    chain.next_block();
    assert_eq!(chain.rewards(D, 1), dec_coins("441"));
    // Slash validator 1 by 10% for an infraction now: 20 → 18 OPEN.
    let staking = chain.staking_keeper().clone();
    let height = chain.block.height as i64;
    let burned = chain
        .run(|c| staking.slash(c, &cons(1), height, 20, dec("0.1")))
        .unwrap();
    assert_eq!(burned, 2 * OPEN);
    chain.check_invariants();
    chain.collect_fees(20, 1000);
    chain.next_block();
    // The next 882 is shared by 18 OPEN: the delegator's 10 OPEN are worth 9 now, so it gets
    // half again (441), not 10/18 of it (490) as its unslashed stake would claim.
    assert_eq!(chain.rewards(D, 1), dec_coins("882"));
    assert_eq!(chain.rewards(1, 1), dec_coins("882"));
    assert_eq!(chain.outstanding(1), dec_coins("1960"));
    let slashes: pb::QueryValidatorSlashesResponse = chain
        .query(
            &format!("{Q}ValidatorSlashes"),
            &pb::QueryValidatorSlashesRequest {
                validator_address: valoper(&addr(1)),
                starting_height: 0,
                ending_height: 1000,
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(slashes.slashes.len(), 1);
    assert_eq!(slashes.slashes[0].fraction, pdec("0.1"));
    chain.check_invariants();
    let before = chain.balance(&addr(D));
    chain.send(&withdraw(D, 1)).unwrap();
    assert_eq!(chain.balance(&addr(D)), before + 882);
    chain.check_invariants();
}

#[test]
fn withdraw_rewards_and_commission() {
    let mut chain = one_validator_one_delegator();
    chain.collect_fees(20, 1001);
    chain.next_block();
    // 1001 × 0.98 = 980.98; commission 98.098; 882.882 shared: 441.441 each.
    assert_eq!(chain.commission(1), dec_coins("98.098"));
    assert_eq!(chain.rewards(D, 1), dec_coins("441.441"));
    let before = chain.balance(&addr(D));
    let resp = chain.send(&withdraw(D, 1)).unwrap();
    assert_eq!(chain.balance(&addr(D)), before + 441);
    let any = resp.response.unwrap();
    assert_eq!(
        any.type_url,
        "/cosmos.distribution.v1beta1.MsgWithdrawDelegatorRewardResponse"
    );
    // The fraction went to the community pool: 20.02 tax + 0.441.
    assert_eq!(chain.community_pool(), dec_coins("20.461"));
    let op_before = chain.balance(&addr(1));
    chain
        .send(&pb::MsgWithdrawValidatorCommission {
            validator_address: valoper(&addr(1)),
        })
        .unwrap();
    assert_eq!(chain.balance(&addr(1)), op_before + 98);
    assert_eq!(
        chain.attributes_of("withdraw_commission"),
        vec![vec![("amount".into(), "98uopen".into())]]
    );
    // The fraction of the commission stays for later.
    assert_eq!(chain.commission(1), dec_coins("0.098"));
    assert_eq!(chain.outstanding(1), dec_coins("441.539"));
    chain.check_invariants();
    // Nothing left to withdraw: fine, a zero coin in the event (as the SDK reports it).
    chain.send(&withdraw(D, 1)).unwrap();
    assert_eq!(
        chain.attributes_of("withdraw_rewards")[0][0],
        ("amount".into(), "0uopen".into())
    );
    let total: pb::QueryDelegationTotalRewardsResponse = chain
        .query(
            &format!("{Q}DelegationTotalRewards"),
            &pb::QueryDelegationTotalRewardsRequest {
                delegator_address: addr(1).to_bech32(),
            },
        )
        .unwrap();
    assert_eq!(total.total, dec_coins("441.441").to_proto());
    assert_eq!(total.rewards.len(), 1);
    let vals: pb::QueryDelegatorValidatorsResponse = chain
        .query(
            &format!("{Q}DelegatorValidators"),
            &pb::QueryDelegatorValidatorsRequest {
                delegator_address: addr(D).to_bech32(),
            },
        )
        .unwrap();
    assert_eq!(vals.validators, vec![valoper(&addr(1))]);
}

#[test]
fn set_withdraw_address() {
    let mut chain = one_validator_one_delegator();
    let set = |to: openledger_framework::Address| pb::MsgSetWithdrawAddress {
        delegator_address: addr(D).to_bech32(),
        withdraw_address: to.to_bech32(),
    };
    chain.send(&set(addr(11))).unwrap();
    assert_eq!(
        chain.attributes_of("set_withdraw_address"),
        vec![vec![("withdraw_address".into(), addr(11).to_bech32())]]
    );
    let q: pb::QueryDelegatorWithdrawAddressResponse = chain
        .query(
            &format!("{Q}DelegatorWithdrawAddress"),
            &pb::QueryDelegatorWithdrawAddressRequest {
                delegator_address: addr(D).to_bech32(),
            },
        )
        .unwrap();
    assert_eq!(q.withdraw_address, addr(11).to_bech32());
    chain.collect_fees(20, 1000);
    chain.next_block();
    let (d_before, w_before) = (chain.balance(&addr(D)), chain.balance(&addr(11)));
    chain.send(&withdraw(D, 1)).unwrap();
    assert_eq!(chain.balance(&addr(D)), d_before);
    assert_eq!(chain.balance(&addr(11)), w_before + 441);
    // Module accounts cannot receive rewards.
    let snapshot = chain.snapshot();
    let e = chain
        .send(&set(openledger_framework::Address::module(FEE_COLLECTOR)))
        .unwrap_err();
    assert_eq!((e.codespace.as_str(), e.code), ("sdk", 4), "{e}");
    assert!(e.message.contains("not allowed to receive"), "{e}");
    // Disabled by params: refused.
    let p = openledger_distribution::Params {
        withdraw_addr_enabled: false,
        ..Default::default()
    };
    chain
        .send(&pb::MsgUpdateParams {
            authority: gov().to_bech32(),
            params: Some(p.to_proto()),
        })
        .unwrap();
    let snapshot2 = chain.snapshot();
    assert_ne!(snapshot, snapshot2);
    let e = chain.send(&set(addr(12))).unwrap_err();
    assert_eq!((e.codespace.as_str(), e.code), ("distribution", 8), "{e}");
    assert_eq!(chain.snapshot(), snapshot2);
}

#[test]
fn bad_inputs_are_refused_and_change_nothing() {
    let mut chain = one_validator_one_delegator();
    chain.collect_fees(20, 1000);
    chain.next_block();
    let snapshot = chain.snapshot();
    let code = |r: Result<openledger_framework::MsgResponse, openledger_framework::AbciError>| {
        let e = r.unwrap_err();
        assert!(!e.message.is_empty());
        (e.codespace, e.code)
    };
    // Withdraw with no delegation / from no validator.
    assert_eq!(
        code(chain.send(&withdraw(12, 1))),
        ("distribution".into(), 5)
    );
    assert_eq!(
        code(chain.send(&withdraw(D, 7))),
        ("distribution".into(), 6)
    );
    // Commission of a validator that has none.
    assert_eq!(
        code(chain.send(&pb::MsgWithdrawValidatorCommission {
            validator_address: valoper(&addr(7)),
        })),
        ("distribution".into(), 7)
    );
    // Params by someone other than gov.
    let p = openledger_distribution::Params::default();
    assert_eq!(
        code(chain.send(&pb::MsgUpdateParams {
            authority: addr(1).to_bech32(),
            params: Some(p.to_proto()),
        })),
        ("sdk".into(), 4)
    );
    // Invalid params (community tax above one), even from gov.
    let mut bad = p.to_proto();
    bad.community_tax = pdec("1.5");
    assert_eq!(
        code(chain.send(&pb::MsgUpdateParams {
            authority: gov().to_bech32(),
            params: Some(bad.clone()),
        })),
        ("distribution".into(), 21)
    );
    // Delivered without the stateless check, still refused.
    let any = openledger_framework::pack_any(&pb::MsgUpdateParams {
        authority: gov().to_bech32(),
        params: Some(bad),
    });
    let distr = chain.distr.clone();
    let e = chain
        .run(|c| openledger_framework::Module::deliver(&distr, c, &any))
        .unwrap_err();
    assert_eq!(e.code, 21);
    // Funding the pool with more than one has.
    let balance = chain.balance(&addr(5));
    assert_eq!(
        code(chain.send(&pb::MsgFundCommunityPool {
            amount: coins(balance + 1),
            depositor: addr(5).to_bech32(),
        })),
        ("sdk".into(), 5)
    );
    // Garbage addresses and amounts.
    assert_eq!(
        code(chain.send(&pb::MsgWithdrawDelegatorReward {
            delegator_address: String::new(),
            validator_address: valoper(&addr(1)),
        })),
        ("distribution".into(), 2)
    );
    assert_eq!(
        code(chain.send(&pb::MsgWithdrawDelegatorReward {
            delegator_address: addr(D).to_bech32(),
            validator_address: addr(1).to_bech32(),
        })),
        ("sdk".into(), 7)
    );
    assert_eq!(
        code(chain.send(&pb::MsgFundCommunityPool {
            amount: vec![],
            depositor: addr(5).to_bech32(),
        })),
        ("sdk".into(), 10)
    );
    assert_eq!(
        chain.snapshot(),
        snapshot,
        "refused messages change nothing"
    );
    // Queries refuse too.
    let e = chain
        .query::<_, pb::QueryDelegationRewardsResponse>(
            &format!("{Q}DelegationRewards"),
            &pb::QueryDelegationRewardsRequest {
                delegator_address: addr(12).to_bech32(),
                validator_address: valoper(&addr(1)),
            },
        )
        .unwrap_err();
    assert_eq!(e.code, 13, "{e}");
    chain.check_invariants();
}

#[test]
fn removed_validator_leaves_its_leftovers_to_the_pool() {
    let mut chain = Chain::new(20, 1_000 * OPEN);
    chain.send(&create_validator(1, 10 * OPEN, "0.1")).unwrap();
    chain.send(&create_validator(2, 10 * OPEN, "0.1")).unwrap();
    chain.next_block();
    chain.collect_fees(20, 1001);
    chain.next_block();
    // 980.98 each half: 490.49, commission 49.049, self 441.441.
    assert_eq!(chain.outstanding(2), dec_coins("490.49"));
    let op_before = chain.balance(&addr(2));
    // The operator leaves: rewards paid at undelegation, jailed, unbonded, removed.
    chain.send(&undelegate(2, 2, 10 * OPEN)).unwrap();
    assert_eq!(chain.balance(&addr(2)), op_before + 441);
    for _ in 0..5 {
        chain.next_block();
    }
    let mut s: &dyn openledger_framework::KvRead = &chain.state;
    assert!(
        chain
            .staking_keeper()
            .validator(&mut s, &addr(2))
            .unwrap()
            .is_none()
    );
    assert!(
        chain
            .keeper()
            .current_rewards(&mut s, &addr(2))
            .unwrap()
            .is_none()
    );
    assert!(
        chain
            .keeper()
            .historical_rewards_of(&mut s, &addr(2))
            .unwrap()
            .is_empty()
    );
    // Commission 49 paid out at removal, the fractions to the pool.
    assert!(chain.balance(&addr(2)) >= op_before + 441 + 49);
    chain.check_invariants();
}

#[test]
fn slash_with_an_inexact_fraction_keeps_rewards_withdrawable() {
    let mut chain = Chain::new(20, 1_000 * OPEN);
    chain.send(&create_validator(1, 10 * OPEN, "0.1")).unwrap();
    chain.send(&delegate(D, 1, 1)).unwrap(); // 10 000 001 tokens
    chain.send(&delegate(11, 1, 3 * OPEN + 7)).unwrap();
    chain.next_block();
    chain.collect_fees(20, 99_999);
    chain.next_block();
    let staking = chain.staking_keeper().clone();
    let height = chain.block.height as i64;
    // Burns 1 300 000 of 13 000 008 tokens: not an exact 18-digit fraction.
    chain
        .run(|c| staking.slash(c, &cons(1), height, 13, dec("0.1")))
        .unwrap();
    chain.collect_fees(20, 99_999);
    chain.next_block();
    chain.check_invariants();
    for del in [1, D, 11] {
        chain.send(&withdraw(del, 1)).unwrap();
    }
    chain.check_invariants();
    // Left: the commission and less than one uopen of dust per delegator.
    let left = chain
        .outstanding(1)
        .checked_sub(&chain.commission(1))
        .unwrap();
    assert!(left.amount_of(DENOM) < dec("3"), "{left}");
    assert!(!chain.commission(1).is_empty());
}
