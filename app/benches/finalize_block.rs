//! FinalizeBlock + Commit throughput over blocks of signed `MsgSend`s between many accounts,
//! on RocksDB on disk.
//!
//! - `cold`: the block's signatures are new to the node (verified in FinalizeBlock's parallel
//!   pre-pass, on every core rayon has);
//! - `after_checktx`: the txs went through this node's CheckTx first (the normal case for a
//!   validator: its mempool saw them), so FinalizeBlock finds the signatures verified.

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use openledger_state_machine::ante::AnteConfig;
use openledger_state_machine::check_tx;
use openledgerd::testkit::TestChain;

const ACCOUNTS: usize = 4000;
const BLOCK: usize = 2000;

fn bench(c: &mut Criterion) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let mut chain = TestChain::new(
        &rt,
        &dir.path().join("app.db"),
        ACCOUNTS,
        1_000_000_000_000,
        AnteConfig::default(),
    )
    .expect("chain");
    let mut next = 0usize;
    let mut make_block = |chain: &mut TestChain| -> Vec<Vec<u8>> {
        (0..BLOCK)
            .map(|_| {
                let from = next % ACCOUNTS;
                next += 1;
                chain.send(from, (from + 1) % ACCOUNTS, 1)
            })
            .collect()
    };
    // Warm up: first touch of every account.
    for _ in 0..(ACCOUNTS / BLOCK) {
        let txs = make_block(&mut chain);
        let out = chain.block(&txs);
        assert!(
            out.iter().all(|o| o.is_ok()),
            "{:?}",
            out.iter().find(|o| !o.is_ok())
        );
    }

    let mut g = c.benchmark_group("finalize_block");
    g.throughput(Throughput::Elements(BLOCK as u64));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function(format!("cold/{BLOCK}_sends"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let txs = make_block(&mut chain);
                let start = Instant::now();
                let out = chain.block(&txs);
                total += start.elapsed();
                assert!(out.iter().all(|o| o.is_ok()));
            }
            total
        })
    });
    g.bench_function(format!("after_checktx/{BLOCK}_sends"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let txs = make_block(&mut chain);
                let core = chain.app.core.clone();
                let check = chain.app.check.clone();
                for tx in &txs {
                    let o = check_tx(&core, &check, tx, false);
                    assert!(o.is_ok(), "{}", o.log);
                }
                let start = Instant::now();
                let out = chain.block(&txs);
                total += start.elapsed();
                assert!(out.iter().all(|o| o.is_ok()));
            }
            total
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
