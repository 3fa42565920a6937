//! Gov genesis: the Cosmos JSON shape, export → import → export round trip, and refusals.

mod common;

use common::*;
use cosmrs::proto::cosmos::gov::v1::{ProposalStatus, VoteOption};
use openledger_bank::BankModule;
use openledger_framework::Module;

const DAY: i64 = 24 * 3600;

#[test]
fn export_import_round_trip_keeps_proposals_running() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let passed = chain.submit(4, vec![staking_update(7 * DAY)], 10 * OPEN);
    chain.vote(1, passed, VoteOption::Yes);
    chain.pass_period();
    let voting = chain.submit(4, vec![staking_update(9 * DAY)], 10 * OPEN);
    chain.vote(1, voting, VoteOption::Yes);
    chain.vote(3, voting, VoteOption::No);
    let waiting = chain.submit(5, vec![bank_update(false, None)], 3 * OPEN);

    let gov = chain.gov.export_genesis(&chain.state).unwrap();
    assert_eq!(gov["starting_proposal_id"], "4");
    assert_eq!(gov["params"]["quorum"], "0.334000000000000000");
    assert_eq!(gov["params"]["voting_period"], "100s");
    assert_eq!(gov["params"]["min_deposit"][0]["amount"], "10000000");
    assert_eq!(gov["proposals"][0]["status"], "PROPOSAL_STATUS_PASSED");
    assert_eq!(
        gov["proposals"][0]["final_tally_result"]["yes_count"],
        "80000000"
    );
    assert_eq!(
        gov["proposals"][1]["messages"][0]["@type"],
        "/cosmos.staking.v1beta1.MsgUpdateParams"
    );
    assert!(
        gov["proposals"][1]["voting_end_time"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );
    assert_eq!(gov["votes"][0]["options"][0]["option"], "VOTE_OPTION_YES");
    assert_eq!(gov["votes"].as_array().unwrap().len(), 2);
    assert_eq!(gov["deposits"].as_array().unwrap().len(), 2);

    let bank = BankModule::new(chain.bank.clone())
        .export_genesis(&chain.state)
        .unwrap();
    let staking = chain.staking.export_genesis(&chain.state).unwrap();
    let mut copy = Chain::with_genesis(bank, staking, gov.clone());
    copy.block = chain.block.clone();
    assert_eq!(copy.gov.export_genesis(&copy.state).unwrap(), gov);

    // The queues came back: both chains end the same proposals the same way.
    for c in [&mut chain, &mut copy] {
        c.pass_period();
        assert_eq!(c.proposal(voting).status, ProposalStatus::Passed as i32);
        assert_eq!(
            c.proposal(voting).final_tally_result.unwrap().no_count,
            "20000000"
        );
        assert_eq!(c.staking_params().unbonding_time.unwrap().seconds, 9 * DAY);
        assert!(
            c.query::<_, cosmrs::proto::cosmos::gov::v1::QueryProposalResponse>(
                "Proposal",
                &cosmrs::proto::cosmos::gov::v1::QueryProposalRequest {
                    proposal_id: waiting
                },
            )
            .is_err(),
            "the underfunded proposal is dropped"
        );
    }
    assert_eq!(
        chain.gov.export_genesis(&chain.state).unwrap(),
        copy.gov.export_genesis(&copy.state).unwrap()
    );
}

#[test]
fn inconsistent_genesis_is_refused() {
    let mut chain = Chain::new(gov_genesis(|_| {}));
    let id = chain.submit(4, vec![staking_update(7 * DAY)], 3 * OPEN);
    let good = chain.gov.export_genesis(&chain.state).unwrap();
    let gov = chain.gov.clone();
    let mut try_init =
        |g: serde_json::Value| chain.run(|c| gov.init_genesis(c, &g)).unwrap_err().message;

    let mut g = good.clone();
    g["deposits"][0]["amount"][0]["amount"] = "4000000".into();
    assert!(try_init(g).contains("gov module account holds"));
    let mut g = good.clone();
    let p = g["proposals"][0].clone();
    g["proposals"].as_array_mut().unwrap().push(p);
    assert!(try_init(g).contains("duplicate proposal id 1"));
    let mut g = good.clone();
    g["starting_proposal_id"] = "1".into();
    assert!(try_init(g).contains("starting proposal id"));
    let mut g = good.clone();
    g["params"]["quorum"] = "2".into();
    assert!(try_init(g).contains("quorum too large"));
    let mut g = good.clone();
    g["proposals"][0]["status"] = "PROPOSAL_STATUS_NONSENSE".into();
    assert!(try_init(g).contains("invalid status"));
    let mut g = good;
    g["votes"] = serde_json::json!([{
        "proposal_id": id.to_string(),
        "voter": addr(1).to_bech32(),
        "options": [{"option": "VOTE_OPTION_YES", "weight": "0.5"}],
    }]);
    assert!(try_init(g).contains("total weight lower than 1.00"));
}
