//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution. Each message runs in a branch, so a failing one
//! changes nothing.

use cosmrs::proto::cosmos::slashing::v1beta1::{
    MsgUnjail, MsgUnjailResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use openledger_framework::address::VALOPER_PREFIX;
use openledger_framework::error::SdkError;
use openledger_framework::{
    AbciError, Address, Ctx, MsgResponse, MsgServiceRouter, check_authority,
};

use crate::{Params, SlashingError, SlashingKeeper};

/// The operator address of `MsgUnjail` (`openvaloper1…`); its bytes are also the signer's
/// account.
pub fn parse_validator_addr(s: &str) -> Result<Address, AbciError> {
    let bad = |e: String| -> AbciError {
        SdkError::InvalidAddress(format!("validator input address {s:?}: {e}")).into()
    };
    if s.is_empty() {
        return Err(bad("empty address".into()));
    }
    let id: cosmrs::AccountId = s.parse().map_err(|e| bad(format!("{e}")))?;
    if id.prefix() != VALOPER_PREFIX {
        return Err(bad(format!(
            "expected prefix {VALOPER_PREFIX}, got {}",
            id.prefix()
        )));
    }
    Address::from_slice(&id.to_bytes()).map_err(|e| bad(e.to_string()))
}

fn params_of(m: &MsgUpdateParams) -> Result<Params, AbciError> {
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| SlashingError::InvalidParams("params are required".into()))?;
    Ok(Params::from_proto(p)?)
}

/// Routes slashing's messages to their handlers; each delivery runs in a branch of `ctx`.
pub fn register(keeper: SlashingKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(
        |m: &MsgUnjail| Ok(vec![parse_validator_addr(&m.validator_addr)?]),
        move |ctx, m| ctx.branch(|ctx| unjail(&k, ctx, m)),
    );
    router.add(validate_update_params, move |ctx, m| {
        ctx.branch(|ctx| update_params(&keeper, ctx, m))
    });
}

fn unjail(
    keeper: &SlashingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUnjail,
) -> Result<MsgResponse, AbciError> {
    let op = parse_validator_addr(&m.validator_addr)?;
    keeper.unjail(ctx, &op)?;
    Ok(MsgResponse::of(&MsgUnjailResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    params_of(m)?;
    Ok(vec![Address::from_field("authority", &m.authority)?])
}

fn update_params(
    keeper: &SlashingKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    check_authority(&keeper.authority(), &m.authority)?;
    let p = params_of(&m)?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
