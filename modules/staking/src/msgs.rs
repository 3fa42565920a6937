//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution. Each message runs in a branch, so a failing one
//! changes nothing.

use cosmrs::proto::cosmos::staking::v1beta1::{
    MsgBeginRedelegate, MsgBeginRedelegateResponse, MsgCancelUnbondingDelegation,
    MsgCancelUnbondingDelegationResponse, MsgCreateValidator, MsgCreateValidatorResponse,
    MsgDelegate, MsgDelegateResponse, MsgEditValidator, MsgEditValidatorResponse, MsgUndelegate,
    MsgUndelegateResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use openledger_framework::{
    AbciError, Address, Coin, Ctx, MsgResponse, MsgServiceRouter, check_authority,
};

use crate::delegation::TokenSource;
use crate::types::{decode_consensus_pubkey, parse_account, parse_valoper};
use crate::validator::create_validator_signer;
use crate::{StakingError, StakingKeeper, params};

/// A required, positive coin (its denom is checked against params at delivery).
fn amount(c: Option<&cosmrs::proto::cosmos::base::v1beta1::Coin>) -> Result<Coin, AbciError> {
    let c = c.ok_or_else(|| StakingError::BadDelegationAmount("amount is missing".into()))?;
    let c = Coin::from_proto(c)?;
    if c.amount == 0 {
        return Err(StakingError::BadDelegationAmount("amount must be positive".into()).into());
    }
    Ok(c)
}

/// The account with an operator's bytes (the operator signs as that account).
fn operator_account(valoper: &str) -> Result<Address, AbciError> {
    Ok(parse_valoper(valoper)?)
}

/// Routes staking's messages to their handlers; each delivery runs in a branch of `ctx`.
pub fn register(keeper: StakingKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_create_validator, move |ctx, m| {
        ctx.branch(|ctx| create_validator(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(
        |m: &MsgEditValidator| Ok(vec![operator_account(&m.validator_address)?]),
        move |ctx, m| ctx.branch(|ctx| edit_validator(&k, ctx, m)),
    );
    let k = keeper.clone();
    router.add(validate_delegate, move |ctx, m| {
        ctx.branch(|ctx| delegate(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(validate_undelegate, move |ctx, m| {
        ctx.branch(|ctx| undelegate(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(validate_begin_redelegate, move |ctx, m| {
        ctx.branch(|ctx| begin_redelegate(&k, ctx, m))
    });
    let k = keeper.clone();
    router.add(validate_cancel_unbonding, move |ctx, m| {
        ctx.branch(|ctx| cancel_unbonding(&k, ctx, m))
    });
    router.add(validate_update_params, move |ctx, m| {
        ctx.branch(|ctx| update_params(&keeper, ctx, m))
    });
}

/// Stateless checks of a `MsgCreateValidator` (also run on every gentx); returns the signer.
pub(crate) fn validate_create_validator(m: &MsgCreateValidator) -> Result<Vec<Address>, AbciError> {
    decode_consensus_pubkey(m.pubkey.as_ref())?;
    amount(m.value.as_ref())?;
    let rates = m
        .commission
        .as_ref()
        .ok_or_else(|| StakingError::InvalidCommission("commission rates are missing".into()))?;
    crate::Commission::from_rates(rates)?;
    crate::validator::validate_description(&m.description.clone().unwrap_or_default())?;
    Ok(vec![create_validator_signer(m)?])
}

fn create_validator(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgCreateValidator,
) -> Result<MsgResponse, AbciError> {
    keeper.create_validator(ctx, &m)?;
    Ok(MsgResponse::of(&MsgCreateValidatorResponse {}))
}

fn edit_validator(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgEditValidator,
) -> Result<MsgResponse, AbciError> {
    keeper.edit_validator(ctx, &m)?;
    Ok(MsgResponse::of(&MsgEditValidatorResponse {}))
}

fn validate_delegate(m: &MsgDelegate) -> Result<Vec<Address>, AbciError> {
    parse_valoper(&m.validator_address)?;
    amount(m.amount.as_ref())?;
    Ok(vec![parse_account("delegator", &m.delegator_address)?])
}

fn delegate(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgDelegate,
) -> Result<MsgResponse, AbciError> {
    let del = parse_account("delegator", &m.delegator_address)?;
    let val = parse_valoper(&m.validator_address)?;
    let coin = amount(m.amount.as_ref())?;
    let p = keeper.params(ctx)?;
    crate::params::check_bond_coin(&p.bond_denom, &coin)?;
    let mut v = keeper.must_validator(ctx, &val)?;
    keeper.delegate(ctx, &del, &mut v, coin.amount, TokenSource::Account)?;
    ctx.emit(
        openledger_framework::Event::new("delegate")
            .attr("validator", m.validator_address)
            .attr("delegator", m.delegator_address)
            .attr("amount", coin.to_string()),
    );
    Ok(MsgResponse::of(&MsgDelegateResponse {}))
}

fn validate_undelegate(m: &MsgUndelegate) -> Result<Vec<Address>, AbciError> {
    parse_valoper(&m.validator_address)?;
    amount(m.amount.as_ref())?;
    Ok(vec![parse_account("delegator", &m.delegator_address)?])
}

fn undelegate(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUndelegate,
) -> Result<MsgResponse, AbciError> {
    let del = parse_account("delegator", &m.delegator_address)?;
    let val = parse_valoper(&m.validator_address)?;
    let coin = amount(m.amount.as_ref())?;
    let (completion, tokens) = keeper.undelegate(ctx, &del, &val, &coin)?;
    Ok(MsgResponse::of(&MsgUndelegateResponse {
        completion_time: Some(completion.to_proto()),
        amount: Some(Coin::new(tokens, coin.denom).to_proto()),
    }))
}

fn validate_begin_redelegate(m: &MsgBeginRedelegate) -> Result<Vec<Address>, AbciError> {
    parse_valoper(&m.validator_src_address)?;
    parse_valoper(&m.validator_dst_address)?;
    amount(m.amount.as_ref())?;
    Ok(vec![parse_account("delegator", &m.delegator_address)?])
}

fn begin_redelegate(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgBeginRedelegate,
) -> Result<MsgResponse, AbciError> {
    let del = parse_account("delegator", &m.delegator_address)?;
    let src = parse_valoper(&m.validator_src_address)?;
    let dst = parse_valoper(&m.validator_dst_address)?;
    let coin = amount(m.amount.as_ref())?;
    let completion = keeper.begin_redelegation(ctx, &del, &src, &dst, &coin)?;
    Ok(MsgResponse::of(&MsgBeginRedelegateResponse {
        completion_time: Some(completion.to_proto()),
    }))
}

fn validate_cancel_unbonding(m: &MsgCancelUnbondingDelegation) -> Result<Vec<Address>, AbciError> {
    parse_valoper(&m.validator_address)?;
    amount(m.amount.as_ref())?;
    if m.creation_height <= 0 {
        return Err(StakingError::InvalidRequest("creation height must be positive".into()).into());
    }
    Ok(vec![parse_account("delegator", &m.delegator_address)?])
}

fn cancel_unbonding(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgCancelUnbondingDelegation,
) -> Result<MsgResponse, AbciError> {
    let del = parse_account("delegator", &m.delegator_address)?;
    let val = parse_valoper(&m.validator_address)?;
    let coin = amount(m.amount.as_ref())?;
    keeper.cancel_unbonding(ctx, &del, &val, &coin, m.creation_height)?;
    Ok(MsgResponse::of(&MsgCancelUnbondingDelegationResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| StakingError::InvalidParams("params are required".into()))?;
    params::validate(p)?;
    Ok(vec![parse_account("authority", &m.authority)?])
}

fn update_params(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    check_authority(&keeper.authority(), &m.authority)?;
    let p = m
        .params
        .ok_or_else(|| StakingError::InvalidParams("params are required".into()))?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
