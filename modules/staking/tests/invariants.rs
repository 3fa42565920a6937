//! Random sequences of staking operations keep the pools and the supply consistent.

mod common;

use common::*;
use openledger_framework::{Dec, KvRead};
use openledger_staking::cons_address;
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Op {
    Delegate {
        del: u8,
        val: u8,
        amount: u128,
    },
    Undelegate {
        del: u8,
        val: u8,
        amount: u128,
    },
    Redelegate {
        del: u8,
        src: u8,
        dst: u8,
        amount: u128,
    },
    Cancel {
        del: u8,
        val: u8,
        amount: u128,
    },
    Slash {
        val: u8,
        percent: u64,
        back: u64,
    },
    Jail {
        val: u8,
    },
    Unjail {
        val: u8,
    },
    Block {
        seconds: i64,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let del = 1u8..=6;
    let val = 1u8..=3;
    let amount = 1u128..20 * OPEN;
    prop_oneof![
        (del.clone(), val.clone(), amount.clone()).prop_map(|(del, val, amount)| Op::Delegate {
            del,
            val,
            amount
        }),
        (del.clone(), val.clone(), amount.clone()).prop_map(|(del, val, amount)| Op::Undelegate {
            del,
            val,
            amount
        }),
        (del.clone(), val.clone(), val.clone(), amount.clone()).prop_map(
            |(del, src, dst, amount)| Op::Redelegate {
                del,
                src,
                dst,
                amount
            }
        ),
        (del, val.clone(), amount).prop_map(|(del, val, amount)| Op::Cancel { del, val, amount }),
        (val.clone(), 0u64..=100, 0u64..3).prop_map(|(val, percent, back)| Op::Slash {
            val,
            percent,
            back
        }),
        val.clone().prop_map(|val| Op::Jail { val }),
        val.prop_map(|val| Op::Unjail { val }),
        (1i64..12 * DAY).prop_map(|seconds| Op::Block { seconds }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn pools_and_supply_stay_consistent(ops in proptest::collection::vec(op(), 1..40)) {
        let mut chain = Chain::new(6, 100 * OPEN);
        for n in 1..=3 {
            chain.send(&create_validator(n, n, 10 * OPEN)).unwrap();
        }
        for del in 4..=6 {
            for val in 1..=3 {
                chain.send(&delegate(del, val, 10 * OPEN)).unwrap();
            }
        }
        chain.next_block(5);
        let supply = chain.supply();
        let mut burned = 0u128;
        let keeper = chain.keeper().clone();
        for op in ops {
            match op {
                Op::Delegate { del, val, amount } => {
                    let _ = chain.send(&delegate(del, val, amount));
                }
                Op::Undelegate { del, val, amount } => {
                    let _ = chain.send(&undelegate(del, val, amount));
                }
                Op::Redelegate { del, src, dst, amount } => {
                    let _ = chain.send(&redelegate(del, src, dst, amount));
                }
                Op::Cancel { del, val, amount } => {
                    let mut s: &dyn KvRead = &chain.state;
                    let ubd = keeper.unbonding_delegation(&mut s, &addr(del), &addr(val)).unwrap();
                    if let Some(e) = ubd.and_then(|u| u.entries.first().cloned()) {
                        let _ = chain.send(&cosmrs::proto::cosmos::staking::v1beta1::MsgCancelUnbondingDelegation {
                            delegator_address: addr(del).to_bech32(),
                            validator_address: openledger_staking::valoper(&addr(val)),
                            amount: coin(amount.min(e.balance).max(1)),
                            creation_height: e.creation_height,
                        });
                    }
                }
                Op::Slash { val, percent, back } => {
                    let mut s: &dyn KvRead = &chain.state;
                    let power = keeper.validator_power(&mut s, &addr(val)).unwrap();
                    let fraction = Dec::from_atomics(Dec::ONE.atomics() / 100 * u128::from(percent));
                    let height = chain.block.height as i64 - back as i64;
                    let cons = cons_address(&pubkey(val));
                    burned += chain.run(|c| c.branch(|c| keeper.slash(c, &cons, height, power, fraction))).unwrap_or(0);
                }
                Op::Jail { val } => {
                    let cons = cons_address(&pubkey(val));
                    let _ = chain.run(|c| c.branch(|c| keeper.jail(c, &cons)));
                }
                Op::Unjail { val } => {
                    let cons = cons_address(&pubkey(val));
                    let _ = chain.run(|c| c.branch(|c| keeper.unjail(c, &cons)));
                }
                Op::Block { seconds } => {
                    let updates = chain.next_block(seconds);
                    let mut keys: Vec<_> = updates.iter().map(|u| u.pub_key_ed25519).collect();
                    keys.dedup();
                    prop_assert_eq!(keys.len(), updates.len(), "one update per validator");
                }
            }
            chain.check_invariants();
            prop_assert_eq!(chain.supply() + burned, supply);
        }
        // Everything matures in the end: the not-bonded pool holds only unbonded validators' tokens.
        chain.next_block(22 * DAY);
        chain.next_block(22 * DAY);
        chain.next_block(5);
        chain.check_invariants();
        let mut s: &dyn KvRead = &chain.state;
        prop_assert!(keeper.all_unbonding_delegations(&mut s).unwrap().is_empty());
        prop_assert!(keeper.all_redelegations(&mut s).unwrap().is_empty());
    }
}
