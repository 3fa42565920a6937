//! The models module: base models (identified by the hashes of their weights and tokenizer) and
//! LoRA adapters whose weights live on chain, each pointing at the exact Datanet version it was
//! trained on, so [`ModelsKeeper::provenance`] can walk adapter → version (root, count) →
//! records → contributors.

pub mod error;
pub mod genesis;
pub mod keys;
pub mod msgs;
pub mod query;

use openledger_bank::BankKeeper;
use openledger_datanet::DatanetKeeper;
use openledger_framework::{
    Address, Coins, Ctx, Event, KvRead, Module, MsgServiceRouter, QueryRouter, Result, StateRead,
};
use openledger_proto::openledger::models::v1::{
    Adapter, BaseModel, ContributorShare, MsgPublishAdapter, MsgRegisterBaseModel, Params,
    QueryProvenanceResponse,
};
use prost::Message;
use sha2::{Digest, Sha256};

pub use error::ModelsError;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// The module account holding base-model deposits.
pub const MODULE_ACCOUNT: &str = "models";

/// Adapter weights are stored in chunks of this size, so no single state value is huge.
pub const WEIGHT_CHUNK: usize = 256 * 1024;

fn load<M: Message + Default>(r: &mut impl StateRead, key: &str) -> Result<Option<M>> {
    openledger_framework::read_proto(r, key, ModelsError::Corrupt)
}

pub fn default_params() -> Params {
    Params {
        max_adapter_bytes: 8 * 1024 * 1024,
        // 100 OPEN: anyone may register a base model by escrowing it; gov may raise it, or
        // empty it to keep registration to itself.
        base_model_deposit: vec![openledger_framework::Coin::new(100_000_000, "uopen").to_proto()],
        max_name_bytes: 128,
        max_field_bytes: 256,
    }
}

fn parse_address(field: &str, s: &str) -> Result<Address> {
    Ok(Address::from_field(field, s)?)
}

/// A lowercase hex sha256.
fn check_sha256(field: &str, s: &str) -> Result<()> {
    if s.len() != 64
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return Err(ModelsError::Invalid(format!(
            "{field} must be a lowercase hex sha256 (64 characters), got `{s}`"
        ))
        .into());
    }
    Ok(())
}

/// A non-negative decimal number written as a string (`"0.002"`, `"16"`, `"2e-3"` is not one).
fn check_decimal(field: &str, s: &str) -> Result<()> {
    let ok = !s.is_empty()
        && s.split_once('.').map_or_else(
            || s.bytes().all(|b| b.is_ascii_digit()),
            |(i, f)| {
                !i.is_empty()
                    && !f.is_empty()
                    && i.bytes().all(|b| b.is_ascii_digit())
                    && f.bytes().all(|b| b.is_ascii_digit())
            },
        );
    if !ok {
        return Err(ModelsError::Invalid(format!(
            "{field} must be a decimal number like 0.002, got `{s}`"
        ))
        .into());
    }
    Ok(())
}

fn check_text(field: &str, s: &str, max: u32, required: bool) -> Result<()> {
    if required && s.trim().is_empty() {
        return Err(ModelsError::Invalid(format!("{field} must not be empty")).into());
    }
    if s.len() > max as usize {
        return Err(ModelsError::Invalid(format!(
            "{field} is {} bytes, over the limit of {max}",
            s.len()
        ))
        .into());
    }
    Ok(())
}

fn next_id(ctx: &mut Ctx<'_>, key: &str) -> Result<u64> {
    let id = match ctx.get(key)? {
        Some(b) => u64::from_be_bytes(
            b.try_into()
                .map_err(|_| ModelsError::Corrupt(key.to_string()))?,
        ),
        None => 1,
    };
    ctx.set(key.to_string(), (id + 1).to_be_bytes().to_vec())?;
    Ok(id)
}

/// Keeper of base models and adapters.
#[derive(Clone)]
pub struct ModelsKeeper {
    bank: BankKeeper,
    datanets: DatanetKeeper,
    authority: Address,
}

impl ModelsKeeper {
    pub fn new(bank: BankKeeper, datanets: DatanetKeeper, authority: Address) -> Self {
        Self {
            bank,
            datanets,
            authority,
        }
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params> {
        Ok(load(r, keys::params())?.unwrap_or_else(default_params))
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<()> {
        if p.max_adapter_bytes == 0 || p.max_name_bytes == 0 || p.max_field_bytes == 0 {
            return Err(ModelsError::Invalid("params: limits must be positive".into()).into());
        }
        Coins::from_proto(&p.base_model_deposit)?;
        ctx.set(keys::params().into(), p.encode_to_vec())
    }

    pub fn base_model(&self, r: &mut impl StateRead, id: u64) -> Result<Option<BaseModel>> {
        load(r, &keys::base_model(id))
    }

    pub fn must_base_model(&self, r: &mut impl StateRead, id: u64) -> Result<BaseModel> {
        self.base_model(r, id)?
            .ok_or_else(|| ModelsError::BaseModelNotFound(id).into())
    }

    pub fn adapter(&self, r: &mut impl StateRead, id: u64) -> Result<Option<Adapter>> {
        load(r, &keys::adapter(id))
    }

    pub fn must_adapter(&self, r: &mut impl StateRead, id: u64) -> Result<Adapter> {
        self.adapter(r, id)?
            .ok_or_else(|| ModelsError::AdapterNotFound(id).into())
    }

    /// The adapter and its weights, reassembled from their chunks and checked against their
    /// hash.
    pub fn weights(&self, r: &mut impl StateRead, id: u64) -> Result<(Adapter, Vec<u8>)> {
        let a = self.must_adapter(r, id)?;
        let mut out = Vec::with_capacity(a.weights_size as usize);
        for (_, chunk) in r.read_prefix(&keys::weights_of(id))? {
            out.extend_from_slice(&chunk);
        }
        if hex::encode(Sha256::digest(&out)) != a.weights_sha256 {
            return Err(ModelsError::Corrupt(format!("weights of adapter {id}")).into());
        }
        Ok((a, out))
    }

    pub fn register_base_model(
        &self,
        ctx: &mut Ctx<'_>,
        msg: &MsgRegisterBaseModel,
    ) -> Result<u64> {
        let p = self.params(ctx)?;
        let sender = parse_address("sender", &msg.sender)?;
        check_text("name", &msg.name, p.max_name_bytes, true)?;
        check_text("architecture", &msg.architecture, p.max_name_bytes, true)?;
        check_text("source", &msg.source, p.max_field_bytes, true)?;
        check_sha256("weights_sha256", &msg.weights_sha256)?;
        check_sha256("tokenizer_sha256", &msg.tokenizer_sha256)?;
        if ctx
            .get(&keys::base_model_by_hash(&msg.weights_sha256))?
            .is_some()
        {
            return Err(ModelsError::Invalid(format!(
                "a base model with weights {} is already registered",
                msg.weights_sha256
            ))
            .into());
        }
        let deposit = Coins::from_proto(&p.base_model_deposit)?;
        let paid = if sender == self.authority {
            Coins::new()
        } else if deposit.is_empty() {
            return Err(ModelsError::Unauthorized(format!(
                "only the governance authority {} registers base models (no deposit is set)",
                self.authority.to_bech32()
            ))
            .into());
        } else {
            self.bank
                .send_to_module(ctx, &sender, MODULE_ACCOUNT, &deposit)?;
            deposit
        };
        let id = next_id(ctx, keys::next_base_model_id())?;
        let m = BaseModel {
            id,
            name: msg.name.clone(),
            architecture: msg.architecture.clone(),
            weights_sha256: msg.weights_sha256.clone(),
            tokenizer_sha256: msg.tokenizer_sha256.clone(),
            source: msg.source.clone(),
            registrant: sender.to_bech32(),
            height: ctx.block.height,
            deposit: paid.to_proto(),
        };
        ctx.set(keys::base_model(id), m.encode_to_vec())?;
        ctx.set(
            keys::base_model_by_hash(&msg.weights_sha256),
            id.to_be_bytes().to_vec(),
        )?;
        ctx.emit(
            Event::new("register_base_model")
                .attr("base_model_id", id.to_string())
                .attr("name", m.name.clone())
                .attr("weights_sha256", m.weights_sha256.clone()),
        );
        Ok(id)
    }

    pub fn publish_adapter(&self, ctx: &mut Ctx<'_>, msg: &MsgPublishAdapter) -> Result<u64> {
        let p = self.params(ctx)?;
        let owner = parse_address("owner", &msg.owner)?;
        check_text("name", &msg.name, p.max_name_bytes, true)?;
        if msg.weights.len() as u64 > p.max_adapter_bytes {
            return Err(ModelsError::TooLarge {
                size: msg.weights.len() as u64,
                max: p.max_adapter_bytes,
            }
            .into());
        }
        if msg.weights.is_empty() {
            return Err(ModelsError::Invalid("adapter weights are empty".into()).into());
        }
        check_sha256("weights_sha256", &msg.weights_sha256)?;
        let actual = hex::encode(Sha256::digest(&msg.weights));
        if actual != msg.weights_sha256 {
            return Err(ModelsError::HashMismatch {
                declared: msg.weights_sha256.clone(),
                actual,
            }
            .into());
        }
        let config = msg
            .config
            .clone()
            .ok_or_else(|| ModelsError::Invalid("training config is required".into()))?;
        if config.rank == 0 {
            return Err(ModelsError::Invalid("rank must be positive".into()).into());
        }
        check_decimal("alpha", &config.alpha)?;
        check_decimal("learning_rate", &config.learning_rate)?;
        for t in &config.target_modules {
            check_text("target module", t, p.max_name_bytes, true)?;
        }
        let metrics = msg.metrics.clone().unwrap_or_default();
        for (f, v) in [
            ("train_loss", &metrics.train_loss),
            ("eval_loss", &metrics.eval_loss),
        ] {
            if !v.is_empty() {
                check_decimal(f, v)?;
            }
        }
        if !msg.license_contract.is_empty() {
            parse_address("license contract", &msg.license_contract)?;
        }
        self.must_base_model(ctx, msg.base_model_id)?;
        self.datanets.must_datanet(ctx, msg.datanet_id)?;
        if msg.datanet_version == 0 {
            return Err(ModelsError::Invalid("datanet version must be positive".into()).into());
        }
        let version = self
            .datanets
            .must_version(ctx, msg.datanet_id, msg.datanet_version)?;
        let id = next_id(ctx, keys::next_adapter_id())?;
        let a = Adapter {
            id,
            owner: owner.to_bech32(),
            name: msg.name.clone(),
            base_model_id: msg.base_model_id,
            datanet_id: msg.datanet_id,
            datanet_version: msg.datanet_version,
            version_root: version.root,
            config_sha256: hex::encode(Sha256::digest(config.encode_to_vec())),
            config: Some(config),
            weights_sha256: msg.weights_sha256.clone(),
            weights_size: msg.weights.len() as u64,
            metrics: Some(metrics),
            license_contract: msg.license_contract.clone(),
            height: ctx.block.height,
        };
        ctx.set(keys::adapter(id), a.encode_to_vec())?;
        for (i, chunk) in msg.weights.chunks(WEIGHT_CHUNK).enumerate() {
            ctx.set(keys::weights_chunk(id, i as u64), chunk.to_vec())?;
        }
        ctx.emit(
            Event::new("publish_adapter")
                .attr("adapter_id", id.to_string())
                .attr("owner", a.owner.clone())
                .attr("base_model_id", a.base_model_id.to_string())
                .attr("datanet_id", a.datanet_id.to_string())
                .attr("datanet_version", a.datanet_version.to_string())
                .attr("weights_sha256", a.weights_sha256.clone()),
        );
        Ok(id)
    }

    /// adapter → Datanet version (root, count) → records → contributors (by record count,
    /// then address).
    pub fn provenance(
        &self,
        r: &mut impl StateRead,
        adapter: u64,
    ) -> Result<QueryProvenanceResponse> {
        let a = self.must_adapter(r, adapter)?;
        let base = self.base_model(r, a.base_model_id)?;
        let d = self.datanets.must_datanet(r, a.datanet_id)?;
        let v = self
            .datanets
            .must_version(r, a.datanet_id, a.datanet_version)?;
        let mut counts: std::collections::BTreeMap<String, u64> = Default::default();
        for &id in &v.record_ids {
            let rec = self.datanets.must_record(r, a.datanet_id, id)?;
            *counts.entry(rec.contributor).or_default() += 1;
        }
        let mut contributors: Vec<ContributorShare> = counts
            .into_iter()
            .map(|(address, records)| ContributorShare { address, records })
            .collect();
        contributors.sort_by(|x, y| y.records.cmp(&x.records).then(x.address.cmp(&y.address)));
        Ok(QueryProvenanceResponse {
            adapter: Some(a.clone()),
            base_model: base,
            datanet_id: d.id,
            datanet_name: d.name,
            datanet_version: v.version,
            version_root: v.root,
            record_count: v.record_count,
            record_ids: v.record_ids,
            contributors,
        })
    }
}

/// The models module as the application drives it.
#[derive(Clone)]
pub struct ModelsModule {
    pub keeper: ModelsKeeper,
}

impl Module for ModelsModule {
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
