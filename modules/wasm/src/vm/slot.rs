//! Lending the caller's [`Ctx`] to the VM's backend for the length of one contract call.
//!
//! `cosmwasm_vm` requires its storage and querier to be `'static`, but the state a contract
//! reads and writes is the transaction's `Ctx`, borrowed for much less. A [`CtxSlot`] holds a
//! pointer to that `Ctx` only while [`CtxSlot::lend`] runs, and the backend reaches it only
//! through [`CtxSlot::with`]:
//!
//! - `lend` takes `&mut Ctx` for its whole duration, so nothing else touches the `Ctx` then, and
//!   clears the slot when it returns or unwinds; a backend that outlives the call finds the slot
//!   empty and gets an error, never a dangling pointer;
//! - `with` takes the pointer out of the slot while it lends `&mut Ctx` on, so a re-entrant use
//!   of the same slot (none is expected) finds it empty instead of aliasing the `&mut`; nested
//!   contract calls get a slot of their own, lent from the `&mut Ctx` that `with` hands out;
//! - the closure given to `with` is generic over the `Ctx`'s lifetime, so it cannot keep
//!   anything borrowed from it.

use std::cell::Cell;
use std::ptr::NonNull;
use std::rc::Rc;

use openledger_framework::Ctx;

type Erased = NonNull<Ctx<'static>>;

#[derive(Clone, Default)]
pub(crate) struct CtxSlot(Rc<Cell<Option<Erased>>>);

/// Empties the slot however `lend` ends.
struct Clear<'s>(&'s Cell<Option<Erased>>);

impl Drop for Clear<'_> {
    fn drop(&mut self) {
        self.0.set(None);
    }
}

/// Puts the pointer back however `with`'s closure ends (`lend` is still running below it).
struct Restore<'s> {
    cell: &'s Cell<Option<Erased>>,
    ptr: Erased,
}

impl Drop for Restore<'_> {
    fn drop(&mut self) {
        self.cell.set(Some(self.ptr));
    }
}

impl CtxSlot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Runs `f` with `ctx` reachable through this slot.
    pub fn lend<R>(&self, ctx: &mut Ctx<'_>, f: impl FnOnce() -> R) -> R {
        let ptr = NonNull::from(ctx).cast::<Ctx<'static>>();
        let _clear = Clear(&self.0);
        self.0.set(Some(ptr));
        f()
    }

    /// Runs `f` on the lent `Ctx`; `None` when nothing is lent (or it is in use).
    pub fn with<R>(&self, f: impl FnOnce(&mut Ctx<'_>) -> R) -> Option<R> {
        let ptr = self.0.take()?;
        let _restore = Restore { cell: &self.0, ptr };
        // SAFETY: `ptr` came from a `&mut Ctx` that `lend` holds for as long as the slot is
        // non-empty (it clears the slot before returning, even on unwind), so it is live and
        // nothing else uses it. Taking it out of the slot makes this the only `&mut` made from
        // it until `_restore` puts it back. `f` is generic over the lifetime, so the `'static`
        // we wrote in the pointer's type never reaches anything that could outlive `lend`.
        let ctx = unsafe { &mut *ptr.as_ptr() };
        Some(f(ctx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openledger_framework::context::ExecMode;
    use openledger_framework::store::{EmptyState, KvRead, Overlay};
    use openledger_framework::{BlockInfo, GasMeter};

    #[test]
    fn lends_only_inside_the_call_and_not_reentrantly() {
        let block = BlockInfo::default();
        let mut state = Overlay::new(EmptyState);
        let mut gas = GasMeter::new(1_000_000);
        let mut events = Vec::new();
        let slot = CtxSlot::new();
        assert!(slot.with(|_| ()).is_none());
        let kept = slot.clone();
        {
            let mut ctx = Ctx::new(
                &block,
                ExecMode::Finalize,
                &mut state,
                &mut gas,
                &mut events,
            );
            slot.lend(&mut ctx, || {
                kept.with(|c| {
                    c.set("wasm/x".into(), vec![1]).unwrap();
                    assert!(kept.with(|_| ()).is_none(), "no re-entrant borrow");
                })
                .unwrap();
                assert!(kept.with(|_| ()).is_some());
            });
            assert!(kept.with(|_| ()).is_none(), "nothing lent after the call");
        }
        assert!(gas.used() > 0);
        assert_eq!(state.get("wasm/x").unwrap(), Some(vec![1]));
    }
}
