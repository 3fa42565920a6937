//! Genesis export → import, queries, and the staking hooks' bookkeeping.

mod common;

use common::*;
use cosmrs::proto::cosmos::base::query::v1beta1::PageRequest;
use cosmrs::proto::cosmos::slashing::v1beta1::{
    QuerySigningInfoRequest, QuerySigningInfoResponse, QuerySigningInfosRequest,
    QuerySigningInfosResponse,
};
use openledger_framework::context::ExecMode;
use openledger_framework::store::{EmptyState, Overlay};
use openledger_framework::{BlockInfo, Ctx, GasMeter, Module};
use openledger_slashing::{DOUBLE_SIGN_JAIL_END, valcons};

/// Validators 1–3 on a window of 10: 1 missed some blocks, 3 double-signed.
fn busy_chain() -> Chain {
    let mut c = chain_with_validators(3, 100, small_window(10));
    for i in 0..7 {
        let absent: &[u8] = if i % 3 == 0 { &[1] } else { &[] };
        c.next_block(5, absent);
    }
    c.end_block();
    let votes = c.votes(&[]);
    let ev = c.double_sign(3, c.block.height as i64 - 1, 5, 100);
    c.begin_block(5, votes, vec![ev]);
    c
}

fn import(
    genesis: &serde_json::Value,
) -> Result<Overlay<EmptyState>, openledger_framework::AbciError> {
    let fresh = Chain::new(0, 0);
    let module = fresh.slashing.clone();
    let block = BlockInfo::default();
    let mut state = Overlay::new(EmptyState);
    let mut gas = GasMeter::infinite();
    let mut events = Vec::new();
    let mut ctx = Ctx::new(&block, ExecMode::Genesis, &mut state, &mut gas, &mut events);
    module.init_genesis(&mut ctx, genesis)?;
    Ok(state)
}

#[test]
fn genesis_round_trips_in_the_cosmos_shape() {
    let c = busy_chain();
    let exported = c.slashing.export_genesis(&c.state).unwrap();

    // The SDK's JSON: int64 as strings, decimals with 18 places, durations, RFC 3339.
    let p = &exported["params"];
    assert_eq!(p["signed_blocks_window"], "10");
    assert_eq!(p["min_signed_per_window"], "0.500000000000000000");
    assert_eq!(p["downtime_jail_duration"], "600s");
    assert_eq!(p["slash_fraction_double_sign"], "0.050000000000000000");
    let infos = exported["signing_infos"].as_array().unwrap();
    assert_eq!(infos.len(), 3);
    let one = infos
        .iter()
        .find(|i| i["address"] == valcons(&cons(1)))
        .unwrap();
    let vsi = &one["validator_signing_info"];
    assert_eq!(vsi["address"], valcons(&cons(1)));
    assert_eq!(vsi["start_height"], "1");
    assert_eq!(vsi["index_offset"], "9");
    assert_eq!(vsi["missed_blocks_counter"], "3");
    assert_eq!(vsi["jailed_until"], "1970-01-01T00:00:00Z");
    assert_eq!(vsi["tombstoned"], false);
    let three = infos
        .iter()
        .find(|i| i["address"] == valcons(&cons(3)))
        .unwrap();
    assert_eq!(three["validator_signing_info"]["tombstoned"], true);
    assert_eq!(
        three["validator_signing_info"]["jailed_until"],
        "9999-12-31T23:59:59Z"
    );
    let missed = exported["missed_blocks"].as_array().unwrap();
    let m1 = missed
        .iter()
        .find(|m| m["address"] == valcons(&cons(1)))
        .unwrap();
    let idx: Vec<&str> = m1["missed_blocks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            assert_eq!(b["missed"], true);
            b["index"].as_str().unwrap()
        })
        .collect();
    assert_eq!(idx, ["1", "4", "7"]);

    let state = import(&exported).unwrap();
    let again = c.slashing.export_genesis(&state).unwrap();
    assert_eq!(again, exported);
    let mut s: &dyn openledger_framework::KvRead = &state;
    let info3 = c.keeper().signing_info(&mut s, &cons(3)).unwrap().unwrap();
    assert!(info3.tombstoned && info3.jailed_until == DOUBLE_SIGN_JAIL_END);
    assert_eq!(
        c.keeper().missed_indexes(&mut s, &cons(1)).unwrap(),
        [1, 4, 7]
    );
}

#[test]
fn bad_genesis_is_refused() {
    let c = busy_chain();
    let good = c.slashing.export_genesis(&c.state).unwrap();
    let mut cases = Vec::new();
    let mut g = good.clone();
    g["params"]["signed_blocks_window"] = "0".into();
    cases.push(g);
    let mut g = good.clone();
    g["params"]["slash_fraction_downtime"] = "1.5".into();
    cases.push(g);
    let mut g = good.clone();
    g["params"]["downtime_jail_duration"] = "ten minutes".into();
    cases.push(g);
    let mut g = good.clone();
    g["signing_infos"][0]["address"] = addr(1).to_bech32().into();
    cases.push(g);
    let mut g = good.clone();
    let first = g["signing_infos"][0].clone();
    g["signing_infos"].as_array_mut().unwrap().push(first);
    cases.push(g);
    let mut g = good.clone();
    g["signing_infos"][0]["validator_signing_info"]["missed_blocks_counter"] = "9".into();
    cases.push(g);
    let mut g = good.clone();
    g["missed_blocks"][0]["missed_blocks"] = serde_json::json!([{"index": "10", "missed": true}]);
    cases.push(g);
    let mut g = good.clone();
    g["signing_infos"][0]["validator_signing_info"]["jailed_until"] = "yesterday".into();
    cases.push(g);
    for (i, g) in cases.iter().enumerate() {
        let err = import(g)
            .err()
            .unwrap_or_else(|| panic!("case {i} accepted"));
        assert_eq!(err.codespace, "slashing", "case {i}: {}", err.message);
    }
    // Numbers are accepted for int64 fields; an empty genesis means default params.
    let mut g = good.clone();
    g["params"]["signed_blocks_window"] = 10.into();
    import(&g).unwrap();
    import(&serde_json::Value::Null).unwrap();
}

#[test]
fn signing_info_queries() {
    let c = busy_chain();
    let r: QuerySigningInfoResponse = c
        .query(
            "SigningInfo",
            &QuerySigningInfoRequest {
                cons_address: valcons(&cons(1)),
            },
        )
        .unwrap();
    let info = r.val_signing_info.unwrap();
    assert_eq!(info.address, valcons(&cons(1)));
    assert_eq!(info.missed_blocks_counter, 3);

    let err = c
        .query::<_, QuerySigningInfoResponse>(
            "SigningInfo",
            &QuerySigningInfoRequest {
                cons_address: valcons(&cons(77)),
            },
        )
        .unwrap_err();
    assert_eq!((err.codespace.as_str(), err.code), ("slashing", 8));
    for bad in ["", "openvalcons1garbage", &addr(1).to_bech32()] {
        let err = c
            .query::<_, QuerySigningInfoResponse>(
                "SigningInfo",
                &QuerySigningInfoRequest {
                    cons_address: bad.to_string(),
                },
            )
            .unwrap_err();
        assert_eq!(err.codespace, "slashing", "{bad}");
    }

    let page = |key: Vec<u8>| -> QuerySigningInfosResponse {
        c.query(
            "SigningInfos",
            &QuerySigningInfosRequest {
                pagination: Some(PageRequest {
                    key,
                    limit: 2,
                    count_total: true,
                    ..Default::default()
                }),
            },
        )
        .unwrap()
    };
    let first = page(Vec::new());
    assert_eq!(first.info.len(), 2);
    let p = first.pagination.unwrap();
    assert_eq!(p.total, 3);
    let second = page(p.next_key);
    assert_eq!(second.info.len(), 1);
    assert!(second.pagination.unwrap().next_key.is_empty());
    let mut all: Vec<String> = first
        .info
        .iter()
        .chain(&second.info)
        .map(|i| i.address.clone())
        .collect();
    let sorted = {
        let mut v = all.clone();
        v.sort_by_key(|a| openledger_slashing::parse_valcons(a).unwrap());
        v
    };
    assert_eq!(all, sorted, "by consensus address");
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 3);
}

#[test]
fn removed_validators_lose_their_records_unless_tombstoned() {
    let mut c = busy_chain();
    assert!(!c.missed(1).is_empty());
    // Validator 1 (with missed blocks) and 3 (tombstoned) leave entirely.
    for n in [1u8, 3] {
        let tokens = c.validator(n).tokens;
        c.send(&undelegate(n, n, tokens)).unwrap();
        assert!(c.validator(n).jailed);
    }
    c.next_block(5, &[]);
    c.next_block(
        openledger_staking::params::DEFAULT_UNBONDING_SECONDS + 10,
        &[],
    );
    c.next_block(5, &[]);
    let mut s: &dyn openledger_framework::KvRead = &c.state;
    for n in [1u8, 3] {
        assert!(
            c.staking_keeper()
                .validator(&mut s, &addr(n))
                .unwrap()
                .is_none(),
            "validator {n} removed"
        );
        assert!(c.missed(n).is_empty());
    }
    assert!(c.signing_info(1).is_none());
    let info3 = c.signing_info(3).unwrap();
    assert!(info3.tombstoned);
    assert!(c.signing_info(2).is_some());
}

#[test]
fn genesis_gives_bonded_validators_without_a_record_a_fresh_one() {
    let mut c = busy_chain();
    let slashing = c.slashing.clone();
    let genesis = serde_json::json!({ "params": small_window(10)["params"].clone() });
    c.run(|ctx| {
        ctx.delete(openledger_slashing::keys::signing_info(&cons(2)))?;
        slashing.init_genesis(ctx, &genesis)
    })
    .unwrap();
    let info = c.signing_info(2).unwrap();
    assert_eq!(info.start_height, c.block.height as i64);
    assert_eq!(info.missed_blocks_counter, 0);
    // Validator 3 is jailed and out of the set, but its record was there already.
    assert!(c.signing_info(3).unwrap().tombstoned);
}
