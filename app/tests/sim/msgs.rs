//! The messages the generator sends.

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::crypto::ed25519::PubKey as Ed25519PubKey;
use cosmrs::proto::cosmos::gov::v1 as gpb;
use cosmrs::proto::cosmos::staking::v1beta1 as spb;
use openledger_framework::{Address, Coin, pack_any};
use openledger_staking::valoper;

use crate::DENOM;

pub(crate) fn send_msg(from: Address, to: Address, amount: u128) -> MsgSend {
    MsgSend {
        from_address: from.to_bech32(),
        to_address: to.to_bech32(),
        amount: vec![Coin::new(amount, DENOM).to_proto()],
    }
}

#[allow(deprecated)]
pub(crate) fn create_validator(op: Address, key: u8, amount: u128) -> spb::MsgCreateValidator {
    let atomics = |s: &str| {
        s.parse::<openledger_framework::Dec>()
            .expect("decimal")
            .atomics()
            .to_string()
    };
    spb::MsgCreateValidator {
        description: Some(spb::Description {
            moniker: format!("sim-{key}"),
            ..Default::default()
        }),
        commission: Some(spb::CommissionRates {
            rate: atomics("0.1"),
            max_rate: atomics("0.2"),
            max_change_rate: atomics("0.01"),
        }),
        min_self_delegation: "1".into(),
        delegator_address: String::new(),
        validator_address: valoper(&op),
        pubkey: Some(pack_any(&Ed25519PubKey {
            key: vec![key.wrapping_add(1); 32],
        })),
        value: Some(Coin::new(amount, DENOM).to_proto()),
    }
}

pub(crate) fn delegate(del: Address, val: Address, amount: u128) -> spb::MsgDelegate {
    spb::MsgDelegate {
        delegator_address: del.to_bech32(),
        validator_address: valoper(&val),
        amount: Some(Coin::new(amount, DENOM).to_proto()),
    }
}

pub(crate) fn undelegate(del: Address, val: Address, amount: u128) -> spb::MsgUndelegate {
    spb::MsgUndelegate {
        delegator_address: del.to_bech32(),
        validator_address: valoper(&val),
        amount: Some(Coin::new(amount, DENOM).to_proto()),
    }
}

pub(crate) fn redelegate(
    del: Address,
    src: Address,
    dst: Address,
    amount: u128,
) -> spb::MsgBeginRedelegate {
    spb::MsgBeginRedelegate {
        delegator_address: del.to_bech32(),
        validator_src_address: valoper(&src),
        validator_dst_address: valoper(&dst),
        amount: Some(Coin::new(amount, DENOM).to_proto()),
    }
}

/// A proposal without messages (its metadata says what it is about).
pub(crate) fn submit_proposal(proposer: Address, n: u64, amount: u128) -> gpb::MsgSubmitProposal {
    gpb::MsgSubmitProposal {
        messages: Vec::new(),
        initial_deposit: vec![Coin::new(amount, DENOM).to_proto()],
        proposer: proposer.to_bech32(),
        metadata: format!("sim proposal {n}"),
        title: format!("proposal {n}"),
        summary: "from the simulation".into(),
        expedited: false,
    }
}

/// `option`: 1 yes, 2 abstain, 3 no, 4 no with veto.
pub(crate) fn vote(voter: Address, id: u64, option: i32) -> gpb::MsgVote {
    gpb::MsgVote {
        proposal_id: id,
        voter: voter.to_bech32(),
        option,
        metadata: String::new(),
    }
}

pub(crate) fn deposit(depositor: Address, id: u64, amount: u128) -> gpb::MsgDeposit {
    gpb::MsgDeposit {
        proposal_id: id,
        depositor: depositor.to_bech32(),
        amount: vec![Coin::new(amount, DENOM).to_proto()],
    }
}
