//! End to end on the real cometbft: init, start, send, query, kill -9 and restart, bad inputs,
//! gRPC reflection with grpcurl, ABCI queries with ICS-23 proofs through CometBFT's RPC.
//!
//! Over 600 lines: one test binary for the single-node scenarios (each file under tests/ is a
//! binary that links the whole node, so splitting it costs build time on every run).

mod common;

use std::time::Duration;

use common::{TestNode, run, run_ok, wait_until};
use cosmrs::proto::cosmos::bank::v1beta1::MsgSend;
use cosmrs::proto::cosmos::tx::v1beta1 as txv1;
use openledger_framework::{Coins, pack_any};
use openledgerd::client::keyring::{Backend, Keyring};
use openledgerd::client::{self, BroadcastMode};
use tendermint_rpc::Client;

fn send_cli(node: &TestNode, to: &str, amount: &str) -> serde_json::Value {
    let out = run(&[
        "tx",
        "bank",
        "send",
        "dev",
        to,
        amount,
        "--fees",
        "5000uopen",
        "--chain-id",
        "openledger-local-1",
        "--home",
        node.h(),
        "--grpc-addr",
        &node.grpc_url(),
        "-y",
        "--output",
        "json",
    ]);
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bad output {e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn send_query_kill9_restart() {
    if common::cometbft().is_none() {
        return;
    }
    let mut node = TestNode::init();
    node.start();
    let dev_before = node.balance(&node.dev);
    let tx = send_cli(&node, &node.bob.clone(), "1000000uopen");
    assert_eq!(tx["code"], 0, "{tx}");
    assert_eq!(node.balance(&node.bob), 1_000_000);
    assert_eq!(node.balance(&node.dev), dev_before - 1_000_000 - 5000);

    // The tx can be found by hash, with Cosmos events.
    let hash = tx["txhash"].as_str().expect("hash");
    let q: serde_json::Value = serde_json::from_str(&run_ok(&[
        "query",
        "tx",
        hash,
        "--grpc-addr",
        &node.grpc_url(),
        "--output",
        "json",
    ]))
    .expect("json");
    assert_eq!(q["code"], 0);
    let events = q["events"].as_array().expect("events");
    assert!(events.iter().any(|e| e["type"] == "transfer"));
    assert!(events.iter().any(|e| e["type"] == "coin_spent"));

    // The account and the block that carried the tx.
    let acc: serde_json::Value = serde_json::from_str(&run_ok(&[
        "query",
        "auth",
        "account",
        &node.dev,
        "--grpc-addr",
        &node.grpc_url(),
        "--output",
        "json",
    ]))
    .expect("json");
    assert_eq!(acc["account"]["sequence"], "1", "{acc}");
    assert_eq!(
        acc["account"]["pub_key"]["@type"], "/cosmos.crypto.secp256k1.PubKey",
        "{acc}"
    );
    let height = tx["height"].as_str().expect("height");
    let block: serde_json::Value = serde_json::from_str(&run_ok(&[
        "query",
        "block",
        height,
        "--grpc-addr",
        &node.grpc_url(),
        "--output",
        "json",
    ]))
    .expect("json");
    assert_eq!(block["block"]["header"]["height"], height, "{block}");
    assert_eq!(block["block"]["data"]["txs"], 1, "{block}");

    // Total supply is unchanged by sends and fees (dev 10^12 + the validator 2·10^9).
    let total: serde_json::Value = serde_json::from_str(&run_ok(&[
        "query",
        "bank",
        "total",
        "--grpc-addr",
        &node.grpc_url(),
        "--output",
        "json",
    ]))
    .expect("json");
    assert_eq!(total["supply"][0]["amount"], "1002000000000");

    // kill -9 mid-run, restart: state and app hash intact, and the chain goes on.
    let status: serde_json::Value = serde_json::from_str(&run_ok(&[
        "status",
        "--grpc-addr",
        &node.grpc_url(),
        "--output",
        "json",
    ]))
    .expect("json");
    let h: u64 = status["sync_info"]["latest_block_height"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("height");
    let app_hash_h = status["sync_info"]["latest_app_hash"]
        .as_str()
        .expect("app hash")
        .to_string();
    node.kill9();
    node.start();
    // The restarted app reports its last commit to CometBFT (no replay from genesis).
    let logs = node.logs();
    let loaded: Vec<u64> = logs
        .lines()
        .filter_map(|l| l.split("state loaded height=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    assert!(
        loaded.len() == 2 && loaded[1] >= h,
        "restart should load height >= {h}: {loaded:?}"
    );
    wait_until(
        "the restarted chain to pass the height it was killed at",
        Duration::from_secs(30),
        || (node.height() > h + 1).then_some(()),
    );
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let comet = tendermint_rpc::HttpClient::new(node.rpc_url().as_str()).expect("rpc client");
    let (h_block, h_next) = rt.block_on(async {
        let a = comet
            .block(tendermint::block::Height::try_from(h).expect("h"))
            .await
            .expect("block h");
        let b = comet
            .block(tendermint::block::Height::try_from(h + 1).expect("h+1"))
            .await
            .expect("block h+1");
        (a, b)
    });
    assert_eq!(h_block.block.header.height.value(), h);
    assert!(node.height() > h);
    assert_eq!(node.balance(&node.bob), 1_000_000);
    assert_eq!(node.balance(&node.dev), dev_before - 1_005_000);
    // The app hash this node had committed at height h before the kill is the one the chain
    // carried on with (block h+1's header): nothing was lost or recomputed differently.
    assert_eq!(
        hex::encode_upper(h_next.block.header.app_hash.as_bytes()),
        app_hash_h
    );
    let tx2 = send_cli(&node, &node.bob.clone(), "5uopen");
    assert_eq!(tx2["code"], 0, "{tx2}");
    assert_eq!(node.balance(&node.bob), 1_000_005);
    node.stop();
}

struct Signer {
    key: cosmrs::crypto::secp256k1::SigningKey,
    from: String,
}

fn msg_send(from: &str, to: &str, amount: &str, denom: &str) -> cosmrs::Any {
    pack_any(&MsgSend {
        from_address: from.into(),
        to_address: to.into(),
        amount: vec![cosmrs::proto::cosmos::base::v1beta1::Coin {
            denom: denom.into(),
            amount: amount.into(),
        }],
    })
}

async fn broadcast_sync(
    ch: &tonic::transport::Channel,
    bytes: Vec<u8>,
) -> Result<(u32, String), String> {
    let mut svc = txv1::service_client::ServiceClient::new(ch.clone());
    match svc
        .broadcast_tx(txv1::BroadcastTxRequest {
            tx_bytes: bytes,
            mode: txv1::BroadcastMode::Sync as i32,
        })
        .await
    {
        Ok(r) => {
            let r = r.into_inner().tx_response.expect("response");
            Ok((r.code, r.raw_log))
        }
        Err(s) => Err(format!("{} {:?}", s.message(), s)),
    }
}

#[test]
fn bad_inputs_are_rejected_and_change_nothing() {
    if common::cometbft().is_none() {
        return;
    }
    let mut node = TestNode::init();
    node.start();
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let kr = Keyring::new(&node.home, Backend::Test);
    let dev = Signer {
        key: kr.signing_key("dev").expect("dev key"),
        from: node.dev.clone(),
    };
    let bob_key = kr.signing_key("bob").expect("bob key");
    let fees: Coins = "5000uopen".parse().expect("fees");
    let chain = "openledger-local-1";

    rt.block_on(async {
        let ch = client::connect(&node.grpc_url()).await.expect("grpc");
        // One good send first, so dev's public key is on chain.
        let good = client::sign_tx(
            &dev.key,
            chain,
            0,
            0,
            vec![msg_send(&dev.from, &node.bob, "10", "uopen")],
            "",
            200_000,
            &fees,
        )
        .expect("sign");
        let r = client::broadcast(
            &ch,
            good.clone(),
            BroadcastMode::Block,
            Duration::from_secs(30),
        )
        .await
        .expect("broadcast");
        assert_eq!(r.code, 0, "{}", r.raw_log);
        let (num, seq) = client::account_numbers(
            &ch,
            &openledger_framework::Address::from_bech32(&dev.from).expect("addr"),
        )
        .await
        .expect("acc");
        assert_eq!(seq, 1);
        let balance_before = node.balance(&dev.from);

        let sign =
            |seq: u64, chain: &str, msgs: Vec<cosmrs::Any>, memo: &str, gas: u64, fees: &Coins| {
                client::sign_tx(&dev.key, chain, num, seq, msgs, memo, gas, fees).expect("sign")
            };
        let send = || vec![msg_send(&dev.from, &node.bob, "1", "uopen")];
        let mut wrong_sig = sign(seq, chain, send(), "", 200_000, &fees);
        // Flip a byte of the signature (the last bytes of TxRaw).
        let last = wrong_sig.len() - 1;
        wrong_sig[last] ^= 0x01;
        let big_memo = "x".repeat(300);

        let cases: Vec<(&str, Vec<u8>, u32, &str)> = vec![
            (
                "garbage bytes",
                b"\x01\x02garbage".to_vec(),
                2,
                "tx parse error",
            ),
            (
                "wrong signature",
                wrong_sig,
                4,
                "signature verification failed",
            ),
            (
                "wrong chain-id",
                sign(seq, "other-chain-1", send(), "", 200_000, &fees),
                4,
                "chain-id (openledger-local-1)",
            ),
            (
                "replayed sequence",
                sign(seq - 1, chain, send(), "", 200_000, &fees),
                32,
                "account sequence mismatch, expected 1, got 0",
            ),
            (
                "sequence gap",
                sign(seq + 5, chain, send(), "", 200_000, &fees),
                32,
                "account sequence mismatch, expected 1, got 6",
            ),
            (
                "fee below minimum",
                sign(
                    seq,
                    chain,
                    send(),
                    "",
                    200_000,
                    &"100uopen".parse().expect("c"),
                ),
                13,
                "insufficient fees",
            ),
            (
                "gas limit below use",
                sign(
                    seq,
                    chain,
                    send(),
                    "",
                    1_000,
                    &"100uopen".parse().expect("c"),
                ),
                11,
                "out of gas",
            ),
            (
                "invalid recipient",
                sign(
                    seq,
                    chain,
                    vec![msg_send(&dev.from, "open1notanaddress", "1", "uopen")],
                    "",
                    200_000,
                    &fees,
                ),
                7,
                "invalid to address",
            ),
            (
                "zero amount",
                sign(
                    seq,
                    chain,
                    vec![msg_send(&dev.from, &node.bob, "0", "uopen")],
                    "",
                    200_000,
                    &fees,
                ),
                10,
                "zero amount",
            ),
            (
                "negative amount",
                sign(
                    seq,
                    chain,
                    vec![msg_send(&dev.from, &node.bob, "-5", "uopen")],
                    "",
                    200_000,
                    &fees,
                ),
                10,
                "invalid amount",
            ),
            (
                "malformed amount",
                sign(
                    seq,
                    chain,
                    vec![msg_send(&dev.from, &node.bob, "1.5", "uopen")],
                    "",
                    200_000,
                    &fees,
                ),
                10,
                "invalid amount",
            ),
            (
                "malformed denom",
                sign(
                    seq,
                    chain,
                    vec![msg_send(&dev.from, &node.bob, "5", "u")],
                    "",
                    200_000,
                    &fees,
                ),
                10,
                "invalid denom",
            ),
            (
                "unknown message type",
                sign(
                    seq,
                    chain,
                    vec![cosmrs::Any {
                        type_url: "/cosmos.nope.v1.MsgNope".into(),
                        value: vec![],
                    }],
                    "",
                    200_000,
                    &fees,
                ),
                6,
                "unrecognized message type",
            ),
            (
                "memo too large",
                sign(seq, chain, send(), &big_memo, 200_000, &fees),
                12,
                "maximum number of characters is 256",
            ),
            (
                "signed by another key",
                client::sign_tx(&bob_key, chain, num, seq, send(), "", 200_000, &fees)
                    .expect("sign"),
                4,
                "signature verification failed",
            ),
        ];
        for (name, bytes, code, needle) in cases {
            let (got, log) = broadcast_sync(&ch, bytes)
                .await
                .unwrap_or_else(|e| panic!("{name}: transport error {e}"));
            assert_eq!(got, code, "{name}: expected code {code}, got {got}: {log}");
            assert!(
                log.contains(needle),
                "{name}: {log:?} should mention {needle:?}"
            );
        }

        // The exact same bytes again: CometBFT's cache or our sequence check refuses it.
        match broadcast_sync(&ch, good).await {
            Err(e) => assert!(e.contains("already exists"), "{e}"),
            Ok((code, log)) => assert_eq!(code, 32, "{log}"),
        }

        // Over the max tx size: refused before it reaches the mempool.
        let huge = sign(
            seq,
            chain,
            vec![cosmrs::Any {
                type_url: "/cosmos.bank.v1beta1.MsgSend".into(),
                value: vec![0u8; openledger_state_machine::ante::MAX_TX_BYTES + 1],
            }],
            "",
            200_000,
            &fees,
        );
        let err = broadcast_sync(&ch, huge)
            .await
            .expect_err("too large must fail");
        assert!(err.contains("tx too large"), "{err}");

        // Nothing above changed state.
        let (_, seq_after) = client::account_numbers(
            &ch,
            &openledger_framework::Address::from_bech32(&dev.from).expect("addr"),
        )
        .await
        .expect("acc");
        assert_eq!(seq_after, 1);
        assert_eq!(node.balance(&dev.from), balance_before);

        // More than the balance: passes CheckTx (ante only), fails in the block with code 5;
        // the fee and the sequence increment are kept, the send is reverted.
        let too_much = sign(
            seq,
            chain,
            vec![msg_send(&dev.from, &node.bob, "999999999999999", "uopen")],
            "",
            200_000,
            &fees,
        );
        let r = client::broadcast(&ch, too_much, BroadcastMode::Block, Duration::from_secs(30))
            .await
            .expect("broadcast");
        assert_eq!(r.code, 5, "{}", r.raw_log);
        assert!(r.raw_log.contains("insufficient funds"), "{}", r.raw_log);
        let (_, seq_after) = client::account_numbers(
            &ch,
            &openledger_framework::Address::from_bech32(&dev.from).expect("addr"),
        )
        .await
        .expect("acc");
        assert_eq!(seq_after, 2);
        assert_eq!(node.balance(&dev.from), balance_before - 5000);
    });
    node.stop();
}

#[test]
fn generic_clients_reflection_and_abci_proofs() {
    if common::cometbft().is_none() {
        return;
    }
    let gopath = std::process::Command::new("go")
        .args(["env", "GOPATH"])
        .output()
        .ok();
    let candidates = [
        gopath
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| format!("{}/bin/grpcurl", s.trim())),
        Some("grpcurl".to_string()),
    ];
    let grpcurl = candidates.into_iter().flatten().find(|c| {
        std::process::Command::new(c)
            .arg("-version")
            .output()
            .is_ok()
    });
    let mut node = TestNode::init();
    node.start();

    match grpcurl {
        None if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires grpcurl (make setup installs it)")
        }
        None => eprintln!("SKIPPED grpcurl part: grpcurl not installed"),
        Some(g) => {
            let list = std::process::Command::new(&g)
                .args(["-plaintext", &node.grpc, "list"])
                .output()
                .expect("grpcurl list");
            let list = String::from_utf8_lossy(&list.stdout);
            for svc in [
                "cosmos.bank.v1beta1.Query",
                "cosmos.auth.v1beta1.Query",
                "cosmos.tx.v1beta1.Service",
                "cosmos.base.tendermint.v1beta1.Service",
                "cosmos.base.node.v1beta1.Service",
                "openledger.datanet.v1.Query",
                "openledger.models.v1.Query",
            ] {
                assert!(list.contains(svc), "reflection should list {svc}: {list}");
            }
            let out = std::process::Command::new(&g)
                .args([
                    "-plaintext",
                    "-d",
                    &format!("{{\"address\":\"{}\"}}", node.dev),
                    &node.grpc,
                    "cosmos.bank.v1beta1.Query/AllBalances",
                ])
                .output()
                .expect("grpcurl call");
            let body = String::from_utf8_lossy(&out.stdout);
            assert!(
                body.contains("\"amount\": \"1000000000000\""),
                "AllBalances via grpcurl: {body}{}",
                String::from_utf8_lossy(&out.stderr)
            );
            // OpenLedger's own services resolve through reflection too (with their Cosmos
            // imports).
            let out = std::process::Command::new(&g)
                .args([
                    "-plaintext",
                    &node.grpc,
                    "openledger.models.v1.Query/Params",
                ])
                .output()
                .expect("grpcurl call");
            let body = String::from_utf8_lossy(&out.stdout);
            assert!(
                body.contains("\"maxAdapterBytes\": \"8388608\""),
                "models Params via grpcurl: {body}{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    // CometBFT-RPC-only clients: ABCI query with the gRPC method path, and a proven store key.
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    rt.block_on(async {
        use prost::Message;
        let comet = tendermint_rpc::HttpClient::new(node.rpc_url().as_str()).expect("rpc");
        let req = cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceRequest {
            address: node.dev.clone(),
            denom: "uopen".into(),
        };
        let r = comet
            .abci_query(
                Some("/cosmos.bank.v1beta1.Query/Balance".into()),
                req.encode_to_vec(),
                None,
                false,
            )
            .await
            .expect("abci_query");
        assert!(r.code.is_ok(), "{}", r.log);
        let resp =
            cosmrs::proto::cosmos::bank::v1beta1::QueryBalanceResponse::decode(r.value.as_slice())
                .expect("decode");
        assert_eq!(resp.balance.expect("balance").amount, "1000000000000");
        // A query handler's error reads as the SDK's baseapp writes it (cosmjs' getAccount
        // answers null for an unknown account only on "rpc error: code = NotFound").
        let r = comet
            .abci_query(
                Some("/cosmos.auth.v1beta1.Query/Account".into()),
                cosmrs::proto::cosmos::auth::v1beta1::QueryAccountRequest {
                    address: node.bob.clone(),
                }
                .encode_to_vec(),
                None,
                false,
            )
            .await
            .expect("abci_query");
        assert_eq!(r.code.value(), 22, "{}", r.log);
        assert!(
            r.log.starts_with("rpc error: code = NotFound desc = ")
                && r.log.ends_with(": key not found"),
            "{}",
            r.log
        );

        let addr = openledger_framework::Address::from_bech32(&node.dev).expect("addr");
        let key = format!("balances/{}/uopen", addr.to_hex());
        let r = comet
            .abci_query(
                Some("store/bank/key".into()),
                key.as_bytes().to_vec(),
                None,
                true,
            )
            .await
            .expect("abci_query");
        assert!(r.code.is_ok(), "{}", r.log);
        assert_eq!(r.value, b"1000000000000".to_vec());
        let ops = r.proof.expect("proof").ops;
        let proofs = ops
            .iter()
            .map(|op| ics23::CommitmentProof::decode(op.data.as_slice()).expect("proof"))
            .collect();
        // The app hash of height h is in the header of block h+1.
        let h = r.height.value();
        let mut next = None;
        for _ in 0..100 {
            if let Ok(b) = comet
                .block(tendermint::block::Height::try_from(h + 1).expect("height"))
                .await
            {
                next = Some(b);
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let next = next.expect("block h+1 within 20 s");
        let app_hash = next.block.header.app_hash.as_bytes().to_vec();
        openledger_framework::store::verify_proof(
            &app_hash,
            &format!("bank/{key}"),
            Some(b"1000000000000"),
            &openledger_framework::store::StoreProof { proofs },
        )
        .expect("proof verifies against the app hash");
    });
    node.stop();
}
