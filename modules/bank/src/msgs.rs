//! Message handlers: stateless checks in [`validate`], execution in [`deliver`].

use cosmrs::Any;
use cosmrs::proto::cosmos::bank::v1beta1::{
    MsgMultiSend, MsgMultiSendResponse, MsgSend, MsgSendResponse, MsgUpdateParams,
    MsgUpdateParamsResponse,
};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coins, Ctx, Event, MsgResponse, decode_msg};

use crate::{BankError, BankKeeper};

pub const MSG_SEND: &str = "/cosmos.bank.v1beta1.MsgSend";
pub const MSG_MULTI_SEND: &str = "/cosmos.bank.v1beta1.MsgMultiSend";
pub const MSG_UPDATE_PARAMS: &str = "/cosmos.bank.v1beta1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[MSG_SEND, MSG_MULTI_SEND, MSG_UPDATE_PARAMS];

fn nonempty_coins(
    coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin],
) -> Result<Coins, AbciError> {
    let coins = Coins::from_proto(coins)?;
    if coins.is_empty() {
        return Err(BankError::InvalidCoins("amount must be positive".into()).into());
    }
    Ok(coins)
}

fn address(field: &str, s: &str) -> Result<Address, AbciError> {
    Address::from_bech32(s)
        .map_err(|e| SdkError::InvalidAddress(format!("invalid {field} address: {e}")).into())
}

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_SEND => {
            let m: MsgSend = decode_msg(msg)?;
            let from = address("from", &m.from_address)?;
            address("to", &m.to_address)?;
            nonempty_coins(&m.amount)?;
            Ok(vec![from])
        }
        MSG_MULTI_SEND => {
            let m: MsgMultiSend = decode_msg(msg)?;
            let [input] = m.inputs.as_slice() else {
                return Err(
                    SdkError::InvalidRequest("multi-send takes exactly one input".into()).into(),
                );
            };
            if m.outputs.is_empty() {
                return Err(SdkError::InvalidRequest("no outputs to send".into()).into());
            }
            let from = address("input", &input.address)?;
            let total_in = nonempty_coins(&input.coins)?;
            let mut total_out = Coins::new();
            for out in &m.outputs {
                address("output", &out.address)?;
                total_out = total_out.checked_add(&nonempty_coins(&out.coins)?)?;
            }
            if total_in != total_out {
                return Err(BankError::InputOutputMismatch.into());
            }
            Ok(vec![from])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            Ok(vec![address("authority", &m.authority)?])
        }
        other => {
            Err(SdkError::UnknownRequest(format!("unrecognized bank message type: {other}")).into())
        }
    }
}

pub fn deliver(
    keeper: &BankKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_SEND => {
            let m: MsgSend = decode_msg(msg)?;
            let from = address("from", &m.from_address)?;
            let to = address("to", &m.to_address)?;
            let coins = nonempty_coins(&m.amount)?;
            keeper.check_send_enabled(ctx, &coins)?;
            if keeper.is_blocked(&to) {
                return Err(BankError::BlockedAddress(m.to_address).into());
            }
            keeper.send(ctx, &from, &to, &coins)?;
            ctx.emit(Event::new("message").attr("sender", m.from_address));
            Ok(MsgResponse::of(&MsgSendResponse {}))
        }
        MSG_MULTI_SEND => {
            let m: MsgMultiSend = decode_msg(msg)?;
            let [input] = m.inputs.as_slice() else {
                return Err(
                    SdkError::InvalidRequest("multi-send takes exactly one input".into()).into(),
                );
            };
            let from = address("input", &input.address)?;
            let total = nonempty_coins(&input.coins)?;
            keeper.check_send_enabled(ctx, &total)?;
            for out in &m.outputs {
                let to = address("output", &out.address)?;
                if keeper.is_blocked(&to) {
                    return Err(BankError::BlockedAddress(out.address.clone()).into());
                }
                keeper.send(ctx, &from, &to, &nonempty_coins(&out.coins)?)?;
            }
            ctx.emit(Event::new("message").attr("sender", input.address.clone()));
            Ok(MsgResponse::of(&MsgMultiSendResponse {}))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            if address("authority", &m.authority)? != keeper.authority() {
                return Err(BankError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: m.authority,
                }
                .into());
            }
            let params = m
                .params
                .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
            keeper.set_params(ctx, &params)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => {
            Err(SdkError::UnknownRequest(format!("unrecognized bank message type: {other}")).into())
        }
    }
}
