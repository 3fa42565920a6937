//! `cosmos.mint.v1beta1.MsgUpdateParams`, the mint module's only message: signed by the
//! authority (gov) alone.

use cosmrs::Any;
use cosmrs::proto::cosmos::mint::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Ctx, MsgResponse, decode_msg};

use super::{MintKeeper, MintParams};
use crate::MintError;

pub const MSG_UPDATE_PARAMS: &str = "/cosmos.mint.v1beta1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[MSG_UPDATE_PARAMS];

fn parse(msg: &Any) -> Result<(Address, MintParams), AbciError> {
    let m: MsgUpdateParams = decode_msg(msg)?;
    let authority = Address::from_bech32(&m.authority)
        .map_err(|e| MintError::InvalidAddress(format!("invalid authority address: {e}")))?;
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| MintError::InvalidParams("params are required".into()))?;
    Ok((authority, MintParams::from_proto(p)?))
}

pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_UPDATE_PARAMS => Ok(vec![parse(msg)?.0]),
        other => {
            Err(SdkError::UnknownRequest(format!("unrecognized mint message type: {other}")).into())
        }
    }
}

pub fn deliver(
    keeper: &MintKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_UPDATE_PARAMS => {
            let (authority, p) = parse(msg)?;
            if authority != keeper.authority() {
                return Err(MintError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: authority.to_bech32(),
                }
                .into());
            }
            ctx.branch(|ctx| keeper.set_params(ctx, &p))?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => {
            Err(SdkError::UnknownRequest(format!("unrecognized mint message type: {other}")).into())
        }
    }
}
