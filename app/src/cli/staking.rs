//! `tx`/`query` commands of staking, distribution, slashing, gov and mint, `genesis gentx`,
//! `collect-gentxs`, `validate` and `comet show-validator`: the Cosmos SDK's commands, with the
//! standard messages and query services.

use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail};
use clap::{Args, Subcommand, ValueEnum};
use cosmrs::Any;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::distribution::v1beta1 as distr;
use cosmrs::proto::cosmos::gov::v1 as gov;
use cosmrs::proto::cosmos::mint::v1beta1 as mint;
use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use openledger_framework::{Coins, pack_any};
use openledger_staking::{cons_address, valoper};
use openledgerd::client;
use openledgerd::config::Home;
use openledgerd::gentx::{self, ValidatorSettings};
use openledgerd::keyring::{self, Keyring};
use serde_json::{Value, json};
use tonic::transport::Channel;

use crate::{FromKey, TxFlags, resolve_address, send_msgs, sender_of};

/// Fields printed as decimals rather than their protobuf atomics.
const DEC_FIELDS: &[&str] = &[
    "rate",
    "max_rate",
    "max_change_rate",
    "delegator_shares",
    "shares",
    "shares_dst",
    "min_commission_rate",
    "community_tax",
    "base_proposer_reward",
    "bonus_proposer_reward",
    "inflation",
    "annual_provisions",
    "inflation_rate_change",
    "inflation_max",
    "inflation_min",
    "goal_bonded",
    "fraction",
];

/// Rows asked for per page by list queries.
const PAGE: u64 = 200;

fn page() -> Option<PageRequest> {
    Some(PageRequest {
        key: Vec::new(),
        offset: 0,
        limit: PAGE,
        count_total: false,
        reverse: false,
    })
}

// ------------------------------------------------------------------------------------------
// genesis and comet

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
    fn settings(&self, default_moniker: &str) -> ValidatorSettings {
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

#[derive(Args)]
pub struct GentxArgs {
    /// Key (in the keyring) of the validator's operator account.
    key: String,
    /// Self-delegation, e.g. 100000000uopen.
    amount: String,
    #[arg(long)]
    chain_id: String,
    #[command(flatten)]
    validator: ValidatorArgs,
    /// Host other validators reach this node's p2p port on.
    #[arg(long, default_value = "127.0.0.1")]
    ip: String,
    /// Write the gentx here instead of `config/gentx/gentx-<node-id>.json`.
    #[arg(long)]
    output_document: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "test")]
    keyring_backend: keyring::Backend,
}

pub fn gentx(home: &Path, a: GentxArgs) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    let key = Keyring::new(&home.0, a.keyring_backend).signing_key(&a.key)?;
    let amount: Coins = a.amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
    let settings = a.validator.settings(&moniker_of(&home)?);
    let path = gentx::gentx(
        &home,
        &key,
        &a.chain_id,
        &amount,
        &settings,
        &a.ip,
        a.output_document.as_deref(),
    )?;
    println!("Genesis transaction written to {}", path.display());
    Ok(())
}

fn moniker_of(home: &Home) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(home.comet_toml())?;
    let doc: toml::Table = text.parse()?;
    Ok(doc
        .get("moniker")
        .and_then(|m| m.as_str())
        .unwrap_or("validator")
        .to_string())
}

pub fn collect_gentxs(home: &Path, dir: Option<&Path>) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    let c = gentx::collect_gentxs(&home, dir)?;
    for g in &c.gentxs {
        println!(
            "gentx: {} {} self-delegation {}",
            g.moniker, g.operator, g.self_delegation
        );
    }
    let power: i64 = c.validators.iter().map(|v| v.power).sum();
    println!(
        "{} validators, total voting power {power}; persistent_peers = {:?}",
        c.validators.len(),
        c.persistent_peers
    );
    Ok(())
}

pub fn validate(home: &Path, file: Option<&Path>) -> anyhow::Result<()> {
    let path = file
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Home(home.to_path_buf()).genesis());
    let genesis = openledgerd::config::read_json(&path)?;
    let validators = gentx::validate(&genesis)?;
    println!(
        "File at {} is a valid genesis file ({} validators from gentxs)",
        path.display(),
        validators.len()
    );
    Ok(())
}

#[derive(Subcommand)]
#[allow(clippy::enum_variant_names)] // CometBFT's own names: `show-validator`, `show-node-id`.
pub enum CometCmd {
    /// The consensus public key, as `tx staking create-validator --pubkey` takes it.
    ShowValidator,
    /// The node id (peers dial `<id>@host:port`).
    ShowNodeId,
    /// The consensus address (`openvalcons1…`).
    ShowAddress,
}

pub fn comet(home: &Path, cmd: CometCmd) -> anyhow::Result<()> {
    let home = Home(home.to_path_buf());
    match cmd {
        CometCmd::ShowValidator => println!("{}", gentx::show_validator(&home)?),
        CometCmd::ShowNodeId => println!("{}", gentx::node_id(&home)?),
        CometCmd::ShowAddress => {
            let cons = cons_address(&gentx::consensus_pubkey(&home)?);
            println!("{}", cons.with_prefix("openvalcons"));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------------------------
// tx

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

fn coin_arg(what: &str, s: &str) -> anyhow::Result<cosmrs::proto::cosmos::base::v1beta1::Coin> {
    let coins: Coins = s.parse().map_err(|e| anyhow!("{what}: {e}"))?;
    let [coin] = coins
        .to_proto()
        .try_into()
        .map_err(|_| anyhow!("{what}: one positive amount of one denom, e.g. 1000000uopen"))?;
    Ok(coin)
}

fn valoper_arg(s: &str) -> anyhow::Result<String> {
    Ok(valoper(
        &openledger_staking::types::parse_valoper(s).map_err(|e| anyhow!("{e}"))?,
    ))
}

fn dec_atomics(what: &str, s: &str) -> anyhow::Result<String> {
    let d: openledger_framework::Dec = s.parse().map_err(|e| anyhow!("--{what}: {e}"))?;
    Ok(d.atomics().to_string())
}

#[allow(deprecated)]
pub fn staking_tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: StakingTx) -> anyhow::Result<()> {
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
            let key = gentx::parse_pubkey_json(&pubkey)?;
            let amount: Coins = amount.parse().map_err(|e| anyhow!("--amount: {e}"))?;
            let moniker = validator.moniker.clone().unwrap_or_default();
            if moniker.is_empty() {
                bail!("--moniker is required");
            }
            let msg = gentx::create_validator_msg(&op, &key, &amount, &validator.settings(""))?;
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

pub fn distribution_tx(
    rt: &tokio::runtime::Runtime,
    home: &Path,
    cmd: DistributionTx,
) -> anyhow::Result<()> {
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
            let vals: distr::QueryDelegatorValidatorsResponse = rt.block_on(async {
                let ch = client::connect(&flags.grpc_addr).await?;
                client::grpc_query(
                    &ch,
                    "/cosmos.distribution.v1beta1.Query/DelegatorValidators",
                    distr::QueryDelegatorValidatorsRequest {
                        delegator_address: del.clone(),
                    },
                )
                .await
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
pub enum SlashingTx {
    /// Bring the signer's jailed validator back (after the jail duration).
    Unjail {
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

pub fn slashing_tx(
    rt: &tokio::runtime::Runtime,
    home: &Path,
    cmd: SlashingTx,
) -> anyhow::Result<()> {
    let SlashingTx::Unjail { from, flags } = cmd;
    let sender = sender_of(home, &from, &flags)?;
    let op = keyring::address_of(&sender.key)?;
    let msg = slashing::MsgUnjail {
        validator_addr: valoper(&op),
    };
    send_msgs(
        rt,
        &sender,
        &flags,
        &format!("unjail {}", valoper(&op)),
        vec![pack_any(&msg)],
    )
}

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

pub fn gov_tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: GovTx) -> anyhow::Result<()> {
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
    use base64::Engine;
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
                        *s = base64::engine::general_purpose::STANDARD
                            .encode(d.atomics().to_string());
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
    use cosmrs::proto::cosmos::bank::v1beta1 as bank;
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
    let v = openledgerd::config::read_json(path)?;
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

// ------------------------------------------------------------------------------------------
// query

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

#[derive(Subcommand)]
pub enum SlashingQuery {
    Params,
    /// Signing info by consensus address (`openvalcons1…`) or consensus key JSON.
    SigningInfo {
        cons: String,
    },
    SigningInfos,
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

#[derive(Subcommand)]
pub enum MintQuery {
    Params,
    Inflation,
    AnnualProvisions,
}

/// A `LegacyDec` carried as bytes (the atomics as a decimal string), in decimal form.
fn bytes_dec(b: &[u8]) -> Option<String> {
    let atomics = std::str::from_utf8(b).ok()?.parse::<u128>().ok()?;
    Some(openledger_framework::Dec::from_atomics(atomics).to_string())
}

fn out<T: serde::Serialize>(v: &T) -> anyhow::Result<Value> {
    let mut j = client::proto_json(v)?;
    client::decimal_fields(&mut j, DEC_FIELDS);
    consensus_keys(&mut j);
    Ok(j)
}

/// `consensus_pubkey` as the SDK prints it (`{"@type", "key"}`, what `comet show-validator`
/// prints) rather than a raw `Any`.
fn consensus_keys(v: &mut Value) {
    use base64::Engine;
    use prost::Message;
    let b64 = base64::engine::general_purpose::STANDARD;
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if k == "consensus_pubkey"
                    && let Some(ty) = x["type_url"].as_str().map(str::to_string)
                    && let Some(raw) = x["value"].as_str().and_then(|s| b64.decode(s).ok())
                    && let Ok(pk) =
                        cosmrs::proto::cosmos::crypto::ed25519::PubKey::decode(raw.as_slice())
                {
                    *x = json!({ "@type": ty, "key": b64.encode(pk.key) });
                } else {
                    consensus_keys(x);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(consensus_keys),
        _ => {}
    }
}

fn acct(home: &Path, backend: keyring::Backend, s: &str) -> anyhow::Result<String> {
    Ok(resolve_address(home, backend, s)?.to_bech32())
}

pub async fn staking_query(ch: &Channel, home: &Path, cmd: StakingQuery) -> anyhow::Result<Value> {
    const Q: &str = "/cosmos.staking.v1beta1.Query/";
    let kb = keyring::Backend::Test;
    macro_rules! q {
        ($m:literal, $req:expr, $resp:ty) => {{
            let r: $resp = client::grpc_query(ch, &format!("{Q}{}", $m), $req).await?;
            out(&r)
        }};
    }
    match cmd {
        StakingQuery::Validators => q!(
            "Validators",
            staking::QueryValidatorsRequest {
                status: String::new(),
                pagination: page(),
            },
            staking::QueryValidatorsResponse
        ),
        StakingQuery::Validator { validator } => q!(
            "Validator",
            staking::QueryValidatorRequest {
                validator_addr: valoper_arg(&validator)?,
            },
            staking::QueryValidatorResponse
        ),
        StakingQuery::Delegation {
            delegator,
            validator,
        } => q!(
            "Delegation",
            staking::QueryDelegationRequest {
                delegator_addr: acct(home, kb, &delegator)?,
                validator_addr: valoper_arg(&validator)?,
            },
            staking::QueryDelegationResponse
        ),
        StakingQuery::Delegations { delegator } => q!(
            "DelegatorDelegations",
            staking::QueryDelegatorDelegationsRequest {
                delegator_addr: acct(home, kb, &delegator)?,
                pagination: page(),
            },
            staking::QueryDelegatorDelegationsResponse
        ),
        StakingQuery::DelegationsTo { validator } => q!(
            "ValidatorDelegations",
            staking::QueryValidatorDelegationsRequest {
                validator_addr: valoper_arg(&validator)?,
                pagination: page(),
            },
            staking::QueryValidatorDelegationsResponse
        ),
        StakingQuery::UnbondingDelegation {
            delegator,
            validator,
        } => q!(
            "UnbondingDelegation",
            staking::QueryUnbondingDelegationRequest {
                delegator_addr: acct(home, kb, &delegator)?,
                validator_addr: valoper_arg(&validator)?,
            },
            staking::QueryUnbondingDelegationResponse
        ),
        StakingQuery::UnbondingDelegations { delegator } => q!(
            "DelegatorUnbondingDelegations",
            staking::QueryDelegatorUnbondingDelegationsRequest {
                delegator_addr: acct(home, kb, &delegator)?,
                pagination: page(),
            },
            staking::QueryDelegatorUnbondingDelegationsResponse
        ),
        StakingQuery::Redelegations { delegator } => q!(
            "Redelegations",
            staking::QueryRedelegationsRequest {
                delegator_addr: acct(home, kb, &delegator)?,
                src_validator_addr: String::new(),
                dst_validator_addr: String::new(),
                pagination: page(),
            },
            staking::QueryRedelegationsResponse
        ),
        StakingQuery::HistoricalInfo { height } => q!(
            "HistoricalInfo",
            staking::QueryHistoricalInfoRequest { height },
            staking::QueryHistoricalInfoResponse
        ),
        StakingQuery::Pool => q!(
            "Pool",
            staking::QueryPoolRequest {},
            staking::QueryPoolResponse
        ),
        StakingQuery::Params => q!(
            "Params",
            staking::QueryParamsRequest {},
            staking::QueryParamsResponse
        ),
    }
}

pub async fn distribution_query(
    ch: &Channel,
    home: &Path,
    cmd: DistributionQuery,
) -> anyhow::Result<Value> {
    const Q: &str = "/cosmos.distribution.v1beta1.Query/";
    let kb = keyring::Backend::Test;
    macro_rules! q {
        ($m:literal, $req:expr, $resp:ty) => {{
            let r: $resp = client::grpc_query(ch, &format!("{Q}{}", $m), $req).await?;
            out(&r)
        }};
    }
    let mut v = match cmd {
        DistributionQuery::Params => q!(
            "Params",
            distr::QueryParamsRequest {},
            distr::QueryParamsResponse
        )?,
        DistributionQuery::Rewards {
            delegator,
            validator: Some(validator),
        } => q!(
            "DelegationRewards",
            distr::QueryDelegationRewardsRequest {
                delegator_address: acct(home, kb, &delegator)?,
                validator_address: valoper_arg(&validator)?,
            },
            distr::QueryDelegationRewardsResponse
        )?,
        DistributionQuery::Rewards {
            delegator,
            validator: None,
        } => q!(
            "DelegationTotalRewards",
            distr::QueryDelegationTotalRewardsRequest {
                delegator_address: acct(home, kb, &delegator)?,
            },
            distr::QueryDelegationTotalRewardsResponse
        )?,
        DistributionQuery::Commission { validator } => q!(
            "ValidatorCommission",
            distr::QueryValidatorCommissionRequest {
                validator_address: valoper_arg(&validator)?,
            },
            distr::QueryValidatorCommissionResponse
        )?,
        DistributionQuery::CommunityPool => q!(
            "CommunityPool",
            distr::QueryCommunityPoolRequest {},
            distr::QueryCommunityPoolResponse
        )?,
        DistributionQuery::ValidatorOutstandingRewards { validator } => q!(
            "ValidatorOutstandingRewards",
            distr::QueryValidatorOutstandingRewardsRequest {
                validator_address: valoper_arg(&validator)?,
            },
            distr::QueryValidatorOutstandingRewardsResponse
        )?,
        DistributionQuery::Slashes { validator } => q!(
            "ValidatorSlashes",
            distr::QueryValidatorSlashesRequest {
                validator_address: valoper_arg(&validator)?,
                starting_height: 0,
                ending_height: u64::MAX,
                pagination: page(),
            },
            distr::QueryValidatorSlashesResponse
        )?,
        DistributionQuery::WithdrawAddr { delegator } => q!(
            "DelegatorWithdrawAddress",
            distr::QueryDelegatorWithdrawAddressRequest {
                delegator_address: acct(home, kb, &delegator)?,
            },
            distr::QueryDelegatorWithdrawAddressResponse
        )?,
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

pub async fn slashing_query(ch: &Channel, cmd: SlashingQuery) -> anyhow::Result<Value> {
    const Q: &str = "/cosmos.slashing.v1beta1.Query/";
    macro_rules! q {
        ($m:literal, $req:expr, $resp:ty) => {{
            let r: $resp = client::grpc_query(ch, &format!("{Q}{}", $m), $req).await?;
            out(&r)
        }};
    }
    match cmd {
        SlashingQuery::Params => {
            let r: slashing::QueryParamsResponse = client::grpc_query(
                ch,
                "/cosmos.slashing.v1beta1.Query/Params",
                slashing::QueryParamsRequest {},
            )
            .await?;
            let mut v = out(&r)?;
            // Slashing's decimals are bytes holding the atomics string.
            if let Some(p) = r.params {
                for (k, b) in [
                    ("min_signed_per_window", &p.min_signed_per_window),
                    ("slash_fraction_double_sign", &p.slash_fraction_double_sign),
                    ("slash_fraction_downtime", &p.slash_fraction_downtime),
                ] {
                    if let Some(d) = bytes_dec(b) {
                        v["params"][k] = json!(d);
                    }
                }
            }
            Ok(v)
        }
        SlashingQuery::SigningInfo { cons } => {
            let cons_address = if cons.trim_start().starts_with('{') {
                let key = gentx::parse_pubkey_json(&cons)?;
                cons_address(&key).with_prefix("openvalcons")
            } else {
                cons
            };
            q!(
                "SigningInfo",
                slashing::QuerySigningInfoRequest { cons_address },
                slashing::QuerySigningInfoResponse
            )
        }
        SlashingQuery::SigningInfos => q!(
            "SigningInfos",
            slashing::QuerySigningInfosRequest { pagination: page() },
            slashing::QuerySigningInfosResponse
        ),
    }
}

pub async fn gov_query(ch: &Channel, home: &Path, cmd: GovQuery) -> anyhow::Result<Value> {
    const Q: &str = "/cosmos.gov.v1.Query/";
    let kb = keyring::Backend::Test;
    macro_rules! q {
        ($m:literal, $req:expr, $resp:ty) => {{
            let r: $resp = client::grpc_query(ch, &format!("{Q}{}", $m), $req).await?;
            out(&r)
        }};
    }
    match cmd {
        GovQuery::Proposal { proposal_id } => q!(
            "Proposal",
            gov::QueryProposalRequest { proposal_id },
            gov::QueryProposalResponse
        ),
        GovQuery::Proposals => q!(
            "Proposals",
            gov::QueryProposalsRequest {
                proposal_status: 0,
                voter: String::new(),
                depositor: String::new(),
                pagination: page(),
            },
            gov::QueryProposalsResponse
        ),
        GovQuery::Vote { proposal_id, voter } => q!(
            "Vote",
            gov::QueryVoteRequest {
                proposal_id,
                voter: acct(home, kb, &voter)?,
            },
            gov::QueryVoteResponse
        ),
        GovQuery::Votes { proposal_id } => q!(
            "Votes",
            gov::QueryVotesRequest {
                proposal_id,
                pagination: page(),
            },
            gov::QueryVotesResponse
        ),
        GovQuery::Deposit {
            proposal_id,
            depositor,
        } => q!(
            "Deposit",
            gov::QueryDepositRequest {
                proposal_id,
                depositor: acct(home, kb, &depositor)?,
            },
            gov::QueryDepositResponse
        ),
        GovQuery::Deposits { proposal_id } => q!(
            "Deposits",
            gov::QueryDepositsRequest {
                proposal_id,
                pagination: page(),
            },
            gov::QueryDepositsResponse
        ),
        GovQuery::Tally { proposal_id } => q!(
            "TallyResult",
            gov::QueryTallyResultRequest { proposal_id },
            gov::QueryTallyResultResponse
        ),
        GovQuery::Params => q!(
            "Params",
            gov::QueryParamsRequest {
                params_type: "tallying".into(),
            },
            gov::QueryParamsResponse
        ),
    }
}

pub async fn mint_query(ch: &Channel, cmd: MintQuery) -> anyhow::Result<Value> {
    const Q: &str = "/cosmos.mint.v1beta1.Query/";
    macro_rules! q {
        ($m:literal, $req:expr, $resp:ty) => {{
            let r: $resp = client::grpc_query(ch, &format!("{Q}{}", $m), $req).await?;
            r
        }};
    }
    match cmd {
        MintQuery::Params => out(&q!(
            "Params",
            mint::QueryParamsRequest {},
            mint::QueryParamsResponse
        )),
        MintQuery::Inflation => {
            let r = q!(
                "Inflation",
                mint::QueryInflationRequest {},
                mint::QueryInflationResponse
            );
            Ok(json!({ "inflation": bytes_dec(&r.inflation).unwrap_or_default() }))
        }
        MintQuery::AnnualProvisions => {
            let r = q!(
                "AnnualProvisions",
                mint::QueryAnnualProvisionsRequest {},
                mint::QueryAnnualProvisionsResponse
            );
            Ok(json!({ "annual_provisions": bytes_dec(&r.annual_provisions).unwrap_or_default() }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consensus_keys_print_as_show_validator_does() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD;
        let any = openledger_staking::types::encode_consensus_pubkey(&[7; 32]);
        let mut v = json!({"validators": [{"consensus_pubkey": {
            "type_url": any.type_url, "value": b64.encode(&any.value)}}]});
        consensus_keys(&mut v);
        assert_eq!(
            v["validators"][0]["consensus_pubkey"],
            json!({"@type": "/cosmos.crypto.ed25519.PubKey", "key": b64.encode([7u8; 32])})
        );
    }

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
