//! `app_state.auth` in genesis.json, in the Cosmos SDK's JSON shape:
//! `{"params": {...}, "accounts": [{"@type": "/cosmos.auth.v1beta1.BaseAccount", "address": …,
//! "pub_key": null, "account_number": "0", "sequence": "0"}]}`.

use cosmrs::proto::cosmos::auth::v1beta1::Params;
use openledger_framework::{AbciError, Address, Ctx, KvRead};
use serde::{Deserialize, Serialize};

use crate::error::AuthError;
use crate::{Account, AuthKeeper, keys, params};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    #[serde(with = "u64_string")]
    pub max_memo_characters: u64,
    #[serde(with = "u64_string")]
    pub tx_sig_limit: u64,
    #[serde(with = "u64_string")]
    pub tx_size_cost_per_byte: u64,
    #[serde(with = "u64_string")]
    pub sig_verify_cost_ed25519: u64,
    #[serde(with = "u64_string")]
    pub sig_verify_cost_secp256k1: u64,
}

impl From<&ParamsJson> for Params {
    fn from(p: &ParamsJson) -> Self {
        Params {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        }
    }
}

impl From<&Params> for ParamsJson {
    fn from(p: &Params) -> Self {
        ParamsJson {
            max_memo_characters: p.max_memo_characters,
            tx_sig_limit: p.tx_sig_limit,
            tx_size_cost_per_byte: p.tx_size_cost_per_byte,
            sig_verify_cost_ed25519: p.sig_verify_cost_ed25519,
            sig_verify_cost_secp256k1: p.sig_verify_cost_secp256k1,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenesisAccount {
    #[serde(rename = "@type", default = "base_account_type")]
    pub type_url: String,
    pub address: String,
    #[serde(default)]
    pub pub_key: Option<serde_json::Value>,
    #[serde(with = "u64_string", default)]
    pub account_number: u64,
    #[serde(with = "u64_string", default)]
    pub sequence: u64,
}

fn base_account_type() -> String {
    "/cosmos.auth.v1beta1.BaseAccount".into()
}

/// Cosmos JSON writes 64-bit integers as strings; accept numbers too.
pub mod u64_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum N {
            S(String),
            N(u64),
        }
        match N::deserialize(d)? {
            N::S(s) => s.parse().map_err(serde::de::Error::custom),
            N::N(n) => Ok(n),
        }
    }
}

pub fn init(
    keeper: &AuthKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let state: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(|e| AuthError::Genesis(e.to_string()))?
    };
    let p = state
        .params
        .as_ref()
        .map(Params::from)
        .unwrap_or_else(params::default_params);
    keeper.set_params(ctx, &p)?;
    let mut max_number = None::<u64>;
    for acc in &state.accounts {
        if acc.type_url != base_account_type() {
            return Err(AuthError::Genesis(format!(
                "unsupported genesis account type {}",
                acc.type_url
            ))
            .into());
        }
        let address =
            Address::from_bech32(&acc.address).map_err(|e| AuthError::Genesis(e.to_string()))?;
        if keeper.account(ctx, &address)?.is_some() {
            return Err(AuthError::Genesis(format!("duplicate account {}", acc.address)).into());
        }
        if acc.pub_key.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(AuthError::Genesis(format!(
                "{}: genesis public keys are not supported",
                acc.address
            ))
            .into());
        }
        let account = Account {
            address,
            pub_key: None,
            account_number: acc.account_number,
            sequence: acc.sequence,
            module: None,
        };
        keeper.set_account(ctx, &account)?;
        ctx.set(
            keys::address_by_number(acc.account_number),
            address.as_bytes().to_vec(),
        )?;
        max_number = Some(max_number.map_or(acc.account_number, |m| m.max(acc.account_number)));
    }
    if let Some(m) = max_number {
        ctx.set(
            keys::next_account_number().to_string(),
            (m + 1).to_be_bytes().to_vec(),
        )?;
    }
    Ok(())
}

pub fn export(keeper: &AuthKeeper, mut state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let p = keeper.params(&mut state)?;
    let mut accounts = Vec::new();
    for (key, _) in state.prefix(keys::accounts_prefix())? {
        let Some(addr) = keys::address_from_account_key(&key) else {
            continue;
        };
        if let Some(acc) = keeper.account(&mut state, &addr)? {
            if acc.module.is_some() {
                continue;
            }
            accounts.push(GenesisAccount {
                type_url: base_account_type(),
                address: acc.address.to_bech32(),
                pub_key: None,
                account_number: acc.account_number,
                sequence: acc.sequence,
            });
        }
    }
    serde_json::to_value(GenesisState {
        params: Some(ParamsJson::from(&p)),
        accounts,
    })
    .map_err(|e| AuthError::Genesis(e.to_string()).into())
}
