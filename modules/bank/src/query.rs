//! `cosmos.bank.v1beta1.Query`, answered from a state snapshot.

use cosmrs::proto::cosmos::bank::v1beta1::*;
use openledger_framework::coins::validate_denom;
use openledger_framework::pagination::paginate;
use openledger_framework::{Address, Coin, KvRead, QueryRouter};

use crate::{BankKeeper, keys};

/// One page of an address's balances, in denom order.
fn balances_page(
    k: &BankKeeper,
    mut s: &dyn KvRead,
    address: &str,
    page: Option<&cosmrs::proto::cosmos::base::query::v1beta1::PageRequest>,
) -> Result<
    (
        Vec<cosmrs::proto::cosmos::base::v1beta1::Coin>,
        cosmrs::proto::cosmos::base::query::v1beta1::PageResponse,
    ),
    openledger_framework::AbciError,
> {
    let addr = Address::from_bech32(address)?;
    let items: Vec<(String, Coin)> = k
        .all_balances(&mut s, &addr)?
        .into_iter()
        .map(|c| (c.denom.clone(), c))
        .collect();
    let (coins, pagination) = paginate(items, page)?;
    Ok((coins.iter().map(Coin::to_proto).collect(), pagination))
}

pub fn register(keeper: BankKeeper, r: &mut QueryRouter) {
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/Balance",
        move |mut s: &dyn KvRead, req: QueryBalanceRequest| {
            let addr = Address::from_bech32(&req.address)?;
            validate_denom(&req.denom)?;
            let amount = k.balance(&mut s, &addr, &req.denom)?;
            Ok(QueryBalanceResponse {
                balance: Some(Coin::new(amount, req.denom).to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/AllBalances",
        move |s: &dyn KvRead, req: QueryAllBalancesRequest| {
            let (balances, pagination) =
                balances_page(&k, s, &req.address, req.pagination.as_ref())?;
            Ok(QueryAllBalancesResponse {
                balances,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/SpendableBalances",
        move |s: &dyn KvRead, req: QuerySpendableBalancesRequest| {
            // No vesting accounts: everything held is spendable.
            let (balances, pagination) =
                balances_page(&k, s, &req.address, req.pagination.as_ref())?;
            Ok(QuerySpendableBalancesResponse {
                balances,
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/SpendableBalanceByDenom",
        move |mut s: &dyn KvRead, req: QuerySpendableBalanceByDenomRequest| {
            let addr = Address::from_bech32(&req.address)?;
            validate_denom(&req.denom)?;
            let amount = k.balance(&mut s, &addr, &req.denom)?;
            Ok(QuerySpendableBalanceByDenomResponse {
                balance: Some(Coin::new(amount, req.denom).to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/TotalSupply",
        move |mut s: &dyn KvRead, req: QueryTotalSupplyRequest| {
            let items: Vec<(String, Coin)> = k
                .total_supply(&mut s)?
                .into_iter()
                .map(|c| (c.denom.clone(), c))
                .collect();
            let (page, pagination) = paginate(items, req.pagination.as_ref())?;
            Ok(QueryTotalSupplyResponse {
                supply: page.iter().map(Coin::to_proto).collect(),
                pagination: Some(pagination),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/SupplyOf",
        move |mut s: &dyn KvRead, req: QuerySupplyOfRequest| {
            validate_denom(&req.denom)?;
            let amount = k.supply(&mut s, &req.denom)?;
            Ok(QuerySupplyOfResponse {
                amount: Some(Coin::new(amount, req.denom).to_proto()),
            })
        },
    );
    let k = keeper.clone();
    r.add(
        "/cosmos.bank.v1beta1.Query/Params",
        move |mut s: &dyn KvRead, _: QueryParamsRequest| {
            Ok(QueryParamsResponse {
                params: Some(k.params(&mut s)?),
            })
        },
    );
    let k = keeper;
    r.add(
        "/cosmos.bank.v1beta1.Query/DenomOwners",
        move |mut s: &dyn KvRead, req: QueryDenomOwnersRequest| {
            validate_denom(&req.denom)?;
            let mut owners = Vec::new();
            for (key, _) in s.prefix(keys::all_balances())? {
                if let Some((addr, denom)) = keys::parse_balance_key(&key)
                    && denom == req.denom
                {
                    let amount = k.balance(&mut s, &addr, denom)?;
                    owners.push((
                        key.clone(),
                        DenomOwner {
                            address: addr.to_bech32(),
                            balance: Some(Coin::new(amount, denom).to_proto()),
                        },
                    ));
                }
            }
            let (page, pagination) = paginate(owners, req.pagination.as_ref())?;
            Ok(QueryDenomOwnersResponse {
                denom_owners: page,
                pagination: Some(pagination),
            })
        },
    );
}
