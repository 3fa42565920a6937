//! `cosmos.auth.v1beta1.Query`, answered from a state snapshot.

use cosmrs::proto::cosmos::auth::v1beta1::*;
use openledger_framework::address::ACCOUNT_PREFIX;
use openledger_framework::error::SdkError;
use openledger_framework::pagination::paginate;
use openledger_framework::{AbciError, Address, KvRead, QueryRouter};

use crate::{AuthKeeper, keys};

pub fn register(keeper: AuthKeeper, r: &mut QueryRouter) {
    r.add(
        "/cosmos.auth.v1beta1.Query/Account",
        move |mut s: &dyn KvRead, req: QueryAccountRequest| {
            let addr = Address::from_bech32(&req.address)?;
            let acc = keeper
                .account(&mut s, &addr)?
                .ok_or_else(|| SdkError::NotFound(format!("account {} not found", req.address)))?;
            Ok(QueryAccountResponse {
                account: Some(acc.to_any()),
            })
        },
    );
    r.add(
        "/cosmos.auth.v1beta1.Query/AccountInfo",
        move |mut s: &dyn KvRead, req: QueryAccountInfoRequest| {
            let addr = Address::from_bech32(&req.address)?;
            let acc = keeper
                .account(&mut s, &addr)?
                .ok_or_else(|| SdkError::NotFound(format!("account {} not found", req.address)))?;
            Ok(QueryAccountInfoResponse {
                info: Some(acc.to_base_proto()),
            })
        },
    );
    r.add(
        "/cosmos.auth.v1beta1.Query/Accounts",
        move |s: &dyn KvRead, req: QueryAccountsRequest| {
            let items = s.prefix(keys::accounts_prefix())?;
            let (page, pagination) = paginate(items, req.pagination.as_ref())?;
            let accounts = page
                .iter()
                .map(|bytes| {
                    use prost::Message;
                    cosmrs::Any::decode(bytes.as_slice())
                        .map_err(|e| AbciError::from(SdkError::Internal(e.to_string())))
                })
                .collect::<Result<_, _>>()?;
            Ok(QueryAccountsResponse {
                accounts,
                pagination: Some(pagination),
            })
        },
    );
    r.add(
        "/cosmos.auth.v1beta1.Query/Params",
        move |mut s: &dyn KvRead, _: QueryParamsRequest| {
            Ok(QueryParamsResponse {
                params: Some(keeper.params(&mut s)?),
            })
        },
    );
    r.add(
        "/cosmos.auth.v1beta1.Query/Bech32Prefix",
        |_: &dyn KvRead, _: Bech32PrefixRequest| {
            Ok(Bech32PrefixResponse {
                bech32_prefix: ACCOUNT_PREFIX.to_string(),
            })
        },
    );
    r.add(
        "/cosmos.auth.v1beta1.Query/ModuleAccountByName",
        move |mut s: &dyn KvRead, req: QueryModuleAccountByNameRequest| {
            let acc = keeper
                .account(&mut s, &Address::module(&req.name))?
                .filter(|a| a.module.is_some())
                .ok_or_else(|| {
                    SdkError::NotFound(format!("module account {} not found", req.name))
                })?;
            Ok(QueryModuleAccountByNameResponse {
                account: Some(acc.to_any()),
            })
        },
    );
    r.add(
        "/cosmos.auth.v1beta1.Query/AccountAddressByID",
        move |s: &dyn KvRead, req: QueryAccountAddressByIdRequest| {
            let bytes = s
                .get(&keys::address_by_number(req.account_id))?
                .ok_or_else(|| {
                    SdkError::NotFound(format!("account number {} not found", req.account_id))
                })?;
            Ok(QueryAccountAddressByIdResponse {
                account_address: Address::from_slice(&bytes)?.to_bech32(),
            })
        },
    );
}
