//! The RocksDB-backed store: versions, app hash, ICS-23 proofs, restart.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

use openledger_framework::store::{Changes, KvRead, Storage, verify_proof};

fn changes(items: &[(&str, Option<&str>)]) -> Changes {
    items
        .iter()
        .map(|(k, v)| (k.to_string(), v.map(|v| v.as_bytes().to_vec())))
        .collect()
}

fn run<F: FnOnce() + Send + 'static>(f: F) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async { tokio::task::spawn_blocking(f).await.unwrap() });
}

#[test]
fn versions_proofs_and_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("application.db");
    let path2 = path.clone();
    let (tx, rx) = std::sync::mpsc::channel();
    run(move || {
        let handle = tokio::runtime::Handle::current();
        let storage = handle
            .block_on(Storage::open(path.clone(), &["auth", "bank"]))
            .unwrap();
        assert_eq!(storage.latest_version(), None);

        let base = storage.latest_snapshot();
        let c1 = changes(&[
            ("bank/balances/aa/uopen", Some("100")),
            ("auth/accounts/aa", Some("acc")),
        ]);
        let predicted = storage.root_hash_of(&base, &c1).unwrap();
        let h1 = storage.commit(&base, c1, vec![]).unwrap();
        assert_eq!(
            predicted, h1,
            "root_hash_of predicts the committed app hash"
        );
        assert_eq!(storage.latest_version(), Some(0));

        let base = storage.latest_snapshot();
        let h2 = storage
            .commit(
                &base,
                changes(&[
                    ("bank/balances/aa/uopen", Some("60")),
                    ("bank/balances/bb/uopen", Some("40")),
                ]),
                vec![],
            )
            .unwrap();
        assert_ne!(h1, h2);

        let latest = storage.latest_snapshot();
        assert_eq!(
            latest.get("bank/balances/aa/uopen").unwrap(),
            Some(b"60".to_vec())
        );
        let old = storage.snapshot(0).unwrap();
        assert_eq!(
            old.get("bank/balances/aa/uopen").unwrap(),
            Some(b"100".to_vec())
        );
        assert_eq!(old.get("bank/balances/bb/uopen").unwrap(), None);
        let keys: Vec<_> = latest
            .prefix("bank/balances/")
            .unwrap()
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            keys,
            vec!["bank/balances/aa/uopen", "bank/balances/bb/uopen"]
        );

        // Existence proof against the app hash, and tampering is caught.
        let (value, proof) = latest.get_with_proof("bank/balances/bb/uopen").unwrap();
        assert_eq!(value.as_deref(), Some(&b"40"[..]));
        verify_proof(&h2, "bank/balances/bb/uopen", Some(b"40"), &proof).unwrap();
        assert!(verify_proof(&h2, "bank/balances/bb/uopen", Some(b"41"), &proof).is_err());
        assert!(verify_proof(&h1, "bank/balances/bb/uopen", Some(b"40"), &proof).is_err());

        // Non-existence proof.
        let (value, proof) = latest.get_with_proof("bank/balances/cc/uopen").unwrap();
        assert!(value.is_none());
        verify_proof(&h2, "bank/balances/cc/uopen", None, &proof).unwrap();

        drop((latest, old, base));
        tx.send(h2).unwrap();
        handle.block_on(storage.release());
    });
    // Reopen in a fresh runtime (as a restarted node would): the last version and app hash survive.
    run(move || {
        let handle = tokio::runtime::Handle::current();
        let h2: [u8; 32] = rx.recv().unwrap();
        let storage = handle
            .block_on(Storage::open(path2, &["auth", "bank"]))
            .unwrap();
        assert_eq!(storage.latest_version(), Some(1));
        assert_eq!(storage.latest_snapshot().root_hash().unwrap(), h2);
        assert_eq!(
            storage
                .latest_snapshot()
                .get("bank/balances/bb/uopen")
                .unwrap(),
            Some(b"40".to_vec())
        );
        handle.block_on(storage.release());
    });
}
