//! Genesis in the Cosmos JSON shape (export → import → export is the identity) and gentxs.

mod common;

use common::*;
use cosmrs::proto::cosmos::tx::v1beta1::{TxBody, TxRaw};
use openledger_framework::{KvRead, pack_any};
use openledger_staking::genesis::{GenTx, decode_gentx};
use prost::Message;

fn gentx_bytes(msgs: Vec<cosmrs::Any>) -> Vec<u8> {
    let body = TxBody {
        messages: msgs,
        ..Default::default()
    };
    TxRaw {
        body_bytes: body.encode_to_vec(),
        auth_info_bytes: Vec::new(),
        signatures: Vec::new(),
    }
    .encode_to_vec()
}

#[test]
fn export_import_roundtrip_in_the_cosmos_shape() {
    let mut chain = Chain::new(6, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.send(&create_validator(2, 2, 20 * OPEN)).unwrap();
    chain.send(&delegate(3, 1, 5 * OPEN)).unwrap();
    chain.send(&delegate(4, 2, 5 * OPEN)).unwrap();
    chain.next_block(5);
    chain.send(&undelegate(3, 1, 2 * OPEN)).unwrap();
    chain.send(&redelegate(4, 2, 1, OPEN)).unwrap();
    chain.next_block(5);

    let staking = openledger_staking::genesis::export(chain.keeper(), &chain.state).unwrap();
    let bank = openledger_bank::genesis::export(&chain.bank, &chain.state).unwrap();
    assert_eq!(staking["last_total_power"], "38");
    assert_eq!(staking["params"]["unbonding_time"], "1814400s");
    assert_eq!(staking["params"]["bond_denom"], "uopen");
    let v = &staking["validators"][0];
    assert_eq!(
        v["consensus_pubkey"]["@type"],
        "/cosmos.crypto.ed25519.PubKey"
    );
    assert_eq!(v["status"], "BOND_STATUS_BONDED");
    assert!(v["delegator_shares"].as_str().unwrap().contains('.'), "{v}");
    assert_eq!(
        staking["unbonding_delegations"].as_array().unwrap().len(),
        1
    );
    assert_eq!(staking["redelegations"].as_array().unwrap().len(), 1);

    let mut imported = Chain::with_genesis(bank, staking.clone());
    imported.block = chain.block.clone();
    let again = openledger_staking::genesis::export(imported.keeper(), &imported.state).unwrap();
    assert_eq!(again, staking);
    imported.check_invariants();
    // The imported set is what CometBFT already has: no updates, and the full set on request.
    let mut s: &dyn KvRead = &imported.state;
    let set = imported.keeper().validator_set(&mut s).unwrap();
    assert_eq!(set.len(), 2);
    let keeper = imported.keeper().clone();
    let init = imported
        .run(|c| keeper.init_chain_validators(c, &[]))
        .unwrap();
    assert_eq!(init, set);
    assert!(imported.next_block(5).is_empty());
    // The unbonding still matures after import.
    imported.next_block(21 * DAY);
    imported.next_block(5);
    assert_eq!(imported.balance(&addr(3)), 97 * OPEN);
    imported.check_invariants();
}

#[test]
fn genesis_rejects_pools_that_do_not_match() {
    let mut chain = Chain::new(3, 100 * OPEN);
    chain.send(&create_validator(1, 1, 10 * OPEN)).unwrap();
    chain.next_block(5);
    let staking = openledger_staking::genesis::export(chain.keeper(), &chain.state).unwrap();
    // Bank genesis without the pools' balances.
    let bank = serde_json::json!({
        "balances": [{"address": addr(1).to_bech32(), "coins": [{"denom": "uopen", "amount": "90000000"}]}],
    });
    let result = std::panic::catch_unwind(|| Chain::with_genesis(bank, staking));
    assert!(
        result.is_err(),
        "a genesis whose pools do not hold the stake must fail"
    );
}

#[test]
fn gentxs_make_the_first_validator_set() {
    let mut chain = Chain::new(4, 100 * OPEN);
    let tx = gentx_bytes(vec![pack_any(&create_validator(1, 1, 10 * OPEN))]);
    assert_eq!(
        decode_gentx(&tx).unwrap().validator_address,
        openledger_staking::valoper(&addr(1))
    );
    let keeper = chain.keeper().clone();
    let updates = chain
        .run(|c| {
            keeper.deliver_gentxs(
                c,
                &[
                    GenTx::TxBytes(tx.clone()),
                    GenTx::Msg(Box::new(create_validator(2, 2, 30 * OPEN))),
                ],
            )
        })
        .unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(
        (updates[0].pub_key_ed25519, updates[0].power),
        (pubkey(2), 30)
    );
    assert_eq!(
        (updates[1].pub_key_ed25519, updates[1].power),
        (pubkey(1), 10)
    );
    assert_eq!(chain.balance(&addr(1)), 90 * OPEN);
    chain.check_invariants();
    assert!(chain.next_block(5).is_empty());

    // A gentx with two messages, a used key, or garbage: genesis fails naming the gentx.
    let two = gentx_bytes(vec![
        pack_any(&create_validator(3, 3, OPEN)),
        pack_any(&create_validator(4, 4, OPEN)),
    ]);
    let err = chain
        .run(|c| keeper.deliver_gentxs(c, &[GenTx::TxBytes(two)]))
        .unwrap_err();
    assert!(err.message.starts_with("gentx 0"), "{err:?}");
    let err = chain
        .run(|c| {
            keeper.deliver_gentxs(
                c,
                &[
                    GenTx::Msg(Box::new(create_validator(3, 3, OPEN))),
                    GenTx::Msg(Box::new(create_validator(4, 1, OPEN))),
                ],
            )
        })
        .unwrap_err();
    assert!(err.message.starts_with("gentx 1"), "{err:?}");
    assert!(decode_gentx(b"not a tx").is_err());
}
