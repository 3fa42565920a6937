//! Message handlers: stateless checks in [`validate`], execution in [`deliver`]. Each message
//! runs in a branch, so a failing one changes nothing.

use cosmrs::Any;
use cosmrs::proto::cosmos::staking::v1beta1::{
    MsgBeginRedelegate, MsgBeginRedelegateResponse, MsgCancelUnbondingDelegation,
    MsgCancelUnbondingDelegationResponse, MsgCreateValidator, MsgCreateValidatorResponse,
    MsgDelegate, MsgDelegateResponse, MsgEditValidator, MsgEditValidatorResponse, MsgUndelegate,
    MsgUndelegateResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coin, Ctx, MsgResponse, decode_msg};

use crate::delegation::TokenSource;
use crate::types::{decode_consensus_pubkey, parse_account, parse_valoper};
use crate::validator::create_validator_signer;
use crate::{StakingError, StakingKeeper, params};

pub const MSG_CREATE_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgCreateValidator";
pub const MSG_EDIT_VALIDATOR: &str = "/cosmos.staking.v1beta1.MsgEditValidator";
pub const MSG_DELEGATE: &str = "/cosmos.staking.v1beta1.MsgDelegate";
pub const MSG_UNDELEGATE: &str = "/cosmos.staking.v1beta1.MsgUndelegate";
pub const MSG_BEGIN_REDELEGATE: &str = "/cosmos.staking.v1beta1.MsgBeginRedelegate";
pub const MSG_CANCEL_UNBONDING: &str = "/cosmos.staking.v1beta1.MsgCancelUnbondingDelegation";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.staking.v1beta1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[
    MSG_CREATE_VALIDATOR,
    MSG_EDIT_VALIDATOR,
    MSG_DELEGATE,
    MSG_UNDELEGATE,
    MSG_BEGIN_REDELEGATE,
    MSG_CANCEL_UNBONDING,
    MSG_UPDATE_PARAMS,
];

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

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_CREATE_VALIDATOR => {
            let m: MsgCreateValidator = decode_msg(msg)?;
            decode_consensus_pubkey(m.pubkey.as_ref())?;
            amount(m.value.as_ref())?;
            let rates = m.commission.as_ref().ok_or_else(|| {
                StakingError::InvalidCommission("commission rates are missing".into())
            })?;
            crate::Commission::from_rates(rates)?;
            crate::validator::validate_description(&m.description.clone().unwrap_or_default())?;
            Ok(vec![create_validator_signer(&m)?])
        }
        MSG_EDIT_VALIDATOR => {
            let m: MsgEditValidator = decode_msg(msg)?;
            Ok(vec![operator_account(&m.validator_address)?])
        }
        MSG_DELEGATE => {
            let m: MsgDelegate = decode_msg(msg)?;
            parse_valoper(&m.validator_address)?;
            amount(m.amount.as_ref())?;
            Ok(vec![parse_account("delegator", &m.delegator_address)?])
        }
        MSG_UNDELEGATE => {
            let m: MsgUndelegate = decode_msg(msg)?;
            parse_valoper(&m.validator_address)?;
            amount(m.amount.as_ref())?;
            Ok(vec![parse_account("delegator", &m.delegator_address)?])
        }
        MSG_BEGIN_REDELEGATE => {
            let m: MsgBeginRedelegate = decode_msg(msg)?;
            parse_valoper(&m.validator_src_address)?;
            parse_valoper(&m.validator_dst_address)?;
            amount(m.amount.as_ref())?;
            Ok(vec![parse_account("delegator", &m.delegator_address)?])
        }
        MSG_CANCEL_UNBONDING => {
            let m: MsgCancelUnbondingDelegation = decode_msg(msg)?;
            parse_valoper(&m.validator_address)?;
            amount(m.amount.as_ref())?;
            if m.creation_height <= 0 {
                return Err(StakingError::InvalidRequest(
                    "creation height must be positive".into(),
                )
                .into());
            }
            Ok(vec![parse_account("delegator", &m.delegator_address)?])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let p = m
                .params
                .as_ref()
                .ok_or_else(|| StakingError::InvalidParams("params are required".into()))?;
            params::validate(p)?;
            Ok(vec![parse_account("authority", &m.authority)?])
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized staking message type: {other}"
        ))
        .into()),
    }
}

pub fn deliver(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    ctx.branch(|ctx| deliver_in_branch(keeper, ctx, msg))
}

fn deliver_in_branch(
    keeper: &StakingKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_CREATE_VALIDATOR => {
            let m: MsgCreateValidator = decode_msg(msg)?;
            keeper.create_validator(ctx, &m)?;
            Ok(MsgResponse::of(&MsgCreateValidatorResponse {}))
        }
        MSG_EDIT_VALIDATOR => {
            let m: MsgEditValidator = decode_msg(msg)?;
            keeper.edit_validator(ctx, &m)?;
            Ok(MsgResponse::of(&MsgEditValidatorResponse {}))
        }
        MSG_DELEGATE => {
            let m: MsgDelegate = decode_msg(msg)?;
            let del = parse_account("delegator", &m.delegator_address)?;
            let val = parse_valoper(&m.validator_address)?;
            let coin = amount(m.amount.as_ref())?;
            let p = keeper.params(ctx)?;
            crate::validator::check_bond_coin(&p.bond_denom, &coin)?;
            let mut v = keeper.must_validator(ctx, &val)?;
            keeper.delegate(ctx, &del, &mut v, coin.amount, TokenSource::Account)?;
            ctx.emit(
                openledger_framework::Event::new("delegate")
                    .attr("validator", m.validator_address.clone())
                    .attr("delegator", m.delegator_address.clone())
                    .attr("amount", coin.to_string()),
            );
            Ok(MsgResponse::of(&MsgDelegateResponse {}))
        }
        MSG_UNDELEGATE => {
            let m: MsgUndelegate = decode_msg(msg)?;
            let del = parse_account("delegator", &m.delegator_address)?;
            let val = parse_valoper(&m.validator_address)?;
            let coin = amount(m.amount.as_ref())?;
            let (completion, tokens) = keeper.undelegate(ctx, &del, &val, &coin)?;
            Ok(MsgResponse::of(&MsgUndelegateResponse {
                completion_time: Some(completion.to_proto()),
                amount: Some(Coin::new(tokens, coin.denom).to_proto()),
            }))
        }
        MSG_BEGIN_REDELEGATE => {
            let m: MsgBeginRedelegate = decode_msg(msg)?;
            let del = parse_account("delegator", &m.delegator_address)?;
            let src = parse_valoper(&m.validator_src_address)?;
            let dst = parse_valoper(&m.validator_dst_address)?;
            let coin = amount(m.amount.as_ref())?;
            let completion = keeper.begin_redelegation(ctx, &del, &src, &dst, &coin)?;
            Ok(MsgResponse::of(&MsgBeginRedelegateResponse {
                completion_time: Some(completion.to_proto()),
            }))
        }
        MSG_CANCEL_UNBONDING => {
            let m: MsgCancelUnbondingDelegation = decode_msg(msg)?;
            let del = parse_account("delegator", &m.delegator_address)?;
            let val = parse_valoper(&m.validator_address)?;
            let coin = amount(m.amount.as_ref())?;
            keeper.cancel_unbonding(ctx, &del, &val, &coin, m.creation_height)?;
            Ok(MsgResponse::of(&MsgCancelUnbondingDelegationResponse {}))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let authority = parse_account("authority", &m.authority)?;
            if authority != keeper.authority() {
                return Err(StakingError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: m.authority,
                }
                .into());
            }
            let p = m
                .params
                .ok_or_else(|| StakingError::InvalidParams("params are required".into()))?;
            keeper.set_params(ctx, &p)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized staking message type: {other}"
        ))
        .into()),
    }
}
