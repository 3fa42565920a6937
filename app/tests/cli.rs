//! The command line without a node: what it settles locally before it asks one.

mod common;

use std::process::{Command, Output, Stdio};

use common::{BIN, free_port};

fn openledgerd(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("OPENLEDGER_KEYRING_PASSPHRASE", "correct horse battery")
        .stdin(Stdio::null())
        .output()
        .expect("run openledgerd")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A key name given where a query takes an address is looked up in the keyring that
/// `--keyring-backend` names, as in the tx commands (it used to be the test keyring always).
#[test]
fn query_commands_look_key_names_up_in_the_keyring_backend_given() {
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_str().expect("utf-8 path");
    let added = openledgerd(&[
        "keys",
        "add",
        "alice",
        "--keyring-backend",
        "file",
        "--home",
        home,
    ]);
    assert!(added.status.success(), "keys add: {}", stderr(&added));

    // Nothing listens there: a command that got as far as asking the node says so.
    let nowhere = format!("http://127.0.0.1:{}", free_port());
    let queries: [&[&str]; 6] = [
        &["staking", "delegations", "alice"],
        &["staking", "unbonding-delegations", "alice"],
        &["staking", "redelegations", "alice"],
        &["distribution", "rewards", "alice"],
        &["distribution", "withdraw-addr", "alice"],
        &["gov", "vote", "1", "alice"],
    ];
    for query in queries {
        let run = |backend: &[&str]| {
            let mut args = vec!["query"];
            args.extend_from_slice(query);
            args.extend_from_slice(&["--grpc-addr", &nowhere, "--home", home]);
            args.extend_from_slice(backend);
            openledgerd(&args)
        };
        // The default (test) keyring does not hold alice.
        let out = run(&[]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("\"alice\" is neither an open1… address nor a key name"),
            "query {query:?}: {}",
            stderr(&out)
        );
        // The file keyring does: the name resolves, and only then is the node asked.
        let out = run(&["--keyring-backend", "file"]);
        assert!(!out.status.success());
        assert!(
            stderr(&out).contains("cannot reach the node's gRPC"),
            "query {query:?} --keyring-backend file: {}",
            stderr(&out)
        );
    }
}

/// `start` on a genesis nobody made a validator for says what to do, instead of letting
/// cometbft stop with "validator set is nil in genesis and still empty after InitChain".
#[test]
fn start_without_validators_says_how_to_make_one() {
    if common::cometbft().is_none() {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let home = dir.path().to_str().expect("utf-8 path");
    let init = openledgerd(&["init", "lonely", "--home", home]);
    assert!(init.status.success(), "init: {}", stderr(&init));
    let out = openledgerd(&["start", "--home", home]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("has no validators"), "{err}");
    assert!(
        err.contains("genesis gentx") && err.contains("genesis collect-gentxs"),
        "{err}"
    );
}
