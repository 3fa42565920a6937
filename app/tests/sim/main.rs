//! Randomised simulation, as the Cosmos SDK's `simulation` package does it: from a seed, blocks
//! of random valid and invalid transactions (bank sends and overdrafts, validators created,
//! delegations, undelegations, redelegations, reward withdrawals, gov proposals with votes and
//! deposits, undecodable bytes, stale sequences, unpaid fees) driven through the real state
//! machine in process, each block with a last commit as CometBFT would give it (the validator
//! set, some votes absent). After every block the invariants hold (`invariants.rs`: supply is
//! the sum of balances; the bonded and not-bonded pools hold exactly their validators' and
//! unbonding entries' tokens; a validator's shares are its delegations'; the distribution
//! account holds the community pool and the outstanding rewards; gov holds the deposits of the
//! open proposals); a transaction the generator knows is valid succeeds and one it knows is
//! invalid fails (`generate.rs`); and the same seed twice gives the same app hash at every
//! height.
//!
//! `make test` runs a short one; `make sim SEED=… BLOCKS=… TXS=…` a long one (environment
//! `SIM_SEED`, `SIM_BLOCKS`, `SIM_TXS`). A failure names the seed and the block.

use std::collections::BTreeMap;

use cosmrs::Any;
use openledger_framework::{Address, VoteInfo};
use openledger_state_machine::ante::AnteConfig;
use openledgerd::testkit::TestChain;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

mod generate;
mod invariants;
mod msgs;

const DENOM: &str = "uopen";
const ACCOUNTS: usize = 12;
const BALANCE: u128 = 1_000_000_000;
/// What each transaction pays (the test kit's fee).
const FEE: u128 = 2_500;
const GAS: u64 = 400_000;
/// Gov's minimum deposit in the simulation's genesis.
const MIN_DEPOSIT: u128 = 10_000_000;

fn env_or(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .unwrap_or_else(|e| panic!("{name}={v:?} is not a number: {e}")),
        Err(_) => default,
    }
}

#[derive(Debug, Clone, Copy)]
struct Config {
    seed: u64,
    blocks: u64,
    txs: usize,
}

/// What the generator expects of a transaction.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Ok,
    Fail,
    /// Valid in form; whether it succeeds depends on state the generator does not model.
    Either,
}

struct Sim {
    cfg: Config,
    chain: TestChain,
    rng: ChaCha8Rng,
    /// Outcomes by operation: (succeeded, failed).
    tally: BTreeMap<&'static str, (u32, u32)>,
    app_hashes: Vec<[u8; 32]>,
    /// What the distribution module held after the last block (fees flow there).
    distribution: u128,
    /// Proposals submitted so far (the highest id there may be).
    proposals: u64,
}

impl Sim {
    fn new(cfg: Config, dir: &std::path::Path, rt: &tokio::runtime::Runtime) -> Self {
        // Unbondings and proposals end within the run (blocks are a second apart), so their
        // endings are exercised too.
        let min_deposit = |n: u128| serde_json::json!([{"denom": DENOM, "amount": n.to_string()}]);
        let genesis = serde_json::json!({
            "staking": {"params": {
                "unbonding_time": "20s",
                "max_validators": 5,
                "max_entries": 7,
                "historical_entries": 100,
                "bond_denom": DENOM,
            }},
            "gov": {"params": {
                "min_deposit": min_deposit(MIN_DEPOSIT),
                "max_deposit_period": "15s",
                "voting_period": "15s",
                "quorum": "0.334",
                "threshold": "0.5",
                "veto_threshold": "0.334",
                "expedited_voting_period": "10s",
                "expedited_threshold": "0.667",
                "expedited_min_deposit": min_deposit(5 * MIN_DEPOSIT),
            }},
        });
        let chain = TestChain::with_app_state(
            rt,
            &dir.join("app.db"),
            ACCOUNTS,
            BALANCE,
            AnteConfig::default(),
            genesis,
        )
        .expect("chain");
        Self {
            cfg,
            chain,
            rng: ChaCha8Rng::seed_from_u64(cfg.seed),
            tally: BTreeMap::new(),
            app_hashes: Vec::new(),
            distribution: 0,
            proposals: 0,
        }
    }

    fn fail(&self, what: impl std::fmt::Display) -> ! {
        panic!(
            "simulation failed at block {} (SIM_SEED={} SIM_BLOCKS={} SIM_TXS={}): {what}",
            self.chain.height + 1,
            self.cfg.seed,
            self.cfg.blocks,
            self.cfg.txs
        )
    }

    fn addr(&self, i: usize) -> Address {
        self.chain.accounts[i].address
    }

    /// The previous block's commit as CometBFT reports it: the last validator set, each vote
    /// absent now and then (slashing counts it; too few to jail anyone in a short run), and a
    /// proposer among them.
    fn last_commit(&mut self) -> (Option<Address>, Vec<VoteInfo>) {
        let core = &self.chain.app.core;
        let snap = core.storage.latest_snapshot();
        let staking = &core.staking.keeper;
        let mut votes = Vec::new();
        for (op, power) in staking.last_validator_powers(&mut &snap).expect("powers") {
            let v = staking.must_validator(&mut &snap, &op).expect("validator");
            votes.push(VoteInfo {
                validator: v.cons_address(),
                power,
                signed: !self.rng.gen_bool(0.05),
            });
        }
        let proposer = match votes.len() {
            0 => None,
            n => Some(votes[self.rng.gen_range(0..n)].validator),
        };
        (proposer, votes)
    }

    fn signed(&mut self, from: usize, msgs: Vec<Any>) -> Vec<u8> {
        self.chain.tx(from, msgs, GAS)
    }

    fn block(&mut self) {
        let mut view = self.view();
        let mut txs = Vec::with_capacity(self.cfg.txs);
        let mut expected = Vec::with_capacity(self.cfg.txs);
        for _ in 0..self.cfg.txs {
            let (op, tx, expect) = self.next_tx(&mut view);
            txs.push(tx);
            expected.push((op, expect));
        }
        let (proposer, votes) = self.last_commit();
        let (outcomes, app_hash) = self.chain.block_with_commit(&txs, proposer, votes);
        self.app_hashes.push(app_hash);
        for ((op, expect), out) in expected.iter().zip(&outcomes) {
            let ok = out.code == 0;
            match (expect, ok) {
                (Expect::Ok, false) => self.fail(format!("{op} failed: {} {}", out.code, out.log)),
                (Expect::Fail, true) => self.fail(format!("{op} succeeded but must fail")),
                _ => {}
            }
            let t = self.tally.entry(op).or_default();
            if ok { t.0 += 1 } else { t.1 += 1 }
        }
        self.distribution = self.check_invariants();
    }
}

/// What a run leaves to check once its store is gone.
struct Outcome {
    app_hashes: Vec<[u8; 32]>,
    /// By operation: (succeeded, failed).
    tally: BTreeMap<&'static str, (u32, u32)>,
    /// What the distribution module held at the end.
    distribution: u128,
    /// Proposals by status at the end (gov v1: 3 passed, 4 rejected, 5 failed).
    proposals: BTreeMap<i32, u32>,
}

/// Runs one simulation in its own store.
fn run(cfg: Config) -> Outcome {
    let dir = tempfile::tempdir().expect("tempdir");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let mut sim = Sim::new(cfg, dir.path(), &rt);
    for _ in 0..cfg.blocks {
        sim.block();
    }
    let mut proposals = BTreeMap::new();
    for p in sim.proposals() {
        *proposals.entry(p.status).or_insert(0) += 1;
    }
    Outcome {
        app_hashes: std::mem::take(&mut sim.app_hashes),
        tally: std::mem::take(&mut sim.tally),
        distribution: sim.distribution,
        proposals,
    }
}

#[test]
fn random_blocks_keep_the_invariants_and_replay_to_the_same_app_hashes() {
    let cfg = Config {
        seed: env_or("SIM_SEED", 7),
        blocks: env_or("SIM_BLOCKS", 40),
        txs: env_or("SIM_TXS", 16) as usize,
    };
    let first = std::thread::spawn(move || run(cfg))
        .join()
        .expect("first run");
    eprintln!("simulation {cfg:?}: outcomes (succeeded, failed) by operation:");
    for (op, (ok, failed)) in &first.tally {
        eprintln!("  {op:<20} {ok:>6} {failed:>6}");
    }
    // The run exercised what it is for: valid and invalid txs of every kind that can occur.
    for op in [
        "send",
        "overdraft",
        "create validator",
        "delegate",
        "garbage",
        "wrong sequence",
    ] {
        let (ok, failed) = first.tally.get(op).copied().unwrap_or_default();
        assert!(
            ok + failed > 0,
            "seed {}: no {op:?} was generated",
            cfg.seed
        );
    }
    assert!(
        first.distribution > 0,
        "seed {}: no fee reached distribution",
        cfg.seed
    );
    // Proposals by status (gov v1: 3 passed, 4 rejected, 5 failed): some must have ended.
    eprintln!("  proposals by status: {:?}", first.proposals);
    assert!(
        first.proposals.keys().any(|s| (3..=5).contains(s)),
        "seed {}: no proposal ended",
        cfg.seed
    );
    let second = std::thread::spawn(move || run(cfg).app_hashes)
        .join()
        .expect("second run");
    for (h, (a, b)) in first.app_hashes.iter().zip(&second).enumerate() {
        assert_eq!(
            a,
            b,
            "seed {}: the replay's app hash differs at block {}",
            cfg.seed,
            h + 2
        );
    }
    assert_eq!(first.app_hashes.len(), second.len());
}
