//! `tx slashing` and `query slashing`: unjailing, signing infos and params, with the standard
//! message and `cosmos.slashing.v1beta1.Query`.

use std::path::Path;

use clap::Subcommand;
use cosmrs::proto::cosmos::slashing::v1beta1 as slashing;
use openledger_framework::pack_any;
use openledger_staking::{cons_address, valoper};
use serde_json::{Value, json};

use super::comet::parse_pubkey_json;
use super::common::{FromKey, QueryCtx, TxFlags, page, send_msgs, sender_of};
use super::output::{bytes_dec, cosmos_json};
use crate::client::{keyring, status};

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

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: SlashingTx) -> anyhow::Result<()> {
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

#[derive(Subcommand)]
pub enum SlashingQuery {
    Params,
    /// Signing info by consensus address (`openvalcons1…`) or consensus key JSON.
    SigningInfo {
        cons: String,
    },
    SigningInfos,
}

pub async fn query(q: &QueryCtx, cmd: SlashingQuery) -> anyhow::Result<Value> {
    // Arguments first, then the call.
    macro_rules! ask {
        ($method:ident, $req:expr) => {{
            let req = $req;
            let mut c = slashing::query_client::QueryClient::new(q.channel().await?);
            c.$method(req).await.map_err(status)?.into_inner()
        }};
    }
    match cmd {
        SlashingQuery::Params => {
            let r = ask!(params, slashing::QueryParamsRequest {});
            let mut v = cosmos_json(&r)?;
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
                let key = parse_pubkey_json(&cons)?;
                cons_address(&key).with_prefix("openvalcons")
            } else {
                cons
            };
            cosmos_json(&ask!(
                signing_info,
                slashing::QuerySigningInfoRequest { cons_address }
            ))
        }
        SlashingQuery::SigningInfos => cosmos_json(&ask!(
            signing_infos,
            slashing::QuerySigningInfosRequest { pagination: page() }
        )),
    }
}
