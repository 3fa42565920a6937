//! `cosmwasm.wasm.v1` message handlers: stateless checks in [`validate`], execution in
//! [`deliver`].

use cosmrs::Any;
use cosmrs::proto::cosmwasm::wasm::v1::{
    MsgClearAdmin, MsgClearAdminResponse, MsgExecuteContract, MsgExecuteContractResponse,
    MsgInstantiateContract, MsgInstantiateContract2, MsgInstantiateContract2Response,
    MsgInstantiateContractResponse, MsgMigrateContract, MsgMigrateContractResponse, MsgStoreCode,
    MsgStoreCodeResponse, MsgUpdateAdmin, MsgUpdateAdminResponse, MsgUpdateParams,
    MsgUpdateParamsResponse,
};
use openledger_framework::error::SdkError;
use openledger_framework::{AbciError, Address, Coins, Ctx, Event, MsgResponse, decode_msg};

use crate::error::WasmError;
use crate::keeper::{WasmKeeper, check_json, parse_addr};
use crate::params;

pub const MSG_STORE_CODE: &str = "/cosmwasm.wasm.v1.MsgStoreCode";
pub const MSG_INSTANTIATE: &str = "/cosmwasm.wasm.v1.MsgInstantiateContract";
pub const MSG_INSTANTIATE2: &str = "/cosmwasm.wasm.v1.MsgInstantiateContract2";
pub const MSG_EXECUTE: &str = "/cosmwasm.wasm.v1.MsgExecuteContract";
pub const MSG_MIGRATE: &str = "/cosmwasm.wasm.v1.MsgMigrateContract";
pub const MSG_UPDATE_ADMIN: &str = "/cosmwasm.wasm.v1.MsgUpdateAdmin";
pub const MSG_CLEAR_ADMIN: &str = "/cosmwasm.wasm.v1.MsgClearAdmin";
pub const MSG_UPDATE_PARAMS: &str = "/cosmwasm.wasm.v1.MsgUpdateParams";
pub const TYPE_URLS: &[&str] = &[
    MSG_STORE_CODE,
    MSG_INSTANTIATE,
    MSG_INSTANTIATE2,
    MSG_EXECUTE,
    MSG_MIGRATE,
    MSG_UPDATE_ADMIN,
    MSG_CLEAR_ADMIN,
    MSG_UPDATE_PARAMS,
];

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

/// Stateless checks; returns the signers.
pub fn validate(msg: &Any) -> Result<Vec<Address>, AbciError> {
    match msg.type_url.as_str() {
        MSG_STORE_CODE => {
            let m: MsgStoreCode = decode_msg(msg)?;
            if m.wasm_byte_code.is_empty() {
                return Err(WasmError::Empty("wasm code".into()).into());
            }
            if let Some(c) = &m.instantiate_permission {
                params::validate_access(c)?;
            }
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_INSTANTIATE => {
            let m: MsgInstantiateContract = decode_msg(msg)?;
            code_id(m.code_id)?;
            label(&m.label)?;
            admin(&m.admin)?;
            check_json(&m.msg)?;
            funds(&m.funds)?;
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_INSTANTIATE2 => {
            let m: MsgInstantiateContract2 = decode_msg(msg)?;
            code_id(m.code_id)?;
            label(&m.label)?;
            admin(&m.admin)?;
            check_json(&m.msg)?;
            funds(&m.funds)?;
            if m.salt.is_empty() || m.salt.len() > MAX_SALT {
                return Err(
                    WasmError::Invalid(format!("salt must be 1 to {MAX_SALT} bytes")).into(),
                );
            }
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_EXECUTE => {
            let m: MsgExecuteContract = decode_msg(msg)?;
            parse_addr("contract", &m.contract)?;
            check_json(&m.msg)?;
            funds(&m.funds)?;
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_MIGRATE => {
            let m: MsgMigrateContract = decode_msg(msg)?;
            parse_addr("contract", &m.contract)?;
            code_id(m.code_id)?;
            check_json(&m.msg)?;
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_UPDATE_ADMIN => {
            let m: MsgUpdateAdmin = decode_msg(msg)?;
            parse_addr("contract", &m.contract)?;
            parse_addr("new admin", &m.new_admin)?;
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_CLEAR_ADMIN => {
            let m: MsgClearAdmin = decode_msg(msg)?;
            parse_addr("contract", &m.contract)?;
            Ok(vec![parse_addr("sender", &m.sender)?])
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
            let p = m
                .params
                .ok_or_else(|| SdkError::InvalidRequest("params must be set".into()))?;
            params::validate(&p)?;
            Ok(vec![parse_addr("authority", &m.authority)?])
        }
        other => {
            Err(SdkError::UnknownRequest(format!("unrecognized wasm message type: {other}")).into())
        }
    }
}

fn message_event(ctx: &mut Ctx<'_>, sender: &str) {
    ctx.emit(
        Event::new("message")
            .attr("module", "wasm")
            .attr("sender", sender),
    );
}

pub fn deliver(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    msg: &Any,
) -> Result<MsgResponse, AbciError> {
    match msg.type_url.as_str() {
        MSG_STORE_CODE => {
            let m: MsgStoreCode = decode_msg(msg)?;
            let sender = parse_addr("sender", &m.sender)?;
            message_event(ctx, &m.sender);
            let (code_id, checksum) =
                keeper.store_code(ctx, &sender, &m.wasm_byte_code, m.instantiate_permission)?;
            Ok(MsgResponse::of(&MsgStoreCodeResponse {
                code_id,
                checksum: checksum.to_vec(),
            }))
        }
        MSG_INSTANTIATE => {
            let m: MsgInstantiateContract = decode_msg(msg)?;
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
        MSG_INSTANTIATE2 => {
            let m: MsgInstantiateContract2 = decode_msg(msg)?;
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
        MSG_EXECUTE => {
            let m: MsgExecuteContract = decode_msg(msg)?;
            let sender = parse_addr("sender", &m.sender)?;
            let contract = parse_addr("contract", &m.contract)?;
            message_event(ctx, &m.sender);
            let data = keeper.execute(ctx, &sender, &contract, &m.msg, &funds(&m.funds)?)?;
            Ok(MsgResponse::of(&MsgExecuteContractResponse {
                data: data.unwrap_or_default(),
            }))
        }
        MSG_MIGRATE => {
            let m: MsgMigrateContract = decode_msg(msg)?;
            let sender = parse_addr("sender", &m.sender)?;
            let contract = parse_addr("contract", &m.contract)?;
            message_event(ctx, &m.sender);
            let data = keeper.migrate(ctx, &sender, &contract, m.code_id, &m.msg)?;
            Ok(MsgResponse::of(&MsgMigrateContractResponse {
                data: data.unwrap_or_default(),
            }))
        }
        MSG_UPDATE_ADMIN => {
            let m: MsgUpdateAdmin = decode_msg(msg)?;
            let sender = parse_addr("sender", &m.sender)?;
            let contract = parse_addr("contract", &m.contract)?;
            let new_admin = parse_addr("new admin", &m.new_admin)?;
            message_event(ctx, &m.sender);
            keeper.update_admin(ctx, &sender, &contract, Some(new_admin))?;
            Ok(MsgResponse::of(&MsgUpdateAdminResponse {}))
        }
        MSG_CLEAR_ADMIN => {
            let m: MsgClearAdmin = decode_msg(msg)?;
            let sender = parse_addr("sender", &m.sender)?;
            let contract = parse_addr("contract", &m.contract)?;
            message_event(ctx, &m.sender);
            keeper.update_admin(ctx, &sender, &contract, None)?;
            Ok(MsgResponse::of(&MsgClearAdminResponse {}))
        }
        MSG_UPDATE_PARAMS => {
            let m: MsgUpdateParams = decode_msg(msg)?;
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
        other => {
            Err(SdkError::UnknownRequest(format!("unrecognized wasm message type: {other}")).into())
        }
    }
}
