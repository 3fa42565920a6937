use cosmwasm_schema::cw_serde;
use cosmwasm_std::Addr;
use cw_storage_plus::Item;

#[cw_serde]
pub struct Config {
    pub owner: Addr,
    pub datanet_id: u64,
}

/// What the Datanet looked like at the last `Snapshot`.
#[cw_serde]
pub struct Snapshot {
    pub record_count: u64,
    pub accepted_count: u64,
    pub latest_version: u64,
    /// Block height the snapshot was taken at.
    pub height: u64,
}

pub const CONFIG: Item<Config> = Item::new("config");
pub const SNAPSHOT: Item<Snapshot> = Item::new("snapshot");
