//! Message handlers: stateless checks in [`validate`], execution in [`deliver`]. Each message
//! runs in a branch, so a failing one changes nothing.

use cosmrs::Any;
use cosmrs::proto::cosmos::slashing::v1beta1::{
    MsgUnjail, MsgUnjailResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};
use openledger_framework::address::VALOPER_PREFIX;
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Ctx, MsgResponse, decode_msg};

use crate::{Params, SlashingError, SlashingKeeper};

pub const MSG_UNJAIL: &str = "/cosmos.slashing.v1beta1.MsgUnjail";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.slashing.v1beta1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[MSG_UNJAIL, MSG_UPDATE_PARAMS];

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

fn authority(s: &str) -> Result<Address, AbciError> {
    Address::from_bech32(s)
        .map_err(|e| SdkError::InvalidAddress(format!("invalid authority address: {e}")).into())
}

fn params_of(m: &MsgUpdateParams) -> Result<Params, AbciError> {
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| SlashingError::InvalidParams("params are required".into()))?;
    Ok(Params::from_proto(p)?)
}

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_UNJAIL => {
            let m: MsgUnjail = decode_msg(msg)?;
            Ok(vec![parse_validator_addr(&m.validator_addr)?])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            params_of(&m)?;
            Ok(vec![authority(&m.authority)?])
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized slashing message type: {other}"
        ))
        .into()),
    }
}

pub fn deliver(
    keeper: &SlashingKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    ctx.branch(|ctx| deliver_in_branch(keeper, ctx, msg))
}

fn deliver_in_branch(
    keeper: &SlashingKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_UNJAIL => {
            let m: MsgUnjail = decode_msg(msg)?;
            let op = parse_validator_addr(&m.validator_addr)?;
            keeper.unjail(ctx, &op)?;
            Ok(MsgResponse::of(&MsgUnjailResponse {}))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let signer = authority(&m.authority)?;
            if signer != keeper.authority() {
                return Err(SlashingError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: m.authority,
                }
                .into());
            }
            let p = params_of(&m)?;
            keeper.set_params(ctx, &p)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized slashing message type: {other}"
        ))
        .into()),
    }
}
