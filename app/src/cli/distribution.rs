//! `tx distribution` and `query distribution`: rewards, commission, the withdraw address and
//! the community pool, with the standard messages and `cosmos.distribution.v1beta1.Query`.

use std::path::Path;

use anyhow::{anyhow, bail};
use clap::Subcommand;
use cosmrs::Any;
use cosmrs::proto::cosmos::distribution::v1beta1 as distr;
use openledger_framework::{Coins, pack_any};
use serde_json::Value;

use super::common::{FromKey, QueryCtx, TxFlags, page, resolve_address, send_msgs, sender_of};
use super::output::cosmos_json;
use super::staking::valoper_arg;
use crate::client::{self, keyring, status};

#[derive(Subcommand)]
pub enum DistributionTx {
    /// Withdraw the signer's rewards from a validator (with `--commission`, also the
    /// validator's commission when the signer is its operator).
    WithdrawRewards {
        validator: String,
        #[arg(long)]
        commission: bool,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Withdraw the signer's rewards from every validator it delegates to.
    WithdrawAllRewards {
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Where the signer's rewards go.
    SetWithdrawAddr {
        address: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    FundCommunityPool {
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: DistributionTx) -> anyhow::Result<()> {
    match cmd {
        DistributionTx::WithdrawRewards {
            validator,
            commission,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let val = valoper_arg(&validator)?;
            let mut msgs = vec![pack_any(&distr::MsgWithdrawDelegatorReward {
                delegator_address: keyring::address_of(&sender.key)?.to_bech32(),
                validator_address: val.clone(),
            })];
            if commission {
                msgs.push(pack_any(&distr::MsgWithdrawValidatorCommission {
                    validator_address: val.clone(),
                }));
            }
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("withdraw rewards from {val}"),
                msgs,
            )
        }
        DistributionTx::WithdrawAllRewards { from, flags } => {
            let sender = sender_of(home, &from, &flags)?;
            let del = keyring::address_of(&sender.key)?.to_bech32();
            let vals = rt.block_on(async {
                let ch = client::connect(&flags.grpc_addr).await?;
                let req = distr::QueryDelegatorValidatorsRequest {
                    delegator_address: del.clone(),
                };
                let mut c = distr::query_client::QueryClient::new(ch);
                anyhow::Ok(
                    c.delegator_validators(req)
                        .await
                        .map_err(status)?
                        .into_inner(),
                )
            })?;
            if vals.validators.is_empty() {
                bail!("{del} has no delegations");
            }
            let msgs = vals
                .validators
                .into_iter()
                .map(|v| {
                    pack_any(&distr::MsgWithdrawDelegatorReward {
                        delegator_address: del.clone(),
                        validator_address: v,
                    })
                })
                .collect::<Vec<Any>>();
            let what = format!("withdraw rewards from {} validators", msgs.len());
            send_msgs(rt, &sender, &flags, &what, msgs)
        }
        DistributionTx::SetWithdrawAddr {
            address,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let to = resolve_address(home, flags.keyring_backend, &address)?;
            let msg = distr::MsgSetWithdrawAddress {
                delegator_address: keyring::address_of(&sender.key)?.to_bech32(),
                withdraw_address: to.to_bech32(),
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("set withdraw address {to}"),
                vec![pack_any(&msg)],
            )
        }
        DistributionTx::FundCommunityPool {
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let coins: Coins = amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
            let msg = distr::MsgFundCommunityPool {
                amount: coins.to_proto(),
                depositor: keyring::address_of(&sender.key)?.to_bech32(),
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("fund the community pool with {coins}"),
                vec![pack_any(&msg)],
            )
        }
    }
}

#[derive(Subcommand)]
pub enum DistributionQuery {
    Params,
    /// A delegator's rewards (from one validator, or all with totals).
    Rewards {
        delegator: String,
        validator: Option<String>,
    },
    Commission {
        validator: String,
    },
    CommunityPool,
    ValidatorOutstandingRewards {
        validator: String,
    },
    Slashes {
        validator: String,
    },
    WithdrawAddr {
        delegator: String,
    },
}

pub async fn query(q: &QueryCtx, cmd: DistributionQuery) -> anyhow::Result<Value> {
    // Arguments first (key names resolve without a node), then the call.
    macro_rules! ask {
        ($method:ident, $req:expr) => {{
            let req = $req;
            let mut c = distr::query_client::QueryClient::new(q.channel().await?);
            cosmos_json(&c.$method(req).await.map_err(status)?.into_inner())?
        }};
    }
    let mut v = match cmd {
        DistributionQuery::Params => ask!(params, distr::QueryParamsRequest {}),
        DistributionQuery::Rewards {
            delegator,
            validator: Some(validator),
        } => ask!(
            delegation_rewards,
            distr::QueryDelegationRewardsRequest {
                delegator_address: q.address(&delegator)?,
                validator_address: valoper_arg(&validator)?,
            }
        ),
        DistributionQuery::Rewards {
            delegator,
            validator: None,
        } => ask!(
            delegation_total_rewards,
            distr::QueryDelegationTotalRewardsRequest {
                delegator_address: q.address(&delegator)?,
            }
        ),
        DistributionQuery::Commission { validator } => ask!(
            validator_commission,
            distr::QueryValidatorCommissionRequest {
                validator_address: valoper_arg(&validator)?,
            }
        ),
        DistributionQuery::CommunityPool => {
            ask!(community_pool, distr::QueryCommunityPoolRequest {})
        }
        DistributionQuery::ValidatorOutstandingRewards { validator } => ask!(
            validator_outstanding_rewards,
            distr::QueryValidatorOutstandingRewardsRequest {
                validator_address: valoper_arg(&validator)?,
            }
        ),
        DistributionQuery::Slashes { validator } => ask!(
            validator_slashes,
            distr::QueryValidatorSlashesRequest {
                validator_address: valoper_arg(&validator)?,
                starting_height: 0,
                ending_height: u64::MAX,
                pagination: page(),
            }
        ),
        DistributionQuery::WithdrawAddr { delegator } => ask!(
            delegator_withdraw_address,
            distr::QueryDelegatorWithdrawAddressRequest {
                delegator_address: q.address(&delegator)?,
            }
        ),
    };
    // Reward amounts are `DecCoin`s: atomics on the wire.
    dec_coin_amounts(&mut v);
    Ok(v)
}

/// `DecCoin` amounts (objects with `denom` and an atomics `amount`, under reward/pool fields)
/// in decimal form.
fn dec_coin_amounts(v: &mut Value) {
    const DEC_COIN_LISTS: &[&str] = &["rewards", "reward", "total", "pool", "commission"];
    if let Value::Object(map) = v {
        for (k, x) in map.iter_mut() {
            if DEC_COIN_LISTS.contains(&k.as_str())
                && let Value::Array(items) = x
            {
                for c in items.iter_mut() {
                    if let Some(Value::String(a)) = c.get_mut("amount")
                        && let Ok(atomics) = a.parse::<u128>()
                    {
                        *a = openledger_framework::Dec::from_atomics(atomics).to_string();
                    }
                }
            } else {
                dec_coin_amounts(x);
            }
        }
    } else if let Value::Array(items) = v {
        items.iter_mut().for_each(dec_coin_amounts);
    }
}
