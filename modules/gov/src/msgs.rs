//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution. Each message runs in a branch, so a failing one
//! changes nothing.

use cosmrs::proto::cosmos::gov::v1::{
    MsgDeposit, MsgDepositResponse, MsgSubmitProposal, MsgSubmitProposalResponse, MsgUpdateParams,
    MsgUpdateParamsResponse, MsgVote, MsgVoteResponse, MsgVoteWeighted, MsgVoteWeightedResponse,
    WeightedVoteOption,
};
use openledger_framework::{
    Address, Coins, Ctx, Dec, Event, MsgResponse, MsgServiceRouter, Result,
};

use crate::{GovError, GovKeeper, MAX_METADATA_LEN, MAX_SUMMARY_LEN, MAX_TITLE_LEN, VoteOption};

pub fn parse_address(what: &str, s: &str) -> std::result::Result<Address, GovError> {
    Address::from_bech32(s)
        .map_err(|e| GovError::InvalidAddress(format!("invalid {what} address: {e}")))
}

/// Vote options with their weights, checked as the SDK does: valid options, weights in
/// (0, 1], no option twice, weights summing to exactly 1.
pub fn parse_options(
    options: &[WeightedVoteOption],
) -> std::result::Result<Vec<(VoteOption, Dec)>, GovError> {
    if options.is_empty() {
        return Err(GovError::InvalidVote("no vote options given".into()));
    }
    let mut out: Vec<(VoteOption, Dec)> = Vec::new();
    let mut total = Dec::ZERO;
    for o in options {
        let option = VoteOption::try_from(o.option)
            .ok()
            .filter(|v| *v != VoteOption::Unspecified)
            .ok_or_else(|| {
                GovError::InvalidVote(format!("{} is not a valid vote option", o.option))
            })?;
        let weight: Dec = o.weight.parse().map_err(|_| {
            GovError::InvalidVote(format!(
                "invalid weight {:?} for {}",
                o.weight,
                option.as_str_name()
            ))
        })?;
        if weight.is_zero() || weight > Dec::ONE {
            return Err(GovError::InvalidVote(format!(
                "weight {weight} of {} must be in (0, 1]",
                option.as_str_name()
            )));
        }
        if out.iter().any(|(x, _)| *x == option) {
            return Err(GovError::InvalidVote(format!(
                "duplicated vote option {}",
                option.as_str_name()
            )));
        }
        total = Dec::from_atomics(total.atomics().saturating_add(weight.atomics()));
        if total > Dec::ONE {
            return Err(GovError::InvalidVote(format!(
                "total weight overflow 1.00: the weights add up to more than 1 ({total} so far)"
            )));
        }
        out.push((option, weight));
    }
    if total < Dec::ONE {
        return Err(GovError::InvalidVote(format!(
            "total weight lower than 1.00: the weights add up to {total}"
        )));
    }
    Ok(out)
}

/// Checked options in their stored form (weights with 18 decimals, as the SDK writes them).
pub fn normalize_options(
    options: &[WeightedVoteOption],
) -> std::result::Result<Vec<WeightedVoteOption>, GovError> {
    Ok(parse_options(options)?
        .into_iter()
        .map(|(o, w)| WeightedVoteOption {
            option: o as i32,
            weight: w.to_string(),
        })
        .collect())
}

/// The `option` attribute of `proposal_vote` events: the options as Go's JSON writes them.
pub fn options_json(options: &[WeightedVoteOption]) -> String {
    let v: Vec<serde_json::Value> = options
        .iter()
        .map(|o| serde_json::json!({"option": o.option, "weight": o.weight}))
        .collect();
    serde_json::Value::Array(v).to_string()
}

fn single(option: i32) -> Vec<WeightedVoteOption> {
    vec![WeightedVoteOption {
        option,
        weight: Dec::ONE.to_string(),
    }]
}

/// Stateless checks of a submission; returns the initial deposit.
pub fn check_submit(m: &MsgSubmitProposal) -> Result<Coins> {
    if m.expedited {
        return Err(GovError::ExpeditedNotSupported.into());
    }
    let deposit = Coins::from_proto(&m.initial_deposit)
        .map_err(|e| GovError::InvalidCoins(format!("invalid initial deposit: {e}")))?;
    if m.messages.is_empty() && m.metadata.is_empty() {
        return Err(GovError::InvalidProposalContent(
            "either metadata or messages must be given".into(),
        )
        .into());
    }
    if m.title.trim().is_empty() {
        return Err(
            GovError::InvalidProposalContent("proposal title cannot be empty".into()).into(),
        );
    }
    if m.summary.trim().is_empty() {
        return Err(
            GovError::InvalidProposalContent("proposal summary cannot be empty".into()).into(),
        );
    }
    if m.title.len() > MAX_TITLE_LEN {
        return Err(GovError::TitleTooLong {
            len: m.title.len(),
            max: MAX_TITLE_LEN,
        }
        .into());
    }
    if m.summary.len() > MAX_SUMMARY_LEN {
        return Err(GovError::SummaryTooLong {
            len: m.summary.len(),
            max: MAX_SUMMARY_LEN,
        }
        .into());
    }
    if m.metadata.len() > MAX_METADATA_LEN {
        return Err(GovError::MetadataTooLong {
            len: m.metadata.len(),
            max: MAX_METADATA_LEN,
        }
        .into());
    }
    Ok(deposit)
}

fn deposit_amount(c: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Result<Coins> {
    let coins = Coins::from_proto(c)
        .map_err(|e| GovError::InvalidCoins(format!("invalid deposit: {e}")))?;
    if coins.is_empty() {
        return Err(GovError::InvalidCoins("deposit amount must not be empty".into()).into());
    }
    Ok(coins)
}

/// Routes gov's messages to their handlers. Submissions are checked against the keeper's
/// router (their messages must route and be signed by gov).
pub fn register(keeper: GovKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add::<MsgSubmitProposal, _, _>(
        move |m| validate_submit_proposal(&k, m),
        in_branch(keeper.clone(), submit_proposal),
    );
    router.add(validate_deposit, in_branch(keeper.clone(), deposit));
    router.add(validate_vote, in_branch(keeper.clone(), vote));
    router.add(
        validate_vote_weighted,
        in_branch(keeper.clone(), vote_weighted),
    );
    router.add(validate_update_params, in_branch(keeper, update_params));
}

/// `handler` run in a branch of the state, so that a failing message changes nothing.
fn in_branch<M: 'static>(
    keeper: GovKeeper,
    handler: fn(&GovKeeper, &mut Ctx<'_>, M) -> Result<MsgResponse>,
) -> impl Fn(&mut Ctx<'_>, M) -> Result<MsgResponse> + Send + Sync + 'static {
    move |ctx, m| ctx.branch(|ctx| handler(&keeper, ctx, m))
}

fn validate_submit_proposal(keeper: &GovKeeper, m: &MsgSubmitProposal) -> Result<Vec<Address>> {
    let proposer = parse_address("proposer", &m.proposer)?;
    check_submit(m)?;
    keeper.check_proposal_messages(&m.messages)?;
    Ok(vec![proposer])
}

fn submit_proposal(
    keeper: &GovKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgSubmitProposal,
) -> Result<MsgResponse> {
    let proposal_id = keeper.submit_proposal(ctx, &m)?;
    Ok(MsgResponse::of(&MsgSubmitProposalResponse { proposal_id }))
}

fn validate_deposit(m: &MsgDeposit) -> Result<Vec<Address>> {
    let depositor = parse_address("depositor", &m.depositor)?;
    deposit_amount(&m.amount)?;
    Ok(vec![depositor])
}

fn deposit(keeper: &GovKeeper, ctx: &mut Ctx<'_>, m: MsgDeposit) -> Result<MsgResponse> {
    let depositor = parse_address("depositor", &m.depositor)?;
    let amount = deposit_amount(&m.amount)?;
    if keeper.add_deposit(ctx, m.proposal_id, &depositor, &amount)? {
        ctx.emit(
            Event::new("proposal_deposit").attr("voting_period_start", m.proposal_id.to_string()),
        );
    }
    Ok(MsgResponse::of(&MsgDepositResponse {}))
}

fn validate_vote(m: &MsgVote) -> Result<Vec<Address>> {
    let voter = parse_address("voter", &m.voter)?;
    parse_options(&single(m.option))?;
    Ok(vec![voter])
}

fn vote(keeper: &GovKeeper, ctx: &mut Ctx<'_>, m: MsgVote) -> Result<MsgResponse> {
    let voter = parse_address("voter", &m.voter)?;
    keeper.add_vote(ctx, m.proposal_id, &voter, &single(m.option), &m.metadata)?;
    Ok(MsgResponse::of(&MsgVoteResponse {}))
}

fn validate_vote_weighted(m: &MsgVoteWeighted) -> Result<Vec<Address>> {
    let voter = parse_address("voter", &m.voter)?;
    parse_options(&m.options)?;
    Ok(vec![voter])
}

fn vote_weighted(keeper: &GovKeeper, ctx: &mut Ctx<'_>, m: MsgVoteWeighted) -> Result<MsgResponse> {
    let voter = parse_address("voter", &m.voter)?;
    keeper.add_vote(ctx, m.proposal_id, &voter, &m.options, &m.metadata)?;
    Ok(MsgResponse::of(&MsgVoteWeightedResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>> {
    let authority = parse_address("authority", &m.authority)?;
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| GovError::InvalidParams("params are required".into()))?;
    crate::params::validate(p)?;
    Ok(vec![authority])
}

fn update_params(keeper: &GovKeeper, ctx: &mut Ctx<'_>, m: MsgUpdateParams) -> Result<MsgResponse> {
    let authority = parse_address("authority", &m.authority)?;
    if authority != keeper.authority() {
        return Err(GovError::InvalidAuthority {
            expected: keeper.authority().to_bech32(),
            got: m.authority,
        }
        .into());
    }
    let p = m
        .params
        .ok_or_else(|| GovError::InvalidParams("params are required".into()))?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(o: i32, w: &str) -> WeightedVoteOption {
        WeightedVoteOption {
            option: o,
            weight: w.into(),
        }
    }

    #[test]
    fn weighted_options_must_sum_to_one() {
        assert_eq!(
            normalize_options(&[opt(1, "0.7"), opt(3, "0.3")]).unwrap(),
            vec![
                opt(1, "0.700000000000000000"),
                opt(3, "0.300000000000000000")
            ]
        );
        for (bad, want) in [
            (vec![], "no vote options"),
            (
                vec![opt(1, "0.5"), opt(3, "0.4")],
                "total weight lower than 1.00",
            ),
            (
                vec![opt(1, "0.7"), opt(3, "0.4")],
                "total weight overflow 1.00",
            ),
            (vec![opt(1, "0.5"), opt(1, "0.5")], "duplicated vote option"),
            (vec![opt(0, "1")], "not a valid vote option"),
            (vec![opt(5, "1")], "not a valid vote option"),
            (vec![opt(1, "-1")], "invalid weight"),
            (vec![opt(1, "0"), opt(2, "1")], "must be in (0, 1]"),
        ] {
            let err = parse_options(&bad).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
        }
        assert_eq!(
            options_json(&[opt(1, "1.000000000000000000")]),
            r#"[{"option":1,"weight":"1.000000000000000000"}]"#
        );
    }
}
