//! `cosmwasm.wasm.v1.Query`, answered from a state snapshot.

use cosmrs::proto::cosmwasm::wasm::v1::*;
use openledger_framework::pagination::paginate;
use openledger_framework::{Address, KvRead, QueryRouter};

use crate::error::WasmError;
use crate::keeper::{CodeDetails, WasmKeeper, check_json};
use crate::keys;

fn address(s: &str) -> Result<Address, openledger_framework::AbciError> {
    Ok(Address::from_bech32(s)?)
}

fn code_info_response(c: CodeDetails) -> CodeInfoResponse {
    CodeInfoResponse {
        code_id: c.code_id,
        creator: c.info.creator,
        data_hash: c.info.code_hash,
        instantiate_permission: c.info.instantiate_config,
    }
}

pub fn register(keeper: WasmKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/ContractInfo",
        move |mut s: &dyn KvRead, req: QueryContractInfoRequest| {
            let addr = address(&req.address)?;
            Ok(QueryContractInfoResponse {
                contract_info: Some(k.contract_info(&mut s, &addr)?),
                address: req.address,
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/ContractsByCode",
        move |mut s: &dyn KvRead, req: QueryContractsByCodeRequest| {
            k.code_info(&mut s, req.code_id)?;
            // Page keys are the index keys, so pages follow creation order.
            let items: Vec<(String, String)> = s
                .prefix(&keys::contracts_by_code(req.code_id))?
                .into_iter()
                .filter_map(|(key, _)| {
                    let addr = keys::parse_contract_by_code_key(&key)?;
                    Some((key, addr.to_bech32()))
                })
                .collect();
            let (contracts, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryContractsByCodeResponse {
                contracts,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/AllContractState",
        move |mut s: &dyn KvRead, req: QueryAllContractStateRequest| {
            let addr = address(&req.address)?;
            k.contract_info(&mut s, &addr)?;
            let items: Vec<(String, Model)> = k
                .contract_state(&mut s, &addr)?
                .into_iter()
                .map(|(key, value)| (hex::encode(&key), Model { key, value }))
                .collect();
            let (models, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryAllContractStateResponse {
                models,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/RawContractState",
        move |mut s: &dyn KvRead, req: QueryRawContractStateRequest| {
            let addr = address(&req.address)?;
            k.contract_info(&mut s, &addr)?;
            Ok(QueryRawContractStateResponse {
                data: k
                    .query_raw(&mut s, &addr, &req.query_data)?
                    .unwrap_or_default(),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/SmartContractState",
        move |s: &dyn KvRead, req: QuerySmartContractStateRequest| {
            let addr = address(&req.address)?;
            check_json(&req.query_data)?;
            Ok(QuerySmartContractStateResponse {
                data: k.query_smart_at(s, &addr, &req.query_data)?,
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/Code",
        move |mut s: &dyn KvRead, req: QueryCodeRequest| {
            if req.code_id == 0 {
                return Err(WasmError::Invalid("code id is required".into()).into());
            }
            let info = k.code_info(&mut s, req.code_id)?;
            let data = k.code_bytes(&mut s, &info.code_hash)?;
            Ok(QueryCodeResponse {
                code_info: Some(code_info_response(CodeDetails {
                    code_id: req.code_id,
                    info,
                })),
                data,
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmwasm.wasm.v1.Query/Codes",
        move |mut s: &dyn KvRead, req: QueryCodesRequest| {
            let items: Vec<(String, CodeInfoResponse)> = k
                .codes(&mut s)?
                .into_iter()
                .map(|c| (keys::code(c.code_id), code_info_response(c)))
                .collect();
            let (code_infos, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryCodesResponse {
                code_infos,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper;
    r.add(
        "/cosmwasm.wasm.v1.Query/Params",
        move |mut s: &dyn KvRead, _req: QueryParamsRequest| {
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?),
            })
        },
    );
}
