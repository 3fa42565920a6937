//! `tx wasm` and `query wasm`, in wasmd's shape: reading and checking what `tx wasm …` sends
//! (wasm files, JSON messages, salts, funds) and the `query wasm …` calls as JSON. The code id
//! and contract address a tx made are printed from its events ([`super::output::made`]).

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow, bail};
use base64::Engine;
use clap::{Args, Subcommand};
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::base::v1beta1::Coin;
use cosmrs::proto::cosmwasm::wasm::v1 as wasm;
use openledger_framework::{Address, Coins};
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::common::{FromKey, QueryCtx, TxFlags, resolve_address, send_one, sender_of};
use super::output::snake_case;
use crate::client::keyring::{self, Backend};
use crate::client::{MAX_REPLY_BYTES, status};

/// Who may migrate a new contract: exactly one of `--admin` and `--no-admin`, as in wasmd.
#[derive(Args, Clone)]
pub struct AdminArgs {
    /// Admin of the contract (address or key name), who may migrate it.
    #[arg(long)]
    admin: Option<String>,
    /// No admin: the contract can never be migrated.
    #[arg(long)]
    no_admin: bool,
}

#[derive(Subcommand)]
pub enum WasmTx {
    /// Upload a wasm file (raw or gzip'd); prints the code id.
    Store {
        file: PathBuf,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Instantiate a stored code: `instantiate <code-id> <json>`; prints the contract address.
    Instantiate {
        code_id: u64,
        msg: String,
        #[arg(long)]
        label: String,
        #[command(flatten)]
        admin: AdminArgs,
        /// Coins sent to the new contract.
        #[arg(long, default_value = "")]
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Instantiate at a predictable address: `instantiate2 <code-id> <json> <salt-hex>`.
    Instantiate2 {
        code_id: u64,
        msg: String,
        salt: String,
        #[arg(long)]
        label: String,
        #[command(flatten)]
        admin: AdminArgs,
        #[arg(long, default_value = "")]
        amount: String,
        /// Include the message in the address derivation.
        #[arg(long)]
        fix_msg: bool,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Execute a contract: `execute <contract> <json>`.
    Execute {
        contract: String,
        msg: String,
        /// Coins sent with the message.
        #[arg(long, default_value = "")]
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Migrate a contract to a new code (admin only): `migrate <contract> <new-code-id> <json>`.
    Migrate {
        contract: String,
        new_code_id: u64,
        msg: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Hand a contract to a new admin: `set-contract-admin <contract> <new-admin>`.
    SetContractAdmin {
        contract: String,
        new_admin: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Remove a contract's admin for good.
    ClearContractAdmin {
        contract: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum WasmQuery {
    /// Download a code's wasm: `code <code-id> <out-file>`.
    Code { code_id: u64, out: PathBuf },
    /// Every stored code.
    ListCode,
    /// The contracts instantiated from a code.
    ListContractByCode { code_id: u64 },
    /// A contract's info (code, creator, admin, label).
    Contract { address: String },
    /// A contract's state: a smart query or a raw key.
    ContractState {
        #[command(subcommand)]
        cmd: ContractStateQuery,
    },
}

#[derive(Subcommand)]
pub enum ContractStateQuery {
    /// Ask the contract: `smart <contract> <json>`.
    Smart { address: String, query: String },
    /// Read one key of its store: `raw <contract> <key-hex>`.
    Raw { address: String, key_hex: String },
}

/// Rows per page when listing codes and contracts.
const PAGE: u64 = 100;

fn client(ch: &Channel) -> wasm::query_client::QueryClient<Channel> {
    wasm::query_client::QueryClient::new(ch.clone()).max_decoding_message_size(MAX_REPLY_BYTES)
}

/// The bytes of a `.wasm` file (raw or gzip'd: the chain accepts both).
pub fn read_wasm(path: &Path) -> anyhow::Result<Vec<u8>> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let is_wasm = bytes.starts_with(b"\0asm");
    let is_gzip = bytes.starts_with(&[0x1f, 0x8b]);
    if !is_wasm && !is_gzip {
        bail!(
            "{} is neither a wasm module nor gzip'd wasm (no \\0asm or gzip magic)",
            path.display()
        );
    }
    Ok(bytes)
}

/// A contract message: must be JSON, sent as the bytes given.
pub fn json_msg(s: &str) -> anyhow::Result<Vec<u8>> {
    serde_json::from_str::<serde::de::IgnoredAny>(s)
        .map_err(|e| anyhow!("the message is not valid JSON: {e}"))?;
    Ok(s.as_bytes().to_vec())
}

/// `--amount`: coins sent with the message (empty for none).
pub fn funds(amount: &str) -> anyhow::Result<Vec<Coin>> {
    if amount.trim().is_empty() {
        return Ok(Vec::new());
    }
    let coins: Coins = amount.parse().map_err(|e| anyhow!("--amount: {e}"))?;
    Ok(coins.to_proto())
}

/// A hex salt for `instantiate2` (1 to 64 bytes, as wasmd allows).
pub fn salt(hex_salt: &str) -> anyhow::Result<Vec<u8>> {
    let salt = hex::decode(hex_salt.trim()).map_err(|e| anyhow!("salt is not hex: {e}"))?;
    if salt.is_empty() || salt.len() > 64 {
        bail!("salt must be 1 to 64 bytes, got {}", salt.len());
    }
    Ok(salt)
}

pub fn contract_address(s: &str) -> anyhow::Result<String> {
    Ok(Address::from_bech32(s)
        .map_err(|e| anyhow!("contract address: {e}"))?
        .to_bech32())
}

fn code_info_json(c: &wasm::CodeInfoResponse) -> anyhow::Result<Value> {
    let mut v = snake_case(serde_json::to_value(c)?);
    // wasmd prints the checksum as upper-case hex.
    v["data_hash"] = json!(hex::encode_upper(&c.data_hash));
    Ok(v)
}

/// `query wasm code <id> <out-file>`: writes the bytecode to `out`.
pub async fn download_code(ch: &Channel, code_id: u64, out: &Path) -> anyhow::Result<Value> {
    let resp = client(ch)
        .code(wasm::QueryCodeRequest { code_id })
        .await
        .map_err(status)?
        .into_inner();
    if resp.data.is_empty() {
        bail!("code {code_id} not found");
    }
    std::fs::write(out, &resp.data).with_context(|| format!("writing {}", out.display()))?;
    let mut v = match &resp.code_info {
        Some(info) => code_info_json(info)?,
        None => json!({"code_id": code_id.to_string()}),
    };
    v["bytes"] = json!(resp.data.len());
    v["out"] = json!(out.display().to_string());
    Ok(v)
}

/// `query wasm list-code`: every stored code, all pages.
pub async fn list_code(ch: &Channel) -> anyhow::Result<Value> {
    let mut infos = Vec::new();
    let mut key = Vec::new();
    loop {
        let resp = client(ch)
            .codes(wasm::QueryCodesRequest {
                pagination: Some(page(key)),
            })
            .await
            .map_err(status)?
            .into_inner();
        for c in &resp.code_infos {
            infos.push(code_info_json(c)?);
        }
        match resp
            .pagination
            .map(|p| p.next_key)
            .filter(|k| !k.is_empty())
        {
            Some(next) => key = next,
            None => break,
        }
    }
    Ok(json!({"code_infos": infos}))
}

fn page(key: Vec<u8>) -> PageRequest {
    PageRequest {
        key,
        offset: 0,
        limit: PAGE,
        count_total: false,
        reverse: false,
    }
}

/// `query wasm list-contract-by-code <id>`: the contracts of a code, all pages.
pub async fn list_contract_by_code(ch: &Channel, code_id: u64) -> anyhow::Result<Value> {
    let mut contracts = Vec::new();
    let mut key = Vec::new();
    loop {
        let resp = client(ch)
            .contracts_by_code(wasm::QueryContractsByCodeRequest {
                code_id,
                pagination: Some(page(key)),
            })
            .await
            .map_err(status)?
            .into_inner();
        contracts.extend(resp.contracts);
        match resp
            .pagination
            .map(|p| p.next_key)
            .filter(|k| !k.is_empty())
        {
            Some(next) => key = next,
            None => break,
        }
    }
    Ok(json!({"contracts": contracts}))
}

/// `query wasm contract <addr>`.
pub async fn contract(ch: &Channel, address: &str) -> anyhow::Result<Value> {
    let resp = client(ch)
        .contract_info(wasm::QueryContractInfoRequest {
            address: contract_address(address)?,
        })
        .await
        .map_err(status)?
        .into_inner();
    let mut v = snake_case(serde_json::to_value(&resp)?);
    // Proto3 JSON leaves out empty strings; wasmd prints `"admin": ""` for a contract without.
    if let Some(info) = v["contract_info"].as_object_mut() {
        for key in ["admin", "ibc_port_id"] {
            info.entry(key).or_insert_with(|| json!(""));
        }
    }
    Ok(v)
}

/// `query wasm contract-state smart <addr> <json>`: `{"data": <the contract's JSON answer>}`.
pub async fn smart(ch: &Channel, address: &str, query: &str) -> anyhow::Result<Value> {
    let resp = client(ch)
        .smart_contract_state(wasm::QuerySmartContractStateRequest {
            address: contract_address(address)?,
            query_data: json_msg(query)?,
        })
        .await
        .map_err(status)?
        .into_inner();
    let data: Value = serde_json::from_slice(&resp.data)
        .map_err(|e| anyhow!("the contract answered something that is not JSON: {e}"))?;
    Ok(json!({"data": data}))
}

/// `query wasm contract-state raw <addr> <key-hex>`: `{"data": <base64 of the value>}` (empty
/// for a missing key).
pub async fn raw(ch: &Channel, address: &str, key_hex: &str) -> anyhow::Result<Value> {
    let key = hex::decode(key_hex.trim()).map_err(|e| anyhow!("key is not hex: {e}"))?;
    let resp = client(ch)
        .raw_contract_state(wasm::QueryRawContractStateRequest {
            address: contract_address(address)?,
            query_data: key,
        })
        .await
        .map_err(status)?
        .into_inner();
    Ok(json!({"data": base64::engine::general_purpose::STANDARD.encode(&resp.data)}))
}

/// `--admin` / `--no-admin`: the admin's bech32 address, or empty for none.
fn admin_of(home: &Path, backend: Backend, a: &AdminArgs) -> anyhow::Result<String> {
    match (&a.admin, a.no_admin) {
        (Some(_), true) => bail!("--admin and --no-admin exclude each other"),
        (None, false) => bail!("give --admin <address> or --no-admin"),
        (Some(admin), false) => Ok(resolve_address(home, backend, admin)?.to_bech32()),
        (None, true) => Ok(String::new()),
    }
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: WasmTx) -> anyhow::Result<()> {
    use cosmrs::proto::cosmwasm::wasm::v1 as w;
    match cmd {
        WasmTx::Store { file, from, flags } => {
            let code = read_wasm(&file)?;
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgStoreCode {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                wasm_byte_code: code,
                instantiate_permission: None,
            };
            let what = format!(
                "store {} ({} bytes)",
                file.display(),
                msg.wasm_byte_code.len()
            );
            send_one(rt, &sender, &flags, &what, &msg)
        }
        WasmTx::Instantiate {
            code_id,
            msg,
            label,
            admin,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgInstantiateContract {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                admin: admin_of(home, flags.keyring_backend, &admin)?,
                code_id,
                label,
                msg: json_msg(&msg)?,
                funds: funds(&amount)?,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("instantiate code {code_id}"),
                &msg,
            )
        }
        WasmTx::Instantiate2 {
            code_id,
            msg,
            salt,
            label,
            admin,
            amount,
            fix_msg,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgInstantiateContract2 {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                admin: admin_of(home, flags.keyring_backend, &admin)?,
                code_id,
                label,
                msg: json_msg(&msg)?,
                funds: funds(&amount)?,
                salt: self::salt(&salt)?,
                fix_msg,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("instantiate2 code {code_id}"),
                &msg,
            )
        }
        WasmTx::Execute {
            contract,
            msg,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgExecuteContract {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                contract: contract_address(&contract)?,
                msg: json_msg(&msg)?,
                funds: funds(&amount)?,
            };
            send_one(rt, &sender, &flags, &format!("execute {contract}"), &msg)
        }
        WasmTx::Migrate {
            contract,
            new_code_id,
            msg,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgMigrateContract {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                contract: contract_address(&contract)?,
                code_id: new_code_id,
                msg: json_msg(&msg)?,
            };
            let what = format!("migrate {contract} to code {new_code_id}");
            send_one(rt, &sender, &flags, &what, &msg)
        }
        WasmTx::SetContractAdmin {
            contract,
            new_admin,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgUpdateAdmin {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                new_admin: resolve_address(home, flags.keyring_backend, &new_admin)?.to_bech32(),
                contract: contract_address(&contract)?,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("set the admin of {contract}"),
                &msg,
            )
        }
        WasmTx::ClearContractAdmin {
            contract,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = w::MsgClearAdmin {
                sender: keyring::address_of(&sender.key)?.to_bech32(),
                contract: contract_address(&contract)?,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("clear the admin of {contract}"),
                &msg,
            )
        }
    }
}

pub async fn query(q: &QueryCtx, cmd: WasmQuery) -> anyhow::Result<Value> {
    let ch = &q.channel().await?;
    match cmd {
        WasmQuery::Code { code_id, out } => download_code(ch, code_id, &out).await,
        WasmQuery::ListCode => list_code(ch).await,
        WasmQuery::ListContractByCode { code_id } => list_contract_by_code(ch, code_id).await,
        WasmQuery::Contract { address } => contract(ch, &address).await,
        WasmQuery::ContractState {
            cmd: ContractStateQuery::Smart { address, query },
        } => smart(ch, &address, &query).await,
        WasmQuery::ContractState {
            cmd: ContractStateQuery::Raw { address, key_hex },
        } => raw(ch, &address, &key_hex).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_checked() {
        assert!(json_msg(r#"{"subscribe":{"adapter_id":1}}"#).is_ok());
        assert!(json_msg("{not json").is_err());
        assert_eq!(salt("00ff").unwrap(), vec![0, 255]);
        assert!(salt("").is_err());
        assert!(salt("zz").is_err());
        assert!(salt(&"00".repeat(65)).is_err());
        assert!(funds("").unwrap().is_empty());
        assert_eq!(funds("40000uopen").unwrap()[0].amount, "40000");
        assert!(funds("forty").is_err());
        assert!(contract_address("open1nope").is_err());
    }

    #[test]
    fn field_names_as_wasmd_prints_them() {
        assert_eq!(
            snake_case(
                json!({"contractInfo": {"codeId": "1", "ibcPortId": ""}, "a": [{"dataHash": 1}]})
            ),
            json!({"contract_info": {"code_id": "1", "ibc_port_id": ""}, "a": [{"data_hash": 1}]})
        );
    }

    #[test]
    fn wasm_files_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let good = dir.path().join("a.wasm");
        std::fs::write(&good, b"\0asm\x01\0\0\0").unwrap();
        assert!(read_wasm(&good).is_ok());
        let bad = dir.path().join("b.wasm");
        std::fs::write(&bad, b"hello").unwrap();
        assert!(read_wasm(&bad).is_err());
        assert!(read_wasm(&dir.path().join("missing.wasm")).is_err());
    }
}
