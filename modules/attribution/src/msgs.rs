//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution. A contract's `request_inference` (the host's
//! custom bindings) calls [`validate_request_inference`] and [`request_inference`] directly, so
//! it is checked and executed exactly as the message in a transaction.

use openledger_framework::{
    AbciError, Address, Coin, Ctx, MsgResponse, MsgServiceRouter, check_authority,
};
use openledger_proto::openledger::attribution::v1::{
    MsgRequestInference, MsgRequestInferenceResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};

use crate::{AttributionError, AttributionKeeper, parse_address};

/// Routes attribution's messages to their handlers.
pub fn register(keeper: AttributionKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_request_inference, move |ctx, m| {
        request_inference(&k, ctx, m)
    });
    router.add(validate_update_params, move |ctx, m| {
        update_params(&keeper, ctx, m)
    });
}

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

/// Stateless checks of a [`MsgRequestInference`]; returns the signers.
pub fn validate_request_inference(m: &MsgRequestInference) -> Result<Vec<Address>, AbciError> {
    Ok(vec![check_request(m)?])
}

/// Executes a [`MsgRequestInference`] that passed [`validate_request_inference`]: escrows the
/// fee and stores the request pending.
pub fn request_inference(
    keeper: &AttributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgRequestInference,
) -> Result<MsgResponse, AbciError> {
    let (request_id, fee) = keeper.request_inference(ctx, &m)?;
    Ok(MsgResponse::of(&MsgRequestInferenceResponse {
        request_id,
        fee: Some(fee.to_proto()),
    }))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    Ok(vec![parse_address("authority", &m.authority)?])
}

fn update_params(
    keeper: &AttributionKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    check_authority(&keeper.authority(), &m.authority)?;
    let p = m
        .params
        .ok_or_else(|| AttributionError::Invalid("params are required".into()))?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
