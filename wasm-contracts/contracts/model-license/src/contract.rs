#[cfg(not(feature = "library"))]
use cosmwasm_std::entry_point;
use cosmwasm_std::{
    Addr, BankMsg, Binary, Deps, DepsMut, Empty, Env, MessageInfo, Order, OverflowError,
    OverflowOperation, Response, StdResult, Storage, Uint128, coins, to_json_binary,
};
use cw_storage_plus::Bound;
use cw_utils::{must_pay, nonpayable};
use openledger_bindings::{OpenLedgerQuerier, OpenLedgerQuery};

use crate::error::ContractError;
use crate::msg::{
    AllowListResponse, BPS_DENOMINATOR, BalanceResponse, CanInferResponse, ConfigResponse,
    ExecuteMsg, InstantiateMsg, MigrateMsg, QueryMsg, SubscriptionResponse, Terms, TermsResponse,
};
use crate::state::{ALLOW_LIST, BALANCES, CONFIG, Config, LICENSES, License, SUBSCRIPTIONS};

const CONTRACT_NAME: &str = "crates.io:model-license";
const CONTRACT_VERSION: &str = env!("CARGO_PKG_VERSION");
const DEFAULT_DENOM: &str = "uopen";
const DEFAULT_PAGE: u32 = 30;
const MAX_PAGE: u32 = 100;

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn instantiate(
    deps: DepsMut<OpenLedgerQuery>,
    _env: Env,
    info: MessageInfo,
    msg: InstantiateMsg,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let denom = msg.denom.unwrap_or_else(|| DEFAULT_DENOM.to_string());
    if denom.trim().is_empty() {
        return Err(ContractError::EmptyDenom {});
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    CONFIG.save(
        deps.storage,
        &Config {
            denom: denom.clone(),
        },
    )?;
    Ok(Response::new()
        .add_attribute("action", "instantiate")
        .add_attribute("denom", denom))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn execute(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
    info: MessageInfo,
    msg: ExecuteMsg,
) -> Result<Response, ContractError> {
    match msg {
        ExecuteMsg::SetTerms { adapter_id, terms } => set_terms(deps, info, adapter_id, terms),
        ExecuteMsg::Subscribe { adapter_id } => subscribe(deps, env, info, adapter_id),
        ExecuteMsg::Grant { adapter_id, user } => grant(deps, info, adapter_id, user),
        ExecuteMsg::Revoke { adapter_id, user } => revoke(deps, info, adapter_id, user),
        ExecuteMsg::Withdraw {} => withdraw(deps, info),
    }
}

/// The adapter's owner as the chain's models module reports it now, which fails when the
/// adapter does not exist.
fn chain_owner(deps: Deps<OpenLedgerQuery>, adapter_id: u64) -> Result<Addr, ContractError> {
    let adapter = OpenLedgerQuerier::new(&deps.querier).adapter(adapter_id)?;
    Ok(deps.api.addr_validate(&adapter.owner)?)
}

/// Checks that the sender owns the adapter on chain and refreshes the stored owner, so an
/// adapter that changed hands is managed by its new owner.
fn load_as_owner(
    deps: DepsMut<OpenLedgerQuery>,
    sender: &Addr,
    adapter_id: u64,
) -> Result<License, ContractError> {
    let mut license = LICENSES
        .may_load(deps.storage, adapter_id)?
        .ok_or(ContractError::NoTerms { adapter_id })?;
    let owner = chain_owner(deps.as_ref(), adapter_id)?;
    if *sender != owner {
        return Err(ContractError::NotAdapterOwner {
            adapter_id,
            owner: owner.into_string(),
        });
    }
    if license.owner != owner {
        license.owner = owner;
        LICENSES.save(deps.storage, adapter_id, &license)?;
    }
    Ok(license)
}

fn set_terms(
    deps: DepsMut<OpenLedgerQuery>,
    info: MessageInfo,
    adapter_id: u64,
    terms: Terms,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    if terms.contributor_share_bps > BPS_DENOMINATOR {
        return Err(ContractError::InvalidShare {
            bps: terms.contributor_share_bps,
        });
    }
    if let Some(sub) = &terms.subscription
        && (sub.price.is_zero() || sub.duration_blocks == 0)
    {
        return Err(ContractError::InvalidSubscriptionTerms {});
    }
    let owner = chain_owner(deps.as_ref(), adapter_id)?;
    if info.sender != owner {
        return Err(ContractError::NotAdapterOwner {
            adapter_id,
            owner: owner.into_string(),
        });
    }
    LICENSES.save(deps.storage, adapter_id, &License { owner, terms })?;
    Ok(Response::new()
        .add_attribute("action", "set_terms")
        .add_attribute("adapter_id", adapter_id.to_string()))
}

fn subscribe(
    deps: DepsMut<OpenLedgerQuery>,
    env: Env,
    info: MessageInfo,
    adapter_id: u64,
) -> Result<Response, ContractError> {
    let denom = CONFIG.load(deps.storage)?.denom;
    let license = LICENSES
        .may_load(deps.storage, adapter_id)?
        .ok_or(ContractError::NoTerms { adapter_id })?;
    let sub_terms = license
        .terms
        .subscription
        .clone()
        .ok_or(ContractError::NoSubscriptions { adapter_id })?;

    // Money only changes hands for an adapter whose licence is this contract.
    let querier = OpenLedgerQuerier::new(&deps.querier);
    let adapter = querier.adapter(adapter_id)?;
    if adapter.license_contract.as_deref() != Some(env.contract.address.as_str()) {
        return Err(ContractError::NotLicensedHere {
            adapter_id,
            license_contract: adapter
                .license_contract
                .unwrap_or_else(|| "no contract".to_string()),
        });
    }
    let owner = deps.api.addr_validate(&adapter.owner)?;
    if license.terms.allow_list_only
        && info.sender != owner
        && !ALLOW_LIST.has(deps.storage, (adapter_id, &info.sender))
    {
        return Err(ContractError::NotAllowed {
            adapter_id,
            user: info.sender.into_string(),
        });
    }
    let paid = must_pay(&info, &denom)?;
    if paid != sub_terms.price {
        return Err(ContractError::WrongPayment {
            expected: sub_terms.price,
            paid,
            denom,
        });
    }

    let height = env.block.height;
    let running_until = SUBSCRIPTIONS
        .may_load(deps.storage, (adapter_id, &info.sender))?
        .unwrap_or(0);
    let expires_at = running_until
        .max(height)
        .checked_add(sub_terms.duration_blocks)
        .ok_or(OverflowError::new(OverflowOperation::Add))?;
    SUBSCRIPTIONS.save(deps.storage, (adapter_id, &info.sender), &expires_at)?;

    let contributors_share =
        paid.multiply_ratio(license.terms.contributor_share_bps, BPS_DENOMINATOR);
    let provenance = querier.provenance(adapter_id)?;
    let total_records = provenance
        .contributors
        .iter()
        .try_fold(0u64, |sum, c| sum.checked_add(c.records))
        .ok_or(OverflowError::new(OverflowOperation::Add))?;
    let mut paid_to_contributors = Uint128::zero();
    if total_records > 0 {
        for contributor in &provenance.contributors {
            let share = contributors_share.multiply_ratio(contributor.records, total_records);
            if share.is_zero() {
                continue;
            }
            let address = deps.api.addr_validate(&contributor.address)?;
            credit(deps.storage, &address, share)?;
            paid_to_contributors = paid_to_contributors.checked_add(share)?;
        }
    }
    // The owner gets the rest, including what rounding down left over.
    let owner_share = paid.checked_sub(paid_to_contributors)?;
    credit(deps.storage, &owner, owner_share)?;

    Ok(Response::new()
        .add_attribute("action", "subscribe")
        .add_attribute("adapter_id", adapter_id.to_string())
        .add_attribute("subscriber", info.sender)
        .add_attribute("expires_at", expires_at.to_string())
        .add_attribute("owner_share", owner_share)
        .add_attribute("contributors_share", paid_to_contributors))
}

fn credit(storage: &mut dyn Storage, address: &Addr, amount: Uint128) -> Result<(), ContractError> {
    if amount.is_zero() {
        return Ok(());
    }
    let balance = BALANCES.may_load(storage, address)?.unwrap_or_default();
    BALANCES.save(storage, address, &balance.checked_add(amount)?)?;
    Ok(())
}

fn grant(
    mut deps: DepsMut<OpenLedgerQuery>,
    info: MessageInfo,
    adapter_id: u64,
    user: String,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let user = deps.api.addr_validate(&user)?;
    load_as_owner(deps.branch(), &info.sender, adapter_id)?;
    ALLOW_LIST.save(deps.storage, (adapter_id, &user), &Empty {})?;
    Ok(Response::new()
        .add_attribute("action", "grant")
        .add_attribute("adapter_id", adapter_id.to_string())
        .add_attribute("user", user))
}

fn revoke(
    mut deps: DepsMut<OpenLedgerQuery>,
    info: MessageInfo,
    adapter_id: u64,
    user: String,
) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let user = deps.api.addr_validate(&user)?;
    load_as_owner(deps.branch(), &info.sender, adapter_id)?;
    ALLOW_LIST.remove(deps.storage, (adapter_id, &user));
    Ok(Response::new()
        .add_attribute("action", "revoke")
        .add_attribute("adapter_id", adapter_id.to_string())
        .add_attribute("user", user))
}

fn withdraw(deps: DepsMut<OpenLedgerQuery>, info: MessageInfo) -> Result<Response, ContractError> {
    nonpayable(&info)?;
    let amount = BALANCES
        .may_load(deps.storage, &info.sender)?
        .unwrap_or_default();
    if amount.is_zero() {
        return Err(ContractError::NothingToWithdraw {});
    }
    BALANCES.remove(deps.storage, &info.sender);
    let denom = CONFIG.load(deps.storage)?.denom;
    Ok(Response::new()
        .add_message(BankMsg::Send {
            to_address: info.sender.to_string(),
            amount: coins(amount.u128(), denom),
        })
        .add_attribute("action", "withdraw")
        .add_attribute("recipient", info.sender)
        .add_attribute("amount", amount))
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn query(deps: Deps<OpenLedgerQuery>, env: Env, msg: QueryMsg) -> StdResult<Binary> {
    match msg {
        QueryMsg::CanInfer { adapter_id, user } => {
            to_json_binary(&can_infer(deps, env, adapter_id, user)?)
        }
        QueryMsg::Terms { adapter_id } => to_json_binary(&query_terms(deps, adapter_id)?),
        QueryMsg::Subscription { adapter_id, user } => {
            to_json_binary(&query_subscription(deps, env, adapter_id, user)?)
        }
        QueryMsg::AllowList {
            adapter_id,
            start_after,
            limit,
        } => to_json_binary(&query_allow_list(deps, adapter_id, start_after, limit)?),
        QueryMsg::Balance { address } => to_json_binary(&query_balance(deps, address)?),
        QueryMsg::Config {} => to_json_binary(&ConfigResponse {
            denom: CONFIG.load(deps.storage)?.denom,
        }),
    }
}

/// Answers the attribution module. Reads only this contract's state, so the answer cannot fail
/// on a chain query in the middle of the module's message.
fn can_infer(
    deps: Deps<OpenLedgerQuery>,
    env: Env,
    adapter_id: u64,
    user: String,
) -> StdResult<CanInferResponse> {
    let user = deps.api.addr_validate(&user)?;
    let Some(license) = LICENSES.may_load(deps.storage, adapter_id)? else {
        return Ok(CanInferResponse {
            allowed: false,
            price: Uint128::zero(),
        });
    };
    let free = CanInferResponse {
        allowed: true,
        price: Uint128::zero(),
    };
    if user == license.owner {
        return Ok(free);
    }
    let subscribed_until = SUBSCRIPTIONS
        .may_load(deps.storage, (adapter_id, &user))?
        .unwrap_or(0);
    if env.block.height < subscribed_until {
        return Ok(free);
    }
    let allowed =
        !license.terms.allow_list_only || ALLOW_LIST.has(deps.storage, (adapter_id, &user));
    Ok(CanInferResponse {
        allowed,
        price: license.terms.price_per_inference,
    })
}

fn query_terms(deps: Deps<OpenLedgerQuery>, adapter_id: u64) -> StdResult<TermsResponse> {
    let license = LICENSES.load(deps.storage, adapter_id)?;
    Ok(TermsResponse {
        adapter_id,
        owner: license.owner.into_string(),
        terms: license.terms,
    })
}

fn query_subscription(
    deps: Deps<OpenLedgerQuery>,
    env: Env,
    adapter_id: u64,
    user: String,
) -> StdResult<SubscriptionResponse> {
    let addr = deps.api.addr_validate(&user)?;
    let expires_at = SUBSCRIPTIONS.may_load(deps.storage, (adapter_id, &addr))?;
    Ok(SubscriptionResponse {
        adapter_id,
        user,
        active: expires_at.is_some_and(|end| env.block.height < end),
        expires_at,
    })
}

fn query_allow_list(
    deps: Deps<OpenLedgerQuery>,
    adapter_id: u64,
    start_after: Option<String>,
    limit: Option<u32>,
) -> StdResult<AllowListResponse> {
    let limit = limit.unwrap_or(DEFAULT_PAGE).min(MAX_PAGE) as usize;
    let start = start_after
        .map(|s| deps.api.addr_validate(&s))
        .transpose()?;
    let users = ALLOW_LIST
        .prefix(adapter_id)
        .keys(
            deps.storage,
            start.as_ref().map(Bound::exclusive),
            None,
            Order::Ascending,
        )
        .take(limit)
        .map(|user| user.map(Addr::into_string))
        .collect::<StdResult<_>>()?;
    Ok(AllowListResponse { users })
}

fn query_balance(deps: Deps<OpenLedgerQuery>, address: String) -> StdResult<BalanceResponse> {
    let addr = deps.api.addr_validate(&address)?;
    let amount = BALANCES.may_load(deps.storage, &addr)?.unwrap_or_default();
    Ok(BalanceResponse { address, amount })
}

#[cfg_attr(not(feature = "library"), entry_point)]
pub fn migrate(
    deps: DepsMut<OpenLedgerQuery>,
    _env: Env,
    _msg: MigrateMsg,
) -> Result<Response, ContractError> {
    let stored = cw2::get_contract_version(deps.storage)?;
    if stored.contract != CONTRACT_NAME {
        return Err(ContractError::WrongContract {
            name: stored.contract,
        });
    }
    cw2::set_contract_version(deps.storage, CONTRACT_NAME, CONTRACT_VERSION)?;
    Ok(Response::new()
        .add_attribute("action", "migrate")
        .add_attribute("from_version", stored.version)
        .add_attribute("to_version", CONTRACT_VERSION))
}
