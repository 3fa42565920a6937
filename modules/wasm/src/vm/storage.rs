//! A contract's key-value store: `wasm/store/<contract hex>/<key hex>` in the transaction's
//! state, with the Cosmos SDK's KV gas charged on the transaction's meter and reported to the VM
//! as externally used gas (as wasmd's gas-metered store does).

use cosmwasm_std::{Order, Record};
use cosmwasm_vm::{BackendError, BackendResult, GasInfo, Storage};
use openledger_framework::{AbciError, Address, Ctx};

use super::CtxSlot;
use crate::error::is_out_of_gas;
use crate::gas::GasRegister;
use crate::keys;

/// The records of one iterator, in the order they are handed out.
struct Iter {
    records: std::vec::IntoIter<Record>,
}

pub(crate) struct ContractStorage {
    slot: CtxSlot,
    prefix: String,
    gas: GasRegister,
    iterators: Vec<Iter>,
}

fn not_lent() -> BackendError {
    BackendError::unknown("contract storage used outside of its call")
}

impl ContractStorage {
    pub fn new(slot: CtxSlot, contract: &Address, gas: GasRegister) -> Self {
        Self {
            slot,
            prefix: keys::contract_store(contract),
            gas,
            iterators: Vec::new(),
        }
    }

    fn key(&self, key: &[u8]) -> String {
        let mut out = self.prefix.clone();
        out.push_str(&hex::encode(key));
        out
    }

    /// Runs `f` on the lent context and reports the SDK gas it used to the VM.
    fn metered<T>(&self, f: impl FnOnce(&mut Ctx<'_>) -> Result<T, AbciError>) -> BackendResult<T> {
        let outcome = self.slot.with(|ctx| {
            let before = ctx.gas.used();
            let result = f(ctx);
            (result, ctx.gas.used().saturating_sub(before))
        });
        let Some((result, used)) = outcome else {
            return (Err(not_lent()), GasInfo::free());
        };
        let gas = GasInfo::with_externally_used(self.gas.to_vm(used));
        let result = result.map_err(|e| {
            if is_out_of_gas(&e) {
                BackendError::out_of_gas()
            } else {
                BackendError::unknown(e.message)
            }
        });
        (result, gas)
    }
}

impl Storage for ContractStorage {
    fn get(&self, key: &[u8]) -> BackendResult<Option<Vec<u8>>> {
        let key = self.key(key);
        self.metered(|ctx| ctx.get(&key))
    }

    fn scan(
        &mut self,
        start: Option<&[u8]>,
        end: Option<&[u8]>,
        order: Order,
    ) -> BackendResult<u32> {
        let lower = start.map(|s| self.key(s));
        let upper = end.map(|e| self.key(e));
        // Only the keys both bounds share need listing (a cw-storage-plus map's namespace).
        let listed = match (&lower, &upper) {
            (Some(l), Some(u)) => {
                let common = l.bytes().zip(u.bytes()).take_while(|(a, b)| a == b).count();
                l[..common.max(self.prefix.len())].to_string()
            }
            _ => self.prefix.clone(),
        };
        let prefix_len = self.prefix.len();
        let (result, gas) = self.metered(|ctx| {
            let flat = ctx.gas.schedule.iter_next_flat;
            ctx.gas.consume(flat, "IterNextFlat")?;
            Ok(ctx.state().prefix(&listed)?)
        });
        let items = match result {
            Ok(items) => items,
            Err(e) => return (Err(e), gas),
        };
        let mut records = Vec::new();
        for (k, v) in items {
            if lower.as_ref().is_some_and(|l| k < *l) || upper.as_ref().is_some_and(|u| k >= *u) {
                continue;
            }
            match hex::decode(&k[prefix_len..]) {
                Ok(raw) => records.push((raw, v)),
                Err(_) => return (Err(BackendError::unknown("corrupt contract key")), gas),
            }
        }
        if order == Order::Descending {
            records.reverse();
        }
        self.iterators.push(Iter {
            records: records.into_iter(),
        });
        // Ids are handed out in order, deterministically, from 1.
        (Ok(self.iterators.len() as u32), gas)
    }

    fn next(&mut self, iterator_id: u32) -> BackendResult<Option<Record>> {
        let Some(iter) = (iterator_id as usize)
            .checked_sub(1)
            .and_then(|i| self.iterators.get_mut(i))
        else {
            return (
                Err(BackendError::iterator_does_not_exist(iterator_id)),
                GasInfo::free(),
            );
        };
        let record = iter.records.next();
        let prefix_len = self.prefix.len() as u64;
        let (result, gas) = self.metered(|ctx| {
            let s = ctx.gas.schedule;
            let bytes = record
                .as_ref()
                .map_or(0, |(k, v)| prefix_len + 2 * k.len() as u64 + v.len() as u64);
            ctx.gas
                .consume(s.iter_next_flat + s.read_per_byte * bytes, "IterNext")?;
            Ok(())
        });
        (result.map(|()| record), gas)
    }

    fn set(&mut self, key: &[u8], value: &[u8]) -> BackendResult<()> {
        let key = self.key(key);
        self.metered(|ctx| ctx.set(key, value.to_vec()))
    }

    fn remove(&mut self, key: &[u8]) -> BackendResult<()> {
        let key = self.key(key);
        self.metered(|ctx| ctx.delete(key))
    }
}
