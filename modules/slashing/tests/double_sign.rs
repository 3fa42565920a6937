//! Double signing (CometBFT misbehaviour): 5 % slashed at the infraction, jailed for good,
//! tombstoned; evidence for unknown, unbonded or too-old validators is ignored.

mod common;

use common::*;
use openledger_framework::{CodedError, KvRead, MisbehaviorKind};
use openledger_slashing::{DOUBLE_SIGN_JAIL_END, SlashingError};

#[test]
fn double_sign_slashes_five_percent_tombstones_and_never_unjails() {
    let mut c = chain_with_validators(3, 100, serde_json::Value::Null);
    c.send(&delegate(10, 3, 50 * OPEN)).unwrap(); // height 2
    c.next_block(5, &[]);
    c.next_block(5, &[]);
    assert_eq!(c.block.height, 4);
    // An entry created at height 4, the infraction's distribution height: slashed too.
    c.send(&undelegate(10, 3, 20 * OPEN)).unwrap();
    c.next_block(5, &[]);
    c.check_pools();
    let (bonded, not_bonded, supply) = (c.bonded_pool(), c.not_bonded_pool(), c.supply());
    assert_eq!(c.validator(3).tokens, 130 * OPEN);

    // Evidence in block 6 of a duplicate vote at height 5, when validator 3 had power 150.
    c.end_block();
    let votes = c.votes(&[]);
    let ev = c.double_sign(3, 5, 0, 150);
    let ev = openledger_framework::Misbehavior {
        time_seconds: c.block.time_seconds,
        ..ev
    };
    c.begin_block(5, votes, vec![ev.clone()]);

    // 5 % of 150 OPEN = 7.5 OPEN: 1 OPEN from the unbonding entry, 6.5 from the tokens.
    let v = c.validator(3);
    assert!(v.jailed);
    assert_eq!(v.tokens, 130 * OPEN - 6_500_000);
    assert_eq!(c.bonded_pool(), bonded - 6_500_000);
    assert_eq!(c.not_bonded_pool(), not_bonded - OPEN);
    assert_eq!(c.supply(), supply - 7_500_000);
    let mut s: &dyn KvRead = &c.state;
    let ubd = c
        .staking_keeper()
        .unbonding_delegation(&mut s, &addr(10), &addr(3))
        .unwrap()
        .unwrap();
    assert_eq!(ubd.entries[0].balance, 19 * OPEN);
    assert!(c.staking_keeper().is_tombstoned(&mut s, &addr(3)).unwrap());
    let info = c.signing_info(3).unwrap();
    assert!(info.tombstoned);
    assert_eq!(info.jailed_until, DOUBLE_SIGN_JAIL_END);
    assert_eq!(
        openledger_staking::genesis::format_time(info.jailed_until),
        "9999-12-31T23:59:59Z"
    );
    let slash = c
        .events_of("slash")
        .into_iter()
        .find(|e| {
            e.attributes
                .iter()
                .any(|(k, v)| k == "reason" && v == "double_sign")
        })
        .expect("slash event")
        .clone();
    assert!(
        slash
            .attributes
            .contains(&("burned_coins".into(), "7500000".into()))
    );
    assert!(slash.attributes.contains(&("power".into(), "150".into())));
    c.check_pools();

    let updates = c.end_block();
    assert!(
        updates
            .iter()
            .any(|u| u.pub_key_ed25519 == [3; 32] && u.power == 0)
    );
    assert!(!c.in_last_set(3));

    // The same evidence again (or a light-client attack for it): ignored.
    let votes = c.votes(&[]);
    let again = openledger_framework::Misbehavior {
        kind: MisbehaviorKind::LightClientAttack,
        ..ev
    };
    c.begin_block(5, votes, vec![again]);
    assert_eq!(c.validator(3).tokens, 130 * OPEN - 6_500_000);
    assert!(c.events_of("slash").is_empty());

    // A year later: still refused, and nothing changes.
    c.next_block(365 * DAY, &[]);
    c.next_block(5, &[]);
    let snap = c.snapshot();
    let err = c.send(&unjail(3)).unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        (
            "slashing",
            SlashingError::ValidatorJailed(String::new()).code()
        )
    );
    assert!(err.message.contains("tombstoned"), "{}", err.message);
    assert_eq!(c.snapshot(), snap);
    assert!(c.validator(3).jailed);
}

#[test]
fn double_sign_of_a_jailed_validator_still_tombstones() {
    let mut c = chain_with_validators(2, 100, small_window(10));
    for _ in 0..10 {
        c.next_block(5, &[2]);
    }
    assert!(c.validator(2).jailed);
    let tokens = c.validator(2).tokens;
    c.end_block();
    let votes = c.votes(&[]);
    let ev = c.double_sign(2, c.block.height as i64 - 1, 10, 100);
    c.begin_block(5, votes, vec![ev]);
    assert_eq!(c.validator(2).tokens, tokens - 5 * OPEN);
    let info = c.signing_info(2).unwrap();
    assert!(info.tombstoned && info.jailed_until == DOUBLE_SIGN_JAIL_END);
    c.check_pools();
}

/// What evidence must not touch.
fn fingerprint(c: &Chain) -> Vec<(u128, bool, bool)> {
    (1..=3)
        .map(|n| {
            let v = c.validator(n);
            let tomb = c.signing_info(n).is_some_and(|i| i.tombstoned);
            (v.tokens, v.jailed, tomb)
        })
        .collect()
}

#[test]
fn evidence_for_unknown_old_or_future_infractions_is_ignored() {
    let mut c = chain_with_validators(3, 100, serde_json::Value::Null);
    for _ in 0..5 {
        c.next_block(5, &[]);
    }
    let before = fingerprint(&c);
    let supply = c.supply();
    let h = c.block.height as i64;
    let unbonding = openledger_staking::params::DEFAULT_UNBONDING_SECONDS;

    let unknown = openledger_framework::Misbehavior {
        validator: cons(99),
        ..c.double_sign(1, h - 1, 5, 100)
    };
    // Block time advances 5 s in begin_block: an age of `unbonding - 4` s before this block
    // is `unbonding + 1` s at the next one.
    let too_old = c.double_sign(1, 1, unbonding - 4, 100);
    let future = c.double_sign(2, h + 5, 0, 100);
    c.end_block();
    let votes = c.votes(&[]);
    c.begin_block(5, votes, vec![unknown, too_old, future]);
    assert_eq!(fingerprint(&c), before);
    assert_eq!(c.supply(), supply);
    assert!(c.events_of("slash").is_empty());

    // Exactly the unbonding time old: still punished.
    c.end_block();
    let votes = c.votes(&[]);
    let edge = c.double_sign(1, 1, unbonding - 5, 100);
    c.begin_block(5, votes, vec![edge]);
    assert!(c.signing_info(1).unwrap().tombstoned);
    assert_eq!(c.validator(1).tokens, 95 * OPEN);
}

#[test]
fn evidence_against_an_unbonded_validator_is_ignored() {
    let mut c = chain_with_validators(2, 100, small_window(10));
    for _ in 0..10 {
        c.next_block(5, &[2]);
    }
    assert!(c.validator(2).jailed);
    // Unbonding completes after staking's unbonding time.
    c.next_block(
        openledger_staking::params::DEFAULT_UNBONDING_SECONDS + 10,
        &[],
    );
    c.next_block(5, &[]);
    assert_eq!(
        c.validator(2).status,
        openledger_staking::BondStatus::Unbonded
    );
    let tokens = c.validator(2).tokens;
    c.end_block();
    let votes = c.votes(&[]);
    let ev = c.double_sign(2, c.block.height as i64 - 1, 0, 100);
    c.begin_block(5, votes, vec![ev]);
    assert_eq!(c.validator(2).tokens, tokens);
    assert!(!c.signing_info(2).unwrap().tombstoned);
}
