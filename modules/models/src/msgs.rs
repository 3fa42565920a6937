//! Message handlers: stateless checks in [`validate`], execution in [`deliver`].

use cosmrs::Any;
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Ctx, MsgResponse, decode_msg};
use openledger_proto::openledger::models::v1::{
    MsgPublishAdapter, MsgPublishAdapterResponse, MsgRegisterBaseModel,
    MsgRegisterBaseModelResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};

use crate::{ModelsError, ModelsKeeper};

pub const MSG_REGISTER_BASE_MODEL: &str = "/openledger.models.v1.MsgRegisterBaseModel";
pub const MSG_PUBLISH_ADAPTER: &str = "/openledger.models.v1.MsgPublishAdapter";
pub const MSG_UPDATE_PARAMS: &str = "/openledger.models.v1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[
    MSG_REGISTER_BASE_MODEL,
    MSG_PUBLISH_ADAPTER,
    MSG_UPDATE_PARAMS,
];

fn address(field: &str, s: &str) -> Result<Address, AbciError> {
    Address::from_bech32(s)
        .map_err(|e| SdkError::InvalidAddress(format!("invalid {field} address: {e}")).into())
}

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_REGISTER_BASE_MODEL => {
            let m: MsgRegisterBaseModel = decode_msg(msg)?;
            Ok(vec![address("sender", &m.sender)?])
        }
        MSG_PUBLISH_ADAPTER => {
            let m: MsgPublishAdapter = decode_msg(msg)?;
            if m.base_model_id == 0 || m.datanet_id == 0 {
                return Err(ModelsError::Invalid(
                    "base model id and datanet id must be positive".into(),
                )
                .into());
            }
            Ok(vec![address("owner", &m.owner)?])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            Ok(vec![address("authority", &m.authority)?])
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized models message type: {other}"
        ))
        .into()),
    }
}

pub fn deliver(
    keeper: &ModelsKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_REGISTER_BASE_MODEL => {
            let m: MsgRegisterBaseModel = decode_msg(msg)?;
            let base_model_id = keeper.register_base_model(ctx, &m)?;
            Ok(MsgResponse::of(&MsgRegisterBaseModelResponse {
                base_model_id,
            }))
        }
        MSG_PUBLISH_ADAPTER => {
            let m: MsgPublishAdapter = decode_msg(msg)?;
            let adapter_id = keeper.publish_adapter(ctx, &m)?;
            Ok(MsgResponse::of(&MsgPublishAdapterResponse { adapter_id }))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let authority = address("authority", &m.authority)?;
            if authority != keeper.authority() {
                return Err(ModelsError::InvalidAuthority {
                    expected: keeper.authority().to_bech32(),
                    got: m.authority,
                }
                .into());
            }
            let p = m
                .params
                .ok_or_else(|| ModelsError::Invalid("params are required".into()))?;
            keeper.set_params(ctx, &p)?;
            Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
        }
        other => Err(SdkError::UnknownRequest(format!(
            "unrecognized models message type: {other}"
        ))
        .into()),
    }
}
