//! Unit tests of the entry points against a mock chain answering the OpenLedger queries.

use cosmwasm_std::testing::{MockApi, MockQuerier, MockStorage, message_info, mock_env};
use cosmwasm_std::{
    Addr, BankMsg, Coin, CosmosMsg, Env, OwnedDeps, Uint128, coin, coins, from_json,
};
use cw_utils::PaymentError;
use openledger_bindings::testing::{MockChain, mock_dependencies};
use openledger_bindings::{
    AdapterResponse, ContributorRecords, OpenLedgerQuery, ProvenanceResponse,
};

use crate::contract::{execute, instantiate, migrate, query};
use crate::error::ContractError;
use crate::msg::{
    AllowListResponse, BalanceResponse, CanInferResponse, ConfigResponse, ExecuteMsg,
    InstantiateMsg, MigrateMsg, QueryMsg, SubscriptionResponse, SubscriptionTerms, Terms,
    TermsResponse,
};

type Deps = OwnedDeps<MockStorage, MockApi, MockQuerier<OpenLedgerQuery>, OpenLedgerQuery>;

const ADAPTER: u64 = 3;
const UNLICENSED_ADAPTER: u64 = 4;

struct Setup {
    deps: Deps,
    env: Env,
    owner: Addr,
    alice: Addr,
    bob: Addr,
    /// Gave 7 of the adapter's 10 training records.
    carol: Addr,
    /// Gave 3.
    dave: Addr,
}

fn setup() -> Setup {
    let api = MockApi::default().with_prefix("open");
    let [owner, alice, bob, carol, dave, contract] =
        ["owner", "alice", "bob", "carol", "dave", "license"].map(|name| api.addr_make(name));
    let mut env = mock_env();
    env.contract.address = contract.clone();
    let adapter = |id, license_contract: Option<&Addr>| AdapterResponse {
        id,
        owner: owner.to_string(),
        base_model_id: 1,
        datanet_id: 1,
        datanet_version: 2,
        version_root: "ab".repeat(32),
        weights_sha256: "cd".repeat(32),
        license_contract: license_contract.map(Addr::to_string),
    };
    let chain = MockChain::default()
        .with_adapter(adapter(ADAPTER, Some(&contract)))
        .with_adapter(adapter(UNLICENSED_ADAPTER, None))
        .with_provenance(ProvenanceResponse {
            adapter_id: ADAPTER,
            datanet_id: 1,
            datanet_version: 2,
            version_root: "ab".repeat(32),
            record_count: 10,
            contributors: vec![
                ContributorRecords {
                    address: carol.to_string(),
                    records: 7,
                },
                ContributorRecords {
                    address: dave.to_string(),
                    records: 3,
                },
            ],
        });
    let mut deps = mock_dependencies(chain);
    instantiate(
        deps.as_mut(),
        env.clone(),
        message_info(&owner, &[]),
        InstantiateMsg { denom: None },
    )
    .unwrap();
    Setup {
        deps,
        env,
        owner,
        alice,
        bob,
        carol,
        dave,
    }
}

fn public_terms() -> Terms {
    Terms {
        price_per_inference: Uint128::new(1_000),
        subscription: Some(SubscriptionTerms {
            price: Uint128::new(50_000),
            duration_blocks: 100,
        }),
        allow_list_only: false,
        contributor_share_bps: 3_000,
    }
}

impl Setup {
    fn exec(
        &mut self,
        sender: &Addr,
        funds: &[Coin],
        msg: ExecuteMsg,
    ) -> Result<cosmwasm_std::Response, ContractError> {
        execute(
            self.deps.as_mut(),
            self.env.clone(),
            message_info(sender, funds),
            msg,
        )
    }

    fn set_terms(&mut self, terms: Terms) {
        let owner = self.owner.clone();
        self.exec(
            &owner,
            &[],
            ExecuteMsg::SetTerms {
                adapter_id: ADAPTER,
                terms,
            },
        )
        .unwrap();
    }

    fn query<T: cosmwasm_schema::serde::de::DeserializeOwned>(&self, msg: QueryMsg) -> T {
        from_json(query(self.deps.as_ref(), self.env.clone(), msg).unwrap()).unwrap()
    }

    fn can_infer(&self, user: &Addr) -> CanInferResponse {
        self.query(QueryMsg::CanInfer {
            adapter_id: ADAPTER,
            user: user.to_string(),
        })
    }

    fn balance(&self, address: &Addr) -> Uint128 {
        let balance: BalanceResponse = self.query(QueryMsg::Balance {
            address: address.to_string(),
        });
        balance.amount
    }
}

fn allowed(price: u128) -> CanInferResponse {
    CanInferResponse {
        allowed: true,
        price: Uint128::new(price),
    }
}

fn denied(price: u128) -> CanInferResponse {
    CanInferResponse {
        allowed: false,
        price: Uint128::new(price),
    }
}

#[test]
fn instantiate_sets_denom_and_rejects_funds_and_empty_denom() {
    let s = setup();
    let config: ConfigResponse = s.query(QueryMsg::Config {});
    assert_eq!(config.denom, "uopen");

    let mut deps = mock_dependencies(MockChain::default());
    let err = instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&s.owner, &[]),
        InstantiateMsg {
            denom: Some(" ".to_string()),
        },
    )
    .unwrap_err();
    assert_eq!(err, ContractError::EmptyDenom {});
    let err = instantiate(
        deps.as_mut(),
        mock_env(),
        message_info(&s.owner, &coins(5, "uopen")),
        InstantiateMsg { denom: None },
    )
    .unwrap_err();
    assert_eq!(err, ContractError::Payment(PaymentError::NonPayable {}));
}

#[test]
fn only_the_chain_owner_sets_terms() {
    let mut s = setup();
    let alice = s.alice.clone();
    let err = s
        .exec(
            &alice,
            &[],
            ExecuteMsg::SetTerms {
                adapter_id: ADAPTER,
                terms: public_terms(),
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        ContractError::NotAdapterOwner {
            adapter_id: ADAPTER,
            owner: s.owner.to_string(),
        }
    );

    let owner = s.owner.clone();
    let err = s
        .exec(
            &owner,
            &[],
            ExecuteMsg::SetTerms {
                adapter_id: 99,
                terms: public_terms(),
            },
        )
        .unwrap_err();
    assert!(err.to_string().contains("adapter 99 not found"), "{err}");

    s.set_terms(public_terms());
    let terms: TermsResponse = s.query(QueryMsg::Terms {
        adapter_id: ADAPTER,
    });
    assert_eq!(
        terms,
        TermsResponse {
            adapter_id: ADAPTER,
            owner: s.owner.to_string(),
            terms: public_terms(),
        }
    );
}

#[test]
fn invalid_terms_are_rejected() {
    let mut s = setup();
    let owner = s.owner.clone();
    let mut set = |terms| {
        s.exec(
            &owner,
            &[],
            ExecuteMsg::SetTerms {
                adapter_id: ADAPTER,
                terms,
            },
        )
        .unwrap_err()
    };
    assert_eq!(
        set(Terms {
            contributor_share_bps: 10_001,
            ..public_terms()
        }),
        ContractError::InvalidShare { bps: 10_001 }
    );
    for (price, duration_blocks) in [(0, 100), (50_000, 0)] {
        assert_eq!(
            set(Terms {
                subscription: Some(SubscriptionTerms {
                    price: Uint128::new(price),
                    duration_blocks,
                }),
                ..public_terms()
            }),
            ContractError::InvalidSubscriptionTerms {}
        );
    }
}

#[test]
fn can_infer_follows_the_terms() {
    let mut s = setup();
    // No terms: nobody may use the adapter through this contract.
    assert_eq!(s.can_infer(&s.alice), denied(0));

    s.set_terms(public_terms());
    assert_eq!(s.can_infer(&s.alice), allowed(1_000));
    assert_eq!(s.can_infer(&s.owner), allowed(0));

    s.set_terms(Terms {
        allow_list_only: true,
        ..public_terms()
    });
    assert_eq!(s.can_infer(&s.alice), denied(1_000));
    assert_eq!(s.can_infer(&s.owner), allowed(0));

    let (owner, alice) = (s.owner.clone(), s.alice.clone());
    s.exec(
        &owner,
        &[],
        ExecuteMsg::Grant {
            adapter_id: ADAPTER,
            user: alice.to_string(),
        },
    )
    .unwrap();
    assert_eq!(s.can_infer(&alice), allowed(1_000));
    assert_eq!(s.can_infer(&s.bob), denied(1_000));

    s.exec(
        &owner,
        &[],
        ExecuteMsg::Revoke {
            adapter_id: ADAPTER,
            user: alice.to_string(),
        },
    )
    .unwrap();
    assert_eq!(s.can_infer(&alice), denied(1_000));

    // A user that is not an address is bad input, not a "no".
    let err = query(
        s.deps.as_ref(),
        s.env.clone(),
        QueryMsg::CanInfer {
            adapter_id: ADAPTER,
            user: "not-an-address".to_string(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("Error decoding bech32"), "{err}");
}

#[test]
fn grant_and_revoke_are_owner_only_and_listed() {
    let mut s = setup();
    let (owner, alice, bob) = (s.owner.clone(), s.alice.clone(), s.bob.clone());
    let grant = |user: &Addr| ExecuteMsg::Grant {
        adapter_id: ADAPTER,
        user: user.to_string(),
    };
    assert_eq!(
        s.exec(&owner, &[], grant(&alice)).unwrap_err(),
        ContractError::NoTerms {
            adapter_id: ADAPTER
        }
    );
    s.set_terms(public_terms());
    assert!(matches!(
        s.exec(&alice, &[], grant(&alice)).unwrap_err(),
        ContractError::NotAdapterOwner { .. }
    ));
    s.exec(&owner, &[], grant(&alice)).unwrap();
    s.exec(&owner, &[], grant(&bob)).unwrap();

    let list: AllowListResponse = s.query(QueryMsg::AllowList {
        adapter_id: ADAPTER,
        start_after: None,
        limit: None,
    });
    let mut expected = vec![alice.to_string(), bob.to_string()];
    expected.sort();
    assert_eq!(list.users, expected);
    let page: AllowListResponse = s.query(QueryMsg::AllowList {
        adapter_id: ADAPTER,
        start_after: Some(expected[0].clone()),
        limit: Some(1),
    });
    assert_eq!(page.users, expected[1..]);
}

#[test]
fn subscription_makes_inference_free_until_it_ends() {
    let mut s = setup();
    s.set_terms(public_terms());
    let alice = s.alice.clone();
    let subscribe = ExecuteMsg::Subscribe {
        adapter_id: ADAPTER,
    };
    let start = s.env.block.height;
    s.exec(&alice, &coins(50_000, "uopen"), subscribe.clone())
        .unwrap();
    assert_eq!(s.can_infer(&alice), allowed(0));

    // A second period starts when the first ends.
    s.exec(&alice, &coins(50_000, "uopen"), subscribe).unwrap();
    let sub: SubscriptionResponse = s.query(QueryMsg::Subscription {
        adapter_id: ADAPTER,
        user: alice.to_string(),
    });
    assert_eq!(
        sub,
        SubscriptionResponse {
            adapter_id: ADAPTER,
            user: alice.to_string(),
            expires_at: Some(start + 200),
            active: true,
        }
    );

    s.env.block.height = start + 199;
    assert_eq!(s.can_infer(&alice), allowed(0));
    s.env.block.height = start + 200;
    assert_eq!(s.can_infer(&alice), allowed(1_000));
    let sub: SubscriptionResponse = s.query(QueryMsg::Subscription {
        adapter_id: ADAPTER,
        user: alice.to_string(),
    });
    assert!(!sub.active);
}

#[test]
fn subscription_needs_exact_payment_and_subscriptions_for_sale() {
    let mut s = setup();
    let alice = s.alice.clone();
    let subscribe = ExecuteMsg::Subscribe {
        adapter_id: ADAPTER,
    };
    assert_eq!(
        s.exec(&alice, &coins(50_000, "uopen"), subscribe.clone())
            .unwrap_err(),
        ContractError::NoTerms {
            adapter_id: ADAPTER
        }
    );
    s.set_terms(Terms {
        subscription: None,
        ..public_terms()
    });
    assert_eq!(
        s.exec(&alice, &coins(50_000, "uopen"), subscribe.clone())
            .unwrap_err(),
        ContractError::NoSubscriptions {
            adapter_id: ADAPTER
        }
    );

    s.set_terms(public_terms());
    assert_eq!(
        s.exec(&alice, &coins(49_999, "uopen"), subscribe.clone())
            .unwrap_err(),
        ContractError::WrongPayment {
            expected: Uint128::new(50_000),
            paid: Uint128::new(49_999),
            denom: "uopen".to_string(),
        }
    );
    assert_eq!(
        s.exec(&alice, &[], subscribe.clone()).unwrap_err(),
        ContractError::Payment(PaymentError::NoFunds {})
    );
    assert_eq!(
        s.exec(&alice, &coins(50_000, "uatom"), subscribe.clone())
            .unwrap_err(),
        ContractError::Payment(PaymentError::MissingDenom("uopen".to_string()))
    );
    assert_eq!(
        s.exec(
            &alice,
            &[coin(50_000, "uopen"), coin(1, "uatom")],
            subscribe.clone()
        )
        .unwrap_err(),
        ContractError::Payment(PaymentError::MultipleDenoms {})
    );
    // Nothing was recorded by the failed attempts.
    assert_eq!(s.can_infer(&alice), allowed(1_000));
    assert_eq!(s.balance(&s.owner), Uint128::zero());
}

#[test]
fn allow_list_only_adapters_sell_subscriptions_to_the_list() {
    let mut s = setup();
    s.set_terms(Terms {
        allow_list_only: true,
        ..public_terms()
    });
    let (owner, alice) = (s.owner.clone(), s.alice.clone());
    let subscribe = ExecuteMsg::Subscribe {
        adapter_id: ADAPTER,
    };
    assert_eq!(
        s.exec(&alice, &coins(50_000, "uopen"), subscribe.clone())
            .unwrap_err(),
        ContractError::NotAllowed {
            adapter_id: ADAPTER,
            user: alice.to_string(),
        }
    );
    s.exec(
        &owner,
        &[],
        ExecuteMsg::Grant {
            adapter_id: ADAPTER,
            user: alice.to_string(),
        },
    )
    .unwrap();
    s.exec(&alice, &coins(50_000, "uopen"), subscribe).unwrap();
    assert_eq!(s.can_infer(&alice), allowed(0));
}

#[test]
fn no_subscriptions_for_an_adapter_licensed_elsewhere() {
    let mut s = setup();
    let owner = s.owner.clone();
    s.exec(
        &owner,
        &[],
        ExecuteMsg::SetTerms {
            adapter_id: UNLICENSED_ADAPTER,
            terms: public_terms(),
        },
    )
    .unwrap();
    let alice = s.alice.clone();
    let err = s
        .exec(
            &alice,
            &coins(50_000, "uopen"),
            ExecuteMsg::Subscribe {
                adapter_id: UNLICENSED_ADAPTER,
            },
        )
        .unwrap_err();
    assert_eq!(
        err,
        ContractError::NotLicensedHere {
            adapter_id: UNLICENSED_ADAPTER,
            license_contract: "no contract".to_string(),
        }
    );
}

#[test]
fn revenue_is_split_with_contributors_by_records() {
    let mut s = setup();
    // 33.33 % of 50_000 = 16_665 for contributors: 7/10 -> 11_665 (11_665.5 rounded down),
    // 3/10 -> 4_999 (4_999.5 down); the owner gets the rest, rounding included.
    s.set_terms(Terms {
        contributor_share_bps: 3_333,
        ..public_terms()
    });
    let alice = s.alice.clone();
    let res = s
        .exec(
            &alice,
            &coins(50_000, "uopen"),
            ExecuteMsg::Subscribe {
                adapter_id: ADAPTER,
            },
        )
        .unwrap();
    assert_eq!(s.balance(&s.carol), Uint128::new(11_665));
    assert_eq!(s.balance(&s.dave), Uint128::new(4_999));
    assert_eq!(s.balance(&s.owner), Uint128::new(33_336));
    assert!(
        res.attributes
            .iter()
            .any(|a| a.key == "contributors_share" && a.value == "16664")
    );
}

#[test]
fn withdraw_sends_the_accrued_revenue_once() {
    let mut s = setup();
    s.set_terms(public_terms());
    let (alice, owner, carol) = (s.alice.clone(), s.owner.clone(), s.carol.clone());
    s.exec(
        &alice,
        &coins(50_000, "uopen"),
        ExecuteMsg::Subscribe {
            adapter_id: ADAPTER,
        },
    )
    .unwrap();

    let res = s.exec(&owner, &[], ExecuteMsg::Withdraw {}).unwrap();
    assert_eq!(
        res.messages[0].msg,
        CosmosMsg::Bank(BankMsg::Send {
            to_address: owner.to_string(),
            amount: coins(35_000, "uopen"),
        })
    );
    assert_eq!(s.balance(&owner), Uint128::zero());
    assert_eq!(
        s.exec(&owner, &[], ExecuteMsg::Withdraw {}).unwrap_err(),
        ContractError::NothingToWithdraw {}
    );

    let res = s.exec(&carol, &[], ExecuteMsg::Withdraw {}).unwrap();
    assert_eq!(
        res.messages[0].msg,
        CosmosMsg::Bank(BankMsg::Send {
            to_address: carol.to_string(),
            amount: coins(10_500, "uopen"),
        })
    );
    assert_eq!(
        s.exec(&alice, &[], ExecuteMsg::Withdraw {}).unwrap_err(),
        ContractError::NothingToWithdraw {}
    );
    assert_eq!(
        s.exec(&carol, &coins(1, "uopen"), ExecuteMsg::Withdraw {})
            .unwrap_err(),
        ContractError::Payment(PaymentError::NonPayable {})
    );
}

#[test]
fn migrate_keeps_state_and_checks_the_contract() {
    let mut s = setup();
    s.set_terms(public_terms());
    migrate(s.deps.as_mut(), s.env.clone(), MigrateMsg {}).unwrap();
    assert_eq!(s.can_infer(&s.alice), allowed(1_000));

    cw2::set_contract_version(&mut s.deps.storage, "crates.io:other", "1.0.0").unwrap();
    assert_eq!(
        migrate(s.deps.as_mut(), s.env.clone(), MigrateMsg {}).unwrap_err(),
        ContractError::WrongContract {
            name: "crates.io:other".to_string()
        }
    );
}
