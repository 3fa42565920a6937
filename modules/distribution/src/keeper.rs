//! The distribution keeper: its dependencies and typed access to every record it stores
//! (params, the community pool, withdraw addresses and the F1 records). The reward logic is in
//! [`crate::rewards`] and [`crate::allocation`].

use cosmrs::proto::cosmos::distribution::v1beta1 as pb;
use openledger_bank::BankKeeper;
use openledger_framework::math::{parse_proto_dec, proto_dec};
use openledger_framework::{AbciError, Address, Ctx, Dec, StateRead};
use openledger_staking::StakingKeeper;
use prost::Message;

use crate::dec_coins::{DecCoins, DecCoinsError};
use crate::params::Params;
use crate::{DistributionError, keys};

pub(crate) type Result<T> = std::result::Result<T, AbciError>;

/// A `DecCoins` failure inside the reward accounting: overflow, or an amount that would go
/// negative (the SDK panics there; we refuse the operation).
pub(crate) fn dc_err(e: DecCoinsError) -> AbciError {
    match e {
        DecCoinsError::Overflow(s) => DistributionError::Overflow(s).into(),
        DecCoinsError::Negative(s) => DistributionError::Invariant(s).into(),
        DecCoinsError::Invalid(s) => DistributionError::InvalidCoins(s).into(),
    }
}

fn corrupt(key: &str, e: impl std::fmt::Display) -> AbciError {
    DistributionError::Corrupt(format!("{key}: {e}")).into()
}

fn load<M: Message + Default>(r: &mut impl StateRead, key: &str) -> Result<Option<M>> {
    match r.read(key)? {
        None => Ok(None),
        Some(b) => M::decode(b.as_slice())
            .map(Some)
            .map_err(|e| corrupt(key, e)),
    }
}

pub(crate) fn decode<M: Message + Default>(key: &str, bytes: &[u8]) -> Result<M> {
    M::decode(bytes).map_err(|e| corrupt(key, e))
}

pub(crate) fn dec_coins(
    key: &str,
    coins: &[cosmrs::proto::cosmos::base::v1beta1::DecCoin],
) -> Result<DecCoins> {
    DecCoins::from_proto(coins).map_err(|e| corrupt(key, e))
}

/// A validator's cumulative reward ratio up to the end of a period, and how many delegations
/// and slash events still refer to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoricalRewards {
    pub cumulative_reward_ratio: DecCoins,
    pub reference_count: u32,
}

/// Rewards of a validator's current period, not yet folded into a ratio.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentRewards {
    pub rewards: DecCoins,
    pub period: u64,
}

/// Where a delegation's reward accounting starts: the period it last settled, its stake in
/// tokens then, and the height.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartingInfo {
    pub previous_period: u64,
    pub stake: Dec,
    pub height: u64,
}

/// A slash of a validator: the period it ended and the fraction of its tokens cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SlashEvent {
    pub height: u64,
    pub validator_period: u64,
    pub fraction: Dec,
}

/// Keeper of rewards, commission and the community pool: the only way into distribution state.
#[derive(Clone)]
pub struct DistributionKeeper {
    pub(crate) bank: BankKeeper,
    pub(crate) staking: StakingKeeper,
    pub(crate) authority: Address,
    pub(crate) fee_collector: &'static str,
}

impl DistributionKeeper {
    /// `authority` signs `MsgUpdateParams` and `MsgCommunityPoolSpend` (the gov module account);
    /// `fee_collector` is the module account fees and minted coins are collected in.
    pub fn new(
        bank: BankKeeper,
        staking: StakingKeeper,
        authority: Address,
        fee_collector: &'static str,
    ) -> Self {
        Self {
            bank,
            staking,
            authority,
            fee_collector,
        }
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn staking(&self) -> &StakingKeeper {
        &self.staking
    }

    pub fn bank(&self) -> &BankKeeper {
        &self.bank
    }

    /// The module account holding every reward and the community pool.
    pub fn module_address() -> Address {
        Address::module(crate::MODULE_NAME)
    }

    // --- params ---

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params> {
        match load::<pb::Params>(r, keys::params())? {
            None => Ok(Params::default()),
            Some(p) => Params::from_proto(&p).map_err(|e| corrupt(keys::params(), e)),
        }
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<()> {
        p.validate()?;
        ctx.set(keys::params().into(), p.to_proto().encode_to_vec())
    }

    // --- community pool ---

    pub fn community_pool(&self, r: &mut impl StateRead) -> Result<DecCoins> {
        match load::<pb::FeePool>(r, keys::fee_pool())? {
            None => Ok(DecCoins::new()),
            Some(p) => dec_coins(keys::fee_pool(), &p.community_pool),
        }
    }

    pub(crate) fn set_community_pool(&self, ctx: &mut Ctx<'_>, pool: &DecCoins) -> Result<()> {
        let fp = pb::FeePool {
            community_pool: pool.to_proto(),
        };
        ctx.set(keys::fee_pool().into(), fp.encode_to_vec())
    }

    pub(crate) fn add_to_community_pool(&self, ctx: &mut Ctx<'_>, coins: &DecCoins) -> Result<()> {
        if coins.is_empty() {
            return Ok(());
        }
        let pool = self.community_pool(ctx)?.add(coins).map_err(dc_err)?;
        self.set_community_pool(ctx, &pool)
    }

    // --- previous proposer ---

    pub fn previous_proposer(&self, r: &mut impl StateRead) -> Result<Option<Address>> {
        match r.read(keys::previous_proposer())? {
            None => Ok(None),
            Some(b) => Address::from_slice(&b)
                .map(Some)
                .map_err(|e| corrupt(keys::previous_proposer(), e)),
        }
    }

    pub(crate) fn set_previous_proposer(&self, ctx: &mut Ctx<'_>, cons: &Address) -> Result<()> {
        ctx.set(keys::previous_proposer().into(), cons.as_bytes().to_vec())
    }

    // --- withdraw addresses ---

    /// Where `del`'s rewards go: the address it set, or itself.
    pub fn withdraw_addr(&self, r: &mut impl StateRead, del: &Address) -> Result<Address> {
        let key = keys::withdraw_addr(del);
        match r.read(&key)? {
            None => Ok(*del),
            Some(b) => Address::from_slice(&b).map_err(|e| corrupt(&key, e)),
        }
    }

    pub(crate) fn store_withdraw_addr(
        &self,
        ctx: &mut Ctx<'_>,
        del: &Address,
        to: &Address,
    ) -> Result<()> {
        ctx.set(keys::withdraw_addr(del), to.as_bytes().to_vec())
    }

    /// Every withdraw address set, by delegator.
    pub fn all_withdraw_addrs(&self, r: &mut impl StateRead) -> Result<Vec<(Address, Address)>> {
        r.read_prefix(keys::all_withdraw_addrs())?
            .into_iter()
            .map(|(k, v)| {
                let del = keys::address_after(keys::all_withdraw_addrs(), &k)
                    .ok_or_else(|| corrupt(&k, "bad address"))?;
                let to = Address::from_slice(&v).map_err(|e| corrupt(&k, e))?;
                Ok((del, to))
            })
            .collect()
    }

    // --- outstanding rewards and commission ---

    /// Rewards allocated to a validator and not yet withdrawn (commission included).
    pub fn outstanding_rewards(&self, r: &mut impl StateRead, val: &Address) -> Result<DecCoins> {
        let key = keys::outstanding(val);
        match load::<pb::ValidatorOutstandingRewards>(r, &key)? {
            None => Ok(DecCoins::new()),
            Some(o) => dec_coins(&key, &o.rewards),
        }
    }

    pub(crate) fn set_outstanding_rewards(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        rewards: &DecCoins,
    ) -> Result<()> {
        let o = pb::ValidatorOutstandingRewards {
            rewards: rewards.to_proto(),
        };
        ctx.set(keys::outstanding(val), o.encode_to_vec())
    }

    /// Commission accumulated by a validator and not yet withdrawn.
    pub fn accumulated_commission(
        &self,
        r: &mut impl StateRead,
        val: &Address,
    ) -> Result<DecCoins> {
        let key = keys::commission(val);
        match load::<pb::ValidatorAccumulatedCommission>(r, &key)? {
            None => Ok(DecCoins::new()),
            Some(c) => dec_coins(&key, &c.commission),
        }
    }

    pub(crate) fn set_accumulated_commission(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        commission: &DecCoins,
    ) -> Result<()> {
        let c = pb::ValidatorAccumulatedCommission {
            commission: commission.to_proto(),
        };
        ctx.set(keys::commission(val), c.encode_to_vec())
    }

    /// Validators with an outstanding-rewards record (every validator distribution knows).
    pub fn tracked_validators(&self, r: &mut impl StateRead) -> Result<Vec<Address>> {
        r.read_prefix(keys::all_outstanding())?
            .into_iter()
            .map(|(k, _)| {
                keys::address_after(keys::all_outstanding(), &k)
                    .ok_or_else(|| corrupt(&k, "bad address"))
            })
            .collect()
    }

    // --- F1 records ---

    pub fn historical_rewards(
        &self,
        r: &mut impl StateRead,
        val: &Address,
        period: u64,
    ) -> Result<Option<HistoricalRewards>> {
        let key = keys::historical(val, period);
        match load::<pb::ValidatorHistoricalRewards>(r, &key)? {
            None => Ok(None),
            Some(h) => Ok(Some(HistoricalRewards {
                cumulative_reward_ratio: dec_coins(&key, &h.cumulative_reward_ratio)?,
                reference_count: h.reference_count,
            })),
        }
    }

    pub(crate) fn set_historical_rewards(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        period: u64,
        h: &HistoricalRewards,
    ) -> Result<()> {
        let p = pb::ValidatorHistoricalRewards {
            cumulative_reward_ratio: h.cumulative_reward_ratio.to_proto(),
            reference_count: h.reference_count,
        };
        ctx.set(keys::historical(val, period), p.encode_to_vec())
    }

    /// Every historical record of a validator, by period.
    pub fn historical_rewards_of(
        &self,
        r: &mut impl StateRead,
        val: &Address,
    ) -> Result<Vec<(u64, HistoricalRewards)>> {
        let prefix = keys::historicals_of(val);
        let mut out = Vec::new();
        for (k, v) in r.read_prefix(&prefix)? {
            let period = k
                .strip_prefix(&prefix)
                .and_then(|p| p.parse().ok())
                .ok_or_else(|| corrupt(&k, "bad period"))?;
            let h: pb::ValidatorHistoricalRewards = decode(&k, &v)?;
            out.push((
                period,
                HistoricalRewards {
                    cumulative_reward_ratio: dec_coins(&k, &h.cumulative_reward_ratio)?,
                    reference_count: h.reference_count,
                },
            ));
        }
        Ok(out)
    }

    pub fn current_rewards(
        &self,
        r: &mut impl StateRead,
        val: &Address,
    ) -> Result<Option<CurrentRewards>> {
        let key = keys::current(val);
        match load::<pb::ValidatorCurrentRewards>(r, &key)? {
            None => Ok(None),
            Some(c) => Ok(Some(CurrentRewards {
                rewards: dec_coins(&key, &c.rewards)?,
                period: c.period,
            })),
        }
    }

    pub(crate) fn set_current_rewards(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        c: &CurrentRewards,
    ) -> Result<()> {
        let p = pb::ValidatorCurrentRewards {
            rewards: c.rewards.to_proto(),
            period: c.period,
        };
        ctx.set(keys::current(val), p.encode_to_vec())
    }

    pub fn starting_info(
        &self,
        r: &mut impl StateRead,
        val: &Address,
        del: &Address,
    ) -> Result<Option<StartingInfo>> {
        let key = keys::starting_info(val, del);
        match load::<pb::DelegatorStartingInfo>(r, &key)? {
            None => Ok(None),
            Some(s) => Ok(Some(starting_from_proto(&key, &s)?)),
        }
    }

    pub(crate) fn set_starting_info(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        del: &Address,
        s: &StartingInfo,
    ) -> Result<()> {
        ctx.set(
            keys::starting_info(val, del),
            starting_to_proto(s).encode_to_vec(),
        )
    }

    /// Every starting info: (validator, delegator, info).
    pub fn all_starting_infos(
        &self,
        r: &mut impl StateRead,
    ) -> Result<Vec<(Address, Address, StartingInfo)>> {
        let prefix = keys::all_starting_infos();
        let mut out = Vec::new();
        for (k, v) in r.read_prefix(prefix)? {
            let (val, rest) =
                keys::address_and_rest(prefix, &k).ok_or_else(|| corrupt(&k, "bad key"))?;
            let del = Address::from_hex(rest).map_err(|e| corrupt(&k, e))?;
            out.push((val, del, starting_from_proto(&k, &decode(&k, &v)?)?));
        }
        Ok(out)
    }

    /// A validator's slash events, by height then period.
    pub fn slash_events(&self, r: &mut impl StateRead, val: &Address) -> Result<Vec<SlashEvent>> {
        let prefix = keys::slash_events_of(val);
        let mut out = Vec::new();
        for (k, v) in r.read_prefix(&prefix)? {
            let height = k
                .strip_prefix(&prefix)
                .and_then(|rest| rest.split_once('/'))
                .and_then(|(h, _)| h.parse().ok())
                .ok_or_else(|| corrupt(&k, "bad height"))?;
            let e: pb::ValidatorSlashEvent = decode(&k, &v)?;
            out.push(SlashEvent {
                height,
                validator_period: e.validator_period,
                fraction: parse_proto_dec(&e.fraction).map_err(|err| corrupt(&k, err))?,
            });
        }
        Ok(out)
    }

    pub(crate) fn set_slash_event(
        &self,
        ctx: &mut Ctx<'_>,
        val: &Address,
        e: &SlashEvent,
    ) -> Result<()> {
        let p = pb::ValidatorSlashEvent {
            validator_period: e.validator_period,
            fraction: proto_dec(e.fraction),
        };
        ctx.set(
            keys::slash_event(val, e.height, e.validator_period),
            p.encode_to_vec(),
        )
    }

    /// Deletes every key under `prefix`.
    pub(crate) fn delete_prefix(&self, ctx: &mut Ctx<'_>, prefix: &str) -> Result<()> {
        for (k, _) in ctx.prefix(prefix)? {
            ctx.delete(k)?;
        }
        Ok(())
    }
}

fn starting_from_proto(key: &str, s: &pb::DelegatorStartingInfo) -> Result<StartingInfo> {
    Ok(StartingInfo {
        previous_period: s.previous_period,
        stake: parse_proto_dec(&s.stake).map_err(|e| corrupt(key, e))?,
        height: s.height,
    })
}

pub(crate) fn starting_to_proto(s: &StartingInfo) -> pb::DelegatorStartingInfo {
    pb::DelegatorStartingInfo {
        previous_period: s.previous_period,
        stake: proto_dec(s.stake),
        height: s.height,
    }
}
