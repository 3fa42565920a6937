//! `app_state.distribution` in genesis.json, in the Cosmos SDK's JSON shape (snake_case fields,
//! decimals as `"0.020000000000000000"`, 64-bit integers as strings). Import checks, as the
//! SDK does, that the distribution module account holds exactly the whole part of the
//! community pool plus every validator's outstanding rewards (bank's genesis must come first).

use openledger_framework::address::VALCONS_PREFIX;
use openledger_framework::json::U64;
use openledger_framework::math::parse_json_dec;
use openledger_framework::{Address, Ctx, KvRead};
use openledger_staking::valoper;
use serde::{Deserialize, Serialize};

use crate::dec_coins::{DecCoinJson, DecCoins};
use crate::keeper::{CurrentRewards, HistoricalRewards, Result, SlashEvent, StartingInfo};
use crate::msgs::{parse_account, parse_valoper};
use crate::params::Params;
use crate::{DistributionError, DistributionKeeper};

fn gerr(e: impl std::fmt::Display) -> DistributionError {
    DistributionError::Genesis(e.to_string())
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GenesisState {
    #[serde(default)]
    pub params: Option<ParamsJson>,
    #[serde(default)]
    pub fee_pool: FeePoolJson,
    #[serde(default)]
    pub delegator_withdraw_infos: Vec<WithdrawInfoJson>,
    #[serde(default)]
    pub previous_proposer: String,
    #[serde(default)]
    pub outstanding_rewards: Vec<OutstandingRewardsJson>,
    #[serde(default)]
    pub validator_accumulated_commissions: Vec<AccumulatedCommissionRecordJson>,
    #[serde(default)]
    pub validator_historical_rewards: Vec<HistoricalRewardsRecordJson>,
    #[serde(default)]
    pub validator_current_rewards: Vec<CurrentRewardsRecordJson>,
    #[serde(default)]
    pub delegator_starting_infos: Vec<StartingInfoRecordJson>,
    #[serde(default)]
    pub validator_slash_events: Vec<SlashEventRecordJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParamsJson {
    pub community_tax: String,
    #[serde(default = "zero_dec")]
    pub base_proposer_reward: String,
    #[serde(default = "zero_dec")]
    pub bonus_proposer_reward: String,
    pub withdraw_addr_enabled: bool,
}

fn zero_dec() -> String {
    "0.000000000000000000".into()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct FeePoolJson {
    #[serde(default)]
    pub community_pool: Vec<DecCoinJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WithdrawInfoJson {
    pub delegator_address: String,
    pub withdraw_address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutstandingRewardsJson {
    pub validator_address: String,
    #[serde(default)]
    pub outstanding_rewards: Vec<DecCoinJson>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AccumulatedCommissionJson {
    #[serde(default)]
    pub commission: Vec<DecCoinJson>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccumulatedCommissionRecordJson {
    pub validator_address: String,
    #[serde(default)]
    pub accumulated: AccumulatedCommissionJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoricalRewardsJson {
    #[serde(default)]
    pub cumulative_reward_ratio: Vec<DecCoinJson>,
    pub reference_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoricalRewardsRecordJson {
    pub validator_address: String,
    pub period: U64,
    pub rewards: HistoricalRewardsJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurrentRewardsJson {
    #[serde(default)]
    pub rewards: Vec<DecCoinJson>,
    pub period: U64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CurrentRewardsRecordJson {
    pub validator_address: String,
    pub rewards: CurrentRewardsJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartingInfoJson {
    pub previous_period: U64,
    pub stake: String,
    pub height: U64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartingInfoRecordJson {
    pub delegator_address: String,
    pub validator_address: String,
    pub starting_info: StartingInfoJson,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlashEventJson {
    pub validator_period: U64,
    pub fraction: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SlashEventRecordJson {
    pub validator_address: String,
    pub height: U64,
    pub period: U64,
    pub validator_slash_event: SlashEventJson,
}

fn dec_coins(what: &str, c: &[DecCoinJson]) -> std::result::Result<DecCoins, DistributionError> {
    DecCoins::from_json(c).map_err(|e| gerr(format!("{what}: {e}")))
}

fn params_from_json(p: &ParamsJson) -> std::result::Result<Params, DistributionError> {
    let dec = |what: &str, s: &str| parse_json_dec(s).map_err(|e| gerr(format!("{what}: {e}")));
    let out = Params {
        community_tax: dec("community_tax", &p.community_tax)?,
        base_proposer_reward: dec("base_proposer_reward", &p.base_proposer_reward)?,
        bonus_proposer_reward: dec("bonus_proposer_reward", &p.bonus_proposer_reward)?,
        withdraw_addr_enabled: p.withdraw_addr_enabled,
    };
    out.validate()?;
    Ok(out)
}

fn params_to_json(p: &Params) -> ParamsJson {
    ParamsJson {
        community_tax: p.community_tax.to_string(),
        base_proposer_reward: p.base_proposer_reward.to_string(),
        bonus_proposer_reward: p.bonus_proposer_reward.to_string(),
        withdraw_addr_enabled: p.withdraw_addr_enabled,
    }
}

fn account(what: &str, s: &str) -> std::result::Result<Address, DistributionError> {
    parse_account(
        what,
        s,
        DistributionError::Genesis(format!("{what} address is empty")),
    )
    .map_err(gerr)
}

fn validator(s: &str) -> std::result::Result<Address, DistributionError> {
    parse_valoper(s).map_err(gerr)
}

pub fn init(
    keeper: &DistributionKeeper,
    ctx: &mut Ctx<'_>,
    genesis: &serde_json::Value,
) -> Result<()> {
    let g: GenesisState = if genesis.is_null() {
        GenesisState::default()
    } else {
        serde_json::from_value(genesis.clone()).map_err(gerr)?
    };
    let params = match &g.params {
        None => Params::default(),
        Some(p) => params_from_json(p)?,
    };
    keeper.set_params(ctx, &params)?;
    let pool = dec_coins("community_pool", &g.fee_pool.community_pool)?;
    keeper.set_community_pool(ctx, &pool)?;
    let mut holdings = pool;
    for w in &g.delegator_withdraw_infos {
        let del = account("delegator", &w.delegator_address)?;
        let to = account("withdraw", &w.withdraw_address)?;
        keeper.store_withdraw_addr(ctx, &del, &to)?;
    }
    if !g.previous_proposer.is_empty() {
        let id: cosmrs::AccountId = g
            .previous_proposer
            .parse()
            .map_err(|e: cosmrs::ErrorReport| gerr(format!("previous_proposer: {e}")))?;
        if id.prefix() != VALCONS_PREFIX {
            return Err(gerr(format!(
                "previous_proposer must have prefix {VALCONS_PREFIX}"
            ))
            .into());
        }
        let cons = Address::from_slice(&id.to_bytes()).map_err(gerr)?;
        keeper.set_previous_proposer(ctx, &cons)?;
    }
    for o in &g.outstanding_rewards {
        let val = validator(&o.validator_address)?;
        let rewards = dec_coins("outstanding_rewards", &o.outstanding_rewards)?;
        holdings = holdings.add(&rewards).map_err(gerr)?;
        keeper.set_outstanding_rewards(ctx, &val, &rewards)?;
    }
    for c in &g.validator_accumulated_commissions {
        let val = validator(&c.validator_address)?;
        let commission = dec_coins("accumulated commission", &c.accumulated.commission)?;
        keeper.set_accumulated_commission(ctx, &val, &commission)?;
    }
    for h in &g.validator_historical_rewards {
        let val = validator(&h.validator_address)?;
        let rewards = HistoricalRewards {
            cumulative_reward_ratio: dec_coins(
                "cumulative_reward_ratio",
                &h.rewards.cumulative_reward_ratio,
            )?,
            reference_count: h.rewards.reference_count,
        };
        keeper.set_historical_rewards(ctx, &val, h.period.0, &rewards)?;
    }
    for c in &g.validator_current_rewards {
        let val = validator(&c.validator_address)?;
        let rewards = CurrentRewards {
            rewards: dec_coins("current rewards", &c.rewards.rewards)?,
            period: c.rewards.period.0,
        };
        keeper.set_current_rewards(ctx, &val, &rewards)?;
    }
    for s in &g.delegator_starting_infos {
        let del = account("delegator", &s.delegator_address)?;
        let val = validator(&s.validator_address)?;
        let info = StartingInfo {
            previous_period: s.starting_info.previous_period.0,
            stake: parse_json_dec(&s.starting_info.stake)
                .map_err(|e| gerr(format!("stake: {e}")))?,
            height: s.starting_info.height.0,
        };
        keeper.set_starting_info(ctx, &val, &del, &info)?;
    }
    for e in &g.validator_slash_events {
        let val = validator(&e.validator_address)?;
        let fraction = parse_json_dec(&e.validator_slash_event.fraction)
            .map_err(|err| gerr(format!("slash fraction: {err}")))?;
        if fraction > openledger_framework::Dec::ONE {
            return Err(gerr(format!("slash fraction {fraction} is above 1")).into());
        }
        keeper.set_slash_event(
            ctx,
            &val,
            &SlashEvent {
                height: e.height.0,
                validator_period: e.validator_slash_event.validator_period.0,
                fraction,
            },
        )?;
    }
    let (expected, _) = holdings.truncate_decimal();
    let balance = keeper
        .bank
        .all_balances(&mut ctx.state(), &DistributionKeeper::module_address())?;
    if balance != expected {
        return Err(gerr(format!(
            "distribution module balance {balance:?} does not match the module holdings {expected:?} (community pool + outstanding rewards)"
        ))
        .into());
    }
    Ok(())
}

pub fn export_state(keeper: &DistributionKeeper, state: &dyn KvRead) -> Result<GenesisState> {
    let mut s = state;
    let k = keeper;
    let mut outstanding_rewards = Vec::new();
    let mut commissions = Vec::new();
    let mut historical = Vec::new();
    let mut current = Vec::new();
    let mut slash_events = Vec::new();
    for val in k.tracked_validators(&mut s)? {
        outstanding_rewards.push(OutstandingRewardsJson {
            validator_address: valoper(&val),
            outstanding_rewards: k.outstanding_rewards(&mut s, &val)?.to_json(),
        });
        commissions.push(AccumulatedCommissionRecordJson {
            validator_address: valoper(&val),
            accumulated: AccumulatedCommissionJson {
                commission: k.accumulated_commission(&mut s, &val)?.to_json(),
            },
        });
        for (period, h) in k.historical_rewards_of(&mut s, &val)? {
            historical.push(HistoricalRewardsRecordJson {
                validator_address: valoper(&val),
                period: U64(period),
                rewards: HistoricalRewardsJson {
                    cumulative_reward_ratio: h.cumulative_reward_ratio.to_json(),
                    reference_count: h.reference_count,
                },
            });
        }
        if let Some(c) = k.current_rewards(&mut s, &val)? {
            current.push(CurrentRewardsRecordJson {
                validator_address: valoper(&val),
                rewards: CurrentRewardsJson {
                    rewards: c.rewards.to_json(),
                    period: U64(c.period),
                },
            });
        }
        for e in k.slash_events(&mut s, &val)? {
            slash_events.push(SlashEventRecordJson {
                validator_address: valoper(&val),
                height: U64(e.height),
                period: U64(e.validator_period),
                validator_slash_event: SlashEventJson {
                    validator_period: U64(e.validator_period),
                    fraction: e.fraction.to_string(),
                },
            });
        }
    }
    Ok(GenesisState {
        params: Some(params_to_json(&k.params(&mut s)?)),
        fee_pool: FeePoolJson {
            community_pool: k.community_pool(&mut s)?.to_json(),
        },
        delegator_withdraw_infos: k
            .all_withdraw_addrs(&mut s)?
            .into_iter()
            .map(|(del, to)| WithdrawInfoJson {
                delegator_address: del.to_bech32(),
                withdraw_address: to.to_bech32(),
            })
            .collect(),
        previous_proposer: k
            .previous_proposer(&mut s)?
            .map(|c| c.with_prefix(VALCONS_PREFIX))
            .unwrap_or_default(),
        outstanding_rewards,
        validator_accumulated_commissions: commissions,
        validator_historical_rewards: historical,
        validator_current_rewards: current,
        delegator_starting_infos: k
            .all_starting_infos(&mut s)?
            .into_iter()
            .map(|(val, del, info)| StartingInfoRecordJson {
                delegator_address: del.to_bech32(),
                validator_address: valoper(&val),
                starting_info: StartingInfoJson {
                    previous_period: U64(info.previous_period),
                    stake: info.stake.to_string(),
                    height: U64(info.height),
                },
            })
            .collect(),
        validator_slash_events: slash_events,
    })
}

pub fn export(keeper: &DistributionKeeper, state: &dyn KvRead) -> Result<serde_json::Value> {
    serde_json::to_value(export_state(keeper, state)?)
        .map_err(|e| DistributionError::Corrupt(e.to_string()).into())
}
