use cosmwasm_schema::cw_serde;
use cosmwasm_std::{Addr, Empty, Uint128};
use cw_storage_plus::{Item, Map};

use crate::msg::Terms;

#[cw_serde]
pub struct Config {
    /// The denom fees and subscriptions are paid in (`uopen`).
    pub denom: String,
}

/// An adapter's terms, with the owner the chain reported when they were last set.
#[cw_serde]
pub struct License {
    pub owner: Addr,
    pub terms: Terms,
}

pub const CONFIG: Item<Config> = Item::new("config");
/// adapter id -> its licence
pub const LICENSES: Map<u64, License> = Map::new("licenses");
/// (adapter id, user) -> present when the owner granted the user access
pub const ALLOW_LIST: Map<(u64, &Addr), Empty> = Map::new("allow_list");
/// (adapter id, user) -> block height at which the subscription ends (exclusive)
pub const SUBSCRIPTIONS: Map<(u64, &Addr), u64> = Map::new("subscriptions");
/// address -> uopen it may withdraw (owners' and contributors' revenue)
pub const BALANCES: Map<&Addr, Uint128> = Map::new("balances");
