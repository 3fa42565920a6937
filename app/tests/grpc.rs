//! The gRPC server in process, on the real state machine without CometBFT: module queries are
//! routed by their method path into the state machine's query router, at the height the
//! `x-cosmos-block-height` header names; a path no module registered answers `Unimplemented`.

use std::net::TcpListener;
use std::time::Duration;

use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmwasm::wasm::v1 as wasm;
use openledger_node::grpc::{self, HEIGHT_HEADER, Node};
use openledger_state_machine::ante::AnteConfig;
use openledgerd::client;
use openledgerd::testkit::TestChain;

fn balance_request(address: String) -> bank::QueryBalanceRequest {
    bank::QueryBalanceRequest {
        address,
        denom: "uopen".into(),
    }
}

#[test]
fn module_queries_are_served_by_path_at_a_height() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("dir");
    let mut chain = TestChain::new(
        &rt,
        &dir.path().join("app.db"),
        2,
        1_000_000,
        AnteConfig::default(),
    )
    .expect("chain");
    // Height 1 is genesis; at height 2 account 0 sends 1000uopen to account 1.
    let send = chain.send(0, 1, 1_000);
    let outcomes = chain.block(&[send]);
    assert!(outcomes[0].is_ok(), "{:?}", outcomes[0]);
    let receiver = chain.accounts[1].address.to_bech32();

    let addr = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port");
    // No CometBFT: the module queries never need it.
    let node = Node::new(
        chain.app.core.clone(),
        "http://127.0.0.1:1",
        "0uopen".into(),
    )
    .expect("node");
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = rt.spawn(grpc::serve(node, addr, async {
        let _ = stopped.await;
    }));

    rt.block_on(async {
        let url = format!("http://{addr}");
        let mut ch = None;
        for _ in 0..100 {
            if let Ok(c) = client::connect(&url).await {
                ch = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let ch = ch.expect("the gRPC server listens");
        let mut bank = bank::query_client::QueryClient::new(ch.clone());

        let latest = bank
            .balance(balance_request(receiver.clone()))
            .await
            .expect("balance")
            .into_inner();
        assert_eq!(latest.balance.expect("coin").amount, "1001000");

        let mut at_genesis = tonic::Request::new(balance_request(receiver.clone()));
        at_genesis
            .metadata_mut()
            .insert(HEIGHT_HEADER, "1".parse().expect("header"));
        let before = bank
            .balance(at_genesis)
            .await
            .expect("balance at 1")
            .into_inner();
        assert_eq!(before.balance.expect("coin").amount, "1000000");

        // The module's own error, with its gRPC code.
        let bad = bank
            .balance(balance_request("open1nope".into()))
            .await
            .expect_err("a bad address is refused");
        assert_eq!(bad.code(), tonic::Code::InvalidArgument, "{bad:?}");

        // A method of a served service that no module registered.
        let mut wasm = wasm::query_client::QueryClient::new(ch.clone());
        let history = wasm
            .contract_history(wasm::QueryContractHistoryRequest {
                address: receiver.clone(),
                pagination: None,
            })
            .await
            .expect_err("not served");
        assert_eq!(history.code(), tonic::Code::Unimplemented, "{history:?}");

        // A service nobody registered.
        let none: anyhow::Result<bank::QueryBalanceResponse> = client::grpc_query_at(
            &ch,
            "/cosmos.nothing.v1.Query/Balance",
            balance_request(receiver.clone()),
            None,
        )
        .await;
        assert!(none.is_err());
    });
    let _ = stop.send(());
    rt.block_on(server).expect("join").expect("server");
}
