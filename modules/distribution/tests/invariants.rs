//! The key property: after any sequence of delegations, undelegations, redelegations, fee
//! allocations, withdrawals and slashes, what each validator's delegators and commission can
//! withdraw never exceeds its outstanding rewards, the distribution module account holds
//! exactly the pool plus the outstanding rewards, and no coin is created or destroyed (the
//! supply only falls by what slashing burned).
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::*;
use cosmrs::proto::cosmos::distribution::v1beta1 as pb;
use openledger_staking::valoper;
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
    Fees(u128),
    Block,
    Withdraw {
        del: u8,
        val: u8,
    },
    Commission(u8),
    Slash {
        val: u8,
        percent: u8,
    },
    Mint,
}

fn op() -> impl Strategy<Value = Op> {
    let del = prop_oneof![Just(1u8), Just(2), Just(3), 10u8..14];
    let val = 1u8..=3;
    prop_oneof![
        (del.clone(), val.clone(), 1u128..5_000_000).prop_map(|(del, val, amount)| Op::Delegate {
            del,
            val,
            amount
        }),
        (del.clone(), val.clone(), 1u128..5_000_000)
            .prop_map(|(del, val, amount)| Op::Undelegate { del, val, amount }),
        (del.clone(), val.clone(), val.clone(), 1u128..3_000_000).prop_map(
            |(del, src, dst, amount)| Op::Redelegate {
                del,
                src,
                dst,
                amount
            }
        ),
        (1u128..200_000).prop_map(Op::Fees),
        Just(Op::Block),
        Just(Op::Block),
        (del, val.clone()).prop_map(|(del, val)| Op::Withdraw { del, val }),
        val.clone().prop_map(Op::Commission),
        (val, 1u8..30).prop_map(|(val, percent)| Op::Slash { val, percent }),
        Just(Op::Mint),
    ]
}

fn apply(chain: &mut Chain, op: &Op, burned: &mut u128, minted: &mut bool) {
    // Refusals (no such delegation, too much, …) are part of the game; they change nothing.
    let _ = match *op {
        Op::Delegate { del, val, amount } => chain.send(&delegate(del, val, amount)).map(|_| ()),
        Op::Undelegate { del, val, amount } => {
            chain.send(&undelegate(del, val, amount)).map(|_| ())
        }
        Op::Redelegate {
            del,
            src,
            dst,
            amount,
        } => chain.send(&redelegate(del, src, dst, amount)).map(|_| ()),
        Op::Fees(amount) => {
            chain.collect_fees(20, amount);
            Ok(())
        }
        Op::Block => {
            chain.next_block();
            Ok(())
        }
        Op::Withdraw { del, val } => chain
            .send(&pb::MsgWithdrawDelegatorReward {
                delegator_address: addr(del).to_bech32(),
                validator_address: valoper(&addr(val)),
            })
            .map(|_| ()),
        Op::Commission(val) => chain
            .send(&pb::MsgWithdrawValidatorCommission {
                validator_address: valoper(&addr(val)),
            })
            .map(|_| ()),
        Op::Slash { val, percent } => {
            let staking = chain.staking_keeper().clone();
            let h = chain.block.height as i64;
            let mut s: &dyn openledger_framework::KvRead = &chain.state;
            let power = staking.validator_power(&mut s, &addr(val)).unwrap();
            let fraction = dec(&format!("0.{percent:02}"));
            chain
                .run(|c| staking.slash(c, &cons(val), h, power, fraction))
                .map(|b| *burned += b)
        }
        Op::Mint => {
            *minted = true;
            chain.mint_enabled = true;
            chain.next_block();
            chain.mint_enabled = false;
            Ok(())
        }
    };
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn rewards_never_overdraw(ops in proptest::collection::vec(op(), 1..40)) {
        let mut chain = Chain::new(20, 1_000 * OPEN);
        for v in 1..=3 {
            chain.send(&create_validator(v, (v as u128) * 3 * OPEN, &format!("0.{v}"))).unwrap();
        }
        chain.next_block();
        let initial_supply = chain.supply();
        let mut burned = 0u128;
        let mut minted = false;
        for op in &ops {
            apply(&mut chain, op, &mut burned, &mut minted);
            chain.check_invariants();
            if !minted {
                prop_assert_eq!(chain.supply(), initial_supply - burned, "after {:?}", op);
            }
        }
        // Everyone can withdraw everything they are owed, without an overdraft.
        chain.collect_fees(20, 10_007);
        chain.next_block();
        let mut s: &dyn openledger_framework::KvRead = &chain.state;
        let delegations = chain.staking_keeper().all_delegations(&mut s).unwrap();
        for d in delegations {
            let keeper = chain.keeper().clone();
            chain.run(|c| keeper.withdraw_delegation_rewards(c, &d.delegator, &d.validator)).unwrap();
        }
        for v in 1..=3u8 {
            let keeper = chain.keeper().clone();
            let _ = chain.run(|c| keeper.withdraw_validator_commission(c, &addr(v)));
        }
        chain.check_invariants();
        // What stays is dust: less than one uopen per delegation and validator.
        for v in 1..=3u8 {
            let left = chain.outstanding(v).amount_of(DENOM);
            prop_assert!(left < dec("50"), "validator {} keeps {}", v, left);
        }
    }
}
