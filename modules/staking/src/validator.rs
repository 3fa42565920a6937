//! Creating and editing validators.

use cosmrs::proto::cosmos::staking::v1beta1::{Description, MsgCreateValidator, MsgEditValidator};
use openledger_framework::{Address, Coin, Ctx, Dec, Event, Result};

use crate::delegation::TokenSource;
use crate::math::{parse_int, parse_proto_dec};
use crate::types::{decode_consensus_pubkey, parse_account, parse_valoper};
use crate::{
    BondStatus, Commission, StakingError, StakingKeeper, Time, Validator, now, params, valoper,
};

/// The SDK's marker for "leave this description field as it is" in `MsgEditValidator`.
pub const DO_NOT_MODIFY: &str = "[do-not-modify]";
/// A commission rate may change at most once per this many seconds.
pub const COMMISSION_UPDATE_PERIOD_SECONDS: i64 = 24 * 3600;

const MAX_MONIKER: usize = 70;
const MAX_IDENTITY: usize = 3000;
const MAX_WEBSITE: usize = 140;
const MAX_SECURITY_CONTACT: usize = 140;
const MAX_DETAILS: usize = 280;

pub fn validate_description(d: &Description) -> std::result::Result<(), StakingError> {
    if d.moniker.trim().is_empty() {
        return Err(StakingError::InvalidDescription(
            "moniker must not be empty".into(),
        ));
    }
    for (name, value, max) in [
        ("moniker", &d.moniker, MAX_MONIKER),
        ("identity", &d.identity, MAX_IDENTITY),
        ("website", &d.website, MAX_WEBSITE),
        (
            "security contact",
            &d.security_contact,
            MAX_SECURITY_CONTACT,
        ),
        ("details", &d.details, MAX_DETAILS),
    ] {
        if value.len() > max {
            return Err(StakingError::InvalidDescription(format!(
                "{name} is {} bytes, over the limit of {max}",
                value.len()
            )));
        }
    }
    Ok(())
}

#[allow(deprecated)] // `delegator_address` is deprecated upstream; a non-empty one is still checked.
/// The operator of a `MsgCreateValidator` (who signs it and self-delegates): the account with
/// the operator address's bytes; a non-empty `delegator_address` (deprecated) must match it.
pub fn create_validator_signer(
    msg: &MsgCreateValidator,
) -> std::result::Result<Address, StakingError> {
    let op = parse_valoper(&msg.validator_address)?;
    if !msg.delegator_address.is_empty() {
        let del = parse_account("delegator", &msg.delegator_address)?;
        if del != op {
            return Err(StakingError::InvalidRequest(format!(
                "delegator address {} does not match validator address {}",
                msg.delegator_address, msg.validator_address
            )));
        }
    }
    Ok(op)
}

impl StakingKeeper {
    /// `MsgCreateValidator`: a new unbonded validator with its self-delegation; it joins the
    /// set at the end of the block if its stake ranks in the top `max_validators`.
    pub fn create_validator(&self, ctx: &mut Ctx<'_>, msg: &MsgCreateValidator) -> Result<()> {
        let p = self.params(ctx)?;
        let op = create_validator_signer(msg)?;
        if self.validator(ctx, &op)?.is_some() {
            return Err(StakingError::ValidatorOwnerExists(valoper(&op)).into());
        }
        let pubkey = decode_consensus_pubkey(msg.pubkey.as_ref())?;
        let cons = crate::cons_address(&pubkey);
        if let Some(other) = self.validator_by_cons_addr(ctx, &cons)? {
            return Err(StakingError::ValidatorPubKeyExists(valoper(&other.operator)).into());
        }
        let value = msg.value.as_ref().ok_or_else(|| {
            StakingError::BadDelegationAmount("self delegation is missing".into())
        })?;
        let value = Coin::from_proto(value)?;
        crate::params::check_bond_coin(&p.bond_denom, &value)?;
        let rates = msg.commission.as_ref().ok_or_else(|| {
            StakingError::InvalidCommission("commission rates are missing".into())
        })?;
        let mut commission = Commission::from_rates(rates)?;
        let min_rate = params::min_commission_rate(&p)?;
        if commission.rate < min_rate {
            return Err(StakingError::CommissionLtMinRate {
                rate: commission.rate.to_string(),
                min: min_rate.to_string(),
            }
            .into());
        }
        let min_self = parse_int("min self delegation", &msg.min_self_delegation)?;
        if min_self == 0 {
            return Err(
                StakingError::MinSelfDelegationInvalid(msg.min_self_delegation.clone()).into(),
            );
        }
        if value.amount < min_self {
            return Err(StakingError::SelfDelegationBelowMinimum {
                amount: value.to_string(),
                min: min_self.to_string(),
            }
            .into());
        }
        let description = msg.description.clone().unwrap_or_default();
        validate_description(&description)?;
        commission.update_time = now(ctx);
        let mut v = Validator {
            operator: op,
            consensus_pubkey: pubkey,
            jailed: false,
            status: BondStatus::Unbonded,
            tokens: 0,
            delegator_shares: Dec::ZERO,
            description,
            unbonding_height: 0,
            unbonding_time: Time::default(),
            commission,
            min_self_delegation: min_self,
        };
        self.set_validator(ctx, &v)?;
        ctx.set(crate::keys::by_cons_addr(&cons), op.to_hex().into_bytes())?;
        if let Some(h) = self.hooks() {
            h.after_validator_created(ctx, &op)?;
        }
        self.delegate(ctx, &op, &mut v, value.amount, TokenSource::Account)?;
        ctx.emit(
            Event::new("create_validator")
                .attr("validator", valoper(&op))
                .attr("amount", value.to_string()),
        );
        Ok(())
    }

    /// `MsgEditValidator`: description, commission rate (within max rate and max change rate,
    /// once per 24h) and a higher minimum self-delegation.
    pub fn edit_validator(&self, ctx: &mut Ctx<'_>, msg: &MsgEditValidator) -> Result<()> {
        let op = parse_valoper(&msg.validator_address)?;
        let mut v = self.must_validator(ctx, &op)?;
        if let Some(d) = &msg.description {
            let keep = |new: &str, old: &str| {
                if new == DO_NOT_MODIFY {
                    old.to_string()
                } else {
                    new.to_string()
                }
            };
            let merged = Description {
                moniker: keep(&d.moniker, &v.description.moniker),
                identity: keep(&d.identity, &v.description.identity),
                website: keep(&d.website, &v.description.website),
                security_contact: keep(&d.security_contact, &v.description.security_contact),
                details: keep(&d.details, &v.description.details),
            };
            validate_description(&merged)?;
            v.description = merged;
        }
        if !msg.commission_rate.is_empty() {
            let rate = parse_proto_dec("commission rate", &msg.commission_rate)?;
            let now = now(ctx);
            let c = &mut v.commission;
            if now < c.update_time.plus((COMMISSION_UPDATE_PERIOD_SECONDS, 0)) {
                return Err(StakingError::CommissionUpdateTime.into());
            }
            if rate > c.max_rate {
                return Err(StakingError::CommissionGtMaxRate {
                    rate: rate.to_string(),
                    max: c.max_rate.to_string(),
                }
                .into());
            }
            let change = if rate > c.rate {
                Dec::from_atomics(rate.atomics() - c.rate.atomics())
            } else {
                Dec::from_atomics(c.rate.atomics() - rate.atomics())
            };
            if change > c.max_change_rate {
                return Err(StakingError::CommissionGtMaxChangeRate {
                    change: change.to_string(),
                    max: c.max_change_rate.to_string(),
                }
                .into());
            }
            let p = self.params(ctx)?;
            let min_rate = params::min_commission_rate(&p)?;
            if rate < min_rate {
                return Err(StakingError::CommissionLtMinRate {
                    rate: rate.to_string(),
                    min: min_rate.to_string(),
                }
                .into());
            }
            c.rate = rate;
            c.update_time = now;
        }
        if !msg.min_self_delegation.is_empty() {
            let min = parse_int("min self delegation", &msg.min_self_delegation)?;
            if min <= v.min_self_delegation {
                return Err(StakingError::MinSelfDelegationDecreased {
                    current: v.min_self_delegation.to_string(),
                    requested: min.to_string(),
                }
                .into());
            }
            if min > v.tokens {
                return Err(StakingError::SelfDelegationBelowMinimum {
                    amount: v.tokens.to_string(),
                    min: min.to_string(),
                }
                .into());
            }
            v.min_self_delegation = min;
        }
        self.set_validator(ctx, &v)?;
        ctx.emit(
            Event::new("edit_validator")
                .attr("commission_rate", v.commission.rate.to_string())
                .attr("min_self_delegation", v.min_self_delegation.to_string()),
        );
        Ok(())
    }
}
