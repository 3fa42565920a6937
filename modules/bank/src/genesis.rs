#![allow(deprecated)] // `Params.send_enabled` is deprecated upstream; we still honour it.

//! `app_state.bank` in genesis.json, in the Cosmos SDK's JSON shape:
//! `{"params": {"send_enabled": [], "default_send_enabled": true}, "balances": [{"address": …,
//! "coins": [{"denom": …, "amount": "…"}]}], "supply": [...], "denom_metadata": []}`.
//! An empty `supply` is computed from the balances; a given one must match them.

use cosmrs::proto::cosmos::bank::v1beta1::{Params, SendEnabled};
use openledger_framework::{AbciError, Address, Coin, Coins, Ctx, KvRead};
use serde::{Deserialize, Serialize};

use crate::{BankError, BankKeeper, keys, params};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub balances: Vec<Balance>,
    #[serde(default)]
    pub supply: Vec<Coin>,
    #[serde(default)]
    pub denom_metadata: Vec<serde_json::Value>,
    #[serde(default)]
    pub send_enabled: Vec<SendEnabledJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    #[serde(default)]
    pub send_enabled: Vec<SendEnabledJson>,
    #[serde(default = "yes")]
    pub default_send_enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SendEnabledJson {
    pub denom: String,
    pub enabled: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Balance {
    pub address: String,
    pub coins: Vec<Coin>,
}

pub fn init(
    keeper: &BankKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<(), AbciError> {
    let state: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(|e| BankError::Genesis(e.to_string()))?
    };
    let mut p = match &state.params {
        None => params::default_params(),
        Some(pj) => Params {
            send_enabled: pj
                .send_enabled
                .iter()
                .map(|s| SendEnabled {
                    denom: s.denom.clone(),
                    enabled: s.enabled,
                })
                .collect(),
            default_send_enabled: pj.default_send_enabled,
        },
    };
    p.send_enabled
        .extend(state.send_enabled.iter().map(|s| SendEnabled {
            denom: s.denom.clone(),
            enabled: s.enabled,
        }));
    keeper.set_params(ctx, &p)?;

    let mut total = Coins::new();
    let mut seen = std::collections::BTreeSet::new();
    for b in &state.balances {
        let addr =
            Address::from_bech32(&b.address).map_err(|e| BankError::Genesis(e.to_string()))?;
        if !seen.insert(addr) {
            return Err(BankError::Genesis(format!("duplicate balance for {}", b.address)).into());
        }
        let coins = Coins::from_vec(b.coins.clone())
            .map_err(|e| BankError::Genesis(format!("{}: {e}", b.address)))?;
        for coin in coins.iter() {
            ctx.set(
                keys::balance(&addr, &coin.denom),
                coin.amount.to_string().into_bytes(),
            )?;
        }
        total = total.checked_add(&coins)?;
    }
    if !state.supply.is_empty() {
        let declared =
            Coins::from_vec(state.supply.clone()).map_err(|e| BankError::Genesis(e.to_string()))?;
        if declared != total {
            return Err(BankError::Genesis(format!(
                "genesis supply {declared} does not equal the sum of balances {total}"
            ))
            .into());
        }
    }
    for coin in total.iter() {
        ctx.set(
            keys::supply(&coin.denom),
            coin.amount.to_string().into_bytes(),
        )?;
    }
    Ok(())
}

pub fn export(keeper: &BankKeeper, mut state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
    let p = keeper.params(&mut state)?;
    let mut holders = std::collections::BTreeSet::new();
    for (key, _) in state.prefix(keys::all_balances())? {
        if let Some((addr, _)) = keys::parse_balance_key(&key) {
            holders.insert(addr);
        }
    }
    let mut balances = Vec::new();
    for addr in holders {
        balances.push(Balance {
            address: addr.to_bech32(),
            coins: keeper
                .all_balances(&mut state, &addr)?
                .into_iter()
                .collect(),
        });
    }
    let g = GenesisState {
        params: Some(ParamsJson {
            send_enabled: p
                .send_enabled
                .iter()
                .map(|s| SendEnabledJson {
                    denom: s.denom.clone(),
                    enabled: s.enabled,
                })
                .collect(),
            default_send_enabled: p.default_send_enabled,
        }),
        balances,
        supply: keeper.total_supply(&mut state)?.into_iter().collect(),
        denom_metadata: Vec::new(),
        send_enabled: Vec::new(),
    };
    serde_json::to_value(g).map_err(|e| BankError::Genesis(e.to_string()).into())
}
