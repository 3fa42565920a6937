//! Liveness: a validator that misses too much of its window is slashed, jailed and dropped
//! from the set; it may unjail once its jail time is over and then rejoins the set.

mod common;

use common::*;
use openledger_framework::CodedError;
use openledger_slashing::SlashingError;
use openledger_staking::BondStatus;

#[test]
fn downtime_slashes_exactly_jails_and_unjail_waits_for_jail_time() {
    let mut c = chain_with_validators(3, 100, serde_json::Value::Null);
    c.send(&delegate(10, 1, 50 * OPEN)).unwrap();
    // Validator 1 signed height 2 and misses every block after; the window (100 blocks from
    // start height 1) is full at height 101, so it is punished at height 102.
    while c.block.height < 100 {
        c.next_block(5, &[1]);
        assert!(!c.validator(1).jailed, "jailed early at {}", c.block.height);
    }
    let info = c.signing_info(1).unwrap();
    assert_eq!(info.missed_blocks_counter, 98);
    assert_eq!(info.index_offset, 99);
    assert_eq!(c.missed(1), (1..99).collect::<Vec<i64>>());
    assert_eq!(c.signing_info(2).unwrap().missed_blocks_counter, 0);
    // An unbonding entry created at height 100 is at or after the infraction height (100).
    c.send(&undelegate(10, 1, 10 * OPEN)).unwrap();
    c.next_block(5, &[1]);
    assert_eq!(c.block.height, 101);
    assert!(!c.validator(1).jailed);
    c.check_pools();

    let before = c.validator(1);
    assert_eq!(before.tokens, 140 * OPEN);
    let (bonded, not_bonded, supply) = (c.bonded_pool(), c.not_bonded_pool(), c.supply());
    let votes = c.votes(&[1]);
    let power = votes.iter().find(|v| v.validator == cons(1)).unwrap().power;
    assert_eq!(power, 140);
    c.end_block();
    c.begin_block(5, votes, Vec::new());

    // 1 % of power 140 = 1.4 OPEN: 0.1 OPEN from the unbonding entry, 1.3 from the tokens.
    let after = c.validator(1);
    assert!(after.jailed);
    assert_eq!(after.tokens, 140 * OPEN - 1_300_000);
    assert_eq!(c.bonded_pool(), bonded - 1_300_000);
    assert_eq!(c.not_bonded_pool(), not_bonded - 100_000);
    assert_eq!(c.supply(), supply - 1_400_000);
    let mut s: &dyn openledger_framework::KvRead = &c.state;
    let ubd = c
        .staking_keeper()
        .unbonding_delegation(&mut s, &addr(10), &addr(1))
        .unwrap()
        .unwrap();
    assert_eq!(ubd.entries[0].initial_balance, 10 * OPEN);
    assert_eq!(ubd.entries[0].balance, 10 * OPEN - 100_000);
    c.check_pools();

    let info = c.signing_info(1).unwrap();
    assert_eq!(info.missed_blocks_counter, 0);
    assert_eq!(info.index_offset, 0);
    assert_eq!(info.jailed_until.seconds, c.block.time_seconds + 600);
    assert!(!info.tombstoned);
    assert!(c.missed(1).is_empty());
    let slash = c
        .events_of("slash")
        .into_iter()
        .find(|e| e.attributes.iter().any(|(k, _)| k == "reason"))
        .unwrap()
        .clone();
    let attr = |k: &str| {
        slash
            .attributes
            .iter()
            .find(|(a, _)| a == k)
            .map(|(_, v)| v.clone())
            .unwrap()
    };
    assert_eq!(attr("reason"), "missing_signature");
    assert_eq!(attr("power"), "140");
    assert_eq!(attr("address"), openledger_slashing::valcons(&cons(1)));
    assert_eq!(attr("jailed"), openledger_slashing::valcons(&cons(1)));
    assert_eq!(attr("burned_coins"), "1400000");
    assert!(!c.events_of("liveness").is_empty());

    // The end of the block takes it out of CometBFT's set.
    let updates = c.end_block();
    assert!(
        updates
            .iter()
            .any(|u| u.pub_key_ed25519 == [1; 32] && u.power == 0),
        "{updates:?}"
    );
    assert!(!c.in_last_set(1));
    let votes = c.votes(&[]);
    assert!(votes.iter().all(|v| v.validator != cons(1)));
    c.begin_block(5, votes, Vec::new());

    // Not yet: the jail time is 600 s.
    for _ in 0..3 {
        c.next_block(100, &[]);
    }
    let snap = c.snapshot();
    let err = c.send(&unjail(1)).unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        (
            "slashing",
            SlashingError::ValidatorJailed(String::new()).code()
        )
    );
    assert!(err.message.contains("jailed until"), "{}", err.message);
    assert_eq!(c.snapshot(), snap);
    assert_eq!(
        c.validator(1).tokens,
        140 * OPEN - 1_300_000,
        "no second slash"
    );

    c.next_block(400, &[]);
    assert!(c.block.time_seconds >= info.jailed_until.seconds);
    c.send(&unjail(1)).unwrap();
    assert!(!c.validator(1).jailed);
    let rejoin_height = c.block.height as i64;
    let updates = c.next_block(5, &[]);
    assert!(
        updates
            .iter()
            .any(|u| u.pub_key_ed25519 == [1; 32] && u.power == 138),
        "{updates:?}"
    );
    assert!(c.in_last_set(1));
    assert_eq!(c.validator(1).status, BondStatus::Bonded);
    // Bonded again: a fresh window starting now.
    let info = c.signing_info(1).unwrap();
    assert_eq!(info.start_height, rejoin_height);
    assert_eq!(info.missed_blocks_counter, 0);
    c.check_pools();
}

#[test]
fn a_validator_that_signs_enough_is_never_slashed() {
    // Default params: window 100, at most 50 missed. Missing every other block keeps the
    // count at 50 for ever.
    let mut c = chain_with_validators(2, 100, serde_json::Value::Null);
    let supply = c.supply();
    for i in 0..300 {
        let absent: &[u8] = if i % 2 == 0 { &[2] } else { &[] };
        c.next_block(5, absent);
        let info = c.signing_info(2).unwrap();
        assert!(info.missed_blocks_counter <= 50, "{info:?}");
        assert_eq!(info.missed_blocks_counter, c.missed(2).len() as i64);
        assert!(!c.validator(2).jailed);
    }
    assert_eq!(c.signing_info(2).unwrap().missed_blocks_counter, 50);
    assert_eq!(c.validator(2).tokens, 100 * OPEN);
    assert_eq!(c.supply(), supply);
    assert!(c.in_last_set(2));
}

#[test]
fn the_threshold_is_exact() {
    // Window 10, at most 5 missed. Validator 1 misses the first 5 of every window (never
    // slashed); validator 2 the first 6 (slashed when its first window is full).
    let mut c = chain_with_validators(3, 100, small_window(10));
    let mut slashed_at = None;
    for _ in 0..40 {
        let index = (c.block.height as i64 + 1 - 2) % 10; // the index the next block fills
        let mut absent = Vec::new();
        if index < 5 {
            absent.push(1);
        }
        if index < 6 && slashed_at.is_none() {
            absent.push(2);
        }
        c.next_block(5, &absent);
        if slashed_at.is_none() && c.validator(2).jailed {
            slashed_at = Some(c.block.height);
        }
        assert!(!c.validator(1).jailed, "validator 1 at {}", c.block.height);
    }
    // Start height 1: the window is full after height 11; at height 12 validator 2 misses
    // again with 6 missed in the window.
    assert_eq!(slashed_at, Some(12));
    assert_eq!(c.validator(2).tokens, 100 * OPEN - OPEN);
    assert_eq!(c.validator(1).tokens, 100 * OPEN);
    assert!(c.signing_info(1).unwrap().missed_blocks_counter <= 5);
    assert!(c.validator(3).tokens == 100 * OPEN && !c.validator(3).jailed);
    c.check_pools();
}

#[test]
fn jailed_validators_are_not_counted() {
    let mut c = chain_with_validators(2, 100, small_window(10));
    for _ in 0..11 {
        c.next_block(5, &[1]);
    }
    assert!(c.validator(1).jailed);
    let tokens = c.validator(1).tokens;
    // Still in a last commit (CometBFT's delay) and absent: not counted while jailed.
    let mut votes = c.votes(&[]);
    votes.push(openledger_framework::VoteInfo {
        validator: cons(1),
        power: 100,
        signed: false,
    });
    c.begin_block(5, votes, Vec::new());
    let info = c.signing_info(1).unwrap();
    assert_eq!((info.missed_blocks_counter, info.index_offset), (0, 0));
    assert_eq!(c.validator(1).tokens, tokens);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Against a model of the window: the counter is the number of missed indexes, all inside
    /// the window, and the validator is jailed exactly when, past its first window, more than
    /// the allowed blocks among its last `window` votes were missed (whether or not it signed
    /// the current one, as in the SDK).
    #[test]
    fn the_counter_matches_the_bitmap_and_a_model(
        window in 2i64..12,
        pattern in proptest::collection::vec(proptest::bool::ANY, 30),
    ) {
        let mut c = chain_with_validators(2, 100, small_window(window));
        let max_missed = openledger_slashing::Params {
            signed_blocks_window: window,
            ..openledger_slashing::Params::default()
        }
        .max_missed_blocks();
        // Votes counted since the window was last reset; height 2 was signed.
        let mut recent = vec![false];
        let mut start = 1i64;
        for absent in pattern {
            let was_jailed = c.validator(2).jailed;
            let missed: &[u8] = if absent { &[2] } else { &[] };
            c.next_block(5, missed);
            let info = c.signing_info(2).unwrap();
            let bits = c.missed(2);
            proptest::prop_assert_eq!(info.missed_blocks_counter, bits.len() as i64);
            proptest::prop_assert!(bits.iter().all(|i| (0..window).contains(i)));
            if was_jailed {
                continue;
            }
            recent.push(absent);
            let in_window = recent.iter().rev().take(window as usize).filter(|m| **m).count() as i64;
            let due = c.block.height as i64 > start + window && in_window > max_missed;
            proptest::prop_assert_eq!(c.validator(2).jailed, due, "height {}", c.block.height);
            if due {
                proptest::prop_assert_eq!(info.missed_blocks_counter, 0);
                recent.clear();
                start = i64::MAX / 2;
            } else {
                proptest::prop_assert_eq!(info.missed_blocks_counter, in_window);
            }
        }
    }
}
