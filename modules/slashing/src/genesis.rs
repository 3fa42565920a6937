//! `app_state.slashing` in genesis.json, in the Cosmos SDK's JSON shape: int64 fields as
//! strings (numbers are accepted too), decimals as `"0.500000000000000000"`, durations as
//! `"600s"`, times in RFC 3339, consensus addresses as `openvalcons1…`.
//!
//! Import checks what keeps the state consistent: every address parses, no signing info
//! twice, missed indexes lie inside the window, and each `missed_blocks_counter` equals the
//! number of indexes marked missed for that validator. Runs after staking's genesis: a bonded
//! validator that genesis gives no signing info gets a fresh one (the SDK leaves it without,
//! and would halt at its first vote).

use std::collections::{BTreeMap, BTreeSet};

use openledger_framework::{Address, Ctx, Dec, KvRead, Result};
use openledger_staking::genesis::{format_duration, format_time, parse_duration, parse_time};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::{Params, SigningInfo, SlashingError, SlashingKeeper, parse_valcons, valcons};

fn genesis_err(e: impl std::fmt::Display) -> SlashingError {
    SlashingError::Genesis(e.to_string())
}

/// An int64 as protobuf JSON writes it: a string (a bare number is read too).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JsonI64(pub i64);

impl Serialize for JsonI64 {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for JsonI64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            N(i64),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(JsonI64(n)),
            Raw::S(s) => s
                .parse()
                .map(JsonI64)
                .map_err(|_| serde::de::Error::custom(format!("invalid int64 {s:?}"))),
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub signing_infos: Vec<SigningInfoJson>,
    #[serde(default)]
    pub missed_blocks: Vec<ValidatorMissedBlocksJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    pub signed_blocks_window: JsonI64,
    pub min_signed_per_window: String,
    pub downtime_jail_duration: String,
    pub slash_fraction_double_sign: String,
    pub slash_fraction_downtime: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SigningInfoJson {
    pub address: String,
    pub validator_signing_info: ValidatorSigningInfoJson,
}

fn epoch() -> String {
    "1970-01-01T00:00:00Z".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidatorSigningInfoJson {
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub start_height: JsonI64,
    #[serde(default)]
    pub index_offset: JsonI64,
    #[serde(default = "epoch")]
    pub jailed_until: String,
    #[serde(default)]
    pub tombstoned: bool,
    #[serde(default)]
    pub missed_blocks_counter: JsonI64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidatorMissedBlocksJson {
    pub address: String,
    #[serde(default)]
    pub missed_blocks: Vec<MissedBlockJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MissedBlockJson {
    pub index: JsonI64,
    #[serde(default)]
    pub missed: bool,
}

fn parse_dec(what: &str, s: &str) -> std::result::Result<Dec, SlashingError> {
    s.parse::<Dec>()
        .map_err(|e| genesis_err(format!("invalid {what} {s:?}: {e}")))
}

pub fn params_to_json(p: &Params) -> ParamsJson {
    ParamsJson {
        signed_blocks_window: JsonI64(p.signed_blocks_window),
        min_signed_per_window: p.min_signed_per_window.to_string(),
        downtime_jail_duration: format_duration(p.downtime_jail_duration),
        slash_fraction_double_sign: p.slash_fraction_double_sign.to_string(),
        slash_fraction_downtime: p.slash_fraction_downtime.to_string(),
    }
}

pub fn params_from_json(j: &ParamsJson) -> std::result::Result<Params, SlashingError> {
    let p = Params {
        signed_blocks_window: j.signed_blocks_window.0,
        min_signed_per_window: parse_dec("min_signed_per_window", &j.min_signed_per_window)?,
        downtime_jail_duration: parse_duration(&j.downtime_jail_duration).map_err(genesis_err)?,
        slash_fraction_double_sign: parse_dec(
            "slash_fraction_double_sign",
            &j.slash_fraction_double_sign,
        )?,
        slash_fraction_downtime: parse_dec("slash_fraction_downtime", &j.slash_fraction_downtime)?,
    };
    p.validate()?;
    Ok(p)
}

fn info_from_json(j: &SigningInfoJson) -> std::result::Result<SigningInfo, SlashingError> {
    let address = parse_valcons(&j.address).map_err(genesis_err)?;
    let v = &j.validator_signing_info;
    if !v.address.is_empty() && parse_valcons(&v.address).map_err(genesis_err)? != address {
        return Err(genesis_err(format!(
            "signing info of {} names another address {}",
            j.address, v.address
        )));
    }
    if v.index_offset.0 < 0 || v.missed_blocks_counter.0 < 0 {
        return Err(genesis_err(format!(
            "signing info of {}: index_offset and missed_blocks_counter cannot be negative",
            j.address
        )));
    }
    Ok(SigningInfo {
        address,
        start_height: v.start_height.0,
        index_offset: v.index_offset.0,
        jailed_until: parse_time(&v.jailed_until).map_err(genesis_err)?,
        tombstoned: v.tombstoned,
        missed_blocks_counter: v.missed_blocks_counter.0,
    })
}

fn info_to_json(i: &SigningInfo) -> SigningInfoJson {
    SigningInfoJson {
        address: valcons(&i.address),
        validator_signing_info: ValidatorSigningInfoJson {
            address: valcons(&i.address),
            start_height: JsonI64(i.start_height),
            index_offset: JsonI64(i.index_offset),
            jailed_until: format_time(i.jailed_until),
            tombstoned: i.tombstoned,
            missed_blocks_counter: JsonI64(i.missed_blocks_counter),
        },
    }
}

pub fn init(keeper: &SlashingKeeper, ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<()> {
    let g: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(genesis_err)?
    };
    let p = match &g.params {
        None => Params::default(),
        Some(pj) => params_from_json(pj)?,
    };
    keeper.set_params(ctx, &p)?;

    let mut infos: BTreeMap<Address, SigningInfo> = BTreeMap::new();
    for j in &g.signing_infos {
        let info = info_from_json(j)?;
        if infos.insert(info.address, info).is_some() {
            return Err(genesis_err(format!("signing info of {} given twice", j.address)).into());
        }
    }
    let mut missed: BTreeMap<Address, BTreeSet<i64>> = BTreeMap::new();
    for j in &g.missed_blocks {
        let cons = parse_valcons(&j.address).map_err(genesis_err)?;
        let set = missed.entry(cons).or_default();
        for b in &j.missed_blocks {
            if !(0..p.signed_blocks_window).contains(&b.index.0) {
                return Err(genesis_err(format!(
                    "missed block index {} of {} is outside the window [0, {})",
                    b.index.0, j.address, p.signed_blocks_window
                ))
                .into());
            }
            if b.missed {
                set.insert(b.index.0);
            }
        }
    }
    for (cons, set) in &missed {
        if !set.is_empty() && !infos.contains_key(cons) {
            return Err(genesis_err(format!(
                "missed blocks of {} without a signing info",
                valcons(cons)
            ))
            .into());
        }
    }
    for info in infos.values() {
        let n = missed.get(&info.address).map_or(0, BTreeSet::len) as i64;
        if info.missed_blocks_counter != n {
            return Err(genesis_err(format!(
                "missed_blocks_counter {} of {} is not its number of missed blocks ({n})",
                info.missed_blocks_counter,
                valcons(&info.address)
            ))
            .into());
        }
        // Hooks may have run during staking's genesis: genesis replaces what they wrote.
        keeper.clear_missed_blocks(ctx, &info.address)?;
        keeper.set_signing_info(ctx, info)?;
    }
    for (cons, set) in &missed {
        for i in set {
            keeper.set_missed(ctx, cons, *i, true)?;
        }
    }
    // A bonded validator without a record (a staking genesis given without slashing's) gets
    // a fresh one, or its votes would never be counted.
    let h = crate::height(ctx);
    for v in keeper.staking().bonded_validators(ctx)? {
        let cons = v.cons_address();
        if keeper.signing_info(ctx, &cons)?.is_none() {
            keeper.set_signing_info(ctx, &SigningInfo::new(cons, h))?;
        }
    }
    Ok(())
}

pub fn export_state(keeper: &SlashingKeeper, state: &dyn KvRead) -> Result<GenesisState> {
    let mut s = state;
    let p = keeper.params(&mut s)?;
    let infos = keeper.all_signing_infos(&mut s)?;
    let mut missed_blocks = Vec::with_capacity(infos.len());
    for i in &infos {
        missed_blocks.push(ValidatorMissedBlocksJson {
            address: valcons(&i.address),
            missed_blocks: keeper
                .missed_indexes(&mut s, &i.address)?
                .into_iter()
                .map(|index| MissedBlockJson {
                    index: JsonI64(index),
                    missed: true,
                })
                .collect(),
        });
    }
    Ok(GenesisState {
        params: Some(params_to_json(&p)),
        signing_infos: infos.iter().map(info_to_json).collect(),
        missed_blocks,
    })
}

pub fn export(keeper: &SlashingKeeper, state: &dyn KvRead) -> Result<serde_json::Value> {
    serde_json::to_value(export_state(keeper, state)?)
        .map_err(|e| SlashingError::Corrupt(e.to_string()).into())
}
