//! `tx datanet` and `query datanet`: creating Datanets, contributing JSONL files, reviews,
//! versions, record proofs checked here, exports for training.

use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::{Subcommand, ValueEnum};
use openledger_proto::openledger::datanet::v1 as dn;
use serde_json::{Value, json};
use tonic::transport::Channel;

use super::common::{FromKey, QueryCtx, TxFlags, addresses, send_one, sender_of};
use super::output::{Output, to_json};
use crate::client::{self, datanet, keyring};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum VerdictArg {
    Accept,
    Reject,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusArg {
    Pending,
    Accepted,
    Rejected,
}

#[derive(Subcommand)]
pub enum DatanetTx {
    /// Create a Datanet owned by --from.
    Create {
        name: String,
        /// JSON schema file the records must satisfy.
        #[arg(long)]
        schema: PathBuf,
        /// Comma-separated curator addresses (or key names).
        #[arg(long, value_delimiter = ',', required = true)]
        curators: Vec<String>,
        #[arg(long, default_value_t = 1)]
        review_quorum: u32,
        /// Bond escrowed per record, e.g. 1000uopen (empty: none).
        #[arg(long, default_value = "")]
        bond: String,
        #[arg(long, default_value_t = 16 * 1024)]
        max_record_bytes: u64,
        #[arg(long, default_value = "")]
        description: String,
        /// Licence of the data (an SPDX identifier or URL).
        #[arg(long, default_value = "")]
        license: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Contribute the records of a JSONL file (one JSON object per line), in as many
    /// transactions as it takes; reports each refused line with its reason.
    Contribute {
        datanet_id: u64,
        file: PathBuf,
        /// Most bytes of records per transaction.
        #[arg(long, default_value_t = 256 * 1024)]
        batch_bytes: usize,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Review records as a curator.
    Review {
        datanet_id: u64,
        #[arg(required = true)]
        record_ids: Vec<u64>,
        #[arg(long, value_enum)]
        verdict: VerdictArg,
        #[arg(long, default_value = "")]
        reason: String,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Freeze the accepted records into a new version (owner only).
    CutVersion {
        datanet_id: u64,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
    /// Replace the curators and quorum (owner only).
    UpdateCurators {
        datanet_id: u64,
        #[arg(long, value_delimiter = ',', required = true)]
        curators: Vec<String>,
        #[arg(long)]
        review_quorum: u32,
        #[command(flatten)]
        from: FromKey,
        #[command(flatten)]
        flags: TxFlags,
    },
}

#[derive(Subcommand)]
pub enum DatanetQuery {
    /// One Datanet.
    Show {
        id: u64,
    },
    /// Every Datanet.
    List,
    /// Records of a Datanet, filtered by status and contributor.
    Records {
        id: u64,
        #[arg(long, value_enum)]
        status: Option<StatusArg>,
        #[arg(long, default_value = "")]
        contributor: String,
        #[arg(long, default_value_t = 100)]
        limit: u64,
        #[arg(long, default_value_t = 0)]
        offset: u64,
    },
    /// A version (0: the latest).
    Version {
        id: u64,
        version: u64,
    },
    /// A record's inclusion proof in a version, verified here against the version root.
    Proof {
        id: u64,
        version: u64,
        record_id: u64,
    },
    /// Write the records of a version as JSONL for training (each with its record `id`).
    Export {
        id: u64,
        version: u64,
        #[arg(long)]
        out: PathBuf,
    },
    /// A contributor's records (in one Datanet, or in all with --datanet 0).
    Stats {
        contributor: String,
        #[arg(long, default_value_t = 0)]
        datanet: u64,
    },
    Params,
}

pub fn tx(rt: &tokio::runtime::Runtime, home: &Path, cmd: DatanetTx) -> anyhow::Result<()> {
    match cmd {
        DatanetTx::Create {
            name,
            schema,
            curators,
            review_quorum,
            bond,
            max_record_bytes,
            description,
            license,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let schema_text = std::fs::read_to_string(&schema)
                .with_context(|| format!("reading {}", schema.display()))?;
            openledger_datanet::Schema::parse(&schema_text)
                .map_err(|e| anyhow!("{}: {e}", schema.display()))?;
            let bond = if bond.is_empty() {
                None
            } else {
                Some(
                    bond.parse::<openledger_framework::Coin>()
                        .map_err(|e| anyhow!("--bond: {e}"))?
                        .to_proto(),
                )
            };
            let msg = dn::MsgCreateDatanet {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                name: name.clone(),
                description,
                schema: schema_text,
                curators: addresses(home, flags.keyring_backend, &curators)?,
                review_quorum,
                contribution_bond: bond,
                max_record_bytes,
                license,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("create datanet {name:?}"),
                &msg,
            )
        }
        DatanetTx::Contribute {
            datanet_id,
            file,
            batch_bytes,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let report = rt.block_on(async {
                let ch = client::connect(&flags.grpc_addr).await?;
                let progress = flags.output == Output::Text
                    && std::io::IsTerminal::is_terminal(&std::io::stderr());
                datanet::contribute_file(&ch, &sender, datanet_id, &file, batch_bytes, progress)
                    .await
            })?;
            if flags.output == Output::Json {
                println!("{}", serde_json::to_string(&report)?);
            } else {
                println!(
                    "contributed {} of {} records to datanet {datanet_id} in {} transaction(s)",
                    report.contributed,
                    report.lines,
                    report.txs.len()
                );
                if let (Some(first), Some(last)) =
                    (report.record_ids.first(), report.record_ids.last())
                {
                    println!("record ids {first}..={last}");
                }
                for r in &report.rejected {
                    println!("line {}: rejected: {}", r.line, r.reason);
                }
            }
            Ok(())
        }
        DatanetTx::Review {
            datanet_id,
            record_ids,
            verdict,
            reason,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = dn::MsgReview {
                curator: keyring::address_of(&sender.key)?.to_bech32(),
                datanet_id,
                record_ids: record_ids.clone(),
                verdict: match verdict {
                    VerdictArg::Accept => dn::Verdict::Accept,
                    VerdictArg::Reject => dn::Verdict::Reject,
                } as i32,
                reason,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!(
                    "review {} record(s) of datanet {datanet_id}",
                    record_ids.len()
                ),
                &msg,
            )
        }
        DatanetTx::CutVersion {
            datanet_id,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = dn::MsgCutVersion {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                datanet_id,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("cut a version of datanet {datanet_id}"),
                &msg,
            )
        }
        DatanetTx::UpdateCurators {
            datanet_id,
            curators,
            review_quorum,
            from,
            flags,
        } => {
            let sender = sender_of(home, &from, &flags)?;
            let msg = dn::MsgUpdateCurators {
                owner: keyring::address_of(&sender.key)?.to_bech32(),
                datanet_id,
                curators: addresses(home, flags.keyring_backend, &curators)?,
                review_quorum,
            };
            send_one(
                rt,
                &sender,
                &flags,
                &format!("update the curators of datanet {datanet_id}"),
                &msg,
            )
        }
    }
}

pub async fn query(q: &QueryCtx, cmd: DatanetQuery) -> anyhow::Result<Value> {
    let ch = &q.channel().await?;
    match cmd {
        DatanetQuery::Show { id } => to_json(&datanet::datanet(ch, id).await?),
        DatanetQuery::List => to_json(&datanet::datanets(ch).await?),
        DatanetQuery::Records {
            id,
            status,
            contributor,
            limit,
            offset,
        } => {
            let status = match status {
                None => dn::RecordStatus::Unspecified,
                Some(StatusArg::Pending) => dn::RecordStatus::Pending,
                Some(StatusArg::Accepted) => dn::RecordStatus::Accepted,
                Some(StatusArg::Rejected) => dn::RecordStatus::Rejected,
            };
            to_json(&datanet::records(ch, id, status, &contributor, limit, offset).await?)
        }
        DatanetQuery::Version { id, version } => to_json(&datanet::version(ch, id, version).await?),
        DatanetQuery::Proof {
            id,
            version,
            record_id,
        } => proof(ch, id, version, record_id).await,
        DatanetQuery::Export { id, version, out } => {
            let n = datanet::export_version(ch, id, version, &out).await?;
            Ok(
                json!({"datanet_id": id, "version": version, "records": n, "out": out.display().to_string()}),
            )
        }
        DatanetQuery::Stats {
            contributor,
            datanet,
        } => to_json(&datanet::contributor_stats(ch, &contributor, datanet).await?),
        DatanetQuery::Params => to_json(&datanet::datanet_params(ch).await?),
    }
}

/// A record's inclusion proof, checked here against the version (root and record count) fetched
/// on its own — the only thing the check trusts — recomputing the leaf from the record's id and
/// content.
async fn proof(
    ch: &Channel,
    datanet_id: u64,
    version_no: u64,
    record_id: u64,
) -> anyhow::Result<Value> {
    let p = datanet::record_proof(ch, datanet_id, version_no, record_id).await?;
    let v = datanet::version(ch, datanet_id, version_no).await?;
    let record = p
        .record
        .clone()
        .ok_or_else(|| anyhow!("proof without record"))?;
    let verified = openledger_datanet::verify_record_proof(
        record_id,
        &record.content,
        p.leaf_index,
        v.record_count,
        &p.siblings,
        &v.root,
    );
    let mut out = to_json(&p)?;
    out["version_root_hex"] = json!(hex::encode(&v.root));
    out["verified"] = json!(verified);
    out["check"] = json!(if verified {
        format!(
            "proof verified: record {record_id} is leaf {} of {} under root {} of version {}",
            p.leaf_index,
            p.leaf_count,
            hex::encode(&v.root),
            v.version
        )
    } else {
        "proof does NOT verify against the version root".to_string()
    });
    Ok(out)
}
