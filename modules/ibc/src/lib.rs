//! IBC: the ibc-rs host of this chain (the 07-tendermint light client, connections, channels,
//! packet commitments, receipts, acknowledgements and timeouts) and the ICS-20 transfer
//! application on the `transfer` port.
//!
//! Two modules, as in ibc-go: [`IbcModule`] (`ibc`, the core messages `ibc.core.*.v1.Msg*` and
//! queries, its state at the ICS-24 paths in the `ibc` substore) and [`TransferModule`]
//! (`transfer`, `ibc.applications.transfer.v1.MsgTransfer`, denom traces and escrow totals).
//! Both run their messages through ibc-rs on the transaction's gas-metered state
//! ([`host`]). Counterparties prove our state with the commitment prefix `ibc` and the
//! store's two JMT proof specs ([`host::proof_specs`]); our own consensus states come from the
//! headers staking keeps for the historical-entries window.

pub mod error;
pub mod genesis;
pub mod host;
pub mod keys;
pub mod msgs;
pub mod query;
pub mod transfer;

use std::time::Duration;

use ibc::apps::transfer::handler::send_transfer;
use ibc::apps::transfer::types::msgs::transfer::MsgTransfer as DomainMsgTransfer;
use ibc::core::handler::types::msgs::MsgEnvelope;
use ibc::core::host::ValidationContext;
use ibc::core::host::types::path::SeqSendPath;
use ibc::primitives::proto::Any as IbcAny;
use ibc_proto::ibc::applications::transfer::v1::MsgTransfer;
use openledger_bank::BankKeeper;
use openledger_framework::{
    AbciError, Address, Ctx, KvRead, Module, MsgServiceRouter, QueryRouter,
};
use openledger_staking::StakingKeeper;

pub use error::IbcError;
use host::{Host, Shared};
use transfer::{Apps, TransferApp};

/// IBC core's module name and substore (also the commitment prefix).
pub const MODULE_NAME: &str = keys::PREFIX;
/// The transfer application's module name, substore and module account (it mints and burns
/// vouchers).
pub const TRANSFER_MODULE: &str = keys::TRANSFER_PREFIX;

/// What IBC reads and moves: balances (escrow, vouchers), the unbonding period and our own
/// headers (staking's historical info).
#[derive(Clone)]
pub struct IbcKeeper {
    pub bank: BankKeeper,
    pub staking: StakingKeeper,
    /// The gov module account, the authority of transfer's `MsgUpdateParams`.
    pub authority: Address,
}

impl IbcKeeper {
    pub fn new(bank: BankKeeper, staking: StakingKeeper, authority: Address) -> Self {
        Self {
            bank,
            staking,
            authority,
        }
    }

    /// The unbonding period of our stake: a counterparty's client of us must carry it.
    pub fn unbonding_period(&self, ctx: &mut Ctx<'_>) -> Result<Duration, AbciError> {
        let p = self.staking.params(ctx)?;
        let (secs, nanos) = openledger_staking::params::unbonding_time(&p);
        Ok(Duration::new(
            u64::try_from(secs).unwrap_or_default(),
            u32::try_from(nanos).unwrap_or_default(),
        ))
    }

    /// Runs an IBC core message (client, connection, channel or packet) through ibc-rs'
    /// validation and then its execution.
    pub fn dispatch(&self, ctx: &mut Ctx<'_>, msg: IbcAny) -> Result<(), AbciError> {
        let envelope =
            MsgEnvelope::try_from(msg).map_err(|e| IbcError::InvalidMsg(e.to_string()))?;
        let shared = Shared::new(ctx);
        let result = {
            let mut host = Host::new(&shared, self)?;
            let mut apps = Apps::new(&shared, self);
            ibc::core::entrypoint::dispatch(&mut host, &mut apps, envelope)
        };
        if let Some(e) = shared.take_failure() {
            return Err(e);
        }
        result.map_err(|e| IbcError::Handler(e.to_string()).into())
    }

    /// Sends an ICS-20 transfer: escrows (or burns, for a voucher going home) and commits the
    /// packet. Returns the packet's sequence.
    pub fn transfer(&self, ctx: &mut Ctx<'_>, mut msg: MsgTransfer) -> Result<u64, AbciError> {
        // A voucher is named by its hash; the packet carries its full trace.
        if let Some(token) = msg.token.as_mut()
            && let Some(hash) = token.denom.strip_prefix("ibc/")
        {
            let trace = transfer::denom_trace(ctx, hash)?
                .ok_or_else(|| IbcError::UnknownDenom(token.denom.clone()))?;
            token.denom = if trace.path.is_empty() {
                trace.base_denom
            } else {
                format!("{}/{}", trace.path, trace.base_denom)
            };
        }
        let msg =
            DomainMsgTransfer::try_from(msg).map_err(|e| IbcError::InvalidMsg(e.to_string()))?;
        let seq_path = SeqSendPath::new(&msg.port_id_on_a, &msg.chan_id_on_a);
        let shared = Shared::new(ctx);
        let result = {
            let mut host = Host::new(&shared, self)?;
            let mut app = TransferApp::new(&shared, self);
            host.get_next_sequence_send(&seq_path)
                .map_err(|e| IbcError::Transfer(e.to_string()))
                .and_then(|seq| {
                    send_transfer(&mut host, &mut app, msg)
                        .map(|()| seq.value())
                        .map_err(|e| IbcError::Transfer(e.to_string()))
                })
        };
        if let Some(e) = shared.take_failure() {
            return Err(e);
        }
        Ok(result?)
    }
}

/// IBC core as the application drives it.
#[derive(Clone)]
pub struct IbcModule {
    pub keeper: IbcKeeper,
}

impl Module for IbcModule {
    fn name(&self) -> &'static str {
        MODULE_NAME
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), AbciError> {
        genesis::init_core(ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
        genesis::export_core(state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register_core(self.keeper.clone(), router)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register_core(router)
    }
}

/// The ICS-20 transfer application as the application drives it.
#[derive(Clone)]
pub struct TransferModule {
    pub keeper: IbcKeeper,
}

impl Module for TransferModule {
    fn name(&self) -> &'static str {
        TRANSFER_MODULE
    }

    fn init_genesis(
        &self,
        ctx: &mut Ctx<'_>,
        genesis: &serde_json::Value,
    ) -> Result<(), AbciError> {
        genesis::init_transfer(ctx, genesis)
    }

    fn export_genesis(&self, state: &dyn KvRead) -> Result<serde_json::Value, AbciError> {
        genesis::export_transfer(state)
    }

    fn register_msgs(&self, router: &mut MsgServiceRouter) {
        msgs::register_transfer(self.keeper.clone(), router)
    }

    fn register_queries(&self, router: &mut QueryRouter) {
        query::register_transfer(router)
    }
}
