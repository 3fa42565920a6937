//! The client side of Datanets: the `openledger.datanet.v1.Query` reads, exporting a version for
//! training, and contributing a JSONL file in batches.

use std::path::Path;

use anyhow::{Context, anyhow, bail};
use openledger_datanet::Schema;
use openledger_framework::pack_any;
use openledger_proto::openledger::datanet::v1 as dn;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tonic::transport::Channel;

use super::{BroadcastMode, MAX_REPLY_BYTES, Sender, event_attr, keyring, status};

fn datanet_client(ch: &Channel) -> dn::query_client::QueryClient<Channel> {
    dn::query_client::QueryClient::new(ch.clone()).max_decoding_message_size(MAX_REPLY_BYTES)
}

pub async fn datanet(ch: &Channel, id: u64) -> anyhow::Result<dn::Datanet> {
    datanet_client(ch)
        .datanet(dn::QueryDatanetRequest { id })
        .await
        .map_err(status)?
        .into_inner()
        .datanet
        .ok_or_else(|| anyhow!("datanet {id} not found"))
}

pub async fn datanet_params(ch: &Channel) -> anyhow::Result<dn::Params> {
    datanet_client(ch)
        .params(dn::QueryParamsRequest {})
        .await
        .map_err(status)?
        .into_inner()
        .params
        .ok_or_else(|| anyhow!("no datanet params"))
}

pub async fn datanets(ch: &Channel) -> anyhow::Result<dn::QueryDatanetsResponse> {
    Ok(datanet_client(ch)
        .datanets(dn::QueryDatanetsRequest { pagination: None })
        .await
        .map_err(status)?
        .into_inner())
}

pub async fn records(
    ch: &Channel,
    datanet_id: u64,
    status_filter: dn::RecordStatus,
    contributor: &str,
    limit: u64,
    offset: u64,
) -> anyhow::Result<dn::QueryRecordsResponse> {
    Ok(datanet_client(ch)
        .records(dn::QueryRecordsRequest {
            datanet_id,
            status: status_filter as i32,
            contributor: contributor.to_string(),
            pagination: Some(cosmrs::proto::cosmos::base::query::v1beta1::PageRequest {
                limit,
                offset,
                count_total: true,
                ..Default::default()
            }),
        })
        .await
        .map_err(status)?
        .into_inner())
}

pub async fn version(ch: &Channel, datanet_id: u64, version: u64) -> anyhow::Result<dn::Version> {
    datanet_client(ch)
        .version(dn::QueryVersionRequest {
            datanet_id,
            version,
        })
        .await
        .map_err(status)?
        .into_inner()
        .version
        .ok_or_else(|| anyhow!("version {version} of datanet {datanet_id} not found"))
}

pub async fn contributor_stats(
    ch: &Channel,
    contributor: &str,
    datanet_id: u64,
) -> anyhow::Result<dn::QueryContributorStatsResponse> {
    Ok(datanet_client(ch)
        .contributor_stats(dn::QueryContributorStatsRequest {
            contributor: contributor.to_string(),
            datanet_id,
        })
        .await
        .map_err(status)?
        .into_inner())
}

/// A record's inclusion proof in a version, as the chain gives it (unchecked).
pub async fn record_proof(
    ch: &Channel,
    datanet_id: u64,
    version: u64,
    record_id: u64,
) -> anyhow::Result<dn::QueryRecordProofResponse> {
    Ok(datanet_client(ch)
        .record_proof(dn::QueryRecordProofRequest {
            datanet_id,
            version,
            record_id,
        })
        .await
        .map_err(status)?
        .into_inner())
}

/// Writes the records of a version as JSONL, one record per line with its chain record id added
/// as `"id"` (what lora-engine trains on and reports influence scores against). Returns the
/// number of records.
pub async fn export_version(
    ch: &Channel,
    datanet_id: u64,
    version_no: u64,
    out: &Path,
) -> anyhow::Result<usize> {
    let v = version(ch, datanet_id, version_no).await?;
    let mut text = String::new();
    for id in &v.record_ids {
        let r = datanet_client(ch)
            .record(dn::QueryRecordRequest {
                datanet_id,
                record_id: *id,
            })
            .await
            .map_err(status)?
            .into_inner()
            .record
            .ok_or_else(|| anyhow!("record {id} not found"))?;
        let mut obj: serde_json::Map<String, Value> = serde_json::from_str(&r.content)
            .with_context(|| format!("record {id} is not a JSON object"))?;
        obj.insert("id".into(), json!(id.to_string()));
        text.push_str(&serde_json::to_string(&obj)?);
        text.push('\n');
    }
    std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
    Ok(v.record_ids.len())
}

/// One line of a JSONL file that did not go on chain, and why.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Rejected {
    pub line: usize,
    pub reason: String,
}

/// One transaction of a contribution.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ContributeTx {
    pub txhash: String,
    pub height: i64,
    pub records: usize,
    pub first_record_id: u64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ContributeReport {
    pub datanet_id: u64,
    pub lines: usize,
    pub contributed: usize,
    pub record_ids: Vec<u64>,
    pub txs: Vec<ContributeTx>,
    pub rejected: Vec<Rejected>,
}

/// The index at the start of a datanet error about one record of a message
/// (`record 3: does not match the schema: …`).
fn record_index(message: &str) -> Option<(usize, String)> {
    let at = message.find("record ")?;
    let rest = &message[at + "record ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let after = rest[digits.len()..].strip_prefix(": ")?;
    let reason = after
        .split(" (codespace")
        .next()
        .unwrap_or(after)
        .to_string();
    Some((digits.parse().ok()?, reason))
}

/// Splits the lines of a JSONL file into records, checking each against the Datanet's rules
/// first (the same schema code the chain runs), then sends them in transactions of at most
/// `batch_bytes` of content, dropping (and reporting) any record the chain still refuses.
pub async fn contribute_file(
    ch: &Channel,
    sender: &Sender,
    datanet_id: u64,
    path: &Path,
    batch_bytes: usize,
    progress: bool,
) -> anyhow::Result<ContributeReport> {
    let text = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let d = datanet(ch, datanet_id).await?;
    let params = datanet_params(ch).await?;
    let schema = Schema::parse(&d.schema).map_err(|e| anyhow!("datanet schema: {e}"))?;
    let contributor = keyring::address_of(&sender.key)?;

    let mut rejected = Vec::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    let mut seen = std::collections::BTreeMap::new();
    let mut lines = 0;
    for (i, raw) in text.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        lines += 1;
        let reject = |reason: String| Rejected { line, reason };
        let Ok(content) = std::str::from_utf8(raw) else {
            rejected.push(reject("not valid UTF-8".into()));
            continue;
        };
        if content.len() as u64 > d.max_record_bytes {
            rejected.push(reject(format!(
                "{} bytes is over the datanet's limit of {} bytes",
                content.len(),
                d.max_record_bytes
            )));
            continue;
        }
        if let Err(e) = schema.validate(content) {
            rejected.push(reject(format!("does not match the schema: {e}")));
            continue;
        }
        let sha: [u8; 32] = Sha256::digest(content.as_bytes()).into();
        if let Some(first) = seen.insert(sha, line) {
            rejected.push(reject(format!("duplicate of line {first}")));
            continue;
        }
        pending.push((line, content.to_string()));
    }

    let bar = if progress {
        indicatif::ProgressBar::new(pending.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} contributing [{bar:40}] {pos}/{len} records ({per_sec}, eta {eta})",
        )?
        .progress_chars("=> "),
    );
    let max_records = params.max_records_per_msg.max(1) as usize;
    let mut report = ContributeReport {
        datanet_id,
        lines,
        contributed: 0,
        record_ids: Vec::new(),
        txs: Vec::new(),
        rejected: Vec::new(),
    };
    let mut rest = pending.as_slice();
    while !rest.is_empty() {
        let mut take = 0;
        let mut bytes = 0;
        while take < rest.len() && take < max_records {
            let len = rest[take].1.len();
            if take > 0 && bytes + len > batch_bytes {
                break;
            }
            bytes += len;
            take += 1;
        }
        let mut batch: Vec<(usize, String)> = rest[..take].to_vec();
        rest = &rest[take..];
        // The chain may still refuse a record (a duplicate of one already on chain): drop it,
        // report it, and try the rest of the batch again.
        let resp = loop {
            if batch.is_empty() {
                break None;
            }
            let msg = dn::MsgContribute {
                contributor: contributor.to_bech32(),
                datanet_id,
                records: batch.iter().map(|(_, c)| c.clone()).collect(),
            };
            // Refused in the block (raw log) or already at simulation (the error).
            let failure = match sender.send(ch, vec![pack_any(&msg)]).await {
                Ok(r) if r.code == 0 => break Some(r),
                Ok(r) => anyhow!("contribution failed (code {}): {}", r.code, r.raw_log),
                Err(e) => e,
            };
            match record_index(&failure.to_string()) {
                Some((i, reason)) if i < batch.len() => {
                    let (line, _) = batch.remove(i);
                    rejected.push(Rejected { line, reason });
                    bar.inc(1);
                }
                _ => return Err(failure),
            }
        };
        let Some(resp) = resp else { continue };
        let first = event_attr(&resp, "contribute", "first_record_id")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if sender.mode == BroadcastMode::Block && first == 0 {
            bail!("tx {} committed without a contribute event", resp.txhash);
        }
        report
            .record_ids
            .extend((0..batch.len() as u64).map(|i| first + i));
        report.contributed += batch.len();
        report.txs.push(ContributeTx {
            txhash: resp.txhash,
            height: resp.height,
            records: batch.len(),
            first_record_id: first,
        });
        bar.inc(batch.len() as u64);
    }
    bar.finish_and_clear();
    rejected.sort_by_key(|r| r.line);
    report.rejected = rejected;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_failing_record_in_a_chain_error() {
        assert_eq!(
            record_index(
                "failed to execute message; message index: 0: record 3: duplicate of record 7 (codespace: datanet, code: 7)"
            ),
            Some((3, "duplicate of record 7".into()))
        );
        assert_eq!(record_index("record 3 not found in datanet 1"), None);
    }
}
