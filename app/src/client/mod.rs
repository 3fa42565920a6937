//! The CLI's client side: building, signing and broadcasting transactions, and queries, over
//! the node's gRPC endpoint (the standard Cosmos services).

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::{Any, Coin as CosmrsCoin};
use openledger_framework::decimal::DecCoin;
use openledger_framework::{Address, Coin, Coins};
use prost::Message;
use serde_json::{Value, json};
use tonic::transport::Channel;

pub const DEFAULT_GRPC: &str = "http://127.0.0.1:9090";
pub const DEFAULT_GAS: u64 = 200_000;

pub async fn connect(grpc: &str) -> anyhow::Result<Channel> {
    let endpoint = tonic::transport::Endpoint::from_shared(grpc.to_string())
        .with_context(|| format!("invalid --grpc-addr {grpc}"))?
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(60));
    endpoint.connect().await.with_context(|| {
        format!("cannot reach the node's gRPC at {grpc}; is `openledgerd start` running?")
    })
}

/// Account number and sequence of `addr`, from `cosmos.auth.v1beta1.Query/Account`.
pub async fn account_numbers(ch: &Channel, addr: &Address) -> anyhow::Result<(u64, u64)> {
    let mut q = auth::query_client::QueryClient::new(ch.clone());
    let resp = q
        .account(auth::QueryAccountRequest {
            address: addr.to_bech32(),
        })
        .await
        .map_err(|s| anyhow!("account {addr}: {}", s.message()))?
        .into_inner();
    let any = resp
        .account
        .ok_or_else(|| anyhow!("account {addr} not found"))?;
    let base = auth::BaseAccount::decode(any.value.as_slice()).context("decoding account")?;
    Ok((base.account_number, base.sequence))
}

/// Gas and fee settings of a tx (`--gas`, `--gas-adjustment`, `--fees`, `--gas-prices`).
#[derive(Debug, Clone)]
pub struct FeeOptions {
    /// `None`: `auto` (simulate).
    pub gas: Option<u64>,
    pub gas_adjustment: f64,
    pub fees: Coins,
    /// With `--gas-prices`, the fee is `ceil(gas × price)` (instead of `fees`).
    pub gas_price: Option<DecCoin>,
}

impl FeeOptions {
    /// `--gas-prices` on top of [`FeeOptions::parse`]; the two fee flags exclude each other.
    pub fn with_gas_prices(mut self, gas_prices: &str) -> anyhow::Result<Self> {
        if gas_prices.is_empty() {
            return Ok(self);
        }
        if !self.fees.is_empty() {
            bail!("give either --fees or --gas-prices, not both");
        }
        self.gas_price = Some(
            gas_prices
                .parse()
                .map_err(|e| anyhow!("--gas-prices: {e}"))?,
        );
        Ok(self)
    }

    /// The fee for a gas limit.
    pub fn fee_for(&self, gas: u64) -> anyhow::Result<Coins> {
        match &self.gas_price {
            None => Ok(self.fees.clone()),
            Some(p) => {
                let amount = p
                    .amount
                    .mul_int_ceil(gas as u128)
                    .ok_or_else(|| anyhow!("fee overflow"))?;
                Ok(Coins::from_vec(vec![Coin::new(amount, p.denom.clone())])?)
            }
        }
    }

    pub fn parse(gas: &str, gas_adjustment: f64, fees: &str) -> anyhow::Result<Self> {
        let gas = match gas {
            "auto" => None,
            n => Some(
                n.parse::<u64>()
                    .map_err(|_| anyhow!("--gas must be a number or 'auto', got {n:?}"))?,
            ),
        };
        if !(gas_adjustment.is_finite() && gas_adjustment > 0.0) {
            bail!("--gas-adjustment must be positive");
        }
        Ok(Self {
            gas,
            gas_adjustment,
            fees: fees.parse().map_err(|e| anyhow!("--fees: {e}"))?,
            gas_price: None,
        })
    }
}

fn to_cosmrs_coins(coins: &Coins) -> anyhow::Result<Vec<CosmrsCoin>> {
    coins
        .iter()
        .map(|c| {
            Ok(CosmrsCoin {
                denom: c.denom.parse().map_err(|e| anyhow!("{e}"))?,
                amount: c.amount,
            })
        })
        .collect()
}

/// Signs a tx with `SIGN_MODE_DIRECT`.
#[allow(clippy::too_many_arguments)]
pub fn sign_tx(
    key: &SigningKey,
    chain_id: &str,
    account_number: u64,
    sequence: u64,
    msgs: Vec<Any>,
    memo: &str,
    gas: u64,
    fees: &Coins,
) -> anyhow::Result<Vec<u8>> {
    let body = Body::new(msgs, memo, 0u32);
    let fee = Fee {
        amount: to_cosmrs_coins(fees)?,
        gas_limit: gas,
        payer: None,
        granter: None,
    };
    let auth_info = SignerInfo::single_direct(Some(key.public_key()), sequence).auth_info(fee);
    let chain_id: cosmrs::tendermint::chain::Id = chain_id
        .parse()
        .map_err(|e| anyhow!("invalid chain-id: {e}"))?;
    let doc =
        SignDoc::new(&body, &auth_info, &chain_id, account_number).map_err(|e| anyhow!("{e}"))?;
    let raw = doc.sign(key).map_err(|e| anyhow!("signing: {e}"))?;
    raw.to_bytes().map_err(|e| anyhow!("{e}"))
}

/// Gas used by a tx, by `Simulate` on the node.
pub async fn simulate(ch: &Channel, tx_bytes: Vec<u8>) -> anyhow::Result<u64> {
    let mut svc = txv1::service_client::ServiceClient::new(ch.clone());
    #[allow(deprecated)]
    let resp = svc
        .simulate(txv1::SimulateRequest { tx: None, tx_bytes })
        .await
        .map_err(|s| anyhow!("simulation failed: {}", s.message()))?
        .into_inner();
    Ok(resp.gas_info.map(|g| g.gas_used).unwrap_or(0))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BroadcastMode {
    Sync,
    Block,
}

/// Broadcasts; in `block` mode waits (up to `timeout`) until the tx is in a block.
pub async fn broadcast(
    ch: &Channel,
    tx_bytes: Vec<u8>,
    mode: BroadcastMode,
    timeout: Duration,
) -> anyhow::Result<TxResponse> {
    let mut svc = txv1::service_client::ServiceClient::new(ch.clone());
    let resp = svc
        .broadcast_tx(txv1::BroadcastTxRequest {
            tx_bytes,
            mode: txv1::BroadcastMode::Sync as i32,
        })
        .await
        .map_err(|s| anyhow!("broadcast failed: {}", s.message()))?
        .into_inner()
        .tx_response
        .ok_or_else(|| anyhow!("empty broadcast response"))?;
    if resp.code != 0 || mode == BroadcastMode::Sync {
        return Ok(resp);
    }
    let start = Instant::now();
    loop {
        match svc
            .get_tx(txv1::GetTxRequest {
                hash: resp.txhash.clone(),
            })
            .await
        {
            Ok(r) => {
                if let Some(tr) = r.into_inner().tx_response {
                    return Ok(tr);
                }
            }
            Err(s) if s.code() == tonic::Code::NotFound => {}
            Err(s) => bail!("waiting for tx {}: {}", resp.txhash, s.message()),
        }
        if start.elapsed() > timeout {
            bail!(
                "tx {} was not included in a block within {:?}",
                resp.txhash,
                timeout
            );
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Signs with the right account number and sequence, estimates gas if asked, and broadcasts.
pub async fn sign_and_broadcast(
    ch: &Channel,
    key: &SigningKey,
    chain_id: &str,
    msgs: Vec<Any>,
    memo: &str,
    fee: &FeeOptions,
    mode: BroadcastMode,
) -> anyhow::Result<TxResponse> {
    let from = crate::keyring::address_of(key)?;
    let (number, sequence) = account_numbers(ch, &from).await?;
    let gas = match fee.gas {
        Some(g) => g,
        None => {
            let sim_fee = if fee.fees.is_empty() {
                fee.fee_for(200_000)?
            } else {
                fee.fees.clone()
            };
            let sim = sign_tx(
                key,
                chain_id,
                number,
                sequence,
                msgs.clone(),
                memo,
                crate::ante::MAX_GAS_WANTED,
                // Simulation does not check the fee against the gas price, but it must pay one
                // for the fee deduction's gas to be counted (else small txs, like a vote, run
                // out of gas on delivery even with the 1.3 adjustment).
                &sim_fee,
            )?;
            let used = simulate(ch, sim).await?;
            ((used as f64) * fee.gas_adjustment).ceil() as u64
        }
    };
    let tx = sign_tx(
        key,
        chain_id,
        number,
        sequence,
        msgs,
        memo,
        gas,
        &fee.fee_for(gas)?,
    )?;
    broadcast(ch, tx, mode, Duration::from_secs(60)).await
}

fn event_json(e: &tendermint_proto::v0_38::abci::Event) -> Value {
    json!({
        "type": e.r#type,
        "attributes": e.attributes.iter().map(|a| json!({"key": a.key, "value": a.value, "index": a.index})).collect::<Vec<_>>(),
    })
}

/// The value of attribute `key` of the first `kind` event of a tx that has it.
pub fn event_attr(resp: &TxResponse, kind: &str, key: &str) -> Option<String> {
    resp.events
        .iter()
        .filter(|e| e.r#type == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// A `TxResponse` in the Cosmos CLI's JSON shape.
pub fn tx_response_json(r: &TxResponse) -> Value {
    json!({
        "height": r.height.to_string(),
        "txhash": r.txhash,
        "codespace": r.codespace,
        "code": r.code,
        "data": r.data,
        "raw_log": r.raw_log,
        "logs": [],
        "info": r.info,
        "gas_wanted": r.gas_wanted.to_string(),
        "gas_used": r.gas_used.to_string(),
        "tx": null,
        "timestamp": r.timestamp,
        "events": r.events.iter().map(event_json).collect::<Vec<_>>(),
    })
}

pub fn coins_json(coins: &[cosmrs::proto::cosmos::base::v1beta1::Coin]) -> Value {
    Value::Array(
        coins
            .iter()
            .map(|c| json!({"denom": c.denom, "amount": c.amount}))
            .collect(),
    )
}

pub async fn query_balances(ch: &Channel, addr: &Address) -> anyhow::Result<Value> {
    let mut q = bank::query_client::QueryClient::new(ch.clone());
    let r = q
        .all_balances(bank::QueryAllBalancesRequest {
            address: addr.to_bech32(),
            pagination: None,
            resolve_denom: false,
        })
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner();
    let total = r.pagination.as_ref().map_or(0, |p| p.total);
    Ok(
        json!({"balances": coins_json(&r.balances), "pagination": {"next_key": null, "total": total.to_string()}}),
    )
}

pub async fn query_total(ch: &Channel) -> anyhow::Result<Value> {
    let mut q = bank::query_client::QueryClient::new(ch.clone());
    let r = q
        .total_supply(bank::QueryTotalSupplyRequest { pagination: None })
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner();
    let total = r.pagination.as_ref().map_or(0, |p| p.total);
    Ok(
        json!({"supply": coins_json(&r.supply), "pagination": {"next_key": null, "total": total.to_string()}}),
    )
}

pub async fn query_account(ch: &Channel, addr: &Address) -> anyhow::Result<Value> {
    let mut q = auth::query_client::QueryClient::new(ch.clone());
    let r = q
        .account(auth::QueryAccountRequest {
            address: addr.to_bech32(),
        })
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
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
        use base64::Engine;
        let key = cosmrs::proto::cosmos::crypto::secp256k1::PubKey::decode(pk.value.as_slice())
            .map(|k| k.key)
            .unwrap_or_default();
        json!({"@type": pk.type_url, "key": base64::engine::general_purpose::STANDARD.encode(key)})
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

pub async fn query_tx(ch: &Channel, hash: &str) -> anyhow::Result<Value> {
    let mut svc = txv1::service_client::ServiceClient::new(ch.clone());
    let r = svc
        .get_tx(txv1::GetTxRequest {
            hash: hash.to_string(),
        })
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner();
    let tr = r
        .tx_response
        .ok_or_else(|| anyhow!("tx {hash} not found"))?;
    Ok(tx_response_json(&tr))
}

pub async fn query_block(ch: &Channel, height: Option<u64>) -> anyhow::Result<Value> {
    use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
    let mut svc = tm::service_client::ServiceClient::new(ch.clone());
    let (id, block) = match height {
        None => {
            let r = svc
                .get_latest_block(tm::GetLatestBlockRequest {})
                .await
                .map_err(|s| anyhow!("{}", s.message()))?
                .into_inner();
            (r.block_id, r.block)
        }
        Some(h) => {
            let r = svc
                .get_block_by_height(tm::GetBlockByHeightRequest { height: h as i64 })
                .await
                .map_err(|s| anyhow!("{}", s.message()))?
                .into_inner();
            (r.block_id, r.block)
        }
    };
    let block = block.ok_or_else(|| anyhow!("no block in response"))?;
    let header = block.header.unwrap_or_default();
    let time = header
        .time
        .map(|t| format!("{}.{:09}", t.seconds, t.nanos))
        .unwrap_or_default();
    Ok(json!({
        "block_id": {"hash": id.map(|i| hex::encode_upper(i.hash)).unwrap_or_default()},
        "block": {
            "header": {
                "chain_id": header.chain_id,
                "height": header.height.to_string(),
                "time": time,
                "app_hash": hex::encode_upper(header.app_hash),
                "proposer_address": hex::encode_upper(header.proposer_address),
            },
            "data": {"txs": block.data.map(|d| d.txs.len()).unwrap_or(0)},
        }
    }))
}

pub async fn status(ch: &Channel) -> anyhow::Result<Value> {
    use cosmrs::proto::cosmos::base::node::v1beta1 as node;
    use cosmrs::proto::cosmos::base::tendermint::v1beta1 as tm;
    let mut svc = tm::service_client::ServiceClient::new(ch.clone());
    let info = svc
        .get_node_info(tm::GetNodeInfoRequest {})
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner();
    let syncing = svc
        .get_syncing(tm::GetSyncingRequest {})
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner();
    let mut n = node::service_client::ServiceClient::new(ch.clone());
    let st = n
        .status(node::StatusRequest {})
        .await
        .map_err(|s| anyhow!("{}", s.message()))?
        .into_inner();
    let ni = info.default_node_info.unwrap_or_default();
    Ok(json!({
        "node_info": {"id": ni.default_node_id, "network": ni.network, "moniker": ni.moniker, "version": ni.version},
        "sync_info": {
            "latest_block_height": st.height.to_string(),
            "latest_app_hash": hex::encode_upper(st.app_hash),
            "catching_up": syncing.syncing,
        },
    }))
}

/// Prints `value` as JSON, or as indented `key: value` text.
pub fn print(value: &Value, json_output: bool) {
    if json_output {
        println!("{value}");
    } else {
        let mut out = String::new();
        text(value, 0, &mut out);
        print!("{out}");
    }
}

fn text(v: &Value, indent: usize, out: &mut String) {
    let pad = "  ".repeat(indent);
    match v {
        Value::Object(map) => {
            for (k, v) in map {
                match v {
                    Value::Object(_) | Value::Array(_) if !is_empty(v) => {
                        out.push_str(&format!("{pad}{k}:\n"));
                        text(v, indent + 1, out);
                    }
                    _ => out.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                out.push_str(&format!("{pad}-\n"));
                text(item, indent + 1, out);
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
        other => other.to_string(),
    }
}

/// One unary gRPC call by method path (`/cosmos.staking.v1beta1.Query/Validators`), for the
/// query commands of the standard Cosmos services.
pub async fn grpc_query<Req, Resp>(ch: &Channel, path: &str, req: Req) -> anyhow::Result<Resp>
where
    Req: prost::Message + 'static,
    Resp: prost::Message + Default + 'static,
{
    grpc_query_at(ch, path, req, None).await
}

/// [`grpc_query`] on the state at `height` (the `x-cosmos-block-height` header; latest when
/// `None`), so that several reads see one state.
pub async fn grpc_query_at<Req, Resp>(
    ch: &Channel,
    path: &str,
    req: Req,
    height: Option<u64>,
) -> anyhow::Result<Resp>
where
    Req: prost::Message + 'static,
    Resp: prost::Message + Default + 'static,
{
    let mut grpc = tonic::client::Grpc::new(ch.clone());
    grpc.ready()
        .await
        .map_err(|e| anyhow!("gRPC connection: {e}"))?;
    let mut request = tonic::Request::new(req);
    if let Some(h) = height {
        request.metadata_mut().insert(
            crate::grpc::HEIGHT_HEADER,
            h.to_string()
                .parse()
                .map_err(|e| anyhow!("height header: {e}"))?,
        );
    }
    let resp = grpc
        .unary(
            request,
            tonic::codegen::http::uri::PathAndQuery::try_from(path.to_string())
                .map_err(|e| anyhow!("gRPC path {path}: {e}"))?,
            tonic::codec::ProstCodec::default(),
        )
        .await
        .map_err(|s| anyhow!("{}", s.message()))?;
    Ok(resp.into_inner())
}

/// Proto3 JSON with the proto field names (snake_case), as Cosmos CLIs print it.
pub fn proto_json<T: serde::Serialize>(v: &T) -> anyhow::Result<Value> {
    Ok(snake_case(serde_json::to_value(v)?))
}

pub fn snake_case(v: Value) -> Value {
    match v {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| {
                    let mut key = String::with_capacity(k.len() + 4);
                    for ch in k.chars() {
                        if ch.is_ascii_uppercase() {
                            key.push('_');
                            key.push(ch.to_ascii_lowercase());
                        } else {
                            key.push(ch);
                        }
                    }
                    (key, snake_case(v))
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(snake_case).collect()),
        other => other,
    }
}

/// Rewrites the named fields, wherever they are, from the protobuf form of a `LegacyDec`
/// (atomics: the value × 10^18) to its decimal form (`0.100000000000000000`).
pub fn decimal_fields(v: &mut Value, names: &[&str]) {
    match v {
        Value::Object(map) => {
            for (k, x) in map.iter_mut() {
                if names.contains(&k.as_str())
                    && let Value::String(s) = x
                    && let Ok(atomics) = s.parse::<u128>()
                {
                    *s = openledger_framework::Dec::from_atomics(atomics).to_string();
                } else {
                    decimal_fields(x, names);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|x| decimal_fields(x, names)),
        _ => {}
    }
}
