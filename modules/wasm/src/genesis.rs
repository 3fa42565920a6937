//! `app_state.wasm` in genesis.json, in wasmd's JSON shape (proto JSON of
//! `cosmwasm.wasm.v1.GenesisState`): `{"params": {"code_upload_access": {"permission":
//! "Everybody", "addresses": []}, "instantiate_default_permission": "Everybody"}, "codes":
//! [{"code_id": "1", "code_info": {…}, "code_bytes": "<base64>", "pinned": false}], "contracts":
//! [{"contract_address": …, "contract_info": {…}, "contract_state": [{"key": "<hex>", "value":
//! "<base64>"}]}], "sequences": [{"id_key": "<base64>", "value": "2"}]}`.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cosmrs::proto::cosmwasm::wasm::v1::{
    AbsoluteTxPosition, AccessConfig, AccessType, CodeInfo, ContractInfo, Params,
};
use openledger_framework::{AbciError, Address, Ctx, KvRead};
use serde::{Deserialize, Serialize};

use crate::error::WasmError;
use crate::keeper::WasmKeeper;
use crate::keys;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub codes: Vec<CodeJson>,
    #[serde(default)]
    pub contracts: Vec<ContractJson>,
    #[serde(default)]
    pub sequences: Vec<SequenceJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessConfigJson {
    pub permission: String,
    #[serde(default)]
    pub addresses: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    pub code_upload_access: AccessConfigJson,
    pub instantiate_default_permission: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeInfoJson {
    /// Base64, as proto JSON writes bytes.
    pub code_hash: String,
    pub creator: String,
    pub instantiate_config: AccessConfigJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeJson {
    /// A decimal string, as proto JSON writes 64-bit integers.
    pub code_id: String,
    pub code_info: CodeInfoJson,
    pub code_bytes: String,
    #[serde(default)]
    pub pinned: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContractInfoJson {
    pub code_id: String,
    pub creator: String,
    #[serde(default)]
    pub admin: String,
    pub label: String,
    #[serde(default)]
    pub created: Option<PositionJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PositionJson {
    pub block_height: String,
    pub tx_index: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelJson {
    /// Hex, as wasmd writes contract keys.
    pub key: String,
    pub value: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ContractJson {
    pub contract_address: String,
    pub contract_info: ContractInfoJson,
    #[serde(default)]
    pub contract_state: Vec<ModelJson>,
    #[serde(default)]
    pub contract_code_history: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SequenceJson {
    /// wasmd's sequence keys: `lastCodeId`, `lastContractId` (base64 of 0x04 + name).
    pub id_key: String,
    pub value: String,
}

const SEQ_CODE_ID: &[u8] = b"\x04lastCodeId";
const SEQ_INSTANCE_ID: &[u8] = b"\x04lastContractId";

fn bad(what: impl std::fmt::Display) -> AbciError {
    WasmError::Genesis(what.to_string()).into()
}

/// wasmd writes access types by their short names ("Everybody"); proto JSON by the enum
/// names ("ACCESS_TYPE_EVERYBODY"). Both are read.
fn access_type(s: &str) -> Result<i32, AbciError> {
    let t = match s {
        "Nobody" | "ACCESS_TYPE_NOBODY" => AccessType::Nobody,
        "Everybody" | "ACCESS_TYPE_EVERYBODY" => AccessType::Everybody,
        "AnyOfAddresses" | "ACCESS_TYPE_ANY_OF_ADDRESSES" => AccessType::AnyOfAddresses,
        other => return Err(bad(format!("unknown access type {other:?}"))),
    };
    Ok(t as i32)
}

fn access_name(t: i32) -> String {
    match AccessType::try_from(t) {
        Ok(AccessType::Nobody) => "Nobody",
        Ok(AccessType::Everybody) => "Everybody",
        Ok(AccessType::AnyOfAddresses) => "AnyOfAddresses",
        _ => "Unspecified",
    }
    .to_string()
}

fn access_from(j: &AccessConfigJson) -> Result<AccessConfig, AbciError> {
    Ok(AccessConfig {
        permission: access_type(&j.permission)?,
        addresses: j.addresses.clone(),
    })
}

fn access_to(c: &AccessConfig) -> AccessConfigJson {
    AccessConfigJson {
        permission: access_name(c.permission),
        addresses: c.addresses.clone(),
    }
}

fn number(what: &str, s: &str) -> Result<u64, AbciError> {
    s.parse()
        .map_err(|_| bad(format!("{what}: not a number: {s:?}")))
}

pub fn init(
    keeper: &WasmKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let state: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(bad)?
    };
    if let Some(p) = &state.params {
        keeper.set_params(
            ctx,
            &Params {
                code_upload_access: Some(access_from(&p.code_upload_access)?),
                instantiate_default_permission: access_type(&p.instantiate_default_permission)?,
            },
        )?;
    }
    let mut max_code_id = 0;
    for code in &state.codes {
        let code_id = number("code_id", &code.code_id)?;
        let info = CodeInfo {
            code_hash: B64.decode(&code.code_info.code_hash).map_err(bad)?,
            creator: code.code_info.creator.clone(),
            instantiate_config: Some(access_from(&code.code_info.instantiate_config)?),
        };
        Address::from_bech32(&info.creator).map_err(bad)?;
        let wasm = B64.decode(&code.code_bytes).map_err(bad)?;
        if ctx.get(&keys::code(code_id))?.is_some() {
            return Err(bad(format!("duplicate code id {code_id}")));
        }
        keeper.import_code(ctx, code_id, &info, &wasm)?;
        max_code_id = max_code_id.max(code_id);
    }
    for c in &state.contracts {
        let addr = Address::from_bech32(&c.contract_address).map_err(bad)?;
        let i = &c.contract_info;
        let info = ContractInfo {
            code_id: number("code_id", &i.code_id)?,
            creator: i.creator.clone(),
            admin: i.admin.clone(),
            label: i.label.clone(),
            created: match &i.created {
                Some(p) => Some(AbsoluteTxPosition {
                    block_height: number("block_height", &p.block_height)?,
                    tx_index: number("tx_index", &p.tx_index)?,
                }),
                None => None,
            },
            ibc_port_id: String::new(),
            extension: None,
        };
        let mut kv = Vec::with_capacity(c.contract_state.len());
        for m in &c.contract_state {
            kv.push((
                hex::decode(&m.key).map_err(bad)?,
                B64.decode(&m.value).map_err(bad)?,
            ));
        }
        if ctx.get(&keys::contract(&addr))?.is_some() {
            return Err(bad(format!("duplicate contract {addr}")));
        }
        keeper.import_contract(ctx, &addr, info, &kv)?;
    }
    let mut last_code_id = max_code_id;
    let mut last_instance_id = 0;
    for s in &state.sequences {
        let key = B64.decode(&s.id_key).map_err(bad)?;
        let value = number("sequence", &s.value)?;
        // wasmd stores the next id; we store the last one handed out.
        let last = value.saturating_sub(1);
        if key == SEQ_CODE_ID {
            if last < max_code_id {
                return Err(bad("lastCodeId sequence is below the highest code id"));
            }
            last_code_id = last;
        } else if key == SEQ_INSTANCE_ID {
            last_instance_id = last;
        } else {
            return Err(bad(format!("unknown sequence key {}", s.id_key)));
        }
    }
    if last_code_id > 0 {
        ctx.set(
            keys::last_code_id().to_string(),
            last_code_id.to_be_bytes().to_vec(),
        )?;
    }
    if last_instance_id > 0 {
        ctx.set(
            keys::last_instance_id().to_string(),
            last_instance_id.to_be_bytes().to_vec(),
        )?;
    }
    Ok(())
}

pub fn export(keeper: &WasmKeeper, mut state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let p = keeper.params(&mut state)?;
    let upload = p
        .code_upload_access
        .clone()
        .unwrap_or_else(crate::params::everybody);
    let mut codes = Vec::new();
    for c in keeper.codes(&mut state)? {
        let wasm = keeper.code_bytes(&mut state, &c.info.code_hash)?;
        codes.push(CodeJson {
            code_id: c.code_id.to_string(),
            code_info: CodeInfoJson {
                code_hash: B64.encode(&c.info.code_hash),
                creator: c.info.creator.clone(),
                instantiate_config: access_to(
                    &c.info
                        .instantiate_config
                        .clone()
                        .unwrap_or_else(crate::params::everybody),
                ),
            },
            code_bytes: B64.encode(wasm),
            pinned: false,
        });
    }
    let mut contracts = Vec::new();
    for (addr, info) in keeper.contracts(&mut state)? {
        let contract_state = keeper
            .contract_state(&mut state, &addr)?
            .into_iter()
            .map(|(k, v)| ModelJson {
                key: hex::encode_upper(k),
                value: B64.encode(v),
            })
            .collect();
        contracts.push(ContractJson {
            contract_address: addr.to_bech32(),
            contract_info: ContractInfoJson {
                code_id: info.code_id.to_string(),
                creator: info.creator,
                admin: info.admin,
                label: info.label,
                created: info.created.map(|p| PositionJson {
                    block_height: p.block_height.to_string(),
                    tx_index: p.tx_index.to_string(),
                }),
            },
            contract_state,
            contract_code_history: Vec::new(),
        });
    }
    let next = |key: &str| -> Result<String, AbciError> {
        Ok((WasmKeeper::peek_last_id(state, key)? + 1).to_string())
    };
    let g = GenesisState {
        params: Some(ParamsJson {
            code_upload_access: access_to(&upload),
            instantiate_default_permission: access_name(p.instantiate_default_permission),
        }),
        codes,
        contracts,
        sequences: vec![
            SequenceJson {
                id_key: B64.encode(SEQ_CODE_ID),
                value: next(keys::last_code_id())?,
            },
            SequenceJson {
                id_key: B64.encode(SEQ_INSTANCE_ID),
                value: next(keys::last_instance_id())?,
            },
        ],
    };
    serde_json::to_value(g).map_err(bad)
}
