//! The client side of a node, over its gRPC endpoint (the standard Cosmos services): building,
//! signing, simulating and broadcasting transactions, and reading accounts.
//!
//! - [`keyring`]: local keys;
//! - [`datanet`]: Datanet reads, version export, contributing a JSONL file in batches;
//! - [`models`]: model reads, the contents of a lora-engine adapter directory.
//!
//! Queries go through tonic's typed clients of the generated services (`query_client::…`).
//! The client knows the node only by its wire protocol and limits; it never uses the CLI.

pub mod attribution;
pub mod datanet;
pub mod keyring;
pub mod models;

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::auth::v1beta1 as auth;
use cosmrs::proto::cosmos::base::abci::v1beta1::TxResponse;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use cosmrs::tx::{Body, Fee, SignDoc, SignerInfo};
use cosmrs::{Any, Coin as CosmrsCoin};
use openledger_framework::decimal::DecCoin;
use openledger_framework::{Address, Coin, Coins};
use prost::Message;
use tonic::transport::Channel;

pub const DEFAULT_GRPC: &str = "http://127.0.0.1:9090";

/// Largest reply the client accepts (adapter weights and wasm code come back whole).
pub const MAX_REPLY_BYTES: usize = openledger_node::grpc::MAX_MESSAGE_BYTES;

/// A gRPC error as the message people read.
pub fn status(s: tonic::Status) -> anyhow::Error {
    anyhow!("{}", s.message())
}
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

/// `sync`: return once CheckTx accepted the tx; `block`: once it is in a block.
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
    let from = keyring::address_of(key)?;
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
                openledger_state_machine::ante::MAX_GAS_WANTED,
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

/// The value of attribute `key` of the first `kind` event of a tx that has it.
pub fn event_attr(resp: &TxResponse, kind: &str, key: &str) -> Option<String> {
    resp.events
        .iter()
        .filter(|e| e.r#type == kind)
        .flat_map(|e| e.attributes.iter())
        .find(|a| a.key == key)
        .map(|a| a.value.clone())
}

/// How a transaction is signed and sent.
pub struct Sender {
    pub key: SigningKey,
    pub chain_id: String,
    pub fee: FeeOptions,
    pub memo: String,
    pub mode: BroadcastMode,
}

impl Sender {
    pub async fn send(&self, ch: &Channel, msgs: Vec<Any>) -> anyhow::Result<TxResponse> {
        sign_and_broadcast(
            ch,
            &self.key,
            &self.chain_id,
            msgs,
            &self.memo,
            &self.fee,
            self.mode,
        )
        .await
    }
}

/// One unary gRPC call by method path (`/cosmos.staking.v1beta1.Query/Validators`), on the state
/// at `height` (the `x-cosmos-block-height` header; latest when `None`), so that several reads
/// see one state. For callers that pick methods at run time (tests); commands use the typed
/// clients.
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
            openledger_node::grpc::HEIGHT_HEADER,
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
