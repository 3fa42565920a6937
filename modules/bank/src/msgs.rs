//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution.

use cosmrs::proto::cosmos::bank::v1beta1::{
    MsgMultiSend, MsgMultiSendResponse, MsgSend, MsgSendResponse, MsgUpdateParams,
    MsgUpdateParamsResponse,
};
use openledger_framework::error::SdkError;
use openledger_framework::{
    AbciError, Address, Coins, Ctx, Event, MsgResponse, MsgServiceRouter, check_authority,
};

use crate::{BankError, BankKeeper};

fn nonempty_coins(
    coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin],
) -> Result<Coins, AbciError> {
    let coins = Coins::from_proto(coins)?;
    if coins.is_empty() {
        return Err(BankError::InvalidCoins("amount must be positive".into()).into());
    }
    Ok(coins)
}

/// Routes bank's messages to their handlers.
pub fn register(keeper: BankKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_send, move |ctx, m| send(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_multi_send, move |ctx, m| multi_send(&k, ctx, m));
    router.add(validate_update_params, move |ctx, m| {
        update_params(&keeper, ctx, m)
    });
}

fn validate_send(m: &MsgSend) -> Result<Vec<Address>, AbciError> {
    let from = Address::from_field("from", &m.from_address)?;
    Address::from_field("to", &m.to_address)?;
    nonempty_coins(&m.amount)?;
    Ok(vec![from])
}

fn send(keeper: &BankKeeper, ctx: &mut Ctx<'_>, m: MsgSend) -> Result<MsgResponse, AbciError> {
    let from = Address::from_field("from", &m.from_address)?;
    let to = Address::from_field("to", &m.to_address)?;
    let coins = nonempty_coins(&m.amount)?;
    keeper.check_send_enabled(ctx, &coins)?;
    if keeper.is_blocked(&to) {
        return Err(BankError::BlockedAddress(m.to_address).into());
    }
    keeper.send(ctx, &from, &to, &coins)?;
    ctx.emit(Event::new("message").attr("sender", m.from_address));
    Ok(MsgResponse::of(&MsgSendResponse {}))
}

fn validate_multi_send(m: &MsgMultiSend) -> Result<Vec<Address>, AbciError> {
    let [input] = m.inputs.as_slice() else {
        return Err(SdkError::InvalidRequest("multi-send takes exactly one input".into()).into());
    };
    if m.outputs.is_empty() {
        return Err(SdkError::InvalidRequest("no outputs to send".into()).into());
    }
    let from = Address::from_field("input", &input.address)?;
    let total_in = nonempty_coins(&input.coins)?;
    let mut total_out = Coins::new();
    for out in &m.outputs {
        Address::from_field("output", &out.address)?;
        total_out = total_out.checked_add(&nonempty_coins(&out.coins)?)?;
    }
    if total_in != total_out {
        return Err(BankError::InputOutputMismatch.into());
    }
    Ok(vec![from])
}

fn multi_send(
    keeper: &BankKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgMultiSend,
) -> Result<MsgResponse, AbciError> {
    let [input] = m.inputs.as_slice() else {
        return Err(SdkError::InvalidRequest("multi-send takes exactly one input".into()).into());
    };
    let from = Address::from_field("input", &input.address)?;
    let total = nonempty_coins(&input.coins)?;
    keeper.check_send_enabled(ctx, &total)?;
    for out in &m.outputs {
        let to = Address::from_field("output", &out.address)?;
        if keeper.is_blocked(&to) {
            return Err(BankError::BlockedAddress(out.address.clone()).into());
        }
        keeper.send(ctx, &from, &to, &nonempty_coins(&out.coins)?)?;
    }
    ctx.emit(Event::new("message").attr("sender", input.address.clone()));
    Ok(MsgResponse::of(&MsgMultiSendResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    Ok(vec![Address::from_field("authority", &m.authority)?])
}

fn update_params(
    keeper: &BankKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    check_authority(&keeper.authority(), &m.authority)?;
    let params = m
        .params
        .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
    keeper.set_params(ctx, &params)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
