//! The host running real compiled contracts: store, instantiate, execute with funds, queries,
//! migration and admin, submessages and replies, misbehaviour (loops, panics, failures), the
//! query depth limit, gRPC queries and genesis.
#![allow(clippy::unwrap_used)] // test helpers: a failed unwrap is a failed test

mod common;

use common::{Chain, addr, artifact, attr, coins, event};
use cosmrs::proto::cosmwasm::wasm::v1::*;
use openledger_framework::Coins;
use openledger_wasm::{WasmKeeper, predictable_contract_address};
use serde_json::json;

const DENOM: &str = "uopen";

fn j(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn count(chain: &Chain, contract: &openledger_framework::Address) -> u64 {
    let out = chain
        .keeper
        .query_smart_at(chain.state(), contract, &j(json!({"count": {}})))
        .unwrap();
    serde_json::from_slice(&out).unwrap()
}

/// A chain with test-misbehave stored as code 1 and instantiated (count 5) by `addr(1)`, who is
/// its admin. `None` when the artifact is missing locally.
fn setup() -> Option<(Chain, openledger_framework::Address)> {
    let wasm = artifact("test_misbehave")?;
    let mut chain = Chain::new();
    let creator = addr(1);
    chain.fund(&creator, coins(1_000_000, DENOM));
    let (code_id, _) = chain.ok(|k, ctx| k.store_code(ctx, &creator, &wasm, None));
    assert_eq!(code_id, 1);
    let (contract, _) = chain.ok(|k, ctx| {
        k.instantiate(
            ctx,
            &creator,
            Some(creator),
            code_id,
            "misbehave",
            &j(json!({"count": 5})),
            &Coins::new(),
        )
    });
    Some((chain, contract))
}

#[test]
fn store_instantiate_execute_with_funds_and_query() {
    let Some(wasm) = artifact("test_misbehave") else {
        return;
    };
    let mut chain = Chain::new();
    let creator = addr(1);
    chain.fund(&creator, coins(1_000_000, DENOM));

    let stored = chain.tx(50_000_000, |k, ctx| {
        k.store_code(ctx, &creator, &wasm, None)
    });
    let (code_id, checksum) = stored.result.unwrap();
    assert_eq!(code_id, 1);
    let e = event(&stored.events, "store_code").unwrap();
    assert_eq!(attr(e, "code_id"), Some("1"));
    assert_eq!(
        attr(e, "code_checksum"),
        Some(hex::encode(checksum).as_str())
    );

    let inst = chain.tx(50_000_000, |k, ctx| {
        k.instantiate(
            ctx,
            &creator,
            None,
            code_id,
            "counter",
            &j(json!({"count": 5})),
            &coins(1000, DENOM),
        )
    });
    let (contract, data) = inst.result.unwrap();
    assert_eq!(contract, openledger_wasm::classic_contract_address(1, 1));
    assert_eq!(contract.as_bytes().len(), 32);
    assert_eq!(data.as_deref(), Some(&b"created"[..]));
    let e = event(&inst.events, "instantiate").unwrap();
    assert_eq!(
        attr(e, "_contract_address"),
        Some(contract.to_bech32().as_str())
    );
    assert_eq!(attr(e, "code_id"), Some("1"));
    let w = event(&inst.events, "wasm").unwrap();
    assert_eq!(attr(w, "action"), Some("instantiate"));
    assert_eq!(chain.balance(&contract, DENOM), 1000);
    assert_eq!(chain.balance(&creator, DENOM), 999_000);

    let exec = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &creator,
            &contract,
            &j(json!({"increment": {}})),
            &coins(500, DENOM),
        )
    });
    eprintln!(
        "test-misbehave: store {} gas, instantiate {} gas, increment with funds {} gas",
        stored.gas_used, inst.gas_used, exec.gas_used
    );
    let data = exec.result.unwrap().unwrap();
    assert_eq!(data, 6u64.to_be_bytes());
    assert_eq!(chain.balance(&contract, DENOM), 1500);
    let e = event(&exec.events, "execute").unwrap();
    assert_eq!(
        attr(e, "_contract_address"),
        Some(contract.to_bech32().as_str())
    );
    let custom = event(&exec.events, "wasm-counted").unwrap();
    assert_eq!(
        attr(custom, "_contract_address"),
        Some(contract.to_bech32().as_str())
    );
    assert_eq!(attr(custom, "count"), Some("6"));
    assert!(
        event(&exec.events, "transfer").is_some(),
        "funds moved by bank"
    );

    assert_eq!(count(&chain, &contract), 6);
    let raw = chain
        .keeper
        .query_raw(&mut chain.state(), &contract, b"count")
        .unwrap();
    assert_eq!(raw, Some(6u64.to_be_bytes().to_vec()));

    // The contract sees its balance through the querier.
    let out = chain
        .keeper
        .query_smart_at(
            chain.state(),
            &contract,
            &j(json!({"balance": {"denom": DENOM}})),
        )
        .unwrap();
    let coin: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(coin["amount"], "1500");

    // Funds the sender does not have: nothing changes.
    let poor = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &addr(9),
            &contract,
            &j(json!({"increment": {}})),
            &coins(1, DENOM),
        )
    });
    let err = poor.result.unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        ("sdk", 5),
        "{}",
        err.message
    );
    assert_eq!(count(&chain, &contract), 6);
}

#[test]
fn grpc_queries() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    chain.ok(|k, ctx| {
        k.execute(
            ctx,
            &addr(2),
            &contract,
            &j(json!({"increment": {}})),
            &Coins::new(),
        )
    });
    let s = chain.state();
    let q = &chain.queries;
    let info: QueryContractInfoResponse = q
        .query(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            s,
            &QueryContractInfoRequest {
                address: contract.to_bech32(),
            },
        )
        .unwrap();
    let ci = info.contract_info.unwrap();
    assert_eq!((ci.code_id, ci.label.as_str()), (1, "misbehave"));
    assert_eq!(ci.admin, addr(1).to_bech32());
    let smart: QuerySmartContractStateResponse = q
        .query(
            "/cosmwasm.wasm.v1.Query/SmartContractState",
            s,
            &QuerySmartContractStateRequest {
                address: contract.to_bech32(),
                query_data: j(json!({"count": {}})),
            },
        )
        .unwrap();
    assert_eq!(smart.data, b"6");
    let raw: QueryRawContractStateResponse = q
        .query(
            "/cosmwasm.wasm.v1.Query/RawContractState",
            s,
            &QueryRawContractStateRequest {
                address: contract.to_bech32(),
                query_data: b"count".to_vec(),
            },
        )
        .unwrap();
    assert_eq!(raw.data, 6u64.to_be_bytes());
    let by_code: QueryContractsByCodeResponse = q
        .query(
            "/cosmwasm.wasm.v1.Query/ContractsByCode",
            s,
            &QueryContractsByCodeRequest {
                code_id: 1,
                pagination: None,
            },
        )
        .unwrap();
    assert_eq!(by_code.contracts, vec![contract.to_bech32()]);
    let code: QueryCodeResponse = q
        .query(
            "/cosmwasm.wasm.v1.Query/Code",
            s,
            &QueryCodeRequest { code_id: 1 },
        )
        .unwrap();
    assert_eq!(code.data, artifact("test_misbehave").unwrap());
    let codes: QueryCodesResponse = q
        .query(
            "/cosmwasm.wasm.v1.Query/Codes",
            s,
            &QueryCodesRequest { pagination: None },
        )
        .unwrap();
    assert_eq!(codes.code_infos.len(), 1);
    let params: QueryParamsResponse = q
        .query("/cosmwasm.wasm.v1.Query/Params", s, &QueryParamsRequest {})
        .unwrap();
    assert_eq!(
        params.params.unwrap().instantiate_default_permission,
        AccessType::Everybody as i32
    );
    let err = q
        .query::<_, QueryContractInfoResponse>(
            "/cosmwasm.wasm.v1.Query/ContractInfo",
            s,
            &QueryContractInfoRequest {
                address: addr(7).to_bech32(),
            },
        )
        .unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("wasm", 22));
}

#[test]
fn migrate_and_admin() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    let admin = addr(1);
    let stranger = addr(2);
    // Store the same code again as code 2 to migrate to.
    let wasm = artifact("test_misbehave").unwrap();
    let (code2, _) = chain.ok(|k, ctx| k.store_code(ctx, &stranger, &wasm, None));
    assert_eq!(code2, 2);

    let denied = chain.tx(50_000_000, |k, ctx| {
        k.migrate(ctx, &stranger, &contract, code2, &j(json!({"count": 100})))
    });
    let err = denied.result.unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("sdk", 4));

    let migrated = chain.tx(50_000_000, |k, ctx| {
        k.migrate(ctx, &admin, &contract, code2, &j(json!({"count": 100})))
    });
    migrated.result.unwrap();
    assert_eq!(
        attr(event(&migrated.events, "migrate").unwrap(), "code_id"),
        Some("2")
    );
    assert_eq!(count(&chain, &contract), 100);
    assert_eq!(
        chain
            .keeper
            .contract_info(&mut chain.state(), &contract)
            .unwrap()
            .code_id,
        2
    );
    assert!(
        chain
            .keeper
            .contracts_by_code(&mut chain.state(), 1)
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        chain
            .keeper
            .contracts_by_code(&mut chain.state(), 2)
            .unwrap(),
        vec![contract]
    );

    chain.ok(|k, ctx| k.update_admin(ctx, &admin, &contract, Some(stranger)));
    let old_admin = chain.tx(50_000_000, |k, ctx| {
        k.migrate(ctx, &admin, &contract, 1, &j(json!({"count": 1})))
    });
    assert!(old_admin.result.is_err());
    chain.ok(|k, ctx| k.update_admin(ctx, &stranger, &contract, None));
    let info = chain
        .keeper
        .contract_info(&mut chain.state(), &contract)
        .unwrap();
    assert_eq!(info.admin, "");
    let nobody = chain.tx(50_000_000, |k, ctx| {
        k.migrate(ctx, &stranger, &contract, 1, &j(json!({"count": 1})))
    });
    assert!(nobody.result.is_err());
}

#[test]
fn failed_submessage_reverts_the_parent_unless_it_replies_on_error() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    let user = addr(3);
    let no_reply = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &user,
            &contract,
            &j(json!({"submsg_fail": {"reply_on_error": false}})),
            &Coins::new(),
        )
    });
    let err = no_reply.result.unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        ("wasm", 5),
        "{}",
        err.message
    );
    assert!(err.message.contains("asked to fail"), "{}", err.message);
    assert_eq!(
        count(&chain, &contract),
        5,
        "the parent's increment was reverted"
    );

    let replied = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &user,
            &contract,
            &j(json!({"submsg_fail": {"reply_on_error": true}})),
            &Coins::new(),
        )
    });
    let data = replied.result.unwrap();
    assert_eq!(
        data.as_deref(),
        Some(&b"replied"[..]),
        "the reply's data replaces the parent's"
    );
    assert_eq!(
        count(&chain, &contract),
        6,
        "the parent's increment is kept"
    );
    let last = chain
        .keeper
        .query_smart_at(chain.state(), &contract, &j(json!({"last_reply": {}})))
        .unwrap();
    let last: String = serde_json::from_slice(&last).unwrap();
    assert_eq!(last, "7:err: codespace: wasm, code: 5");
    assert!(event(&replied.events, "reply").is_some());
}

#[test]
fn successful_submessage_replies_with_its_events_and_data() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    let r = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"submsg_ok": {}})),
            &Coins::new(),
        )
    });
    assert_eq!(r.result.unwrap().as_deref(), Some(&b"replied"[..]));
    assert_eq!(count(&chain, &contract), 6);
    let execs = r.events.iter().filter(|e| e.kind == "execute").count();
    assert_eq!(execs, 2, "parent and submessage");
    let last = chain
        .keeper
        .query_smart_at(chain.state(), &contract, &j(json!({"last_reply": {}})))
        .unwrap();
    assert_eq!(serde_json::from_slice::<String>(&last).unwrap(), "8:ok");
}

#[test]
fn bank_messages_from_contracts() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    let user = addr(4);
    chain.fund(&contract, coins(100, DENOM));
    let too_much = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &user,
            &contract,
            &j(json!({"send": {"to": user.to_bech32(), "amount": [{"denom": DENOM, "amount": "101"}]}})),
            &Coins::new(),
        )
    });
    let err = too_much.result.unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        ("sdk", 5),
        "{}",
        err.message
    );
    assert_eq!(chain.balance(&contract, DENOM), 100);
    chain.ok(|k, ctx| {
        k.execute(
            ctx,
            &user,
            &contract,
            &j(json!({"send": {"to": user.to_bech32(), "amount": [{"denom": DENOM, "amount": "60"}]}})),
            &Coins::new(),
        )
    });
    assert_eq!(chain.balance(&contract, DENOM), 40);
    assert_eq!(chain.balance(&user, DENOM), 60);
}

#[test]
fn endless_loop_runs_out_of_gas_and_changes_nothing() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    let limit = 2_000_000;
    let before = chain.changes().clone();
    let r = chain.tx(limit, |k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"loop": {}})),
            &Coins::new(),
        )
    });
    let err = r.result.unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        ("sdk", 11),
        "{}",
        err.message
    );
    assert_eq!(r.gas_used, limit);
    assert_eq!(chain.changes(), &before);

    // A query loop stops at the query gas limit.
    let err = chain
        .keeper
        .query_smart_at(chain.state(), &contract, &j(json!({"loop": {}})))
        .unwrap_err();
    assert_eq!(
        (err.codespace.as_str(), err.code),
        ("sdk", 11),
        "{}",
        err.message
    );
}

#[test]
fn panic_and_error_fail_the_call() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    let r = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"panic": {}})),
            &Coins::new(),
        )
    });
    let err = r.result.unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("wasm", 5));
    assert!(
        err.message.to_lowercase().contains("abort") || err.message.contains("panic"),
        "{}",
        err.message
    );
    assert!(
        r.gas_used > 60_000,
        "the instance cost and VM gas are charged"
    );
    let r = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"fail": {}})),
            &Coins::new(),
        )
    });
    assert!(r.result.unwrap_err().message.contains("asked to fail"));
    let bad_json = chain.tx(50_000_000, |k, ctx| {
        k.execute(ctx, &addr(3), &contract, b"{not json", &Coins::new())
    });
    assert_eq!(bad_json.result.unwrap_err().code, 10);
    let unknown = chain.tx(50_000_000, |k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"no_such_msg": {}})),
            &Coins::new(),
        )
    });
    assert_eq!(unknown.result.unwrap_err().code, 5);
}

#[test]
fn query_depth_is_limited() {
    let Some((chain, contract)) = setup() else {
        return;
    };
    let ok = chain
        .keeper
        .query_smart_at(
            chain.state(),
            &contract,
            &j(json!({"recurse": {"depth": 5}})),
        )
        .unwrap();
    assert_eq!(ok, b"5");
    let err = chain
        .keeper
        .query_smart_at(
            chain.state(),
            &contract,
            &j(json!({"recurse": {"depth": 30}})),
        )
        .unwrap_err();
    assert!(
        err.message.contains("max query stack size exceeded"),
        "{}",
        err.message
    );
}

#[test]
fn storage_ranges_in_both_orders() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    chain.ok(|k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"set_items": {"items": [["b", "2"], ["a", "1"], ["d", "4"], ["c", "3"]]}})),
            &Coins::new(),
        )
    });
    let items =
        |start: Option<&str>, end: Option<&str>, descending: bool| -> Vec<(String, String)> {
            let out = chain
                .keeper
                .query_smart_at(
                    chain.state(),
                    &contract,
                    &j(json!({"items": {"start": start, "end": end, "descending": descending}})),
                )
                .unwrap();
            serde_json::from_slice(&out).unwrap()
        };
    let keys = |v: Vec<(String, String)>| v.into_iter().map(|(k, _)| k).collect::<Vec<_>>();
    assert_eq!(keys(items(None, None, false)), ["a", "b", "c", "d"]);
    assert_eq!(keys(items(None, None, true)), ["d", "c", "b", "a"]);
    assert_eq!(keys(items(Some("b"), Some("d"), false)), ["b", "c"]);
    assert_eq!(keys(items(Some("b"), Some("d"), true)), ["c", "b"]);
}

#[test]
fn instantiate2_uses_the_predictable_address() {
    let Some((mut chain, _)) = setup() else {
        return;
    };
    let creator = addr(1);
    let code = chain.keeper.code_info(&mut chain.state(), 1).unwrap();
    let (contract, _) = chain.ok(|k, ctx| {
        k.instantiate2(
            ctx,
            &creator,
            None,
            1,
            "two",
            &j(json!({"count": 0})),
            &Coins::new(),
            b"salt",
            false,
        )
    });
    assert_eq!(
        contract,
        predictable_contract_address(&code.code_hash, &creator, b"salt", b"")
    );
    // The same salt again collides.
    let again = chain.tx(50_000_000, |k, ctx| {
        k.instantiate2(
            ctx,
            &creator,
            None,
            1,
            "two",
            &j(json!({"count": 0})),
            &Coins::new(),
            b"salt",
            false,
        )
    });
    assert_eq!(again.result.unwrap_err().code, 3);
}

#[test]
fn genesis_export_and_import() {
    let Some((mut chain, contract)) = setup() else {
        return;
    };
    chain.ok(|k, ctx| {
        k.execute(
            ctx,
            &addr(3),
            &contract,
            &j(json!({"increment": {}})),
            &Coins::new(),
        )
    });
    let module = openledger_wasm::WasmModule::new(chain.keeper.clone());
    let exported = openledger_framework::Module::export_genesis(&module, chain.state()).unwrap();
    assert_eq!(exported["codes"][0]["code_id"], "1");

    let mut fresh = Chain::new();
    let fresh_module = openledger_wasm::WasmModule::new(fresh.keeper.clone());
    fresh.ok(|_, ctx| openledger_framework::Module::init_genesis(&fresh_module, ctx, &exported));
    assert_eq!(count(&fresh, &contract), 6);
    assert_eq!(
        openledger_framework::Module::export_genesis(&fresh_module, fresh.state()).unwrap(),
        exported
    );
    // New contracts continue the sequences.
    let (next, _) = fresh.ok(|k, ctx| {
        k.instantiate(
            ctx,
            &addr(1),
            None,
            1,
            "next",
            &j(json!({"count": 0})),
            &Coins::new(),
        )
    });
    assert_eq!(next, openledger_wasm::classic_contract_address(1, 2));
}

#[test]
fn repo_contracts_pass_the_static_checks() {
    for name in ["model_license", "extension_template"] {
        let Some(wasm) = artifact(name) else {
            continue;
        };
        let mut chain = Chain::new();
        let (code_id, _) = chain.ok(|k, ctx| k.store_code(ctx, &addr(1), &wasm, None));
        assert_eq!(code_id, 1, "{name}");
    }
}

fn _keeper_is_send_sync() {
    fn check<T: Send + Sync>() {}
    check::<WasmKeeper>();
    check::<openledger_wasm::WasmModule>();
}

#[test]
fn state_reads_only_through_the_keeper() {
    let Some((chain, contract)) = setup() else {
        return;
    };
    // Contract storage sits under the contract's hex address, keys hex-encoded.
    let key = format!("wasm/store/{}/{}", contract.to_hex(), hex::encode(b"count"));
    assert_eq!(
        chain.state().get(&key).unwrap(),
        Some(5u64.to_be_bytes().to_vec())
    );
}
