//! The datanet module: community datasets whose every record is on chain with its contributor.
//!
//! A Datanet has an owner, a record schema, curators with a review quorum and a contribution
//! bond. Contributions are stored with their contributor, height and sha256, gas-priced per byte,
//! and bonded; curators accept or reject them (the bond is returned or slashed to the Datanet's
//! pool); the owner cuts immutable versions, each with the Merkle root (see [`merkle`]) of its
//! accepted records, so any record can be proven part of a version with only the root in hand.

pub mod error;
pub mod genesis;
pub mod keys;
pub mod merkle;
pub mod msgs;
pub mod params;
pub mod query;
pub mod schema;

use openledger_bank::BankKeeper;
use openledger_framework::{
    AbciError, Address, Coin, Coins, Ctx, Event, KvRead, Module, MsgServiceRouter, QueryRouter,
    Result, StateRead,
};
use openledger_proto::openledger::datanet::v1::{
    ContributorStats, Datanet, MsgContribute, MsgCreateDatanet, MsgReview, MsgUpdateCurators,
    Params, QueryRecordProofResponse, Record, RecordStatus, Review, Verdict, Version,
};
use prost::Message;
use sha2::{Digest, Sha256};

pub use error::DatanetError;
pub use schema::Schema;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// The module account that escrows contribution bonds and holds the Datanets' pools.
pub const MODULE_ACCOUNT: &str = "datanet";

/// Decodes a stored protobuf value.
fn load<M: Message + Default>(r: &mut impl StateRead, key: &str) -> Result<Option<M>> {
    openledger_framework::read_proto(r, key, DatanetError::Corrupt)
}

fn parse_address(field: &str, s: &str) -> Result<Address> {
    Ok(Address::from_field(field, s)?)
}

/// The curators of a Datanet, checked: valid, distinct, within the limit, with a quorum they
/// can reach.
fn check_curators(curators: &[String], quorum: u32, max: u32) -> Result<()> {
    if curators.is_empty() {
        return Err(DatanetError::InvalidDatanet("at least one curator is required".into()).into());
    }
    if curators.len() > max as usize {
        return Err(DatanetError::InvalidDatanet(format!(
            "{} curators is over the limit of {max}",
            curators.len()
        ))
        .into());
    }
    let mut seen = Vec::with_capacity(curators.len());
    for c in curators {
        let a = parse_address("curator", c)?;
        if seen.contains(&a) {
            return Err(
                DatanetError::InvalidDatanet(format!("curator {c} is listed twice")).into(),
            );
        }
        seen.push(a);
    }
    if quorum == 0 || quorum as usize > curators.len() {
        return Err(DatanetError::InvalidDatanet(format!(
            "review quorum must be between 1 and the number of curators ({}), got {quorum}",
            curators.len()
        ))
        .into());
    }
    Ok(())
}

fn check_len(what: &str, s: &str, max: u32) -> Result<()> {
    if s.len() > max as usize {
        return Err(DatanetError::InvalidDatanet(format!(
            "{what} is {} bytes, over the limit of {max}",
            s.len()
        ))
        .into());
    }
    Ok(())
}

/// Keeper of Datanets, records and versions.
#[derive(Clone)]
pub struct DatanetKeeper {
    bank: BankKeeper,
    authority: Address,
}

impl DatanetKeeper {
    pub fn new(bank: BankKeeper, authority: Address) -> Self {
        Self { bank, authority }
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params> {
        Ok(load(r, keys::params())?.unwrap_or_else(params::default_params))
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<()> {
        params::validate(p)?;
        ctx.set(keys::params().into(), p.encode_to_vec())
    }

    pub fn datanet(&self, r: &mut impl StateRead, id: u64) -> Result<Option<Datanet>> {
        load(r, &keys::datanet(id))
    }

    /// The Datanet, or the module's "not found" error.
    pub fn must_datanet(&self, r: &mut impl StateRead, id: u64) -> Result<Datanet> {
        self.datanet(r, id)?
            .ok_or_else(|| DatanetError::DatanetNotFound(id).into())
    }

    pub fn record(&self, r: &mut impl StateRead, datanet: u64, id: u64) -> Result<Option<Record>> {
        load(r, &keys::record(datanet, id))
    }

    pub fn must_record(&self, r: &mut impl StateRead, datanet: u64, id: u64) -> Result<Record> {
        self.record(r, datanet, id)?.ok_or_else(|| {
            DatanetError::RecordNotFound {
                datanet,
                record: id,
            }
            .into()
        })
    }

    /// Version `version` of a Datanet; 0 means the latest.
    pub fn version(
        &self,
        r: &mut impl StateRead,
        datanet: u64,
        version: u64,
    ) -> Result<Option<Version>> {
        let version = if version == 0 {
            match self.datanet(r, datanet)? {
                Some(d) if d.latest_version > 0 => d.latest_version,
                _ => return Ok(None),
            }
        } else {
            version
        };
        load(r, &keys::version(datanet, version))
    }

    pub fn must_version(
        &self,
        r: &mut impl StateRead,
        datanet: u64,
        version: u64,
    ) -> Result<Version> {
        self.version(r, datanet, version)?
            .ok_or_else(|| DatanetError::VersionNotFound { datanet, version }.into())
    }

    pub fn stats(
        &self,
        r: &mut impl StateRead,
        datanet: u64,
        contributor: &Address,
    ) -> Result<ContributorStats> {
        Ok(
            load(r, &keys::stats(datanet, contributor))?.unwrap_or_else(|| ContributorStats {
                contributor: contributor.to_bech32(),
                datanet_id: datanet,
                ..Default::default()
            }),
        )
    }

    /// Ids of the records of a Datanet with a status, ascending.
    pub fn record_ids_with_status(
        &self,
        r: &mut impl StateRead,
        datanet: u64,
        status: RecordStatus,
    ) -> Result<Vec<u64>> {
        Ok(r.read_prefix(&keys::by_status_prefix(datanet, status))?
            .iter()
            .filter_map(|(k, _)| keys::trailing_id(k))
            .collect())
    }

    fn save_datanet(&self, ctx: &mut Ctx<'_>, d: &Datanet) -> Result<()> {
        ctx.set(keys::datanet(d.id), d.encode_to_vec())
    }

    fn save_record(&self, ctx: &mut Ctx<'_>, r: &Record) -> Result<()> {
        ctx.set(keys::record(r.datanet_id, r.id), r.encode_to_vec())
    }

    /// Applies `f` to the contributor's statistics for the Datanet and to their totals.
    fn bump_stats(
        &self,
        ctx: &mut Ctx<'_>,
        datanet: u64,
        contributor: &Address,
        f: impl Fn(&mut ContributorStats),
    ) -> Result<()> {
        for id in [datanet, 0] {
            let mut s = self.stats(ctx, id, contributor)?;
            f(&mut s);
            ctx.set(keys::stats(id, contributor), s.encode_to_vec())?;
        }
        Ok(())
    }

    pub fn create(&self, ctx: &mut Ctx<'_>, msg: &MsgCreateDatanet) -> Result<u64> {
        let p = self.params(ctx)?;
        let owner = parse_address("owner", &msg.owner)?;
        if msg.name.trim().is_empty() {
            return Err(DatanetError::InvalidDatanet("name must not be empty".into()).into());
        }
        check_len("name", &msg.name, p.max_name_bytes)?;
        check_len("description", &msg.description, p.max_description_bytes)?;
        check_len("schema", &msg.schema, p.max_schema_bytes)?;
        check_len("license", &msg.license, p.max_name_bytes)?;
        Schema::parse(&msg.schema)
            .map_err(|e| DatanetError::InvalidDatanet(format!("schema: {e}")))?;
        check_curators(&msg.curators, msg.review_quorum, p.max_curators)?;
        if msg.max_record_bytes == 0 || msg.max_record_bytes > p.max_record_bytes_limit {
            return Err(DatanetError::InvalidDatanet(format!(
                "max record bytes must be between 1 and {}, got {}",
                p.max_record_bytes_limit, msg.max_record_bytes
            ))
            .into());
        }
        let bond = match &msg.contribution_bond {
            Some(c) => Some(Coin::from_proto(c)?.to_proto()),
            None => None,
        };
        let id = match ctx.get(keys::next_id())? {
            Some(b) => u64::from_be_bytes(
                b.try_into()
                    .map_err(|_| DatanetError::Corrupt("next datanet id".into()))?,
            ),
            None => 1,
        };
        ctx.set(keys::next_id().into(), (id + 1).to_be_bytes().to_vec())?;
        let d = Datanet {
            id,
            owner: owner.to_bech32(),
            name: msg.name.clone(),
            description: msg.description.clone(),
            schema: msg.schema.clone(),
            curators: msg.curators.clone(),
            review_quorum: msg.review_quorum,
            contribution_bond: bond,
            max_record_bytes: msg.max_record_bytes,
            license: msg.license.clone(),
            created_height: ctx.block.height,
            ..Default::default()
        };
        self.save_datanet(ctx, &d)?;
        ctx.emit(
            Event::new("create_datanet")
                .attr("datanet_id", id.to_string())
                .attr("owner", d.owner.clone())
                .attr("name", d.name.clone()),
        );
        Ok(id)
    }

    pub fn contribute(&self, ctx: &mut Ctx<'_>, msg: &MsgContribute) -> Result<Vec<u64>> {
        let p = self.params(ctx)?;
        let contributor = parse_address("contributor", &msg.contributor)?;
        if msg.records.len() > p.max_records_per_msg as usize {
            return Err(DatanetError::InvalidRequest(format!(
                "{} records in one message is over the limit of {}",
                msg.records.len(),
                p.max_records_per_msg
            ))
            .into());
        }
        let mut d = self.must_datanet(ctx, msg.datanet_id)?;
        let schema = Schema::parse(&d.schema)
            .map_err(|e| DatanetError::Corrupt(format!("schema of datanet {}: {e}", d.id)))?;
        let bond = match &d.contribution_bond {
            Some(c) => Coin::from_proto(c)?,
            None => Coin::new(0, "uopen"),
        };
        let mut ids = Vec::with_capacity(msg.records.len());
        let mut bytes = 0u64;
        for (index, content) in msg.records.iter().enumerate() {
            if content.len() as u64 > d.max_record_bytes {
                return Err(DatanetError::RecordTooLarge {
                    index,
                    size: content.len(),
                    max: d.max_record_bytes,
                }
                .into());
            }
            ctx.gas.consume(
                p.gas_per_record_byte.saturating_mul(content.len() as u64),
                "datanet record bytes",
            )?;
            schema
                .validate(content)
                .map_err(|reason| DatanetError::SchemaViolation { index, reason })?;
            let sha: [u8; 32] = Sha256::digest(content.as_bytes()).into();
            let hash_key = keys::hash(d.id, &sha);
            if let Some(existing) = ctx.get(&hash_key)? {
                let existing = <[u8; 8]>::try_from(existing.as_slice())
                    .map(u64::from_be_bytes)
                    .map_err(|_| DatanetError::Corrupt("hash index".into()))?;
                return Err(DatanetError::Duplicate {
                    index,
                    existing: existing.to_string(),
                }
                .into());
            }
            let id = d.record_count + 1;
            d.record_count = id;
            d.pending_count += 1;
            ctx.set(hash_key, id.to_be_bytes().to_vec())?;
            let record = Record {
                datanet_id: d.id,
                id,
                contributor: contributor.to_bech32(),
                content: content.clone(),
                sha256: sha.to_vec(),
                height: ctx.block.height,
                status: RecordStatus::Pending as i32,
                bond: (bond.amount > 0).then(|| bond.to_proto()),
                reviews: Vec::new(),
                decided_height: 0,
            };
            self.save_record(ctx, &record)?;
            ctx.set(keys::by_status(d.id, RecordStatus::Pending, id), vec![1])?;
            ctx.set(keys::by_contributor(d.id, &contributor, id), vec![1])?;
            bytes += content.len() as u64;
            ids.push(id);
        }
        let n = ids.len() as u64;
        if bond.amount > 0 && n > 0 {
            let total = bond
                .amount
                .checked_mul(n as u128)
                .ok_or_else(|| DatanetError::InvalidRequest("bond overflow".into()))?;
            let coins = Coins::from_vec(vec![Coin::new(total, bond.denom.clone())])?;
            self.bank
                .send_to_module(ctx, &contributor, MODULE_ACCOUNT, &coins)?;
        }
        self.save_datanet(ctx, &d)?;
        self.bump_stats(ctx, d.id, &contributor, |s| {
            s.contributed += n;
            s.pending += n;
            s.bytes += bytes;
        })?;
        ctx.emit(
            Event::new("contribute")
                .attr("datanet_id", d.id.to_string())
                .attr("contributor", contributor.to_bech32())
                .attr("records", n.to_string())
                .attr(
                    "first_record_id",
                    ids.first().copied().unwrap_or(0).to_string(),
                ),
        );
        Ok(ids)
    }

    /// Records a curator's verdict on records; returns the records it decided (accepted,
    /// rejected).
    pub fn review(&self, ctx: &mut Ctx<'_>, msg: &MsgReview) -> Result<(Vec<u64>, Vec<u64>)> {
        let p = self.params(ctx)?;
        let curator = parse_address("curator", &msg.curator)?;
        let verdict = Verdict::try_from(msg.verdict)
            .ok()
            .filter(|v| *v != Verdict::Unspecified)
            .ok_or_else(|| {
                DatanetError::InvalidRequest("verdict must be accept or reject".into())
            })?;
        if msg.reason.len() > p.max_reason_bytes as usize {
            return Err(DatanetError::InvalidRequest(format!(
                "reason is over the limit of {} bytes",
                p.max_reason_bytes
            ))
            .into());
        }
        let mut d = self.must_datanet(ctx, msg.datanet_id)?;
        // The curators in canonical bech32, the form reviews record.
        let curators: Vec<String> = d
            .curators
            .iter()
            .map(|c| Ok(parse_address("curator", c)?.to_bech32()))
            .collect::<Result<_>>()?;
        let me = curator.to_bech32();
        if !curators.contains(&me) {
            return Err(DatanetError::NotCurator(me, d.id).into());
        }
        let (mut accepted, mut rejected) = (Vec::new(), Vec::new());
        for &rid in &msg.record_ids {
            let mut record = self.must_record(ctx, d.id, rid)?;
            let status = RecordStatus::try_from(record.status).unwrap_or(RecordStatus::Unspecified);
            if status != RecordStatus::Pending {
                return Err(DatanetError::AlreadyDecided {
                    record: rid,
                    status: keys::status_name(status).into(),
                }
                .into());
            }
            if record.reviews.iter().any(|r| r.curator == me) {
                return Err(DatanetError::AlreadyReviewed {
                    record: rid,
                    curator: me,
                }
                .into());
            }
            record.reviews.push(Review {
                curator: me.clone(),
                verdict: verdict as i32,
                reason: msg.reason.clone(),
                height: ctx.block.height,
            });
            // Votes of curators who have since been removed do not count.
            let agreeing = record
                .reviews
                .iter()
                .filter(|r| r.verdict == verdict as i32)
                .filter(|r| curators.contains(&r.curator))
                .count();
            if agreeing >= d.review_quorum as usize {
                self.decide(ctx, &mut d, &mut record, verdict)?;
                match verdict {
                    Verdict::Accept => accepted.push(rid),
                    _ => rejected.push(rid),
                }
            }
            self.save_record(ctx, &record)?;
        }
        self.save_datanet(ctx, &d)?;
        ctx.emit(
            Event::new("review")
                .attr("datanet_id", d.id.to_string())
                .attr("curator", me)
                .attr(
                    "verdict",
                    if verdict == Verdict::Accept {
                        "accept"
                    } else {
                        "reject"
                    },
                )
                .attr("records", msg.record_ids.len().to_string()),
        );
        Ok((accepted, rejected))
    }

    /// A record reached its quorum: move its bond and its indexes.
    fn decide(
        &self,
        ctx: &mut Ctx<'_>,
        d: &mut Datanet,
        record: &mut Record,
        verdict: Verdict,
    ) -> Result<()> {
        let contributor = parse_address("contributor", &record.contributor)?;
        let status = if verdict == Verdict::Accept {
            RecordStatus::Accepted
        } else {
            RecordStatus::Rejected
        };
        ctx.delete(keys::by_status(d.id, RecordStatus::Pending, record.id))?;
        ctx.set(keys::by_status(d.id, status, record.id), vec![1])?;
        record.status = status as i32;
        record.decided_height = ctx.block.height;
        d.pending_count = d.pending_count.saturating_sub(1);
        let bond = match &record.bond {
            Some(c) => Some(Coin::from_proto(c)?),
            None => None,
        };
        if status == RecordStatus::Accepted {
            d.accepted_count += 1;
            if let Some(bond) = bond {
                let coins = Coins::from_vec(vec![bond])?;
                self.bank
                    .send_from_module(ctx, MODULE_ACCOUNT, &contributor, &coins)?;
            }
        } else {
            d.rejected_count += 1;
            if let Some(bond) = bond {
                let pool = Coins::from_proto(&d.pool)?;
                d.pool = pool.checked_add(&Coins::from_vec(vec![bond])?)?.to_proto();
            }
        }
        self.bump_stats(ctx, d.id, &contributor, |s| {
            s.pending = s.pending.saturating_sub(1);
            if status == RecordStatus::Accepted {
                s.accepted += 1;
            } else {
                s.rejected += 1;
            }
        })?;
        ctx.emit(
            Event::new(if status == RecordStatus::Accepted {
                "record_accepted"
            } else {
                "record_rejected"
            })
            .attr("datanet_id", d.id.to_string())
            .attr("record_id", record.id.to_string())
            .attr("contributor", record.contributor.clone()),
        );
        Ok(())
    }

    /// Freezes the accepted records into the next version.
    pub fn cut_version(&self, ctx: &mut Ctx<'_>, owner: &str, datanet: u64) -> Result<Version> {
        let owner = parse_address("owner", owner)?;
        let mut d = self.must_datanet(ctx, datanet)?;
        if d.owner != owner.to_bech32() {
            return Err(DatanetError::NotOwner(owner.to_bech32(), d.id).into());
        }
        let ids = self.record_ids_with_status(ctx, d.id, RecordStatus::Accepted)?;
        if ids.is_empty() {
            return Err(DatanetError::NothingToCut(format!(
                "datanet {} has no accepted records",
                d.id
            ))
            .into());
        }
        if d.latest_version > 0 {
            let last = self.must_version(ctx, d.id, d.latest_version)?;
            if last.record_count == ids.len() as u64 {
                return Err(DatanetError::NothingToCut(format!(
                    "no records accepted since version {}",
                    last.version
                ))
                .into());
            }
        }
        let leaves = self.leaves(ctx, d.id, &ids)?;
        let root = merkle::root(&leaves);
        d.latest_version += 1;
        let v = Version {
            datanet_id: d.id,
            version: d.latest_version,
            root: root.to_vec(),
            record_count: ids.len() as u64,
            height: ctx.block.height,
            record_ids: ids,
        };
        ctx.set(keys::version(d.id, v.version), v.encode_to_vec())?;
        self.save_datanet(ctx, &d)?;
        ctx.emit(
            Event::new("cut_version")
                .attr("datanet_id", d.id.to_string())
                .attr("version", v.version.to_string())
                .attr("root", hex::encode(&v.root))
                .attr("record_count", v.record_count.to_string()),
        );
        Ok(v)
    }

    fn leaves(
        &self,
        r: &mut impl StateRead,
        datanet: u64,
        ids: &[u64],
    ) -> Result<Vec<merkle::Hash>> {
        ids.iter()
            .map(|&id| {
                let rec = self.must_record(r, datanet, id)?;
                Ok(merkle::leaf_hash(id, &rec.sha256))
            })
            .collect()
    }

    pub fn update_curators(&self, ctx: &mut Ctx<'_>, msg: &MsgUpdateCurators) -> Result<()> {
        let p = self.params(ctx)?;
        let owner = parse_address("owner", &msg.owner)?;
        let mut d = self.must_datanet(ctx, msg.datanet_id)?;
        if d.owner != owner.to_bech32() {
            return Err(DatanetError::NotOwner(owner.to_bech32(), d.id).into());
        }
        check_curators(&msg.curators, msg.review_quorum, p.max_curators)?;
        d.curators = msg.curators.clone();
        d.review_quorum = msg.review_quorum;
        self.save_datanet(ctx, &d)?;
        ctx.emit(
            Event::new("update_curators")
                .attr("datanet_id", d.id.to_string())
                .attr("curators", d.curators.join(","))
                .attr("review_quorum", d.review_quorum.to_string()),
        );
        Ok(())
    }

    /// The inclusion proof of a record in a version.
    pub fn record_proof(
        &self,
        r: &mut impl StateRead,
        datanet: u64,
        version: u64,
        record: u64,
    ) -> Result<QueryRecordProofResponse> {
        let v = self.must_version(r, datanet, version)?;
        let index = v.record_ids.binary_search(&record).map_err(|_| {
            AbciError::from(DatanetError::NotInVersion {
                datanet,
                version: v.version,
                record,
            })
        })?;
        let rec = self.must_record(r, datanet, record)?;
        let leaves = self.leaves(r, datanet, &v.record_ids)?;
        let siblings = merkle::proof(&leaves, index)
            .ok_or_else(|| DatanetError::Corrupt("proof index".into()))?;
        Ok(QueryRecordProofResponse {
            record: Some(rec),
            leaf_index: index as u64,
            leaf_count: leaves.len() as u64,
            leaf_hash: leaves[index].to_vec(),
            siblings: siblings.iter().map(|s| s.to_vec()).collect(),
            root: v.root,
        })
    }
}

/// Checks a proof from [`DatanetKeeper::record_proof`] against a root the caller trusts,
/// recomputing the leaf from the record's id and content.
pub fn verify_record_proof(
    record_id: u64,
    content: &str,
    leaf_index: u64,
    leaf_count: u64,
    siblings: &[Vec<u8>],
    root: &[u8],
) -> bool {
    let sha: [u8; 32] = Sha256::digest(content.as_bytes()).into();
    let leaf = merkle::leaf_hash(record_id, &sha);
    let Ok(root) = <[u8; 32]>::try_from(root) else {
        return false;
    };
    let Ok(siblings) = siblings
        .iter()
        .map(|s| <[u8; 32]>::try_from(s.as_slice()))
        .collect::<std::result::Result<Vec<_>, _>>()
    else {
        return false;
    };
    merkle::verify(&leaf, leaf_index, leaf_count, &siblings, &root)
}

/// The datanet module as the application drives it.
#[derive(Clone)]
pub struct DatanetModule {
    pub keeper: DatanetKeeper,
}

impl Module for DatanetModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(&self, ctx: &mut Ctx<'_>, genesis: &serde_json::Value) -> Result<()> {
        genesis::init(&self.keeper, ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value> {
        genesis::export(&self.keeper, state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register(self.keeper.clone(), router)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
