//! The hooks distribution will rely on fire at the right moments.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use openledger_framework::{AbciError, Address, Ctx, Dec};
use openledger_staking::{StakingHooks, cons_address};

#[derive(Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn push(&self, s: String) {
        self.0.lock().unwrap().push(s);
    }
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
    }
}

fn n(a: &Address) -> u8 {
    a.as_bytes()[0]
}

struct Hooks(Arc<Recorder>);

impl StakingHooks for Hooks {
    fn after_validator_created(&self, _: &mut Ctx<'_>, op: &Address) -> Result<(), AbciError> {
        self.0.push(format!("created {}", n(op)));
        Ok(())
    }
    fn after_validator_bonded(
        &self,
        _: &mut Ctx<'_>,
        _: &Address,
        op: &Address,
    ) -> Result<(), AbciError> {
        self.0.push(format!("bonded {}", n(op)));
        Ok(())
    }
    fn after_validator_begin_unbonding(
        &self,
        _: &mut Ctx<'_>,
        _: &Address,
        op: &Address,
    ) -> Result<(), AbciError> {
        self.0.push(format!("unbonding {}", n(op)));
        Ok(())
    }
    fn before_delegation_created(
        &self,
        _: &mut Ctx<'_>,
        d: &Address,
        v: &Address,
    ) -> Result<(), AbciError> {
        self.0.push(format!("new delegation {}->{}", n(d), n(v)));
        Ok(())
    }
    fn before_delegation_shares_modified(
        &self,
        _: &mut Ctx<'_>,
        d: &Address,
        v: &Address,
    ) -> Result<(), AbciError> {
        self.0.push(format!("modifying {}->{}", n(d), n(v)));
        Ok(())
    }
    fn after_delegation_modified(
        &self,
        _: &mut Ctx<'_>,
        d: &Address,
        v: &Address,
    ) -> Result<(), AbciError> {
        self.0.push(format!("modified {}->{}", n(d), n(v)));
        Ok(())
    }
    fn before_delegation_removed(
        &self,
        _: &mut Ctx<'_>,
        d: &Address,
        v: &Address,
    ) -> Result<(), AbciError> {
        self.0.push(format!("removing {}->{}", n(d), n(v)));
        Ok(())
    }
    fn before_validator_slashed(
        &self,
        _: &mut Ctx<'_>,
        op: &Address,
        f: Dec,
    ) -> Result<(), AbciError> {
        self.0.push(format!("slashed {} by {f}", n(op)));
        Ok(())
    }
}

#[test]
fn hooks_fire_in_order() {
    let mut chain = Chain::new(5, 100 * OPEN);
    let rec = Arc::new(Recorder::default());
    assert!(chain.keeper().set_hooks(Arc::new(Hooks(rec.clone()))));
    assert!(
        !chain.keeper().set_hooks(Arc::new(Hooks(rec.clone()))),
        "hooks are set once"
    );

    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    assert_eq!(
        rec.take(),
        ["created 1", "new delegation 1->1", "modified 1->1"]
    );
    chain.next_block(5);
    assert_eq!(rec.take(), ["bonded 1"]);
    chain.send(&delegate(2, 1, 10 * OPEN)).unwrap();
    chain.send(&delegate(2, 1, OPEN)).unwrap();
    assert_eq!(
        rec.take(),
        [
            "new delegation 2->1",
            "modified 2->1",
            "modifying 2->1",
            "modified 2->1"
        ]
    );
    chain.send(&undelegate(2, 1, 11 * OPEN)).unwrap();
    assert_eq!(rec.take(), ["modifying 2->1", "removing 2->1"]);
    chain.next_block(5);
    rec.take();
    // Current infraction: the whole slash comes from the tokens, so the effective fraction is
    // the nominal one.
    let keeper = chain.keeper().clone();
    let cons = cons_address(&pubkey(1));
    let h = chain.block.height as i64;
    chain
        .run(|c| keeper.slash(c, &cons, h, 10, "0.5".parse().unwrap()))
        .unwrap();
    assert_eq!(rec.take(), ["slashed 1 by 0.500000000000000000"]);
    chain.run(|c| keeper.jail(c, &cons)).unwrap();
    chain.next_block(5);
    assert_eq!(rec.take(), ["unbonding 1"]);
}
