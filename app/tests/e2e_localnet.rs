//! Multi-validator networks on the real cometbft, started by `localnet/start.sh`: consensus
//! across validators, crash and catch-up, a new validator joining, staking with rewards and
//! unbonding, downtime jailing and unjail, governance, and bad input. Networks run one at a
//! time (they share two cores); every wait is bounded and every node is stopped on drop.
//!
//! Over 600 lines: one test binary for the multi-validator scenarios (each file under tests/ is a
//! binary that links the whole node, so splitting it costs build time on every run).

mod common;

use std::sync::Mutex;
use std::time::Duration;

use common::localnet::{CHAIN_ID, Localnet, Node, grpc_at};
use common::{cometbft, num, run_ok, wait_until};
use cosmrs::proto::cosmos::bank::v1beta1 as bank;
use cosmrs::proto::cosmos::distribution::v1beta1 as distr;
use cosmrs::proto::cosmos::staking::v1beta1 as staking;
use openledger_framework::{Address, Dec};
use serde_json::{Value, json};

/// One network at a time.
static NETWORK: Mutex<()> = Mutex::new(());

const WAIT: Duration = Duration::from_secs(120);
const OPEN: u128 = 1_000_000;

/// Short periods so that unbonding, jailing and voting finish within a test.
fn fast_params() -> Value {
    json!({
        "staking": {"params": {"unbonding_time": "20s"}},
        "slashing": {"params": {
            "signed_blocks_window": "10",
            "min_signed_per_window": "0.500000000000000000",
            "downtime_jail_duration": "10s"
        }},
        "gov": {"params": {
            "voting_period": "15s",
            "max_deposit_period": "15s",
            "expedited_voting_period": "10s"
        }}
    })
}

/// Every pair of nodes in `which` reports the same app hash at every height they share.
fn assert_same_app_hashes(net: &Localnet, which: &[usize]) -> u64 {
    let top = which
        .iter()
        .map(|&i| net.nodes[i].height().expect("height"))
        .min()
        .expect("nodes");
    for h in 1..top {
        let hashes: Vec<String> = which
            .iter()
            .map(|&i| {
                net.nodes[i]
                    .app_hash_after(h)
                    .unwrap_or_else(|| panic!("node{i}: no block {}", h + 1))
            })
            .collect();
        assert!(
            hashes.windows(2).all(|w| w[0] == w[1]),
            "app hashes differ after block {h}: {hashes:?}"
        );
    }
    top
}

fn lock() -> std::sync::MutexGuard<'static, ()> {
    NETWORK.lock().unwrap_or_else(|e| e.into_inner())
}

#[test]
fn validators_agree_survive_a_crash_and_admit_a_new_validator() {
    let _one = lock();
    if cometbft().is_none() {
        return;
    }
    let mut net = Localnet::start(4, 1, &fast_params());
    assert!(net.status().contains("node3"), "{}", net.status());

    // Four validators, one app hash per height.
    net.wait_height(&[0, 1, 2, 3], 5, WAIT);
    assert_same_app_hashes(&net, &[0, 1, 2, 3]);
    assert_eq!(net.nodes[0].comet_validators().len(), 4);

    // kill -9 one validator: the other three (75 % of the power) keep committing.
    net.kill9(3);
    let h = net.nodes[0].height().expect("height");
    net.wait_height(&[0, 1, 2], h + 4, WAIT);
    // Restarted, it catches up and agrees on every block, also those it missed.
    net.start_node(3);
    let target = net.nodes[0].height().expect("height") + 2;
    net.wait_height(&[3], target, WAIT);
    let shared = assert_same_app_hashes(&net, &[0, 1, 2, 3]);
    assert!(shared > h + 4, "node3 caught up past the blocks it missed");

    // A fifth node syncs as a full node…
    let five = net.add_full_node();
    let top = net.nodes[0].height().expect("height");
    net.wait_height(&[five], top, WAIT);
    assert_same_app_hashes(&net, &[0, five]);
    let new = net.nodes[five].clone();
    assert!(
        !net.nodes[0]
            .comet_validators()
            .iter()
            .any(|(a, _)| *a == new.cons_hex()),
        "a full node is not a validator"
    );
    // …gets funds…
    let addr = new.key_address();
    let n0 = &net.nodes[0];
    n0.send("node0", &addr, "500000000uopen");
    wait_until("the funds on node4", WAIT, || {
        (new.balance(&addr) == 500 * OPEN).then_some(())
    });
    let pubkey = run_ok(&["comet", "show-validator", "--home", &new.home])
        .trim()
        .to_string();

    // Bad input first: a consensus key already in use, a commission above its max.
    let used = run_ok(&["comet", "show-validator", "--home", &net.nodes[1].home])
        .trim()
        .to_string();
    let create = |key: &str, rate: &str| -> Vec<String> {
        [
            "tx",
            "staking",
            "create-validator",
            "--amount",
            "200000000uopen",
            "--pubkey",
            key,
            "--moniker",
            "node4",
            "--commission-rate",
            rate,
            "--commission-max-rate",
            "0.2",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let args = create(&used, "0.1");
    let said = new.refused(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "node4",
    );
    assert!(
        said.contains("consensus public key is already used"),
        "{said}"
    );
    let args = create(&pubkey, "0.3");
    let said = new.refused(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "node4",
    );
    assert!(said.contains("commission"), "{said}");

    // …and `create-validator` makes it a validator in CometBFT's set, with power 200.
    let args = create(&pubkey, "0.1");
    new.tx(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        "node4",
    );
    let cons = new.cons_hex();
    wait_until("node4 in CometBFT's /validators", WAIT, || {
        net.nodes[0]
            .comet_validators()
            .into_iter()
            .find(|(a, _)| *a == cons)
            .map(|(_, power)| assert_eq!(power, 200))
    });
    let v = n0.json(&["query", "staking", "validator", &new.valoper()]);
    assert_eq!(v["validator"]["status"], "BOND_STATUS_BONDED", "{v}");
    let h = net.nodes[0].height().expect("height");
    net.wait_height(&[0, 1, 2, 3, five], h + 3, WAIT);
    assert_same_app_hashes(&net, &[0, 1, 2, 3, five]);
}

#[test]
fn delegation_rewards_unbonding_and_downtime_jail() {
    let _one = lock();
    if cometbft().is_none() {
        return;
    }
    let mut net = Localnet::start(4, 0, &fast_params());
    net.wait_height(&[0, 1, 2, 3], 3, WAIT);
    let n0 = net.nodes[0].clone();
    let val1 = net.nodes[1].valoper();

    // A delegator with 100 OPEN.
    run_ok(&["keys", "add", "alice", "--home", &n0.home]);
    let alice = run_ok(&["keys", "show", "alice", "-a", "--home", &n0.home])
        .trim()
        .to_string();
    n0.send("node0", &alice, "100000000uopen");

    // Bad input: more than the balance, unbonding what was never delegated.
    let said = n0.refused(
        &["tx", "staking", "delegate", &val1, "500000000uopen"],
        "alice",
    );
    assert!(said.contains("insufficient"), "{said}");
    let said = n0.refused(&["tx", "staking", "unbond", &val1, "1000000uopen"], "alice");
    assert!(said.to_lowercase().contains("delegation"), "{said}");

    n0.tx(
        &["tx", "staking", "delegate", &val1, "50000000uopen"],
        "alice",
    );
    let d = n0.json(&["query", "staking", "delegation", &alice, &val1]);
    assert_eq!(
        num(&d["delegation_response"]["balance"]["amount"]),
        50 * OPEN
    );
    let said = n0.refused(
        &["tx", "staking", "unbond", &val1, "60000000uopen"],
        "alice",
    );
    assert!(
        said.contains("shares") || said.contains("delegation"),
        "{said}"
    );

    // Rewards accrue every block and are withdrawn to the balance.
    wait_until("alice's rewards", WAIT, || {
        let r = n0.json(&["query", "distribution", "rewards", &alice, &val1]);
        let amount: Dec = r["rewards"][0]["amount"].as_str()?.parse().ok()?;
        (amount > Dec::from_int(1)).then_some(())
    });
    let before = n0.balance(&alice);
    let resp = n0.tx(&["tx", "distribution", "withdraw-rewards", &val1], "alice");
    let withdrawn = withdrawn_amount(&resp);
    assert!(withdrawn > 0, "{resp}");
    let fee = fee_of(&resp);
    assert_eq!(n0.balance(&alice), before + withdrawn - fee);

    // Undelegate: the tokens come back only after the unbonding period (20 s).
    let before = n0.balance(&alice);
    let resp = n0.tx(
        &["tx", "staking", "unbond", &val1, "20000000uopen"],
        "alice",
    );
    let after_tx = n0.balance(&alice);
    assert_eq!(
        after_tx,
        before + withdrawn_amount(&resp) - fee_of(&resp),
        "unbonded tokens are not back yet"
    );
    let u = n0.json(&["query", "staking", "unbonding-delegation", &alice, &val1]);
    assert_eq!(num(&u["unbond"]["entries"][0]["balance"]), 20 * OPEN, "{u}");
    supply_decomposes(&n0, &[&alice]);
    wait_until("the unbonding to mature", WAIT, || {
        (n0.balance(&alice) == after_tx + 20 * OPEN).then_some(())
    });
    let u = n0.json(&["query", "staking", "unbonding-delegations", &alice]);
    assert_eq!(
        u["unbonding_responses"].as_array().map_or(0, Vec::len),
        0,
        "{u}"
    );
    supply_decomposes(&n0, &[&alice]);

    // Downtime: node3 stopped for longer than the 10-block window is jailed and slashed 1 %.
    let val3 = net.nodes[3].valoper();
    let cons3 = net.nodes[3].cons_hex();
    net.stop_node(3);
    wait_until("node3 to be jailed", WAIT, || {
        let v = n0.json(&["query", "staking", "validator", &val3]);
        (v["validator"]["jailed"] == true).then_some(())
    });
    let v = n0.json(&["query", "staking", "validator", &val3]);
    assert_eq!(
        num(&v["validator"]["tokens"]),
        99 * OPEN,
        "slashed by 1 %: {v}"
    );
    wait_until("node3 out of CometBFT's set", WAIT, || {
        (!n0.comet_validators().iter().any(|(a, _)| *a == cons3)).then_some(())
    });
    let key3 = run_ok(&["comet", "show-validator", "--home", &net.nodes[3].home]);
    let info = n0.json(&["query", "slashing", "signing-info", key3.trim()]);
    assert!(info.to_string().contains("jailed_until"), "{info}");

    // Back up; unjail is refused until the jail time is over, then brings it back.
    net.start_node(3);
    let n3 = net.nodes[3].clone();
    let top = n0.height().expect("height");
    net.wait_height(&[3], top, WAIT);
    wait_until("unjail to be accepted", WAIT, || {
        let grpc = n3.grpc_url();
        let out = common::run(&[
            "tx",
            "slashing",
            "unjail",
            "--from",
            "node3",
            "--chain-id",
            CHAIN_ID,
            "--gas",
            "auto",
            "--gas-prices",
            "0.025uopen",
            "-y",
            "--home",
            &n3.home,
            "--grpc-addr",
            &grpc,
            "--output",
            "json",
        ]);
        if out.status.success() {
            return Some(());
        }
        let said = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            said.contains("jail"),
            "unjail refused for another reason: {said}"
        );
        std::thread::sleep(Duration::from_secs(1));
        None
    });
    wait_until("node3 back in CometBFT's set", WAIT, || {
        n0.comet_validators()
            .into_iter()
            .find(|(a, _)| *a == cons3)
            .map(|(_, power)| assert_eq!(power, 99))
    });
    let h = n0.height().expect("height");
    net.wait_height(&[0, 1, 2, 3], h + 2, WAIT);
    assert_same_app_hashes(&net, &[0, 1, 2, 3]);
    supply_decomposes(&n0, &[&alice]);
}

#[test]
fn governance_changes_params_only_through_proposals() {
    let _one = lock();
    if cometbft().is_none() {
        return;
    }
    let net = Localnet::start(4, 0, &fast_params());
    net.wait_height(&[0, 1, 2, 3], 3, WAIT);
    let n0 = net.nodes[0].clone();
    let gov = Address::module("gov").to_bech32();
    let dir = net.dir.path();

    // A MsgUpdateParams sent directly by a user is refused.
    let mut params = n0.json(&["query", "staking", "params"])["params"].clone();
    params["unbonding_time"] = json!("30s");
    let account = n0.json(&["query", "auth", "account", &n0.key_address()]);
    let account_number = num(&account["account"]["account_number"]) as u64;
    let sequence = num(&account["account"]["sequence"]) as u64;
    let direct = openledgerd::client::sign_tx(
        &openledgerd::client::keyring::Keyring::new(
            std::path::Path::new(&n0.home),
            openledgerd::client::keyring::Backend::Test,
        )
        .signing_key("node0")
        .expect("key"),
        CHAIN_ID,
        account_number,
        sequence,
        vec![openledger_framework::pack_any(&staking::MsgUpdateParams {
            authority: n0.key_address(),
            params: Some(staking::Params {
                unbonding_time: Some(tendermint_proto::google::protobuf::Duration {
                    seconds: 30,
                    nanos: 0,
                }),
                max_validators: 100,
                max_entries: 7,
                historical_entries: 10_000,
                bond_denom: "uopen".into(),
                min_commission_rate: "0".into(),
            }),
        })],
        "",
        200_000,
        &"5000uopen".parse().expect("coins"),
    )
    .expect("sign");
    let res = net.nodes[0]
        .rpc_get(&format!(
            "/broadcast_tx_commit?tx=0x{}",
            hex::encode(&direct)
        ))
        .expect("broadcast answer");
    let refused = if res["check_tx"]["code"] != 0 {
        &res["check_tx"]
    } else {
        &res["tx_result"]
    };
    assert_ne!(
        refused["code"], 0,
        "a user's MsgUpdateParams was accepted: {res}"
    );
    assert!(
        refused["log"]
            .as_str()
            .unwrap_or_default()
            .contains("authority"),
        "{res}"
    );

    // A proposal carrying staking's MsgUpdateParams passes with 3 of 4 validators voting yes.
    let proposal = dir.join("unbonding.json");
    std::fs::write(
        &proposal,
        json!({
            "messages": [{"@type": "/cosmos.staking.v1beta1.MsgUpdateParams",
                          "authority": gov, "params": params}],
            "metadata": "ipfs://none",
            "deposit": "10000000uopen",
            "title": "Unbonding in 30 s",
            "summary": "Shorter unbonding for the test network"
        })
        .to_string(),
    )
    .expect("write proposal");
    let p = proposal.to_str().expect("utf-8");
    n0.tx(&["tx", "gov", "submit-proposal", p], "node0");
    for i in 0..3 {
        let n = &net.nodes[i];
        n.tx(&["tx", "gov", "vote", "1", "yes"], &n.name);
    }
    let tally = n0.json(&["query", "gov", "tally", "1"]);
    assert_eq!(num(&tally["tally"]["yes_count"]), 300 * OPEN, "{tally}");
    wait_until("proposal 1 to pass", WAIT, || {
        let p = n0.json(&["query", "gov", "proposal", "1"]);
        let status = p["proposal"]["status"].as_str()?.to_string();
        assert_ne!(status, "PROPOSAL_STATUS_FAILED", "{p}");
        assert_ne!(status, "PROPOSAL_STATUS_REJECTED", "{p}");
        (status == "PROPOSAL_STATUS_PASSED").then_some(())
    });
    let now = n0.json(&["query", "staking", "params"]);
    assert_eq!(now["params"]["unbonding_time"], "30s", "{now}");

    // A vote on a closed proposal is refused.
    let said = n0.refused(&["tx", "gov", "vote", "1", "no"], "node0");
    assert!(said.contains("inactive") || said.contains("not"), "{said}");

    // A proposal nobody votes on misses quorum, is rejected, and (burn_vote_quorum = false)
    // its deposit goes back to the depositor; the param does not change.
    let proposal = dir.join("send.json");
    std::fs::write(
        &proposal,
        json!({
            "messages": [{"@type": "/cosmos.bank.v1beta1.MsgUpdateParams",
                          "authority": gov,
                          "params": {"send_enabled": [], "default_send_enabled": false}}],
            "deposit": "10000000uopen",
            "title": "Stop transfers",
            "summary": "Nobody will vote for this"
        })
        .to_string(),
    )
    .expect("write proposal");
    let depositor = net.nodes[1].key_address();
    let n1 = &net.nodes[1];
    let before = n1.balance(&depositor);
    let resp = n1.tx(
        &[
            "tx",
            "gov",
            "submit-proposal",
            proposal.to_str().expect("utf-8"),
        ],
        "node1",
    );
    let fee = fee_of(&resp);
    assert_eq!(n1.balance(&depositor), before - fee - 10 * OPEN);
    wait_until("proposal 2 to be rejected", WAIT, || {
        let p = n0.json(&["query", "gov", "proposal", "2"]);
        let status = p["proposal"]["status"].as_str()?.to_string();
        (status != "PROPOSAL_STATUS_VOTING_PERIOD").then(|| {
            assert_eq!(status, "PROPOSAL_STATUS_REJECTED", "{p}");
        })
    });
    assert_eq!(n1.balance(&depositor), before - fee, "deposit refunded");
    n0.send("node0", &depositor, "1uopen");
    let h = n0.height().expect("height");
    net.wait_height(&[0, 1, 2, 3], h + 2, WAIT);
    assert_same_app_hashes(&net, &[0, 1, 2, 3]);
}

/// The `amount` of a tx's `withdraw_rewards` events, in uopen (0 when none).
fn withdrawn_amount(resp: &Value) -> u128 {
    let mut total = 0;
    for e in resp["events"].as_array().into_iter().flatten() {
        if e["type"] != "withdraw_rewards" {
            continue;
        }
        for a in e["attributes"].as_array().into_iter().flatten() {
            if a["key"] == "amount"
                && let Some(s) = a["value"].as_str()
                && let Some(n) = s.strip_suffix("uopen")
            {
                total += n.parse::<u128>().unwrap_or(0);
            }
        }
    }
    total
}

/// The fee a tx paid, in uopen (its `tx` event).
fn fee_of(resp: &Value) -> u128 {
    for e in resp["events"].as_array().into_iter().flatten() {
        for a in e["attributes"].as_array().into_iter().flatten() {
            if a["key"] == "fee"
                && let Some(n) = a["value"].as_str().and_then(|s| s.strip_suffix("uopen"))
            {
                return n.parse().unwrap_or(0);
            }
        }
    }
    panic!("no fee event in {resp}")
}

/// At one height: total supply = account balances + bonded + unbonding (the not-bonded pool) +
/// community pool + unclaimed rewards (both in the distribution account) + what sits in the
/// fee collector and gov; and each pool holds what staking and distribution say it holds.
fn supply_decomposes(node: &Node, users: &[&str]) {
    let h = node.height().expect("height") - 1;
    let bal = |addr: &str| -> u128 {
        let r: bank::QueryBalanceResponse = grpc_at(
            node,
            "/cosmos.bank.v1beta1.Query/Balance",
            bank::QueryBalanceRequest {
                address: addr.to_string(),
                denom: "uopen".into(),
            },
            h,
        );
        r.balance.map_or(0, |c| c.amount.parse().expect("amount"))
    };
    let module = |name: &str| bal(&Address::module(name).to_bech32());
    let supply: bank::QuerySupplyOfResponse = grpc_at(
        node,
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        bank::QuerySupplyOfRequest {
            denom: "uopen".into(),
        },
        h,
    );
    let supply: u128 = supply
        .amount
        .expect("supply")
        .amount
        .parse()
        .expect("amount");
    let pool: staking::QueryPoolResponse = grpc_at(
        node,
        "/cosmos.staking.v1beta1.Query/Pool",
        staking::QueryPoolRequest {},
        h,
    );
    let pool = pool.pool.expect("pool");
    let bonded = module("bonded_tokens_pool");
    let unbonding = module("not_bonded_tokens_pool");
    assert_eq!(bonded.to_string(), pool.bonded_tokens, "bonded pool at {h}");
    assert_eq!(
        unbonding.to_string(),
        pool.not_bonded_tokens,
        "not-bonded pool at {h}"
    );

    // Community pool + every validator's outstanding rewards = the distribution account.
    let community: distr::QueryCommunityPoolResponse = grpc_at(
        node,
        "/cosmos.distribution.v1beta1.Query/CommunityPool",
        distr::QueryCommunityPoolRequest {},
        h,
    );
    let dec_sum = |coins: &[cosmrs::proto::cosmos::base::v1beta1::DecCoin]| -> u128 {
        coins
            .iter()
            .filter(|c| c.denom == "uopen")
            .map(|c| c.amount.parse::<u128>().expect("atomics"))
            .sum()
    };
    let mut owed = dec_sum(&community.pool);
    let vals: staking::QueryValidatorsResponse = grpc_at(
        node,
        "/cosmos.staking.v1beta1.Query/Validators",
        staking::QueryValidatorsRequest {
            status: String::new(),
            pagination: None,
        },
        h,
    );
    for v in &vals.validators {
        let r: distr::QueryValidatorOutstandingRewardsResponse = grpc_at(
            node,
            "/cosmos.distribution.v1beta1.Query/ValidatorOutstandingRewards",
            distr::QueryValidatorOutstandingRewardsRequest {
                validator_address: v.operator_address.clone(),
            },
            h,
        );
        owed += dec_sum(&r.rewards.map(|r| r.rewards).unwrap_or_default());
    }
    let distribution = module("distribution");
    assert_eq!(
        Dec::from_atomics(owed).mul_int_floor(1).expect("floor"),
        distribution,
        "community pool + unclaimed rewards = the distribution account at {h}"
    );

    // Everyone else: the validators' operators, the users, the fee collector and gov.
    let mut accounts: u128 = users.iter().map(|a| bal(a)).sum();
    for v in &vals.validators {
        let op = openledger_staking::types::parse_valoper(&v.operator_address).expect("valoper");
        accounts += bal(&op.to_bech32());
    }
    accounts += module("fee_collector") + module("gov") + module("mint");
    assert_eq!(
        supply,
        accounts + bonded + unbonding + distribution,
        "supply = balances + bonded + unbonding + community pool + unclaimed rewards at {h}"
    );
}
