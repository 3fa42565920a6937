//! `query auth`: accounts.

use anyhow::anyhow;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use clap::Subcommand;
use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use openledger_framework::Address;
use prost::Message;
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::common::QueryCtx;
use crate::client::status;

#[derive(Subcommand)]
pub enum AuthQuery {
    Account { address: String },
}

pub async fn query(q: &QueryCtx, cmd: AuthQuery) -> anyhow::Result<Value> {
    let AuthQuery::Account { address } = cmd;
    let addr = Address::from_bech32(&address)?;
    account(&q.channel().await?, &addr).await
}

async fn account(ch: &Channel, addr: &Address) -> anyhow::Result<Value> {
    let mut q = auth::query_client::QueryClient::new(ch.clone());
    let r = q
        .account(auth::QueryAccountRequest {
            address: addr.to_bech32(),
        })
        .await
        .map_err(status)?
        .into_inner();
    let any = r
        .account
        .ok_or_else(|| anyhow!("account {addr} not found"))?;
    let base = match any.type_url.as_str() {
        "/cosmos.auth.v1beta1.ModuleAccount" => auth::ModuleAccount::decode(any.value.as_slice())?
            .base_account
            .unwrap_or_default(),
        _ => auth::BaseAccount::decode(any.value.as_slice())?,
    };
    let pub_key = base.pub_key.map(|pk| {
        let key = cosmrs::proto::cosmos::crypto::secp256k1::PubKey::decode(pk.value.as_slice())
            .map(|k| k.key)
            .unwrap_or_default();
        json!({"@type": pk.type_url, "key": B64.encode(key)})
    });
    Ok(json!({
        "account": {
            "@type": any.type_url,
            "address": base.address,
            "pub_key": pub_key,
            "account_number": base.account_number.to_string(),
            "sequence": base.sequence.to_string(),
        }
    }))
}
