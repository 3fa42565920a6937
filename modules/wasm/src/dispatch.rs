//! What a contract's `Response` does: its events in wasmd's shape, then its messages in order,
//! each in a branch of the state, with `reply` called as the submessage asked.

use cosmrs::proto::cosmwasm::wasm::v1::{
    MsgClearAdminResponse, MsgExecuteContractResponse, MsgInstantiateContract2Response,
    MsgInstantiateContractResponse, MsgMigrateContractResponse, MsgUpdateAdminResponse,
};
use cosmwasm_std::{
    BankMsg, Binary, CosmosMsg, MsgResponse as VmMsgResponse, Reply, ReplyOn, SubMsg,
    SubMsgResponse, SubMsgResult, WasmMsg,
};
use openledger_framework::{AbciError, Address, Ctx, Event, type_url};

use crate::error::WasmError;
use crate::keeper::{ContractResponse, Frame, RawCustom, WasmKeeper, from_vm_coins, parse_addr};

/// What one message did: its data and its `Msg…Response`s.
#[derive(Debug, Default)]
struct Dispatched {
    data: Option<Vec<u8>>,
    msg_responses: Vec<(String, Vec<u8>)>,
}

impl Dispatched {
    fn of<M: prost::Name>(data: Option<Vec<u8>>, response: &M) -> Self {
        Self {
            data,
            msg_responses: vec![(type_url::<M>(), response.encode_to_vec())],
        }
    }
}

/// Attribute keys starting with `_` are the host's (`_contract_address`).
fn check_attributes(attrs: &[cosmwasm_std::Attribute]) -> Result<(), WasmError> {
    for a in attrs {
        let key = a.key.trim();
        if key.is_empty() {
            return Err(WasmError::InvalidEvent("empty attribute key".into()));
        }
        if key.starts_with('_') {
            return Err(WasmError::InvalidEvent(format!(
                "attribute key starting with an underscore is reserved: {key}"
            )));
        }
    }
    Ok(())
}

/// The SDK's events as a reply sees them. Built field by field: `Attribute::new` refuses the
/// host's own `_contract_address` keys.
fn to_vm_event(e: &Event) -> cosmwasm_std::Event {
    let mut event = cosmwasm_std::Event::new(e.kind.clone());
    event.attributes = e
        .attributes
        .iter()
        .map(|(key, value)| cosmwasm_std::Attribute {
            key: key.clone(),
            value: value.clone(),
        })
        .collect();
    event
}

impl WasmKeeper {
    /// Emits the response's events, runs its messages and returns the call's data (a reply
    /// may replace it).
    pub(crate) fn handle_response(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        response: ContractResponse,
    ) -> Result<Option<Vec<u8>>, AbciError> {
        check_attributes(&response.attributes)?;
        for e in &response.events {
            if e.ty.trim().len() < 2 {
                return Err(
                    WasmError::InvalidEvent(format!("event type too short: {:?}", e.ty)).into(),
                );
            }
            check_attributes(&e.attributes)?;
        }
        let attr_sizes = |attrs: &[cosmwasm_std::Attribute]| -> Vec<(usize, usize)> {
            attrs.iter().map(|a| (a.key.len(), a.value.len())).collect()
        };
        let custom: Vec<_> = response
            .events
            .iter()
            .map(|e| (e.ty.len(), attr_sizes(&e.attributes)))
            .collect();
        let cost = self
            .gas()
            .event_costs(&attr_sizes(&response.attributes), &custom);
        ctx.gas.consume(cost, "Custom contract event attributes")?;

        let addr = contract.to_bech32();
        if !response.attributes.is_empty() {
            let mut event = Event::new("wasm").attr("_contract_address", addr.clone());
            for a in &response.attributes {
                event = event.attr(a.key.trim(), a.value.trim());
            }
            ctx.emit(event);
        }
        for e in &response.events {
            let mut event =
                Event::new(format!("wasm-{}", e.ty.trim())).attr("_contract_address", addr.clone());
            for a in &e.attributes {
                event = event.attr(a.key.trim(), a.value.trim());
            }
            ctx.emit(event);
        }

        let mut data = response.data.map(|d| d.to_vec());
        for sub in response.messages {
            if let Some(replaced) = self.submessage(ctx, frame, contract, sub)? {
                data = Some(replaced);
            }
        }
        Ok(data)
    }

    /// Runs one submessage in a branch; calls `reply` if asked. Returns data that replaces the
    /// caller's (a reply's `Some` data).
    fn submessage(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        sub: SubMsg<RawCustom>,
    ) -> Result<Option<Vec<u8>>, AbciError> {
        let start = ctx.gas.used();
        let mut child = Frame {
            call_depth: frame.call_depth + 1,
            query_depth: frame.query_depth,
            gas_cap: frame.gas_cap,
            vm_gas_cap: None,
        };
        if let Some(limit) = sub.gas_limit {
            let cap = start.saturating_add(limit);
            child.gas_cap = Some(child.gas_cap.map_or(cap, |c| c.min(cap)));
        }
        let result = ctx.branch(|c| {
            let out = self.dispatch(c, &child, contract, &sub.msg)?;
            if let Some(cap) = child.gas_cap
                && c.gas.used() > cap
            {
                return Err(openledger_framework::error::SdkError::OutOfGas(
                    "out of gas in location: submessage gas limit".into(),
                )
                .into());
            }
            Ok((out, c.events.clone()))
        });
        let gas_used = ctx.gas.used().saturating_sub(start);
        let reply_result = match result {
            Ok((out, events)) => {
                if !matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Success) {
                    return Ok(None);
                }
                #[allow(deprecated)]
                let response = SubMsgResponse {
                    events: events.iter().map(to_vm_event).collect(),
                    data: out.data.map(Binary::from),
                    msg_responses: out
                        .msg_responses
                        .into_iter()
                        .map(|(type_url, value)| VmMsgResponse {
                            type_url,
                            value: Binary::from(value),
                        })
                        .collect(),
                };
                SubMsgResult::Ok(response)
            }
            Err(e) => {
                let catchable = WasmKeeper::catchable(ctx, sub.gas_limit.is_some(), &e);
                if !catchable || !matches!(sub.reply_on, ReplyOn::Always | ReplyOn::Error) {
                    return Err(e);
                }
                // Like wasmd, the reply sees the code and codespace but not the message, which
                // could differ between nodes.
                SubMsgResult::Err(format!("codespace: {}, code: {}", e.codespace, e.code))
            }
        };
        let reply = Reply {
            id: sub.id,
            payload: sub.payload,
            gas_used,
            result: reply_result,
        };
        let reply_frame = Frame {
            call_depth: frame.call_depth + 1,
            ..*frame
        };
        self.reply_in(ctx, &reply_frame, contract, &reply)
    }

    /// Executes one message a contract sent, with the contract as the sender.
    fn dispatch(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        msg: &CosmosMsg<RawCustom>,
    ) -> Result<Dispatched, AbciError> {
        match msg {
            CosmosMsg::Bank(BankMsg::Send { to_address, amount }) => {
                let to = parse_addr("recipient", to_address)?;
                let coins = from_vm_coins(amount)?;
                if coins.is_empty() {
                    return Err(WasmError::InvalidMsg("bank send of no coins".into()).into());
                }
                self.bank().transfer(ctx, contract, &to, &coins)?;
                Ok(Dispatched::of(
                    None,
                    &cosmrs::proto::cosmos::bank::v1beta1::MsgSendResponse {},
                ))
            }
            CosmosMsg::Bank(BankMsg::Burn { amount }) => {
                let coins = from_vm_coins(amount)?;
                if coins.is_empty() {
                    return Err(WasmError::InvalidMsg("burn of no coins".into()).into());
                }
                self.bank().burn(ctx, contract, &coins)?;
                Ok(Dispatched {
                    data: None,
                    msg_responses: vec![(
                        "/cosmos.bank.v1beta1.MsgBurnResponse".into(),
                        Vec::new(),
                    )],
                })
            }
            CosmosMsg::Wasm(wasm) => self.dispatch_wasm(ctx, frame, contract, wasm),
            CosmosMsg::Custom(RawCustom(json)) => {
                let bytes = serde_json::to_vec(json)
                    .map_err(|e| WasmError::InvalidMsg(format!("custom message: {e}")))?;
                let out = self.bindings().execute(ctx, contract, &bytes)?;
                Ok(Dispatched {
                    data: out.data,
                    msg_responses: out.msg_responses,
                })
            }
            CosmosMsg::Any(any) => {
                let out = self.bindings().execute_any(
                    ctx,
                    contract,
                    &any.type_url,
                    any.value.as_slice(),
                )?;
                Ok(Dispatched {
                    data: out.data,
                    msg_responses: out.msg_responses,
                })
            }
            other => Err(WasmError::UnknownMsg(format!("{other:?}")).into()),
        }
    }

    fn dispatch_wasm(
        &self,
        ctx: &mut Ctx<'_>,
        frame: &Frame,
        contract: &Address,
        msg: &WasmMsg,
    ) -> Result<Dispatched, AbciError> {
        match msg {
            WasmMsg::Execute {
                contract_addr,
                msg,
                funds,
            } => {
                let target = parse_addr("contract", contract_addr)?;
                let funds = from_vm_coins(funds)?;
                let data =
                    self.execute_in(ctx, frame, contract, &target, msg.as_slice(), &funds)?;
                Ok(Dispatched::of(
                    data.clone(),
                    &MsgExecuteContractResponse {
                        data: data.unwrap_or_default(),
                    },
                ))
            }
            WasmMsg::Instantiate {
                admin,
                code_id,
                msg,
                funds,
                label,
            } => {
                let admin = admin
                    .as_deref()
                    .map(|a| parse_addr("admin", a))
                    .transpose()?;
                let funds = from_vm_coins(funds)?;
                let (addr, data) = self.instantiate_in(
                    ctx,
                    frame,
                    contract,
                    admin,
                    *code_id,
                    label,
                    msg.as_slice(),
                    &funds,
                    None,
                )?;
                Ok(Dispatched::of(
                    data.clone(),
                    &MsgInstantiateContractResponse {
                        address: addr.to_bech32(),
                        data: data.unwrap_or_default(),
                    },
                ))
            }
            WasmMsg::Instantiate2 {
                admin,
                code_id,
                label,
                msg,
                funds,
                salt,
            } => {
                let admin = admin
                    .as_deref()
                    .map(|a| parse_addr("admin", a))
                    .transpose()?;
                let funds = from_vm_coins(funds)?;
                let (addr, data) = self.instantiate_in(
                    ctx,
                    frame,
                    contract,
                    admin,
                    *code_id,
                    label,
                    msg.as_slice(),
                    &funds,
                    Some((salt.as_slice(), false)),
                )?;
                Ok(Dispatched::of(
                    data.clone(),
                    &MsgInstantiateContract2Response {
                        address: addr.to_bech32(),
                        data: data.unwrap_or_default(),
                    },
                ))
            }
            WasmMsg::Migrate {
                contract_addr,
                new_code_id,
                msg,
            } => {
                let target = parse_addr("contract", contract_addr)?;
                let data =
                    self.migrate_in(ctx, frame, contract, &target, *new_code_id, msg.as_slice())?;
                Ok(Dispatched::of(
                    data.clone(),
                    &MsgMigrateContractResponse {
                        data: data.unwrap_or_default(),
                    },
                ))
            }
            WasmMsg::UpdateAdmin {
                contract_addr,
                admin,
            } => {
                let target = parse_addr("contract", contract_addr)?;
                let admin = parse_addr("admin", admin)?;
                self.update_admin_in(ctx, contract, &target, Some(admin))?;
                Ok(Dispatched::of(None, &MsgUpdateAdminResponse {}))
            }
            WasmMsg::ClearAdmin { contract_addr } => {
                let target = parse_addr("contract", contract_addr)?;
                self.update_admin_in(ctx, contract, &target, None)?;
                Ok(Dispatched::of(None, &MsgClearAdminResponse {}))
            }
            other => Err(WasmError::UnknownMsg(format!("{other:?}")).into()),
        }
    }
}
