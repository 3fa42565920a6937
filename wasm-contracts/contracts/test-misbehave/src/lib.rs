//! A contract that does what the host's tests need, good and bad: counts, stores and ranges
//! over items, sends coins, calls itself through submessages and replies, queries itself
//! recursively, migrates, and misbehaves on request (an endless loop, a panic, an error).
//! Not for deployment.

use cosmwasm_schema::cw_serde;
use cosmwasm_std::{
    BankMsg, Binary, Coin, Deps, DepsMut, Env, Event, MessageInfo, Order, Reply, Response,
    StdError, StdResult, SubMsg, SubMsgResult, WasmMsg, entry_point, to_json_binary,
};

const COUNT: &[u8] = b"count";
const LAST_REPLY: &[u8] = b"last_reply";
const ITEM: &str = "item:";

#[cw_serde]
pub struct InstantiateMsg {
    pub count: u64,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Adds one to the count; returns the new count as data.
    Increment {},
    /// Never ends: must run out of gas.
    Loop {},
    /// Aborts the instance.
    Panic {},
    /// Returns an error.
    Fail {},
    /// Sends coins it may not have.
    Send { to: String, amount: Vec<Coin> },
    /// Increments, then runs `Fail {}` on itself as a submessage (replying on error if asked).
    SubmsgFail { reply_on_error: bool },
    /// Runs `Increment {}` on itself as a submessage and always replies.
    SubmsgOk {},
    /// Stores `item:<key>` = value for each pair.
    SetItems { items: Vec<(String, String)> },
    /// Executes another contract with the given message and funds.
    Forward {
        contract: String,
        msg: Binary,
        funds: Vec<Coin>,
    },
}

#[cw_serde]
pub enum QueryMsg {
    Count {},
    /// Items with start ≤ key < end, in key order (or reversed).
    Items {
        start: Option<String>,
        end: Option<String>,
        descending: bool,
    },
    /// Queries itself `depth` more times.
    Recurse {
        depth: u32,
    },
    Balance {
        denom: String,
    },
    LastReply {},
    Loop {},
}

#[cw_serde]
pub struct MigrateMsg {
    pub count: u64,
}

fn count(deps: Deps) -> StdResult<u64> {
    let raw = deps.storage.get(COUNT).unwrap_or_default();
    let bytes: [u8; 8] = raw.as_slice().try_into().unwrap_or([0; 8]);
    Ok(u64::from_be_bytes(bytes))
}

fn set_count(deps: DepsMut, n: u64) {
    deps.storage.set(COUNT, &n.to_be_bytes());
}

#[entry_point]
pub fn instantiate(
    deps: DepsMut,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> StdResult<Response> {
    set_count(deps, msg.count);
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("funds", format!("{:?}", info.funds))
        .set_data(b"created"))
}

fn spin() -> u64 {
    let mut n: u64 = 0;
    loop {
        n = std::hint::black_box(n.wrapping_add(1));
        if std::hint::black_box(n) == 0 {
            return n;
        }
    }
}

#[entry_point]
pub fn execute(
    deps: DepsMut,
    env: Env,
    _info: MessageInfo,
    msg: ExecuteMsg,
) -> StdResult<Response> {
    let me = env.contract.address.to_string();
    match msg {
        ExecuteMsg::Increment {} => {
            let n = count(deps.as_ref())? + 1;
            set_count(deps, n);
            Ok(Response::new()
                .add_attribute("action", "increment")
                .add_event(Event::new("counted").add_attribute("count", n.to_string()))
                .set_data(n.to_be_bytes()))
        }
        ExecuteMsg::Loop {} => {
            let n = spin();
            Ok(Response::new().add_attribute("never", n.to_string()))
        }
        ExecuteMsg::Panic {} => panic!("asked to panic"),
        ExecuteMsg::Fail {} => Err(StdError::generic_err("asked to fail")),
        ExecuteMsg::Send { to, amount } => Ok(Response::new().add_message(BankMsg::Send {
            to_address: to,
            amount,
        })),
        ExecuteMsg::SubmsgFail { reply_on_error } => {
            let n = count(deps.as_ref())? + 1;
            set_count(deps, n);
            let call = WasmMsg::Execute {
                contract_addr: me,
                msg: to_json_binary(&ExecuteMsg::Fail {})?,
                funds: vec![],
            };
            let sub = if reply_on_error {
                SubMsg::reply_on_error(call, 7)
            } else {
                SubMsg::new(call)
            };
            Ok(Response::new().add_submessage(sub))
        }
        ExecuteMsg::SubmsgOk {} => {
            let call = WasmMsg::Execute {
                contract_addr: me,
                msg: to_json_binary(&ExecuteMsg::Increment {})?,
                funds: vec![],
            };
            Ok(Response::new().add_submessage(SubMsg::reply_always(call, 8)))
        }
        ExecuteMsg::SetItems { items } => {
            for (k, v) in items {
                deps.storage
                    .set(format!("{ITEM}{k}").as_bytes(), v.as_bytes());
            }
            Ok(Response::new())
        }
        ExecuteMsg::Forward {
            contract,
            msg,
            funds,
        } => Ok(Response::new().add_message(WasmMsg::Execute {
            contract_addr: contract,
            msg,
            funds,
        })),
    }
}

#[entry_point]
pub fn reply(deps: DepsMut, _env: Env, reply: Reply) -> StdResult<Response> {
    let outcome = match &reply.result {
        SubMsgResult::Ok(_) => "ok".to_string(),
        SubMsgResult::Err(e) => format!("err: {e}"),
    };
    let text = format!("{}:{}", reply.id, outcome);
    deps.storage.set(LAST_REPLY, text.as_bytes());
    Ok(Response::new()
        .add_attribute("replied", text)
        .set_data(b"replied"))
}

#[entry_point]
pub fn query(deps: Deps, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::Count {} => to_json_binary(&count(deps)?),
        QueryMsg::Items {
            start,
            end,
            descending,
        } => {
            let key = |s: String| format!("{ITEM}{s}").into_bytes();
            let start = key(start.unwrap_or_default());
            let end = end.map(key).unwrap_or_else(|| b"item;".to_vec());
            let order = if descending {
                Order::Descending
            } else {
                Order::Ascending
            };
            let items: Vec<(String, String)> = deps
                .storage
                .range(Some(&start), Some(&end), order)
                .map(|(k, v)| {
                    (
                        String::from_utf8_lossy(&k[ITEM.len()..]).into_owned(),
                        String::from_utf8_lossy(&v).into_owned(),
                    )
                })
                .collect();
            to_json_binary(&items)
        }
        QueryMsg::Recurse { depth } => {
            if depth == 0 {
                return to_json_binary(&0u32);
            }
            let below: u32 = deps.querier.query_wasm_smart(
                env.contract.address,
                &QueryMsg::Recurse { depth: depth - 1 },
            )?;
            to_json_binary(&(below + 1))
        }
        QueryMsg::Balance { denom } => {
            to_json_binary(&deps.querier.query_balance(env.contract.address, denom)?)
        }
        QueryMsg::LastReply {} => {
            let raw = deps.storage.get(LAST_REPLY).unwrap_or_default();
            to_json_binary(&String::from_utf8_lossy(&raw).into_owned())
        }
        QueryMsg::Loop {} => to_json_binary(&spin()),
    }
}

#[entry_point]
pub fn migrate(deps: DepsMut, _env: Env, msg: MigrateMsg) -> StdResult<Response> {
    set_count(deps, msg.count);
    Ok(Response::new().add_attribute("action", "migrate"))
}
