//! `app_state.staking` in genesis.json, in the Cosmos SDK's JSON shape (snake_case fields,
//! decimals as `"0.100000000000000000"`, integers as strings, times in RFC 3339, durations as
//! `"1814400s"`, consensus keys as `{"@type": "/cosmos.crypto.ed25519.PubKey", "key": base64}`),
//! and gentxs: the `MsgCreateValidator`s that make a new chain's first validators.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use cosmrs::proto::cosmos::staking::v1beta1 as pb;
use cosmrs::proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use cosmrs::proto::tendermint::google::protobuf::Duration;
use openledger_framework::{AbciError, Address, Ctx, Dec, KvRead, Result, type_url};
use prost::Message;
use serde::{Deserialize, Serialize};

use crate::math::{json_dec, parse_int, parse_json_dec};
use crate::types::{parse_account, parse_valoper};
use crate::{
    BondStatus, Commission, Delegation, Redelegation, RedelegationEntry, StakingError,
    StakingKeeper, Time, UnbondingDelegation, UnbondingEntry, Validator, ValidatorUpdate, keys,
    params, valoper,
};

fn genesis_err(e: impl std::fmt::Display) -> StakingError {
    StakingError::Genesis(e.to_string())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default = "zero")]
    pub last_total_power: String,
    #[serde(default)]
    pub last_validator_powers: Vec<LastValidatorPowerJson>,
    #[serde(default)]
    pub validators: Vec<ValidatorJson>,
    #[serde(default)]
    pub delegations: Vec<DelegationJson>,
    #[serde(default)]
    pub unbonding_delegations: Vec<UnbondingDelegationJson>,
    #[serde(default)]
    pub redelegations: Vec<RedelegationJson>,
    #[serde(default)]
    pub exported: bool,
}

fn zero() -> String {
    "0".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    pub unbonding_time: String,
    pub max_validators: u32,
    pub max_entries: u32,
    pub historical_entries: u32,
    pub bond_denom: String,
    #[serde(default = "zero_dec")]
    pub min_commission_rate: String,
}

fn zero_dec() -> String {
    json_dec(Dec::ZERO)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LastValidatorPowerJson {
    pub address: String,
    pub power: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PubKeyJson {
    #[serde(rename = "@type")]
    pub type_url: String,
    pub key: String,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct DescriptionJson {
    #[serde(default)]
    pub moniker: String,
    #[serde(default)]
    pub identity: String,
    #[serde(default)]
    pub website: String,
    #[serde(default)]
    pub security_contact: String,
    #[serde(default)]
    pub details: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommissionRatesJson {
    pub rate: String,
    pub max_rate: String,
    pub max_change_rate: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommissionJson {
    pub commission_rates: CommissionRatesJson,
    pub update_time: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ValidatorJson {
    pub operator_address: String,
    pub consensus_pubkey: PubKeyJson,
    #[serde(default)]
    pub jailed: bool,
    pub status: String,
    pub tokens: String,
    pub delegator_shares: String,
    #[serde(default)]
    pub description: DescriptionJson,
    #[serde(default = "zero")]
    pub unbonding_height: String,
    #[serde(default = "epoch")]
    pub unbonding_time: String,
    pub commission: CommissionJson,
    pub min_self_delegation: String,
    #[serde(default = "zero")]
    pub unbonding_on_hold_ref_count: String,
    #[serde(default)]
    pub unbonding_ids: Vec<String>,
}

fn epoch() -> String {
    "1970-01-01T00:00:00Z".into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DelegationJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub shares: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnbondingEntryJson {
    pub creation_height: String,
    pub completion_time: String,
    pub initial_balance: String,
    pub balance: String,
    #[serde(default = "zero")]
    pub unbonding_id: String,
    #[serde(default = "zero")]
    pub unbonding_on_hold_ref_count: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UnbondingDelegationJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub entries: Vec<UnbondingEntryJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedelegationEntryJson {
    pub creation_height: String,
    pub completion_time: String,
    pub initial_balance: String,
    pub shares_dst: String,
    #[serde(default = "zero")]
    pub unbonding_id: String,
    #[serde(default = "zero")]
    pub unbonding_on_hold_ref_count: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RedelegationJson {
    pub delegator_address: String,
    pub validator_src_address: String,
    pub validator_dst_address: String,
    pub entries: Vec<RedelegationEntryJson>,
}

// --- time formats ---

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// RFC 3339 in UTC, as Go's `time.Time` JSON: `2024-01-02T03:04:05.123Z`.
pub fn format_time(t: Time) -> String {
    let days = t.seconds.div_euclid(86_400);
    let secs = t.seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let mut s = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
    if t.nanos > 0 {
        let frac = format!("{:09}", t.nanos);
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s.push('Z');
    s
}

/// Parses RFC 3339 UTC times (`Z` or `+00:00`), with up to 9 fractional digits.
pub fn parse_time(s: &str) -> std::result::Result<Time, StakingError> {
    let bad = || StakingError::Genesis(format!("invalid time {s:?} (expected RFC 3339 UTC)"));
    let body = s
        .strip_suffix('Z')
        .or_else(|| s.strip_suffix("+00:00"))
        .ok_or_else(bad)?;
    let (date, time) = body.split_once('T').ok_or_else(bad)?;
    let num = |x: &str| x.parse::<i64>().map_err(|_| bad());
    let dp: Vec<&str> = date.split('-').collect();
    let [y, mo, d] = dp.as_slice() else {
        return Err(bad());
    };
    let (hms, frac) = time.split_once('.').unwrap_or((time, ""));
    let tp: Vec<&str> = hms.split(':').collect();
    let [h, mi, se] = tp.as_slice() else {
        return Err(bad());
    };
    let (y, mo, d, h, mi, se) = (num(y)?, num(mo)?, num(d)?, num(h)?, num(mi)?, num(se)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return Err(bad());
    }
    if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let nanos = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse::<i32>().map_err(|_| bad())?
    };
    let seconds = days_from_civil(y, mo, d) * 86_400 + h * 3600 + mi * 60 + se;
    Ok(Time::new(seconds, nanos))
}

/// `"1814400s"` (protobuf JSON durations; whole seconds or with a fraction).
pub fn parse_duration(s: &str) -> std::result::Result<(i64, i32), StakingError> {
    let bad = || {
        StakingError::Genesis(format!(
            "invalid duration {s:?} (expected e.g. \"1814400s\")"
        ))
    };
    let body = s.strip_suffix('s').ok_or_else(bad)?;
    let (secs, frac) = body.split_once('.').unwrap_or((body, ""));
    if secs.is_empty() || frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let secs = secs.parse::<i64>().map_err(|_| bad())?;
    let nanos = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse::<i32>().map_err(|_| bad())?
    };
    Ok((secs, nanos))
}

pub fn format_duration((secs, nanos): (i64, i32)) -> String {
    if nanos == 0 {
        format!("{secs}s")
    } else {
        format!("{secs}.{}s", format!("{nanos:09}").trim_end_matches('0'))
    }
}

fn num<T: std::str::FromStr>(what: &str, s: &str) -> std::result::Result<T, StakingError> {
    s.parse()
        .map_err(|_| StakingError::Genesis(format!("invalid {what} {s:?}")))
}

// --- conversions ---

pub fn params_to_json(p: &pb::Params) -> std::result::Result<ParamsJson, StakingError> {
    Ok(ParamsJson {
        unbonding_time: format_duration(params::unbonding_time(p)),
        max_validators: p.max_validators,
        max_entries: p.max_entries,
        historical_entries: p.historical_entries,
        bond_denom: p.bond_denom.clone(),
        min_commission_rate: json_dec(params::min_commission_rate(p)?),
    })
}

pub fn params_from_json(j: &ParamsJson) -> std::result::Result<pb::Params, StakingError> {
    let (seconds, nanos) = parse_duration(&j.unbonding_time)?;
    let p = pb::Params {
        unbonding_time: Some(Duration { seconds, nanos }),
        max_validators: j.max_validators,
        max_entries: j.max_entries,
        historical_entries: j.historical_entries,
        bond_denom: j.bond_denom.clone(),
        min_commission_rate: crate::math::proto_dec(parse_json_dec(
            "min commission rate",
            &j.min_commission_rate,
        )?),
    };
    params::validate(&p)?;
    Ok(p)
}

fn status_from_json(s: &str) -> std::result::Result<BondStatus, StakingError> {
    match BondStatus::from_str_name(s) {
        Some(BondStatus::Unspecified) | None => Err(StakingError::Genesis(format!(
            "invalid validator status {s:?}"
        ))),
        Some(st) => Ok(st),
    }
}

pub fn validator_to_json(v: &Validator) -> ValidatorJson {
    ValidatorJson {
        operator_address: valoper(&v.operator),
        consensus_pubkey: PubKeyJson {
            type_url: crate::types::ED25519_PUBKEY_TYPE_URL.into(),
            key: B64.encode(v.consensus_pubkey),
        },
        jailed: v.jailed,
        status: v.status.as_str_name().into(),
        tokens: v.tokens.to_string(),
        delegator_shares: json_dec(v.delegator_shares),
        description: DescriptionJson {
            moniker: v.description.moniker.clone(),
            identity: v.description.identity.clone(),
            website: v.description.website.clone(),
            security_contact: v.description.security_contact.clone(),
            details: v.description.details.clone(),
        },
        unbonding_height: v.unbonding_height.to_string(),
        unbonding_time: format_time(v.unbonding_time),
        commission: CommissionJson {
            commission_rates: CommissionRatesJson {
                rate: json_dec(v.commission.rate),
                max_rate: json_dec(v.commission.max_rate),
                max_change_rate: json_dec(v.commission.max_change_rate),
            },
            update_time: format_time(v.commission.update_time),
        },
        min_self_delegation: v.min_self_delegation.to_string(),
        unbonding_on_hold_ref_count: "0".into(),
        unbonding_ids: Vec::new(),
    }
}

pub fn validator_from_json(j: &ValidatorJson) -> std::result::Result<Validator, StakingError> {
    if j.consensus_pubkey.type_url != crate::types::ED25519_PUBKEY_TYPE_URL {
        return Err(StakingError::InvalidPubKey(format!(
            "{} is not supported; consensus keys must be {}",
            j.consensus_pubkey.type_url,
            crate::types::ED25519_PUBKEY_TYPE_URL
        )));
    }
    let key = B64
        .decode(&j.consensus_pubkey.key)
        .map_err(|e| StakingError::InvalidPubKey(e.to_string()))?;
    let consensus_pubkey = <[u8; 32]>::try_from(key.as_slice())
        .map_err(|_| StakingError::InvalidPubKey("ed25519 keys have 32 bytes".into()))?;
    let c = &j.commission.commission_rates;
    let commission = Commission {
        rate: parse_json_dec("commission rate", &c.rate)?,
        max_rate: parse_json_dec("commission max rate", &c.max_rate)?,
        max_change_rate: parse_json_dec("commission max change rate", &c.max_change_rate)?,
        update_time: parse_time(&j.commission.update_time)?,
    };
    commission.validate()?;
    let d = &j.description;
    Ok(Validator {
        operator: parse_valoper(&j.operator_address)?,
        consensus_pubkey,
        jailed: j.jailed,
        status: status_from_json(&j.status)?,
        tokens: parse_int("tokens", &j.tokens)?,
        delegator_shares: parse_json_dec("delegator shares", &j.delegator_shares)?,
        description: pb::Description {
            moniker: d.moniker.clone(),
            identity: d.identity.clone(),
            website: d.website.clone(),
            security_contact: d.security_contact.clone(),
            details: d.details.clone(),
        },
        unbonding_height: num("unbonding height", &j.unbonding_height)?,
        unbonding_time: parse_time(&j.unbonding_time)?,
        commission,
        min_self_delegation: parse_int("min self delegation", &j.min_self_delegation)?,
    })
}

// --- init and export ---

pub fn init(keeper: &StakingKeeper, ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<()> {
    let g: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(genesis_err)?
    };
    let p = match &g.params {
        None => params::default_params(),
        Some(pj) => params_from_json(pj)?,
    };
    keeper.set_params(ctx, &p)?;
    let mut bonded = 0u128;
    let mut not_bonded = 0u128;
    for vj in &g.validators {
        let v = validator_from_json(vj)?;
        if keeper.validator(ctx, &v.operator)?.is_some() {
            return Err(StakingError::ValidatorOwnerExists(valoper(&v.operator)).into());
        }
        let cons = v.cons_address();
        if keeper.validator_by_cons_addr(ctx, &cons)?.is_some() {
            return Err(StakingError::ValidatorPubKeyExists(valoper(&v.operator)).into());
        }
        keeper.set_validator(ctx, &v)?;
        ctx.set(keys::by_cons_addr(&cons), v.operator.to_hex().into_bytes())?;
        if v.status == BondStatus::Unbonding {
            ctx.set(
                keys::validator_queue(&v.unbonding_time.key(), &v.operator),
                Vec::new(),
            )?;
        }
        if v.is_bonded() {
            bonded += v.tokens;
        } else {
            not_bonded += v.tokens;
        }
    }
    for dj in &g.delegations {
        let d = Delegation {
            delegator: parse_account("delegator", &dj.delegator_address)?,
            validator: parse_valoper(&dj.validator_address)?,
            shares: parse_json_dec("shares", &dj.shares)?,
        };
        keeper.must_validator(ctx, &d.validator)?;
        keeper.set_delegation(ctx, &d)?;
    }
    for uj in &g.unbonding_delegations {
        let u = UnbondingDelegation {
            delegator: parse_account("delegator", &uj.delegator_address)?,
            validator: parse_valoper(&uj.validator_address)?,
            entries: uj
                .entries
                .iter()
                .map(|e| {
                    Ok(UnbondingEntry {
                        creation_height: num("creation height", &e.creation_height)?,
                        completion_time: parse_time(&e.completion_time)?,
                        initial_balance: parse_int("initial balance", &e.initial_balance)?,
                        balance: parse_int("balance", &e.balance)?,
                    })
                })
                .collect::<std::result::Result<_, StakingError>>()?,
        };
        for e in &u.entries {
            not_bonded += e.balance;
            ctx.set(
                keys::unbonding_queue(&e.completion_time.key(), &u.delegator, &u.validator),
                Vec::new(),
            )?;
        }
        keeper.set_unbonding(ctx, &u)?;
    }
    for rj in &g.redelegations {
        let x = Redelegation {
            delegator: parse_account("delegator", &rj.delegator_address)?,
            src: parse_valoper(&rj.validator_src_address)?,
            dst: parse_valoper(&rj.validator_dst_address)?,
            entries: rj
                .entries
                .iter()
                .map(|e| {
                    Ok(RedelegationEntry {
                        creation_height: num("creation height", &e.creation_height)?,
                        completion_time: parse_time(&e.completion_time)?,
                        initial_balance: parse_int("initial balance", &e.initial_balance)?,
                        shares_dst: parse_json_dec("shares dst", &e.shares_dst)?,
                    })
                })
                .collect::<std::result::Result<_, StakingError>>()?,
        };
        for e in &x.entries {
            ctx.set(
                keys::redelegation_queue(&e.completion_time.key(), &x.delegator, &x.src, &x.dst),
                Vec::new(),
            )?;
        }
        keeper.set_redelegation(ctx, &x)?;
    }
    let mut total = 0i64;
    for lp in &g.last_validator_powers {
        let op = parse_valoper(&lp.address)?;
        keeper.must_validator(ctx, &op)?;
        let power: i64 = num("power", &lp.power)?;
        total = total.saturating_add(power);
        ctx.set(keys::last_power(&op), power.to_string().into_bytes())?;
    }
    let declared: i64 = if g.last_total_power.is_empty() {
        0
    } else {
        num("last total power", &g.last_total_power)?
    };
    if declared != total {
        return Err(StakingError::Genesis(format!(
            "last_total_power {declared} is not the sum of last_validator_powers ({total})"
        ))
        .into());
    }
    ctx.set(
        keys::last_total_power().into(),
        total.to_string().into_bytes(),
    )?;
    // The pools in bank's genesis must hold exactly the staked tokens.
    let have_bonded = keeper.total_bonded_tokens(ctx)?;
    let have_not_bonded = keeper.total_not_bonded_tokens(ctx)?;
    if have_bonded != bonded || have_not_bonded != not_bonded {
        return Err(StakingError::Genesis(format!(
            "pool balances (bonded {have_bonded}, not bonded {have_not_bonded}) do not match \
             the staked tokens (bonded {bonded}, not bonded {not_bonded})"
        ))
        .into());
    }
    Ok(())
}

pub fn export_state(keeper: &StakingKeeper, state: &dyn KvRead) -> Result<GenesisState> {
    let mut s = state;
    let p = keeper.params(&mut s)?;
    let powers = keeper.last_validator_powers(&mut s)?;
    Ok(GenesisState {
        params: Some(params_to_json(&p)?),
        last_total_power: keeper.last_total_power(&mut s)?.to_string(),
        last_validator_powers: powers
            .iter()
            .map(|(op, power)| LastValidatorPowerJson {
                address: valoper(op),
                power: power.to_string(),
            })
            .collect(),
        validators: keeper
            .all_validators(&mut s)?
            .iter()
            .map(validator_to_json)
            .collect(),
        delegations: keeper
            .all_delegations(&mut s)?
            .iter()
            .map(|d| DelegationJson {
                delegator_address: d.delegator.to_bech32(),
                validator_address: valoper(&d.validator),
                shares: json_dec(d.shares),
            })
            .collect(),
        unbonding_delegations: keeper
            .all_unbonding_delegations(&mut s)?
            .iter()
            .map(|u| UnbondingDelegationJson {
                delegator_address: u.delegator.to_bech32(),
                validator_address: valoper(&u.validator),
                entries: u
                    .entries
                    .iter()
                    .map(|e| UnbondingEntryJson {
                        creation_height: e.creation_height.to_string(),
                        completion_time: format_time(e.completion_time),
                        initial_balance: e.initial_balance.to_string(),
                        balance: e.balance.to_string(),
                        unbonding_id: "0".into(),
                        unbonding_on_hold_ref_count: "0".into(),
                    })
                    .collect(),
            })
            .collect(),
        redelegations: keeper
            .all_redelegations(&mut s)?
            .iter()
            .map(|x| RedelegationJson {
                delegator_address: x.delegator.to_bech32(),
                validator_src_address: valoper(&x.src),
                validator_dst_address: valoper(&x.dst),
                entries: x
                    .entries
                    .iter()
                    .map(|e| RedelegationEntryJson {
                        creation_height: e.creation_height.to_string(),
                        completion_time: format_time(e.completion_time),
                        initial_balance: e.initial_balance.to_string(),
                        shares_dst: json_dec(e.shares_dst),
                        unbonding_id: "0".into(),
                        unbonding_on_hold_ref_count: "0".into(),
                    })
                    .collect(),
            })
            .collect(),
        exported: true,
    })
}

pub fn export(keeper: &StakingKeeper, state: &dyn KvRead) -> Result<serde_json::Value> {
    serde_json::to_value(export_state(keeper, state)?)
        .map_err(|e| StakingError::Corrupt(e.to_string()).into())
}

// --- gentxs ---

/// A genesis transaction: the signed tx bytes `genesis gentx` writes, or the message itself.
#[derive(Debug, Clone)]
pub enum GenTx {
    /// A protobuf `TxRaw` (or `Tx`, which encodes alike for these fields) holding exactly one
    /// `MsgCreateValidator`.
    TxBytes(Vec<u8>),
    Msg(Box<pb::MsgCreateValidator>),
}

/// The `MsgCreateValidator` inside a gentx's bytes. Signatures are not checked here: the
/// application runs gentx bytes through its ante pipeline (or `collect-gentxs` verifies them).
pub fn decode_gentx(bytes: &[u8]) -> std::result::Result<pb::MsgCreateValidator, StakingError> {
    let raw = TxRaw::decode(bytes).map_err(|e| StakingError::GenTx(format!("not a tx: {e}")))?;
    let body = TxBody::decode(raw.body_bytes.as_slice())
        .map_err(|e| StakingError::GenTx(format!("tx body: {e}")))?;
    let [msg] = body.messages.as_slice() else {
        return Err(StakingError::GenTx(format!(
            "a gentx carries exactly one message, got {}",
            body.messages.len()
        )));
    };
    if msg.type_url != type_url::<pb::MsgCreateValidator>() {
        return Err(StakingError::GenTx(format!(
            "a gentx carries a {}, got {}",
            type_url::<pb::MsgCreateValidator>(),
            msg.type_url
        )));
    }
    pb::MsgCreateValidator::decode(msg.value.as_slice())
        .map_err(|e| StakingError::GenTx(format!("MsgCreateValidator: {e}")))
}

impl StakingKeeper {
    /// Delivers gentxs after every module's `init_genesis` (the self-delegations come out of the
    /// operators' genesis balances) and returns the first validator set, what `InitChain`
    /// answers CometBFT with. A bad gentx fails genesis, naming its index.
    #[allow(deprecated)]
    pub fn deliver_gentxs(
        &self,
        ctx: &mut Ctx<'_>,
        gentxs: &[GenTx],
    ) -> Result<Vec<ValidatorUpdate>> {
        for (i, g) in gentxs.iter().enumerate() {
            let msg = match g {
                GenTx::TxBytes(b) => {
                    decode_gentx(b).map_err(|e| AbciError::from(e).context(format!("gentx {i}")))?
                }
                GenTx::Msg(m) => (**m).clone(),
            };
            crate::msgs::validate_create_validator(&msg)
                .map_err(|e| e.context(format!("gentx {i}")))?;
            ctx.branch(|c| self.create_validator(c, &msg))
                .map_err(|e| e.context(format!("gentx {i}")))?;
        }
        self.apply_validator_set_updates(ctx)
    }
}

impl StakingKeeper {
    /// What `InitChain` answers CometBFT with, after every module's `init_genesis`: delivers
    /// `gentxs` (none for an exported genesis), bonds the top validators, and returns the whole
    /// set (an exported genesis already has its set in `last_validator_powers`, so the changes
    /// alone would be empty).
    pub fn init_chain_validators(
        &self,
        ctx: &mut Ctx<'_>,
        gentxs: &[GenTx],
    ) -> Result<Vec<ValidatorUpdate>> {
        self.deliver_gentxs(ctx, gentxs)?;
        self.validator_set(ctx)
    }
}

/// Operator addresses of gentxs (for `collect-gentxs` to report and check duplicates).
pub fn gentx_operator(msg: &pb::MsgCreateValidator) -> std::result::Result<Address, StakingError> {
    crate::validator::create_validator_signer(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_roundtrip() {
        for (s, secs) in [
            ("1970-01-01T00:00:00Z", 0),
            ("2024-02-29T12:34:56Z", 1_709_210_096),
            ("2000-03-01T00:00:00Z", 951_868_800),
        ] {
            let t = parse_time(s).unwrap();
            assert_eq!(t.seconds, secs, "{s}");
            assert_eq!(format_time(t), s);
        }
        let t = parse_time("2024-01-01T00:00:00.5Z").unwrap();
        assert_eq!(t.nanos, 500_000_000);
        assert_eq!(format_time(t), "2024-01-01T00:00:00.5Z");
        assert!(parse_time("2024-13-01T00:00:00Z").is_err());
        assert!(parse_time("yesterday").is_err());
        assert_eq!(parse_duration("1814400s").unwrap(), (1_814_400, 0));
        assert_eq!(parse_duration("1.5s").unwrap(), (1, 500_000_000));
        assert_eq!(format_duration((1, 500_000_000)), "1.5s");
        assert!(parse_duration("10m").is_err());
    }
}
