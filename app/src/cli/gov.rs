//! `tx gov` and `query gov`: proposals (from a JSON file of messages, as in the Cosmos SDK),
//! deposits and votes, with the `cosmos.gov.v1` messages and `cosmos.gov.v1.Query`.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::{Subcommand, ValueEnum};
use cosmrs::Any;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::distribution::v1beta1 as distr;
use cosmrs::proto::cosmos::gov::v1 as gov;
use cosmrs::proto::cosmos::mint::v1beta1 as mint;
use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use openledger_framework::{Coins, pack_any};
use openledger_node::home::read_json;
use serde_json::Value;

use super::common::{FromKey, QueryCtx, TxFlags, page, send_msgs, sender_of};
use super::output::cosmos_json;
use crate::client::{keyring, status};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VoteArg {
    Yes,
    No,
    Abstain,
    NoWithVeto,
}

impl VoteArg {
    fn option(self) -> gov::VoteOption {
        match self {
            VoteArg::Yes => gov::VoteOption::Yes,
            VoteArg::No => gov::VoteOption::No,
            VoteArg::Abstain => gov::VoteOption::Abstain,
            VoteArg::NoWithVeto => gov::VoteOption::NoWithVeto,
        }
    }
}

#[derive(Subcommand)]
pub enum GovTx {
    /// Submit a proposal from a JSON file: `{"messages": [{"@type": "/cosmos.…MsgUpdateParams",
    /// …}], "metadata", "deposit", "title", "summary"}`, as in the Cosmos SDK.
    SubmitProposal {
        proposal: PathBuf,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    Deposit {
        proposal_id: u64,
        amount: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    Vote {
        proposal_id: u64,
        #[arg(value_enum)]
        option: VoteArg,
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Split a vote: `yes=0.6,no=0.4`.
    WeightedVote {
        proposal_id: u64,
        options: String,
        #[arg(long, default_value = "")]
        metadata: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: GovTx) -> anyhow::Result<()> {
    match cmd {
        GovTx::SubmitProposal {
            proposal,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let proposer = keyring::address_of(&sender.key)?.to_bech32();
            let msg = proposal_msg(&proposal, &proposer)?;
            let what = format!(
                "submit proposal {:?} with {} messages",
                msg.title,
                msg.messages.len()
            );
            send_msgs(rt, &sender, &flags, &what, vec![pack_any(&msg)])
        }
        GovTx::Deposit {
            proposal_id,
            amount,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let coins: Coins = amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
            let msg = gov::MsgDeposit {
                proposal_id,
                depositor: keyring::address_of(&sender.key)?.to_bech32(),
                amount: coins.to_proto(),
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("deposit {coins} on proposal {proposal_id}"),
                vec![pack_any(&msg)],
            )
        }
        GovTx::Vote {
            proposal_id,
            option,
            metadata,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = gov::MsgVote {
                proposal_id,
                voter: keyring::address_of(&sender.key)?.to_bech32(),
                option: option.option() as i32,
                metadata,
            };
            let what = format!(
                "vote {} on proposal {proposal_id}",
                option.option().as_str_name()
            );
            send_msgs(rt, &sender, &flags, &what, vec![pack_any(&msg)])
        }
        GovTx::WeightedVote {
            proposal_id,
            options,
            metadata,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let mut parsed = Vec::new();
            for part in options.split(',') {
                let (name, weight) = part
                    .split_once('=')
                    .ok_or_else(|| anyhow!("weighted options look like yes=0.6,no=0.4"))?;
                let option = VoteArg::from_str(name.trim(), true)
                    .map_err(|_| anyhow!("unknown vote option {name:?}"))?;
                let w: openledger_framework::Dec = weight
                    .trim()
                    .parse()
                    .map_err(|e| anyhow!("weight of {name}: {e}"))?;
                parsed.push(gov::WeightedVoteOption {
                    option: option.option() as i32,
                    weight: w.to_string(),
                });
            }
            let msg = gov::MsgVoteWeighted {
                proposal_id,
                voter: keyring::address_of(&sender.key)?.to_bech32(),
                options: parsed,
                metadata,
            };
            send_msgs(
                rt,
                &sender,
                &flags,
                &format!("weighted vote on proposal {proposal_id}"),
                vec![pack_any(&msg)],
            )
        }
    }
}

/// Decimal fields of params messages that travel as `LegacyDec` atomics in a string.
const ATOMIC_DEC_FIELDS: &[&str] = &[
    "min_commission_rate",
    "minCommissionRate",
    "community_tax",
    "communityTax",
    "base_proposer_reward",
    "baseProposerReward",
    "bonus_proposer_reward",
    "bonusProposerReward",
    "inflation_rate_change",
    "inflationRateChange",
    "inflation_max",
    "inflationMax",
    "inflation_min",
    "inflationMin",
    "goal_bonded",
    "goalBonded",
];

/// Decimal fields of slashing params, which travel as `LegacyDec` atomics in bytes.
const BYTES_DEC_FIELDS: &[&str] = &[
    "min_signed_per_window",
    "minSignedPerWindow",
    "slash_fraction_double_sign",
    "slashFractionDoubleSign",
    "slash_fraction_downtime",
    "slashFractionDowntime",
];

/// Rewrites decimals written as people write them (`0.05`) into the protobuf form.
fn proto_decimals(v: &mut Value) -> anyhow::Result<()> {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                match x {
                    Value::String(s) if ATOMIC_DEC_FIELDS.contains(&k.as_str()) => {
                        let d: openledger_framework::Dec =
                            s.parse().map_err(|e| anyhow!("{k}: {e}"))?;
                        *s = d.atomics().to_string();
                    }
                    Value::String(s) if BYTES_DEC_FIELDS.contains(&k.as_str()) => {
                        let d: openledger_framework::Dec =
                            s.parse().map_err(|e| anyhow!("{k}: {e}"))?;
                        *s = B64.encode(d.atomics().to_string());
                    }
                    _ => proto_decimals(x)?,
                }
            }
        }
        Value::Array(items) => {
            for x in items {
                proto_decimals(x)?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// One proposal message from its JSON (`@type` and the message's fields).
fn proposal_message(mut v: Value) -> anyhow::Result<Any> {
    fn pack<M: prost::Name + serde::de::DeserializeOwned>(v: Value) -> anyhow::Result<Any> {
        let m: M = serde_json::from_value(v).map_err(|e| anyhow!("{}: {e}", M::full_name()))?;
        Ok(pack_any(&m))
    }
    let ty = v
        .get("@type")
        .and_then(|t| t.as_str())
        .ok_or_else(|| anyhow!("each message needs an \"@type\""))?
        .to_string();
    if let Value::Object(map) = &mut v {
        map.remove("@type");
    }
    proto_decimals(&mut v)?;
    match ty.as_str() {
        "/cosmos.auth.v1beta1.MsgUpdateParams" => {
            pack::<cosmrs::proto::cosmos::auth::v1beta1::MsgUpdateParams>(v)
        }
        "/cosmos.bank.v1beta1.MsgSend" => pack::<bank::MsgSend>(v),
        "/cosmos.bank.v1beta1.MsgUpdateParams" => pack::<bank::MsgUpdateParams>(v),
        "/cosmos.staking.v1beta1.MsgUpdateParams" => pack::<staking::MsgUpdateParams>(v),
        "/cosmos.distribution.v1beta1.MsgUpdateParams" => pack::<distr::MsgUpdateParams>(v),
        "/cosmos.distribution.v1beta1.MsgCommunityPoolSpend" => {
            pack::<distr::MsgCommunityPoolSpend>(v)
        }
        "/cosmos.slashing.v1beta1.MsgUpdateParams" => pack::<slashing::MsgUpdateParams>(v),
        "/cosmos.mint.v1beta1.MsgUpdateParams" => pack::<mint::MsgUpdateParams>(v),
        "/cosmos.gov.v1.MsgUpdateParams" => pack::<gov::MsgUpdateParams>(v),
        other => bail!(
            "proposal message type {other} is not supported by this CLI (supported: bank MsgSend, \
             and MsgUpdateParams of auth, bank, staking, distribution, slashing, mint and gov; \
             distribution MsgCommunityPoolSpend)"
        ),
    }
}

/// `submit-proposal`'s JSON file as a `MsgSubmitProposal`.
pub fn proposal_msg(path: &Path, proposer: &str) -> anyhow::Result<gov::MsgSubmitProposal> {
    let v = read_json(path)?;
    let str_of = |k: &str| v.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
    let messages = v
        .get("messages")
        .and_then(|m| m.as_array())
        .ok_or_else(|| anyhow!("{}: \"messages\" must be a list", path.display()))?
        .iter()
        .cloned()
        .enumerate()
        .map(|(i, m)| proposal_message(m).map_err(|e| anyhow!("message {i}: {e}")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let deposit = str_of("deposit");
    let initial_deposit = if deposit.is_empty() {
        Vec::new()
    } else {
        deposit
            .parse::<Coins>()
            .map_err(|e| anyhow!("deposit: {e}"))?
            .to_proto()
    };
    let title = str_of("title");
    if title.is_empty() {
        bail!("{}: the proposal needs a \"title\"", path.display());
    }
    Ok(gov::MsgSubmitProposal {
        messages,
        initial_deposit,
        proposer: proposer.to_string(),
        metadata: str_of("metadata"),
        title,
        summary: str_of("summary"),
        expedited: v
            .get("expedited")
            .and_then(|e| e.as_bool())
            .unwrap_or(false),
    })
}

#[derive(Subcommand)]
pub enum GovQuery {
    Proposal { proposal_id: u64 },
    Proposals,
    Vote { proposal_id: u64, voter: String },
    Votes { proposal_id: u64 },
    Deposit { proposal_id: u64, depositor: String },
    Deposits { proposal_id: u64 },
    Tally { proposal_id: u64 },
    Params,
}

pub async fn query(q: &QueryCtx, cmd: GovQuery) -> anyhow::Result<Value> {
    // Arguments first (key names resolve without a node), then the call.
    macro_rules! ask {
        ($method:ident, $req:expr) => {{
            let req = $req;
            let mut c = gov::query_client::QueryClient::new(q.channel().await?);
            cosmos_json(&c.$method(req).await.map_err(status)?.into_inner())
        }};
    }
    match cmd {
        GovQuery::Proposal { proposal_id } => {
            ask!(proposal, gov::QueryProposalRequest { proposal_id })
        }
        GovQuery::Proposals => ask!(
            proposals,
            gov::QueryProposalsRequest {
                proposal_status: 0,
                voter: String::new(),
                depositor: String::new(),
                pagination: page(),
            }
        ),
        GovQuery::Vote { proposal_id, voter } => ask!(
            vote,
            gov::QueryVoteRequest {
                proposal_id,
                voter: q.address(&voter)?,
            }
        ),
        GovQuery::Votes { proposal_id } => ask!(
            votes,
            gov::QueryVotesRequest {
                proposal_id,
                pagination: page(),
            }
        ),
        GovQuery::Deposit {
            proposal_id,
            depositor,
        } => ask!(
            deposit,
            gov::QueryDepositRequest {
                proposal_id,
                depositor: q.address(&depositor)?,
            }
        ),
        GovQuery::Deposits { proposal_id } => ask!(
            deposits,
            gov::QueryDepositsRequest {
                proposal_id,
                pagination: page(),
            }
        ),
        GovQuery::Tally { proposal_id } => {
            ask!(tally_result, gov::QueryTallyResultRequest { proposal_id })
        }
        GovQuery::Params => ask!(
            params,
            gov::QueryParamsRequest {
                params_type: "tallying".into(),
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn proposal_decimals_become_protobuf() {
        let mut v = json!({"params": {"min_commission_rate": "0.05", "slash_fraction_downtime": "0.01",
                           "unbonding_time": "60s"}});
        proto_decimals(&mut v).unwrap();
        assert_eq!(v["params"]["min_commission_rate"], "50000000000000000");
        // bytes fields: base64 of the atomics string.
        assert_eq!(
            v["params"]["slash_fraction_downtime"],
            "MTAwMDAwMDAwMDAwMDAwMDA="
        );
        assert_eq!(v["params"]["unbonding_time"], "60s");
        let mut bad = json!({"community_tax": "lots"});
        assert!(proto_decimals(&mut bad).is_err());
    }
}
