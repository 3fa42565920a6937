use cosmwasm_schema::{QueryResponses, cw_serde};
use cosmwasm_std::Uint128;

use crate::state::Snapshot;

#[cw_serde]
pub struct InstantiateMsg {
    /// The Datanet this contract follows; it must exist.
    pub datanet_id: u64,
}

#[cw_serde]
pub enum ExecuteMsg {
    /// Reads the Datanet from the chain and stores its counts and latest version.
    Snapshot {},
    /// Asks the chain for an inference of an adapter, paid from this contract's balance
    /// (owner only).
    RequestInference {
        adapter_id: u64,
        prompt: String,
        max_tokens: u32,
        max_fee: Uint128,
    },
}

#[cw_serde]
#[derive(QueryResponses)]
pub enum QueryMsg {
    #[returns(ConfigResponse)]
    Config {},
    /// The last snapshot; `null` before the first.
    #[returns(SnapshotResponse)]
    Snapshot {},
}

#[cw_serde]
pub struct ConfigResponse {
    pub owner: String,
    pub datanet_id: u64,
}

#[cw_serde]
pub struct SnapshotResponse {
    pub datanet_id: u64,
    pub snapshot: Option<Snapshot>,
}
