//! What a message handler sees: block info, gas-metered state and the event log.

use crate::address::Address;
use crate::error::AbciError;
use crate::gas::GasMeter;
use crate::store::{KvRead, KvWrite, Overlay};

/// The block being executed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BlockInfo {
    pub height: u64,
    /// Block time from the header (seconds and nanos since the Unix epoch): the only clock the
    /// state machine may read.
    pub time_seconds: i64,
    pub time_nanos: u32,
    pub chain_id: String,
    /// Consensus address (`sha256(pubkey)[..20]`) of the block's proposer, when known.
    pub proposer: Option<Address>,
    /// Who signed the previous block (`FinalizeBlock.decided_last_commit`), in CometBFT's
    /// order; distribution pays by it and slashing counts missed blocks from it.
    pub last_commit: Vec<VoteInfo>,
    /// Evidence of misbehaviour CometBFT committed in this block.
    pub misbehavior: Vec<Misbehavior>,
    /// The header's app hash: the state root after the previous block (what a light client of
    /// this chain proves our state against).
    pub app_hash: Vec<u8>,
    /// The header's hash of the next block's validator set.
    pub next_validators_hash: Vec<u8>,
}

/// One validator's entry in the previous block's commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VoteInfo {
    /// Consensus address (20 bytes).
    pub validator: Address,
    pub power: i64,
    /// False when CometBFT recorded the vote as absent (a nil vote counts as signed, as in the
    /// Cosmos SDK).
    pub signed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MisbehaviorKind {
    DuplicateVote,
    LightClientAttack,
}

/// Evidence against one validator, as CometBFT reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Misbehavior {
    pub kind: MisbehaviorKind,
    /// Consensus address (20 bytes).
    pub validator: Address,
    pub power: i64,
    /// Height and time of the infraction.
    pub height: i64,
    pub time_seconds: i64,
    pub time_nanos: u32,
    pub total_voting_power: i64,
}

/// Why a transaction is being run; the ante pipeline skips a few checks in some modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExecMode {
    Check,
    ReCheck,
    Simulate,
    Finalize,
    Genesis,
}

/// An ABCI event with the Cosmos names (`transfer`, `coin_spent`, `message`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

impl Event {
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            attributes: Vec::new(),
        }
    }

    pub fn attr(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.attributes.push((key.into(), value.into()));
        self
    }
}

/// The execution context of one message (or of genesis / begin / end block).
pub struct Ctx<'a> {
    pub block: &'a BlockInfo,
    pub mode: ExecMode,
    pub gas: &'a mut GasMeter,
    pub events: &'a mut Vec<Event>,
    store: &'a mut dyn KvWrite,
}

impl<'a> Ctx<'a> {
    pub fn new(
        block: &'a BlockInfo,
        mode: ExecMode,
        store: &'a mut dyn KvWrite,
        gas: &'a mut GasMeter,
        events: &'a mut Vec<Event>,
    ) -> Self {
        Self {
            block,
            mode,
            gas,
            events,
            store,
        }
    }

    /// Reads a key, charging read gas.
    pub fn get(&mut self, key: &str) -> Result<Option<Vec<u8>>, AbciError> {
        let value = self.store.get(key)?;
        let bytes = key.len() + value.as_ref().map_or(0, Vec::len);
        let s = self.gas.schedule;
        self.gas
            .consume(s.read_flat + s.read_per_byte * bytes as u64, "ReadFlat")?;
        Ok(value)
    }

    /// Iterates a prefix in key order, charging per item.
    pub fn prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, AbciError> {
        let items = self.store.prefix(prefix)?;
        let s = self.gas.schedule;
        let mut cost = s.read_flat;
        for (k, v) in &items {
            cost += s.iter_next_flat + s.read_per_byte * (k.len() + v.len()) as u64;
        }
        self.gas.consume(cost, "IterNext")?;
        Ok(items)
    }

    /// Writes a key, charging write gas.
    pub fn set(&mut self, key: String, value: Vec<u8>) -> Result<(), AbciError> {
        let s = self.gas.schedule;
        self.gas.consume(
            s.write_flat + s.write_per_byte * (key.len() + value.len()) as u64,
            "WriteFlat",
        )?;
        self.store.set(key, value);
        Ok(())
    }

    pub fn delete(&mut self, key: String) -> Result<(), AbciError> {
        self.gas.consume(self.gas.schedule.delete, "Delete")?;
        self.store.delete(key);
        Ok(())
    }

    pub fn emit(&mut self, event: Event) {
        self.events.push(event);
    }

    /// Read-only access without gas (for queries made on behalf of the chain itself).
    pub fn state(&self) -> &dyn KvWrite {
        &*self.store
    }

    /// Runs `f` in a branch of the current state: its writes and events are kept if it returns
    /// `Ok` and dropped if it returns `Err`. Gas is charged either way.
    pub fn branch<R, E>(&mut self, f: impl FnOnce(&mut Ctx<'_>) -> Result<R, E>) -> Result<R, E> {
        let mut events = Vec::new();
        let (result, changes) = {
            let mut overlay = Overlay::new(&*self.store);
            let mut child = Ctx {
                block: self.block,
                mode: self.mode,
                gas: &mut *self.gas,
                events: &mut events,
                store: &mut overlay,
            };
            let result = f(&mut child);
            (result, overlay.into_changes())
        };
        if result.is_ok() {
            for (k, v) in changes {
                match v {
                    Some(v) => self.store.set(k, v),
                    None => self.store.delete(k),
                }
            }
            self.events.extend(events);
        }
        result
    }
}

/// Reads state: gas-metered through a [`Ctx`] (message handlers), free through a snapshot
/// (queries). Keepers written against it serve both.
pub trait StateRead {
    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, AbciError>;
    /// Every `(key, value)` under `prefix`, in key order.
    fn read_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, AbciError>;
}

/// Reads and decodes a stored protobuf value; `corrupt` builds the module's error for bytes that
/// do not decode (it gets `"<key>: <decode error>"`).
pub fn read_proto<M: prost::Message + Default, E: Into<AbciError>>(
    r: &mut impl StateRead,
    key: &str,
    corrupt: impl FnOnce(String) -> E,
) -> Result<Option<M>, AbciError> {
    match r.read(key)? {
        None => Ok(None),
        Some(b) => M::decode(b.as_slice())
            .map(Some)
            .map_err(|e| corrupt(format!("{key}: {e}")).into()),
    }
}

impl StateRead for Ctx<'_> {
    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, AbciError> {
        self.get(key)
    }
    fn read_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, AbciError> {
        self.prefix(prefix)
    }
}

/// A snapshot reads for free: `keeper.balance(&mut &snapshot, …)`.
impl<T: KvRead + ?Sized> StateRead for &T {
    fn read(&mut self, key: &str) -> Result<Option<Vec<u8>>, AbciError> {
        Ok(self.get(key)?)
    }
    fn read_prefix(&mut self, prefix: &str) -> Result<Vec<(String, Vec<u8>)>, AbciError> {
        Ok(self.prefix(prefix)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::EmptyState;

    #[test]
    fn branch_reverts_on_error_but_keeps_gas() {
        let block = BlockInfo::default();
        let mut state = Overlay::new(EmptyState);
        let mut gas = GasMeter::new(1_000_000);
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &block,
            ExecMode::Finalize,
            &mut state,
            &mut gas,
            &mut events,
        );
        let r: Result<(), AbciError> = ctx.branch(|c| {
            c.set("bank/x".into(), vec![1])?;
            c.emit(Event::new("e"));
            Err(AbciError::new("t", 1, "no"))
        });
        assert!(r.is_err());
        let used = ctx.gas.used();
        assert!(used > 0);
        ctx.branch(|c| c.set("bank/y".into(), vec![2])).unwrap();
        assert!(ctx.events.is_empty());
        assert_eq!(state.get("bank/x").unwrap(), None);
        assert_eq!(state.get("bank/y").unwrap(), Some(vec![2]));
    }

    #[test]
    fn reads_cost_gas_and_can_run_out() {
        let block = BlockInfo::default();
        let mut state = Overlay::new(EmptyState);
        let mut gas = GasMeter::new(1500);
        let mut events = Vec::new();
        let mut ctx = Ctx::new(
            &block,
            ExecMode::Finalize,
            &mut state,
            &mut gas,
            &mut events,
        );
        ctx.get("auth/a").unwrap();
        let err = ctx.get("auth/b").unwrap_err();
        assert_eq!((err.codespace.as_str(), err.code), ("sdk", 11));
    }
}
