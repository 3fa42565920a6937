//! The attribution module: Proof of Attribution on chain.
//!
//! 1. [`MsgRequestInference`](openledger_proto::openledger::attribution::v1::MsgRequestInference)
//!    (block H): the adapter's licence contract (or `params.default_price`) sets the fee, which
//!    is escrowed in the `attribution` module account; the request is stored pending.
//! 2. Off the consensus path, every validator's engine runs pending requests (greedy decoding
//!    and gradient-based influence of the adapter's Datanet records, see [`AttributionKeeper::job`]).
//! 3. In `ExtendVote` each validator reports its finished results ([`extension`]); the next
//!    proposer injects the extended commit as its block's first transaction.
//! 4. That transaction is verified ([`extension::verify_extended_commit`]) and applied first in
//!    `FinalizeBlock` ([`AttributionKeeper::apply_extended_commit`]): per request the output
//!    backed by > 2/3 of the power wins, per record the stake-weighted median score
//!    ([`aggregate`]), and the fee is paid out exactly ([`payout`]) to the contributors of the
//!    records with positive influence, the adapter owner and the validators behind the output.
//!    Each block's records form a Merkle tree whose root is kept per height ([`proof`]).
//! 5. A request no quorum answers by `height + timeout_blocks` is refunded in `end_block`.

pub mod aggregate;
pub mod attribute;
pub mod error;
pub mod extension;
pub mod genesis;
pub mod keys;
pub mod msgs;
pub mod params;
pub mod payout;
pub mod proof;
pub mod query;
pub mod request;

use std::sync::{Arc, OnceLock};

use openledger_bank::BankKeeper;
use openledger_datanet::DatanetKeeper;
use openledger_framework::{
    Address, Coin, Ctx, KvRead, Module, MsgServiceRouter, QueryRouter, Result, StateRead,
};
use openledger_models::ModelsKeeper;
use openledger_proto::openledger::attribution::v1::{
    AttributionRecord, BlockRoot, ContributorEarnings, InferenceRequest, Params,
};
use openledger_staking::StakingKeeper;
use prost::Message;

pub use error::AttributionError;
pub use params::default_params;

/// The module's name: its store prefix (substore) and its module account.
pub const MODULE_NAME: &str = keys::PREFIX;

/// The module account that escrows the fees of pending requests.
pub const MODULE_ACCOUNT: &str = "attribution";

fn load<M: Message + Default>(r: &mut impl StateRead, key: &str) -> Result<Option<M>> {
    openledger_framework::read_proto(r, key, AttributionError::Corrupt)
}

fn parse_address(field: &str, s: &str) -> Result<Address> {
    Ok(Address::from_field(field, s)?)
}

/// What the licence contract of an adapter answers (`CanInfer{adapter_id, user}`): whether the
/// user may run an inference now, and the fee to charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenceAnswer {
    pub allowed: bool,
    pub price: Coin,
}

/// The narrow view of the wasm module the attribution module needs: a smart query of an
/// adapter's licence contract. The application implements it over the wasm keeper.
pub trait Licences: Send + Sync {
    fn can_infer(
        &self,
        ctx: &mut Ctx<'_>,
        contract: &str,
        adapter_id: u64,
        user: &Address,
    ) -> Result<LicenceAnswer>;
}

/// Keeper of inference requests, attribution records, block roots and earnings.
#[derive(Clone)]
pub struct AttributionKeeper {
    bank: BankKeeper,
    models: ModelsKeeper,
    datanets: DatanetKeeper,
    staking: StakingKeeper,
    authority: Address,
    licences: Arc<OnceLock<Arc<dyn Licences>>>,
}

impl AttributionKeeper {
    pub fn new(
        bank: BankKeeper,
        models: ModelsKeeper,
        datanets: DatanetKeeper,
        staking: StakingKeeper,
        authority: Address,
    ) -> Self {
        Self {
            bank,
            models,
            datanets,
            staking,
            authority,
            licences: Arc::new(OnceLock::new()),
        }
    }

    /// Installs the licence querier, once (every clone sees it); false if one was set. Without
    /// it, a request for an adapter with a licence contract is refused.
    pub fn set_licences(&self, licences: Arc<dyn Licences>) -> bool {
        self.licences.set(licences).is_ok()
    }

    pub fn authority(&self) -> Address {
        self.authority
    }

    pub fn module_address() -> Address {
        Address::module(MODULE_ACCOUNT)
    }

    pub fn params(&self, r: &mut impl StateRead) -> Result<Params> {
        Ok(load(r, keys::params())?.unwrap_or_else(default_params))
    }

    pub fn set_params(&self, ctx: &mut Ctx<'_>, p: &Params) -> Result<()> {
        params::validate(p)?;
        ctx.set(keys::params().to_string(), p.encode_to_vec())
    }

    pub fn request(&self, r: &mut impl StateRead, id: u64) -> Result<Option<InferenceRequest>> {
        load(r, &keys::request(id))
    }

    pub fn must_request(&self, r: &mut impl StateRead, id: u64) -> Result<InferenceRequest> {
        self.request(r, id)?
            .ok_or_else(|| AttributionError::RequestNotFound(id).into())
    }

    pub fn record(
        &self,
        r: &mut impl StateRead,
        request_id: u64,
    ) -> Result<Option<AttributionRecord>> {
        load(r, &keys::record(request_id))
    }

    pub fn must_record(
        &self,
        r: &mut impl StateRead,
        request_id: u64,
    ) -> Result<AttributionRecord> {
        self.record(r, request_id)?
            .ok_or_else(|| AttributionError::RecordNotFound(request_id).into())
    }

    pub fn block_root(&self, r: &mut impl StateRead, height: u64) -> Result<Option<BlockRoot>> {
        load(r, &keys::block_root(height))
    }

    /// A contributor's earnings (zero for an address that never earned).
    pub fn earnings(&self, r: &mut impl StateRead, addr: &Address) -> Result<ContributorEarnings> {
        Ok(
            load(r, &keys::earnings(addr))?.unwrap_or_else(|| ContributorEarnings {
                address: addr.to_bech32(),
                total_earned: "0".into(),
                attributions: 0,
            }),
        )
    }

    /// The pending requests, by id.
    pub fn pending_requests(&self, r: &mut impl StateRead) -> Result<Vec<InferenceRequest>> {
        let ids: Vec<u64> = r
            .read_prefix(keys::all_pending())?
            .iter()
            .filter_map(|(k, _)| keys::trailing_id(k))
            .collect();
        ids.into_iter().map(|id| self.must_request(r, id)).collect()
    }

    /// The height from which CometBFT sends vote extensions (0: never), as InitChain's
    /// consensus params set it.
    pub fn vote_extensions_enable_height(&self, r: &mut impl StateRead) -> Result<u64> {
        match r.read(keys::vote_extensions_enable_height())? {
            None => Ok(0),
            Some(b) => Ok(u64::from_be_bytes(b.try_into().map_err(|_| {
                AttributionError::Corrupt("vote extensions enable height".into())
            })?)),
        }
    }

    pub fn set_vote_extensions_enable_height(&self, ctx: &mut Ctx<'_>, height: u64) -> Result<()> {
        ctx.set(
            keys::vote_extensions_enable_height().to_string(),
            height.to_be_bytes().to_vec(),
        )
    }

    /// The ed25519 consensus key of a consensus address (for checking extension signatures).
    pub fn consensus_key(
        &self,
        r: &mut impl StateRead,
        cons: &Address,
    ) -> Result<Option<[u8; 32]>> {
        Ok(self
            .staking
            .validator_by_cons_addr(r, cons)?
            .map(|v| v.consensus_pubkey))
    }
}

/// The attribution module as the application drives it.
#[derive(Clone)]
pub struct AttributionModule {
    pub keeper: AttributionKeeper,
}

impl Module for AttributionModule {
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

    fn end_block(&self, ctx: &mut Ctx<'_>) -> Result<()> {
        self.keeper.refund_expired(ctx)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register(self.keeper.clone(), router)
    }
}
