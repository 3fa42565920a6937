//! `cosmos.mint.v1beta1.MsgUpdateParams`, the mint module's only message, registered by type in
//! [`register`]: signed by the authority (gov) alone.

use cosmrs::proto::cosmos::mint::v1beta1::{MsgUpdateParams, MsgUpdateParamsResponse};
use openledger_framework::{
    AbciError, Address, Ctx, MsgResponse, MsgServiceRouter, check_authority,
};

use crate::MintError;
use crate::{MintKeeper, MintParams};

fn parse(m: &MsgUpdateParams) -> Result<(Address, MintParams), AbciError> {
    let authority = Address::from_bech32(&m.authority)
        .map_err(|e| MintError::InvalidAddress(format!("invalid authority address: {e}")))?;
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| MintError::InvalidParams("params are required".into()))?;
    Ok((authority, MintParams::from_proto(p)?))
}

/// Routes mint's message to its handlers.
pub fn register(keeper: MintKeeper, router: &mut MsgServiceRouter) {
    router.add(
        |m: &MsgUpdateParams| Ok(vec![parse(m)?.0]),
        move |ctx, m| update_params(&keeper, ctx, m),
    );
}

fn update_params(
    keeper: &MintKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    let (_, p) = parse(&m)?;
    check_authority(&keeper.authority(), &m.authority)?;
    ctx.branch(|ctx| keeper.set_params(ctx, &p))?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
