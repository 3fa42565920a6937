//! The host without the repository's contracts: static checks at upload (invalid wasm, floats,
//! unknown imports, size), gzip uploads, gas limits on an endless loop, the compiled-module
//! cache across a restart, and determinism. The contracts are minimal hand-written ones (WAT):
//! they speak the CosmWasm interface (allocate, regions, JSON results) and nothing more.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use std::io::Write;

use common::{Chain, addr, artifact};
use openledger_framework::{Coins, KvRead};

/// A valid contract: `instantiate` answers an empty response, `query` answers `{}`, and
/// `execute` loops forever (when `looping`) or answers an empty response too.
fn contract_wat(extra: &str, looping: bool) -> Vec<u8> {
    let execute_body = if looping {
        "(loop $forever (br $forever)) i32.const 64"
    } else {
        "i32.const 64"
    };
    let wat = format!(
        r#"(module
  {extra}
  (memory (export "memory") 2)
  (global $heap (mut i32) (i32.const 8192))
  (data (i32.const 64) "\00\04\00\00\3e\00\00\00\3e\00\00\00")
  (data (i32.const 1024) "{{\"ok\":{{\"messages\":[],\"attributes\":[],\"events\":[],\"data\":null}}}}")
  (data (i32.const 128) "\00\08\00\00\0d\00\00\00\0d\00\00\00")
  (data (i32.const 2048) "{{\"ok\":\"e30=\"}}")
  (func (export "interface_version_8"))
  (func (export "allocate") (param $size i32) (result i32)
    (local $r i32)
    global.get $heap
    local.set $r
    local.get $r
    local.get $r
    i32.const 12
    i32.add
    i32.store
    local.get $r
    local.get $size
    i32.store offset=4
    local.get $r
    i32.const 0
    i32.store offset=8
    global.get $heap
    local.get $size
    i32.add
    i32.const 12
    i32.add
    global.set $heap
    local.get $r)
  (func (export "deallocate") (param i32))
  (func (export "instantiate") (param i32 i32 i32) (result i32) i32.const 64)
  (func (export "execute") (param i32 i32 i32) (result i32) {execute_body})
  (func (export "query") (param i32 i32) (result i32) i32.const 128)
)"#
    );
    wat::parse_str(&wat).unwrap()
}

fn store(
    chain: &mut Chain,
    wasm: &[u8],
) -> Result<(u64, [u8; 32]), openledger_framework::AbciError> {
    chain
        .tx(100_000_000, |k, ctx| {
            k.store_code(ctx, &addr(1), wasm, None)
        })
        .result
}

#[test]
fn uploads_that_fail_the_static_checks_are_rejected() {
    let mut chain = Chain::new();
    let garbage = store(&mut chain, b"\0asm not really").unwrap_err();
    assert_eq!(
        (garbage.codespace.as_str(), garbage.code),
        ("wasm", 2),
        "{}",
        garbage.message
    );

    // Instructions outside what the VM runs deterministically: SIMD, and bulk memory (which
    // contracts built by recent Rust contain until wasm-opt lowers them).
    let simd = contract_wat(
        r#"(func (export "v") (result i32) v128.const i32x4 1 2 3 4 i32x4.extract_lane 0)"#,
        false,
    );
    let err = store(&mut chain, &simd).unwrap_err();
    assert_eq!(err.code, 2, "{}", err.message);
    let bulk = contract_wat(
        r#"(func (export "copy") i32.const 0 i32.const 64 i32.const 8 memory.copy)"#,
        false,
    );
    let err = store(&mut chain, &bulk).unwrap_err();
    assert_eq!(err.code, 2, "{}", err.message);
    assert!(
        err.message.to_lowercase().contains("bulk memory"),
        "{}",
        err.message
    );

    let import = contract_wat(r#"(import "env" "read_private_keys" (func))"#, false);
    let err = store(&mut chain, &import).unwrap_err();
    assert_eq!(err.code, 2);
    assert!(err.message.contains("read_private_keys"), "{}", err.message);

    let huge = vec![0u8; 800 * 1024 + 1];
    let err = store(&mut chain, &huge).unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        ("wasm", 13),
        "{}",
        err.message
    );

    // A gzip bomb inflating past the limit is cut off, not inflated whole.
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(&vec![0u8; 4 * 1024 * 1024]).unwrap();
    let bomb = gz.finish().unwrap();
    let err = store(&mut chain, &bomb).unwrap_err();
    assert_eq!(err.code, 13, "{}", err.message);

    assert!(
        chain.changes().is_empty(),
        "rejected uploads change nothing"
    );
}

/// CosmWasm 2 would run float instructions (NaNs canonicalised); OpenLedger refuses them at
/// upload, and a refused upload stores nothing.
#[test]
fn float_instructions_are_rejected_at_store() {
    let mut chain = Chain::new();
    for body in [
        r#"(func (export "half") (param f32) (result f32) local.get 0 f32.const 0.5 f32.mul)"#,
        r#"(func (export "conv") (param i64) (result i64) local.get 0 f64.convert_i64_s i64.trunc_f64_s)"#,
    ] {
        let float = contract_wat(body, false);
        let err = store(&mut chain, &float).unwrap_err();
        assert!(
            err.message.contains("floating-point instruction"),
            "{}",
            err.message
        );
    }
    assert!(
        chain.changes().is_empty(),
        "rejected uploads change nothing"
    );
}

#[test]
fn gzip_uploads_store_the_inflated_code() {
    let mut chain = Chain::new();
    let wasm = contract_wat("", false);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&wasm).unwrap();
    let (id_gz, sum_gz) = store(&mut chain, &gz.finish().unwrap()).unwrap();
    let (id_raw, sum_raw) = store(&mut chain, &wasm).unwrap();
    assert_eq!((id_gz, id_raw), (1, 2));
    assert_eq!(sum_gz, sum_raw);
    assert_eq!(
        chain
            .keeper
            .code_bytes(&mut chain.state(), &sum_raw)
            .unwrap(),
        wasm
    );
}

#[test]
fn endless_loop_stops_at_the_gas_limit() {
    let mut chain = Chain::new();
    let (code_id, _) = store(&mut chain, &contract_wat("", true)).unwrap();
    let (contract, _) = chain
        .ok(|k, ctx| k.instantiate(ctx, &addr(1), None, code_id, "loop", b"{}", &Coins::new()));
    for limit in [200_000, 1_000_000] {
        let started = std::time::Instant::now();
        let r = chain.tx(limit, |k, ctx| {
            k.execute(ctx, &addr(2), &contract, b"{}", &Coins::new())
        });
        let err = r.result.unwrap_err();
        assert_eq!(
            (err.codespace.as_str(), err.code),
            ("sdk", 11),
            "{}",
            err.message
        );
        assert_eq!(r.gas_used, limit);
        eprintln!(
            "endless loop with {limit} gas stopped after {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn gas_per_call() {
    let mut chain = Chain::new();
    let (code_id, _) = store(&mut chain, &contract_wat("", false)).unwrap();
    let inst = chain.tx(10_000_000, |k, ctx| {
        k.instantiate(ctx, &addr(1), None, code_id, "noop", b"{}", &Coins::new())
    });
    let (contract, _) = inst.result.unwrap();
    let exec = chain.tx(10_000_000, |k, ctx| {
        k.execute(ctx, &addr(2), &contract, b"{}", &Coins::new())
    });
    exec.result.unwrap();
    // wasmd's instance cost dominates a call that does nothing.
    assert!(
        exec.gas_used >= 60_000 && exec.gas_used < 70_000,
        "{}",
        exec.gas_used
    );
    eprintln!(
        "no-op contract: instantiate {} gas, execute {} gas",
        inst.gas_used, exec.gas_used
    );
}

#[test]
fn compiled_modules_survive_a_restart_and_a_lost_cache_is_rebuilt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("wasm");
    let wasm = contract_wat("", false);
    let mut chain = Chain::with_cache(&dir);
    let (code_id, _) = store(&mut chain, &wasm).unwrap();
    let t = std::time::Instant::now();
    chain.ok(|k, ctx| k.instantiate(ctx, &addr(1), None, code_id, "a", b"{}", &Coins::new()));
    let first = t.elapsed();
    let state = chain.state.clone();

    // A restart: a new keeper over the same directory loads the compiled module from disk.
    let mut restarted = Chain::with_cache(&dir);
    restarted.state = state.clone();
    let t = std::time::Instant::now();
    restarted.ok(|k, ctx| k.instantiate(ctx, &addr(1), None, code_id, "b", b"{}", &Coins::new()));
    let after_restart = t.elapsed();
    let stats = restarted.keeper.cache_stats();
    assert_eq!(stats.misses, 0, "nothing recompiled: {stats:?}");
    assert_eq!(stats.hits_fs_cache, 1, "{stats:?}");
    let t = std::time::Instant::now();
    restarted.ok(|k, ctx| k.instantiate(ctx, &addr(1), None, code_id, "c", b"{}", &Coins::new()));
    let warm = t.elapsed();
    assert_eq!(restarted.keeper.cache_stats().hits_memory_cache, 1);
    eprintln!(
        "instantiate: first {first:?}, after restart (disk cache) {after_restart:?}, warm (memory) {warm:?}"
    );

    // The cache directory lost: the code is recompiled from the bytecode in state.
    let other = tmp.path().join("elsewhere");
    let mut fresh = Chain::with_cache(&other);
    fresh.state = state;
    fresh.ok(|k, ctx| k.instantiate(ctx, &addr(1), None, code_id, "d", b"{}", &Coins::new()));
    assert!(other.join("state").exists() || other.join("cache").exists());
}

/// The same transactions on two fresh chains give the same state, byte for byte, and the same
/// app hash in the RocksDB-backed store.
#[test]
fn same_transactions_same_state() {
    let run = || {
        let mut chain = Chain::new();
        let (code_id, _) = store(&mut chain, &contract_wat("", false)).unwrap();
        chain.fund(&addr(1), common::coins(10_000, "uopen"));
        let (contract, _) = chain.ok(|k, ctx| {
            k.instantiate(
                ctx,
                &addr(1),
                Some(addr(1)),
                code_id,
                "d",
                b"{}",
                &common::coins(10, "uopen"),
            )
        });
        chain.ok(|k, ctx| k.execute(ctx, &addr(1), &contract, b"{}", &common::coins(5, "uopen")));
        if let Some(wasm) = artifact("test_misbehave") {
            let (id, _) = store(&mut chain, &wasm).unwrap();
            let (c, _) = chain.ok(|k, ctx| {
                k.instantiate(
                    ctx,
                    &addr(1),
                    None,
                    id,
                    "m",
                    br#"{"count":1}"#,
                    &Coins::new(),
                )
            });
            chain.ok(|k, ctx| {
                k.execute(
                    ctx,
                    &addr(1),
                    &c,
                    br#"{"set_items":{"items":[["x","1"],["y","2"]]}}"#,
                    &Coins::new(),
                )
            });
            chain.ok(|k, ctx| k.execute(ctx, &addr(1), &c, br#"{"submsg_ok":{}}"#, &Coins::new()));
        }
        chain.changes().clone()
    };
    let a = run();
    let b = run();
    assert_eq!(a, b);
    assert!(a.keys().any(|k| k.starts_with("wasm/store/")));

    let root = |changes: openledger_framework::store::Changes| {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        rt.block_on(async move {
            tokio::task::spawn_blocking(move || {
                let handle = tokio::runtime::Handle::current();
                let storage = handle
                    .block_on(openledger_framework::store::Storage::open(
                        path,
                        &["bank", "wasm"],
                    ))
                    .unwrap();
                let base = storage.latest_snapshot();
                let root = storage.commit(&base, changes, vec![]).unwrap();
                let snapshot = storage.latest_snapshot();
                assert!(!snapshot.prefix("wasm/code/").unwrap().is_empty());
                root
            })
            .await
            .unwrap()
        })
    };
    assert_eq!(root(a), root(b));
}
