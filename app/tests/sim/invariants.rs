//! The invariants checked after every block.

use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::distribution::v1beta1 as dpb;
use cosmrs::proto::cosmos::gov::v1 as gpb;
use openledger_framework::Address;
use openledger_staking::testutil::{all_balances, check_pools};
use openledger_staking::valoper;

use crate::{DENOM, Sim};

impl Sim {
    /// Every proposal, as gov answers.
    pub(crate) fn proposals(&self) -> Vec<gpb::Proposal> {
        let core = &self.chain.app.core;
        let snap = core.storage.latest_snapshot();
        query::<gpb::QueryProposalsResponse>(
            core,
            &snap,
            "/cosmos.gov.v1.Query/Proposals",
            gpb::QueryProposalsRequest {
                pagination: Some(PageRequest {
                    limit: u64::MAX,
                    ..Default::default()
                }),
                ..Default::default()
            },
        )
        .proposals
    }

    /// Checks every invariant; returns what the distribution module holds.
    pub(crate) fn check_invariants(&self) -> u128 {
        let core = &self.chain.app.core;
        let snap = core.storage.latest_snapshot();
        let mut r = &snap;
        // Bank: the supply is the sum of every balance, module accounts included.
        let balances = all_balances(&snap);
        let supply = core.bank.supply(&mut r, DENOM).expect("supply");
        if balances != supply {
            self.fail(format!("supply {supply} but balances sum to {balances}"));
        }
        // Staking: each pool holds exactly the tokens of its validators (and unbondings).
        let staking = &core.staking.keeper;
        if let Err(e) = check_pools(staking, &snap) {
            self.fail(e);
        }
        let vals = staking.all_validators(&mut r).expect("validators");
        let pool = |name: &str| {
            core.bank
                .balance(&mut &snap, &Address::module(name), DENOM)
                .expect("pool")
        };
        // Distribution (the SDK's ModuleAccountInvariant): its account holds the community pool
        // and every validator's outstanding rewards, truncated once over their sum.
        let mut owed: u128 = decimal_sum(
            &query::<dpb::QueryCommunityPoolResponse>(
                core,
                &snap,
                "/cosmos.distribution.v1beta1.Query/CommunityPool",
                dpb::QueryCommunityPoolRequest {},
            )
            .pool,
        );
        for v in &vals {
            let out = query::<dpb::QueryValidatorOutstandingRewardsResponse>(
                core,
                &snap,
                "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
                dpb::QueryValidatorOutstandingRewardsRequest {
                    validator_address: valoper(&v.operator),
                },
            );
            owed += decimal_sum(&out.rewards.map(|r| r.rewards).unwrap_or_default());
        }
        let held = pool("distribution");
        if held != owed / 10u128.pow(18) {
            self.fail(format!(
                "distribution holds {held} but owes {} (community pool and outstanding rewards)",
                owed / 10u128.pow(18)
            ));
        }
        // Gov holds exactly the deposits of the proposals still open.
        let proposals = self.proposals();
        let open = [
            gpb::ProposalStatus::DepositPeriod as i32,
            gpb::ProposalStatus::VotingPeriod as i32,
        ];
        let deposits: u128 = proposals
            .iter()
            .filter(|p| open.contains(&p.status))
            .flat_map(|p| &p.total_deposit)
            .filter(|c| c.denom == DENOM)
            .map(|c| c.amount.parse::<u128>().expect("amount"))
            .sum();
        if pool("gov") != deposits {
            self.fail(format!(
                "gov holds {} but open proposals' deposits are {deposits}",
                pool("gov")
            ));
        }
        // Every delegation's shares are the validator's: the shares of a validator add up.
        for v in &vals {
            let shares: u128 = staking
                .delegations_to(&mut r, &v.operator)
                .expect("delegations")
                .iter()
                .map(|d| d.shares.atomics())
                .sum();
            if shares != v.delegator_shares.atomics() {
                self.fail(format!(
                    "validator {} has {} shares but its delegations {shares}",
                    v.operator,
                    v.delegator_shares.atomics()
                ));
            }
        }
        held
    }
}

/// A query through the app's router, as gRPC and ABCI answer it.
fn query<Resp: prost::Message + Default>(
    core: &openledger_state_machine::AppCore,
    snap: &dyn openledger_framework::KvRead,
    path: &str,
    req: impl prost::Message,
) -> Resp {
    let bytes = core
        .queries
        .route(path, snap, &req.encode_to_vec())
        .unwrap_or_else(|e| panic!("{path}: {e}"));
    Resp::decode(bytes.as_slice()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The sum of `DecCoin`s of [`DENOM`] in atomics (10^-18 uopen), as protobuf carries them.
fn decimal_sum(coins: &[cosmrs::proto::cosmos::base::v1beta1::DecCoin]) -> u128 {
    coins
        .iter()
        .filter(|c| c.denom == DENOM)
        .map(|c| c.amount.parse::<u128>().expect("atomics"))
        .sum()
}
