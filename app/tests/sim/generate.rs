//! The transaction generator: a random tx of a random account, with the outcome it must have.

use std::collections::{BTreeMap, BTreeSet};

use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::distribution::v1beta1::MsgWithdrawDelegatorReward;
use openledger_framework::{Address, pack_any};
use openledger_staking::valoper;
use openledgerd::client::sign_tx;
use openledgerd::testkit::CHAIN_ID;
use rand::Rng;

use crate::msgs::{
    create_validator, delegate, deposit, redelegate, send_msg, submit_proposal, undelegate, vote,
};
use crate::{ACCOUNTS, BALANCE, DENOM, Expect, FEE, GAS, MIN_DEPOSIT, Sim};

/// What the generator knows at the start of a block, and keeps up to date as it adds txs whose
/// outcome it predicts. A balance is known between two bounds: a tx that may or may not succeed
/// widens them, and one that pays out staking rewards lifts the upper bound away.
pub(crate) struct View {
    /// Each account's balance is at least this...
    lo: Vec<u128>,
    /// ...and at most this.
    hi: Vec<u128>,
    /// Accounts whose sequence the chain may not have advanced (a tx whose fee they may not have
    /// been able to pay): their later txs in the block are not predicted.
    lost_sequence: BTreeSet<usize>,
    /// False while drawing a tx whose outcome is not predicted: what it moves only may move.
    sure: bool,
    /// Accounts that operate a validator (or have sent the tx that makes them one).
    validators: Vec<usize>,
    /// (delegator, validator) → tokens delegated, at the start of the block.
    delegated: BTreeMap<(usize, usize), u128>,
    /// Pairs this block's txs have moved stake of, and their validators: what the generator
    /// knows of them no longer decides success.
    touched: BTreeSet<(usize, usize)>,
    unsettled: BTreeSet<usize>,
}

impl View {
    /// A tx of `del` changes its stake with `val`: rewards may be paid out to it.
    fn touch(&mut self, del: usize, val: usize) {
        self.touched.insert((del, val));
        self.unsettled.insert(val);
        self.hi[del] = u128::MAX;
    }

    /// `amount` certainly leaves `from` and reaches `to` (if the tx is predicted at all).
    fn moved(&mut self, from: usize, to: Option<usize>, amount: u128) {
        if !self.sure {
            return self.maybe_moved(from, to, amount);
        }
        self.lo[from] -= amount;
        self.hi[from] = self.hi[from].saturating_sub(amount);
        if let Some(to) = to {
            self.lo[to] += amount;
            self.hi[to] = self.hi[to].saturating_add(amount);
        }
    }

    /// `amount` may leave `from` and reach `to`.
    fn maybe_moved(&mut self, from: usize, to: Option<usize>, amount: u128) {
        self.lo[from] = self.lo[from].saturating_sub(amount);
        if let Some(to) = to {
            self.hi[to] = self.hi[to].saturating_add(amount);
        }
    }
}

impl Sim {
    /// What the chain says at the start of a block.
    pub(crate) fn view(&mut self) -> View {
        let core = &self.chain.app.core;
        let snap = core.storage.latest_snapshot();
        let staking = &core.staking.keeper;
        let mut lo = Vec::with_capacity(ACCOUNTS);
        for a in &self.chain.accounts {
            lo.push(
                core.bank
                    .balance(&mut &snap, &a.address, DENOM)
                    .expect("balance"),
            );
        }
        let by_addr: BTreeMap<Address, usize> = self
            .chain
            .accounts
            .iter()
            .enumerate()
            .map(|(i, a)| (a.address, i))
            .collect();
        let mut validators = Vec::new();
        let mut tokens_per_share = BTreeMap::new();
        for v in staking.all_validators(&mut &snap).expect("validators") {
            let i = by_addr[&v.operator];
            validators.push(i);
            tokens_per_share.insert(i, v);
        }
        let mut delegated = BTreeMap::new();
        for d in staking.all_delegations(&mut &snap).expect("delegations") {
            let (del, val) = (by_addr[&d.delegator], by_addr[&d.validator]);
            let v = &tokens_per_share[&val];
            // No slashing here: a share is worth a token, up to rounding; count whole tokens.
            let tokens = if v.delegator_shares.atomics() == 0 {
                0
            } else {
                openledger_framework::math::mul_div_floor(
                    d.shares.atomics(),
                    v.tokens,
                    v.delegator_shares.atomics(),
                )
                .expect("tokens")
            };
            delegated.insert((del, val), tokens);
        }
        // Sequences as the chain has them (a tx refused before its messages does not count).
        for a in &mut self.chain.accounts {
            a.sequence = core
                .account(&snap, &a.address)
                .expect("account")
                .map_or(0, |acc| acc.sequence);
        }
        View {
            hi: lo.clone(),
            lo,
            lost_sequence: BTreeSet::new(),
            sure: true,
            validators,
            delegated,
            touched: BTreeSet::new(),
            unsettled: BTreeSet::new(),
        }
    }

    /// One random transaction, with what it should do.
    pub(crate) fn next_tx(&mut self, v: &mut View) -> (&'static str, Vec<u8>, Expect) {
        let from = self.rng.gen_range(0..ACCOUNTS);
        let unpredictable = v.lost_sequence.contains(&from);
        v.sure = !unpredictable;
        let (op, tx, expect) = self.draw(v, from);
        match op {
            // Refused whatever the account's state.
            "garbage" => (op, tx, expect),
            _ if unpredictable => (op, tx, Expect::Either),
            _ => (op, tx, expect),
        }
    }

    /// A tx signed by `from` at `sequence`, which does not advance the account's sequence.
    fn signed_at(&self, from: usize, sequence: u64, msg: &MsgSend) -> Vec<u8> {
        let a = &self.chain.accounts[from];
        sign_tx(
            &a.key,
            CHAIN_ID,
            a.number,
            sequence,
            vec![pack_any(msg)],
            "",
            GAS,
            &self.chain.fees,
        )
        .expect("sign")
    }

    fn draw(&mut self, v: &mut View, from: usize) -> (&'static str, Vec<u8>, Expect) {
        let roll = self.rng.gen_range(0..100);
        let next = (from + 1) % ACCOUNTS;
        if roll < 5 {
            let len = self.rng.gen_range(0..200);
            let bytes: Vec<u8> = (0..len).map(|_| self.rng.r#gen()).collect();
            return ("garbage", bytes, Expect::Fail);
        }
        if roll < 9 {
            let stale = self.chain.accounts[from].sequence + self.rng.gen_range(1..5);
            let msg = send_msg(self.addr(from), self.addr(next), 1);
            return (
                "wrong sequence",
                self.signed_at(from, stale, &msg),
                Expect::Fail,
            );
        }
        // The fee is taken before the messages run; a tx that cannot pay it changes nothing,
        // not even the sequence.
        if v.hi[from] < FEE {
            let msg = send_msg(self.addr(from), self.addr(next), 1);
            let seq = self.chain.accounts[from].sequence;
            return ("no fee", self.signed_at(from, seq, &msg), Expect::Fail);
        }
        if v.lo[from] < FEE {
            let msg = send_msg(self.addr(from), self.addr(next), 1);
            v.lost_sequence.insert(from);
            v.maybe_moved(from, None, FEE);
            return (
                "maybe no fee",
                self.signed(from, vec![pack_any(&msg)]),
                Expect::Either,
            );
        }
        v.moved(from, None, FEE);
        let (lo, hi) = (v.lo[from], v.hi[from]);
        match roll {
            9..=38 => {
                let to = self.rng.gen_range(0..ACCOUNTS);
                if lo > 0 && self.rng.gen_bool(0.85) {
                    let amount = self.rng.gen_range(1..=lo.min(BALANCE / 20));
                    v.moved(from, Some(to), amount);
                    let msg = send_msg(self.addr(from), self.addr(to), amount);
                    ("send", self.signed(from, vec![pack_any(&msg)]), Expect::Ok)
                } else if hi < u128::MAX / 2 {
                    let amount = hi + 1 + self.rng.gen_range(0..1000);
                    let msg = send_msg(self.addr(from), self.addr(to), amount);
                    (
                        "overdraft",
                        self.signed(from, vec![pack_any(&msg)]),
                        Expect::Fail,
                    )
                } else {
                    // The balance has no known ceiling (rewards were paid out): a guess.
                    let amount = lo + 1 + self.rng.gen_range(0..1000);
                    v.maybe_moved(from, Some(to), amount);
                    let msg = send_msg(self.addr(from), self.addr(to), amount);
                    (
                        "overdraft",
                        self.signed(from, vec![pack_any(&msg)]),
                        Expect::Either,
                    )
                }
            }
            39..=46 if !v.validators.contains(&from) && lo > 1_000_000 => {
                let amount = self.rng.gen_range(1_000_000..=lo.min(BALANCE / 10));
                v.moved(from, None, amount);
                v.validators.push(from);
                v.touch(from, from);
                let msg = create_validator(self.addr(from), from as u8, amount);
                (
                    "create validator",
                    self.signed(from, vec![pack_any(&msg)]),
                    Expect::Ok,
                )
            }
            47..=66 if !v.validators.is_empty() => {
                let val = v.validators[self.rng.gen_range(0..v.validators.len())];
                // Only a validator that had stake at the start of the block, none moved since,
                // surely takes a delegation (one created in this block may have failed; one
                // fully undelegated is removed).
                let open =
                    v.delegated.keys().any(|(_, x)| *x == val) && !v.unsettled.contains(&val);
                // A first delegation pays no rewards out, so the ceiling holds for it.
                let first =
                    !v.delegated.contains_key(&(from, val)) && !v.touched.contains(&(from, val));
                if lo > 0 && self.rng.gen_bool(0.9) {
                    let amount = self.rng.gen_range(1..=lo.min(BALANCE / 20));
                    let expect = if open { Expect::Ok } else { Expect::Either };
                    if open {
                        v.moved(from, None, amount);
                    } else {
                        v.maybe_moved(from, None, amount);
                    }
                    v.touch(from, val);
                    let msg = delegate(self.addr(from), self.addr(val), amount);
                    ("delegate", self.signed(from, vec![pack_any(&msg)]), expect)
                } else {
                    let (amount, expect) = if first && hi < u128::MAX / 2 {
                        (hi + 1, Expect::Fail)
                    } else {
                        (lo + 1, Expect::Either)
                    };
                    v.maybe_moved(from, None, amount);
                    v.touch(from, val);
                    let msg = delegate(self.addr(from), self.addr(val), amount);
                    (
                        "delegate overdraft",
                        self.signed(from, vec![pack_any(&msg)]),
                        expect,
                    )
                }
            }
            67..=78 => {
                let mine: Vec<(usize, u128)> = v
                    .delegated
                    .iter()
                    .filter(|((d, _), t)| *d == from && **t > 0)
                    .map(|((_, val), t)| (*val, *t))
                    .collect();
                let untouched = !v.touched.iter().any(|(d, _)| *d == from);
                if mine.is_empty() {
                    let val = self.rng.gen_range(0..ACCOUNTS);
                    let expect = if untouched {
                        Expect::Fail
                    } else {
                        Expect::Either
                    };
                    let msg = undelegate(self.addr(from), self.addr(val), 1);
                    return (
                        "undelegate nothing",
                        self.signed(from, vec![pack_any(&msg)]),
                        expect,
                    );
                }
                let (val, tokens) = mine[self.rng.gen_range(0..mine.len())];
                let expect_too_much = if v.touched.contains(&(from, val)) {
                    Expect::Either
                } else {
                    Expect::Fail
                };
                v.touch(from, val);
                if self.rng.gen_bool(0.9) {
                    let amount = self.rng.gen_range(1..=tokens);
                    v.delegated.insert((from, val), tokens - amount);
                    let msg = undelegate(self.addr(from), self.addr(val), amount);
                    // Entries per pair are capped (max_entries): the chain may refuse.
                    (
                        "undelegate",
                        self.signed(from, vec![pack_any(&msg)]),
                        Expect::Either,
                    )
                } else {
                    let msg = undelegate(self.addr(from), self.addr(val), tokens + 1);
                    let tx = self.signed(from, vec![pack_any(&msg)]);
                    ("undelegate too much", tx, expect_too_much)
                }
            }
            79..=88 if v.validators.len() >= 2 => {
                let mine: Vec<(usize, u128)> = v
                    .delegated
                    .iter()
                    .filter(|((d, _), t)| *d == from && **t > 0)
                    .map(|((_, val), t)| (*val, *t))
                    .collect();
                let Some(&(src, tokens)) = mine.get(self.rng.gen_range(0..mine.len().max(1)))
                else {
                    let (s, d) = (v.validators[0], v.validators[1]);
                    v.touch(from, s);
                    v.touch(from, d);
                    let msg = redelegate(self.addr(from), self.addr(s), self.addr(d), 1);
                    let tx = self.signed(from, vec![pack_any(&msg)]);
                    return ("redelegate nothing", tx, Expect::Either);
                };
                let dst = v.validators[self.rng.gen_range(0..v.validators.len())];
                let amount = self.rng.gen_range(1..=tokens);
                v.delegated.insert((from, src), tokens - amount);
                v.touch(from, src);
                v.touch(from, dst);
                let msg = redelegate(self.addr(from), self.addr(src), self.addr(dst), amount);
                // Same validator, transitive redelegations and the entry cap are refused.
                (
                    "redelegate",
                    self.signed(from, vec![pack_any(&msg)]),
                    Expect::Either,
                )
            }
            89..=92 => {
                // A proposal with the minimum deposit goes to its vote; one with half of it
                // waits for deposits.
                let amount = if self.rng.gen_bool(0.7) {
                    MIN_DEPOSIT
                } else {
                    MIN_DEPOSIT / 2
                };
                let expect = if lo >= amount {
                    v.moved(from, None, amount);
                    Expect::Ok
                } else {
                    v.maybe_moved(from, None, amount);
                    Expect::Either
                };
                self.proposals += 1;
                let msg = submit_proposal(self.addr(from), self.proposals, amount);
                (
                    "submit proposal",
                    self.signed(from, vec![pack_any(&msg)]),
                    expect,
                )
            }
            93..=96 if self.proposals > 0 => {
                // It may have ended, or not reached its vote.
                let id = self.rng.gen_range(1..=self.proposals);
                let option = self.rng.gen_range(1..=4);
                let msg = vote(self.addr(from), id, option);
                (
                    "vote",
                    self.signed(from, vec![pack_any(&msg)]),
                    Expect::Either,
                )
            }
            97 if self.proposals > 0 => {
                let id = self.rng.gen_range(1..=self.proposals);
                let amount = self.rng.gen_range(1..=MIN_DEPOSIT / 2);
                v.maybe_moved(from, None, amount);
                let msg = deposit(self.addr(from), id, amount);
                (
                    "deposit",
                    self.signed(from, vec![pack_any(&msg)]),
                    Expect::Either,
                )
            }
            _ => {
                let val = self.rng.gen_range(0..ACCOUNTS);
                let msg = MsgWithdrawDelegatorReward {
                    delegator_address: self.addr(from).to_bech32(),
                    validator_address: valoper(&self.addr(val)),
                };
                let expect =
                    if v.delegated.contains_key(&(from, val)) || v.touched.contains(&(from, val)) {
                        Expect::Either
                    } else {
                        Expect::Fail
                    };
                v.touch(from, val);
                (
                    "withdraw rewards",
                    self.signed(from, vec![pack_any(&msg)]),
                    expect,
                )
            }
        }
    }
}
