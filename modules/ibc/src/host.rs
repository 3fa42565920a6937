//! The host side of ibc-rs: its validation and execution contexts over our gas-metered state.
//!
//! ibc-rs hands IBC core (this [`Host`]) and the applications bound to ports (the router's
//! modules) to its handlers separately, while both change the one state of the transaction. So
//! the message's [`Ctx`] sits in a [`Shared`] cell that both borrow for one store operation at a
//! time. A store error (out of gas, above all) cannot pass through ibc-rs' error types with its
//! code intact: the first one is kept in the cell, ibc-rs gets a `HostError`, and the message
//! fails with the kept error, so an IBC message out of gas reads as any other.

use std::cell::RefCell;
use std::time::Duration;

use ibc::clients::tendermint::client_state::ClientState as TmClientState;
use ibc::clients::tendermint::consensus_state::ConsensusState as TmConsensusState;
use ibc::clients::tendermint::types::{
    ClientState as TmClientStateType, ConsensusState as TmConsensusStateType,
};
use ibc::core::channel::types::channel::ChannelEnd;
use ibc::core::channel::types::commitment::{AcknowledgementCommitment, PacketCommitment};
use ibc::core::channel::types::packet::Receipt;
use ibc::core::client::context::prelude::*;
use ibc::core::client::types::Height;
use ibc::core::commitment_types::commitment::{CommitmentPrefix, CommitmentRoot};
use ibc::core::commitment_types::specs::ProofSpecs;
use ibc::core::connection::types::ConnectionEnd;
use ibc::core::handler::types::events::IbcEvent;
use ibc::core::host::types::error::HostError;
use ibc::core::host::types::identifiers::{ChainId, ClientId, ConnectionId, Sequence};
use ibc::core::host::types::path::{
    AckPath, ChannelEndPath, ClientConnectionPath, ClientConsensusStatePath, ClientStatePath,
    ClientUpdateHeightPath, ClientUpdateTimePath, CommitmentPath, ConnectionPath, ReceiptPath,
    SeqAckPath, SeqRecvPath, SeqSendPath,
};
use ibc::core::host::{ExecutionContext, ValidationContext};
use ibc::cosmos_host::ValidateSelfClientContext;
use ibc::primitives::proto::{Any, Protobuf};
use ibc::primitives::{Signer, Timestamp};
use ibc_proto::ibc::core::connection::v1::ClientPaths;
use openledger_framework::{AbciError, Address, BlockInfo, Ctx, Event};
use prost::Message;

use crate::{IbcKeeper, keys};

/// ibc-go's default: a packet's delay period in blocks is its time over this.
pub const MAX_EXPECTED_TIME_PER_BLOCK: Duration = Duration::from_secs(30);

/// Where a Cosmos SDK chain's upgraded client and consensus states are committed; a
/// counterparty's client of us carries it (Hermes sets this default).
pub const UPGRADE_PATH: [&str; 2] = ["upgrade", "upgradedIBCState"];

/// The store of one message, shared by IBC core and the applications.
pub struct Shared<'c, 'a> {
    ctx: RefCell<&'c mut Ctx<'a>>,
    failure: RefCell<Option<AbciError>>,
}

impl<'c, 'a> Shared<'c, 'a> {
    pub fn new(ctx: &'c mut Ctx<'a>) -> Self {
        Self {
            ctx: RefCell::new(ctx),
            failure: RefCell::new(None),
        }
    }

    /// Runs one operation on the message's state; a failure is kept (see the module docs).
    pub fn run<R>(
        &self,
        f: impl FnOnce(&mut Ctx<'a>) -> Result<R, AbciError>,
    ) -> Result<R, HostError> {
        let mut ctx = self.ctx.borrow_mut();
        f(&mut ctx).map_err(|e| self.fail(e))
    }

    fn fail(&self, e: AbciError) -> HostError {
        let text = e.message.clone();
        self.failure.borrow_mut().get_or_insert(e);
        HostError::failed_to_retrieve(text)
    }

    /// The first store error an operation met, if any.
    pub fn take_failure(&self) -> Option<AbciError> {
        self.failure.borrow_mut().take()
    }

    pub fn block(&self) -> &'a BlockInfo {
        self.ctx.borrow().block
    }

    fn get(&self, key: &str) -> Result<Option<Vec<u8>>, HostError> {
        self.run(|c| c.get(key))
    }

    fn set(&self, key: String, value: Vec<u8>) -> Result<(), HostError> {
        self.run(|c| c.set(key, value))
    }

    fn delete(&self, key: String) -> Result<(), HostError> {
        self.run(|c| c.delete(key))
    }

    fn emit(&self, event: Event) {
        self.ctx.borrow_mut().emit(event);
    }
}

/// The revision of a chain id (`openledger-local-1` is revision 1), as IBC heights carry it.
pub fn revision_number(chain_id: &str) -> u64 {
    ChainId::new(chain_id).map_or(0, |c| c.revision_number())
}

/// The ICS-23 specs of our store, outermost last: the substore's JMT, then the main JMT that
/// commits to the substore roots. A counterparty's client of us must carry exactly these.
pub fn proof_specs() -> ProofSpecs {
    let spec = openledger_framework::store::proof_spec();
    ProofSpecs::try_from(vec![spec.clone(), spec])
        .unwrap_or_else(|_| unreachable!("the store's JMT spec has a valid depth range"))
}

/// A u64 as ibc-go stores sequences and counters: 8 bytes big-endian.
fn decode_u64(key: &str, bytes: &[u8]) -> Result<u64, HostError> {
    let arr: [u8; 8] = bytes
        .try_into()
        .map_err(|_| HostError::invalid_state(format!("{key}: not an 8-byte integer")))?;
    Ok(u64::from_be_bytes(arr))
}

fn decode_err(key: &str, e: impl std::fmt::Display) -> HostError {
    HostError::invalid_state(format!("{key}: {e}"))
}

/// IBC core's view of the chain during one message.
pub struct Host<'s, 'c, 'a> {
    shared: &'s Shared<'c, 'a>,
    keeper: &'s IbcKeeper,
    chain_id: ChainId,
    proof_specs: ProofSpecs,
    upgrade_path: Vec<String>,
}

impl<'s, 'c, 'a> Host<'s, 'c, 'a> {
    pub fn new(shared: &'s Shared<'c, 'a>, keeper: &'s IbcKeeper) -> Result<Self, AbciError> {
        let chain_id = ChainId::new(&shared.block().chain_id)
            .map_err(|e| crate::IbcError::Corrupt(format!("chain id: {e}")))?;
        Ok(Self {
            shared,
            keeper,
            chain_id,
            proof_specs: proof_specs(),
            upgrade_path: UPGRADE_PATH.iter().map(|s| s.to_string()).collect(),
        })
    }

    fn require(&self, key: &str, what: impl FnOnce() -> String) -> Result<Vec<u8>, HostError> {
        self.shared
            .get(key)?
            .ok_or_else(|| HostError::missing_state(what()))
    }

    fn counter(&self, key: &str) -> Result<u64, HostError> {
        match self.shared.get(key)? {
            None => Ok(0),
            Some(b) => decode_u64(key, &b),
        }
    }

    fn increase(&self, key: &str) -> Result<(), HostError> {
        let next = self
            .counter(key)?
            .checked_add(1)
            .ok_or_else(|| HostError::invalid_state(format!("{key} overflows")))?;
        self.shared
            .set(key.to_string(), next.to_be_bytes().to_vec())
    }

    fn sequence(&self, path: impl std::fmt::Display) -> Result<Sequence, HostError> {
        let key = keys::path(&path);
        let bytes = self.require(&key, || format!("no sequence at {path}"))?;
        Ok(Sequence::from(decode_u64(&key, &bytes)?))
    }

    fn set_sequence(&self, path: impl std::fmt::Display, seq: Sequence) -> Result<(), HostError> {
        self.shared
            .set(keys::path(path), seq.value().to_be_bytes().to_vec())
    }

    fn height(&self) -> Result<Height, HostError> {
        Height::new(self.chain_id.revision_number(), self.shared.block().height)
            .map_err(HostError::invalid_state)
    }

    fn timestamp(&self) -> Result<Timestamp, HostError> {
        let b = self.shared.block();
        let secs = u64::try_from(b.time_seconds)
            .map_err(|_| HostError::invalid_state("block time before 1970"))?;
        Timestamp::from_unix_timestamp(secs, b.time_nanos).map_err(HostError::invalid_state)
    }

    /// The heights of `client`'s consensus states, lowest first.
    fn heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        let prefix = keys::consensus_heights(client_id);
        let items = self.shared.run(|c| c.prefix(&prefix))?;
        items
            .iter()
            .map(|(k, v)| {
                let s = std::str::from_utf8(v).map_err(|e| decode_err(k, e))?;
                s.parse::<Height>().map_err(|e| decode_err(k, e))
            })
            .collect()
    }

    fn consensus_at(
        &self,
        client_id: &ClientId,
        h: &Height,
    ) -> Result<TmConsensusState, HostError> {
        self.consensus_state(&ClientConsensusStatePath::new(
            client_id.clone(),
            h.revision_number(),
            h.revision_height(),
        ))
    }
}

impl ClientValidationContext for Host<'_, '_, '_> {
    type ClientStateRef = TmClientState;
    type ConsensusStateRef = TmConsensusState;

    fn client_state(&self, client_id: &ClientId) -> Result<TmClientState, HostError> {
        let key = keys::path(ClientStatePath::new(client_id.clone()));
        let bytes = self.require(&key, || format!("client {client_id} not found"))?;
        <TmClientState as Protobuf<Any>>::decode_vec(&bytes).map_err(|e| decode_err(&key, e))
    }

    fn consensus_state(
        &self,
        path: &ClientConsensusStatePath,
    ) -> Result<TmConsensusState, HostError> {
        let key = keys::path(path);
        let bytes = self.require(&key, || {
            format!(
                "client {} has no consensus state at height {}-{}",
                path.client_id, path.revision_number, path.revision_height
            )
        })?;
        <TmConsensusState as Protobuf<Any>>::decode_vec(&bytes).map_err(|e| decode_err(&key, e))
    }

    fn client_update_meta(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<(Timestamp, Height), HostError> {
        let (rev, h) = (height.revision_number(), height.revision_height());
        let time_key = keys::path(ClientUpdateTimePath::new(client_id.clone(), rev, h));
        let height_key = keys::path(ClientUpdateHeightPath::new(client_id.clone(), rev, h));
        let missing = || format!("client {client_id} has no update at height {height}");
        let time = decode_u64(&time_key, &self.require(&time_key, missing)?)?;
        let at = self.require(&height_key, missing)?;
        let at = std::str::from_utf8(&at)
            .map_err(|e| decode_err(&height_key, e))?
            .parse::<Height>()
            .map_err(|e| decode_err(&height_key, e))?;
        Ok((Timestamp::from_nanoseconds(time), at))
    }
}

impl ClientExecutionContext for Host<'_, '_, '_> {
    type ClientStateMut = TmClientState;

    fn store_client_state(
        &mut self,
        path: ClientStatePath,
        client_state: TmClientState,
    ) -> Result<(), HostError> {
        let bytes = <TmClientState as Protobuf<Any>>::encode_vec(client_state);
        self.shared.set(keys::path(path), bytes)
    }

    fn store_consensus_state(
        &mut self,
        path: ClientConsensusStatePath,
        consensus_state: TmConsensusState,
    ) -> Result<(), HostError> {
        let h = Height::new(path.revision_number, path.revision_height)
            .map_err(HostError::invalid_state)?;
        let bytes = <TmConsensusState as Protobuf<Any>>::encode_vec(consensus_state);
        self.shared.set(
            keys::consensus_height(&path.client_id, &h),
            h.to_string().into_bytes(),
        )?;
        self.shared.set(keys::path(path), bytes)
    }

    fn delete_consensus_state(&mut self, path: ClientConsensusStatePath) -> Result<(), HostError> {
        let h = Height::new(path.revision_number, path.revision_height)
            .map_err(HostError::invalid_state)?;
        self.shared
            .delete(keys::consensus_height(&path.client_id, &h))?;
        self.shared.delete(keys::path(path))
    }

    fn store_update_meta(
        &mut self,
        client_id: ClientId,
        height: Height,
        host_timestamp: Timestamp,
        host_height: Height,
    ) -> Result<(), HostError> {
        let (rev, h) = (height.revision_number(), height.revision_height());
        self.shared.set(
            keys::path(ClientUpdateTimePath::new(client_id.clone(), rev, h)),
            host_timestamp.nanoseconds().to_be_bytes().to_vec(),
        )?;
        self.shared.set(
            keys::path(ClientUpdateHeightPath::new(client_id, rev, h)),
            host_height.to_string().into_bytes(),
        )
    }

    fn delete_update_meta(&mut self, client_id: ClientId, height: Height) -> Result<(), HostError> {
        let (rev, h) = (height.revision_number(), height.revision_height());
        self.shared.delete(keys::path(ClientUpdateTimePath::new(
            client_id.clone(),
            rev,
            h,
        )))?;
        self.shared
            .delete(keys::path(ClientUpdateHeightPath::new(client_id, rev, h)))
    }
}

impl ExtClientValidationContext for Host<'_, '_, '_> {
    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        self.timestamp()
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.height()
    }

    fn consensus_state_heights(&self, client_id: &ClientId) -> Result<Vec<Height>, HostError> {
        self.heights(client_id)
    }

    fn next_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        match self.heights(client_id)?.into_iter().find(|h| h > height) {
            Some(h) => self.consensus_at(client_id, &h).map(Some),
            None => Ok(None),
        }
    }

    fn prev_consensus_state(
        &self,
        client_id: &ClientId,
        height: &Height,
    ) -> Result<Option<TmConsensusState>, HostError> {
        match self
            .heights(client_id)?
            .into_iter()
            .rev()
            .find(|h| h < height)
        {
            Some(h) => self.consensus_at(client_id, &h).map(Some),
            None => Ok(None),
        }
    }
}

impl ValidateSelfClientContext for Host<'_, '_, '_> {
    fn chain_id(&self) -> &ChainId {
        &self.chain_id
    }

    fn host_current_height(&self) -> Height {
        self.height()
            .unwrap_or_else(|_| Height::min(self.chain_id.revision_number()))
    }

    fn proof_specs(&self) -> &ProofSpecs {
        &self.proof_specs
    }

    fn unbonding_period(&self) -> Duration {
        // A failed read is kept in the shared cell and fails the message.
        self.shared
            .run(|c| self.keeper.unbonding_period(c))
            .unwrap_or_default()
    }

    fn upgrade_path(&self) -> &[String] {
        &self.upgrade_path
    }
}

impl ValidationContext for Host<'_, '_, '_> {
    type V = Self;
    type HostClientState = TmClientState;
    type HostConsensusState = TmConsensusState;

    fn get_client_validation_context(&self) -> &Self {
        self
    }

    fn host_height(&self) -> Result<Height, HostError> {
        self.height()
    }

    fn host_timestamp(&self) -> Result<Timestamp, HostError> {
        self.timestamp()
    }

    /// Our consensus state at `height`, from the header staking keeps for the
    /// historical-entries window (as ibc-go reads `HistoricalInfo`).
    fn host_consensus_state(&self, height: &Height) -> Result<TmConsensusState, HostError> {
        let missing = || HostError::missing_state(format!("no header of this chain at {height}"));
        if height.revision_number() != self.chain_id.revision_number() {
            return Err(missing());
        }
        let h = i64::try_from(height.revision_height()).map_err(|_| missing())?;
        let header = self
            .shared
            .run(|c| self.keeper.staking.historical_info(c, h))?
            .and_then(|i| i.header)
            .ok_or_else(missing)?;
        let time = header.time.ok_or_else(missing)?;
        let time = tendermint::Time::from_unix_timestamp(
            time.seconds,
            u32::try_from(time.nanos).map_err(HostError::invalid_state)?,
        )
        .map_err(HostError::invalid_state)?;
        let next_validators_hash = tendermint::Hash::from_bytes(
            tendermint::hash::Algorithm::Sha256,
            &header.next_validators_hash,
        )
        .map_err(HostError::invalid_state)?;
        Ok(TmConsensusStateType::new(
            CommitmentRoot::from_bytes(&header.app_hash),
            time,
            next_validators_hash,
        )
        .into())
    }

    fn client_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::next_client_sequence())
    }

    fn connection_end(&self, conn_id: &ConnectionId) -> Result<ConnectionEnd, HostError> {
        let key = keys::path(ConnectionPath::new(conn_id));
        let bytes = self.require(&key, || format!("connection {conn_id} not found"))?;
        ConnectionEnd::decode_vec(&bytes).map_err(|e| decode_err(&key, e))
    }

    fn validate_self_client(&self, client_state: TmClientState) -> Result<(), HostError> {
        let inner: TmClientStateType = client_state.inner().clone();
        self.validate_self_tendermint_client(inner)
    }

    fn commitment_prefix(&self) -> CommitmentPrefix {
        CommitmentPrefix::from_bytes(keys::PREFIX.as_bytes())
    }

    fn connection_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::next_connection_sequence())
    }

    fn channel_end(&self, path: &ChannelEndPath) -> Result<ChannelEnd, HostError> {
        let key = keys::path(path);
        let bytes = self.require(&key, || {
            format!("channel {} on port {} not found", path.1, path.0)
        })?;
        ChannelEnd::decode_vec(&bytes).map_err(|e| decode_err(&key, e))
    }

    fn get_next_sequence_send(&self, path: &SeqSendPath) -> Result<Sequence, HostError> {
        self.sequence(path)
    }

    fn get_next_sequence_recv(&self, path: &SeqRecvPath) -> Result<Sequence, HostError> {
        self.sequence(path)
    }

    fn get_next_sequence_ack(&self, path: &SeqAckPath) -> Result<Sequence, HostError> {
        self.sequence(path)
    }

    fn get_packet_commitment(&self, path: &CommitmentPath) -> Result<PacketCommitment, HostError> {
        let key = keys::path(path);
        let bytes = self.require(&key, || format!("no packet commitment at {path}"))?;
        Ok(PacketCommitment::from(bytes))
    }

    fn get_packet_receipt(&self, path: &ReceiptPath) -> Result<Receipt, HostError> {
        Ok(match self.shared.get(&keys::path(path))? {
            Some(_) => Receipt::Ok,
            None => Receipt::None,
        })
    }

    fn get_packet_acknowledgement(
        &self,
        path: &AckPath,
    ) -> Result<AcknowledgementCommitment, HostError> {
        let key = keys::path(path);
        let bytes = self.require(&key, || format!("no packet acknowledgement at {path}"))?;
        Ok(AcknowledgementCommitment::from(bytes))
    }

    fn channel_counter(&self) -> Result<u64, HostError> {
        self.counter(keys::next_channel_sequence())
    }

    fn max_expected_time_per_block(&self) -> Duration {
        MAX_EXPECTED_TIME_PER_BLOCK
    }

    fn validate_message_signer(&self, signer: &Signer) -> Result<(), HostError> {
        Address::from_bech32(signer.as_ref())
            .map(|_| ())
            .map_err(|e| HostError::invalid_state(format!("signer {signer}: {e}")))
    }
}

impl ExecutionContext for Host<'_, '_, '_> {
    type E = Self;

    fn get_client_execution_context(&mut self) -> &mut Self {
        self
    }

    fn increase_client_counter(&mut self) -> Result<(), HostError> {
        self.increase(keys::next_client_sequence())
    }

    fn store_connection(
        &mut self,
        path: &ConnectionPath,
        connection_end: ConnectionEnd,
    ) -> Result<(), HostError> {
        self.shared
            .set(keys::path(path), connection_end.encode_vec())
    }

    /// Appends to the client's list of connections (`ClientPaths`, as ibc-go keeps it).
    fn store_connection_to_client(
        &mut self,
        path: &ClientConnectionPath,
        conn_id: ConnectionId,
    ) -> Result<(), HostError> {
        let key = keys::path(path);
        let mut paths = match self.shared.get(&key)? {
            None => ClientPaths::default(),
            Some(b) => ClientPaths::decode(b.as_slice()).map_err(|e| decode_err(&key, e))?,
        };
        paths.paths.push(conn_id.to_string());
        self.shared.set(key, paths.encode_to_vec())
    }

    fn increase_connection_counter(&mut self) -> Result<(), HostError> {
        self.increase(keys::next_connection_sequence())
    }

    fn store_packet_commitment(
        &mut self,
        path: &CommitmentPath,
        commitment: PacketCommitment,
    ) -> Result<(), HostError> {
        self.shared.set(keys::path(path), commitment.into_vec())
    }

    fn delete_packet_commitment(&mut self, path: &CommitmentPath) -> Result<(), HostError> {
        self.shared.delete(keys::path(path))
    }

    /// A receipt is the byte `1`, as ibc-go writes it.
    fn store_packet_receipt(&mut self, path: &ReceiptPath, _: Receipt) -> Result<(), HostError> {
        self.shared.set(keys::path(path), vec![1])
    }

    fn store_packet_acknowledgement(
        &mut self,
        path: &AckPath,
        ack_commitment: AcknowledgementCommitment,
    ) -> Result<(), HostError> {
        self.shared.set(keys::path(path), ack_commitment.into_vec())
    }

    fn delete_packet_acknowledgement(&mut self, path: &AckPath) -> Result<(), HostError> {
        self.shared.delete(keys::path(path))
    }

    fn store_channel(
        &mut self,
        path: &ChannelEndPath,
        channel_end: ChannelEnd,
    ) -> Result<(), HostError> {
        self.shared.set(keys::path(path), channel_end.encode_vec())
    }

    fn store_next_sequence_send(
        &mut self,
        path: &SeqSendPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.set_sequence(path, seq)
    }

    fn store_next_sequence_recv(
        &mut self,
        path: &SeqRecvPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.set_sequence(path, seq)
    }

    fn store_next_sequence_ack(
        &mut self,
        path: &SeqAckPath,
        seq: Sequence,
    ) -> Result<(), HostError> {
        self.set_sequence(path, seq)
    }

    fn increase_channel_counter(&mut self) -> Result<(), HostError> {
        self.increase(keys::next_channel_sequence())
    }

    /// ibc-rs' events carry ibc-go's names and attributes (`send_packet`, `packet_data_hex`, …),
    /// which is what relayers read from the chain's tx results.
    fn emit_ibc_event(&mut self, event: IbcEvent) -> Result<(), HostError> {
        let event = tendermint::abci::Event::try_from(event).map_err(HostError::invalid_state)?;
        self.shared.emit(to_event(&event)?);
        Ok(())
    }

    fn log_message(&mut self, _message: String) -> Result<(), HostError> {
        Ok(())
    }
}

/// An ABCI event as the framework's.
pub(crate) fn to_event(event: &tendermint::abci::Event) -> Result<Event, HostError> {
    let mut out = Event::new(event.kind.clone());
    for a in &event.attributes {
        let key = a.key_str().map_err(HostError::invalid_state)?;
        let value = a.value_str().map_err(HostError::invalid_state)?;
        out = out.attr(key, value);
    }
    Ok(out)
}
