//! `cosmwasm.wasm.v1` message handlers, registered by type in [`register`]: for each message a
//! stateless check that returns the signers, and its execution.

use cosmrs::proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgClearAdminResponse, MsgExecuteContract, MsgExecuteContractResponse,
    MsgInstantiateContract, MsgInstantiateContract2, MsgInstantiateContract2Response,
    MsgInstantiateContractResponse, MsgMigrateContract, MsgMigrateContractResponse, MsgStoreCode,
    MsgStoreCodeResponse, MsgUpdateAdmin, MsgUpdateAdminResponse, MsgUpdateParams,
    MsgUpdateParamsResponse,
};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coins, Ctx, Event, MsgResponse, MsgServiceRouter};

use crate::error::WasmError;
use crate::keeper::{WasmKeeper, check_json, parse_addr};
use crate::params;

/// Largest label (wasmd's `MaxLabelSize`).
const MAX_LABEL: usize = 128;
/// Largest salt of `MsgInstantiateContract2` (wasmd's `MaxSaltSize`).
const MAX_SALT: usize = 64;

fn funds(coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Result<Coins, AbciError> {
    Ok(Coins::from_proto(coins)?)
}

fn label(label: &str) -> Result<(), AbciError> {
    if label.trim().is_empty() {
        return Err(WasmError::Empty("label is required".into()).into());
    }
    if label.len() > MAX_LABEL {
        return Err(WasmError::Limit(format!("label longer than {MAX_LABEL} bytes")).into());
    }
    Ok(())
}

fn admin(admin: &str) -> Result<Option<Address>, AbciError> {
    if admin.is_empty() {
        return Ok(None);
    }
    parse_addr("admin", admin).map(Some)
}

fn code_id(id: u64) -> Result<(), AbciError> {
    if id == 0 {
        return Err(WasmError::Invalid("code id is required".into()).into());
    }
    Ok(())
}

/// Routes wasm's messages to their handlers.
pub fn register(keeper: WasmKeeper, router: &mut MsgServiceRouter) {
    let k = keeper.clone();
    router.add(validate_store_code, move |ctx, m| store_code(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_instantiate, move |ctx, m| instantiate(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_instantiate2, move |ctx, m| {
        instantiate2(&k, ctx, m)
    });
    let k = keeper.clone();
    router.add(validate_execute, move |ctx, m| execute(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_migrate, move |ctx, m| migrate(&k, ctx, m));
    let k = keeper.clone();
    router.add(validate_update_admin, move |ctx, m| {
        update_admin(&k, ctx, m)
    });
    let k = keeper.clone();
    router.add(validate_clear_admin, move |ctx, m| clear_admin(&k, ctx, m));
    router.add(validate_update_params, move |ctx, m| {
        update_params(&keeper, ctx, m)
    });
}

fn message_event(ctx: &mut Ctx<'_>, sender: &str) {
    ctx.emit(
        Event::new("message")
            .attr("module", "wasm")
            .attr("sender", sender),
    );
}

fn validate_store_code(m: &MsgStoreCode) -> Result<Vec<Address>, AbciError> {
    if m.wasm_byte_code.is_empty() {
        return Err(WasmError::Empty("wasm code".into()).into());
    }
    if let Some(c) = &m.instantiate_permission {
        params::validate_access(c)?;
    }
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn store_code(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgStoreCode,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    message_event(ctx, &m.sender);
    let (code_id, checksum) =
        keeper.store_code(ctx, &sender, &m.wasm_byte_code, m.instantiate_permission)?;
    Ok(MsgResponse::of(&MsgStoreCodeResponse {
        code_id,
        checksum: checksum.to_vec(),
    }))
}

fn validate_instantiate(m: &MsgInstantiateContract) -> Result<Vec<Address>, AbciError> {
    code_id(m.code_id)?;
    label(&m.label)?;
    admin(&m.admin)?;
    check_json(&m.msg)?;
    funds(&m.funds)?;
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn instantiate(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgInstantiateContract,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    message_event(ctx, &m.sender);
    let (addr, data) = keeper.instantiate(
        ctx,
        &sender,
        admin(&m.admin)?,
        m.code_id,
        &m.label,
        &m.msg,
        &funds(&m.funds)?,
    )?;
    Ok(MsgResponse::of(&MsgInstantiateContractResponse {
        address: addr.to_bech32(),
        data: data.unwrap_or_default(),
    }))
}

fn validate_instantiate2(m: &MsgInstantiateContract2) -> Result<Vec<Address>, AbciError> {
    code_id(m.code_id)?;
    label(&m.label)?;
    admin(&m.admin)?;
    check_json(&m.msg)?;
    funds(&m.funds)?;
    if m.salt.is_empty() || m.salt.len() > MAX_SALT {
        return Err(WasmError::Invalid(format!("salt must be 1 to {MAX_SALT} bytes")).into());
    }
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn instantiate2(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgInstantiateContract2,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    message_event(ctx, &m.sender);
    let (addr, data) = keeper.instantiate2(
        ctx,
        &sender,
        admin(&m.admin)?,
        m.code_id,
        &m.label,
        &m.msg,
        &funds(&m.funds)?,
        &m.salt,
        m.fix_msg,
    )?;
    Ok(MsgResponse::of(&MsgInstantiateContract2Response {
        address: addr.to_bech32(),
        data: data.unwrap_or_default(),
    }))
}

fn validate_execute(m: &MsgExecuteContract) -> Result<Vec<Address>, AbciError> {
    parse_addr("contract", &m.contract)?;
    check_json(&m.msg)?;
    funds(&m.funds)?;
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn execute(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgExecuteContract,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    let contract = parse_addr("contract", &m.contract)?;
    message_event(ctx, &m.sender);
    let data = keeper.execute(ctx, &sender, &contract, &m.msg, &funds(&m.funds)?)?;
    Ok(MsgResponse::of(&MsgExecuteContractResponse {
        data: data.unwrap_or_default(),
    }))
}

fn validate_migrate(m: &MsgMigrateContract) -> Result<Vec<Address>, AbciError> {
    parse_addr("contract", &m.contract)?;
    code_id(m.code_id)?;
    check_json(&m.msg)?;
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn migrate(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgMigrateContract,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    let contract = parse_addr("contract", &m.contract)?;
    message_event(ctx, &m.sender);
    let data = keeper.migrate(ctx, &sender, &contract, m.code_id, &m.msg)?;
    Ok(MsgResponse::of(&MsgMigrateContractResponse {
        data: data.unwrap_or_default(),
    }))
}

fn validate_update_admin(m: &MsgUpdateAdmin) -> Result<Vec<Address>, AbciError> {
    parse_addr("contract", &m.contract)?;
    parse_addr("new admin", &m.new_admin)?;
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn update_admin(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateAdmin,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    let contract = parse_addr("contract", &m.contract)?;
    let new_admin = parse_addr("new admin", &m.new_admin)?;
    message_event(ctx, &m.sender);
    keeper.update_admin(ctx, &sender, &contract, Some(new_admin))?;
    Ok(MsgResponse::of(&MsgUpdateAdminResponse {}))
}

fn validate_clear_admin(m: &MsgClearAdmin) -> Result<Vec<Address>, AbciError> {
    parse_addr("contract", &m.contract)?;
    Ok(vec![parse_addr("sender", &m.sender)?])
}

fn clear_admin(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgClearAdmin,
) -> Result<MsgResponse, AbciError> {
    let sender = parse_addr("sender", &m.sender)?;
    let contract = parse_addr("contract", &m.contract)?;
    message_event(ctx, &m.sender);
    keeper.update_admin(ctx, &sender, &contract, None)?;
    Ok(MsgResponse::of(&MsgClearAdminResponse {}))
}

fn validate_update_params(m: &MsgUpdateParams) -> Result<Vec<Address>, AbciError> {
    let p = m
        .params
        .as_ref()
        .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
    params::validate(p)?;
    Ok(vec![parse_addr("authority", &m.authority)?])
}

fn update_params(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    m: MsgUpdateParams,
) -> Result<MsgResponse, AbciError> {
    let authority = parse_addr("authority", &m.authority)?;
    if authority != keeper.authority() {
        return Err(WasmError::Unauthorized(format!(
            "invalid authority; expected {}, got {}",
            keeper.authority(),
            m.authority
        ))
        .into());
    }
    let p = m
        .params
        .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
    keeper.set_params(ctx, &p)?;
    Ok(MsgResponse::of(&MsgUpdateParamsResponse {}))
}
