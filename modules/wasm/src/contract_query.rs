//! Queries contracts make while they run (`deps.querier`): bank, wasm and custom.

use cosmwasm_std::{
    Addr, AllBalanceResponse, BalanceResponse, BankQuery, Binary, Checksum, CodeInfoResponse,
    ContractInfoResponse, ContractResult, QueryRequest, SupplyResponse, SystemError, SystemResult,
    WasmQuery, to_json_binary,
};
use openledger_framework::{AbciError, Address, Ctx};

use crate::error::{WasmError, is_out_of_gas};
use crate::keeper::{Frame, RawCustom, WasmKeeper, to_vm_coins};

type QueryAnswer = SystemResult<ContractResult<Binary>>;

fn ok(bin: Binary) -> QueryAnswer {
    SystemResult::Ok(ContractResult::Ok(bin))
}

fn invalid(error: impl Into<String>, request: &[u8]) -> QueryAnswer {
    SystemResult::Err(SystemError::InvalidRequest {
        error: error.into(),
        request: Binary::from(request),
    })
}

fn serialize<T: serde::Serialize>(v: &T) -> Result<Binary, AbciError> {
    to_json_binary(v).map_err(|e| WasmError::Query(e.to_string()).into())
}

impl WasmKeeper {
    /// Answers a contract's query. `Err` only for what must abort the querying contract
    /// (running out of gas); everything else is an answer the contract can handle.
    pub(crate) fn query_for_contract(
        &self,
        ctx: &mut Ctx<'_>,
        request: &[u8],
        depth: u32,
        vm_gas_left: u64,
    ) -> Result<QueryAnswer, AbciError> {
        if depth > self.max_query_depth() {
            return Ok(invalid(
                WasmError::QueryDepth(format!(
                    "more than {} nested queries",
                    self.max_query_depth()
                ))
                .to_string(),
                request,
            ));
        }
        let req: QueryRequest<RawCustom> = match cosmwasm_std::from_json(request) {
            Ok(r) => r,
            Err(e) => return Ok(invalid(e.to_string(), request)),
        };
        // Bank reads are charged like one store read each.
        let read = ctx.gas.schedule.read_flat;
        match req {
            QueryRequest::Bank(bank) => {
                ctx.gas.consume(read, "Bank query")?;
                let state = ctx.state();
                #[allow(deprecated)]
                let answer = match bank {
                    BankQuery::Balance { address, denom } => {
                        let Ok(addr) = Address::from_bech32(&address) else {
                            return Ok(invalid(format!("invalid address {address}"), request));
                        };
                        let amount = self.bank().balance_at(state, &addr, &denom)?;
                        serialize(&BalanceResponse::new(cosmwasm_std::Coin::new(
                            amount, denom,
                        )))?
                    }
                    BankQuery::AllBalances { address } => {
                        let Ok(addr) = Address::from_bech32(&address) else {
                            return Ok(invalid(format!("invalid address {address}"), request));
                        };
                        let coins = self.bank().all_balances_at(state, &addr)?;
                        serialize(&AllBalanceResponse::new(to_vm_coins(&coins)))?
                    }
                    BankQuery::Supply { denom } => {
                        let amount = self.bank().supply_at(state, &denom)?;
                        serialize(&SupplyResponse::new(cosmwasm_std::Coin::new(amount, denom)))?
                    }
                    other => {
                        return Ok(SystemResult::Err(SystemError::UnsupportedRequest {
                            kind: format!("{other:?}"),
                        }));
                    }
                };
                Ok(ok(answer))
            }
            QueryRequest::Wasm(wasm) => self.wasm_query(ctx, wasm, request, depth, vm_gas_left),
            QueryRequest::Custom(RawCustom(json)) => {
                let bytes = serde_json::to_vec(&json)
                    .map_err(|e| WasmError::Query(format!("custom query: {e}")))?;
                match self.bindings().query(ctx, &bytes) {
                    Ok(answer) => Ok(ok(Binary::from(answer))),
                    Err(e) if is_out_of_gas(&e) => Err(e),
                    Err(e) => Ok(SystemResult::Ok(ContractResult::Err(e.message))),
                }
            }
            other => Ok(SystemResult::Err(SystemError::UnsupportedRequest {
                kind: format!("{other:?}"),
            })),
        }
    }

    fn wasm_query(
        &self,
        ctx: &mut Ctx<'_>,
        query: WasmQuery,
        request: &[u8],
        depth: u32,
        vm_gas_left: u64,
    ) -> Result<QueryAnswer, AbciError> {
        let target = |addr: &str| Address::from_bech32(addr);
        let no_such_contract =
            |addr: String| SystemResult::Err(SystemError::NoSuchContract { addr });
        match query {
            WasmQuery::Smart { contract_addr, msg } => {
                let Ok(addr) = target(&contract_addr) else {
                    return Ok(no_such_contract(contract_addr));
                };
                let frame = Frame {
                    query_depth: depth,
                    vm_gas_cap: Some(vm_gas_left),
                    ..Frame::default()
                };
                match self.query_smart_in(ctx, &frame, &addr, msg.as_slice()) {
                    Ok(Ok(answer)) => Ok(ok(Binary::from(answer))),
                    Ok(Err(contract_error)) => {
                        Ok(SystemResult::Ok(ContractResult::Err(contract_error)))
                    }
                    Err(e) if e.codespace == "wasm" && e.code == 22 => {
                        Ok(no_such_contract(contract_addr))
                    }
                    Err(e) => Err(e),
                }
            }
            WasmQuery::Raw { contract_addr, key } => {
                let Ok(addr) = target(&contract_addr) else {
                    return Ok(no_such_contract(contract_addr));
                };
                let value = ctx.get(&crate::keys::contract_store_key(&addr, key.as_slice()))?;
                Ok(ok(Binary::from(value.unwrap_or_default())))
            }
            WasmQuery::ContractInfo { contract_addr } => {
                let Ok(addr) = target(&contract_addr) else {
                    return Ok(no_such_contract(contract_addr));
                };
                let info = match self.contract_record(ctx, &addr) {
                    Ok(info) => info,
                    Err(e) if is_out_of_gas(&e) => return Err(e),
                    Err(_) => return Ok(no_such_contract(contract_addr)),
                };
                let admin = (!info.admin.is_empty()).then(|| Addr::unchecked(info.admin));
                let response = ContractInfoResponse::new(
                    info.code_id,
                    Addr::unchecked(info.creator),
                    admin,
                    false,
                    (!info.ibc_port_id.is_empty()).then_some(info.ibc_port_id),
                );
                Ok(ok(serialize(&response)?))
            }
            WasmQuery::CodeInfo { code_id } => {
                let code = match self.code_record(ctx, code_id) {
                    Ok(code) => code,
                    Err(e) if is_out_of_gas(&e) => return Err(e),
                    Err(_) => return Ok(SystemResult::Err(SystemError::NoSuchCode { code_id })),
                };
                let Ok(checksum) = Checksum::try_from(code.code_hash.as_slice()) else {
                    return Ok(invalid("corrupt code hash", request));
                };
                let response =
                    CodeInfoResponse::new(code_id, Addr::unchecked(code.creator), checksum);
                Ok(ok(serialize(&response)?))
            }
            other => Ok(SystemResult::Err(SystemError::UnsupportedRequest {
                kind: format!("{other:?}"),
            })),
        }
    }
}
