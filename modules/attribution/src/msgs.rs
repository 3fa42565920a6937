//! Message handlers: stateless checks in [`validate`], execution in [`deliver`].

use cosmrs::Any;
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coin, Ctx, MsgResponse, decode_msg};
use openledger_proto::openledger::attribution::v1::{
    MsgRequestInference, MsgRequestInferenceResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};

use crate::{AttributionError, AttributionKeeper, parse_address};

pub const MSG_REQUEST_INFERENCE: &str = "/openledger.attribution.v1.MsgRequestInference";
pub const MSG_UPDATE_PARAMS: &str = "/openledger.attribution.v1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[MSG_REQUEST_INFERENCE, MSG_UPDATE_PARAMS];

/// The checks of a request that need no state.
pub fn check_request(m: &MsgRequestInference) -> Result<Address, AbciError> {
    let sender = parse_address("sender", &m.sender)?;
    if m.adapter_id == 0 {
        return Err(AttributionError::Invalid("adapter_id must be positive".into()).into());
    }
    if m.prompt.trim().is_empty() {
        return Err(AttributionError::Invalid("prompt must not be empty".into()).into());
    }
    let fee = m
        .max_fee
        .as_ref()
        .ok_or_else(|| AttributionError::Invalid("max_fee is required".into()))?;
    Coin::from_proto(fee).map_err(|e| AttributionError::Invalid(format!("max_fee: {e}")))?;
    Ok(sender)
}

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_REQUEST_INFERENCE => {
            let m: MsgRequestInference = decode_msg(msg)?;
            Ok(vec![check_request(&m)?])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            Ok(vec![parse_address("authority", &m.authority)?])
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized attribution message type: {other}"
        ))
        .into()),
    }
}

pub fn deliver(
    keeper: &AttributionKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_REQUEST_INFERENCE => {
            let m: MsgRequestInference = decode_msg(msg)?;
            let (request_id, fee) = keeper.request_inference(ctx, &m)?;
            Ok(MsgResponse::of(&MsgRequestInferenceResponse {
                request_id,
                fee: Some(fee.to_proto()),
            }))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let authority = parse_address("authority", &m.authority)?;
            if authority != keeper.authority() {
                return Err(AttributionError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: m.authority,
                }
                .into());
            }
            let p = m
                .params
                .ok_or_else(|| AttributionError::Invalid("params are required".into()))?;
            keeper.set_params(ctx, &p)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized attribution message type: {other}"
        ))
        .into()),
    }
}
