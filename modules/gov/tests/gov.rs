//! Gov driven through its messages and end block, on the real bank and staking keepers, with
//! proposals executing real bank and staking messages.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use cosmrs::Any;
use cosmrs::proto::cosmos::gov::v1::{self as gpb, ProposalStatus, VoteOption};
use openledger_framework::pack_any;

const DAY: i64 = 24 * 3600;

#[test]
fn staking_params_proposal_passes_with_votes_and_takes_effect_at_voting_end() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let before = chain.balance(&addr(4));
    let id = chain.submit(4, vec![staking_update(7 * DAY)], 10 * OPEN);
    assert_eq!(id, 1);
    // The whole minimum deposit was given: voting starts at once.
    assert_eq!(
        chain
            .event("submit_proposal", "voting_period_start")
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        chain
            .event("submit_proposal", "proposal_messages")
            .as_deref(),
        Some(",/cosmos.staking.v1beta1.MsgUpdateParams")
    );
    assert_eq!(
        chain.event("proposal_deposit", "amount").as_deref(),
        Some("10000000uopen")
    );
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::VotingPeriod as i32);
    assert_eq!(
        p.voting_end_time.unwrap().seconds,
        chain.block.time_seconds + PERIOD
    );
    assert_eq!(chain.balance(&addr(4)), before - 10 * OPEN);
    assert_eq!(chain.balance(&gov()), 10 * OPEN);

    chain.vote(1, id, VoteOption::Yes);
    assert_eq!(
        chain.event("proposal_vote", "option").as_deref(),
        Some(r#"[{"option":1,"weight":"1.000000000000000000"}]"#)
    );
    chain.vote(2, id, VoteOption::Yes);
    // Delegator 3 did not vote: it inherits validator 1's vote.
    let t = chain.tally(id);
    assert_eq!(t.yes_count, (120 * OPEN).to_string());
    assert_eq!(t.no_count, "0");

    chain.next_block(PERIOD - 1);
    assert_eq!(
        chain.staking_params().unbonding_time.unwrap().seconds,
        21 * DAY,
        "not before the end"
    );
    chain.next_block(1);
    assert_eq!(
        chain.proposal(id).status,
        ProposalStatus::VotingPeriod as i32
    );
    chain.next_block(1);
    let p = chain.proposal(id);
    assert_eq!(
        p.status,
        ProposalStatus::Passed as i32,
        "{}",
        p.failed_reason
    );
    assert_eq!(
        chain.event("active_proposal", "proposal_result").as_deref(),
        Some("proposal_passed")
    );
    assert_eq!(
        chain.staking_params().unbonding_time.unwrap().seconds,
        7 * DAY
    );
    assert_eq!(
        p.final_tally_result.unwrap().yes_count,
        (120 * OPEN).to_string()
    );
    // Deposit refunded; votes are removed once tallied, as in the SDK.
    assert_eq!(chain.balance(&addr(4)), before);
    assert_eq!(chain.balance(&gov()), 0);
    let votes: gpb::QueryVotesResponse = chain
        .query(
            "Votes",
            &gpb::QueryVotesRequest {
                proposal_id: id,
                pagination: None,
            },
        )
        .unwrap();
    assert!(votes.votes.is_empty());
    assert_eq!(
        chain.tally(id).yes_count,
        (120 * OPEN).to_string(),
        "final tally after the end"
    );
    // A vote on the closed proposal is refused.
    chain.refuse(
        &gpb::MsgVote {
            proposal_id: id,
            voter: addr(1).to_bech32(),
            option: 1,
            metadata: String::new(),
        },
        "inactive proposal",
    );
}

#[test]
fn bank_params_proposal_passes() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let id = chain.submit(5, vec![bank_update(false, None)], 10 * OPEN);
    chain.vote(1, id, VoteOption::Yes);
    chain.pass_period();
    assert_eq!(chain.proposal(id).status, ProposalStatus::Passed as i32);
    let p = chain.bank.params(&mut &chain.state).unwrap();
    assert!(!p.default_send_enabled);
}

#[test]
fn gov_params_change_through_a_proposal() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let mut p = chain
        .keeper()
        .params(&mut (&chain.state as &dyn openledger_framework::KvRead))
        .unwrap();
    p.quorum = "0.5".into();
    let msg = pack_any(&gpb::MsgUpdateParams {
        authority: gov().to_bech32(),
        params: Some(p),
    });
    let id = chain.submit(5, vec![msg], 10 * OPEN);
    chain.vote(1, id, VoteOption::Yes);
    chain.pass_period();
    assert_eq!(chain.proposal(id).status, ProposalStatus::Passed as i32);
    let r: gpb::QueryParamsResponse = chain
        .query(
            "Params",
            &gpb::QueryParamsRequest {
                params_type: String::new(),
            },
        )
        .unwrap();
    assert_eq!(r.params.unwrap().quorum, "0.5");
}

fn quorum_miss(burn: bool) {
    let mut chain = Chain::new(gov_genesis(|p| p["burn_vote_quorum"] = burn.into()));
    let supply = chain.supply();
    let before = chain.balance(&addr(4));
    let id = chain.submit(4, vec![staking_update(7 * DAY)], 10 * OPEN);
    // 40 of 120 bonded OPEN vote: 0.333… < quorum 0.334.
    chain.vote(2, id, VoteOption::Yes);
    chain.pass_period();
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::Rejected as i32);
    assert_eq!(
        p.final_tally_result.unwrap().yes_count,
        (40 * OPEN).to_string()
    );
    assert_eq!(
        chain.staking_params().unbonding_time.unwrap().seconds,
        21 * DAY
    );
    assert_eq!(chain.balance(&gov()), 0);
    if burn {
        assert_eq!(chain.balance(&addr(4)), before - 10 * OPEN);
        assert_eq!(chain.supply(), supply - 10 * OPEN);
    } else {
        assert_eq!(chain.balance(&addr(4)), before);
        assert_eq!(chain.supply(), supply);
    }
}

#[test]
fn quorum_miss_is_rejected_and_deposit_refunded() {
    quorum_miss(false);
}

#[test]
fn quorum_miss_is_rejected_and_deposit_burned_with_burn_vote_quorum() {
    quorum_miss(true);
}

#[test]
fn veto_rejects_and_burns_deposits() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let supply = chain.supply();
    let id = chain.submit(4, vec![staking_update(7 * DAY)], 6 * OPEN);
    // A second depositor completes the minimum; both deposits burn.
    chain
        .send(&gpb::MsgDeposit {
            proposal_id: id,
            depositor: addr(5).to_bech32(),
            amount: coins(4 * OPEN),
        })
        .unwrap();
    assert_eq!(
        chain
            .event("proposal_deposit", "voting_period_start")
            .as_deref(),
        Some("1")
    );
    chain.vote(1, id, VoteOption::NoWithVeto);
    chain.vote(2, id, VoteOption::Yes);
    chain.pass_period();
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::Rejected as i32);
    let t = p.final_tally_result.unwrap();
    assert_eq!(t.no_with_veto_count, (80 * OPEN).to_string());
    assert_eq!(t.yes_count, (40 * OPEN).to_string());
    assert_eq!(chain.supply(), supply - 10 * OPEN);
    assert_eq!(chain.balance(&addr(4)), 1000 * OPEN - 6 * OPEN);
    assert_eq!(chain.balance(&addr(5)), 1000 * OPEN - 4 * OPEN);
    assert_eq!(chain.balance(&gov()), 0);
}

#[test]
fn a_delegator_overrides_its_validators_vote() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let a = chain.submit(4, vec![staking_update(7 * DAY)], 10 * OPEN);
    let b = chain.submit(4, vec![staking_update(8 * DAY)], 10 * OPEN);
    for id in [a, b] {
        chain.vote(1, id, VoteOption::Yes);
        chain.vote(2, id, VoteOption::No);
    }
    // Without delegator 3: 80 yes (60 own + 20 inherited), 40 no.
    assert_eq!(chain.tally(a).yes_count, (80 * OPEN).to_string());
    // On `a`, delegator 3 votes no: its 20 leave validator 1's yes.
    chain.vote(3, a, VoteOption::No);
    let t = chain.tally(a);
    assert_eq!(
        (t.yes_count.as_str(), t.no_count.as_str()),
        ("60000000", "60000000")
    );
    // On `b`, it splits its 20: 0.25 yes, 0.75 no.
    chain
        .send(&gpb::MsgVoteWeighted {
            proposal_id: b,
            voter: addr(3).to_bech32(),
            options: vec![
                gpb::WeightedVoteOption {
                    option: VoteOption::Yes as i32,
                    weight: "0.25".into(),
                },
                gpb::WeightedVoteOption {
                    option: VoteOption::No as i32,
                    weight: "0.75".into(),
                },
            ],
            metadata: String::new(),
        })
        .unwrap();
    let t = chain.tally(b);
    assert_eq!(
        (t.yes_count.as_str(), t.no_count.as_str()),
        ("65000000", "55000000")
    );
    chain.pass_period();
    // 60/120 is not more than the 0.5 threshold; 65/120 is.
    assert_eq!(chain.proposal(a).status, ProposalStatus::Rejected as i32);
    assert_eq!(chain.proposal(b).status, ProposalStatus::Passed as i32);
    assert_eq!(
        chain.staking_params().unbonding_time.unwrap().seconds,
        8 * DAY
    );
}

#[test]
fn a_failing_message_fails_the_proposal_and_keeps_nothing() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let before = chain.balance(&addr(4));
    // The staking change alone would succeed; the bank change fails at execution (bad denom).
    let id = chain.submit(
        4,
        vec![staking_update(7 * DAY), bank_update(false, Some("x"))],
        10 * OPEN,
    );
    chain.vote(1, id, VoteOption::Yes);
    chain.pass_period();
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::Failed as i32);
    assert!(
        p.failed_reason
            .contains("msg 1 (/cosmos.bank.v1beta1.MsgUpdateParams)"),
        "{}",
        p.failed_reason
    );
    assert_eq!(
        chain.event("active_proposal", "proposal_result").as_deref(),
        Some("proposal_failed")
    );
    assert_eq!(
        chain.staking_params().unbonding_time.unwrap().seconds,
        21 * DAY,
        "no partial state"
    );
    assert!(
        chain
            .bank
            .params(&mut &chain.state)
            .unwrap()
            .default_send_enabled
    );
    // It passed the vote: the deposit comes back.
    assert_eq!(chain.balance(&addr(4)), before);
}

fn expiry(burn: bool) {
    let mut chain = Chain::new(gov_genesis(|p| {
        p["burn_proposal_deposit_prevote"] = burn.into()
    }));
    let supply = chain.supply();
    let id = chain.submit(4, vec![staking_update(7 * DAY)], 4 * OPEN);
    chain
        .send(&gpb::MsgDeposit {
            proposal_id: id,
            depositor: addr(5).to_bech32(),
            amount: coins(3 * OPEN),
        })
        .unwrap();
    let p = chain.proposal(id);
    assert_eq!(p.status, ProposalStatus::DepositPeriod as i32);
    assert_eq!(p.total_deposit, coins(7 * OPEN));
    // No voting in the deposit period.
    chain.refuse(
        &gpb::MsgVote {
            proposal_id: id,
            voter: addr(1).to_bech32(),
            option: 1,
            metadata: String::new(),
        },
        "inactive proposal",
    );
    assert_eq!(chain.tally(id).yes_count, "0");
    chain.pass_period();
    assert_eq!(
        chain
            .event("inactive_proposal", "proposal_result")
            .as_deref(),
        Some("proposal_dropped")
    );
    let err = chain
        .query::<_, gpb::QueryProposalResponse>(
            "Proposal",
            &gpb::QueryProposalRequest { proposal_id: id },
        )
        .unwrap_err();
    assert!(err.message.contains("doesn't exist"), "{}", err.message);
    assert_eq!(chain.balance(&gov()), 0);
    let deposits: gpb::QueryDepositsResponse = chain
        .query(
            "Deposits",
            &gpb::QueryDepositsRequest {
                proposal_id: id,
                pagination: None,
            },
        )
        .unwrap();
    assert!(deposits.deposits.is_empty());
    if burn {
        assert_eq!(chain.supply(), supply - 7 * OPEN);
        assert_eq!(chain.balance(&addr(5)), 997 * OPEN);
    } else {
        assert_eq!(chain.supply(), supply);
        assert_eq!(chain.balance(&addr(4)), 1000 * OPEN);
        assert_eq!(chain.balance(&addr(5)), 1000 * OPEN);
    }
    // A deposit on the dropped proposal is refused.
    chain.refuse(
        &gpb::MsgDeposit {
            proposal_id: id,
            depositor: addr(5).to_bech32(),
            amount: coins(OPEN),
        },
        "unknown proposal 1",
    );
}

#[test]
fn deposit_period_expiry_refunds() {
    expiry(false);
}

#[test]
fn deposit_period_expiry_burns_with_burn_proposal_deposit_prevote() {
    expiry(true);
}

#[test]
fn bad_inputs_are_refused_and_change_nothing() {
    let mut chain = Chain::new(gov_genesis(|p| {
        p["min_initial_deposit_ratio"] = "0.5".into()
    }));
    // Vote on an unknown proposal.
    chain.refuse(
        &gpb::MsgVote {
            proposal_id: 99,
            voter: addr(1).to_bech32(),
            option: 1,
            metadata: String::new(),
        },
        "unknown proposal 99",
    );
    // Initial deposit below min_deposit × min_initial_deposit_ratio (5 OPEN).
    chain.refuse(
        &submit_msg(4, vec![staking_update(DAY)], OPEN),
        "minimum deposit is too small",
    );
    // A message not signed by gov.
    let send = pack_any(&cosmrs::proto::cosmos::bank::v1beta1::MsgSend {
        from_address: addr(1).to_bech32(),
        to_address: addr(4).to_bech32(),
        amount: coins(OPEN),
    });
    chain.refuse(
        &submit_msg(4, vec![send], 10 * OPEN),
        "expected gov account as only signer",
    );
    // Malformed messages: garbage bytes, an unknown type, invalid params inside.
    let garbage = Any {
        type_url: "/cosmos.staking.v1beta1.MsgUpdateParams".into(),
        value: vec![0xff, 0xff, 0xff],
    };
    chain.refuse(
        &submit_msg(4, vec![garbage], 10 * OPEN),
        "invalid proposal message",
    );
    let unknown = Any {
        type_url: "/cosmos.nothing.v1.MsgNothing".into(),
        value: vec![],
    };
    chain.refuse(
        &submit_msg(4, vec![unknown], 10 * OPEN),
        "not recognized by router",
    );
    chain.refuse(
        &submit_msg(4, vec![staking_update(0)], 10 * OPEN),
        "unbonding time must be positive",
    );
    // Expedited, empty title, wrong denom.
    let mut m = submit_msg(4, vec![staking_update(DAY)], 10 * OPEN);
    m.expedited = true;
    chain.refuse(&m, "expedited proposals are not supported");
    let mut m = submit_msg(4, vec![staking_update(DAY)], 10 * OPEN);
    m.title = String::new();
    chain.refuse(&m, "title cannot be empty");
    let mut m = submit_msg(4, vec![staking_update(DAY)], 0);
    m.initial_deposit = vec![openledger_framework::Coin::new(10 * OPEN, "ufoo").to_proto()];
    chain.refuse(&m, "gov accepts only the following denom(s): [uopen]");
    // More than the proposer has.
    chain.refuse(
        &submit_msg(7, vec![staking_update(DAY)], 10 * OPEN),
        "insufficient funds",
    );

    let id = chain.submit(4, vec![staking_update(DAY)], 5 * OPEN);
    // Deposits below min_deposit × min_deposit_ratio (0.1 OPEN), or empty.
    chain.refuse(
        &gpb::MsgDeposit {
            proposal_id: id,
            depositor: addr(5).to_bech32(),
            amount: coins(1000),
        },
        "received 1000uopen but need at least one of the following: 100000uopen",
    );
    chain.refuse(
        &gpb::MsgDeposit {
            proposal_id: id,
            depositor: addr(5).to_bech32(),
            amount: vec![],
        },
        "deposit amount must not be empty",
    );
    chain
        .send(&gpb::MsgDeposit {
            proposal_id: id,
            depositor: addr(5).to_bech32(),
            amount: coins(5 * OPEN),
        })
        .unwrap();
    // Weighted votes that do not sum to 1, bad options.
    let weighted = |w: [&str; 2]| gpb::MsgVoteWeighted {
        proposal_id: id,
        voter: addr(1).to_bech32(),
        options: vec![
            gpb::WeightedVoteOption {
                option: 1,
                weight: w[0].into(),
            },
            gpb::WeightedVoteOption {
                option: 3,
                weight: w[1].into(),
            },
        ],
        metadata: String::new(),
    };
    chain.refuse(&weighted(["0.5", "0.4"]), "total weight lower than 1.00");
    chain.refuse(&weighted(["0.7", "0.4"]), "total weight overflow 1.00");
    chain.refuse(
        &gpb::MsgVote {
            proposal_id: id,
            voter: addr(1).to_bech32(),
            option: 9,
            metadata: String::new(),
        },
        "9 is not a valid vote option",
    );
    chain.refuse(
        &gpb::MsgVote {
            proposal_id: id,
            voter: addr(1).to_bech32(),
            option: 1,
            metadata: "m".repeat(300),
        },
        "metadata too long",
    );
    // MsgUpdateParams: only the authority, only valid params.
    let mut p = openledger_gov::params::default_params();
    chain.refuse(
        &gpb::MsgUpdateParams {
            authority: addr(1).to_bech32(),
            params: Some(p.clone()),
        },
        "invalid authority",
    );
    p.quorum = "1.5".into();
    chain.refuse(
        &gpb::MsgUpdateParams {
            authority: gov().to_bech32(),
            params: Some(p),
        },
        "quorum too large",
    );
    chain.refuse(
        &gpb::MsgUpdateParams {
            authority: gov().to_bech32(),
            params: None,
        },
        "params are required",
    );
}

#[test]
fn queries_filter_and_page() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let a = chain.submit(4, vec![staking_update(7 * DAY)], 10 * OPEN);
    let b = chain.submit(5, vec![staking_update(8 * DAY)], 2 * OPEN);
    let c = chain.submit(4, vec![bank_update(true, None)], 10 * OPEN);
    chain.vote(1, a, VoteOption::Yes);
    chain
        .send(&gpb::MsgDeposit {
            proposal_id: c,
            depositor: addr(6).to_bech32(),
            amount: coins(OPEN),
        })
        .unwrap();

    let list = |chain: &Chain, req: gpb::QueryProposalsRequest| -> Vec<u64> {
        let r: gpb::QueryProposalsResponse = chain.query("Proposals", &req).unwrap();
        r.proposals.iter().map(|p| p.id).collect()
    };
    assert_eq!(list(&chain, Default::default()), vec![a, b, c]);
    let voting = gpb::QueryProposalsRequest {
        proposal_status: ProposalStatus::VotingPeriod as i32,
        ..Default::default()
    };
    assert_eq!(list(&chain, voting), vec![a, c]);
    let deposit = gpb::QueryProposalsRequest {
        proposal_status: ProposalStatus::DepositPeriod as i32,
        ..Default::default()
    };
    assert_eq!(list(&chain, deposit), vec![b]);
    let by_voter = gpb::QueryProposalsRequest {
        voter: addr(1).to_bech32(),
        ..Default::default()
    };
    assert_eq!(list(&chain, by_voter), vec![a]);
    let by_depositor = gpb::QueryProposalsRequest {
        depositor: addr(6).to_bech32(),
        ..Default::default()
    };
    assert_eq!(list(&chain, by_depositor), vec![c]);
    let page = cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
        limit: 2,
        ..Default::default()
    };
    let r: gpb::QueryProposalsResponse = chain
        .query(
            "Proposals",
            &gpb::QueryProposalsRequest {
                pagination: Some(page),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(r.proposals.len(), 2);
    let next = r.pagination.unwrap().next_key;
    let page = cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
        key: next,
        limit: 2,
        ..Default::default()
    };
    let r: gpb::QueryProposalsResponse = chain
        .query(
            "Proposals",
            &gpb::QueryProposalsRequest {
                pagination: Some(page),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        r.proposals.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![c]
    );

    let v: gpb::QueryVoteResponse = chain
        .query(
            "Vote",
            &gpb::QueryVoteRequest {
                proposal_id: a,
                voter: addr(1).to_bech32(),
            },
        )
        .unwrap();
    assert_eq!(v.vote.unwrap().options[0].weight, "1.000000000000000000");
    let err = chain
        .query::<_, gpb::QueryVoteResponse>(
            "Vote",
            &gpb::QueryVoteRequest {
                proposal_id: a,
                voter: addr(2).to_bech32(),
            },
        )
        .unwrap_err();
    assert!(
        err.message.contains("not found for proposal"),
        "{}",
        err.message
    );
    let d: gpb::QueryDepositResponse = chain
        .query(
            "Deposit",
            &gpb::QueryDepositRequest {
                proposal_id: c,
                depositor: addr(4).to_bech32(),
            },
        )
        .unwrap();
    assert_eq!(d.deposit.unwrap().amount, coins(10 * OPEN));
    let ds: gpb::QueryDepositsResponse = chain
        .query(
            "Deposits",
            &gpb::QueryDepositsRequest {
                proposal_id: c,
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(ds.deposits.len(), 2);

    #[allow(deprecated)]
    {
        let r: gpb::QueryParamsResponse = chain
            .query(
                "Params",
                &gpb::QueryParamsRequest {
                    params_type: "tallying".into(),
                },
            )
            .unwrap();
        assert_eq!(r.tally_params.unwrap().quorum, "0.334000000000000000");
        assert!(r.params.is_some() && r.voting_params.is_none());
        let r: gpb::QueryParamsResponse = chain
            .query(
                "Params",
                &gpb::QueryParamsRequest {
                    params_type: "voting".into(),
                },
            )
            .unwrap();
        assert_eq!(
            r.voting_params.unwrap().voting_period.unwrap().seconds,
            PERIOD
        );
        let r: gpb::QueryParamsResponse = chain
            .query(
                "Params",
                &gpb::QueryParamsRequest {
                    params_type: "deposit".into(),
                },
            )
            .unwrap();
        assert_eq!(r.deposit_params.unwrap().min_deposit, coins(10 * OPEN));
    }
    assert!(
        chain
            .query::<_, gpb::QueryParamsResponse>(
                "Params",
                &gpb::QueryParamsRequest {
                    params_type: "x".into()
                }
            )
            .is_err()
    );
    let r: gpb::QueryConstitutionResponse = chain
        .query("Constitution", &gpb::QueryConstitutionRequest {})
        .unwrap();
    assert_eq!(r.constitution, "");
    assert!(
        chain
            .query::<_, gpb::QueryProposalResponse>(
                "Proposal",
                &gpb::QueryProposalRequest { proposal_id: 0 }
            )
            .is_err()
    );
}
