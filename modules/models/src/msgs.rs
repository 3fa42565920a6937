//! Message handlers, registered by type in [`register`]: for each message a stateless check
//! that returns the signers, and its execution.

use openledger_framework::{
    AbciError, Address, Ctx, MsgResponse, MsgServiceRouter, check_authority,
};
use openledger_proto::openledger::models::v1::{
    MsgPublishAdapter, MsgPublishAdapterResponse, MsgRegisterBaseModel,
    MsgRegisterBaseModelResponse, MsgUpdateParams, MsgUpdateParamsResponse,
};

use crate::{ModelsError, ModelsKeeper};

/// Routes models' messages to their handlers.
pub fn register(keeper: ModelsKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_register_base_model, move |ctx, m| {
        register_base_model(&k, ctx, m)
    });
    let k = keeper.clone();
    router.add(validate_publish_adapter, move |ctx, m| {
        publish_adapter(&k, ctx, m)
    });
    router.add(validate_update_params, move |ctx, m| {
        update_params(&keeper, ctx, m)
    });
}

fn validate_register_base_model(m: &MsgRegisterBaseModel) -> Result<Vec<Address>, AbciError> {
    Ok(vec![Address::from_field("sender", &m.sender)?])
}

fn register_base_model(
    keeper: &ModelsKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgRegisterBaseModel,
) -> Result<MsgResponse, AbciError> {
    let base_model_id = keeper.register_base_model(ctx, &m)?;
    Ok(MsgResponse::of(&MsgRegisterBaseModelResponse {
        base_model_id,
    }))
}

fn validate_publish_adapter(m: &MsgPublishAdapter) -> Result<Vec<Address>, AbciError> {
    if m.base_model_id == 0 || m.datanet_id == 0 {
        return Err(
            ModelsError::Invalid("base model id and datanet id must be positive".into()).into(),
        );
    }
    Ok(vec![Address::from_field("owner", &m.owner)?])
}

fn publish_adapter(
    keeper: &ModelsKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgPublishAdapter,
) -> Result<MsgResponse, AbciError> {
    let adapter_id = keeper.publish_adapter(ctx, &m)?;
    Ok(MsgResponse::of(&MsgPublishAdapterResponse { adapter_id }))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    Ok(vec![Address::from_field("authority", &m.authority)?])
}

fn update_params(
    keeper: &ModelsKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    check_authority(&keeper.authority(), &m.authority)?;
    let p = m
        .params
        .ok_or_else(|| ModelsError::Invalid("params are required".into()))?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
