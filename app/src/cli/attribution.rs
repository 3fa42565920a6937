//! `tx attribution` and `query attribution`: paid inference on an adapter, the committed answer
//! with the records behind it and what their contributors were paid, and the end-to-end check
//! of a record from a trusted header (`query attribution verify`).

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use clap::Subcommand;
use openledger_framework::{Coin, pack_any};
use openledger_proto::openledger::attribution::v1 as pb;
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::common::{FromKey, QueryCtx, TxFlags, confirm, page, sender_of};
use super::output::{Output, print, proto_json, tx_response_json};
use crate::client::attribution::{Trust, verify};
use crate::client::{self, event_attr, keyring, status};

#[derive(Subcommand)]
pub enum AttributionTx {
    /// Pay for an answer of an adapter: the fee is escrowed, the validators run the prompt and
    /// compute which training records drove the answer, and the chain commits it and pays the
    /// records' contributors. Waits for the committed answer unless --no-wait.
    Infer {
        adapter_id: u64,
        prompt: String,
        /// The most this request may cost, e.g. 2000000uopen (the licence's price is charged).
        #[arg(long)]
        max_fee: String,
        /// Tokens to generate at most (0: the chain's `max_tokens` param).
        #[arg(long, default_value_t = 0)]
        max_tokens: u32,
        /// Return once the request is in a block.
        #[arg(long)]
        no_wait: bool,
        /// How long to wait for the committed answer, in seconds.
        #[arg(long, default_value_t = 180)]
        wait_timeout: u64,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum AttributionQuery {
    Params,
    /// A paid inference request and its status.
    Request {
        id: u64,
    },
    /// The committed answer of a request, its records' scores and payouts.
    Record {
        request_id: u64,
    },
    /// Records of an adapter (--adapter) or naming a contributor (--contributor).
    Records {
        #[arg(long, conflicts_with = "contributor")]
        adapter: Option<u64>,
        /// An address or key name.
        #[arg(long)]
        contributor: Option<String>,
    },
    /// What a contributor has earned from attribution.
    Earnings {
        address: String,
    },
    /// The Merkle root of the records committed in a block.
    Root {
        height: u64,
    },
    /// Checks a record end to end: its Merkle path to its block's root, that root under the app
    /// hash (ICS-23), and that header by the light client from a trusted one.
    Verify {
        request_id: u64,
        /// CometBFT RPC of the node (for headers, validator sets and the store proof).
        #[arg(long, default_value = "http://127.0.0.1:26657")]
        node: String,
        /// The height of the header you trust (default: the node's earliest block).
        #[arg(long, default_value_t = 0)]
        trust_height: u64,
        /// The hash that header must have.
        #[arg(long)]
        trust_hash: Option<String>,
        /// How long a trusted header stays trusted, in seconds (default 14 days).
        #[arg(long, default_value_t = 14 * 24 * 3600)]
        trusting_period: u64,
        /// Change the record's output before checking (shows that a changed record fails).
        #[arg(long)]
        tamper_output: Option<String>,
    },
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: AttributionTx) -> anyhow::Result<()> {
    let AttributionTx::Infer {
        adapter_id,
        prompt,
        max_fee,
        max_tokens,
        no_wait,
        wait_timeout,
        from,
        flags,
    } = cmd;
    let max_fee: Coin = max_fee
        .parse()
        .map_err(|e| anyhow!("--max-fee {max_fee:?}: {e}"))?;
    let sender = sender_of(home, &from, &flags)?;
    let msg = pb::MsgRequestInference {
        sender: keyring::address_of(&sender.key)?.to_bech32(),
        adapter_id,
        prompt,
        max_tokens,
        max_fee: Some(cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: max_fee.denom.clone(),
            amount: max_fee.amount.to_string(),
        }),
    };
    if !flags.yes && !confirm(&format!("request an inference of adapter {adapter_id}?"))? {
        bail!("cancelled");
    }
    let json_out = flags.output == Output::Json;
    rt.block_on(async {
        let ch = client::connect(&flags.grpc_addr).await?;
        let resp = sender.send(&ch, vec![pack_any(&msg)]).await?;
        if resp.code != 0 || no_wait {
            print(&tx_response_json(&resp), json_out);
            if resp.code != 0 {
                std::process::exit(1);
            }
            return Ok(());
        }
        let id: u64 = event_attr(&resp, "request_inference", "request_id")
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| anyhow!("tx {} has no request_inference event", resp.txhash))?;
        if !json_out {
            eprintln!(
                "request {id} in block {} (tx {}); waiting for the validators' answer…",
                resp.height, resp.txhash
            );
        }
        let value = wait_for_answer(&ch, id, Duration::from_secs(wait_timeout)).await?;
        print(&value, json_out);
        if value["status"] != "REQUEST_STATUS_ATTRIBUTED" {
            std::process::exit(1);
        }
        Ok(())
    })
}

/// Polls request `id` until it is attributed or refunded, or `timeout` passes.
async fn wait_for_answer(ch: &Channel, id: u64, timeout: Duration) -> anyhow::Result<Value> {
    let mut q = pb::query_client::QueryClient::new(ch.clone());
    let started = Instant::now();
    loop {
        let request = q
            .request(pb::QueryRequestRequest { id })
            .await
            .map_err(status)?
            .into_inner()
            .request
            .ok_or_else(|| anyhow!("request {id} not found"))?;
        match pb::RequestStatus::try_from(request.status) {
            Ok(pb::RequestStatus::Attributed) => {
                let record = q
                    .record(pb::QueryRecordRequest { request_id: id })
                    .await
                    .map_err(status)?
                    .into_inner()
                    .record
                    .ok_or_else(|| anyhow!("request {id} is attributed but has no record"))?;
                return Ok(answer_json(&request, &record));
            }
            Ok(pb::RequestStatus::Refunded) => {
                return Ok(json!({
                    "request_id": id.to_string(),
                    "status": "REQUEST_STATUS_REFUNDED",
                    "detail": format!(
                        "no agreement of more than 2/3 of the voting power by height {}; the fee went back to {}",
                        request.timeout_height, request.sender
                    ),
                }));
            }
            _ => {}
        }
        if started.elapsed() > timeout {
            bail!(
                "request {id} still pending after {}s (it times out at height {}; query it with `query attribution request {id}`)",
                timeout.as_secs(),
                request.timeout_height
            );
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// The answer, the records behind it and the payouts, as `tx attribution infer` prints them.
fn answer_json(request: &pb::InferenceRequest, r: &pb::AttributionRecord) -> Value {
    let fee = r
        .fee
        .as_ref()
        .map(|c| format!("{}{}", c.amount, c.denom))
        .unwrap_or_default();
    json!({
        "request_id": r.request_id.to_string(),
        "status": "REQUEST_STATUS_ATTRIBUTED",
        "adapter_id": r.adapter_id.to_string(),
        "output": r.output,
        "height": r.height.to_string(),
        "fee": fee,
        "requested_at": request.height.to_string(),
        "top_records": r.scores.iter().map(|s| json!({
            "record_id": s.record_id.to_string(),
            "contributor": s.contributor,
            "score": format_score(s.score),
            "reward": s.reward,
        })).collect::<Vec<_>>(),
        "owner": r.owner,
        "owner_reward": r.owner_reward,
        "validators": r.reporters.iter().map(|v| json!({
            "operator": v.operator,
            "power": v.power.to_string(),
            "reward": v.reward,
        })).collect::<Vec<_>>(),
    })
}

/// Scores are fixed point with six decimals on chain.
fn format_score(score: i64) -> String {
    let sign = if score < 0 { "-" } else { "" };
    let a = score.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

pub async fn query(q: &QueryCtx, cmd: AttributionQuery) -> anyhow::Result<Value> {
    let client =
        || async { Ok::<_, anyhow::Error>(pb::query_client::QueryClient::new(q.channel().await?)) };
    let not_found = |what: String| anyhow!("{what} not found");
    match cmd {
        AttributionQuery::Params => proto_json(
            &client()
                .await?
                .params(pb::QueryParamsRequest {})
                .await
                .map_err(status)?
                .into_inner(),
        ),
        AttributionQuery::Request { id } => proto_json(
            &client()
                .await?
                .request(pb::QueryRequestRequest { id })
                .await
                .map_err(status)?
                .into_inner()
                .request
                .ok_or_else(|| not_found(format!("request {id}")))?,
        ),
        AttributionQuery::Record { request_id } => proto_json(
            &client()
                .await?
                .record(pb::QueryRecordRequest { request_id })
                .await
                .map_err(status)?
                .into_inner()
                .record
                .ok_or_else(|| not_found(format!("record of request {request_id}")))?,
        ),
        AttributionQuery::Records {
            adapter: Some(adapter_id),
            ..
        } => proto_json(
            &client()
                .await?
                .records_by_adapter(pb::QueryRecordsByAdapterRequest {
                    adapter_id,
                    pagination: page(),
                })
                .await
                .map_err(status)?
                .into_inner(),
        ),
        AttributionQuery::Records {
            contributor: Some(c),
            ..
        } => {
            // The name resolves first, so a wrong key name is reported as such, node or no node.
            let address = q.address(&c)?;
            proto_json(
                &client()
                    .await?
                    .records_by_contributor(pb::QueryRecordsByContributorRequest {
                        address,
                        pagination: page(),
                    })
                    .await
                    .map_err(status)?
                    .into_inner(),
            )
        }
        AttributionQuery::Records { .. } => bail!("give --adapter <id> or --contributor <address>"),
        AttributionQuery::Earnings { address } => {
            let address = q.address(&address)?;
            proto_json(
                &client()
                    .await?
                    .contributor_earnings(pb::QueryContributorEarningsRequest { address })
                    .await
                    .map_err(status)?
                    .into_inner(),
            )
        }
        AttributionQuery::Root { height } => proto_json(
            &client()
                .await?
                .block_root(pb::QueryBlockRootRequest { height })
                .await
                .map_err(status)?
                .into_inner()
                .block_root
                .ok_or_else(|| not_found(format!("block root of height {height}")))?,
        ),
        AttributionQuery::Verify {
            request_id,
            node,
            trust_height,
            trust_hash,
            trusting_period,
            tamper_output,
        } => {
            let trust = Trust {
                height: trust_height,
                hash: trust_hash,
                trusting_period: Duration::from_secs(trusting_period),
            };
            verify_record(q, request_id, &node, &trust, tamper_output).await
        }
    }
}

/// `query attribution verify`: the checks as JSON when all pass, an error naming the first that
/// failed otherwise.
async fn verify_record(
    q: &QueryCtx,
    request_id: u64,
    node: &str,
    trust: &Trust,
    tamper_output: Option<String>,
) -> anyhow::Result<Value> {
    let rpc = tendermint_rpc::HttpClient::new(node)
        .with_context(|| format!("CometBFT RPC address {node:?}"))?;
    let tamper =
        tamper_output.map(|out| move |r: &mut pb::AttributionRecord| r.output = out.clone());
    let v = verify(
        &q.channel().await?,
        &rpc,
        request_id,
        trust,
        tamper
            .as_ref()
            .map(|t| t as &dyn Fn(&mut pb::AttributionRecord)),
    )
    .await?;
    if !v.ok() {
        let failed = v.checks.iter().find(|c| !c.ok);
        bail!(
            "record {request_id} NOT verified: {}",
            failed
                .map(|c| format!("{}: {}", c.name, c.detail))
                .unwrap_or_else(|| "no checks ran".into())
        );
    }
    Ok(v.to_json())
}

#[cfg(test)]
mod tests {
    use super::format_score;

    #[test]
    fn scores_print_with_six_decimals() {
        assert_eq!(format_score(1_500_000), "1.500000");
        assert_eq!(format_score(-250), "-0.000250");
        assert_eq!(format_score(0), "0.000000");
    }
}
