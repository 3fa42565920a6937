//! The client side of Proof of Attribution: checking a committed record end to end as a light
//! client would, trusting only a header it chose (`--trust-height/--trust-hash`, or the node's
//! first block):
//!
//! 1. the record's Merkle path leads to its block's root (`RecordProof`);
//! 2. that root is in the store under the app hash: ABCI `Query` on `store/attribution/key`
//!    with `prove = true` at the record's height, its ICS-23 proofs checked;
//! 3. that app hash is in the header of the next height, which the Tendermint light-client
//!    verifier accepts from the trusted header (skipping verification, bisecting when the
//!    validator set changed too much for one step).
//!
//! Each check says what failed when one does.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use openledger_attribution::proof;
use openledger_framework::store::{StoreProof, verify_proof};
use openledger_proto::openledger::attribution::v1 as pb;
use prost::Message;
use serde_json::{Value, json};
use tendermint::block::signed_header::SignedHeader;
use tendermint::validator::Set as ValidatorSet;
use tendermint_light_client_verifier::options::Options;
use tendermint_light_client_verifier::types::{
    TrustThreshold, TrustedBlockState, UntrustedBlockState,
};
use tendermint_light_client_verifier::{ProdVerifier, Verdict, Verifier};
use tendermint_rpc::{Client, HttpClient, Paging};
use tonic::transport::Channel;

use crate::client::status;

/// Where a verification starts: a header the user trusts.
#[derive(Debug, Clone, Default)]
pub struct Trust {
    /// 0: the node's earliest block.
    pub height: u64,
    /// When given, the trusted header must have this hash (hex).
    pub hash: Option<String>,
    pub trusting_period: Duration,
}

/// One check's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// The checks of a record, in order; verification stops at the first that fails.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub request_id: u64,
    pub checks: Vec<Check>,
}

impl Verification {
    pub fn ok(&self) -> bool {
        !self.checks.is_empty() && self.checks.iter().all(|c| c.ok)
    }

    fn push(&mut self, name: &'static str, ok: bool, detail: impl Into<String>) -> bool {
        self.checks.push(Check {
            name,
            ok,
            detail: detail.into(),
        });
        ok
    }

    pub fn to_json(&self) -> Value {
        json!({
            "request_id": self.request_id.to_string(),
            "verified": self.ok(),
            "checks": self.checks.iter().map(|c| json!({
                "check": c.name, "ok": c.ok, "detail": c.detail,
            })).collect::<Vec<_>>(),
        })
    }
}

/// The record's proof as the node serves it.
pub async fn record_proof(
    ch: &Channel,
    request_id: u64,
) -> anyhow::Result<pb::QueryRecordProofResponse> {
    let mut q = pb::query_client::QueryClient::new(ch.clone());
    Ok(q.record_proof(pb::QueryRecordProofRequest { request_id })
        .await
        .map_err(status)?
        .into_inner())
}

/// Verifies request `request_id`'s record; `tamper` changes the record before the checks (to
/// show a changed record fails: `--tamper-output` in the CLI, and the tests).
pub async fn verify(
    ch: &Channel,
    rpc: &HttpClient,
    request_id: u64,
    trust: &Trust,
    tamper: Option<&dyn Fn(&mut pb::AttributionRecord)>,
) -> anyhow::Result<Verification> {
    let mut v = Verification {
        request_id,
        ..Default::default()
    };
    let p = record_proof(ch, request_id).await?;
    let mut record = p
        .record
        .clone()
        .ok_or_else(|| anyhow!("the node sent no record"))?;
    if let Some(t) = tamper {
        t(&mut record);
    }
    let root = pb::BlockRoot::decode(p.root_value.as_slice()).context("decoding the block root")?;

    // 1. Record → block root.
    let path_ok = root.height == record.height && proof::verify(&record, &p.siblings, &root);
    if !v.push(
        "record in block root",
        path_ok,
        format!(
            "record {request_id} as leaf {} of {} under root {} of height {}",
            record.leaf_index,
            root.request_ids.len(),
            hex::encode(&root.root),
            root.height
        ),
    ) {
        return Ok(v);
    }

    // 2. Block root → app hash: the ICS-23 proofs the node sent with the record prove the root
    // in the state of `proof_height`, whose app hash is in the next header.
    let height = p.proof_height;
    if p.root_proofs.is_empty() || height == 0 {
        bail!("the node sent no ICS-23 proof of the block root");
    }
    let proofs = p
        .root_proofs
        .iter()
        .map(|b| ics23::CommitmentProof::decode(b.as_slice()))
        .collect::<Result<Vec<_>, _>>()
        .context("decoding the ICS-23 proofs")?;
    wait_for_height(rpc, height + 1).await?;
    let header = light_verified_header(rpc, height + 1, trust).await;
    let header = match header {
        Ok(h) => h,
        Err(e) => {
            v.push(
                "root in app hash",
                false,
                "no verified header to check against",
            );
            v.push(
                "header verified by the light client",
                false,
                format!("{e:#}"),
            );
            return Ok(v);
        }
    };
    let app_hash = header.header.app_hash.as_bytes().to_vec();
    let key = format!("attribution/{}", p.root_key);
    let proven = verify_proof(&app_hash, &key, Some(&p.root_value), &StoreProof { proofs });
    if !v.push(
        "root in app hash",
        proven.is_ok(),
        match &proven {
            Ok(()) => format!(
                "{key} proven under app hash {} (header {})",
                hex::encode_upper(&app_hash),
                height + 1
            ),
            Err(e) => e.clone(),
        },
    ) {
        return Ok(v);
    }
    v.push(
        "header verified by the light client",
        true,
        format!(
            "header {} ({}) verified from trusted height {}",
            height + 1,
            header.header.hash(),
            trust.height.max(1)
        ),
    );
    Ok(v)
}

/// Waits (at most 30 s) until the chain has a block at `height`.
async fn wait_for_height(rpc: &HttpClient, height: u64) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let latest = rpc
            .status()
            .await
            .context("node status")?
            .sync_info
            .latest_block_height
            .value();
        if latest >= height {
            return Ok(());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("no block {height} after 30 s (the chain is at {latest})");
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}

struct LightBlock {
    signed: SignedHeader,
    validators: ValidatorSet,
    next_validators: ValidatorSet,
}

async fn light_block(rpc: &HttpClient, height: u64) -> anyhow::Result<LightBlock> {
    let h: tendermint::block::Height = height.try_into()?;
    let signed = rpc
        .commit(h)
        .await
        .with_context(|| format!("commit of height {height}"))?
        .signed_header;
    let vals = rpc
        .validators(h, Paging::All)
        .await
        .with_context(|| format!("validators of height {height}"))?
        .validators;
    let next = rpc
        .validators(h.increment(), Paging::All)
        .await
        .with_context(|| format!("validators of height {}", height + 1))?
        .validators;
    Ok(LightBlock {
        signed,
        validators: ValidatorSet::without_proposer(vals),
        next_validators: ValidatorSet::without_proposer(next),
    })
}

/// The header of `target`, verified from the trusted one.
async fn light_verified_header(
    rpc: &HttpClient,
    target: u64,
    trust: &Trust,
) -> anyhow::Result<SignedHeader> {
    let start = if trust.height == 0 {
        let s = rpc.status().await.context("node status")?;
        s.sync_info.earliest_block_height.value()
    } else {
        trust.height
    };
    let trusted = light_block(rpc, start).await?;
    if let Some(want) = &trust.hash {
        let got = trusted.signed.header.hash().to_string();
        if !got.eq_ignore_ascii_case(want) {
            bail!("the header at trusted height {start} has hash {got}, not {want}");
        }
    }
    if trusted.signed.header.validators_hash != trusted.validators.hash() {
        bail!("the trusted header's validators do not match its validators hash");
    }
    if target <= start {
        bail!("the record's header {target} is not after the trusted height {start}");
    }
    let options = Options {
        trust_threshold: TrustThreshold::ONE_THIRD,
        trusting_period: trust.trusting_period,
        clock_drift: Duration::from_secs(10),
    };
    let mut trusted = trusted;
    let mut pending = vec![target];
    let verifier = ProdVerifier::default();
    let now = tendermint::Time::now();
    // Bisection: try the target from what is trusted; when the validators changed too much,
    // verify the midpoint first.
    while let Some(&h) = pending.last() {
        let block = light_block(rpc, h).await?;
        let verdict = verifier.verify_update_header(
            UntrustedBlockState {
                signed_header: &block.signed,
                validators: &block.validators,
                next_validators: Some(&block.next_validators),
            },
            TrustedBlockState {
                chain_id: &trusted.signed.header.chain_id,
                header_time: trusted.signed.header.time,
                height: trusted.signed.header.height,
                next_validators: &trusted.next_validators,
                next_validators_hash: trusted.signed.header.next_validators_hash,
            },
            &options,
            now,
        );
        match verdict {
            Verdict::Success => {
                pending.pop();
                trusted = block;
            }
            Verdict::NotEnoughTrust(tally) => {
                let from = trusted.signed.header.height.value();
                if h <= from + 1 {
                    bail!("header {h} does not have enough trust from {from}: {tally}");
                }
                pending.push(from + (h - from) / 2);
            }
            Verdict::Invalid(e) => bail!("header {h} is invalid: {e}"),
        }
    }
    Ok(trusted.signed)
}
