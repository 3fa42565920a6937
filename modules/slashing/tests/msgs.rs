//! `MsgUnjail` and `MsgUpdateParams`: bad input gets a clear error and changes nothing.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use cosmrs::proto::cosmos::slashing::v1beta1::{
    MsgUnjail, MsgUpdateParams, QueryParamsRequest, QueryParamsResponse,
};
use openledger_framework::CodedError;
use openledger_slashing::{Params, SlashingError};

fn code(e: &openledger_framework::AbciError) -> (&str, u32) {
    (e.codespace.as_str(), e.code)
}

/// Validator 1 jailed for downtime (small window), its jail time over.
fn chain_with_jailed_validator() -> Chain {
    let mut c = chain_with_validators(3, 100, small_window(10));
    for _ in 0..10 {
        c.next_block(5, &[1]);
    }
    assert!(c.validator(1).jailed);
    c.next_block(700, &[]);
    c
}

#[test]
fn bad_unjail_messages_are_refused_and_change_nothing() {
    let mut c = chain_with_jailed_validator();
    let snap = c.snapshot();

    let err = c.send(&unjail(2)).unwrap_err();
    assert_eq!(
        code(&err),
        (
            "slashing",
            SlashingError::ValidatorNotJailed(String::new()).code()
        )
    );
    assert!(err.message.contains("not jailed"), "{}", err.message);

    let err = c.send(&unjail(15)).unwrap_err();
    assert_eq!(
        code(&err),
        (
            "slashing",
            SlashingError::NoValidatorForAddress(String::new()).code()
        )
    );

    for bad in [
        String::new(),
        "openvaloper1notanaddress".to_string(),
        addr(1).to_bech32(),
        addr(1).with_prefix("cosmosvaloper"),
    ] {
        let err = c
            .send_as(
                addr(1),
                &MsgUnjail {
                    validator_addr: bad.clone(),
                },
            )
            .unwrap_err();
        assert_eq!(code(&err), ("sdk", 7), "{bad:?}: {}", err.message);
    }

    // Signed by someone other than the operator's account.
    let err = c.send_as(addr(2), &unjail(1)).unwrap_err();
    assert_eq!(code(&err), ("sdk", 4));
    assert_eq!(c.snapshot(), snap);
    assert!(c.validator(1).jailed);

    // The operator itself may.
    c.send_as(addr(1), &unjail(1)).unwrap();
    assert!(!c.validator(1).jailed);
}

#[test]
fn unjail_needs_a_self_delegation_of_at_least_the_minimum() {
    let mut c = chain_with_validators(1, 100, serde_json::Value::Null);
    // Validator 2: minimum self-delegation 50 OPEN; validator 3: someone else delegates.
    let mut m = create_validator(2, 60 * OPEN);
    m.min_self_delegation = (50 * OPEN).to_string();
    c.send(&m).unwrap();
    c.send(&create_validator(3, 10 * OPEN)).unwrap();
    c.send(&delegate(10, 3, 10 * OPEN)).unwrap();
    c.next_block(5, &[]);

    // Below the minimum: staking jails it.
    c.send(&undelegate(2, 2, 20 * OPEN)).unwrap();
    assert!(c.validator(2).jailed);
    let snap = c.snapshot();
    let err = c.send(&unjail(2)).unwrap_err();
    assert_eq!(
        code(&err),
        (
            "slashing",
            SlashingError::SelfDelegationTooLowToUnjail {
                amount: String::new(),
                min: String::new()
            }
            .code()
        )
    );
    assert!(
        err.message
            .contains("validator's self delegation less than minimum; cannot be unjailed"),
        "{}",
        err.message
    );
    assert_eq!(c.snapshot(), snap);
    // Back above the minimum: it may.
    c.send(&delegate(2, 2, 20 * OPEN)).unwrap();
    c.send(&unjail(2)).unwrap();

    // No self-delegation at all.
    c.send(&undelegate(3, 3, 10 * OPEN)).unwrap();
    assert!(c.validator(3).jailed);
    let snap = c.snapshot();
    let err = c.send(&unjail(3)).unwrap_err();
    assert_eq!(
        code(&err),
        (
            "slashing",
            SlashingError::MissingSelfDelegation(String::new()).code()
        )
    );
    assert_eq!(c.snapshot(), snap);
}

fn params_msg(authority: String, p: &Params) -> MsgUpdateParams {
    MsgUpdateParams {
        authority,
        params: Some(p.to_proto()),
    }
}

fn params(c: &Chain) -> Params {
    let r: QueryParamsResponse = c.query("Params", &QueryParamsRequest {}).unwrap();
    Params::from_proto(&r.params.unwrap()).unwrap()
}

#[test]
fn only_the_authority_updates_params_and_bad_params_are_refused() {
    let mut c = chain_with_validators(2, 100, serde_json::Value::Null);
    assert_eq!(params(&c), Params::default());
    let new = Params {
        signed_blocks_window: 20,
        slash_fraction_downtime: "0.02".parse().unwrap(),
        ..Params::default()
    };

    let snap = c.snapshot();
    let err = c
        .send_as(addr(1), &params_msg(addr(1).to_bech32(), &new))
        .unwrap_err();
    assert_eq!(code(&err), ("sdk", 4));
    assert!(err.message.contains("invalid authority"), "{}", err.message);
    // Naming the authority without being it: the signer check refuses it.
    let err = c
        .send_as(addr(1), &params_msg(gov().to_bech32(), &new))
        .unwrap_err();
    assert_eq!(code(&err), ("sdk", 4));
    assert_eq!(c.snapshot(), snap);

    let bads = [
        Params {
            signed_blocks_window: 0,
            ..new
        },
        Params {
            min_signed_per_window: "1.1".parse().unwrap(),
            ..new
        },
        Params {
            downtime_jail_duration: (0, 0),
            ..new
        },
        Params {
            slash_fraction_double_sign: "1.5".parse().unwrap(),
            ..new
        },
    ];
    for bad in bads {
        let err = c
            .send_as(gov(), &params_msg(gov().to_bech32(), &bad))
            .unwrap_err();
        assert_eq!(
            code(&err),
            (
                "slashing",
                SlashingError::InvalidParams(String::new()).code()
            ),
            "{bad:?}"
        );
    }
    let mut raw = new.to_proto();
    raw.slash_fraction_downtime = b"not a number".to_vec();
    let err = c
        .send_as(
            gov(),
            &MsgUpdateParams {
                authority: gov().to_bech32(),
                params: Some(raw),
            },
        )
        .unwrap_err();
    assert_eq!(code(&err).0, "slashing");
    let err = c
        .send_as(
            gov(),
            &MsgUpdateParams {
                authority: gov().to_bech32(),
                params: None,
            },
        )
        .unwrap_err();
    assert_eq!(code(&err).0, "slashing");
    assert_eq!(c.snapshot(), snap);

    // A window change restarts every window.
    for _ in 0..5 {
        c.next_block(5, &[2]);
    }
    assert_eq!(c.signing_info(2).unwrap().missed_blocks_counter, 5);
    c.send_as(gov(), &params_msg(gov().to_bech32(), &new))
        .unwrap();
    assert_eq!(params(&c), new);
    let info = c.signing_info(2).unwrap();
    assert_eq!((info.missed_blocks_counter, info.index_offset), (0, 0));
    assert!(c.missed(2).is_empty());
}
