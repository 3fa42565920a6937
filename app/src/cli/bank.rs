//! `tx bank` and `query bank`: sends, balances and the supply.

use std::path::Path;

use anyhow::{anyhow, bail};
use clap::Subcommand;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use openledger_framework::{Address, Coins, pack_any};
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::common::{QueryCtx, TxFlags, confirm};
use super::output::{Output, coins_json, print, tx_response_json};
use crate::client::keyring::{self, Keyring};
use crate::client::{self, FeeOptions, status};

#[derive(Subcommand)]
pub enum BankTx {
    /// Send coins: `send <from-key> <to-address> <coins>`.
    Send {
        from: String,
        to: String,
        amount: String,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum BankQuery {
    Balances { address: String },
    Total,
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: BankTx) -> anyhow::Result<()> {
    match cmd {
        BankTx::Send {
            from,
            to,
            amount,
            flags,
        } => {
            let kr = Keyring::new(home, flags.keyring_backend);
            let key = kr.signing_key(&from)?;
            let from_addr = keyring::address_of(&key)?;
            let to_addr = Address::from_bech32(&to).map_err(|e| anyhow!("recipient: {e}"))?;
            let coins: Coins = amount.parse().map_err(|e| anyhow!("amount: {e}"))?;
            if coins.is_empty() {
                bail!("amount must be positive");
            }
            let msg = MsgSend {
                from_address: from_addr.to_bech32(),
                to_address: to_addr.to_bech32(),
                amount: coins.to_proto(),
            };
            let fee = FeeOptions::parse(&flags.gas, flags.gas_adjustment, &flags.fees)?
                .with_gas_prices(&flags.gas_prices)?;
            if !flags.yes
                && !confirm(&format!(
                    "send {coins} from {from_addr} to {to_addr} (fees {})?",
                    fee.fees
                ))?
            {
                bail!("cancelled");
            }
            let resp = rt.block_on(async {
                let ch = client::connect(&flags.grpc_addr).await?;
                client::sign_and_broadcast(
                    &ch,
                    &key,
                    &flags.chain_id,
                    vec![pack_any(&msg)],
                    &flags.memo,
                    &fee,
                    flags.broadcast_mode,
                )
                .await
            })?;
            print(&tx_response_json(&resp), flags.output == Output::Json);
            if resp.code != 0 {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

pub async fn query(q: &QueryCtx, cmd: BankQuery) -> anyhow::Result<Value> {
    match cmd {
        BankQuery::Balances { address } => {
            let addr = Address::from_bech32(&address)?;
            balances(&q.channel().await?, &addr).await
        }
        BankQuery::Total => total(&q.channel().await?).await,
    }
}

async fn balances(ch: &Channel, addr: &Address) -> anyhow::Result<Value> {
    let mut q = bank::query_client::QueryClient::new(ch.clone());
    let r = q
        .all_balances(bank::QueryAllBalancesRequest {
            address: addr.to_bech32(),
            pagination: None,
            resolve_denom: false,
        })
        .await
        .map_err(status)?
        .into_inner();
    let total = r.pagination.as_ref().map_or(0, |p| p.total);
    Ok(
        json!({"balances": coins_json(&r.balances), "pagination": {"next_key": null, "total": total.to_string()}}),
    )
}

async fn total(ch: &Channel) -> anyhow::Result<Value> {
    let mut q = bank::query_client::QueryClient::new(ch.clone());
    let r = q
        .total_supply(bank::QueryTotalSupplyRequest { pagination: None })
        .await
        .map_err(status)?
        .into_inner();
    let total = r.pagination.as_ref().map_or(0, |p| p.total);
    Ok(
        json!({"supply": coins_json(&r.supply), "pagination": {"next_key": null, "total": total.to_string()}}),
    )
}
