//! Staking driven through its messages and block hooks on a real bank keeper.

mod common;

use common::*;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use openledger_framework::{Dec, KvRead};
use openledger_staking::{
    BONDED_POOL, BondStatus, NOT_BONDED_POOL, ValidatorUpdate, cons_address, valoper,
};

fn update(key: u8, power: i64) -> ValidatorUpdate {
    ValidatorUpdate {
        pub_key_ed25519: pubkey(key),
        power,
    }
}

#[test]
fn create_validator_and_delegate_change_power() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    assert_eq!(chain.validator(1).status, BondStatus::Unbonded);
    assert_eq!(chain.next_block(5), vec![update(1, 10)]);
    assert_eq!(chain.validator(1).status, BondStatus::Bonded);
    assert_eq!(chain.module_balance(BONDED_POOL), 10 * OPEN);
    assert_eq!(chain.module_balance(NOT_BONDED_POOL), 0);
    // No change, no update.
    assert!(chain.next_block(5).is_empty());

    chain.send(&delegate(2, 1, 5 * OPEN)).unwrap();
    assert_eq!(chain.balance(&addr(2)), 95 * OPEN);
    assert_eq!(chain.next_block(5), vec![update(1, 15)]);
    let mut s: &dyn KvRead = &chain.state;
    assert_eq!(
        chain.keeper().validator_power(&mut s, &addr(1)).unwrap(),
        15
    );
    assert_eq!(chain.keeper().last_total_power(&mut s).unwrap(), 15);
    assert_eq!(
        chain.keeper().total_bonded_tokens(&mut s).unwrap(),
        15 * OPEN
    );

    // Queries.
    let v: pb::QueryValidatorResponse = chain
        .query(
            "Validator",
            &pb::QueryValidatorRequest {
                validator_addr: valoper(&addr(1)),
            },
        )
        .unwrap();
    let v = v.validator.unwrap();
    assert_eq!(v.tokens, (15 * OPEN).to_string());
    assert_eq!(v.status, BondStatus::Bonded as i32);
    assert!(v.operator_address.starts_with("openvaloper1"));
    // LegacyDec in protobuf is its atomics.
    assert_eq!(v.delegator_shares, (15 * OPEN * 10u128.pow(18)).to_string());
    let d: pb::QueryDelegationResponse = chain
        .query(
            "Delegation",
            &pb::QueryDelegationRequest {
                delegator_addr: addr(2).to_bech32(),
                validator_addr: valoper(&addr(1)),
            },
        )
        .unwrap();
    assert_eq!(
        d.delegation_response.unwrap().balance.unwrap().amount,
        (5 * OPEN).to_string()
    );
    let dd: pb::QueryValidatorDelegationsResponse = chain
        .query(
            "ValidatorDelegations",
            &pb::QueryValidatorDelegationsRequest {
                validator_addr: valoper(&addr(1)),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(dd.delegation_responses.len(), 2);
    let pool: pb::QueryPoolResponse = chain.query("Pool", &pb::QueryPoolRequest {}).unwrap();
    assert_eq!(pool.pool.unwrap().bonded_tokens, (15 * OPEN).to_string());
    let bonded: pb::QueryValidatorsResponse = chain
        .query(
            "Validators",
            &pb::QueryValidatorsRequest {
                status: "BOND_STATUS_BONDED".into(),
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(bonded.validators.len(), 1);
    let unbonded: pb::QueryValidatorsResponse = chain
        .query(
            "Validators",
            &pb::QueryValidatorsRequest {
                status: "BOND_STATUS_UNBONDED".into(),
                pagination: None,
            },
        )
        .unwrap();
    assert!(unbonded.validators.is_empty());
    let hist: pb::QueryHistoricalInfoResponse = chain
        .query(
            "HistoricalInfo",
            &pb::QueryHistoricalInfoRequest {
                height: chain.block.height as i64,
            },
        )
        .unwrap();
    assert_eq!(hist.hist.unwrap().valset.len(), 1);
    let params: pb::QueryParamsResponse =
        chain.query("Params", &pb::QueryParamsRequest {}).unwrap();
    assert_eq!(params.params.unwrap().bond_denom, "uopen");
    chain.check_invariants();
}

#[test]
fn undelegated_tokens_come_back_only_after_the_unbonding_time() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&delegate(2, 1, 5 * OPEN)).unwrap();
    chain.next_block(5);
    let resp = chain.send(&undelegate(2, 1, 3 * OPEN)).unwrap();
    let resp: pb::MsgUndelegateResponse =
        prost::Message::decode(resp.response.unwrap().value.as_slice()).unwrap();
    assert_eq!(resp.amount.unwrap().amount, (3 * OPEN).to_string());
    let completion = resp.completion_time.unwrap().seconds;
    assert_eq!(completion, chain.block.time_seconds + 21 * DAY);
    assert_eq!(chain.next_block(5), vec![update(1, 12)]);
    assert_eq!(chain.balance(&addr(2)), 95 * OPEN);
    assert_eq!(chain.module_balance(NOT_BONDED_POOL), 3 * OPEN);
    chain.check_invariants();

    let ubd: pb::QueryUnbondingDelegationResponse = chain
        .query(
            "UnbondingDelegation",
            &pb::QueryUnbondingDelegationRequest {
                delegator_addr: addr(2).to_bech32(),
                validator_addr: valoper(&addr(1)),
            },
        )
        .unwrap();
    assert_eq!(
        ubd.unbond.unwrap().entries[0].balance,
        (3 * OPEN).to_string()
    );

    chain.next_block(20 * DAY);
    chain.next_block(5);
    assert_eq!(
        chain.balance(&addr(2)),
        95 * OPEN,
        "not before the completion time"
    );
    chain.next_block(DAY);
    chain.next_block(5);
    assert_eq!(chain.balance(&addr(2)), 98 * OPEN);
    assert_eq!(chain.module_balance(NOT_BONDED_POOL), 0);
    let list: pb::QueryDelegatorUnbondingDelegationsResponse = chain
        .query(
            "DelegatorUnbondingDelegations",
            &pb::QueryDelegatorUnbondingDelegationsRequest {
                delegator_addr: addr(2).to_bech32(),
                pagination: None,
            },
        )
        .unwrap();
    assert!(list.unbonding_responses.is_empty());
    chain.check_invariants();
}

#[test]
fn redelegation_moves_power_and_blocks_transitive_hops() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&create_validator(2, 2, 10 * OPEN)).unwrap();
    chain.send(&create_validator(3, 3, 10 * OPEN)).unwrap();
    chain.send(&delegate(4, 1, 6 * OPEN)).unwrap();
    chain.next_block(5);
    chain.send(&redelegate(4, 1, 2, 4 * OPEN)).unwrap();
    assert_eq!(chain.next_block(5), vec![update(2, 14), update(1, 12)]);
    let mut s: &dyn KvRead = &chain.state;
    let red = chain
        .keeper()
        .redelegation(&mut s, &addr(4), &addr(1), &addr(2))
        .unwrap()
        .unwrap();
    assert_eq!(red.entries[0].initial_balance, 4 * OPEN);
    // Out of the destination while the redelegation into it is pending: refused.
    let err = chain.send(&redelegate(4, 2, 3, OPEN)).unwrap_err();
    assert_eq!(err.codespace, "staking");
    assert!(err.message.contains("in progress"), "{err:?}");
    let err = chain.send(&redelegate(4, 1, 1, OPEN)).unwrap_err();
    assert!(err.message.contains("same validator"), "{err:?}");
    chain.check_invariants();
    // After the unbonding time the entry is gone and the hop is allowed.
    chain.next_block(21 * DAY + 1);
    chain.next_block(5);
    let mut s: &dyn KvRead = &chain.state;
    assert!(
        chain
            .keeper()
            .redelegation(&mut s, &addr(4), &addr(1), &addr(2))
            .unwrap()
            .is_none()
    );
    chain.send(&redelegate(4, 2, 3, OPEN)).unwrap();
    chain.check_invariants();
}

#[test]
fn cancel_unbonding_delegates_back() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&delegate(2, 1, 5 * OPEN)).unwrap();
    chain.next_block(5);
    chain.send(&undelegate(2, 1, 4 * OPEN)).unwrap();
    let h = chain.block.height as i64;
    chain.next_block(5);
    let cancel = |amount: u128, height: i64| pb::MsgCancelUnbondingDelegation {
        delegator_address: addr(2).to_bech32(),
        validator_address: valoper(&addr(1)),
        amount: coin(amount),
        creation_height: height,
    };
    let err = chain.send(&cancel(5 * OPEN, h)).unwrap_err();
    assert!(err.message.contains("balance"), "{err:?}");
    let err = chain.send(&cancel(OPEN, h + 7)).unwrap_err();
    assert!(err.message.contains("creation height"), "{err:?}");
    chain.send(&cancel(OPEN, h)).unwrap();
    assert_eq!(chain.next_block(5), vec![update(1, 12)]);
    let mut s: &dyn KvRead = &chain.state;
    let ubd = chain
        .keeper()
        .unbonding_delegation(&mut s, &addr(2), &addr(1))
        .unwrap()
        .unwrap();
    assert_eq!(ubd.entries[0].balance, 3 * OPEN);
    chain.check_invariants();
    chain.send(&cancel(3 * OPEN, h)).unwrap();
    let mut s: &dyn KvRead = &chain.state;
    assert!(
        chain
            .keeper()
            .unbonding_delegation(&mut s, &addr(2), &addr(1))
            .unwrap()
            .is_none()
    );
    chain.check_invariants();
}

#[test]
fn max_validators_cuts_the_set_and_sends_power_zero() {
    let mut chain = Chain::new(6, 100 * OPEN);
    let mut p = openledger_staking::params::default_params();
    p.max_validators = 2;
    chain
        .send(&pb::MsgUpdateParams {
            authority: gov().to_bech32(),
            params: Some(p),
        })
        .unwrap();
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&create_validator(2, 2, 20 * OPEN)).unwrap();
    chain.send(&create_validator(3, 3, 5 * OPEN)).unwrap();
    assert_eq!(chain.next_block(5), vec![update(2, 20), update(1, 10)]);
    assert_eq!(chain.validator(3).status, BondStatus::Unbonded);
    chain.check_invariants();
    // Validator 3 overtakes validator 1, which leaves with power 0.
    chain.send(&delegate(4, 3, 10 * OPEN)).unwrap();
    assert_eq!(chain.next_block(5), vec![update(3, 15), update(1, 0)]);
    let v1 = chain.validator(1);
    assert_eq!(v1.status, BondStatus::Unbonding);
    assert_eq!(chain.module_balance(NOT_BONDED_POOL), 10 * OPEN);
    chain.check_invariants();
    chain.next_block(21 * DAY);
    chain.next_block(5);
    assert_eq!(chain.validator(1).status, BondStatus::Unbonded);
    // Under 10^6 tokens a validator has no power and is not in the set either.
    chain.check_invariants();
}

#[test]
fn slash_cuts_tokens_and_later_unbondings_proportionally() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&create_validator(2, 2, 10 * OPEN)).unwrap();
    chain.send(&delegate(3, 1, 10 * OPEN)).unwrap();
    chain.send(&delegate(4, 1, 10 * OPEN)).unwrap();
    chain.next_block(5);
    let infraction = chain.block.height as i64;
    chain.next_block(5);
    // After the infraction: an unbonding and a redelegation, both reachable by the slash.
    chain.send(&undelegate(3, 1, 4 * OPEN)).unwrap();
    chain.send(&redelegate(4, 1, 2, 5 * OPEN)).unwrap();
    chain.next_block(5);
    let supply = chain.supply();
    let fraction: Dec = "0.1".parse().unwrap();
    let cons = cons_address(&pubkey(1));
    // Power at the infraction: 30.
    let keeper = chain.keeper().clone();
    let burned = chain
        .run(|c| keeper.slash(c, &cons, infraction, 30, fraction))
        .unwrap();
    // 3 OPEN in all: 0.4 from the unbonding, 0.5 from the redelegation, 2.1 from the tokens.
    assert_eq!(burned, 3 * OPEN);
    assert_eq!(chain.supply(), supply - 3 * OPEN);
    let mut s: &dyn KvRead = &chain.state;
    let ubd = keeper
        .unbonding_delegation(&mut s, &addr(3), &addr(1))
        .unwrap()
        .unwrap();
    assert_eq!(ubd.entries[0].balance, 4 * OPEN - 400_000);
    assert_eq!(chain.validator(1).tokens, 21 * OPEN - 2_100_000);
    assert_eq!(chain.validator(2).tokens, 15 * OPEN - 500_000);
    // Delegators of validator 1 lost value alike: delegator 3 kept 6/21 of the remaining tokens.
    let d = keeper
        .delegation(&mut s, &addr(3), &addr(1))
        .unwrap()
        .unwrap();
    let v1 = chain.validator(1);
    assert_eq!(
        v1.tokens_for_shares(d.shares),
        6 * (21 * OPEN - 2_100_000) / 21
    );
    chain.check_invariants();
    // A future infraction is refused.
    let err = chain
        .run(|c| keeper.slash(c, &cons, infraction + 100, 30, fraction))
        .unwrap_err();
    assert!(err.message.contains("future"), "{err:?}");
}

#[test]
fn jail_removes_from_the_set_and_unjail_brings_back() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&create_validator(2, 2, 20 * OPEN)).unwrap();
    chain.next_block(5);
    let keeper = chain.keeper().clone();
    let cons = cons_address(&pubkey(1));
    let mut s: &dyn KvRead = &chain.state;
    assert_eq!(
        keeper
            .validator_by_cons_addr(&mut s, &cons)
            .unwrap()
            .unwrap()
            .operator,
        addr(1)
    );
    chain.run(|c| keeper.jail(c, &cons)).unwrap();
    assert!(chain.run(|c| keeper.jail(c, &cons)).is_err());
    assert_eq!(chain.next_block(5), vec![update(1, 0)]);
    assert_eq!(chain.validator(1).status, BondStatus::Unbonding);
    chain.check_invariants();
    chain.run(|c| keeper.unjail(c, &cons)).unwrap();
    assert_eq!(chain.next_block(5), vec![update(1, 10)]);
    assert_eq!(chain.validator(1).status, BondStatus::Bonded);
    chain.check_invariants();
    // Tombstoned validators stay jailed.
    chain.run(|c| keeper.jail(c, &cons)).unwrap();
    chain.run(|c| keeper.tombstone(c, &cons)).unwrap();
    let err = chain.run(|c| keeper.unjail(c, &cons)).unwrap_err();
    assert!(err.message.contains("tombstoned"), "{err:?}");
    // Undelegating the operator's self-delegation below the minimum jails it.
    chain.send(&undelegate(2, 2, 20 * OPEN)).unwrap();
    assert!(chain.validator(2).jailed);
    // Both leave this block (validator 1 was jailed again above), by operator address.
    assert_eq!(chain.next_block(5), vec![update(1, 0), update(2, 0)]);
    chain.check_invariants();
}

#[test]
fn bad_inputs_fail_clearly_and_change_nothing() {
    let mut chain = Chain::new(5, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&delegate(2, 1, 5 * OPEN)).unwrap();
    chain.next_block(5);
    let before = chain.state.changes().clone();

    let err = chain.send(&delegate(3, 1, 101 * OPEN)).unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("sdk", 5), "{err:?}");
    assert!(err.message.contains("insufficient funds"), "{err:?}");

    let err = chain.send(&undelegate(2, 1, 6 * OPEN)).unwrap_err();
    assert_eq!(err.codespace, "staking");
    assert!(err.message.contains("more than the delegated"), "{err:?}");

    let err = chain.send(&undelegate(3, 1, OPEN)).unwrap_err();
    assert!(err.message.contains("no delegation"), "{err:?}");

    let mut high = create_validator(2, 2, 10 * OPEN);
    high.commission.as_mut().unwrap().rate = dec("0.3");
    let err = chain.send(&high).unwrap_err();
    assert!(err.message.contains("above the max rate"), "{err:?}");
    let mut huge = create_validator(2, 2, 10 * OPEN);
    huge.commission.as_mut().unwrap().max_rate = dec("1.5");
    assert!(chain.send(&huge).is_err());

    let err = chain.send(&create_validator(2, 1, 10 * OPEN)).unwrap_err();
    assert!(err.message.contains("already used"), "{err:?}");
    let err = chain.send(&create_validator(1, 9, 10 * OPEN)).unwrap_err();
    assert!(err.message.contains("already exists"), "{err:?}");

    let err = chain.send(&delegate(2, 9, OPEN)).unwrap_err();
    assert!(err.message.contains("does not exist"), "{err:?}");

    let mut bad_denom = delegate(2, 1, OPEN);
    bad_denom.amount.as_mut().unwrap().denom = "ufoo".into();
    let err = chain.send(&bad_denom).unwrap_err();
    assert!(err.message.contains("expected uopen"), "{err:?}");

    let mut bad_key = create_validator(2, 2, 10 * OPEN);
    bad_key.pubkey.as_mut().unwrap().type_url = "/cosmos.crypto.secp256k1.PubKey".into();
    assert!(chain.send(&bad_key).is_err());

    let err = chain
        .send(&pb::MsgUpdateParams {
            authority: addr(2).to_bech32(),
            params: Some(openledger_staking::params::default_params()),
        })
        .unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("sdk", 4), "{err:?}");

    let edit = pb::MsgEditValidator {
        description: None,
        validator_address: valoper(&addr(1)),
        commission_rate: dec("0.15"),
        min_self_delegation: String::new(),
    };
    let err = chain.send(&edit).unwrap_err();
    assert!(err.message.contains("24h"), "{err:?}");

    assert_eq!(
        chain.state.changes(),
        &before,
        "failed messages changed state"
    );
    chain.check_invariants();

    // After a day a change within the max change rate passes.
    chain.next_block(DAY);
    let err = chain.send(&edit).unwrap_err();
    assert!(err.message.contains("max change rate"), "{err:?}");
    let ok = pb::MsgEditValidator {
        commission_rate: dec("0.105"),
        ..edit
    };
    chain.send(&ok).unwrap();
    assert_eq!(chain.validator(1).commission.rate, "0.105".parse().unwrap());
}

#[test]
fn pagination_of_validators() {
    let mut chain = Chain::new(6, 100 * OPEN);
    for n in 1..=5 {
        chain.send(&create_validator(n, n, 2 * OPEN)).unwrap();
    }
    let page: pb::QueryValidatorsResponse = chain
        .query(
            "Validators",
            &pb::QueryValidatorsRequest {
                status: String::new(),
                pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                    limit: 2,
                    count_total: true,
                    ..Default::default()
                }),
            },
        )
        .unwrap();
    assert_eq!(page.validators.len(), 2);
    assert_eq!(page.pagination.unwrap().total, 5);
}
