//! `openledgerd loadtest`: signs M bank sends between N fresh accounts, submits them to a running
//! node through CometBFT's RPC, and reports committed transactions per second and block times.

use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use cosmrs::crypto::secp256k1::SigningKey;
use cosmrs::proto::cosmos::bank::v1beta1::{Input, MsgMultiSend, MsgSend, Output};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use openledger_framework::{Address, Coin, Coins, pack_any};
use serde::Serialize;
use tendermint_rpc::Client;

use crate::client::{self, BroadcastMode, FeeOptions};

pub struct LoadtestOptions {
    pub funder: SigningKey,
    pub chain_id: String,
    pub grpc: String,
    pub rpc: String,
    pub accounts: usize,
    pub txs: usize,
    pub gas_price_num: u128,
    pub gas_price_den: u128,
    pub timeout: Duration,
}

#[derive(Debug, Clone, Serialize)]
pub struct LoadtestReport {
    pub submitted: usize,
    pub accepted_by_checktx: usize,
    pub committed_ok: usize,
    pub committed_failed: usize,
    pub blocks: usize,
    pub first_height: u64,
    pub last_height: u64,
    pub seconds: f64,
    pub committed_tps: f64,
    pub mean_block_seconds: f64,
    pub max_txs_per_block: usize,
    pub submit_seconds: f64,
}

fn style() -> ProgressStyle {
    ProgressStyle::with_template("{msg:>10} [{bar:40}] {pos}/{len} ({per_sec})")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
}

pub async fn run(opts: LoadtestOptions) -> anyhow::Result<LoadtestReport> {
    if opts.accounts == 0 || opts.txs == 0 {
        bail!("--accounts and --txs must be positive");
    }
    let ch = client::connect(&opts.grpc).await?;
    let comet =
        tendermint_rpc::HttpClient::new(opts.rpc.as_str()).context("CometBFT RPC address")?;
    let keys: Vec<SigningKey> = (0..opts.accounts).map(|_| SigningKey::random()).collect();
    let addrs: Vec<Address> = keys
        .iter()
        .map(crate::client::keyring::address_of)
        .collect::<Result<_, _>>()?;

    // Gas for one send, measured once; every tx then pays gas × price.
    let per_account = opts.txs.div_ceil(opts.accounts);
    let send_gas: u64 = 120_000;
    let fee_amount = (send_gas as u128 * opts.gas_price_num).div_ceil(opts.gas_price_den);
    let fee = Coins::from_vec(vec![Coin::new(fee_amount.max(1), "uopen")])?;
    let fund_each = (fee_amount + 1) * per_account as u128 + 1_000;

    // Fund every account with one multi-send.
    let funder_addr = crate::client::keyring::address_of(&opts.funder)?;
    let outputs: Vec<Output> = addrs
        .iter()
        .map(|a| Output {
            address: a.to_bech32(),
            coins: vec![Coin::new(fund_each, "uopen").to_proto()],
        })
        .collect();
    let total = fund_each * addrs.len() as u128;
    let multi = MsgMultiSend {
        inputs: vec![Input {
            address: funder_addr.to_bech32(),
            coins: vec![Coin::new(total, "uopen").to_proto()],
        }],
        outputs,
    };
    let fund_gas = 100_000 + 40_000 * addrs.len() as u64;
    let fund_fee = Coins::from_vec(vec![Coin::new(
        (fund_gas as u128 * opts.gas_price_num)
            .div_ceil(opts.gas_price_den)
            .max(1),
        "uopen",
    )])?;
    let resp = client::sign_and_broadcast(
        &ch,
        &opts.funder,
        &opts.chain_id,
        vec![pack_any(&multi)],
        "loadtest funding",
        &FeeOptions {
            gas: Some(fund_gas),
            gas_adjustment: 1.0,
            fees: fund_fee,
            gas_price: None,
        },
        BroadcastMode::Block,
    )
    .await?;
    if resp.code != 0 {
        bail!("funding failed: {}", resp.raw_log);
    }
    eprintln!("funded {} accounts at height {}", addrs.len(), resp.height);

    // Sign everything up front.
    let mut numbers = Vec::with_capacity(addrs.len());
    for a in &addrs {
        numbers.push(client::account_numbers(&ch, a).await?.0);
    }
    let pb = ProgressBar::new(opts.txs as u64)
        .with_style(style())
        .with_message("signing");
    let mut per_worker: Vec<Vec<Vec<u8>>> = vec![Vec::new(); addrs.len()];
    for i in 0..opts.txs {
        let a = i % addrs.len();
        let seq = (i / addrs.len()) as u64;
        let to = addrs[(a + 1) % addrs.len()];
        let msg = MsgSend {
            from_address: addrs[a].to_bech32(),
            to_address: to.to_bech32(),
            amount: vec![Coin::new(1, "uopen").to_proto()],
        };
        let tx = client::sign_tx(
            &keys[a],
            &opts.chain_id,
            numbers[a],
            seq,
            vec![pack_any(&msg)],
            "",
            send_gas,
            &fee,
        )?;
        per_worker[a].push(tx);
        pb.inc(1);
    }
    pb.finish();

    let start_height = comet
        .status()
        .await
        .map_err(|e| anyhow!("CometBFT status: {e}"))?
        .sync_info
        .latest_block_height
        .value();
    let pb = ProgressBar::new(opts.txs as u64)
        .with_style(style())
        .with_message("submitting");
    let started = Instant::now();
    // One sequential stream per account keeps each account's sequence order.
    let accepted: usize = futures::stream::iter(per_worker.into_iter().map(|txs| {
        let comet = comet.clone();
        let pb = pb.clone();
        async move {
            let mut ok = 0usize;
            for tx in txs {
                if let Ok(r) = comet.broadcast_tx_sync(tx).await
                    && r.code.is_ok()
                {
                    ok += 1;
                }
                pb.inc(1);
            }
            ok
        }
    }))
    .buffer_unordered(addrs.len().min(256))
    .fold(0usize, |acc, n| async move { acc + n })
    .await;
    let submit_seconds = started.elapsed().as_secs_f64();
    pb.finish();

    // Count what was committed, block by block, using block header times.
    let mut committed_ok = 0usize;
    let mut committed_failed = 0usize;
    let mut height = start_height + 1;
    let mut first: Option<(u64, tendermint::Time)> = None;
    let mut last: Option<(u64, tendermint::Time)> = None;
    let mut max_txs = 0usize;
    let mut prev_time = comet
        .block(tendermint::block::Height::try_from(start_height)?)
        .await
        .map_err(|e| anyhow!("{e}"))?
        .block
        .header
        .time;
    let deadline = Instant::now() + opts.timeout;
    while committed_ok + committed_failed < accepted {
        if Instant::now() > deadline {
            eprintln!(
                "timed out waiting for {} txs to commit",
                accepted - committed_ok - committed_failed
            );
            break;
        }
        let latest = comet
            .status()
            .await
            .map_err(|e| anyhow!("{e}"))?
            .sync_info
            .latest_block_height
            .value();
        if latest < height {
            tokio::time::sleep(Duration::from_millis(200)).await;
            continue;
        }
        let h = tendermint::block::Height::try_from(height)?;
        let block = comet.block(h).await.map_err(|e| anyhow!("{e}"))?.block;
        // CometBFT stores a height's results just after it reports the height: retry briefly.
        let results = match comet.block_results(h).await {
            Ok(r) => r,
            Err(_) => {
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let txs = results.txs_results.unwrap_or_default();
        let ok = txs.iter().filter(|r| r.code.is_ok()).count();
        committed_ok += ok;
        committed_failed += txs.len() - ok;
        max_txs = max_txs.max(txs.len());
        if !txs.is_empty() {
            if first.is_none() {
                first = Some((height, prev_time));
            }
            last = Some((height, block.header.time));
        }
        prev_time = block.header.time;
        height += 1;
    }
    let (first_height, t0) = first.unwrap_or((start_height, prev_time));
    let (last_height, t1) = last.unwrap_or((start_height, prev_time));
    let seconds = t1
        .duration_since(t0)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    let blocks = (last_height + 1).saturating_sub(first_height) as usize;
    Ok(LoadtestReport {
        submitted: opts.txs,
        accepted_by_checktx: accepted,
        committed_ok,
        committed_failed,
        blocks,
        first_height,
        last_height,
        seconds,
        committed_tps: if seconds > 0.0 {
            committed_ok as f64 / seconds
        } else {
            0.0
        },
        mean_block_seconds: if blocks > 0 {
            seconds / blocks as f64
        } else {
            0.0
        },
        max_txs_per_block: max_txs,
        submit_seconds,
    })
}
