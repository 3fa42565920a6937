//! `tx staking` and `query staking`: validators, delegations, unbonding and redelegation, with
//! the standard messages and `cosmos.staking.v1beta1.Query`. A gentx is a create-validator
//! message, so [`create_validator_msg`] serves `genesis gentx` too.

use std::path::Path;

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand};
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use openledger_framework::{Address, Coins, Dec, pack_any};
use openledger_staking::types::encode_consensus_pubkey;
use openledger_staking::valoper;
use serde_json::Value;

use super::comet::parse_pubkey_json;
use super::common::{FromKey, QueryCtx, TxFlags, page, send_msgs, sender_of};
use super::output::cosmos_json;
use crate::client::{keyring, status};

#[derive(Args, Clone)]
pub struct ValidatorArgs {
    /// Validator name (default: the node's moniker).
    #[arg(long)]
    pub moniker: Option<String>,
    #[arg(long, default_value = "")]
    pub identity: String,
    #[arg(long, default_value = "")]
    pub website: String,
    #[arg(long, default_value = "")]
    pub security_contact: String,
    #[arg(long, default_value = "")]
    pub details: String,
    #[arg(long, default_value = "0.1")]
    pub commission_rate: String,
    #[arg(long, default_value = "0.2")]
    pub commission_max_rate: String,
    #[arg(long, default_value = "0.01")]
    pub commission_max_change_rate: String,
    /// Least self-delegation (uopen) the validator promises to keep.
    #[arg(long, default_value = "1")]
    pub min_self_delegation: String,
}

impl ValidatorArgs {
    pub fn settings(&self, default_moniker: &str) -> ValidatorSettings {
        ValidatorSettings {
            moniker: self
                .moniker
                .clone()
                .unwrap_or_else(|| default_moniker.to_string()),
            identity: self.identity.clone(),
            website: self.website.clone(),
            security_contact: self.security_contact.clone(),
            details: self.details.clone(),
            commission_rate: self.commission_rate.clone(),
            commission_max_rate: self.commission_max_rate.clone(),
            commission_max_change_rate: self.commission_max_change_rate.clone(),
            min_self_delegation: self.min_self_delegation.clone(),
        }
    }
}

/// The validator's commission and self-delegation settings (the SDK's flags and defaults).
#[derive(Debug, Clone)]
pub struct ValidatorSettings {
    pub moniker: String,
    pub identity: String,
    pub website: String,
    pub security_contact: String,
    pub details: String,
    pub commission_rate: String,
    pub commission_max_rate: String,
    pub commission_max_change_rate: String,
    pub min_self_delegation: String,
}

/// A `MsgCreateValidator` for `operator` with consensus key `pubkey`.
#[allow(deprecated)]
pub fn create_validator_msg(
    operator: &Address,
    pubkey: &[u8; 32],
    amount: &Coins,
    s: &ValidatorSettings,
) -> anyhow::Result<staking::MsgCreateValidator> {
    let [coin] = amount.to_proto().try_into().map_err(|_| {
        anyhow!("the self-delegation is one coin of the bond denom, e.g. 1000000000uopen")
    })?;
    let rate = |what: &str, v: &str| -> anyhow::Result<String> {
        let d: Dec = v.parse().map_err(|e| anyhow!("--{what}: {e}"))?;
        Ok(d.atomics().to_string())
    };
    let min_self: u128 = s
        .min_self_delegation
        .parse()
        .map_err(|_| anyhow!("--min-self-delegation must be an integer amount of uopen"))?;
    Ok(staking::MsgCreateValidator {
        description: Some(staking::Description {
            moniker: s.moniker.clone(),
            identity: s.identity.clone(),
            website: s.website.clone(),
            security_contact: s.security_contact.clone(),
            details: s.details.clone(),
        }),
        commission: Some(staking::CommissionRates {
            rate: rate("commission-rate", &s.commission_rate)?,
            max_rate: rate("commission-max-rate", &s.commission_max_rate)?,
            max_change_rate: rate("commission-max-change-rate", &s.commission_max_change_rate)?,
        }),
        min_self_delegation: min_self.to_string(),
        delegator_address: String::new(),
        validator_address: valoper(operator),
        pubkey: Some(encode_consensus_pubkey(pubkey)),
        value: Some(coin),
    })
}

#[derive(Subcommand)]
pub enum StakingTx {
    /// Make the signer's account a validator with the given consensus key and self-delegation.
    CreateValidator {
        /// Self-delegation, e.g. 100000000uopen.
        #[arg(long)]
        amount: String,
        /// Consensus key JSON from `openledgerd comet show-validator` (of the node that will sign).
        #[arg(long)]
        pubkey: String,
        #[command(flatten)]
        validator: ValidatorArgs,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Change a validator's description, commission rate or minimum self-delegation.
    EditValidator {
        #[arg(long)]
        moniker: Option<String>,
        #[arg(long)]
        identity: Option<String>,
        #[arg(long)]
        website: Option<String>,
        #[arg(long)]
        security_contact: Option<String>,
        #[arg(long)]
        details: Option<String>,
        #[arg(long)]
        commission_rate: Option<String>,
        #[arg(long)]
        min_self_delegation: Option<String>,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    Delegate {
        validator: String,
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Start unbonding; the tokens come back after the unbonding period.
    Unbond {
        validator: String,
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    Redelegate {
        src_validator: String,
        dst_validator: String,
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Cancel (part of) an unbonding that started at `creation_height`.
    CancelUnbond {
        validator: String,
        amount: String,
        creation_height: i64,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

pub fn coin_arg(what: &str, s: &str) -> anyhow::Result<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    let coins: Coins = s.parse().map_err(|e| anyhow!("{what}: {e}"))?;
    let [coin] = coins
        .to_proto()
        .try_into()
        .map_err(|_| anyhow!("{what}: one positive amount of one denom, e.g. 1000000uopen"))?;
    Ok(coin)
}

pub fn valoper_arg(s: &str) -> anyhow::Result<String> {
    Ok(valoper(
        &openledger_staking::types::parse_valoper(s).map_err(|e| anyhow!("{e}"))?,
    ))
}

fn dec_atomics(what: &str, s: &str) -> anyhow::Result<String> {
    let d: openledger_framework::Dec = s.parse().map_err(|e| anyhow!("--{what}: {e}"))?;
    Ok(d.atomics().to_string())
}

#[allow(deprecated)]
pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: StakingTx) -> anyhow::Result<()> {
    match cmd {
        StakingTx::CreateValidator {
            amount,
            pubkey,
            validator,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let op = keyring::address_of(&sender.key)?;
            let key = parse_pubkey_json(&pubkey)?;
            let amount: Coins = amount.parse().map_err(|e| anyhow!("--amount: {e}"))?;
            let moniker = validator.moniker.clone().unwrap_or_default();
            if moniker.is_empty() {
                bail!("--moniker is required");
            }
            let msg = create_validator_msg(&op, &key, &amount, &validator.settings(""))?;
            let what = format!(
                "create validator {moniker} ({}) with {amount}",
                valoper(&op)
            );
            send_msgs(rt, &sender, &flags, &what, vec![pack_any(&msg)])
        }
        StakingTx::EditValidator {
            moniker,
            identity,
            website,
            security_contact,
            details,
            commission_rate,
            min_self_delegation,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let op = keyring::address_of(&sender.key)?;
            // "[do-not-modify]" keeps a field, as in the SDK.
            let keep = |v: Option<String>| v.unwrap_or_else(|| "[do-not-modify]".into());
            let msg = staking::MsgEditValidator {
                description: Some(staking::Description {
                    moniker: keep(moniker),
                    identity: keep(identity),
                    website: keep(website),
                    security_contact: keep(security_contact),
                    details: keep(details),
                }),
                validator_address: valoper(&op),
                commission_rate: match commission_rate {
                    Some(r) => dec_atomics("commission-rate", &r)?,
                    None => String::new(),
                },
                min_self_delegation: min_self_delegation.unwrap_or_default(),
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("edit validator {}", valoper(&op)),
                vec![pack_any(&msg)],
            )
        }
        StakingTx::Delegate {
            validator,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = staking::MsgDelegate {
                delegator_address: keyring::address_of(&sender.key)?.to_bech32(),
                validator_address: valoper_arg(&validator)?,
                amount: Some(coin_arg("amount", &amount)?),
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("delegate {amount} to {validator}"),
                vec![pack_any(&msg)],
            )
        }
        StakingTx::Unbond {
            validator,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = staking::MsgUndelegate {
                delegator_address: keyring::address_of(&sender.key)?.to_bech32(),
                validator_address: valoper_arg(&validator)?,
                amount: Some(coin_arg("amount", &amount)?),
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("unbond {amount} from {validator}"),
                vec![pack_any(&msg)],
            )
        }
        StakingTx::Redelegate {
            src_validator,
            dst_validator,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = staking::MsgBeginRedelegate {
                delegator_address: keyring::address_of(&sender.key)?.to_bech32(),
                validator_src_address: valoper_arg(&src_validator)?,
                validator_dst_address: valoper_arg(&dst_validator)?,
                amount: Some(coin_arg("amount", &amount)?),
            };
            let what = format!("redelegate {amount} from {src_validator} to {dst_validator}");
            send_msgs(rt, &sender, &flags, &what, vec![pack_any(&msg)])
        }
        StakingTx::CancelUnbond {
            validator,
            amount,
            creation_height,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = staking::MsgCancelUnbondingDelegation {
                delegator_address: keyring::address_of(&sender.key)?.to_bech32(),
                validator_address: valoper_arg(&validator)?,
                amount: Some(coin_arg("amount", &amount)?),
                creation_height,
            };
            let what = format!("cancel unbonding {amount} from {validator}");
            send_msgs(rt, &sender, &flags, &what, vec![pack_any(&msg)])
        }
    }
}

#[derive(Subcommand)]
pub enum StakingQuery {
    /// Every validator (bonded first is not implied: all statuses).
    Validators,
    Validator {
        validator: String,
    },
    Delegation {
        delegator: String,
        validator: String,
    },
    /// A delegator's delegations.
    Delegations {
        delegator: String,
    },
    /// Delegations to a validator.
    DelegationsTo {
        validator: String,
    },
    UnbondingDelegation {
        delegator: String,
        validator: String,
    },
    UnbondingDelegations {
        delegator: String,
    },
    Redelegations {
        delegator: String,
    },
    HistoricalInfo {
        height: i64,
    },
    Pool,
    Params,
}

pub async fn query(q: &QueryCtx, cmd: StakingQuery) -> anyhow::Result<Value> {
    // Arguments first (key names resolve without a node), then the call.
    macro_rules! ask {
        ($method:ident, $req:expr) => {{
            let req = $req;
            let mut c = staking::query_client::QueryClient::new(q.channel().await?);
            cosmos_json(&c.$method(req).await.map_err(status)?.into_inner())
        }};
    }
    match cmd {
        StakingQuery::Validators => ask!(
            validators,
            staking::QueryValidatorsRequest {
                status: String::new(),
                pagination: page(),
            }
        ),
        StakingQuery::Validator { validator } => ask!(
            validator,
            staking::QueryValidatorRequest {
                validator_addr: valoper_arg(&validator)?,
            }
        ),
        StakingQuery::Delegation {
            delegator,
            validator,
        } => ask!(
            delegation,
            staking::QueryDelegationRequest {
                delegator_addr: q.address(&delegator)?,
                validator_addr: valoper_arg(&validator)?,
            }
        ),
        StakingQuery::Delegations { delegator } => ask!(
            delegator_delegations,
            staking::QueryDelegatorDelegationsRequest {
                delegator_addr: q.address(&delegator)?,
                pagination: page(),
            }
        ),
        StakingQuery::DelegationsTo { validator } => ask!(
            validator_delegations,
            staking::QueryValidatorDelegationsRequest {
                validator_addr: valoper_arg(&validator)?,
                pagination: page(),
            }
        ),
        StakingQuery::UnbondingDelegation {
            delegator,
            validator,
        } => ask!(
            unbonding_delegation,
            staking::QueryUnbondingDelegationRequest {
                delegator_addr: q.address(&delegator)?,
                validator_addr: valoper_arg(&validator)?,
            }
        ),
        StakingQuery::UnbondingDelegations { delegator } => ask!(
            delegator_unbonding_delegations,
            staking::QueryDelegatorUnbondingDelegationsRequest {
                delegator_addr: q.address(&delegator)?,
                pagination: page(),
            }
        ),
        StakingQuery::Redelegations { delegator } => ask!(
            redelegations,
            staking::QueryRedelegationsRequest {
                delegator_addr: q.address(&delegator)?,
                src_validator_addr: String::new(),
                dst_validator_addr: String::new(),
                pagination: page(),
            }
        ),
        StakingQuery::HistoricalInfo { height } => ask!(
            historical_info,
            staking::QueryHistoricalInfoRequest { height }
        ),
        StakingQuery::Pool => ask!(pool, staking::QueryPoolRequest {}),
        StakingQuery::Params => ask!(params, staking::QueryParamsRequest {}),
    }
}
